"""Events in, bytes out: head serialisation and the framing of our bodies.

A head is built as one ``str`` and encoded once.  Field names and values are
not re-validated field by field (that is the caller's job, and a cost on
every response); the one check that matters for safety is made on the whole
head: a CR, LF or NUL smuggled into a name or value would split the message
(response splitting, RFC 9112 §2.2 and RFC 9110 §5.5), so it raises
LocalProtocolError.

The framing of our response says how its body is delimited, as one int the
core keeps: bytes still allowed by a Content-Length (0: no body), or CHUNKED,
or UNTIL_CLOSE; the core turns Data into wire bytes with it.  (A request's
framing is in :mod:`.client`, loaded only by clients.)
"""

from .events import LocalProtocolError
from .fields import CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING, field_tokens

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

# Our body framing, when not a Content-Length (else the bytes left of it).
CHUNKED = const(-1)  # RFC 9112 §7.1
UNTIL_CLOSE = const(-2)  # RFC 9112 §6.3 rule 8

# Why a head cannot be sent: a CR, LF or NUL would split it (response
# splitting, RFC 9112 §2.2), or a char has no latin-1 byte (RFC 9110 §5.5).
BAD_HEAD = const("CR, LF or NUL in a start line or header field, or text that is not latin-1")


def write_head(
    start: str, headers: "Any", extra: "Optional[str]", date: "Optional[str]" = None
) -> bytes:
    """``start`` (a CRLF-terminated start line), the fields, ``extra`` (ready
    CRLF-terminated field lines the core adds), a Date field when ``date``
    is given, and the final empty line."""
    head = build_head(start, headers, extra, date)
    if head is None:
        raise LocalProtocolError(BAD_HEAD)
    return head


def build_head(
    start: str, headers: "Any", extra: "Optional[str]", date: "Optional[str]" = None
) -> "Any":
    """Same as :func:`write_head`, but None for a head that cannot be sent
    (see BAD_HEAD) instead of the error: the core's caller needs no try
    block (7 words of a MicroPython frame)."""
    # One str, one encode: cheaper than encoding every field on its own; and
    # the pieces go into the list as they are, with no str made per field.
    # (A while loop over indices, few locals and the try blocks in _encode:
    # this frame stays within the 11 words MicroPython keeps on the C stack.)
    parts = [start]  # type: List[Any]  # (a name or value may not be a str)
    i = len(headers)  # counting down by negative indices: one len() call
    while i:
        field = headers[-i]
        parts.append(field[0])
        parts.append(": ")
        parts.append(field[1])
        parts.append("\r\n")
        i -= 1
    # Every line we meant to write ends in CRLF: start line, fields, extra,
    # final empty line.  Any other CR or LF came from a caller's string.
    i = len(headers) + 2
    if extra:
        parts.append(extra)
        i += extra.count("\n")
    if date:
        parts.append("date: ")
        parts.append(date)
        parts.append("\r\n")
        i += 1
    parts.append("\r\n")
    return _encode(parts, i)


def _encode(parts: "Any", lines: int) -> "Any":
    # The head's pieces joined, checked (``lines`` CRLF and no other CR, LF
    # or NUL) and encoded; or None (see BAD_HEAD).  (parts
    # becomes the text, then the bytes: two locals, so that the try blocks
    # leave this frame on the C stack.)
    try:
        parts = "".join(parts)
    except TypeError:
        parts = _as_text(parts)
    if parts.count("\n") != lines or parts.count("\r") != lines or "\x00" in parts:
        return None
    lines = len(parts)
    try:
        parts = parts.encode("latin-1")
    except UnicodeError:
        return None
    if len(parts) == lines:
        return parts
    # MicroPython encodes every encoding as UTF-8: map the chars by hand.
    return _latin1(parts.decode())


def _as_text(parts: "List[Any]") -> str:
    # A name or value that is not a str (an int, say): as "%s" prints it.
    return "".join([str(p) for p in parts])


def _latin1(text: str) -> "Any":
    try:
        return bytes(map(ord, text))
    except ValueError:
        return None


def response_framing(
    found: "Any",
    headers: "Any",
    no_body: bool,
    peer11: bool,
    keep_alive: bool,
    length: "Optional[int]" = None,
) -> "Tuple[int, str, bool, Any]":
    """(framing, extra header lines, must close, headers) for a final
    response (RFC 9112 §6.3, seen from the sender), given ``found``, the
    headers' scan_fields.  ``length``: the body's size, sent as
    Content-Length when the headers have none."""
    cl, te, conn = found[CONTENT_LENGTH], found[TRANSFER_ENCODING], found[CONNECTION]
    tokens = field_tokens(conn)
    close = not keep_alive or "close" in tokens
    extra = ""
    if length is not None and cl is None and te is None:
        # RFC 9110 §8.6: the size of the body we send (a HEAD's would-be body).
        extra = "content-length: %d\r\n" % length
        framing = 0 if no_body else length
    elif no_body:
        # HEAD, 204, 304, 2xx to CONNECT (rules 1 and 2): no body; a
        # Content-Length given is the would-be body's and goes out unchanged.
        framing = 0
    elif cl is not None:
        if not cl or cl.strip("0123456789"):
            raise LocalProtocolError("invalid Content-Length %r" % (cl,))
        framing = int(cl)
    elif peer11:
        if te is None:
            extra = "transfer-encoding: chunked\r\n"
        elif te.lower() != "chunked":
            raise LocalProtocolError("we only send the chunked transfer coding")
        framing = CHUNKED
    else:
        # An HTTP/1.0 peer (or one we know nothing of) cannot read chunked:
        # the body ends when we close (rule 8).
        if te is not None:
            kept = []
            for field in headers:
                if field[0].lower() != "transfer-encoding":
                    kept.append(field)
            headers = kept
        framing = UNTIL_CLOSE
        close = True
    # RFC 9112 §9.6: a sender that will close says so with "close", so the
    # client does not send another request into a closing connection.
    if close:
        if "close" not in tokens:
            extra += "connection: close\r\n"
    elif not peer11 and conn is None:
        extra += "connection: keep-alive\r\n"  # RFC 9112 §9.3 (HTTP/1.0)
    return framing, extra, close, headers
