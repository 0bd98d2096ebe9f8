"""The vocabulary of the WebSocket core: the events ``next_event()`` returns,
its two sentinels, and the errors.

Events are small plain classes that compare equal when their type and fields
match (as in the HTTP core).  One event is made per payload piece or control
frame, and nothing else per frame: a board pays for what it receives and no
more.

Sentinels, compared with ``is`` (never events):

* :data:`NEED_DATA`: feed more bytes with ``receive_data``.
* :data:`DONE`: the connection is over and no event will follow; write what
  ``data_to_send()`` holds, then close the socket (a client first waits a
  while for the server's EOF, RFC 6455 §7.1.1).

Errors:

* :class:`LocalProtocolError`: our own code misused the API (a message after
  our close, a continuation with no message begun, a close code we may not
  send).  The call had no effect: nothing was queued and the state is as it
  was, so the driver may carry on; it is a bug in the caller all the same.
* :class:`HandshakeError`: an opening handshake that cannot go on (see
  :mod:`.handshake`); ``status`` is the HTTP status a server answers with and
  ``headers`` the fields that go with it.

A peer's violation of RFC 6455 never raises: it becomes a :class:`Close`
event (``clean`` False, ``code`` 1002, 1007 or 1009) with our close frame
queued, as the RFC's "_Fail the WebSocket Connection_" (§7.1.7) asks.

The message of an error (``str(exc)``) is for logs only: never echo it to the
peer (STYLE.md point 6); the core itself never puts text of its own in a
close frame.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple


# Compared with ``is``: one object each, never an event.
NEED_DATA = "NEED_DATA"
DONE = "DONE"


class LocalProtocolError(Exception):
    """We misused the API; the call had no effect."""


class HandshakeError(Exception):
    """An opening handshake that cannot go on.

    For a server (a bad upgrade request), ``status`` is the status to answer
    with (400, or 426 for a version we do not speak) and ``headers`` the
    response fields that go with it (RFC 6455 §4.2.2: a 426 names the version
    we speak).  For a client (a bad response), ``status`` is the status the
    server sent and ``headers`` is empty: fail the connection (§4.1).
    """

    def __init__(
        self, message: str, status: int = 400, headers: "Optional[List[Tuple[str, str]]]" = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers if headers is not None else []  # type: List[Tuple[str, str]]


class Event:
    """Base class; events compare equal when their type and fields match."""

    def __eq__(self, value: "Any") -> bool:
        return type(value) is type(self) and value.__dict__ == self.__dict__

    def __repr__(self) -> str:
        return "%s%r" % (type(self).__name__, self.__dict__)


class Data(Event):
    """A piece of a data frame's payload, delivered as it arrives.

    The seed's ``sock:read`` semantics: the core does not assemble frames or
    messages (:class:`~remora.proto.ws.message.Assembler` does, on request).

    ``data``
        the bytes of this piece, unmasked, owned by the event (``bytes`` or
        ``bytearray``); empty only for a frame with no payload.
    ``text``
        True for a text message (its bytes are valid UTF-8 so far: a code
        point split between pieces is checked once its end arrives), False
        for binary.  Continuation frames carry the type of their message.
    ``received``
        bytes of this frame's payload delivered so far, this piece included
        (the seed's ``bytesRead``).
    ``length``
        the frame's payload length (the seed's ``frameLen``).
    ``fin``
        this frame is the last of its message (RFC 6455 §5.2, FIN).
    """

    def __init__(self, data: "Any", text: bool, received: int, length: int, fin: bool) -> None:
        self.data = data  # type: Any
        self.text = text
        self.received = received
        self.length = length
        self.fin = fin

    @property
    def frame_end(self) -> bool:
        """This piece ends its frame."""
        return self.received == self.length

    @property
    def message_end(self) -> bool:
        """This piece ends its message."""
        return self.fin and self.received == self.length


class Ping(Event):
    """A Ping frame arrived (RFC 6455 §5.5.2).  The core has queued the Pong
    (``data_to_send()``) unless we already sent our close."""

    def __init__(self, payload: bytes = b"") -> None:
        self.payload = payload


class Pong(Event):
    """A Pong frame arrived (RFC 6455 §5.5.3): an answer to our ping, or an
    unsolicited heartbeat.  A driver's pong timeout waits for this."""

    def __init__(self, payload: bytes = b"") -> None:
        self.payload = payload


class Close(Event):
    """The connection ended; no event follows.

    ``clean`` True: the peer's close frame arrived (RFC 6455 §7.1.5); ``code``
    is its status code, 1005 when it had none, and ``reason`` its text.  The
    core queued the echo of its code (``data_to_send()``) unless we had sent
    our close first.

    ``clean`` False: the connection failed (§7.1.7).  ``code`` is the status
    we sent the peer, queued in ``data_to_send()`` (1002 protocol error, 1007
    invalid UTF-8, 1009 message too big; no close is sent when ours already
    went), or 1006 when the bytes ended (EOF) with no close frame.
    """

    def __init__(self, code: int = 1005, reason: str = "", clean: bool = True) -> None:
        self.code = code
        self.reason = reason
        self.clean = clean
