"""The receiving half of the client connection: from the buffered bytes to
the next event, and what each packet does to the connection and session.

:class:`Receiver` is a base class of :class:`~.core.Connection`: it owns the
receive buffer (``_buf[_pos:]``), the core's own outgoing packets (``_out``,
what ``data_to_send()`` returns) and the event that ends the connection
(``_closed``), and it reads; core.py holds the sending API (the HTTP core
splits its state machine out likewise).  Both halves share the
connection's flags (``_flags``, bits below) and its public attributes.

``_next_packet`` reads one packet: it waits for a whole fixed header,
refuses a packet over our ``max_packet`` at once (before its body is
buffered), waits for the whole packet, then hands it to .decode and acts on
the event.  Nothing past the packet being read is looked at, so bytes fed
one at a time give the same events as bytes fed at once.
"""

from . import encode
from . import props as _props
from . import state as _state
from .decode import check_flags, parse
from .events import NEED_DATA, ConnectionClosed, LocalProtocolError, RemoteProtocolError
from .state import CLOSED, IDLE
from .wire import (
    MAX_PACKET, PT_AUTH, PT_CONNACK, PT_DISCONNECT, PT_PINGRESP, PT_PUBACK, PT_PUBCOMP,
    PT_PUBLISH, PT_PUBREC, PT_PUBREL, PT_SUBACK, PT_UNSUBACK, Reader, fixed_header,
)

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional


# Bits of the connection's ``_flags``, as in .core.
_CLEAN = const(0x01)
_AUTH_METHOD = const(0x04)
_PING = const(0x08)
_EOF = const(0x10)
_RESEND = const(0x20)
_NO_RETAIN = const(0x40)
_QOS_SHIFT = const(7)
_QUIET = const(0x200)


class Receiver:
    """The reading half of a Connection (a base class, never made alone)."""

    if TYPE_CHECKING:
        # What the Connection (core.py) sets; named here for the type checker.
        version = 4
        max_packet = 0
        state = 0
        keepalive_s = 0
        their_max_packet = 0
        their_receive_max = 0
        their_alias_max = 0
        session = None  # type: Any
        _flags = 0

        def _resolve_alias(self, msg: "Any") -> None: ...

    def _fresh_receive(self) -> None:
        # A new network connection: nothing received, nothing to send.
        self._buf = b""  # received bytes not parsed yet: ``_buf[_pos:]``
        self._pos = 0
        self._out = b""  # type: Any  # the core's own packets: bytes or a bytearray
        self._closed = None  # type: Optional[ConnectionClosed]  # once CLOSED

    # -- the driver's side ----------------------------------------------------------------

    def receive_data(self, data: "Any") -> None:
        """Add received bytes; ``b""`` means the server closed its side (EOF).
        Drain ``next_event()`` to NEED_DATA before feeding more: that keeps
        the buffer to one read plus at most one partial packet.

        The buffer is the bytes object itself while nothing is left over (no
        copy of a read that holds whole packets); a partial packet is joined
        with the next read."""
        if self.state == IDLE:
            raise LocalProtocolError("receive_data() before connect()")
        if self.state == CLOSED:
            return  # the connection is over: what still arrives is dropped
        if not data:
            self._flags |= _EOF
            return
        if self._flags & _EOF:
            raise LocalProtocolError("data after EOF")
        if type(data) is not bytes:
            data = bytes(data)  # not a view of the driver's buffer, which it reuses
        pos = self._pos
        if pos < len(self._buf):
            data = self._buf[pos:] + data
        self._buf = data
        self._pos = 0

    def next_event(self) -> "Any":
        """The next event, or NEED_DATA.  Never raises for what the server
        sends: a violation becomes a ConnectionClosed event (and, under 5.0,
        a DISCONNECT in ``data_to_send()``)."""
        while True:
            if self.session.events:
                return self.session.next_event()  # one the session made itself
            if self.state == CLOSED:
                return self._closed
            if self.state == IDLE:
                return NEED_DATA
            try:
                event = self._next_packet()
            except RemoteProtocolError as exc:
                return self._fail(exc.reason, str(exc), True)
            if event is not None:
                return event

    def data_to_send(self) -> bytes:
        """The core's own packets since the last call: send them in order."""
        out = self._out
        self._out = b""
        return out if type(out) is bytes else bytes(out)

    def queue_out(self, data: bytes) -> None:
        """Add one of the core's own packets (an acknowledgement, a PUBREL, a
        message re-sent as the window opens) for ``data_to_send()``; the
        session (.session) queues its packets here.  One packet is kept as it
        is; more grow a bytearray, so that a burst of acknowledgements is not
        copied over and over."""
        out = self._out
        if not out:
            self._out = data
        elif type(out) is bytes:
            self._out = bytearray(out) + data
        else:
            out += data

    # -- reading one packet ---------------------------------------------------------------

    def _next_packet(self) -> "Any":
        # The event of the next whole packet; None for a packet the driver
        # need not see (a duplicate, a PUBREL); NEED_DATA; or, at EOF, the
        # end.  Raises RemoteProtocolError for the server's violations
        # (next_event turns it into ConnectionClosed via _fail).
        buf = self._buf
        pos = self._pos
        head = fixed_header(buf, pos) if len(buf) - pos >= 2 else None
        if head is not None:
            size = head[0] + head[1]
            # 5.0 §3.1.2.11.4: a packet over our Maximum Packet Size is 0x95,
            # refused from its fixed header: its body is never buffered.
            if size > self.max_packet:
                raise RemoteProtocolError("packet over our maximum size", 0x95)
            if len(buf) - pos >= size:
                # The whole packet is here.  Its type must be one the server
                # may send now (.state), with its fixed flags (§2.1.3), before
                # a byte of its body is looked at.
                first = buf[pos]
                ptype = first >> 4
                after = _state.receive(self.state, ptype, self.version)
                check_flags(ptype, first & 0x0F)
                rd = Reader(buf, pos + head[1], pos + size)
                pos += size
                if pos >= len(buf):
                    self._buf = b""  # all parsed: no buffer held at rest
                    pos = 0
                self._pos = pos
                event = parse(ptype, first & 0x0F, rd, self.version)
                return self._on_packet(ptype, event, after)
        if not self._flags & _EOF:
            return NEED_DATA
        # EOF: the server closed its side.  Nothing is sent back (it would not
        # be read); a packet cut short is only worth a word in the log.
        if len(buf) > pos:
            return self._fail(None, "the server closed in the middle of a packet", False)
        return self._fail(None, "the server closed the connection", False)

    def _on_packet(self, ptype: int, event: "Any", after: int) -> "Any":
        # What a decoded packet does to the connection and the session; its
        # event for the driver, or None.
        self.state = after
        if ptype == PT_PUBLISH:
            return self._on_publish(event)
        if PT_PUBACK <= ptype <= PT_PUBCOMP:
            # The QoS flows (§4.3): PUBREL is for their QoS 2 messages, the
            # others for ours.
            pid, reason, props = event
            self._check_quiet(props)
            if ptype == PT_PUBREL:
                self.queue_out(self.session.on_pubrel(self.version, pid))
                return None
            return self.session.on_ack(self, ptype, pid, reason, props)
        if ptype == PT_CONNACK:
            return self._on_connack(event)
        if ptype == PT_SUBACK or ptype == PT_UNSUBACK:
            # Matched to our request: one code per filter (a 3.1.1 UNSUBACK
            # has none to count); an unknown id is late news, dropped.
            self._check_quiet(event.properties)
            unsub = 0 if ptype == PT_SUBACK else 1
            count = len(event.reasons) if (unsub == 0 or self.version == 5) else -1
            return event if self.session.take_request(event.packet_id, unsub, count) else None
        if ptype == PT_PINGRESP:
            self._flags &= ~_PING
        elif ptype == PT_DISCONNECT:
            # 5.0 §3.14.4: the server closes the network connection after it;
            # the Disconnect event comes first, then ConnectionClosed.
            self._closed = ConnectionClosed(event.reason, "the server disconnected")
            self._buf = b""  # nothing after it counts
            self._pos = 0
        elif ptype == PT_AUTH:
            if not self._flags & _AUTH_METHOD:
                # 5.0 §4.12: no AUTH without our Authentication Method.
                raise RemoteProtocolError("AUTH without enhanced authentication", 0x82)
            self._check_quiet(event.properties)
        return event

    def _check_quiet(self, props: "Any") -> None:
        # 5.0 §3.1.2.11.7: after a Request Problem Information of 0, a Reason
        # String or User Property anywhere but in PUBLISH, CONNACK or
        # DISCONNECT is a Protocol Error [MQTT-3.1.2-29].
        if (
            props
            and self._flags & _QUIET
            and (_props.REASON_STRING in props or _props.USER_PROPERTY in props)
        ):
            raise RemoteProtocolError("problem information we did not ask for", 0x82)

    def _on_connack(self, event: "Any") -> "Any":
        # The answer to our CONNECT: refused, or the server's limits, then the
        # session to resume (.session.Session.resume).
        if event.reason:
            # Refused (5.0 §3.2.2.2, 3.1.1 §3.2.2.3): the server closes.
            self.state = CLOSED
            self._closed = ConnectionClosed(event.reason, "the server refused the connection")
            self._buf = b""
            self._pos = 0
            return event
        if event.session_present and self._flags & _CLEAN:
            # §3.2.2.1.1: a clean start has no session to be present
            # [MQTT-3.2.2-2] (3.1.1 [MQTT-3.2.2-1]).
            raise RemoteProtocolError("Session Present after a clean start", 0x82)
        p = event.properties
        if p:
            # 5.0 §3.2.2.3: the server's limits for this connection.
            self.their_receive_max = p.get(_props.RECEIVE_MAXIMUM, 0xFFFF)
            self.their_max_packet = p.get(_props.MAXIMUM_PACKET_SIZE, MAX_PACKET)
            self.their_alias_max = p.get(_props.TOPIC_ALIAS_MAXIMUM, 0)
            self._flags = (self._flags & ~(3 << _QOS_SHIFT)) | p.get(
                _props.MAXIMUM_QOS, 2
            ) << _QOS_SHIFT
            if p.get(_props.RETAIN_AVAILABLE, 1) == 0:
                self._flags |= _NO_RETAIN
            # §3.2.2.3.14: the server's Keep Alive replaces ours [MQTT-3.2.2-21].
            self.keepalive_s = p.get(_props.SERVER_KEEP_ALIVE, self.keepalive_s)
        if self.session.resume(event.session_present):
            self._flags |= _RESEND
        return event

    def _on_publish(self, msg: "Any") -> "Any":
        # Their message: its topic from an alias (5.0), its acknowledgement
        # queued; the event, or None for a QoS 2 duplicate.  A QoS 0 message
        # needs nothing (§4.3.1: "at most once").
        if self.version == 5:
            self._resolve_alias(msg)
        qos = msg.qos
        if qos == 1:
            # 5.0 §4.3.2: PUBACK; the message is delivered with this event.
            self.queue_out(encode.ack(self.version, PT_PUBACK, msg.packet_id))
        elif qos == 2:
            # §4.3.3: PUBREC, for a duplicate too, which is not delivered again.
            new = self.session.receive_qos2(msg.packet_id)
            self.queue_out(encode.ack(self.version, PT_PUBREC, msg.packet_id))
            if not new:
                return None
        return msg

    def _fail(self, reason: "Optional[int]", message: str, tell: bool) -> ConnectionClosed:
        # End the connection: CLOSED, the buffer dropped, and the event every
        # later next_event() repeats.  ``tell``: a violation the server hears
        # of, under 5.0, in a DISCONNECT with ``reason`` (§4.13: "In the case
        # of an error in any other packet it SHOULD send a DISCONNECT packet
        # containing the reason code before closing"); 3.1.1 only closes (§4.8).
        if tell and self.version == 5 and reason is not None:
            self.queue_out(encode.disconnect(5, reason, None))
        self.state = CLOSED
        self._buf = b""
        self._pos = 0
        closed = self._closed = ConnectionClosed(reason, message)
        return closed
