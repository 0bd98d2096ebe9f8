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

The header-field helpers are in :mod:`.fields`, the limits in :mod:`.limits`.
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


class RequestHead(Event):
    """A request head.  ``target`` is the request-target as sent (RFC 9112 §3.2)."""

    def __init__(
        self, method: str, target: str, version: str = "HTTP/1.1", headers: "Any" = None
    ) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = [] if headers is None else headers  # type: List[Tuple[str, str]]


class ResponseHead(Event):
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
