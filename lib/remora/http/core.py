"""The sans-IO HTTP/1.1 connection (RFC 9110, RFC 9112): bytes in, events out;
events in, bytes out.  No sockets, clocks or threads (STYLE.md point 1).

A driver feeds what it reads to :meth:`Connection.receive_data` (``b""`` at
EOF), calls :meth:`Connection.next_event` until it returns NEED_DATA or
PAUSED, and writes what :meth:`Connection.send` returns.  Parsing lives in
:mod:`.readers`, serialising in :mod:`.writers`, the events, errors and
limits in :mod:`.events`, the state machine in :mod:`.state`, the client's
half in :mod:`.client` (loaded by clients only); this module decides framing,
keep-alive and protocol switches.  The shape is h11's ``Connection``.

Sized for a board's heap: each module, class and function costs heap once
loaded, so small helpers are functions rather than classes, tables are bytes
constants, and the Connection holds the state machine's data itself.

Errors: the peer's violations raise RemoteProtocolError (its ``status`` is the
reply to send) and leave their state ERROR and ``keep_alive`` False; a server
may still send that reply.  Our misuse raises LocalProtocolError and leaves
our state ERROR.
"""

from .events import NEED_DATA, PAUSED, ConnectionClosed, Data, EndOfMessage, Limits, Request
from .events import NO_FIELDS, LocalProtocolError, RemoteProtocolError, Response, field_tokens, scan_fields
from .events import valid_host
from .readers import Reader

# Roles and states, re-exported so that drivers need import only this module.
from .state import CLIENT, CLOSED, DONE, ERROR, IDLE, MUST_CLOSE, SERVER  # noqa: F401
from .state import MIGHT_SWITCH_PROTOCOL, SEND_BODY, SEND_RESPONSE, SWITCHED_PROTOCOL  # noqa: F401
from .state import fail, move, next_cycle, no_keep_alive
from .writers import response_framing, write_head

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

# Event kinds, as numbered in the tables of .state.
_REQUEST = const(0)
_INFORMATIONAL = const(1)
_RESPONSE = const(2)
_EOM = const(4)
_CLOSED_EVENT = const(5)
_SWITCH_UPGRADE = const(6)
_SWITCH_CONNECT = const(7)

# Our body framing, as .writers returns it (else bytes left of a Content-Length).
_CHUNKED = const(-1)
_UNTIL_CLOSE = const(-2)


# Status lines already built, by status: a server sends a handful of
# statuses over and over.  Bounded: only standard reasons are kept, and at
# most 16 statuses.
_START_LINES = {}  # type: dict  # status: (reason, line)


# The last Host value found valid, shared by every connection: clients of
# one server send the same Host over and over, and checking it again each
# request is wasted work (kept here, not per connection: no idle
# connection's heap grows for it).
_HOST_OK = [None]  # type: List[Optional[str]]


def _start_line(status: int, reason: "Optional[str]") -> str:
    entry = _START_LINES.get(status)
    if entry is not None and (not reason or reason == entry[0]):
        return entry[1]
    from .reasons import reason as standard  # loaded on first use

    usual = standard(status)
    if not reason:
        reason = usual
    line = "HTTP/1.1 %d %s\r\n" % (status, reason)
    if reason == usual and len(_START_LINES) < 16:
        _START_LINES[status] = (reason, line)
    return line


class Connection:
    """One HTTP/1.1 connection seen from ``role`` (SERVER or CLIENT)."""

    # What next_event makes of a request head: a class taking (method, target,
    # version, headers) with those attributes.  A driver may subclass the
    # Connection to build its own (the server makes its handlers' Request
    # directly, not an event and then a copy).
    request_type = Request  # type: Any

    def __init__(self, role: int, limits: "Optional[Limits]" = None) -> None:
        if role != SERVER and role != CLIENT:
            raise ValueError("role must be SERVER or CLIENT")
        self.our_role = role
        # The state machine's data (see .state): both roles' states, mirrored
        # in our_state and their_state, keep-alive, the proposed switches.
        self.states = [IDLE, IDLE]  # type: List[int]
        self.our_state = self.their_state = IDLE
        self.keep_alive = True
        self.switch = 0
        self._rb = Reader(limits or Limits())  # the limits live there
        self._left = 0  # our body's framing: see _CHUNKED, _UNTIL_CLOSE
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
        state = self.their_state
        rb = self._rb
        try:
            # Most calls are for body bytes: test that state first.
            if state == SEND_BODY:
                event = rb.body()
                if event is None:
                    return NEED_DATA
                # The body started: a client no longer waits for 100 Continue.
                self.client_is_waiting_for_100_continue = False
                if type(event) is Data:
                    return event  # SEND_BODY -> SEND_BODY changes nothing: skip the tables
                return self._receive(_EOM, event)
            if state == IDLE or state == SEND_RESPONSE:
                if rb.pos >= len(rb.data) and not rb.eof:
                    return NEED_DATA  # nothing buffered: the common case between requests
                if self.our_role == SERVER:
                    found = list(NO_FIELDS)  # this request's framing fields
                    event = rb.head(self.request_type, found)
                    if event is not None:
                        return self._on_request(event, found)
                else:
                    event = rb.head(None)
                    if event is not None:
                        from .client import on_response  # client code: loaded on first use

                        return on_response(self, event)
                if not rb.eof:
                    return NEED_DATA
                # RFC 9112 §8: a message cut short by the close is incomplete.
                if len(rb.data) > rb.pos:
                    raise RemoteProtocolError("incomplete message head (peer closed)")
                if state == SEND_RESPONSE:
                    # Client role: our request went out and the server left.
                    raise RemoteProtocolError("peer closed without a response", 502)
                return self._receive(_CLOSED_EVENT, ConnectionClosed())
        except RemoteProtocolError:
            self.keep_alive = False
            fail(self, 1 - self.our_role)
            raise
        if state == CLOSED:
            return ConnectionClosed()
        if state == ERROR:
            raise RemoteProtocolError("can't receive: the peer is in ERROR state")
        # DONE, MUST_CLOSE, MIGHT_SWITCH_PROTOCOL, SWITCHED_PROTOCOL: the next
        # message (or the new protocol's bytes) waits in the buffer.
        return PAUSED

    def _receive(self, kind: int, event: "Any") -> "Any":
        # Their event moves their state; a move the tables refuse is their
        # violation, not our misuse.
        try:
            move(self, 1 - self.our_role, kind)
        except LocalProtocolError as exc:
            raise RemoteProtocolError(str(exc))
        return event

    def _on_request(self, event: "Any", found: "Any") -> "Any":
        # found: the framing fields, slots as events.scan_fields returns them.
        cl, te, conn, hosts, host = found[0], found[1], found[2], found[3], found[6]
        http10 = event.version == "HTTP/1.0"
        # RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any
        # request with more than one, or with an invalid one.
        if hosts > 1 or (hosts == 0 and not http10):
            raise RemoteProtocolError("missing or repeated Host")
        if host is not None and host != _HOST_OK[0]:
            if not valid_host(host):
                raise RemoteProtocolError("invalid Host")
            _HOST_OK[0] = host
        # RFC 9112 §6.3 rule 7: a request without framing headers has no body.
        self._rb.frame(cl, te, http10, False)
        self.content_length = self._rb.left if cl is not None else None
        self._method = event.method
        self.their_http_version = event.version
        tokens = field_tokens(conn)
        if not http10:
            # RFC 9110 §10.1.1: Expect is ignored in HTTP/1.0 requests.
            expect = found[4]
            if expect is not None and expect.lower() == "100-continue":
                self.client_is_waiting_for_100_continue = True
            # RFC 9110 §7.8: Upgrade counts only when Connection lists it,
            # and a server must ignore it in an HTTP/1.0 request.
            if found[5] and "upgrade" in tokens:
                self.switch |= 1 << _SWITCH_UPGRADE
        if event.method == "CONNECT":
            self.switch |= 1 << _SWITCH_CONNECT
        try:
            move(self, 1 - self.our_role, _REQUEST)
        except LocalProtocolError as exc:
            raise RemoteProtocolError(str(exc))
        # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only
        # with "keep-alive".
        if "close" in tokens or (http10 and "keep-alive" not in tokens):
            no_keep_alive(self)
        return event

    # -- sending ------------------------------------------------------------------

    def send(self, event: "Any") -> bytes:
        """The bytes for one of our events (Request, Response, Data,
        EndOfMessage, ConnectionClosed)."""
        kind = type(event)
        if kind is Data:
            return self.send_data(event.data)
        if kind is EndOfMessage:
            return self.send_end(event.trailers)
        if kind is Response:
            return self.send_response_head(event.status, event.headers, event.reason)
        if kind is Request:
            return self.send_request_head(event.method, event.target, event.headers)
        try:
            if kind is not ConnectionClosed:
                raise LocalProtocolError("not an event: %r" % (event,))
            move(self, self.our_role, _CLOSED_EVENT)
        except LocalProtocolError:
            fail(self, self.our_role)
            raise
        return b""

    def send_data(self, data: "Any") -> "Any":
        """Fast path for ``send(Data(data))``: the wire bytes of a body piece
        (a bytes-like object: the data itself outside the chunked coding)."""
        try:
            if self.our_state != SEND_BODY:
                raise LocalProtocolError("can't send Data now")
            if self.our_role == CLIENT:
                self.client_is_waiting_for_100_continue = False
            left = self._left
            if left == _CHUNKED:
                # RFC 9112 §7.1: one chunk per non-empty Data; a zero-size
                # chunk is the last-chunk, it would end the body.
                size = len(data)
                if size == 0:
                    return b""
                if type(data) is not bytes:
                    data = bytes(data)  # MicroPython's %s would print a memoryview's repr
                return b"%x\r\n%s\r\n" % (size, data)
            if left != _UNTIL_CLOSE:
                # Exactly Content-Length bytes (RFC 9112 §6.2), none for HEAD,
                # 1xx, 204 and 304 (§6.3 rule 1); more is our bug.
                if len(data) > left:
                    raise LocalProtocolError("Data past the Content-Length (or no body allowed)")
                self._left = left - len(data)
            # The caller's buffer itself, not a copy: a board may not have a
            # second block of a large body's size.
            return data
        except LocalProtocolError:
            fail(self, self.our_role)
            raise

    def send_end(self, trailers: "Any" = None) -> bytes:
        """Same as ``send(EndOfMessage(trailers))``."""
        try:
            move(self, self.our_role, _EOM)
            left = self._left
            if left == _CHUNKED:
                # RFC 9112 §7.1.2: last-chunk, trailer fields, then the final CRLF.
                out = write_head("0\r\n", trailers, None) if trailers else b"0\r\n\r\n"
            elif left > 0:
                raise LocalProtocolError("EndOfMessage %d bytes before the Content-Length" % left)
            elif trailers:
                raise LocalProtocolError("trailers need the chunked coding")
            else:
                out = b""
        except LocalProtocolError:
            fail(self, self.our_role)
            raise
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
        """The bytes of a response head (server only), 1xx included.

        Framing of a final response: its Content-Length if given, or
        ``length`` (then sent as Content-Length); else chunked to an HTTP/1.1
        client (the header is added); else close-delimited, and
        ``keep_alive`` becomes False.  HEAD, 204 and 304 have no body.
        ``date`` (the server's clock, RFC 9110 §6.6.1) is sent as a Date
        field unless the headers have one: both save the caller a copy of
        its header list.
        """
        try:
            if self.our_role != SERVER:
                raise LocalProtocolError("only a server sends responses")
            if not 100 <= status <= 999:
                raise LocalProtocolError("invalid status %r" % (status,))
            start = _start_line(status, reason)
            peer11 = self.their_http_version == "HTTP/1.1"
            self.client_is_waiting_for_100_continue = False
            if status < 200:
                # RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
                if not peer11:
                    raise LocalProtocolError("1xx response to a non-HTTP/1.1 client")
                move(self, SERVER, _SWITCH_UPGRADE if status == 101 else _INFORMATIONAL)
                return write_head(start, headers, None, date)
            method = self._method
            switch = method == "CONNECT" and status < 300 and self.switch != 0
            no_body = switch or method == "HEAD" or status == 204 or status == 304
            found = scan_fields(headers)
            if found[7] is not None:
                date = None  # the application's own Date
            self._left, extra, close, headers = response_framing(
                found, headers, no_body, peer11, self.keep_alive, length
            )
            move(self, SERVER, _SWITCH_CONNECT if switch else _RESPONSE)
            if close:
                no_keep_alive(self)
            return write_head(start, headers, extra, date)
        except LocalProtocolError:
            fail(self, self.our_role)
            raise

    def send_request_head(self, method: str, target: str, headers: "Any") -> bytes:
        """The bytes of a request head (client only); framing as in
        :func:`.client.send_request_head`.  We always speak HTTP/1.1."""
        from .client import send_request_head  # client code: loaded on first use

        return send_request_head(self, method, target, headers)

    def start_next_cycle(self) -> None:
        """Both messages are DONE on a keep-alive connection: reset to IDLE, so
        that ``next_event()`` parses the next (maybe already buffered) request."""
        next_cycle(self)
        self._method = None
        self.client_is_waiting_for_100_continue = False
