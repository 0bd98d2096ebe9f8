"""An App's hooks: before- and after-request functions, error handlers by
status and by exception class, and the application's error page.

::

    @app.before_request
    def stamp(req):                    # may return a response: it is the answer
        req.started = remora.ticks_ms()

    @app.after_request
    def server_name(req, resp):        # returns the response (this one or another)
        resp.set_header("server", "remora")
        return resp

    @app.errorhandler(404)
    def not_found(req):
        return "<h1>Nothing here</h1>", 404

    @app.errorhandler(ValueError)
    def bad_value(req, exc):
        return {"error": str(exc)}, 400

    @app.error_page
    def page(req, status, reason, detail):   # every error the App answers itself
        return Response("<h1>%d %s</h1><pre>%s</pre>" % (status, reason, detail), status,
                        None, "text/html; charset=utf-8")

Any of them may be ``async def``.  An error handler for a status answers
the errors the App makes itself (404, 405, 501, 503 when the worker queue
is full, 500 for an exception no class handler took), not a response a
handler chose to return with that status.  The object is made on first
registration: an App that uses none costs nothing for it.
"""

from ..proto.http.reasons import reason

try:
    from typing import Any, Callable, Dict, List, Optional, Tuple
except ImportError:
    pass


async def call(fn: "Callable[..., Any]", *args: "Any") -> "Any":
    """fn(*args), awaited when fn is a coroutine function."""
    result = fn(*args)
    if hasattr(result, "send"):  # a coroutine (MicroPython: a generator)
        result = await result
    return result


class Hooks:
    def __init__(self) -> None:
        self.before = []  # type: List[Callable[..., Any]]
        self.after = []  # type: List[Callable[..., Any]]
        self.by_status = {}  # type: Dict[int, Callable[..., Any]]
        self.by_class = []  # type: List[Tuple[Any, Callable[..., Any]]]
        self.page = None  # type: Optional[Callable[..., Any]]

    def class_handler(self, exc: BaseException) -> "Optional[Callable[..., Any]]":
        """The handler of exc's class (or a base class), first registered first."""
        for cls, fn in self.by_class:
            if isinstance(exc, cls):
                return fn
        return None


def plain_error(status: int, detail: str = "") -> "Any":
    """The default error answer: ``404 Not Found`` as text (and the detail,
    which only development mode passes)."""
    from .response import Response

    text = "%d %s\n" % (status, reason(status) or "Error")
    if detail:
        text += "\n" + detail + "\n"
    return Response.text(text, status)


def describe(exc: BaseException, root: str = "") -> str:
    """What development mode shows for an exception: its type and text, the
    innermost frame (file, line) and a few lines of source around it when
    the file can be read (under root, the application's folder, when the
    code's file name is relative, as in bytecode from flash)."""
    from .. import port

    fmt = getattr(exc, "format", None)
    if fmt is not None:
        return fmt()  # a PageError knows its page and line
    head = "%s: %s" % (type(exc).__name__, exc)
    where = port.innermost_frame(exc)
    if where is None:
        return head
    filename, line = where
    text = "%s\n  File \"%s\", line %d" % (head, filename, line)
    for path in (filename, root + "/" + filename, root + "/" + filename + ".py"):
        lines = _read_lines(path)
        if lines is not None:
            first = max(1, line - 3)
            for n in range(first, min(len(lines), line + 3) + 1):
                mark = ">" if n == line else " "
                text += "\n%s %4d | %s" % (mark, n, lines[n - 1].rstrip())
            break
    return text


def _read_lines(path: str) -> "Optional[List[str]]":
    try:
        with open(path) as f:
            return f.read().split("\n")
    except (OSError, ValueError, UnicodeError):
        return None
