"""The sans-IO HTTP/1.1 connection (RFC 9110, RFC 9112): bytes in, events out;
events in, bytes out.  No sockets, clocks or threads (STYLE.md point 1).

A driver feeds what it reads to :meth:`Connection.receive_data` (``b""`` at
EOF), calls :meth:`Connection.next_event` until it returns NEED_DATA or
PAUSED, and writes what :meth:`Connection.send` returns.  This module holds
what both roles share (receiving, body data, the end of a message, the next
cycle); :class:`~.server.ServerConnection` and
:class:`~.client.ClientConnection` add what each role reads and sends.
Parsing lives in :mod:`.readers`, serialising in :mod:`.writers`, the events
and errors in :mod:`.events`, header fields in :mod:`.fields`, the state
machine in :mod:`.state`.  The shape is h11's ``Connection``.

Sized for a board's heap: each module, class and function costs heap once
loaded, so small helpers are functions rather than classes, tables are bytes
constants, and the Connection holds the state machine's data itself.

Errors: the peer's violations raise RemoteProtocolError (its ``status`` is the
reply to send) and leave their state ERROR and ``keep_alive`` False; a server
may still send that reply.  Our misuse raises LocalProtocolError and leaves
our state ERROR.
"""

from .events import NEED_DATA, PAUSED, ConnectionClosed, Data, EndOfMessage
from .events import LocalProtocolError, RemoteProtocolError, RequestHead, ResponseHead
from .limits import Limits
from .readers import Reader
from .state import CLIENT, CLOSE, CLOSED, DONE, END, ERROR, IDLE, MUST_CLOSE, SERVER  # noqa: F401
from .state import MIGHT_SWITCH_PROTOCOL, SEND_BODY, SEND_RESPONSE, SWITCHED_PROTOCOL  # noqa: F401
from .state import fail, move, next_cycle
from .writers import BAD_HEAD, CHUNKED, UNTIL_CLOSE, build_head

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple


class Connection:
    """What both ends of an HTTP/1.1 connection share (see the module doc);
    use a :class:`~.server.ServerConnection` or a
    :class:`~.client.ClientConnection`."""

    our_role = SERVER  # type: int  # set by the role's class

    def __init__(self, limits: "Optional[Limits]" = None) -> None:
        # The state machine's data (see .state): both roles' states, mirrored
        # in our_state and their_state, keep-alive, the proposed switches.
        self.states = [IDLE, IDLE]  # type: List[int]
        self.our_state = self.their_state = IDLE
        self.keep_alive = True
        self.switch = 0
        self._rb = Reader(limits or Limits())  # the limits live there
        self._left = 0  # our body's framing: bytes left, or CHUNKED, UNTIL_CLOSE
        self._method = None  # type: Optional[str]  # this cycle's request method
        self.their_http_version = None  # type: Optional[str]
        self.client_is_waiting_for_100_continue = False
        # The request body's size from its Content-Length, once validated (a
        # list of equal values such as "5, 5" is one size); None otherwise.
        self.content_length = None  # type: Optional[int]

    @property
    def trailing_data(self) -> "Tuple[bytes, bool]":
        """(bytes received but not parsed, whether EOF was seen): after a
        protocol switch they belong to the new protocol."""
        rb = self._rb
        return rb.data[rb.pos :], rb.eof

    # -- receiving ----------------------------------------------------------------

    def receive_data(self, data: "Any") -> None:
        """Add received bytes; ``b""`` means the peer closed its side (EOF).

        Drain ``next_event()`` (to NEED_DATA or PAUSED) before feeding more, and
        stop reading while PAUSED: that is what keeps the buffer bounded.
        """
        rb = self._rb
        if data:
            if rb.eof:
                raise LocalProtocolError("data received after EOF")
            rb.feed(data)
        else:
            rb.eof = True

    def next_event(self) -> "Any":
        """The next event from the peer, NEED_DATA, or PAUSED."""
        # The try block is here, the work in _next_event: a try costs a frame
        # 7 words, and MicroPython takes a heap block for each call of a
        # function whose frame is over 11 words.
        try:
            return _next_event(self)
        except RemoteProtocolError:
            self.keep_alive = False
            fail(self, 1 - self.our_role)
            raise

    def limit_body(self, max_body: int) -> None:
        """The largest body the peer's current message may have, instead of
        the limits' ``max_body``: set between its head and its first body
        event (a server route that streams its request body sets its own).
        A Content-Length over it makes that next event raise 413; chunks
        that add up past it raise 413 at the size line that crosses it."""
        self._rb.limit(max_body)

    def _their_head(self, rb: "Reader") -> "Any":
        """The peer's next head as an event, or None while incomplete (the role's)."""
        raise NotImplementedError

    def _receive(self, kind: int, event: "Any") -> "Any":
        # Their event moves their state; a move the tables refuse is their
        # violation, not our misuse (move raises RemoteProtocolError then).
        move(self, 1 - self.our_role, kind)
        return event

    # -- sending ------------------------------------------------------------------

    def send(self, event: "Any") -> bytes:
        """The bytes for one of our events (RequestHead, ResponseHead, Data,
        EndOfMessage, ConnectionClosed)."""
        kind = type(event)
        if kind is Data:
            return self.send_data(event.data)
        if kind is EndOfMessage:
            return self.send_end(event.trailers)
        if kind is ResponseHead:
            return self.send_response_head(event.status, event.headers, event.reason)
        if kind is RequestHead:
            return self.send_request_head(event.method, event.target, event.headers)
        if kind is not ConnectionClosed:
            _misuse(self, "not an event: %r" % (event,))
        move(self, self.our_role, CLOSE)  # an illegal move fails our side
        return b""

    def send_data(self, data: "Any") -> "Any":
        """Fast path for ``send(Data(data))``: the wire bytes of a body piece
        (a bytes-like object: the data itself outside the chunked coding)."""
        if self.our_state != SEND_BODY:
            _misuse(self, "can't send Data now")
        if self.our_role == CLIENT:
            self.client_is_waiting_for_100_continue = False
        left = self._left
        if left == CHUNKED:
            # RFC 9112 §7.1: one chunk per non-empty Data; a zero-size
            # chunk is the last-chunk, it would end the body.
            if not len(data):
                return b""
            if type(data) is not bytes:
                data = bytes(data)  # MicroPython's %s would print a memoryview's repr
            return b"%x\r\n%s\r\n" % (len(data), data)
        if left != UNTIL_CLOSE:
            # Exactly Content-Length bytes (RFC 9112 §6.2), none for HEAD,
            # 1xx, 204 and 304 (§6.3 rule 1); more is our bug.
            if len(data) > left:
                _misuse(self, "Data past the Content-Length (or no body allowed)")
            self._left = left - len(data)
        # The caller's buffer itself, not a copy: a board may not have a
        # second block of a large body's size.
        return data

    def send_end(self, trailers: "Any" = None) -> bytes:
        """Same as ``send(EndOfMessage(trailers))``."""
        move(self, self.our_role, END)  # an illegal move fails our side
        left = self._left
        out = b""
        if left == CHUNKED:
            # RFC 9112 §7.1.2: last-chunk, trailer fields, then the final CRLF.
            out = b"0\r\n\r\n"
            if trailers:
                out = build_head("0\r\n", trailers, None)
                if out is None:
                    _misuse(self, BAD_HEAD)
        elif left > 0:
            _misuse(self, "EndOfMessage %d bytes before the Content-Length" % left)
        elif trailers:
            _misuse(self, "trailers need the chunked coding")
        if self.our_role == CLIENT:
            self.client_is_waiting_for_100_continue = False
        return out

    def send_response_head(
        self,
        status: int,
        headers: "Any",
        reason: "Optional[str]" = None,
        length: "Optional[int]" = None,
        date: "Optional[str]" = None,
    ) -> bytes:
        fail(self, self.our_role)
        raise LocalProtocolError("only a server sends responses")

    def send_request_head(self, method: str, target: str, headers: "Any") -> bytes:
        fail(self, self.our_role)
        raise LocalProtocolError("only a client sends requests")

    def start_next_cycle(self) -> None:
        """Both messages are DONE on a keep-alive connection: reset to IDLE, so
        that ``next_event()`` parses the next (maybe already buffered) request."""
        next_cycle(self)
        self._method = None
        self.client_is_waiting_for_100_continue = False


def _next_event(conn: "Connection") -> "Any":
    # next_event's work.  (Functions, not methods, here and below: names
    # less in the class's dict, which MicroPython searches, to its end when
    # the name is not there, for every name an instance inherits.)
    state = conn.their_state
    rb = conn._rb
    # Most calls are for body bytes: test that state first.
    if state == SEND_BODY:
        event = rb.body()
        if event is None:
            return NEED_DATA
        # The body started: a client no longer waits for 100 Continue.
        conn.client_is_waiting_for_100_continue = False
        if type(event) is Data:
            return event  # SEND_BODY -> SEND_BODY changes nothing: skip the tables
        return conn._receive(END, event)
    if state == IDLE or state == SEND_RESPONSE:
        if rb.pos >= len(rb.data) and not rb.eof:
            return NEED_DATA  # nothing buffered: the common case between requests
        event = conn._their_head(rb)  # the role's: a request or a response
        if event is not None:
            return event
        if not rb.eof:
            return NEED_DATA
        # RFC 9112 §8: a message cut short by the close is incomplete.
        if len(rb.data) > rb.pos:
            raise RemoteProtocolError("incomplete message head (peer closed)")
        if state == SEND_RESPONSE:
            # Client role: our request went out and the server left.
            raise RemoteProtocolError("peer closed without a response", 502)
        return conn._receive(CLOSE, ConnectionClosed())
    if state == CLOSED:
        return ConnectionClosed()
    if state == ERROR:
        raise RemoteProtocolError("can't receive: the peer is in ERROR state")
    # DONE, MUST_CLOSE, MIGHT_SWITCH_PROTOCOL, SWITCHED_PROTOCOL: the next
    # message (or the new protocol's bytes) waits in the buffer.
    return PAUSED


def _misuse(conn: "Connection", message: str) -> None:
    # Our misuse of the API: our side goes to ERROR, and the error is
    # raised (here, so that the senders need no try block: see next_event).
    fail(conn, conn.our_role)
    raise LocalProtocolError(message)

