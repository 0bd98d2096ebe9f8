"""Page errors, and the mapping from generated Python lines back to page lines.

A page is compiled into a Python module, so the interpreter reports errors
at lines of that generated module.  Every generated module carries ``LINES``,
flat pairs ``generated line, page line`` (a str of numbers separated by
spaces, so that on a board it stays in flash): from that generated line
onward, code comes from that page line.  Only changes are recorded, so a
long run of HTML costs one pair, not one entry per line.

The runtime needs only PageError, so this module holds only it: the line
mapping, PageSyntaxError and the reading of tracebacks are in ``trace.py``,
which the compiler and the error path load (a board that serves pages
without error never does).
"""

try:
    from typing import Optional
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


__all__ = ["PageError"]
