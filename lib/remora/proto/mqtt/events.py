"""The vocabulary of the MQTT client core: the events ``next_event()`` returns,
the sentinel, the errors, and the reason codes a driver acts on.

Events are small plain classes that compare equal when their type and fields
match (as the HTTP core's do).  ``properties`` is always a dict keyed by the
property identifiers of :mod:`.props` (MQTT 5.0 §2.2.2.2); it is empty for
MQTT 3.1.1 and for a packet without properties.  Repeatable properties (User
Property, and Subscription Identifier in a PUBLISH) map to a list of values in
the order received: ``(name, value)`` pairs for User Property.

``reason`` fields hold the packet's reason code (5.0 §2.4).  Under 3.1.1 only
CONNACK (its return code, 3.1.1 §3.2.2.3: 0 accepted, 1-5 refused) and SUBACK
(0, 1, 2 or 0x80 per filter) carry one; the other events report 0.

Errors, kept apart as h11 keeps them (STYLE.md point 6):

* :class:`LocalProtocolError`: our caller misused the API (a wildcard in a
  PUBLISH topic, a packet over the server's Maximum Packet Size, a publish
  before the CONNACK).  Raised before anything changes: no bytes were made,
  the connection carries on.  :class:`InflightFull` is the one a driver
  expects in normal running: the inflight window is full; suspend the
  publisher (or refuse its message) until a PubAck/PubComp frees a slot.
* :class:`RemoteProtocolError`: the server violated the protocol.  It never
  leaves the core: ``next_event()`` turns it into a :class:`ConnectionClosed`
  event whose ``reason`` is the code of the DISCONNECT queued for sending
  (5.0 §4.13; under 3.1.1 nothing is sent, §4.8: the connection is closed).

The message (``str(exc)``, ``ConnectionClosed.message``) is for logs only.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional  # noqa: F401  (type comments)


# Reason codes used here (5.0 §2.4; public names and all the others: .reasons).
_PROTOCOL_ERROR = const(0x82)


class ProtocolError(Exception):
    """Base class: ``reason`` is the MQTT reason code that fits the failure."""

    reason = _PROTOCOL_ERROR

    def __init__(self, message: str = "protocol error", reason: int = -1) -> None:
        super().__init__(message)
        if reason >= 0:
            self.reason = reason


class LocalProtocolError(ProtocolError):
    """We misused the API; nothing was sent and the connection is unchanged."""


class InflightFull(LocalProtocolError):
    """No room in the inflight window (our ``max_inflight``, or the server's
    Receive Maximum, 5.0 §4.9): wait for a PubAck/PubComp, then try again."""


class RemoteProtocolError(ProtocolError):
    """The server violated MQTT; becomes a ConnectionClosed event (internal)."""


# Compared with ``is``: one object, never an event.
NEED_DATA = "NEED_DATA"


class Event:
    """Base class; events compare equal when their type and fields match.

    No ``__slots__``: the fields are the instance dict, which both runtimes
    compare in one C call.
    """

    def __eq__(self, value: "Any") -> bool:
        return type(value) is type(self) and value.__dict__ == self.__dict__

    def __repr__(self) -> str:
        return "%s%r" % (type(self).__name__, self.__dict__)


class ConnAck(Event):
    """The server's answer to our CONNECT (5.0 §3.2, 3.1.1 §3.2).

    ``reason`` 0 is success; otherwise the connection was refused and is now
    CLOSED.  ``session_present`` tells whether the server resumed a session;
    either way call ``Connection.resend()`` next (it may return nothing).
    """

    def __init__(self, session_present: bool, reason: int, properties: "Any" = None) -> None:
        self.session_present = session_present
        self.reason = reason
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class Message(Event):
    """An application message the server delivered (an incoming PUBLISH).

    ``topic`` is the full topic name, a Topic Alias already resolved
    (5.0 §3.3.2.3.4).  Acknowledgements are the core's business: the PUBACK
    (QoS 1) or PUBREC (QoS 2) is queued in ``data_to_send()`` as the event is
    returned, and a QoS 2 message is returned once even if the server sends
    it again before its PUBREL (5.0 §4.3.3, 3.1.1 §4.3.3 method B).
    """

    def __init__(
        self,
        topic: str,
        payload: bytes,
        qos: int = 0,
        retain: bool = False,
        dup: bool = False,
        packet_id: "Optional[int]" = None,
        properties: "Any" = None,
    ) -> None:
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packet_id = packet_id
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class PubAck(Event):
    """Our QoS 1 publish ``packet_id`` is done (its PUBACK arrived); a
    ``reason`` of 0x80 or more means the server refused the message."""

    def __init__(self, packet_id: int, reason: int = 0, properties: "Any" = None) -> None:
        self.packet_id = packet_id
        self.reason = reason
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class PubComp(Event):
    """Our QoS 2 publish ``packet_id`` is done: its PUBCOMP arrived, or its
    PUBREC carried a failure (``reason`` >= 0x80), which also ends the flow
    (5.0 §4.3.3, [MQTT-4.4.0-2]).  After a reconnect the server may answer
    a re-sent PUBREL with 0x92 (Packet Identifier not found): the message
    had been received by then (its PUBREC came), only the release was lost."""

    def __init__(self, packet_id: int, reason: int = 0, properties: "Any" = None) -> None:
        self.packet_id = packet_id
        self.reason = reason
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class SubAck(Event):
    """The answer to our SUBSCRIBE ``packet_id``: one code per filter, in the
    order sent: the granted QoS (0, 1, 2) or a failure (>= 0x80)."""

    def __init__(self, packet_id: int, reasons: "List[int]", properties: "Any" = None) -> None:
        self.packet_id = packet_id
        self.reasons = reasons
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class UnsubAck(Event):
    """The answer to our UNSUBSCRIBE ``packet_id``: one code per filter under
    5.0 (§3.11.3), none under 3.1.1 (whose UNSUBACK carries no payload)."""

    def __init__(self, packet_id: int, reasons: "Any" = None, properties: "Any" = None) -> None:
        self.packet_id = packet_id
        self.reasons = [] if reasons is None else reasons  # type: List[int]
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class PingResp(Event):
    """The server answered our PINGREQ (5.0 §3.13)."""


class Disconnect(Event):
    """The server's DISCONNECT (5.0 only, §3.14): the connection is now CLOSED;
    the driver closes the socket.  0x9C/0x9D come with a Server Reference."""

    def __init__(self, reason: int = 0, properties: "Any" = None) -> None:
        self.reason = reason
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class Auth(Event):
    """An AUTH packet (5.0 §3.15, enhanced authentication): reported only; the
    driver answers with ``Connection.auth()`` if it runs such an exchange."""

    def __init__(self, reason: int = 0, properties: "Any" = None) -> None:
        self.reason = reason
        self.properties = {} if properties is None else properties  # type: Dict[int, Any]


class ConnectionClosed(Event):
    """The connection is over: the peer closed (``reason`` None), a refused
    CONNACK or a server DISCONNECT (their code), we disconnected (our code),
    or the server broke the protocol (0x81, 0x82, 0x93, 0x94, 0x95: under 5.0
    the DISCONNECT with that code waits in ``data_to_send()``).  Returned
    again on every later ``next_event()`` until the next ``connect()``."""

    def __init__(self, reason: "Optional[int]" = None, message: str = "") -> None:
        self.reason = reason
        self.message = message


class Will(Event):
    """A last will for ``Connection.connect`` (5.0 §3.1.2.5, §3.1.3.2-4).

    ``properties`` are Will Properties (5.0 only): Will Delay Interval,
    Payload Format Indicator, Message Expiry Interval, Content Type, Response
    Topic, Correlation Data, User Property.
    """

    def __init__(
        self,
        topic: str,
        payload: "Any" = b"",
        qos: int = 0,
        retain: bool = False,
        properties: "Any" = None,
    ) -> None:
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties  # type: Optional[Dict[int, Any]]
