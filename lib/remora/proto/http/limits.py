"""The bounds of an HTTP/1.1 connection, and the memos its connections share."""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple

_MAX_START_LINES = const(16)


class Limits:
    """The bounds of one HTTP/1.1 connection (STYLE.md point 3: every buffered
    quantity has a cap); construct once and share.

    The defaults match common servers (8 KiB request line and head, like
    nginx's large_client_header_buffers and aiohttp's max_line_size); a board
    profile lowers them through :meth:`from_profile`.

    =====================  =====  =============================================
    field                  reply  bounds
    =====================  =====  =============================================
    ``max_request_line``   414    bytes of the request line (or status line),
                                  without its CRLF
    ``max_header_bytes``   431    bytes of the whole head: start line, header
                                  lines and their CRLFs, without the final
                                  empty line; also each trailer section
    ``max_headers``        431    header field lines in a head (and trailers)
    ``max_body``           413    bytes of a message body, Content-Length or
                                  the sum of the chunks
    ``max_chunk_line``     400    bytes of one chunk-size line with extensions
    =====================  =====  =============================================
    """

    def __init__(
        self,
        max_request_line: int = 8190,
        max_header_bytes: int = 8192,
        max_headers: int = 64,
        max_body: int = 1024 * 1024,
        max_chunk_line: int = 1024,
    ) -> None:
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self.max_body = max_body
        self.max_chunk_line = max_chunk_line
        # Memos shared by the connections that share these limits (a
        # server's): status lines already built, by status (a server sends
        # a handful over and over; only standard reasons, at most 16), and
        # the last Host value found valid (clients of one server send the
        # same Host each request).  Kept here, not per connection: no idle
        # connection's heap grows for them; each is bounded.
        self.start_lines = {}  # type: Dict[int, Tuple[str, str]]
        self.valid_host = None  # type: Optional[str]
        # And the request lines and field lines already parsed (fields.py,
        # MEMO_SIZE): the next request of the same clients skips their work.
        self.starts = {}  # type: Dict[bytes, Any]
        self.fields = {}  # type: Dict[bytes, Any]

    def start_line(self, status: int, reason: "Optional[str]") -> str:
        """``HTTP/1.1 status reason\r\n``, the standard reason when none is given."""
        entry = self.start_lines.get(status)
        if entry is not None and (not reason or reason == entry[0]):
            return entry[1]
        from .reasons import reason as standard  # loaded on first use

        usual = standard(status)
        if not reason:
            reason = usual
        line = "HTTP/1.1 %d %s\r\n" % (status, reason)
        if reason == usual and len(self.start_lines) < _MAX_START_LINES:
            self.start_lines[status] = (reason, line)
        return line

    @classmethod
    def from_profile(cls, profile: "Any") -> "Limits":
        """Limits from a board profile dict (its ``http_max_*`` keys); keys it
        lacks keep the defaults."""
        limits = cls()
        for name in ("max_request_line", "max_header_bytes", "max_headers", "max_body"):
            setattr(limits, name, profile.get("http_" + name, getattr(limits, name)))
        return limits
