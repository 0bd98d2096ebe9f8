"""The packets a client sends, as bytes (5.0 §3, 3.1.1 §3).

Pure functions, no state: the connection (.core) decides what to send and
when, and keeps what must be kept; these check what the specification asks
of the packet itself and build it.  A value that cannot go on the wire raises
LocalProtocolError before anything is built.

``version`` is the protocol level: 4 for 3.1.1, 5 for 5.0 (§3.1.2.2).
Properties (5.0 only) are dicts as :mod:`.props` describes; under 3.1.1 any
property raises, since the packet has nowhere to put it.
"""

from . import props as _props
from .events import LocalProtocolError, Will
from .topics import split_shared, valid_filter, valid_name
from .wire import (
    PT_AUTH, PT_CONNECT, PT_DISCONNECT, PT_PUBREL, PT_SUBSCRIBE, PT_UNSUBSCRIBE, blob, packet,
    text, u16, vbi,
)

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

# 5.0 §3.12, §3.14: PINGREQ and the short DISCONNECT (Normal disconnection,
# no properties; the only DISCONNECT of 3.1.1) have no variable header.
PINGREQ = const(b"\xc0\x00")
DISCONNECT = const(b"\xe0\x00")

# DISCONNECT reason codes a client may send (5.0 §3.14.2.1, "Sent by" column).
_DISCONNECT_CODES = const(b"\x00\x04\x80\x81\x82\x83\x90\x93\x94\x95\x96\x98\x99")

# Subscription options (5.0 §3.8.3.1): bits 0-1 the maximum QoS, then these.
NO_LOCAL = const(0x04)
RETAIN_AS_PUBLISHED = const(0x08)
RETAIN_SEND_IF_NEW = const(0x10)  # Retain Handling 1: only for a new subscription
RETAIN_DONT_SEND = const(0x20)  # Retain Handling 2: no retained messages


def _properties(version: int, values: "Any", ptype: int) -> "List[bytes]":
    # The Properties field of a 5.0 packet; nothing in a 3.1.1 one.
    if version == 5:
        return [_props.encode(values, ptype)]
    if values:
        raise LocalProtocolError("properties need MQTT 5.0")
    return []


def connect(
    version: int,
    client_id: str,
    clean: bool,
    keepalive_s: int,
    will: "Optional[Will]",
    username: "Optional[str]",
    password: "Any",
    properties: "Optional[Dict[int, Any]]",
) -> bytes:
    """A CONNECT (5.0 §3.1, 3.1.1 §3.1)."""
    # §3.1.2.3: Connect Flags; bit 0 is reserved and 0 [MQTT-3.1.2-3].
    flags = 0x02 if clean else 0
    if will is not None:
        # §3.1.2.5-7: the Will Flag, its QoS and Retain; both 0 without a will.
        if not valid_name(will.topic):
            raise LocalProtocolError("invalid will topic")
        if will.qos not in (0, 1, 2):
            raise LocalProtocolError("will QoS must be 0, 1 or 2")
        flags |= 0x04 | will.qos << 3 | (0x20 if will.retain else 0)
    if username is not None:
        flags |= 0x80
    if password is not None:
        # 3.1.1 §3.1.2.9: no password without a user name [MQTT-3.1.2-22];
        # 5.0 §3.1.2.9 allows one.
        if username is None and version == 4:
            raise LocalProtocolError("MQTT 3.1.1 sends a password only with a user name")
        flags |= 0x40
    # 3.1.1 §3.1.3.1: a zero-byte client id only with CleanSession 1
    # [MQTT-3.1.3-7]; 5.0 §3.1.3.1 lets the server assign one either way.
    if not client_id and not clean and version == 4:
        raise LocalProtocolError("MQTT 3.1.1 needs a client id for a persistent session")
    # §3.1.2.1-2, 10: Protocol Name "MQTT", Protocol Level, flags, Keep Alive.
    body = [b"\x00\x04MQTT" + bytes((version, flags)) + u16(keepalive_s)]
    body += _properties(version, properties, PT_CONNECT)
    # §3.1.3: the payload, fields in this order, each present per its flag.
    body.append(text(client_id))
    if will is not None:
        body += _properties(version, will.properties, 0)
        body.append(text(will.topic))
        body.append(blob(will.payload))
    if username is not None:
        body.append(text(username))
    if password is not None:
        body.append(blob(password))
    return packet(0x10, body)


def publish(
    topic: str, payload: bytes, flags: int, packet_id: int, prop_body: "Optional[bytes]"
) -> bytes:
    """A PUBLISH (5.0 §3.3, 3.1.1 §3.3).

    ``flags``: DUP (8), QoS (bits 1-2), RETAIN (1), as in the fixed header
    (§3.3.1).  ``topic`` is "" when a Topic Alias stands for it (5.0).
    ``prop_body``: the encoded properties without their length (5.0), None
    under 3.1.1.  The Packet Identifier is present only for QoS 1 and 2
    (§3.3.2.2).  The core has checked the topic and the values.
    """
    body = [text(topic)]
    if flags & 6:
        body.append(u16(packet_id))
    if prop_body is not None:
        body.append(vbi(len(prop_body)))
        body.append(prop_body)
    body.append(payload)
    return packet(0x30 | flags, body)


def publish_head(topic: str, size: int, retain: bool, version: int) -> bytes:
    """The start of a QoS 0 PUBLISH without properties whose payload of ``size``
    bytes follows as is: the fixed header (5.0 §3.3.1; 3.1.1 §3.3.1), the Topic
    Name and, under 5.0, a Property Length of 0 (§3.3.2.3.1).  No Packet
    Identifier at QoS 0 (§3.3.2.2).  One per topic and size serves every such
    message: a driver may keep it."""
    name = text(topic)
    rest = len(name) + size + (1 if version == 5 else 0)
    return bytes((0x31 if retain else 0x30,)) + vbi(rest) + name + (b"\0" if version == 5
                                                                    else b"")


def ack(version: int, ptype: int, packet_id: int, reason: int = 0) -> bytes:
    """PUBACK, PUBREC, PUBREL or PUBCOMP (5.0 §3.4-3.7): the Packet Identifier,
    and under 5.0 a Reason Code unless it is 0 (§3.4.2.1: "can be omitted if
    the Reason Code is 0x00 (Success) and there are no Properties").  PUBREL's
    fixed header flags are 0010 (§3.6.1)."""
    first = ptype << 4 | (2 if ptype == PT_PUBREL else 0)
    if version == 5 and reason:
        return bytes((first, 3, packet_id >> 8, packet_id & 0xFF, reason))
    return bytes((first, 2, packet_id >> 8, packet_id & 0xFF))


def subscribe(
    version: int,
    packet_id: int,
    items: "Sequence[Tuple[str, int]]",
    properties: "Optional[Dict[int, Any]]",
) -> bytes:
    """A SUBSCRIBE (5.0 §3.8, 3.1.1 §3.8): ``items`` are (filter, options)
    pairs; options are the QoS (0-2), or'ed under 5.0 with NO_LOCAL,
    RETAIN_AS_PUBLISHED and a Retain Handling (§3.8.3.1)."""
    if not items:
        # §3.8.3: at least one pair [MQTT-3.8.3-2 (5.0), MQTT-3.8.3-3 (3.1.1)].
        raise LocalProtocolError("SUBSCRIBE needs at least one topic filter")
    body = [u16(packet_id)]
    body += _properties(version, properties, PT_SUBSCRIBE)
    for flt, options in items:
        _check_filter(version, flt)
        # §3.8.3.1: QoS 3 and Retain Handling 3 are Protocol Errors and the
        # reserved bits 6-7 are 0; 3.1.1 has only the QoS bits.
        if (
            type(options) is not int
            or not 0 <= options <= (0x3F if version == 5 else 0x03)
            or options & 3 == 3
            or options & 0x30 == 0x30
        ):
            raise LocalProtocolError("invalid subscription options %r" % (options,))
        # §3.8.3.1: No Local on a shared subscription is a Protocol Error
        # [MQTT-3.8.3-4].
        if version == 5 and options & NO_LOCAL and split_shared(flt)[0] is not None:
            raise LocalProtocolError("No Local on a shared subscription")
        body.append(text(flt) + bytes((options,)))
    # §3.8.1: the fixed header flags are 0010 [MQTT-3.8.1-1].
    return packet(0x82, body)


def unsubscribe(
    version: int, packet_id: int, filters: "Sequence[str]", properties: "Any"
) -> bytes:
    """An UNSUBSCRIBE (5.0 §3.10, 3.1.1 §3.10): at least one filter
    [MQTT-3.10.3-2]; flags 0010 [MQTT-3.10.1-1]."""
    if not filters:
        raise LocalProtocolError("UNSUBSCRIBE needs at least one topic filter")
    body = [u16(packet_id)]
    body += _properties(version, properties, PT_UNSUBSCRIBE)
    for flt in filters:
        _check_filter(version, flt)
        body.append(text(flt))
    return packet(0xA2, body)


def _check_filter(version: int, flt: str) -> None:
    # §4.7: a valid filter; under 5.0 a $share/ filter has a share name and a
    # filter after it (§4.8.2).
    if type(flt) is not str or not valid_filter(flt):
        raise LocalProtocolError("invalid topic filter %r" % (flt,))
    if version == 5 and split_shared(flt)[0] == "":
        raise LocalProtocolError("invalid shared subscription %r" % (flt,))


def disconnect(version: int, reason: int, properties: "Any") -> bytes:
    """A DISCONNECT (5.0 §3.14, 3.1.1 §3.14): the short form when it is a
    Normal disconnection without properties; the Property Length is left
    out when there are none (§3.14.2.2: "If the Remaining Length is less
    than 2, a value of 0 is used")."""
    if version == 4:
        if reason or properties:
            raise LocalProtocolError("a 3.1.1 DISCONNECT has no reason or properties")
        return DISCONNECT
    if reason not in _DISCONNECT_CODES:
        raise LocalProtocolError("not a client's DISCONNECT reason: 0x%02x" % reason)
    if not properties:
        return DISCONNECT if reason == 0 else bytes((0xE0, 1, reason))
    return packet(0xE0, [bytes((reason,)), _props.encode(properties, PT_DISCONNECT)])


def auth(reason: int, properties: "Any") -> bytes:
    """An AUTH (5.0 §3.15): a client sends 0x18 (Continue authentication)
    or 0x19 (Re-authenticate), with the Authentication Method."""
    if reason != 0x18 and reason != 0x19:
        raise LocalProtocolError("a client's AUTH reason is 0x18 or 0x19")
    return packet(0xF0, [bytes((reason,)), _props.encode(properties, PT_AUTH)])
