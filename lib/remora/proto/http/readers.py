"""Bytes in, events out: the receive buffer and the readers of the HTTP/1.1 core.

The contract (as atop h11's ``_readers.py``): a read returns an event and
consumes exactly that event's bytes, or returns None and consumes nothing it
cannot resume from, or raises RemoteProtocolError.  The :class:`Reader` keeps
the buffer and the small resumable state of the body being read (a chunk's
bytes left), never a copy of the input, and every quantity it buffers has a
cap from :class:`~remora.proto.http.limits.Limits`.

A head is parsed in one go once its end (CRLF CRLF) is in the buffer: one
find, one split into lines, a fixed number of C-level scans for forbidden
bytes, then a short loop over the field lines.  No regex, no loop per byte.
A body framed by Content-Length, or by the close, is read here; the chunked
coding in :mod:`.chunked`, loaded with the first chunked body.  A response's
status line is the client's to read (client.py: a server never needs it).
"""

from .events import Data, EndOfMessage, RemoteProtocolError
from .fields import MEMO_LINE, MEMO_SIZE, TCHAR, decode_latin1, has_ctl, parse_fields, parse_version
from .fields import valid_host

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional

# How the body being read is framed.  The chunked coding has modes of its
# own (chunked.py), numbered from _CHUNKED up.
_LENGTH = const(0)  # left: bytes still due (0: no body)
_CLOSE = const(1)  # runs until the peer closes; left: bytes still allowed
_CHUNKED = const(2)  # chunked.SIZE, the first of chunked.py's modes

# The messages of the errors raised here, by number, one per line: one str
# costs a board far less heap than a constant per message.
_MESSAGES = const(
    "invalid Content-Length\n"
    "conflicting Content-Length values\n"
    "body too large\n"
    "request or status line too long\n"
    "head too large\n"
    "bare CR or LF in head\n"
    "control character in head\n"
    "too many header fields\n"
    "invalid request line\n"
    "invalid method\n"
    "invalid request target\n"
    "both Transfer-Encoding and Content-Length\n"
    "incomplete body (peer closed)\n"
)
_E_CL = const(0)
_E_CL_CONFLICT = const(1)
_E_BODY_SIZE = const(2)
_E_LINE_SIZE = const(3)
_E_HEAD_SIZE = const(4)
_E_BARE_CRLF = const(5)
_E_CTL = const(6)
_E_FIELDS = const(7)
_E_REQUEST_LINE = const(8)
_E_METHOD = const(9)
_E_TARGET = const(10)
_E_TE_CL = const(11)
_E_CUT = const(12)

# chunked.py, loaded with the first chunked body (none sent: none in the heap).
_chunked = None  # type: Any


# The end of a body without trailers: one shared event, never modified,
# instead of a new object per request.
_END = EndOfMessage()


def _bad(index: int, status: int = 400) -> RemoteProtocolError:
    return RemoteProtocolError(_MESSAGES.split("\n")[index], status)


# RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
_SCHEME = const(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")


def _target_form(method: bytes, target: bytes) -> bool:
    """Whether a request-target has the form RFC 9112 §3.2 allows this
    method: origin-form ("/..."), absolute-form (any method, §3.2.2),
    authority-form (CONNECT, and CONNECT only, §3.2.3), asterisk-form
    (OPTIONS only, §3.2.4).  The target is visible ASCII (checked before)."""
    if method == b"CONNECT":
        # §3.2.3: authority-form = uri-host ":" port; RFC 9110 §9.3.6: the
        # port is never elided (there is no default port for a tunnel).
        colon = target.rfind(b":")
        return colon > 0 and target[colon + 1 :].isdigit() and valid_host(target.decode())
    if target[0] == 47:  # "/"
        return True
    if target == b"*":
        return method == b"OPTIONS"
    sep = target.find(b"://")
    if sep <= 0 or not target[:1].isalpha() or target[:sep].strip(_SCHEME):
        return False
    # The authority, up to the path or query: a valid host (RFC 9110 §4.2.4:
    # userinfo is an error; "@" is not a host byte), not empty for http and
    # https (§4.2.1: such a URI "MUST" be rejected as invalid).
    end = len(target)
    for stop in (b"/", b"?"):
        cut = target.find(stop, sep + 3)
        if 0 <= cut < end:
            end = cut
    authority = target[sep + 3 : end].decode()
    if not authority and target[:sep].lower() in (b"http", b"https"):
        return False
    return valid_host(authority)


def _content_length(cl: str) -> int:
    # RFC 9110 §8.6: Content-Length = 1*DIGIT.  A list of identical values
    # (repeated lines or "5, 5") may be collapsed to one; differing values
    # are an unrecoverable framing error (RFC 9112 §6.3 rule 5).
    length = -1
    for item in cl.split(","):
        item = item.strip(" \t")
        if not item or item.strip("0123456789"):
            raise _bad(_E_CL)
        # RFC 9110 §8.6: a recipient must anticipate large numbers and
        # prevent overflow; more than 18 digits (leading zeros aside)
        # is no length any peer means (10**18 bytes): invalid, 400.
        if len(item) > 18 and len(item.lstrip("0")) > 18:
            raise _bad(_E_CL)
        number = int(item)
        if length >= 0 and number != length:
            raise _bad(_E_CL_CONFLICT)
        length = number
    return length


class Reader:
    """The bytes received and not yet consumed (``data[pos:]``), and the
    framing of the body being read.

    Chunks are kept as immutable bytes with a read offset, so taking body
    bytes is one slice (none when a Data event takes a whole received chunk)
    and the buffer is only compacted when new data arrives.  ``scan`` is where
    the search for the end of a head resumes, so a head that trickles in is
    not searched again from the start each time (h11's _receivebuffer idea).
    """

    def __init__(self, limits: "Any") -> None:
        self.limits = limits
        self.data = b""
        self.pos = 0
        self.scan = 0
        self.eof = False
        self.mode = _LENGTH
        self.left = 0  # see the modes
        self.total = 0  # sum of the chunk sizes so far, bounded by cap
        # The largest body of the message being read: the limits' max_body
        # unless the driver set this message's own (limit, before its first
        # body event: a server route that streams a large body).
        self.cap = limits.max_body

    def feed(self, data: "Any") -> None:
        if type(data) is not bytes:
            data = bytes(data)  # a memoryview of the driver's reusable buffer
        if self.pos >= len(self.data):
            self.data = data
            self.scan = 0
        else:
            self.data = self.data[self.pos :] + data
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

    def take(self, size: int) -> "Data":
        """Consume the next ``size`` bytes (which must be there) as Data."""
        data = self.data
        pos = self.pos
        end = pos + size
        self.advance(end)
        return Data(data if pos == 0 and end == len(data) else data[pos:end])

    # -- heads ------------------------------------------------------------------------

    def find_block(self, start: int) -> int:
        """Offset of the CRLF CRLF that ends the head (``start`` 1: it starts
        with a start line) or trailer section (0) at ``pos``, or -1 while it is
        incomplete and still within bounds."""
        data = self.data
        pos = self.pos
        limits = self.limits
        limit = limits.max_header_bytes
        line_limit = limits.max_request_line if start else 0
        scan = max(pos, self.scan)
        end = data.find(b"\r\n\r\n", scan)
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
                raise _bad(_E_LINE_SIZE, 414)
        if size > limit + 1:  # +1: the CR of the final CRLF may be here already
            raise _bad(_E_HEAD_SIZE, 431)
        # A bare CR or LF would keep the head from ever completing (or split it
        # differently than a lenient peer would): refuse it now.  Count over the
        # bytes new since the last call, minding a CRLF cut at its start.
        crlf = data.count(b"\r\n", scan)
        lf = data.count(b"\n", scan) - crlf
        if lf and scan > pos and data[scan - 1] == 13 and data[scan] == 10:
            lf -= 1
        cr = data.count(b"\r", scan) - crlf - (1 if data.endswith(b"\r") else 0)
        if lf or cr:
            raise _bad(_E_BARE_CRLF)
        self.scan = max(pos, len(data) - 3)
        return -1

    def split_lines(self, end: int, start: int) -> "List[bytes]":
        # data[pos:end] is a complete block of CRLF-terminated lines (a head
        # without its final empty line, or a trailer section); check it as a
        # whole, then split it once.  Field lines start at lines[start].
        block = self.data[self.pos : end]
        if len(block) + 2 > self.limits.max_header_bytes:
            raise _bad(_E_HEAD_SIZE, 431)
        lines = block.split(b"\r\n")  # the one split: no per-line search
        # RFC 9112 §2.2: a bare CR or LF may be a smuggling attempt; we do not
        # accept LF as a line terminator (strict, unlike the RFC's MAY).
        if block.count(b"\n") != len(lines) - 1 or block.count(b"\r") != len(lines) - 1:
            raise _bad(_E_BARE_CRLF)
        # Other control bytes: DEL here, in one find; the rest line by line
        # as the lines are read (parse_fields, and the start lines below),
        # where a line already seen needs no check.
        if b"\x7f" in block:
            raise _bad(_E_CTL)
        if len(lines) - start > self.limits.max_headers:
            raise _bad(_E_FIELDS, 431)
        self.advance(end + 4)
        return lines

    def head_lines(self) -> "Any":
        # The lines of the head at pos once it is complete (checked), else None.
        data = self.data
        pos = self.pos
        # RFC 9112 §2.2: a server SHOULD ignore at least one empty line received
        # before the request-line (some clients add CRLF after a POST body).
        if data.startswith(b"\r\n", pos):
            while data.startswith(b"\r\n", pos):
                pos += 2
            self.advance(pos)
        end = data.find(b"\r\n\r\n", self.scan if self.scan > pos else pos)
        if end < 0:
            end = self.find_block(1)  # not there yet: its checks, then None
            if end < 0:
                return None
        lines = self.split_lines(end, 1)
        if len(lines[0]) > self.limits.max_request_line:
            raise _bad(_E_LINE_SIZE, 414)
        return lines

    def request_head(self, make: "Any", found: "Any") -> "Any":
        """A request head made into ``make(method, target, version, headers)``
        (a RequestHead, or the driver's own request class); None while the
        head is incomplete.  The fields that matter to framing are noted in
        ``found`` (a list of fields.SLOTS) while the fields are parsed: no
        second pass."""
        # (Few locals, shallow expressions: a frame on MicroPython's C stack.)
        lines = self.head_lines()
        if lines is None:
            return None
        # A request line seen before (a client asking for the same page
        # again) is one lookup in the memo of start lines.
        known = self.limits.starts.get(lines[0])
        if known is None:
            known = self._request_line(lines[0])
        lines = parse_fields(lines, 1, found, self.limits.fields)
        return make(known[0], known[1], known[2], lines)

    def _request_line(self, line: bytes) -> "Any":
        # (method, target, version) of a request line, checked, and kept in
        # the memo of start lines when short enough.
        if min(line) < 32 and has_ctl(line):
            raise _bad(_E_CTL)
        # RFC 9112 §3: request-line = method SP request-target SP HTTP-version,
        # single spaces; the target holds no whitespace (§3.2).
        parts = line.split(b" ")
        if len(parts) != 3:
            raise _bad(_E_REQUEST_LINE)
        method, target, version = parts
        if not method or method.strip(TCHAR):
            raise _bad(_E_METHOD)
        # RFC 9112 §3.2: visible ASCII only (no HTAB, obs-text or "#": a
        # fragment is never sent), in one of the four forms.
        if not target or b"\t" in target or b"#" in target or max(target) > 126:
            raise _bad(_E_TARGET)
        if not _target_form(method, target):
            raise _bad(_E_TARGET)
        known = (method.decode(), decode_latin1(target), parse_version(version))
        starts = self.limits.starts
        if len(line) <= MEMO_LINE:
            if len(starts) >= MEMO_SIZE:
                starts.clear()
            starts[line] = known
        return known

    # -- bodies -----------------------------------------------------------------------

    def frame(self, cl: "Optional[str]", te: "Optional[str]", http10: bool, close: bool) -> bool:
        """Read the body these framing headers announce (RFC 9112 §6.3).

        With neither header there is no body (a request, rule 7), or with
        ``close`` one that runs until the peer closes (a response, rule 8):
        then True is returned.
        """
        # (Chunked and Content-Length apart: a frame on MicroPython's C stack.)
        self.total = 0
        self.cap = self.limits.max_body
        if te is not None:
            self._frame_chunked(cl, te, http10)
            return False
        if cl is None and close:
            # Unknown length is no excuse for an unbounded body.
            self.mode = _CLOSE
            self.left = self.cap
            return True
        self.mode = _LENGTH
        self.left = 0
        if cl is not None:
            # Over the cap: refused by the first body event (body()), after
            # which the driver may still set this message's cap (limit()).
            self.left = _content_length(cl)
        return False

    def _frame_chunked(self, cl: "Optional[str]", te: str, http10: bool) -> None:
        global _chunked
        # Rule 3: both present is a request smuggling attempt: rejected (the
        # RFC's other choice would serve what a proxy may have framed otherwise).
        if cl is not None:
            raise _bad(_E_TE_CL)
        if _chunked is None:
            from . import chunked

            _chunked = chunked
        _chunked.frame(self, te, http10)  # its modes from here on

    def limit(self, cap: int) -> None:
        """The largest body of this message: ``cap`` instead of max_body
        (before its first body event; a server route that streams)."""
        self.cap = cap
        if self.mode == _CLOSE:
            self.left = cap

    def body(self) -> "Any":
        """The next Data or EndOfMessage of the body, or None for more bytes."""
        size = len(self.data) - self.pos
        mode = self.mode
        if mode == _LENGTH:
            # RFC 9112 §6.2: the body is exactly Content-Length bytes.
            left = self.left
            if left == 0:
                return _END
            if left > self.cap:
                # Refused from the head alone, before any body is buffered
                # (left only shrinks, and never past the cap once read).
                raise _bad(_E_BODY_SIZE, 413)
            if size == 0:
                # RFC 9112 §8: a close before Content-Length bytes is an incomplete message.
                if self.eof:
                    raise _bad(_E_CUT)
                return None
            if size > left:
                size = left
            self.left = left - size
            return self.take(size)
        if mode == _CLOSE:
            if size:
                if size > self.left:
                    raise _bad(_E_BODY_SIZE, 413)
                self.left -= size
                return self.take(size)
            return _END if self.eof else None
        # Modes from _CHUNKED up: the chunked transfer coding (RFC 9112
        # §7.1), whose module frame() loaded.
        return _chunked.body(self)


