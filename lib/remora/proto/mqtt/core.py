"""The sans-IO MQTT client connection (MQTT 3.1.1 and 5.0): bytes in, events
out; calls in, bytes out.  No sockets, clocks or threads (STYLE.md point 1).

A driver sends what ``connect()``, ``publish()``, ``subscribe()``... return,
feeds what it reads to ``receive_data()`` (``b""`` at EOF), calls
``next_event()`` until NEED_DATA, and sends ``data_to_send()``: the replies
the core makes itself (PUBACK, PUBREC, PUBREL, PUBCOMP, a DISCONNECT on a
protocol violation).  The package docstring tells the whole duty.

The pieces: packets in (.decode) and out (.encode) over the wire primitives
(.wire) and properties (.props); the state machine (.state); the session
state and QoS flows (.session); topics (.topics); the events (.events).
This module keeps one connection's state and sends; the reading half is
its base class .receive.Receiver, the Topic Alias tables .aliases.Aliases.

Heap: one Connection (its Session included) with nothing in flight holds
ints and empty constants only; buffers, alias tables and session lists are
made when needed and dropped when empty.
"""

from . import encode
from . import props as _props
from . import state as _state
from .aliases import Aliases
from .events import ConnectionClosed, InflightFull, LocalProtocolError
from .receive import Receiver
from .session import Session
from .state import CLOSED, CONNECTED, CONNECTING, IDLE  # noqa: F401  (re-exported)
from .topics import valid_name
from .wire import (
    MAX_PACKET, PT_AUTH, PT_CONNECT, PT_DISCONNECT, PT_PINGREQ, PT_PUBLISH, PT_SUBSCRIBE,
    PT_UNSUBSCRIBE,
)

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple
    from .events import Will

# What keepalive_due() asks of the driver.
KEEPALIVE_IDLE = const(0)  # nothing to do
KEEPALIVE_PING = const(1)  # send ping()
KEEPALIVE_TIMEOUT = const(2)  # no PINGRESP in time: close the connection


# Bits of Connection._flags: the connection's booleans in one int.
_CLEAN = const(0x01)  # our CONNECT asked for a clean start
_EXPIRY = const(0x02)  # our CONNECT set a non-zero Session Expiry Interval
_AUTH_METHOD = const(0x04)  # our CONNECT named an Authentication Method
_PING = const(0x08)  # a PINGREQ waits for its PINGRESP
_EOF = const(0x10)  # the peer closed its side
_RESEND = const(0x20)  # resend() is due: the ConnAck came, with a session to resume
_NO_RETAIN = const(0x40)  # the server has no retained messages (5.0 §3.2.2.3.5)
_QOS_SHIFT = const(7)  # bits 7-8: the server's Maximum QoS (§3.2.2.3.4)
_QUIET = const(0x200)  # our CONNECT set Request Problem Information 0 (§3.1.2.11.7)

# The CONNECT properties that come from the limits: Receive Maximum, Maximum
# Packet Size, Topic Alias Maximum (5.0 §3.1.2.11.3-5).
_LIMITS = const((0x21, 0x27, 0x22))


class Connection(Receiver, Aliases):
    """The client's end of one MQTT session, over successive network
    connections: ``connect()`` on each new one, the session (``session``)
    carries over.

    ``version``: 4 (MQTT 3.1.1) or 5 (MQTT 5.0).  The limits come from the
    board profile: ``max_packet`` bounds a received packet, fixed header
    included (the receive buffer holds at most one such packet, announced
    to a 5.0 server as Maximum Packet Size); ``max_inflight`` bounds our
    unfinished QoS 1/2 publishes (and, apart, our unanswered
    (UN)SUBSCRIBEs); ``receive_max`` bounds their QoS 2 messages awaiting
    PUBREL (announced as Receive Maximum); ``topic_alias_max`` is how many
    Topic Aliases the server may use towards us (5.0 §3.1.2.11.5; a table of
    that many topics is made on the first one); ``aliases_out`` is how many we
    may use towards it, within its Topic Alias Maximum (§3.2.2.3.8): the
    first topics published get one each and are then sent as 2 bytes.
    """

    def __init__(
        self,
        version: int = 4,
        max_packet: int = 4096,
        max_inflight: int = 8,
        receive_max: int = 20,
        topic_alias_max: int = 0,
        aliases_out: int = 0,
    ) -> None:
        if version != 4 and version != 5:
            raise ValueError("version is 4 (MQTT 3.1.1) or 5 (MQTT 5.0)")
        ok = 16 <= max_packet <= MAX_PACKET and 0 < max_inflight <= 0xFFFF
        ok = ok and 0 < receive_max <= 0xFFFF and 0 <= topic_alias_max <= 0xFFFF
        if not (ok and 0 <= aliases_out <= 0xFFFF):
            raise ValueError("a limit out of its range")
        if version == 4:
            topic_alias_max = aliases_out = 0  # no Topic Alias before 5.0
        self.version = version
        self.max_packet = max_packet
        self.topic_alias_max = topic_alias_max
        self.aliases_out = aliases_out
        self.session = Session(max_inflight, receive_max)
        self.state = IDLE
        self._fresh(0, 0)

    def _fresh(self, keepalive_s: int, flags: int) -> None:
        # The state of one network connection, as it starts.
        self.keepalive_s = keepalive_s  # in force: ours, or the server's (5.0 §3.2.2.3.14)
        # The server's limits (5.0 §3.2.2.3): their defaults until its CONNACK.
        self.their_max_packet = MAX_PACKET
        self.their_receive_max = 0xFFFF
        self.their_alias_max = 0
        self._flags = flags  # the bits above, shared with .receive
        self._fresh_receive()
        self._fresh_aliases()

    # -- sending ------------------------------------------------------------------------

    def connect(
        self,
        client_id: str,
        clean: bool = True,
        keepalive_s: int = 60,
        will: "Optional[Will]" = None,
        username: "Optional[str]" = None,
        password: "Any" = None,
        properties: "Optional[Dict[int, Any]]" = None,
    ) -> bytes:
        """The CONNECT that opens a new network connection (5.0 §3.1).

        ``clean``: Clean Start (5.0) or Clean Session (3.1.1).  Under 5.0 a
        session outlives the connection only with a Session Expiry Interval
        in ``properties`` (§3.1.2.11.2).  Receive Maximum, Maximum Packet
        Size and Topic Alias Maximum are added from the limits; setting them
        in ``properties`` is refused.
        """
        after = _state.send(self.state, PT_CONNECT)
        props = None
        if self.version == 5:
            props = dict(properties) if properties else {}
            for pid in _LIMITS:
                if pid in props:
                    raise LocalProtocolError("property 0x%02x comes from the limits" % pid)
            # §3.1.2.11.3-5: each absent means its default (65,535; no
            # limit; 0), so only other values are sent.
            if self.session.receive_max != 0xFFFF:
                props[_props.RECEIVE_MAXIMUM] = self.session.receive_max
            if self.max_packet < MAX_PACKET:
                props[_props.MAXIMUM_PACKET_SIZE] = self.max_packet
            if self.topic_alias_max:
                props[_props.TOPIC_ALIAS_MAXIMUM] = self.topic_alias_max
        if self.version == 4:
            props = properties  # encode refuses any: 3.1.1 has no properties
        data = encode.connect(
            self.version, client_id, clean, keepalive_s, will, username, password, props
        )
        # Committed: a new network connection starts from nothing.
        flags = _CLEAN if clean else 0
        if props and props.get(_props.SESSION_EXPIRY_INTERVAL):
            flags |= _EXPIRY
        if props and _props.AUTHENTICATION_METHOD in props:
            flags |= _AUTH_METHOD
        if props and props.get(_props.REQUEST_PROBLEM_INFORMATION) == 0:
            flags |= _QUIET
        self._fresh(keepalive_s, flags | 2 << _QOS_SHIFT)
        self.state = after
        self.session.new_connection()
        return data

    def publish(
        self,
        topic: str,
        payload: "Any" = b"",
        qos: int = 0,
        retain: bool = False,
        properties: "Optional[Dict[int, Any]]" = None,
    ) -> "Tuple[Optional[int], bytes]":
        """(packet id, bytes) of a PUBLISH (5.0 §3.3); the id is None at QoS 0.

        A QoS 1/2 message is kept until its PubAck/PubComp event, for a
        resend after a reconnect.  Raises InflightFull when
        ``inflight_room()`` is 0, LocalProtocolError for a topic with a
        wildcard, a QoS or RETAIN the server refused in its CONNACK
        (§3.2.2.3.4-5), a packet over its Maximum Packet Size (§3.2.2.3.6).
        """
        _state.send(self.state, PT_PUBLISH)
        if self._flags & _RESEND:
            raise LocalProtocolError("call resend() after the ConnAck, before publishing")
        if type(topic) is not str or not valid_name(topic):
            raise LocalProtocolError("invalid topic name %r" % (topic,))
        if qos not in (0, 1, 2):
            raise LocalProtocolError("QoS must be 0, 1 or 2")
        if qos > self._flags >> _QOS_SHIFT & 3:
            raise LocalProtocolError("QoS over the server's Maximum QoS", 0x9B)
        if retain and self._flags & _NO_RETAIN:
            raise LocalProtocolError("the server has no retained messages", 0x9A)
        if type(payload) is str:
            try:
                payload = payload.encode()
            except UnicodeError:  # CPython: a lone surrogate
                raise LocalProtocolError("payload is not valid UTF-8")
        elif type(payload) is not bytes:
            payload = bytes(payload)  # also a copy the caller cannot change under us
        body = None
        if self.version == 5:
            if properties and (
                _props.TOPIC_ALIAS in properties or _props.SUBSCRIPTION_IDENTIFIER in properties
            ):
                # §3.3.4: no Subscription Identifier from a client
                # [MQTT-3.3.4-6]; Topic Aliases are this core's business.
                raise LocalProtocolError("Topic Alias and Subscription Identifier are not ours")
            body = _props.body(properties, PT_PUBLISH)
        elif properties:
            raise LocalProtocolError("properties need MQTT 5.0")
        pid = None
        if qos:
            if self.inflight_room() <= 0:
                raise InflightFull("inflight window full")
            pid = self.session.next_id()
        flags = qos << 1 | (1 if retain else 0)
        # The packet, with a Topic Alias where one applies (5.0 §3.3.2.3.4);
        # the last check is its size.  The session keeps the message without.
        if self.aliases_out and self.their_alias_max:
            data = self._alias_publish(topic, payload, flags, pid or 0, body)
        else:
            data = encode.publish(topic, payload, flags, pid or 0, body)
            self._check_size(data)
        if pid is not None:
            self.session.add(pid, flags, topic, payload, body)
        return pid, data

    def publish_head(self, topic: str, size: int, retain: bool = False) -> "Optional[bytes]":
        """The bytes that start a QoS 0 PUBLISH of ``topic`` without
        properties; its payload of ``size`` bytes follows them on the wire
        (encode.publish_head).  A driver may keep them for every such
        message until the next connect(), which may change the server's
        limits.  None when this connection would send the topic as a Topic
        Alias (then publish()).  Raises as publish() does."""
        _state.send(self.state, PT_PUBLISH)
        if self._flags & _RESEND:
            raise LocalProtocolError("call resend() after the ConnAck, before publishing")
        if type(topic) is not str or not valid_name(topic):
            raise LocalProtocolError("invalid topic name %r" % (topic,))
        if retain and self._flags & _NO_RETAIN:
            raise LocalProtocolError("the server has no retained messages", 0x9A)
        if self.aliases_out and self.their_alias_max:
            return None
        head = encode.publish_head(topic, size, retain, self.version)
        if len(head) + size > self.their_max_packet:
            raise LocalProtocolError("packet over the server's Maximum Packet Size", 0x95)
        return head

    def subscribe(
        self,
        items: "Sequence[Tuple[str, int]]",
        properties: "Optional[Dict[int, Any]]" = None,
    ) -> "Tuple[int, bytes]":
        """(packet id, bytes) of a SUBSCRIBE (5.0 §3.8) of ``items``, (filter,
        options) pairs: the QoS, or'ed under 5.0 with encode.NO_LOCAL,
        RETAIN_AS_PUBLISHED, RETAIN_SEND_IF_NEW or RETAIN_DONT_SEND.  The
        answer is a SubAck event with the same id.  InflightFull when
        ``max_inflight`` requests wait already."""
        return self._request(PT_SUBSCRIBE, items, properties)

    def unsubscribe(
        self, filters: "Sequence[str]", properties: "Optional[Dict[int, Any]]" = None
    ) -> "Tuple[int, bytes]":
        """(packet id, bytes) of an UNSUBSCRIBE (5.0 §3.10); the answer is an
        UnsubAck event with the same id."""
        return self._request(PT_UNSUBSCRIBE, filters, properties)

    def _request(self, ptype: int, items: "Any", properties: "Any") -> "Tuple[int, bytes]":
        _state.send(self.state, ptype)
        session = self.session
        if session.requests_full():
            raise InflightFull("too many SUBSCRIBE/UNSUBSCRIBE waiting for an ack")
        pid = session.next_id()
        if ptype == PT_SUBSCRIBE:
            data = encode.subscribe(self.version, pid, items, properties)
        else:
            data = encode.unsubscribe(self.version, pid, items, properties)
        self._check_size(data)
        session.add_request(pid, 1 if ptype == PT_UNSUBSCRIBE else 0, len(items))
        return pid, data

    def ping(self) -> bytes:
        """A PINGREQ (5.0 §3.12), when keepalive_due() says so."""
        _state.send(self.state, PT_PINGREQ)
        self._flags |= _PING
        return encode.PINGREQ

    def keepalive_due(self, since_sent_ms: int, since_received_ms: int) -> int:
        """What the Keep Alive (5.0 §3.1.2.10) asks now, given the ms since
        the driver last sent and last received anything on this connection.

        KEEPALIVE_PING when a Keep Alive period passed without a packet sent
        (a PINGREQ keeps the server from closing at 1.5 periods) or received
        (so that a dead link is found); KEEPALIVE_TIMEOUT when a PINGREQ is
        unanswered and nothing came for 1.5 periods ("within a reasonable
        amount of time", §3.1.2.10): close the connection;
        KEEPALIVE_IDLE otherwise, and always with a Keep Alive of 0.  While
        the CONNACK is awaited, KEEPALIVE_TIMEOUT once a period passed since
        our last packet (§3.2: no CONNACK "within a reasonable amount of
        time", the client "SHOULD close the Network Connection").
        """
        period = self.keepalive_s * 1000
        if self.state == CONNECTING and period:
            return KEEPALIVE_TIMEOUT if since_sent_ms >= period else KEEPALIVE_IDLE
        if not period or self.state != CONNECTED:
            return KEEPALIVE_IDLE
        if self._flags & _PING:
            return KEEPALIVE_TIMEOUT if since_received_ms >= period * 3 // 2 else KEEPALIVE_IDLE
        if since_sent_ms >= period or since_received_ms >= period:
            return KEEPALIVE_PING
        return KEEPALIVE_IDLE

    def disconnect(self, reason: int = 0, properties: "Optional[Dict[int, Any]]" = None) -> bytes:
        """The DISCONNECT that ends the connection (5.0 §3.14); then close the
        socket.  Under 5.0, 0x04 asks the server to publish the will, and a
        Session Expiry Interval may change the session's, but not from 0
        (§3.14.2.2.2: a Protocol Error)."""
        after = _state.send(self.state, PT_DISCONNECT)
        expiry = properties.get(_props.SESSION_EXPIRY_INTERVAL) if properties else 0
        if expiry and not self._flags & _EXPIRY:
            raise LocalProtocolError("Session Expiry Interval was 0 at CONNECT")
        data = encode.disconnect(self.version, reason, properties)
        self._check_size(data)
        self.state = after
        self._closed = ConnectionClosed(reason, "we disconnected")
        return data

    def auth(self, reason: int = 0x18, properties: "Optional[Dict[int, Any]]" = None) -> bytes:
        """An AUTH (5.0 §3.15) for an enhanced authentication exchange."""
        if self.version != 5:
            raise LocalProtocolError("AUTH needs MQTT 5.0")
        _state.send(self.state, PT_AUTH)
        data = encode.auth(reason, properties)
        self._check_size(data)
        return data

    def close(self) -> None:
        """The network connection is gone (the driver's read or write failed,
        or it gave up): the state becomes CLOSED; ``connect()`` may follow."""
        if self.state != CLOSED and self.state != IDLE:
            self._fail(None, "the driver closed the connection", False)

    def resend(self) -> "List[bytes]":
        """The packets to send again after a ConnAck, before anything else
        (5.0 §4.4): see Session.resume.  Call it on every successful ConnAck;
        publish() refuses until then."""
        if self.state != CONNECTED:
            raise LocalProtocolError("resend() follows a successful ConnAck")
        self._flags &= ~_RESEND
        return self.session.resend(self, self.their_receive_max)

    def inflight_room(self) -> int:
        """How many QoS 1/2 publishes may be sent now (0: wait for an ack)."""
        if self.state != CONNECTED or self._flags & _RESEND:
            return 0
        return self.session.room(self.their_receive_max)

    def _check_size(self, data: bytes) -> None:
        # 5.0 §3.2.2.3.6: nothing over the server's Maximum Packet Size
        # [MQTT-3.2.2-15].
        if len(data) > self.their_max_packet:
            raise LocalProtocolError("packet over the server's Maximum Packet Size", 0x95)
