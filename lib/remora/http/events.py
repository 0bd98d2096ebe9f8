"""The events of the HTTP/1.1 core: what ``next_event()`` returns and what
``send()`` takes.

Events are small plain classes (``__slots__`` saves a dict per event on
CPython; MicroPython accepts and ignores it).  Header lists hold (name, value)
``str`` pairs; on receive the names are lower-cased and both are decoded as
latin-1 (RFC 9110 §5.5: field values are octets, historically ISO-8859-1).
Versions are the protocol strings ``"HTTP/1.1"`` and ``"HTTP/1.0"``.

The helpers at the end read the header fields that steer the protocol.

Two sentinels are not events: :data:`NEED_DATA` (feed more bytes with
``receive_data``) and :data:`PAUSED` (a message is complete; the next one
waits until ``start_next_cycle()``).
"""

try:
    from typing import Any, List, Optional, Tuple

    Headers = List[Tuple[str, str]]
except ImportError:
    pass

CL = 1
TE = 2
CONNECTION = 3
HOST = 4
EXPECT = 5
UPGRADE = 6
_SPECIAL = {
    "content-length": CL,
    "transfer-encoding": TE,
    "connection": CONNECTION,
    "host": HOST,
    "expect": EXPECT,
    "upgrade": UPGRADE,
}
_SPECIAL_SIZES = (14, 17, 10, 4, 6, 7)


class _Sentinel:
    # Compared with ``is``: one object each, never an event.
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEED_DATA = _Sentinel("NEED_DATA")
PAUSED = _Sentinel("PAUSED")


class Event:
    """Base class; events compare equal when their type and fields match."""

    __slots__ = ()
    _fields = ()  # type: Tuple[str, ...]

    def __eq__(self, other: "Any") -> bool:
        if type(other) is not type(self):
            return False
        for name in self._fields:
            if getattr(self, name) != getattr(other, name):
                return False
        return True

    def __ne__(self, other: "Any") -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like h11's events

    def __repr__(self) -> str:
        return "%s(%s)" % (
            type(self).__name__,
            ", ".join(["%s=%r" % (n, getattr(self, n)) for n in self._fields]),
        )


class Request(Event):
    """A request head.  ``target`` is the request-target as sent (RFC 9112 §3.2)."""

    __slots__ = ("method", "target", "version", "headers")
    _fields = __slots__

    def __init__(
        self, method: str, target: str, version: str = "HTTP/1.1", headers: "Any" = None
    ) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = [] if headers is None else headers  # type: Headers


class Response(Event):
    """A response head; a status below 200 is an informational (1xx) response."""

    __slots__ = ("status", "headers", "reason", "version")
    _fields = __slots__

    def __init__(
        self, status: int, headers: "Any" = None, reason: str = "", version: str = "HTTP/1.1"
    ) -> None:
        self.status = status
        self.headers = [] if headers is None else headers  # type: Headers
        self.reason = reason
        self.version = version


class Data(Event):
    """A piece of a message body, delivered as it arrives."""

    __slots__ = ("data",)
    _fields = __slots__

    def __init__(self, data: "Any") -> None:
        self.data = data  # type: bytes


class EndOfMessage(Event):
    """The end of a message; ``trailers`` are the chunked trailer fields, if any."""

    __slots__ = ("trailers",)
    _fields = __slots__

    def __init__(self, trailers: "Optional[Headers]" = None) -> None:
        self.trailers = trailers


class ConnectionClosed(Event):
    """The peer closed its side (EOF) between messages."""

    __slots__ = ()


# -- header fields that steer the protocol ------------------------------------------


def field_tokens(value: "Optional[str]") -> "List[str]":
    """A comma-separated list of case-insensitive tokens (RFC 9110 §5.6.1)."""
    if value is None:
        return []
    return [t.strip(" \t") for t in value.lower().split(",")]


def _join(old: "Optional[str]", value: str) -> str:
    # RFC 9110 §5.3: repeated field lines combine into one comma-separated list.
    return value if old is None else old + "," + value


def scan_fields(headers: "Any", lowered: bool) -> "Tuple[Any, ...]":
    """(content-length, transfer-encoding, connection, Host count, expect,
    has upgrade) of a header list; one dict lookup per field when the names
    are known to be lower-case (received heads), a length check first when not."""
    cl = te = conn = expect = None
    hosts = 0
    upgrade = False
    # Repeated list fields are joined (RFC 9110 §5.3) so that "chunked" on two
    # lines, or two Content-Length lines, are judged as one value; Host is
    # counted, not joined, because two of them is itself the error.
    get = _SPECIAL.get
    for name, value in headers:
        code = get(name)
        if code is None:
            if lowered or len(name) not in _SPECIAL_SIZES:
                continue
            code = get(name.lower())
            if code is None:
                continue
        if code == CL:
            cl = _join(cl, value)
        elif code == TE:
            te = _join(te, value)
        elif code == CONNECTION:
            conn = _join(conn, value)
        elif code == HOST:
            hosts += 1
        elif code == EXPECT:
            expect = value
        else:
            upgrade = True
    return cl, te, conn, hosts, expect, upgrade


# -- field text: latin-1 (RFC 9110 §5.5) ---------------------------------------------


def _decode_fallback(raw: bytes) -> str:
    # MicroPython decodes every encoding as UTF-8: fine for ASCII, which is
    # what almost every head is; bytes >= 0x80 (obs-text) get mapped by hand.
    try:
        text = raw.decode()
        if len(text) == len(raw):
            return text
    except UnicodeError:
        pass
    return "".join([chr(c) for c in raw])


def _decode_native(raw: bytes) -> str:
    return raw.decode("latin-1")


# Probe the runtime once (STYLE.md point 7) rather than asking which one it is.
try:
    _native = len(b"\xc3\xa9".decode("latin-1")) == 2
except UnicodeError:
    _native = False
decode_latin1 = _decode_native if _native else _decode_fallback
