"""The chunked transfer coding on receive (RFC 9112 §7.1): Transfer-Encoding
judged, then chunk-size lines, chunk data, and the trailer section.

Part of the :class:`~remora.proto.http.readers.Reader`'s work, loaded by it
with the first message that is sent chunked: a board that never receives
one never holds these objects in its heap.  The reading is resumable at any
byte (one mode per place it can stop, kept in ``Reader.mode``) and bounded:
a size line by ``max_chunk_line``, the chunks' sum by the message's body
cap, the trailers like a head.  The grammar is applied exactly: smuggling
corpora probe every place where a lenient parser and a strict one frame a
body differently (a bare LF, a sign, "0x", an unterminated quoted string).
"""

from .events import EndOfMessage, RemoteProtocolError
from .fields import TCHAR, has_ctl, parse_fields

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any

# The Reader's modes while a chunked body is read (readers.py's own two
# modes are 0 and 1; it hands every mode from SIZE up to body() here).
_SIZE = const(2)  # expecting a chunk-size line
_CHUNK = const(3)  # inside a chunk's data (left: its bytes not yet delivered)
_CHUNK_END = const(4)  # expecting the CRLF after a chunk's data
_TRAILERS = const(5)  # after the last-chunk: trailer fields, then CRLF

_HEX = const(b"0123456789abcdefABCDEF")

# The end of a body without trailers: shared, never modified (as readers.py's).
_END = EndOfMessage()
_MAX_SIZE_DIGITS = const(16)  # 64 bits, leading zeros aside; more is an overflow attempt

_MESSAGES = const(
    "Transfer-Encoding in an HTTP/1.0 message\n"
    "chunked is not the final transfer coding\n"
    "unsupported transfer coding\n"
    "body too large\n"
    "incomplete body (peer closed)\n"
    "chunk size line too long\n"
    "missing CRLF after chunk data\n"
    "invalid chunk extension\n"
    "invalid chunk size\n"
)
_E_TE_10 = const(0)
_E_TE_FINAL = const(1)
_E_TE = const(2)
_E_BODY_SIZE = const(3)
_E_CUT = const(4)
_E_LINE = const(5)
_E_CRLF = const(6)
_E_EXT = const(7)
_E_SIZE = const(8)


def _bad(index: int, status: int = 400) -> RemoteProtocolError:
    return RemoteProtocolError(_MESSAGES.split("\n")[index], status)


def frame(rb: "Any", te: str, http10: bool) -> None:
    """Judge a Transfer-Encoding field (its lines joined with ","), and
    set rb to read a chunked body; raise when it cannot be read."""
    # RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
    if http10:
        raise _bad(_E_TE_10)
    # RFC 9110 §5.6.1: a list; empty elements are ignored.
    codings = []
    for item in te.lower().split(","):
        item = item.strip(" \t")
        if item:
            codings.append(item)
    # RFC 9112 §6.3 rule 4: chunked must be the final coding, else the body's
    # length cannot be known: 400, and the connection closes.  §7.1: it is
    # applied once, and takes no parameters ("chunked;x=1" is not it).
    if not codings or codings[-1] != "chunked" or "chunked" in codings[:-1]:
        raise _bad(_E_TE_FINAL)
    if len(codings) > 1:
        # RFC 9112 §6.1: 501 for a coding we do not implement (we implement
        # none but chunked); 400 when it is not even a transfer-coding
        # (a token, then parameters we need not read).
        for item in codings[:-1]:
            name = item.split(";", 1)[0].rstrip(" \t").encode()
            if not name or name.strip(TCHAR):
                raise _bad(_E_TE_FINAL)
        raise _bad(_E_TE, 501)
    rb.mode = _SIZE


def body(rb: "Any") -> "Any":
    """The next Data or EndOfMessage of a chunked body, or None for more bytes."""
    limits = rb.limits
    while True:
        mode = rb.mode
        data = rb.data
        pos = rb.pos
        if mode == _CHUNK:
            size = len(data) - pos
            if size == 0:
                break
            if size >= rb.left:
                size = rb.left
                rb.mode = _CHUNK_END
            rb.left -= size
            return rb.take(size)
        if mode == _SIZE:
            end = data.find(b"\r\n", pos)
            if (end if end >= 0 else len(data) - 1) - pos > limits.max_chunk_line:
                raise _bad(_E_LINE)
            if end < 0:
                break
            size = _chunk_size(data[pos:end])
            rb.total += size
            if rb.total > rb.cap:
                raise _bad(_E_BODY_SIZE, 413)
            rb.left = size
            rb.mode = _CHUNK if size else _TRAILERS
            rb.advance(end + 2)
            continue
        if mode == _CHUNK_END:
            # RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF;
            # anything else after the data (a bare LF, more data) is refused
            # as soon as its first byte shows it.
            if not data.startswith(b"\r\n"[: len(data) - pos], pos):
                raise _bad(_E_CRLF)
            if len(data) - pos < 2:
                break
            rb.advance(pos + 2)
            rb.mode = _SIZE
            continue
        # _TRAILERS.  RFC 9112 §7.1.2: trailer-section, then the final CRLF.
        if data.startswith(b"\r\n", pos):
            rb.advance(pos + 2)
            return _END
        end = rb.find_block(0)
        if end < 0:
            break
        return EndOfMessage(parse_fields(rb.split_lines(end, 0), 0))
    if rb.eof:
        raise _bad(_E_CUT)
    return None


def _chunk_size(line: bytes) -> int:
    # The size of a chunk-size line (without its CRLF), its extensions checked.
    semi = line.find(b";")
    if semi >= 0:
        # RFC 9112 §7.1.1: extensions are ignored, but they are still part
        # of the framing: checked to the grammar.
        if not _valid_extensions(line, semi):
            raise _bad(_E_EXT)
        line = line[:semi].rstrip(b" \t")  # BWS before ";"
    # chunk-size = 1*HEXDIG: no sign, no "0x", no spaces, and no more than
    # 64 bits (RFC 9112 §7.1: a recipient must anticipate overflow).
    if not line or line.strip(_HEX):
        raise _bad(_E_SIZE)
    if len(line) > _MAX_SIZE_DIGITS and len(line.lstrip(b"0")) > _MAX_SIZE_DIGITS:
        raise _bad(_E_SIZE)
    return int(line, 16)


def _valid_extensions(line: bytes, i: int) -> bool:
    """Whether line[i:] is chunk-ext: *( BWS ";" BWS chunk-ext-name
    [ BWS "=" BWS chunk-ext-val ] ), a name a token, a value a token or a
    quoted-string (RFC 9110 §5.6.4), and nothing after the last one."""
    # No control byte anywhere (HTAB aside): a bare CR or LF here is a known
    # smuggling trick, and quoted text holds none either (qdtext, quoted-pair).
    if has_ctl(line) or b"\r" in line or b"\n" in line:
        return False
    n = len(line)
    while True:
        i = _skip_space(line, i)
        if i == n:
            return True
        if line[i] != 59:  # ";"
            return False
        start = i = _skip_space(line, i + 1)
        while i < n and line[i] in TCHAR:
            i += 1
        if i == start:
            return False  # no name
        i = _skip_space(line, i)
        if i == n or line[i] != 61:  # "="
            continue
        start = i = _skip_space(line, i + 1)
        if i < n and line[i] == 34:  # DQUOTE
            i += 1
            while True:
                if i >= n:
                    return False  # unterminated
                c = line[i]
                if c == 34:
                    break
                i += 2 if c == 92 else 1  # "\" quotes the next byte
            i += 1
        else:
            while i < n and line[i] in TCHAR:
                i += 1
            if i == start:
                return False  # "=" without a value
        # What follows must be BWS, then ";" or the end (the loop's top).


def _skip_space(line: bytes, i: int) -> int:
    n = len(line)
    while i < n and (line[i] == 32 or line[i] == 9):
        i += 1
    return i

