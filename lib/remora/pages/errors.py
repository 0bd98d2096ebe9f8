"""Page errors, and the mapping from generated Python lines back to page lines.

A page is compiled into a Python module, so the interpreter reports errors
at lines of that generated module.  Every generated module carries ``LINES``,
a flat tuple of pairs ``(generated line, page line)``: from that generated
line onward, code comes from that page line.  Only changes are recorded, so
a long run of HTML costs one pair, not one entry per line.

Both the compiler (syntax errors) and the runtime (exceptions a page raises)
use this module, so it must stay free of either.  Reading tracebacks is in
``trace.py``, loaded only when a page fails.
"""

try:
    from typing import Optional, Sequence
except ImportError:
    pass


class PageError(Exception):
    """An error raised while running (or compiling) a page.

    ``page`` is the page name (``/admin/index.rsp``), ``line`` its line
    (0 when unknown), ``error`` the original exception, ``source_line`` the
    page's text on that line when it could be read (None otherwise).
    """

    def __init__(
        self, page: str, line: int, error: "BaseException", source_line: "Optional[str]" = None
    ) -> None:
        super().__init__(page, line, error)
        self.page = page
        self.line = line
        self.error = error
        self.source_line = source_line

    def headline(self) -> str:
        """``/page.rsp line 3: ValueError: message``."""
        where = self.page if self.line <= 0 else "%s line %d" % (self.page, self.line)
        text = str(self.error)
        name = type(self.error).__name__
        return "%s: %s: %s" % (where, name, text) if text else "%s: %s" % (where, name)

    def format(self) -> str:
        """The headline plus the offending source line: what a development server shows.

        Never send this to a client in production: it holds internal text.
        """
        if self.source_line is None:
            return self.headline()
        return "%s\n    %s" % (self.headline(), self.source_line.strip())

    def __str__(self) -> str:
        return self.headline()


class PageSyntaxError(PageError):
    """The page cannot be compiled: a bad tag, a stray ``end``, or bad Python."""

    def __init__(self, page: str, line: int, message: str, source_line: "Optional[str]" = None):
        PageError.__init__(self, page, line, SyntaxError(message), source_line)


def page_line(lines: "Sequence[int]", generated: int) -> int:
    """The page line of a generated line, using a ``LINES`` pair tuple (0 if unmapped)."""
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


__all__ = ["PageError", "PageSyntaxError", "page_line", "source_line"]
