"""What a compiled page needs while it runs: escaping, output, include and forward.

A compiled page is ``render(_ctx)``; ``_ctx`` is a :class:`Context`, one per
page invocation (an included page gets its own, sharing request and
response).  The prelude of ``render`` binds only the names the page uses
(``request``, ``print``, ``include``...), each from this object.

Also here: the page-name rules shared by the engine and ``remora compile``
(module names, relative paths), so neither needs the compiler.
"""

try:
    from typing import Any, List, Optional, Tuple
except ImportError:
    pass

MAX_DEPTH = 8  # nested includes; each level costs stack on a board's worker thread


def escape(value: "Any") -> str:
    """HTML-escape ``value`` (& < > " '); None gives ""."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode()
    else:
        text = value if isinstance(value, str) else str(value)
    # Most values hold none of the five characters: test first, allocate never.
    for c in "&<>\"'":
        if c in text:
            break
    else:
        return text
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


class Forward(BaseException):
    """Raised by ``forward(path)``: the engine discards the output and renders ``target``.

    A BaseException, so a page's own ``except Exception`` does not swallow it.
    """

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class Context:
    """The ``_ctx`` of one page invocation.

    ``engine`` is the PageEngine; ``name`` the page name; ``page`` its state
    dict; ``depth`` how deep in includes it runs.
    """

    def __init__(
        self, engine: "Any", name: str, request: "Any", response: "Any", page: dict, depth: int
    ) -> None:
        self.engine = engine
        self.name = name
        self.request = request
        self.response = response
        self.page = page
        self.app = engine.app
        self.depth = depth

    def put(self, value: "Any") -> None:
        """``<?= value ?>``: write the value escaped."""
        if value is not None:
            self.response.write(escape(value))

    def echo(self, value: "Any") -> None:
        """``<?raw= value ?>`` and ``echo(value)``: write the value unescaped."""
        if value is None:
            return
        if isinstance(value, (bytes, str)):
            self.response.write(value)
        elif isinstance(value, bytearray):
            self.response.write(bytes(value))  # Response.finish joins bytes and str only
        else:
            self.response.write(str(value))

    def escape(self, value: "Any") -> str:
        return escape(value)

    def print(self, *args: "Any", sep: str = " ", end: str = "\n", file: "Any" = None) -> None:
        """Python's print, into the response (unescaped, as LSP's print)."""
        if file is not None:
            print(*args, sep=sep, end=end, file=file)  # print(x, file=f) keeps its meaning
            return
        write = self.response.write
        for i, arg in enumerate(args):
            if i:
                write(sep)
            write(arg if isinstance(arg, (str, bytes)) else str(arg))
        if end:
            write(end)

    def include(self, path: str) -> None:
        """Render the page ``path`` here (relative to this page's folder, or from the root)."""
        self.engine.include(self, path)

    async def include_async(self, path: str) -> None:
        """``await include(path)`` in an asynchronous page."""
        await self.engine.include_async(self, path)

    def forward(self, path: str) -> None:
        """Discard this request's output so far and render ``path`` instead; never returns."""
        raise Forward(self.engine.target(self, path))


def module_name(name: str) -> str:
    """The module a page compiles to: ``/admin/index.rsp`` -> ``rsp_admin__index``.

    Letters and digits stay; ``/`` becomes ``__``, ``_`` ``_u``, ``-`` ``_d`` and
    any other byte ``_xHH``.  Every escape starts with ``_`` and the second
    character tells which, so two page names never share a module name.
    """
    if name.endswith(".rsp"):
        name = name[:-4]
    out = ["rsp_"]
    for b in name.lstrip("/").encode():
        if 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122:
            out.append(chr(b))
        elif b == 47:
            out.append("__")
        elif b == 95:
            out.append("_u")
        elif b == 45:
            out.append("_d")
        else:
            out.append("_x%02x" % b)
    return "".join(out)


def safe_name(path: str) -> bool:
    """True for a page path that stays inside the app: rooted, no ``..``/``.``, ``\\``, NUL."""
    if not path.startswith("/") or "\\" in path or "\x00" in path or "//" in path:
        return False
    for seg in path.split("/"):
        if seg == ".." or seg == ".":
            return False
    return True


def resolve(current: str, path: str) -> "Optional[str]":
    """The page name ``path`` refers to from page ``current``; None if it leaves the root.

    Absolute paths start at the app root; others at ``current``'s folder.  ``..``
    is allowed here (page code is trusted) as long as it stays inside the root.
    """
    if "\\" in path or "\x00" in path or not path:
        return None
    if not path.startswith("/"):
        path = current[: current.rfind("/") + 1] + path
    parts = []  # type: List[str]
    for seg in path.split("/"):
        if seg == "..":
            if not parts:
                return None
            parts.pop()
        elif seg and seg != ".":
            parts.append(seg)
    return "/" + "/".join(parts)


__all__ = ["Context", "Forward", "escape", "module_name", "resolve", "safe_name"]
