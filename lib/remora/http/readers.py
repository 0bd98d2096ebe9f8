"""Bytes in, events out: the receive buffer and the readers of the HTTP/1.1 core.

The contract (as atop h11's ``_readers.py``): a reader is called with the
:class:`ReceiveBuffer`; it returns an event and consumes exactly that event's
bytes, or returns None and consumes nothing it cannot resume from, or raises
RemoteProtocolError.  Readers keep their own small resumable state (a chunk's
bytes left), never a copy of the input, and every quantity they buffer has a
cap from :class:`~remora.http.limits.Limits`.

A head is parsed in one go once its end (CRLF CRLF) is in the buffer: one
find, one split into lines, a fixed number of C-level scans for forbidden
bytes, then a short loop over the field lines.  No regex, no loop per byte.
"""

from .errors import RemoteProtocolError
from .events import Data, EndOfMessage, Request, Response, decode_latin1

try:
    from typing import Any, List, Optional, Tuple

    from .limits import Limits
except ImportError:
    pass

# RFC 9110 §5.6.2: token = 1*tchar.  ``x.strip(_TCHAR)`` is empty exactly when
# every byte of x is a tchar: one C call, no loop.
_TCHAR = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEX = b"0123456789abcdefABCDEF"
_MAX_CHUNK_SIZE_DIGITS = 16  # 64 bits; more is an overflow attempt

# Control bytes allowed nowhere in a head (RFC 9110 §5.5: field values are
# VCHAR, SP, HTAB and obs-text; RFC 9112 §2.2: no bare CR or NUL).  CR and LF
# are counted separately, against the lines found.
if hasattr(bytes, "translate"):
    _CTL = bytes([c for c in range(32) if c not in (9, 10, 13)]) + b"\x7f"

    def has_ctl(raw: bytes) -> bool:
        return len(raw.translate(None, _CTL)) != len(raw)

else:  # MicroPython: strip the allowed bytes; anything left is forbidden.
    _ALLOWED = b"\t\n\r" + bytes(range(32, 127)) + bytes(range(128, 256))

    def has_ctl(raw: bytes) -> bool:
        return bool(raw.strip(_ALLOWED))


def _bad(message: str, status: int = 400) -> RemoteProtocolError:
    return RemoteProtocolError(message, status)


class ReceiveBuffer:
    """The bytes received and not yet consumed: ``data[pos:]``.

    Chunks are kept as immutable bytes with a read offset, so taking body
    bytes is one slice (none when a Data event takes a whole received chunk)
    and the buffer is only compacted when new data arrives.  ``scan`` is where
    the search for the end of a head resumes, so a head that trickles in is
    not searched again from the start each time (h11's _receivebuffer idea).
    """

    __slots__ = ("data", "pos", "scan", "eof")

    def __init__(self) -> None:
        self.data = b""
        self.pos = 0
        self.scan = 0
        self.eof = False

    def __len__(self) -> int:
        return len(self.data) - self.pos

    def feed(self, chunk: "Any") -> None:
        if type(chunk) is not bytes:
            chunk = bytes(chunk)  # a memoryview of the driver's reusable buffer
        if self.pos >= len(self.data):
            self.data = chunk
            self.scan = 0
        else:
            self.data = self.data[self.pos :] + chunk
            self.scan = max(0, self.scan - self.pos)
        self.pos = 0

    def advance(self, end: int) -> None:
        """Consume up to offset ``end`` of ``data``."""
        if end >= len(self.data):
            self.data = b""  # all consumed: let the old bytes go
            self.pos = self.scan = 0
            return
        self.pos = end
        if self.scan < end:
            self.scan = end

    def take(self, size: int) -> bytes:
        """Consume and return the next ``size`` bytes (which must be there)."""
        data = self.data
        pos = self.pos
        end = pos + size
        chunk = data if pos == 0 and end == len(data) else data[pos:end]
        self.advance(end)
        return chunk


def _split_lines(rb: ReceiveBuffer, end: int, limit: int, max_lines: int) -> "List[bytes]":
    # data[pos:end] is a complete block of CRLF-terminated lines (a head
    # without its final empty line); check it as a whole, then split it once.
    block = rb.data[rb.pos : end]
    if len(block) + 2 > limit:
        raise _bad("head too large", 431)
    if has_ctl(block):
        raise _bad("control character in head")
    lines = block.split(b"\r\n")  # the one split: no per-line search
    # RFC 9112 §2.2: a bare CR or LF may be a smuggling attempt; we do not
    # accept LF as a line terminator (strict, unlike the RFC's MAY).
    if block.count(b"\n") != len(lines) - 1 or block.count(b"\r") != len(lines) - 1:
        raise _bad("bare CR or LF in head")
    if len(lines) - 1 > max_lines:
        raise _bad("too many header fields", 431)
    rb.advance(end + 4)
    return lines


def _find_block(rb: ReceiveBuffer, limit: int, line_limit: int) -> int:
    """Offset of the CRLF CRLF that ends the head (or trailer section) at
    ``rb.pos``, or -1 while it is incomplete and still within bounds."""
    data = rb.data
    pos = rb.pos
    start = max(pos, rb.scan)
    end = data.find(b"\r\n\r\n", start)
    if end >= 0:
        return end
    size = len(data) - pos
    if line_limit and size > line_limit:
        # RFC 9112 §3: 414 for a request-line longer than we parse, detected
        # before the rest arrives (we could not buffer it anyway): no CRLF
        # starts within line_limit bytes, and none can (a CR there might be one).
        if data.find(b"\r\n", pos, pos + line_limit + 2) < 0 and (
            size > line_limit + 1 or data[pos + line_limit] != 13
        ):
            raise _bad("request line too long", 414)
    if size > limit + 1:  # +1: the CR of the final CRLF may be here already
        raise _bad("head too large", 431)
    # A bare CR or LF would keep the head from ever completing (or split it
    # differently than a lenient peer would): refuse it now.  Count over the
    # bytes new since the last call, minding a CRLF cut at its start.
    crlf = data.count(b"\r\n", start)
    lf = data.count(b"\n", start) - crlf
    if lf and start > pos and data[start - 1] == 13 and data[start] == 10:
        lf -= 1
    cr = data.count(b"\r", start) - crlf - (1 if data.endswith(b"\r") else 0)
    if lf or cr:
        raise _bad("bare CR or LF in head")
    rb.scan = max(pos, len(data) - 3)
    return -1


def _take_head(rb: ReceiveBuffer, limits: "Limits") -> "Optional[List[bytes]]":
    """The lines of a complete head, or None while it is incomplete."""
    data = rb.data
    pos = rb.pos
    # RFC 9112 §2.2: a server SHOULD ignore at least one empty line received
    # before the request-line (some clients add CRLF after a POST body).
    if data.startswith(b"\r\n", pos):
        while data.startswith(b"\r\n", pos):
            pos += 2
        rb.advance(pos)
    end = _find_block(rb, limits.max_header_bytes, limits.max_request_line)
    if end < 0:
        return None
    return _split_lines(rb, end, limits.max_header_bytes, limits.max_headers)


def parse_fields(lines: "List[bytes]", first: int) -> "List[Tuple[str, str]]":
    """Field lines (RFC 9112 §5) to (lower-case name, value) pairs."""
    fields = []
    for i in range(first, len(lines)):
        line = lines[i]
        colon = line.find(b":")
        name = line[:colon]
        # RFC 9112 §5.1: no whitespace between name and colon (400); §5.2:
        # obs-fold (a line starting with SP or HTAB) is rejected with 400.
        # Both, and an empty name or a line without a colon, fail the token check.
        if colon <= 0 or name.strip(_TCHAR):
            if line[:1] in (b" ", b"\t"):
                raise _bad("obsolete line folding")
            raise _bad("invalid field line")
        # RFC 9110 §5.5: the value excludes leading and trailing whitespace.
        fields.append(
            (name.decode().lower(), decode_latin1(line[colon + 1 :].strip(b" \t")))
        )
    return fields


def _version(raw: bytes) -> str:
    if raw == b"HTTP/1.1":
        return "HTTP/1.1"
    if raw == b"HTTP/1.0":
        return "HTTP/1.0"
    # RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive).
    # A well-formed other major version gets 505 (RFC 9110 §15.6.6); a higher
    # 1.x minor is handled as 1.1 (RFC 9110 §2.5); anything else is garbage.
    if raw.startswith(b"HTTP/"):
        digits = raw[5:]
        if (
            len(digits) == 3
            and digits[:1].isdigit()
            and digits[1:2] == b"."
            and digits[2:].isdigit()
        ):
            if digits[:1] == b"1":
                return "HTTP/1.1"
            raise _bad("HTTP version not supported", 505)
        if len(digits) == 1 and digits.isdigit() and digits != b"1":
            raise _bad("HTTP version not supported", 505)  # "HTTP/2", "HTTP/3"
    raise _bad("invalid HTTP version")


def read_request_head(rb: ReceiveBuffer, limits: "Limits") -> "Optional[Request]":
    """A Request once its head is complete; None while it is not."""
    lines = _take_head(rb, limits)
    if lines is None:
        return None
    line = lines[0]
    if len(line) > limits.max_request_line:
        raise _bad("request line too long", 414)
    # RFC 9112 §3: request-line = method SP request-target SP HTTP-version,
    # single spaces; the target holds no whitespace (§3.2).
    parts = line.split(b" ")
    if len(parts) != 3:
        raise _bad("invalid request line")
    method, target, version = parts
    if not method or method.strip(_TCHAR):
        raise _bad("invalid method")
    if not target or b"\t" in target:
        raise _bad("invalid request target")
    return Request(method.decode(), decode_latin1(target), _version(version), parse_fields(lines, 1))


def read_response_head(rb: ReceiveBuffer, limits: "Limits") -> "Optional[Response]":
    """A Response (1xx included) once its head is complete; None while it is not."""
    lines = _take_head(rb, limits)
    if lines is None:
        return None
    line = lines[0]
    if len(line) > limits.max_request_line:
        raise _bad("status line too long", 414)
    # RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ];
    # some servers omit the second SP when the reason is empty: accept that.
    parts = line.split(b" ", 2)
    if len(parts) < 2:
        raise _bad("invalid status line")
    version = _version(parts[0])
    code = parts[1]
    if len(code) != 3 or not code.isdigit():
        raise _bad("invalid status code")
    reason = decode_latin1(parts[2]) if len(parts) == 3 else ""
    return Response(int(code), parse_fields(lines, 1), reason, version)


class ContentLengthReader:
    """A body of known length (RFC 9112 §6.2); Data as the bytes arrive."""

    __slots__ = ("left",)

    def __init__(self, length: int) -> None:
        self.left = length

    def __call__(self, rb: ReceiveBuffer) -> "Any":
        left = self.left
        if left == 0:
            return EndOfMessage()
        size = len(rb.data) - rb.pos
        if size == 0:
            # RFC 9112 §8: a close before Content-Length bytes is an incomplete message.
            if rb.eof:
                raise _bad("incomplete body (peer closed)")
            return None
        if size > left:
            size = left
        self.left = left - size
        return Data(rb.take(size))


class CloseDelimitedReader:
    """A response body that ends when the peer closes (RFC 9112 §6.3 rule 8)."""

    __slots__ = ("left",)

    def __init__(self, max_body: int) -> None:
        self.left = max_body

    def __call__(self, rb: ReceiveBuffer) -> "Any":
        size = len(rb.data) - rb.pos
        if size:
            # Unknown length is no excuse for an unbounded body.
            if size > self.left:
                raise _bad("body too large", 413)
            self.left -= size
            return Data(rb.take(size))
        if rb.eof:
            return EndOfMessage()
        return None


_SIZE = 0  # expecting a chunk-size line
_CHUNK = 1  # inside a chunk's data
_CHUNK_END = 2  # expecting the CRLF after a chunk's data
_TRAILERS = 3  # after the last-chunk: trailer fields, then CRLF


class ChunkedReader:
    """The chunked transfer coding (RFC 9112 §7.1), resumable at any byte."""

    __slots__ = ("limits", "phase", "left", "total")

    def __init__(self, limits: "Limits") -> None:
        self.limits = limits
        self.phase = _SIZE
        self.left = 0  # bytes of the current chunk not yet delivered
        self.total = 0  # sum of the chunk sizes so far, bounded by max_body

    def __call__(self, rb: ReceiveBuffer) -> "Any":
        while True:
            phase = self.phase
            data = rb.data
            pos = rb.pos
            if phase == _CHUNK:
                size = len(data) - pos
                if size == 0:
                    break
                if size >= self.left:
                    size = self.left
                    self.phase = _CHUNK_END
                self.left -= size
                return Data(rb.take(size))
            if phase == _SIZE:
                end = data.find(b"\r\n", pos)
                if end < 0:
                    if len(data) - pos > self.limits.max_chunk_line + 1:
                        raise _bad("chunk size line too long")
                    break
                if end - pos > self.limits.max_chunk_line:
                    raise _bad("chunk size line too long")
                self._size_line(data[pos:end])
                rb.advance(end + 2)
                continue
            if phase == _CHUNK_END:
                # RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
                if len(data) - pos < 2:
                    if len(data) > pos and data[pos] != 13:
                        raise _bad("missing CRLF after chunk data")
                    break
                if not data.startswith(b"\r\n", pos):
                    raise _bad("missing CRLF after chunk data")
                rb.advance(pos + 2)
                self.phase = _SIZE
                continue
            # _TRAILERS.  RFC 9112 §7.1.2: trailer-section, then the final CRLF.
            if data.startswith(b"\r\n", pos):
                rb.advance(pos + 2)
                return EndOfMessage()
            end = _find_block(rb, self.limits.max_header_bytes, 0)
            if end < 0:
                break
            lines = _split_lines(rb, end, self.limits.max_header_bytes, self.limits.max_headers - 1)
            return EndOfMessage(parse_fields(lines, 0))
        if rb.eof:
            raise _bad("incomplete chunked body (peer closed)")
        return None

    def _size_line(self, line: bytes) -> None:
        semi = line.find(b";")
        if semi >= 0:
            # RFC 9112 §7.1.1: chunk extensions are ignored, but they are
            # still part of the framing: refuse control bytes (a bare LF here
            # is a known smuggling trick).
            ext = line[semi:]
            if has_ctl(ext) or b"\r" in ext or b"\n" in ext:
                raise _bad("invalid chunk extension")
            line = line[:semi].rstrip(b" \t")  # BWS before ';'
        # chunk-size = 1*HEXDIG: no sign, no 0x, no spaces, bounded length.
        if not line or len(line) > _MAX_CHUNK_SIZE_DIGITS or line.strip(_HEX):
            raise _bad("invalid chunk size")
        size = int(line, 16)
        self.total += size
        if self.total > self.limits.max_body:
            raise _bad("body too large", 413)
        if size:
            self.left = size
            self.phase = _CHUNK
        else:
            self.phase = _TRAILERS
