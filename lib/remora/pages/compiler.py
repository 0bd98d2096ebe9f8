"""The page compiler: a ``.rsp`` page in, Python module source out.

A page is HTML with embedded Python, as Lua Server Pages are HTML with
embedded Lua::

    <?page async ?>          directive: the page is asynchronous
    <?py statements ?>       Python code
    <?= expression ?>        the value, HTML-escaped (None prints nothing)
    <?raw= expression ?>     the value, unescaped

A code block whose last statement ends with ``:`` opens a suite that runs
on across the following HTML and expressions until ``<?py end ?>``; a block
starting with ``elif``, ``else``, ``except`` or ``finally`` closes the open
suite and opens the next clause at the same level.  ``end`` closes what the
block that opened the suite opened.

The output is a module with ``IS_ASYNC``, ``SOURCE_NAME``, ``LINES`` (see
``trace.py``) and ``render(_ctx)``, plain code that mpy-cross compiles.
Boards that run precompiled pages never import this module: the runtime is
``engine.py`` and ``runtime.py``.
"""

from .trace import PageSyntaxError, source_line

try:
    from typing import List, Optional, Tuple
except ImportError:
    pass

_IND = "    "
_CLAUSES = ("elif", "else", "except", "finally")
# Names a page may use, and how the prelude of render() binds them.  Only the
# names a page mentions are bound, so an unused ``session`` costs nothing.
_NAMES = (
    ("request", "_ctx.request"),
    ("response", "_ctx.response"),
    ("page", "_ctx.page"),
    ("app", "_ctx.app"),
    ("session", "_ctx.request.session"),
    ("print", "_ctx.print"),
    ("echo", "_ctx.echo"),
    ("escape", "_ctx.escape"),
    ("include", "_ctx.include"),
    ("forward", "_ctx.forward"),
)
_HEADER = 4  # lines before ``def render``: comment, IS_ASYNC, SOURCE_NAME, LINES


def _tag_at(src: str, at: int) -> "Tuple[str, int]":
    """The kind of tag starting at ``at`` ("py", "=", "raw", "page" or "") and its length."""
    if src.startswith("<?=", at):
        return "=", 3
    if src.startswith("<?raw=", at):
        return "raw", 6
    for kind in ("py", "page"):
        n = 2 + len(kind)
        if src.startswith("<?" + kind, at):
            nxt = src[at + n : at + n + 2]
            if nxt[:1] in (" ", "\t", "\r", "\n") or nxt == "?>":
                return kind, n
    return "", 0  # some other "<?" (an XML declaration, say): plain text


def tokens(src: str, name: str) -> "List[Tuple[str, str, int]]":
    """Split a page into (kind, text, line) with kind "text", "py", "=", "raw" or "page"."""
    out = []  # type: List[Tuple[str, str, int]]
    pos = 0
    line = 1
    while pos < len(src):
        at = src.find("<?", pos)
        kind, skip = "", 0
        while at >= 0:
            kind, skip = _tag_at(src, at)
            if kind:
                break
            at = src.find("<?", at + 2)
        if at < 0:
            out.append(("text", src[pos:], line))
            break
        if at > pos:
            text = src[pos:at]
            out.append(("text", text, line))
            line += text.count("\n")
        end = src.find("?>", at + skip)
        if end < 0:
            raise PageSyntaxError(
                name, line, "tag <?%s is never closed with ?>" % kind, source_line(src, line)
            )
        body = src[at + skip : end]
        out.append((kind, body, line))
        line += body.count("\n")
        pos = end + 2
    return out


def _split_comment(text: str, depth: int) -> "Tuple[str, int]":
    """``text`` without a trailing comment, and the bracket depth after it.

    Quote-aware for strings within one line; triple-quoted strings that span
    lines are not supported inside page code.
    """
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "#":
            return text[:i], depth
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return text, depth


def _indent_of(text: str) -> "Tuple[int, str]":
    """Leading whitespace width (tabs to multiples of 8, as Python counts) and the rest."""
    width = 0
    i = 0
    while i < len(text) and text[i] in " \t":
        width = (width // 8 + 1) * 8 if text[i] == "\t" else width + 1
        i += 1
    return width, text[i:]


def _first_word(stmt: str) -> str:
    i = 0
    while i < len(stmt) and (stmt[i].isalpha() or stmt[i] == "_"):
        i += 1
    return stmt[:i]


def words(text: str) -> "List[str]":
    """The identifier-like words of ``text`` (strings included: over-binding is harmless)."""
    found = []
    word = ""
    for c in text + " ":
        if c.isalpha() or c == "_" or (word and c.isdigit()):
            word += c
        elif word:
            found.append(word)
            word = ""
    return found


class _Gen:
    """Emits the body of render(): indented lines, each with its page line."""

    def __init__(self, name: str, src: str) -> None:
        self.name = name
        self.src = src
        self.body = []  # type: List[str]
        self.where = []  # type: List[int]
        self.base = _IND  # indentation of the next statement
        self.stmts = 0  # statements emitted in the current suite
        # Open suites: (base to return to, outer statement count, clause indent, page line).
        self.stack = []  # type: List[Tuple[str, int, str, int]]

    def fail(self, line: int, message: str) -> None:
        raise PageSyntaxError(self.name, line, message, source_line(self.src, line))

    def emit(self, text: str, line: int, indent: "Optional[str]" = None) -> None:
        self.body.append((self.base if indent is None else indent) + text)
        self.where.append(line)
        if text.strip() and not text.lstrip().startswith("#"):
            self.stmts += 1

    def text(self, data: str, line: int) -> None:
        if data:
            self.emit("_w(%r)" % data.encode(), line)

    def expr(self, kind: str, body: str, line: int) -> None:
        stripped = body.strip()
        line += body[: len(body) - len(body.lstrip())].count("\n")
        if not stripped:
            self.fail(line, "empty <?%s ?> expression" % kind)
        parts = stripped.split("\n")
        last = line + len(parts) - 1
        parts[0] = ("_x(" if kind == "=" else "_o(") + parts[0]
        # A trailing comment would swallow the closing parenthesis.
        if "#" in parts[-1]:
            parts.append(")")
        else:
            parts[-1] += ")"
        for i, part in enumerate(parts):
            # Continuation lines sit inside the call's parentheses: indent is free.
            self.emit(part if i == 0 else _IND + part.strip(), min(line + i, last))

    def close(self, line: int, what: str) -> "Tuple[str, int, str, int]":
        if not self.stack:
            self.fail(line, "'%s' without an open block (nothing to close)" % what)
        if self.stmts == 0:
            self.emit("pass", line)  # an empty suite is still a suite
        entry = self.stack.pop()
        self.base, self.stmts = entry[0], entry[1]
        return entry

    def code(self, body: str, line: int) -> None:
        items = self.normalise(body, line)
        if not items:
            return
        if len(items) == 1 and _split_comment(items[0][1], 0)[0].strip() == "end":
            self.close(items[0][2], "end")
            return
        for _rel, stmt, at in items:
            if _split_comment(stmt, 0)[0].strip() == "end":
                self.fail(at, "'end' must be a <?py end ?> block of its own")
        outer = self.base
        indent = self.base
        word = _first_word(items[0][1])
        if word in _CLAUSES:
            entry = self.close(items[0][2], word)
            outer, indent = entry[0], entry[2]
        depth = 0
        opener = ""  # indentation of the last logical line: the suite's clause
        last = ""
        for rel, stmt, at in items:
            start = depth
            code, depth = _split_comment(stmt, depth)
            if code.strip():
                last = code.rstrip()
                if start == 0:
                    opener = " " * rel
            self.emit(" " * rel + stmt, at, indent)
        if depth == 0 and last.endswith(":"):
            self.stack.append((outer, self.stmts, indent + opener, line))
            self.base = indent + opener + _IND
            self.stmts = 0

    def normalise(self, body: str, line: int) -> "List[Tuple[int, str, int]]":
        """(relative indent, statement, page line) for each non-blank line of a code block.

        Lines below the first are dedented by their common indentation.  Code on
        the ``<?py`` line itself sits at indent 0; when it ends with ``:`` and the
        line below it is not indented relative to the rest, the rest is its suite.
        """
        raw = body.split("\n")
        rest = []  # type: List[Tuple[int, str, int]]
        for i in range(1, len(raw)):
            width, stmt = _indent_of(raw[i].rstrip())
            if stmt:
                rest.append((width, stmt, line + i))
        first = raw[0].strip()
        if rest:
            low = min(r[0] for r in rest)
            rest = [(r[0] - low, r[1], r[2]) for r in rest]
            if first and rest[0][0] == 0 and _split_comment(first, 0)[0].rstrip().endswith(":"):
                rest = [(r[0] + 4, r[1], r[2]) for r in rest]
        if first:
            rest.insert(0, (0, first, line))
        return rest

    def finish(self) -> None:
        if self.stack:
            self.fail(self.stack[-1][3], "block opened here is never closed with <?py end ?>")


def translate(src: str, name: str) -> "Tuple[str, Tuple[int, ...]]":
    """The Python source of page ``name`` and its LINES pairs.  Raises PageSyntaxError."""
    src = src.replace("\r\n", "\n")  # a stray CR would end lines of generated code
    gen = _Gen(name, src)
    is_async = False
    used = set()
    pending = ""  # adjacent text (also across directives) merges into one write
    pending_line = 1
    for kind, body, line in tokens(src, name):
        if kind == "text":
            if not pending:
                pending_line = line
            pending += body
            continue
        if kind == "page":
            for word in body.split():
                if word != "async":
                    gen.fail(line, "unknown page directive %r" % word)
                is_async = True
            continue
        if kind == "py" and not body.strip():
            continue
        gen.text(pending, pending_line)
        pending = ""
        used.update(words(body))
        if kind == "py":
            gen.code(body, line)
        else:
            gen.expr(kind, body, line)
    gen.text(pending, pending_line)
    gen.finish()

    prelude = []
    body = "\n".join(gen.body)
    for helper, value in (("_w", "_ctx.response.write"), ("_x", "_ctx.put"), ("_o", "_ctx.echo")):
        if (helper + "(") in body:
            prelude.append("%s = %s" % (helper, value))
    for word, value in _NAMES:
        if word in used:
            if word == "include" and is_async:
                value = "_ctx.include_async"  # awaited: ``await include(path)``
            prelude.append("%s = %s" % (word, value))
    if not prelude and not gen.body:
        prelude.append("pass")

    # Generated line numbers are 1-based; body line i sits after the header,
    # the def line and the prelude.
    first = _HEADER + 1 + len(prelude) + 1
    pairs = [1, 0]
    for i, at in enumerate(gen.where):
        if at != pairs[-1]:
            pairs.append(first + i)
            pairs.append(at)
    lines = tuple(pairs)
    out = [
        "# Generated by remora.pages.compiler from %r: edit the page, not this file." % name,
        "IS_ASYNC = %s" % is_async,
        "SOURCE_NAME = %r" % name,
        # A str, not a tuple: a str constant stays in a board's flash, a
        # tuple of ints is built in the heap at import (error path only).
        "LINES = %r" % " ".join([str(n) for n in lines]),
        ("async def" if is_async else "def") + " render(_ctx):",
    ]
    out.extend(_IND + p for p in prelude)
    out.extend(gen.body)
    return "\n".join(out) + "\n", lines


def compile_page(source: str, filename: str) -> str:
    """Python module source for the page ``source`` named ``filename`` (``/a/b.rsp``).

    Raises PageSyntaxError (with page and line) for malformed tags and blocks;
    Python syntax errors surface when the result is compiled.
    """
    return translate(source, filename)[0]


__all__ = ["compile_page", "translate", "tokens", "words"]
