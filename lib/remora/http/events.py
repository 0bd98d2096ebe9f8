"""The vocabulary of the HTTP/1.1 core: the events ``next_event()`` returns and
``send()`` takes, the two sentinels, the errors, and the header helpers.

Events are small plain classes that compare equal when their type and fields
match.  Header lists hold (name, value) ``str`` pairs; on receive the names
are lower-cased and both are decoded as latin-1 (RFC 9110 §5.5: field values
are octets, historically ISO-8859-1).  Versions are the protocol strings
``"HTTP/1.1"`` and ``"HTTP/1.0"``.

Two sentinels are not events: :data:`NEED_DATA` (feed more bytes with
``receive_data``) and :data:`PAUSED` (a message is complete; the next one
waits until ``start_next_cycle()``).

Errors: two kinds of failure, kept apart as h11 keeps them apart.

* :class:`RemoteProtocolError`: the peer sent something the protocol forbids
  (a malformed head, a smuggling attempt, a body over the limit).  ``status``
  is the status code a server should reply with (400, 413, 414, 431, 501,
  505).  After one is raised the peer's state is ERROR and the connection must
  close once the reply (if any) has been sent.
* :class:`LocalProtocolError`: our own code misused the API (Data past the
  Content-Length, a response before a request, a header with CR or LF in it).
  It is a bug in the caller; our state becomes ERROR.

The message (``str(exc)``) is for logs only: never echo it to the peer
(STYLE.md, point 6).

The limits (:class:`Limits`) live here too: every module and class costs
heap on a board, so the core's small pieces share modules.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple


class ProtocolError(Exception):
    """Base class: ``status`` is an HTTP status hint for the reply."""

    status = 400

    def __init__(self, message: str = "protocol error", status: int = 0) -> None:
        super().__init__(message)
        if status:
            self.status = status


class RemoteProtocolError(ProtocolError):
    """The peer violated HTTP/1.1; reply with ``status`` and close."""


class LocalProtocolError(ProtocolError):
    """We misused the API (a bug on our side); ``status`` is 500."""

    status = 500


# Compared with ``is``: one object each, never an event.  Interned strings
# cost a board nothing beyond their name.
NEED_DATA = "NEED_DATA"
PAUSED = "PAUSED"


class Event:
    """Base class; events compare equal when their type and fields match.

    No ``__slots__``: the fields are the instance dict, which both runtimes
    compare in one C call.  Mutable, so unhashable on CPython (defining
    ``__eq__`` does that), like h11's events.
    """

    def __eq__(self, value: "Any") -> bool:
        return type(value) is type(self) and value.__dict__ == self.__dict__

    def __repr__(self) -> str:
        return "%s%r" % (type(self).__name__, self.__dict__)


class Request(Event):
    """A request head.  ``target`` is the request-target as sent (RFC 9112 §3.2)."""

    def __init__(
        self, method: str, target: str, version: str = "HTTP/1.1", headers: "Any" = None
    ) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = [] if headers is None else headers  # type: List[Tuple[str, str]]


class Response(Event):
    """A response head; a status below 200 is an informational (1xx) response."""

    def __init__(
        self, status: int, headers: "Any" = None, reason: str = "", version: str = "HTTP/1.1"
    ) -> None:
        self.status = status
        self.headers = [] if headers is None else headers  # type: List[Tuple[str, str]]
        self.reason = reason
        self.version = version


class Data(Event):
    """A piece of a message body, delivered as it arrives."""

    def __init__(self, data: "Any") -> None:
        self.data = data  # type: bytes


class EndOfMessage(Event):
    """The end of a message; ``trailers`` are the chunked trailer fields, if any."""

    def __init__(self, trailers: "Optional[List[Tuple[str, str]]]" = None) -> None:
        self.trailers = trailers


class ConnectionClosed(Event):
    """The peer closed its side (EOF) between messages."""


# -- header fields ------------------------------------------------------------------

# Field name -> its slot in the tuple scan_fields returns.
_SPECIAL = {
    "content-length": 0,
    "transfer-encoding": 1,
    "connection": 2,
    "host": 3,
    "expect": 4,
    "upgrade": 5,
    "date": 6,
}
_SPECIAL_SIZES = const((14, 17, 10, 4, 6, 7))

# What scan_fields returns when no field matters: shared, never modified.
NO_FIELDS = const((None, None, None, 0, None, False, None, None))


def field_tokens(value: "Optional[str]") -> "Any":
    """A comma-separated list of case-insensitive tokens (RFC 9110 §5.6.1),
    as a list; an absent field gives the empty tuple (nothing allocated)."""
    if value is None:
        return ()
    tokens = value.lower().split(",")
    for i in range(len(tokens)):
        tokens[i] = tokens[i].strip(" \t")
    return tokens


def scan_fields(headers: "Any") -> "Any":
    """[content-length, transfer-encoding, connection, Host count, expect,
    has upgrade, Host value, date] of a header list (see :func:`note_field`),
    read-only; a name not found as it is gets lower-cased only when its
    length matches, and a list is made only when a field is found."""
    found = None  # type: Any
    get = _SPECIAL.get
    for name, value in headers:
        code = get(name)
        if code is None:
            if len(name) not in _SPECIAL_SIZES:
                continue
            code = get(name.lower())
            if code is None:
                continue
        if found is None:
            found = list(NO_FIELDS)
        note_field(found, code, value)
    return NO_FIELDS if found is None else found


def note_field(found: "List[Any]", code: int, value: str) -> None:
    """Record a field that matters to framing in ``found`` (see scan_fields).

    Repeated list fields are joined (RFC 9110 §5.3: repeated field lines
    combine into one comma-separated list) so that "chunked" on two lines,
    or two Content-Length lines, are judged as one value; Host is counted,
    not joined, because two of them is itself the error."""
    if code < 3:
        old = found[code]
        found[code] = value if old is None else old + "," + value
    elif code == 3:
        found[3] += 1
        found[6] = value
    elif code == 4:
        found[4] = value
    elif code == 5:
        found[5] = True
    else:
        found[7] = value  # Date


# RFC 9110 §5.6.2: token = 1*tchar.  ``x.strip(TCHAR)`` is empty exactly when
# every byte of x is a tchar: one C call, no loop.
#
# MicroPython's strip looks every byte up in the set from the set's start, so
# the sets here list the bytes of typical heads first (on CPython the order
# does not matter).
TCHAR = const(b"etaonrsicdlhugpmfyvbkwxjqz-TAOCGEPHLUDRSKMINFXJVWBYQZ0123456789!#$%&'*+.^_`|~")

# Control bytes allowed nowhere in a head (RFC 9110 §5.5: field values are
# VCHAR, SP, HTAB and obs-text; RFC 9112 §2.2: no bare CR or NUL).  CR and LF
# are counted separately, against the lines found.
if hasattr(bytes, "translate"):
    _CTL = const(
        b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
        b"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"
    )

    def has_ctl(raw: bytes) -> bool:
        return len(raw.translate(None, _CTL)) != len(raw)

    def lines_have_ctl(block: bytes, lines: "List[bytes]") -> bool:
        """has_ctl for a block already split into its lines (CR LF removed)."""
        return has_ctl(block)

else:  # MicroPython: strip the allowed bytes; anything left is forbidden.
    _ALLOWED = (
        b"etaonrsicdlhugpmfyvbkwxjqz /.:-0123456789,;=TAOCGEPHLUDRSKMINFXJVWBYQZ\r\n()_*?&%+\t"
        b"!#$'^`|~\"<>@[\\]{}" + bytes(range(128, 256))
    )

    def has_ctl(raw: bytes) -> bool:
        return bool(raw.strip(_ALLOWED))

    def lines_have_ctl(block: bytes, lines: "List[bytes]") -> bool:
        """has_ctl for a block already split into its lines (CR LF removed).

        min() is one C loop per line: only a line with a byte below 0x20 (an
        HTAB, or a control byte) takes the slower strip; DEL is one find."""
        if b"\x7f" in block:
            return True
        for line in lines:
            if line and min(line) < 32 and has_ctl(line):
                return True
        return False


def parse_fields(lines: "List[bytes]", start: int, found: "Any" = None) -> "List[Tuple[str, str]]":
    """Field lines (RFC 9112 §5) to (lower-case name, value) pairs; with
    ``found`` (a list shaped as scan_fields returns), the fields that matter
    to framing are noted there in the same pass."""
    fields = []
    special = _SPECIAL.get if found is not None else None
    for i in range(start, len(lines)):
        line = lines[i]
        colon = line.find(b":")
        token = line[:colon]
        # RFC 9112 §5.1: no whitespace between name and colon (400); §5.2:
        # obs-fold (a line starting with SP or HTAB) is rejected with 400.
        # Both, and an empty name or a line without a colon, fail the token check.
        if colon <= 0 or token.strip(TCHAR):
            raise RemoteProtocolError("invalid field line (or obs-fold)")
        name = token.decode().lower()
        # RFC 9110 §5.5: the value excludes leading and trailing whitespace.
        raw = line[colon + 1 :].strip(b" \t")
        try:
            value = raw.decode("latin-1")  # one char per byte: see decode_latin1
        except UnicodeError:
            value = ""
        if len(value) != len(raw):
            value = decode_latin1(raw)
        fields.append((name, value))
        if special is not None:
            code = special(name)
            if code is not None:
                note_field(found, code, value)
    return fields


# RFC 3986 §3.2.2: the bytes of a host (reg-name: unreserved, pct-encoded,
# sub-delims; an IP literal in brackets) and of ":" port.
# (Ordered for MicroPython's strip, as above.)
_HOST_CHARS = const("0123456789.:abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ_~%!$&'()*+,;=[]")


def valid_host(value: str) -> bool:
    """Whether a Host field value is uri-host [ ":" port ] (RFC 9110 §7.2);
    the empty value is valid (a target URI without authority)."""
    if value.strip(_HOST_CHARS):
        return False
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return False
        rest = value[end + 1 :]
    elif "[" in value or "]" in value:
        return False
    else:
        colon = value.find(":")
        rest = value[colon:] if colon >= 0 else ""
    # port = *DIGIT
    return not rest or (rest[0] == ":" and (len(rest) == 1 or rest[1:].isdigit()))


def parse_version(raw: bytes) -> str:
    """The version of a start line, one of the two we speak."""
    if raw == b"HTTP/1.1":
        return "HTTP/1.1"
    if raw == b"HTTP/1.0":
        return "HTTP/1.0"
    # RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive).
    # A well-formed other major version gets 505 (RFC 9110 §15.6.6); a higher
    # 1.x minor is handled as 1.1 (RFC 9110 §2.5); anything else is garbage.
    digits = raw[5:]
    if raw.startswith(b"HTTP/") and digits[:1].isdigit():
        if len(digits) == 3 and digits[1:2] == b"." and digits[2:].isdigit():
            if digits[:1] == b"1":
                return "HTTP/1.1"
            raise RemoteProtocolError("HTTP version not supported", 505)
        if len(digits) == 1 and digits != b"1":
            raise RemoteProtocolError("HTTP version not supported", 505)  # "HTTP/2", "HTTP/3"
    raise RemoteProtocolError("invalid HTTP version")


def decode_latin1(value: bytes) -> str:
    """Field text (RFC 9110 §5.5) as str, one char per byte."""
    # CPython decodes latin-1; MicroPython decodes every encoding as UTF-8,
    # right when the length is unchanged (ASCII, almost every head): bytes
    # >= 0x80 (obs-text) are then mapped by hand.
    try:
        text = value.decode("latin-1")
        if len(text) == len(value):
            return text
    except UnicodeError:
        pass
    return "".join(map(chr, value))


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

    @classmethod
    def from_profile(cls, profile: "Any") -> "Limits":
        """Limits from a board profile dict (its ``http_max_*`` keys); keys it
        lacks keep the defaults."""
        limits = cls()
        for name in ("max_request_line", "max_header_bytes", "max_headers", "max_body"):
            setattr(limits, name, profile.get("http_" + name, getattr(limits, name)))
        return limits
