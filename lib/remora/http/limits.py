"""The bounds of one HTTP/1.1 connection (STYLE.md point 3: every buffered
quantity has a cap).

The defaults match common servers (8 KiB request line and head, like nginx's
large_client_header_buffers and aiohttp's max_line_size); a board profile
lowers them through :meth:`Limits.from_profile`.

=====================  =====  =================================================
field                  reply  bounds
=====================  =====  =================================================
``max_request_line``   414    bytes of the request line (or status line),
                              without its CRLF
``max_header_bytes``   431    bytes of the whole head: start line, header
                              lines and their CRLFs, without the final empty
                              line; also each trailer section
``max_headers``        431    header field lines in a head (and trailers)
``max_body``           413    bytes of a message body, Content-Length or the
                              sum of the chunks
``max_chunk_line``     400    bytes of one chunk-size line with extensions
=====================  =====  =================================================
"""

try:
    from typing import Any, Dict, Optional
except ImportError:
    pass


class Limits:
    """Plain holder of the five bounds; construct once and share."""

    __slots__ = (
        "max_request_line",
        "max_header_bytes",
        "max_headers",
        "max_body",
        "max_chunk_line",
    )

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

    @classmethod
    def from_profile(cls, profile: "Dict[str, Any]") -> "Limits":
        """Limits from a board profile dict; keys it lacks keep the defaults."""
        limits = cls()
        get = profile.get
        limits.max_request_line = get("http_max_request_line", limits.max_request_line)
        limits.max_header_bytes = get("http_max_header_bytes", limits.max_header_bytes)
        limits.max_headers = get("http_max_headers", limits.max_headers)
        limits.max_body = get("http_max_body", limits.max_body)
        return limits

    def __repr__(self) -> str:
        return "Limits(%d, %d, %d, %d, %d)" % (
            self.max_request_line,
            self.max_header_bytes,
            self.max_headers,
            self.max_body,
            self.max_chunk_line,
        )


_default = None  # type: Optional[Limits]


def default() -> Limits:
    """The shared default Limits, built on first use (nothing heavy at import)."""
    global _default
    if _default is None:
        _default = Limits()
    return _default
