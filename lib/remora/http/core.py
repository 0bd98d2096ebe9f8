"""The sans-IO HTTP/1.1 connection (RFC 9110, RFC 9112): bytes in, events out;
events in, bytes out.  No sockets, clocks or threads (STYLE.md point 1).

A driver feeds what it reads to :meth:`Connection.receive_data` (``b""`` at
EOF), calls :meth:`Connection.next_event` until it returns NEED_DATA or
PAUSED, and writes what :meth:`Connection.send` returns.  The states of both
sides live in :mod:`.state`, parsing in :mod:`.readers`, serialising in
:mod:`.writers`; this module decides framing, keep-alive and protocol
switches.  The shape is h11's ``Connection``.

Errors: the peer's violations raise RemoteProtocolError (its ``status`` is the
reply to send) and leave their state ERROR and ``keep_alive`` False; a server
may still send that reply.  Our misuse raises LocalProtocolError and leaves
our state ERROR.
"""

from . import state as st
from .errors import LocalProtocolError, RemoteProtocolError
from .events import NEED_DATA, PAUSED, ConnectionClosed, Data, EndOfMessage, Request
from .events import Response, field_tokens, scan_fields
from .limits import default as _default_limits
from .readers import (
    ChunkedReader,
    CloseDelimitedReader,
    ContentLengthReader,
    ReceiveBuffer,
    read_request_head,
    read_response_head,
)
from .writers import REASONS, request_framing, response_framing, write_head

# Roles and states, re-exported so that drivers need import only this module.
from .state import CLIENT, CLOSED, DONE, ERROR, IDLE, MUST_CLOSE, SERVER  # noqa: F401
from .state import MIGHT_SWITCH_PROTOCOL, SEND_BODY, SEND_RESPONSE, SWITCHED_PROTOCOL  # noqa: F401

try:
    from typing import Any, Optional, Tuple

    from .limits import Limits
except ImportError:
    pass

_DIGITS = "0123456789"


def _content_length(value: str, max_body: int) -> int:
    # RFC 9110 §8.6: Content-Length = 1*DIGIT.  A list of identical values
    # (repeated lines or "5, 5") may be collapsed to one; differing values
    # are an unrecoverable framing error (RFC 9112 §6.3 rule 5).
    length = -1
    for item in value.split(","):
        item = item.strip(" \t")
        if not item or item.strip(_DIGITS):
            raise RemoteProtocolError("invalid Content-Length", 400)
        number = int(item) if len(item) < 19 else max_body + 1
        if length >= 0 and number != length:
            raise RemoteProtocolError("conflicting Content-Length values", 400)
        length = number
    if length > max_body:
        # Refused from the head alone, before any body is buffered.
        raise RemoteProtocolError("body too large", 413)
    return length


def _body_reader(cl: "Optional[str]", te: "Optional[str]", http10: bool, limits: "Limits") -> "Any":
    """The reader for a body framed by these headers (RFC 9112 §6.3), or None."""
    if te is not None:
        # Rule 3: both present is a request smuggling attempt; reject it.
        if cl is not None:
            raise RemoteProtocolError("both Transfer-Encoding and Content-Length", 400)
        # RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
        if http10:
            raise RemoteProtocolError("Transfer-Encoding in an HTTP/1.0 message", 400)
        # RFC 9112 §6.1: 501 for a coding we do not understand; we understand
        # exactly one, applied once ("chunked, chunked" is not it).
        if te.strip(" \t").lower() != "chunked":
            raise RemoteProtocolError("unsupported Transfer-Encoding", 501)
        return ChunkedReader(limits)
    if cl is not None:
        return ContentLengthReader(_content_length(cl, limits.max_body))
    return None


class Connection:
    """One HTTP/1.1 connection seen from ``role`` (SERVER or CLIENT)."""

    def __init__(self, role: int, limits: "Optional[Limits]" = None) -> None:
        if role != SERVER and role != CLIENT:
            raise ValueError("role must be SERVER or CLIENT")
        self.our_role = role
        self.their_role = CLIENT if role == SERVER else SERVER
        self.limits = limits if limits is not None else _default_limits()
        self._cstate = st.ConnectionState()
        self._rb = ReceiveBuffer()
        self._reader = None  # type: Any  # body reader of their message
        self._writer = None  # type: Any  # body writer of our message
        self._method = None  # type: Optional[str]  # this cycle's request method
        self.their_http_version = None  # type: Optional[str]
        self.client_is_waiting_for_100_continue = False

    @property
    def our_state(self) -> int:
        return self._cstate.states[self.our_role]

    @property
    def their_state(self) -> int:
        return self._cstate.states[self.their_role]

    @property
    def keep_alive(self) -> bool:
        return self._cstate.keep_alive

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
        state = self._cstate.states[self.their_role]
        # Most calls are for body bytes: test that state first.
        if state == st.SEND_BODY:
            try:
                event = self._reader(self._rb)
            except RemoteProtocolError:
                self._remote_error()
                raise
            if event is None:
                return NEED_DATA
            # The body started: a client no longer waits for 100 Continue.
            self.client_is_waiting_for_100_continue = False
            if type(event) is Data:
                return event  # SEND_BODY -> SEND_BODY changes nothing: skip the tables
            self._reader = None
            return self._receive(st.EOM, event)
        if state == st.IDLE or state == st.SEND_RESPONSE:
            return self._next_head()
        if state == st.CLOSED:
            return ConnectionClosed()
        if state == st.ERROR:
            raise RemoteProtocolError("can't receive: the peer is in ERROR state", 400)
        # DONE, MUST_CLOSE, MIGHT_SWITCH_PROTOCOL, SWITCHED_PROTOCOL: the next
        # message (or the new protocol's bytes) waits in the buffer.
        return PAUSED

    def _next_head(self) -> "Any":
        rb = self._rb
        try:
            if self.our_role == SERVER:
                request = read_request_head(rb, self.limits)
                if request is not None:
                    return self._on_request(request)
            else:
                response = read_response_head(rb, self.limits)
                if response is not None:
                    return self._on_response(response)
            if not rb.eof:
                return NEED_DATA
            # RFC 9112 §8: a message cut short by the close is incomplete.
            if len(rb):
                raise RemoteProtocolError("incomplete message head (peer closed)", 400)
            if self.their_state == st.SEND_RESPONSE:
                # Client role: our request went out and the server left.
                raise RemoteProtocolError("peer closed without a response", 502)
            return self._receive(st.CLOSED_EVENT, ConnectionClosed())
        except RemoteProtocolError:
            self._remote_error()
            raise

    def _receive(self, kind: int, event: "Any") -> "Any":
        # Their event moves their state; a move the tables refuse is their
        # violation, not our misuse.
        try:
            self._cstate.process_event(self.their_role, kind)
        except LocalProtocolError as exc:
            self._remote_error()
            raise RemoteProtocolError(exc.message, 400)
        return event

    def _remote_error(self) -> None:
        self._cstate.keep_alive = False
        self._cstate.process_error(self.their_role)

    def _on_request(self, event: "Request") -> "Request":
        cl, te, conn, hosts, expect, upgrade = scan_fields(event.headers, True)
        http10 = event.version == "HTTP/1.0"
        # RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any
        # request with more than one.
        if hosts > 1 or (hosts == 0 and not http10):
            raise RemoteProtocolError("missing or repeated Host", 400)
        reader = _body_reader(cl, te, http10, self.limits)
        # RFC 9112 §6.3 rule 7: a request without framing headers has no body.
        self._reader = reader if reader is not None else ContentLengthReader(0)
        self._method = event.method
        self.their_http_version = event.version
        tokens = field_tokens(conn)
        cstate = self._cstate
        if not http10:
            # RFC 9110 §10.1.1: Expect is ignored in HTTP/1.0 requests.
            if expect is not None and expect.lower() == "100-continue":
                self.client_is_waiting_for_100_continue = True
            # RFC 9110 §7.8: Upgrade counts only when Connection lists it,
            # and a server must ignore it in an HTTP/1.0 request.
            if upgrade and "upgrade" in tokens:
                cstate.process_client_switch_proposal(st.SWITCH_UPGRADE)
        if event.method == "CONNECT":
            cstate.process_client_switch_proposal(st.SWITCH_CONNECT)
        self._receive(st.REQUEST, event)
        # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only
        # with "keep-alive".
        if "close" in tokens or (http10 and "keep-alive" not in tokens):
            cstate.process_keep_alive_disabled()
        return event

    def _on_response(self, event: "Response") -> "Response":
        status = event.status
        cstate = self._cstate
        self.client_is_waiting_for_100_continue = False  # any response ends the wait
        if status < 200:
            if status == 101:
                if not cstate.pending_switch & (1 << st.SWITCH_UPGRADE):
                    raise RemoteProtocolError("101 without an Upgrade request", 400)
                return self._receive(st.SWITCH_UPGRADE, event)
            return self._receive(st.INFORMATIONAL, event)
        self.their_http_version = event.version
        if self._method == "CONNECT" and status < 300 and cstate.pending_switch:
            # RFC 9110 §9.3.6: a 2xx to CONNECT makes the connection a tunnel.
            return self._receive(st.SWITCH_CONNECT, event)
        cl, te, conn, hosts, expect, upgrade = scan_fields(event.headers, True)
        http10 = event.version == "HTTP/1.0"
        tokens = field_tokens(conn)
        close = "close" in tokens or (http10 and "keep-alive" not in tokens)
        if self._method == "HEAD" or status == 204 or status == 304:
            # RFC 9112 §6.3 rule 1: never a body, whatever the headers say.
            reader = ContentLengthReader(0)  # type: Any
        else:
            reader = _body_reader(cl, te, http10, self.limits)
            if reader is None:
                # Rule 8: the body runs until the server closes.
                reader = CloseDelimitedReader(self.limits.max_body)
                close = True
        self._reader = reader
        self._receive(st.RESPONSE, event)
        if close:
            cstate.process_keep_alive_disabled()
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
        if kind is ConnectionClosed:
            self._send_state(st.CLOSED_EVENT)
            return b""
        self._cstate.process_error(self.our_role)
        raise LocalProtocolError("not an event: %r" % (event,))

    def _send_state(self, kind: int) -> None:
        try:
            self._cstate.process_event(self.our_role, kind)
        except LocalProtocolError:
            self._cstate.process_error(self.our_role)
            raise

    def send_data(self, data: "Any") -> bytes:
        """Fast path for ``send(Data(data))``: the wire bytes of a body piece."""
        try:
            if self._cstate.states[self.our_role] != st.SEND_BODY:
                raise LocalProtocolError("can't send Data now")
            if self.our_role == CLIENT:
                self.client_is_waiting_for_100_continue = False
            return self._writer.data(data)
        except LocalProtocolError:
            self._cstate.process_error(self.our_role)
            raise

    def send_end(self, trailers: "Any" = None) -> bytes:
        """Same as ``send(EndOfMessage(trailers))``."""
        writer = self._writer
        self._send_state(st.EOM)
        try:
            out = writer.end(trailers)
        except LocalProtocolError:
            self._cstate.process_error(self.our_role)
            raise
        self._writer = None
        if self.our_role == CLIENT:
            self.client_is_waiting_for_100_continue = False
        return out

    def send_response_head(
        self, status: int, headers: "Any", reason: "Optional[str]" = None
    ) -> bytes:
        """The bytes of a response head (server only), 1xx included.

        Framing of a final response: its Content-Length if given; else chunked
        to an HTTP/1.1 client (the header is added); else close-delimited, and
        ``keep_alive`` becomes False.  HEAD, 204 and 304 have no body.
        """
        cstate = self._cstate
        try:
            if self.our_role != SERVER:
                raise LocalProtocolError("only a server sends responses")
            if not 100 <= status <= 999:
                raise LocalProtocolError("invalid status %r" % (status,))
            start = "HTTP/1.1 %d %s\r\n" % (status, reason or REASONS.get(status, ""))
            peer11 = self.their_http_version == "HTTP/1.1"
            self.client_is_waiting_for_100_continue = False
            if status < 200:
                # RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
                if not peer11:
                    raise LocalProtocolError("1xx response to a non-HTTP/1.1 client")
                self._send_state(st.SWITCH_UPGRADE if status == 101 else st.INFORMATIONAL)
                return write_head(start, headers, None)
            method = self._method
            switch = method == "CONNECT" and status < 300 and cstate.pending_switch != 0
            no_body = switch or method == "HEAD" or status == 204 or status == 304
            self._writer, extra, close, headers = response_framing(
                status, headers, no_body, peer11, cstate.keep_alive
            )
            self._send_state(st.SWITCH_CONNECT if switch else st.RESPONSE)
            if close:
                cstate.process_keep_alive_disabled()
            return write_head(start, headers, extra)
        except LocalProtocolError:
            cstate.process_error(self.our_role)
            raise

    def send_request_head(self, method: str, target: str, headers: "Any") -> bytes:
        """The bytes of a request head (client only); framing as in
        :func:`.writers.request_framing`.  We always speak HTTP/1.1."""
        cstate = self._cstate
        try:
            if self.our_role != CLIENT:
                raise LocalProtocolError("only a client sends requests")
            if not method or " " in method or not target or " " in target:
                raise LocalProtocolError("invalid method or target")
            cl, te, conn, hosts, expect, upgrade = scan_fields(headers, False)
            # RFC 9112 §3.2: a client MUST send Host in every HTTP/1.1 request.
            if hosts != 1:
                raise LocalProtocolError("a request needs exactly one Host header")
            writer, extra = request_framing(method, cl, te)
            tokens = field_tokens(conn)
            if upgrade and "upgrade" in tokens:
                cstate.process_client_switch_proposal(st.SWITCH_UPGRADE)
            if method == "CONNECT":
                cstate.process_client_switch_proposal(st.SWITCH_CONNECT)
            self._send_state(st.REQUEST)
            self._method = method
            self._writer = writer
            if expect is not None and expect.lower() == "100-continue":
                self.client_is_waiting_for_100_continue = True
            if "close" in tokens:
                cstate.process_keep_alive_disabled()
            return write_head("%s %s HTTP/1.1\r\n" % (method, target), headers, extra)
        except LocalProtocolError:
            cstate.process_error(self.our_role)
            raise

    def start_next_cycle(self) -> None:
        """Both messages are DONE on a keep-alive connection: reset to IDLE, so
        that ``next_event()`` parses the next (maybe already buffered) request."""
        self._cstate.start_next_cycle()
        self._method = None
        self._reader = None
        self._writer = None
        self.client_is_waiting_for_100_continue = False
