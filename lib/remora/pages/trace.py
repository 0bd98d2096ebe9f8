"""Where in a page an error happened: the line map, PageSyntaxError, tracebacks.

Loaded only by the compiler and on the error path (``errors.py`` holds
PageError, all the runtime needs), so a board pays for it in RAM only once
a page has failed.
"""

from .. import port
from .errors import PageError

try:
    from typing import Any, Optional
except ImportError:
    pass



class PageSyntaxError(PageError):
    """The page cannot be compiled: a bad tag, a stray ``end``, or bad Python."""

    def __init__(self, page: str, line: int, message: str, source_line: "Optional[str]" = None):
        PageError.__init__(self, page, line, SyntaxError(message), source_line)


def page_line(lines: "Any", generated: int) -> int:
    """The page line of a generated line, using ``LINES`` pairs (0 if unmapped):
    a tuple, or the generated module's str of them separated by spaces."""
    if isinstance(lines, str):
        lines = [int(n) for n in lines.split()]
    found = 0
    for i in range(0, len(lines) - 1, 2):
        if lines[i] > generated:
            break
        found = lines[i + 1]
    return found


def source_line(text: str, line: int) -> "Optional[str]":
    """Line ``line`` (1-based) of ``text``, or None."""
    if line <= 0:
        return None
    parts = text.split("\n")
    return parts[line - 1] if line <= len(parts) else None


def _matches(filename: str, code_name: str) -> bool:
    # A page module's code is named ``rsp_x.py`` when compiled at run time or
    # by mpy-cross, and by its full path when CPython imports the .py file.
    return filename == code_name or filename.endswith("/" + code_name)


def generated_line(exc: "BaseException", code_name: str) -> int:
    """The innermost line of ``exc``'s traceback inside the module ``code_name`` (0 if none).

    The innermost frame is the one that raised, even when the page defines
    functions and calls them.
    """
    tb = getattr(exc, "__traceback__", None)
    if tb is not None:
        # CPython: walk the traceback objects.
        found = 0
        while tb is not None:
            if _matches(tb.tb_frame.f_code.co_filename, code_name):
                found = tb.tb_lineno
            tb = tb.tb_next
        if found == 0 and isinstance(exc, SyntaxError) and exc.filename:
            if _matches(exc.filename, code_name):
                found = exc.lineno or 0
        return found
    return _printed_line(exc, code_name)


def _printed_line(exc: "BaseException", code_name: str) -> int:
    # MicroPython keeps no traceback objects; its printed traceback has the
    # same "File "x", line N" lines as CPython's, so parse those (error path only).
    import io

    buf = io.StringIO()
    port.print_exception(exc, buf)
    found = 0
    for text in buf.getvalue().split("\n"):
        text = text.strip()
        if not text.startswith('File "'):
            continue
        end = text.find('"', 6)
        if end < 0 or not _matches(text[6:end], code_name):
            continue
        at = text.find("line ", end)
        if at < 0:
            continue
        digits = text[at + 5 :].split(",")[0].strip()
        if digits.isdigit():
            found = int(digits)
    return found


def wrap(
    exc: "BaseException", page: str, lines: "Any", code_name: str, text: "Optional[str]"
) -> PageError:
    """Turn an exception raised by a page's code into a PageError at the page's line.

    ``text`` is the page source, when available, for the offending line.
    """
    line = page_line(lines, generated_line(exc, code_name))
    if isinstance(exc, SyntaxError):
        message = str(exc.args[0]) if exc.args else "invalid syntax"
        err = PageSyntaxError(page, line, message)  # type: PageError
    else:
        err = PageError(page, line, exc)
    if text is not None:
        err.source_line = source_line(text, line)
    return err


__all__ = ["PageSyntaxError", "generated_line", "page_line", "source_line", "wrap"]
