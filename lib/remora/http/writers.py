"""Events in, bytes out: head serialisation and the body writers.

A head is built as one ``str`` and encoded once.  Field names and values are
not re-validated field by field (that is the caller's job, and a cost on
every response); the one check that matters for safety is made on the whole
head: a CR, LF or NUL smuggled into a name or value would split the message
(response splitting, RFC 9112 §2.2 and RFC 9110 §5.5), so it raises
LocalProtocolError.

A body writer turns Data into wire bytes for the framing chosen for the
message, and EndOfMessage into the end of that framing; misuse (bytes past a
Content-Length, a body where none is allowed) raises LocalProtocolError.
"""

from .errors import LocalProtocolError
from .events import field_tokens, scan_fields

try:
    from typing import Any, List, Optional, Tuple
except ImportError:
    pass

# The reason phrases a server sends when the caller gives none (RFC 9110 §15).
REASONS = {
    100: "Continue",
    101: "Switching Protocols",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    417: "Expectation Failed",
    426: "Upgrade Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}


def _encode_fallback(text: str) -> bytes:
    # MicroPython encodes every encoding as UTF-8; map code points < 256 by hand.
    raw = text.encode()
    if len(raw) == len(text):
        return raw
    try:
        return bytes([ord(c) for c in text])
    except ValueError:
        raise LocalProtocolError("header text is not latin-1")


def _encode_native(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeError:
        raise LocalProtocolError("header text is not latin-1")


encode_latin1 = _encode_native if len("\xe9".encode("latin-1")) == 1 else _encode_fallback


def write_head(start: str, headers: "List[Tuple[str, str]]", extra: "Optional[str]") -> bytes:
    """``start`` (a CRLF-terminated start line), the fields, ``extra`` (ready
    CRLF-terminated field lines the core adds), and the final empty line."""
    # One str, one encode: cheaper than encoding every field on its own.
    parts = [start]
    for name, value in headers:
        parts.append("%s: %s\r\n" % (name, value))
    # Every line we meant to write ends in CRLF: start line, fields, extra,
    # final empty line.  Any other CR or LF came from a caller's string.
    lines = len(headers) + 2
    if extra:
        parts.append(extra)
        lines += extra.count("\n")
    parts.append("\r\n")
    text = "".join(parts)
    if text.count("\n") != lines or text.count("\r") != lines or "\x00" in text:
        raise LocalProtocolError("CR, LF or NUL in a start line or header field")
    return encode_latin1(text)


class NoBodyWriter:
    """Responses to HEAD, 1xx, 204 and 304 (RFC 9112 §6.3 rule 1): no body."""

    __slots__ = ()

    def data(self, data: "Any") -> bytes:
        if data:
            raise LocalProtocolError("this message has no body")
        return b""

    def end(self, trailers: "Any") -> bytes:
        if trailers:
            raise LocalProtocolError("trailers need the chunked coding")
        return b""


NO_BODY = NoBodyWriter()  # stateless: one for everybody


class ContentLengthWriter:
    """Exactly ``length`` bytes (RFC 9112 §6.2); more or fewer is our bug."""

    __slots__ = ("left",)

    def __init__(self, length: int) -> None:
        self.left = length

    def data(self, data: "Any") -> bytes:
        size = len(data)
        if size > self.left:
            raise LocalProtocolError("Data past the Content-Length")
        self.left -= size
        return data if type(data) is bytes else bytes(data)

    def end(self, trailers: "Any") -> bytes:
        if self.left:
            raise LocalProtocolError("EndOfMessage %d bytes before the Content-Length" % self.left)
        if trailers:
            raise LocalProtocolError("trailers need the chunked coding")
        return b""


class ChunkedWriter:
    """The chunked coding (RFC 9112 §7.1): one chunk per non-empty Data."""

    __slots__ = ()

    def data(self, data: "Any") -> bytes:
        size = len(data)
        if size == 0:
            # RFC 9112 §7.1: a zero-size chunk is the last-chunk; it would end the body.
            return b""
        if type(data) is not bytes:
            data = bytes(data)  # MicroPython's %s would print a memoryview's repr
        return b"%x\r\n%s\r\n" % (size, data)

    def end(self, trailers: "Any") -> bytes:
        # RFC 9112 §7.1.2: last-chunk, trailer fields, then the final CRLF.
        if trailers:
            return write_head("0\r\n", trailers, None)
        return b"0\r\n\r\n"


CHUNKED = ChunkedWriter()


class CloseDelimitedWriter:
    """A response body ended by closing the connection (HTTP/1.0 peers)."""

    __slots__ = ()

    def data(self, data: "Any") -> bytes:
        return data if type(data) is bytes else bytes(data)

    def end(self, trailers: "Any") -> bytes:
        if trailers:
            raise LocalProtocolError("trailers need the chunked coding")
        return b""


CLOSE_DELIMITED = CloseDelimitedWriter()


_DIGITS = "0123456789"


def _length_writer(cl: str) -> ContentLengthWriter:
    if not cl or cl.strip(_DIGITS):
        raise LocalProtocolError("invalid Content-Length %r" % (cl,))
    return ContentLengthWriter(int(cl))


def response_framing(
    status: int, headers: "Any", no_body: bool, peer11: bool, keep_alive: bool
) -> "Tuple[Any, str, bool, Any]":
    """(body writer, extra header lines, must close, headers) for a final
    response (RFC 9112 §6.3, seen from the sender)."""
    cl, te, conn, _, _, _ = scan_fields(headers, False)
    tokens = field_tokens(conn)
    close = not keep_alive or "close" in tokens
    extra = ""
    if no_body:
        # HEAD, 204, 304, 2xx to CONNECT (rules 1 and 2): no body; a
        # Content-Length given is the would-be body's and goes out unchanged.
        writer = NO_BODY  # type: Any
    elif cl is not None:
        writer = _length_writer(cl)
    elif peer11:
        if te is None:
            extra = "transfer-encoding: chunked\r\n"
        elif te.lower() != "chunked":
            raise LocalProtocolError("we only send the chunked transfer coding")
        writer = CHUNKED
    else:
        # An HTTP/1.0 peer (or one we know nothing of) cannot read chunked:
        # the body ends when we close (rule 8).
        if te is not None:
            headers = [h for h in headers if h[0].lower() != "transfer-encoding"]
        writer = CLOSE_DELIMITED
        close = True
    # RFC 9112 §9.6: a sender that will close says so with "close", so the
    # client does not send another request into a closing connection.
    if close:
        if "close" not in tokens:
            extra += "connection: close\r\n"
    elif not peer11 and conn is None:
        extra += "connection: keep-alive\r\n"  # RFC 9112 §9.3 (HTTP/1.0)
    return writer, extra, close, headers


def request_framing(method: str, cl: "Optional[str]", te: "Optional[str]") -> "Tuple[Any, str]":
    """(body writer, extra header lines) of a request: Content-Length if given;
    else chunked if Transfer-Encoding is given, or for POST, PUT and PATCH
    (the header is added); else no body (RFC 9112 §6.3 rule 7)."""
    if cl is not None:
        return _length_writer(cl), ""
    if te is not None:
        if te.lower() != "chunked":
            raise LocalProtocolError("we only send the chunked transfer coding")
        return CHUNKED, ""
    # Methods that carry content by definition get chunked framing, so a
    # streamed body needs no length up front; the rest send none.
    if method in ("POST", "PUT", "PATCH"):
        return CHUNKED, "transfer-encoding: chunked\r\n"
    return ContentLengthWriter(0), ""
