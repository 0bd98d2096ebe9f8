"""The receiving half of the client connection: from the buffered bytes to
the next event, and what each packet does to the connection and session.

Functions over the :class:`~.core.Connection`'s attributes rather than
methods, so that core.py holds the API and this module the reading (the
HTTP core splits its state machine out likewise).  ``next_packet`` reads one
packet: it waits for a whole fixed header, refuses a packet over our
``max_packet`` at once (before its body is buffered), waits for the whole
packet, then hands it to .decode and acts on the event.  Nothing past the
packet being read is looked at, so bytes fed one at a time give the same
events as bytes fed at once.
"""

from . import aliases, encode
from . import props as _props
from . import state as _state
from .decode import check_flags, parse
from .events import NEED_DATA, ConnectionClosed, LocalProtocolError, RemoteProtocolError
from .state import CLOSED, IDLE
from .wire import MAX_PACKET, Reader, fixed_header

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional

# Packet types (5.0 §2.1.2), as numbered in .wire.
_CONNACK = const(2)
_PUBLISH = const(3)
_PUBACK = const(4)
_PUBREC = const(5)
_PUBREL = const(6)
_PUBCOMP = const(7)
_SUBACK = const(9)
_UNSUBACK = const(11)
_PINGRESP = const(13)
_DISCONNECT = const(14)
_AUTH = const(15)

# Bits of Connection._flags, as in .core.
_CLEAN = const(0x01)
_AUTH_METHOD = const(0x04)
_PING = const(0x08)
_EOF = const(0x10)
_RESEND = const(0x20)
_NO_RETAIN = const(0x40)
_QOS_SHIFT = const(7)
_QUIET = const(0x200)


def feed(conn: "Any", data: "Any") -> None:
    """Connection.receive_data: keep ``data`` after the bytes not parsed yet.

    The buffer is the bytes object itself while nothing is left over (no
    copy of a read that holds whole packets); a partial packet is joined
    with the next read.  A driver that drains ``next_event()`` after every
    read so holds at most one read and one partial packet.
    """
    if conn.state == IDLE:
        raise LocalProtocolError("receive_data() before connect()")
    if conn.state == CLOSED:
        return  # the connection is over: what still arrives is dropped
    if not data:
        conn._flags |= _EOF
        return
    if conn._flags & _EOF:
        raise LocalProtocolError("data after EOF")
    if type(data) is not bytes:
        data = bytes(data)  # not a view of the driver's buffer, which it reuses
    pos = conn._pos
    if pos < len(conn._buf):
        data = conn._buf[pos:] + data
    conn._buf = data
    conn._pos = 0


def next_packet(conn: "Any") -> "Any":
    """The event of the next whole packet; None for a packet the driver need
    not see (a duplicate, a PUBREL); NEED_DATA; or, at EOF, the end.

    Raises RemoteProtocolError for the server's violations (the caller,
    Connection.next_event, turns it into ConnectionClosed via :func:`fail`).
    """
    buf = conn._buf
    pos = conn._pos
    head = fixed_header(buf, pos) if len(buf) - pos >= 2 else None
    if head is not None:
        size = head[0] + head[1]
        # 5.0 §3.1.2.11.4: a packet over our Maximum Packet Size is 0x95,
        # refused from its fixed header: its body is never buffered.
        if size > conn.max_packet:
            raise RemoteProtocolError("packet over our maximum size", 0x95)
        if len(buf) - pos >= size:
            # The whole packet is here.  Its type must be one the server may
            # send now (.state), with its fixed flags (§2.1.3), before a
            # byte of its body is looked at.
            first = buf[pos]
            ptype = first >> 4
            after = _state.receive(conn.state, ptype, conn.version)
            check_flags(ptype, first & 0x0F)
            rd = Reader(buf, pos + head[1], pos + size)
            pos += size
            if pos >= len(buf):
                conn._buf = b""  # all parsed: no buffer held at rest
                pos = 0
            conn._pos = pos
            return _on_packet(conn, ptype, parse(ptype, first & 0x0F, rd, conn.version), after)
    if not conn._flags & _EOF:
        return NEED_DATA
    # EOF: the server closed its side.  Nothing is sent back (it would not be
    # read); a packet cut short is only worth a word in the log.
    if len(buf) > pos:
        return fail(conn, None, "the server closed in the middle of a packet", False)
    return fail(conn, None, "the server closed the connection", False)


def _on_packet(conn: "Any", ptype: int, event: "Any", after: int) -> "Any":
    # What a decoded packet does to the connection and the session; its
    # event for the driver, or None.
    conn.state = after
    if ptype == _PUBLISH:
        return _on_publish(conn, event)
    if _PUBACK <= ptype <= _PUBCOMP:
        # The QoS flows (§4.3): PUBREL is for their QoS 2 messages, the
        # others for ours.
        pid, reason, props = event
        _check_quiet(conn, props)
        if ptype == _PUBREL:
            conn.session.on_pubrel(conn, pid)
            return None
        return conn.session.on_ack(conn, ptype, pid, reason, props)
    if ptype == _CONNACK:
        return _on_connack(conn, event)
    if ptype == _SUBACK or ptype == _UNSUBACK:
        # Matched to our request: one code per filter (a 3.1.1 UNSUBACK has
        # none to count); an unknown id is late news, dropped.
        _check_quiet(conn, event.properties)
        unsub = 0 if ptype == _SUBACK else 1
        count = len(event.reasons) if (unsub == 0 or conn.version == 5) else -1
        return event if conn.session.take_request(event.packet_id, unsub, count) else None
    if ptype == _PINGRESP:
        conn._flags &= ~_PING
    elif ptype == _DISCONNECT:
        # 5.0 §3.14.4: the server closes the network connection after it;
        # the Disconnect event comes first, then ConnectionClosed.
        conn._closed = ConnectionClosed(event.reason, "the server disconnected")
        conn._buf = b""  # nothing after it counts
        conn._pos = 0
    elif ptype == _AUTH:
        if not conn._flags & _AUTH_METHOD:
            # 5.0 §4.12: no AUTH without our Authentication Method.
            raise RemoteProtocolError("AUTH without enhanced authentication", 0x82)
        _check_quiet(conn, event.properties)
    return event


def _check_quiet(conn: "Any", props: "Any") -> None:
    # 5.0 §3.1.2.11.7: after a Request Problem Information of 0, a Reason
    # String or User Property anywhere but in PUBLISH, CONNACK or DISCONNECT
    # is a Protocol Error [MQTT-3.1.2-29].
    if (
        props
        and conn._flags & _QUIET
        and (_props.REASON_STRING in props or _props.USER_PROPERTY in props)
    ):
        raise RemoteProtocolError("problem information we did not ask for", 0x82)


def _on_connack(conn: "Any", event: "Any") -> "Any":
    # The answer to our CONNECT: refused, or the server's limits, then the
    # session to resume (.session.Session.resume).
    if event.reason:
        # Refused (5.0 §3.2.2.2, 3.1.1 §3.2.2.3): the server closes.
        conn.state = CLOSED
        conn._closed = ConnectionClosed(event.reason, "the server refused the connection")
        conn._buf = b""
        conn._pos = 0
        return event
    if event.session_present and conn._flags & _CLEAN:
        # §3.2.2.1.1: a clean start has no session to be present
        # [MQTT-3.2.2-2] (3.1.1 [MQTT-3.2.2-1]).
        raise RemoteProtocolError("Session Present after a clean start", 0x82)
    p = event.properties
    if p:
        # 5.0 §3.2.2.3: the server's limits for this connection.
        conn.their_receive_max = p.get(_props.RECEIVE_MAXIMUM, 0xFFFF)
        conn.their_max_packet = p.get(_props.MAXIMUM_PACKET_SIZE, MAX_PACKET)
        conn.their_alias_max = p.get(_props.TOPIC_ALIAS_MAXIMUM, 0)
        conn._flags = (conn._flags & ~(3 << _QOS_SHIFT)) | p.get(
            _props.MAXIMUM_QOS, 2
        ) << _QOS_SHIFT
        if p.get(_props.RETAIN_AVAILABLE, 1) == 0:
            conn._flags |= _NO_RETAIN
        # §3.2.2.3.14: the server's Keep Alive replaces ours [MQTT-3.2.2-21].
        conn.keepalive_s = p.get(_props.SERVER_KEEP_ALIVE, conn.keepalive_s)
    if conn.session.resume(event.session_present):
        conn._flags |= _RESEND
    return event


def _on_publish(conn: "Any", msg: "Any") -> "Any":
    # Their message: its topic from an alias (5.0), its acknowledgement
    # queued; the event, or None for a QoS 2 duplicate.  A QoS 0 message
    # needs nothing (§4.3.1: "at most once").
    if conn.version == 5:
        aliases.resolve(conn, msg)
    qos = msg.qos
    if qos == 1:
        # 5.0 §4.3.2: PUBACK; the message is delivered with this event.
        conn._queue(encode.ack(conn.version, _PUBACK, msg.packet_id))
    elif qos == 2:
        # §4.3.3: PUBREC, for a duplicate too, which is not delivered again.
        new = conn.session.receive_qos2(msg.packet_id)
        conn._queue(encode.ack(conn.version, _PUBREC, msg.packet_id))
        if not new:
            return None
    return msg


def fail(conn: "Any", reason: "Optional[int]", message: str, tell: bool) -> ConnectionClosed:
    """End the connection: CLOSED, the buffer dropped, and the event every
    later ``next_event()`` repeats.  ``tell``: a violation the server hears
    of, under 5.0, in a DISCONNECT with ``reason`` (§4.13: "In the case of
    an error in any other packet it SHOULD send a DISCONNECT packet
    containing the reason code before closing"); 3.1.1 only closes (§4.8).
    """
    if tell and conn.version == 5 and reason is not None:
        conn._queue(encode.disconnect(5, reason, None))
    conn.state = CLOSED
    conn._buf = b""
    conn._pos = 0
    closed = conn._closed = ConnectionClosed(reason, message)
    return closed
