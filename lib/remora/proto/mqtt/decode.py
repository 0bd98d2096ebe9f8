"""The packets a client receives, from bytes to events (5.0 §3, 3.1.1 §3).

:func:`parse` reads one whole packet whose fixed header the core has read,
and checks everything the packet can be checked for alone: the fixed header
flags (§2.1.3), the field layout against the Remaining Length, the reason
codes each packet may carry (§2.4), the properties (.props), the Packet
Identifier.  What needs the session (is this our packet id? does the SUBACK
have a code per filter? which topic does this alias stand for?) is the
core's and the session's business.

Failures raise RemoteProtocolError with the reason a 5.0 DISCONNECT gives:
0x81 Malformed Packet where the bytes break the format, 0x82 Protocol Error
where a well-formed packet breaks a rule (§4.13: either ends the connection).
"""

from . import props as _props
from .events import Auth, ConnAck, Disconnect, Message, PingResp, RemoteProtocolError, SubAck
from .events import UnsubAck
from .wire import (
    PT_CONNACK, PT_PUBLISH, PT_PUBACK, PT_PUBREC, PT_PUBCOMP, PT_SUBACK, PT_UNSUBACK,
    PT_PINGRESP, PT_DISCONNECT, PT_AUTH,
)

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any
    from .wire import Reader

_MALFORMED = const(0x81)
_PROTOCOL_ERROR = const(0x82)

# §2.1.3: the fixed header flags of each packet type but PUBLISH ("MUST be
# set to the value listed" [MQTT-2.1.3-1]; otherwise Malformed).
_FLAGS = const(b"\x00\x00\x00\x00\x00\x00\x02\x00\x02\x00\x02\x00\x00\x00\x00\x00")

# The reason codes each packet may carry from a server (5.0 §2.4 and each
# packet's section); anything else is a Protocol Error.
_CONNACK_CODES = const(
    b"\x00\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8c\x90\x95\x97\x99\x9a\x9b\x9c\x9d\x9f"
)
_PUBACK_CODES = const(b"\x00\x10\x80\x83\x87\x90\x91\x97\x99")  # PUBACK, PUBREC §3.4.2.1
_PUBREL_CODES = const(b"\x00\x92")  # PUBREL, PUBCOMP §3.6.2.1, §3.7.2.1
_SUBACK_CODES = const(b"\x00\x01\x02\x80\x83\x87\x8f\x91\x97\x9e\xa1\xa2")  # §3.9.3
_SUBACK_CODES_V3 = const(b"\x00\x01\x02\x80")  # 3.1.1 §3.9.3: others reserved
_UNSUBACK_CODES = const(b"\x00\x11\x80\x83\x87\x8f\x91")  # §3.11.3
_DISCONNECT_CODES = const(  # §3.14.2.1, those a server sends
    b"\x00\x80\x81\x82\x83\x87\x89\x8b\x8d\x8e\x8f\x90\x93\x94\x95\x96\x97\x98\x99\x9a"
    b"\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2"
)
_AUTH_CODES = const(b"\x00\x18")  # §3.15.2.1: 0x19 is the client's


def _malformed(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(what, _MALFORMED)


def _code(code: int, allowed: bytes) -> int:
    if code not in allowed:
        raise RemoteProtocolError("reason code 0x%02x not allowed here" % code, _PROTOCOL_ERROR)
    return code


def _packet_id(rd: "Reader") -> int:
    # §2.2.1: a Packet Identifier is non-zero [MQTT-2.2.1-3] (3.1.1 §2.3.1).
    pid = rd.u16()
    if pid == 0:
        raise RemoteProtocolError("packet identifier 0", _PROTOCOL_ERROR)
    return pid


def _end(rd: "Reader") -> None:
    # Bytes left after the last field: the Remaining Length lied.
    if rd.pos != rd.end:
        raise _malformed("bytes after the last field")


def check_flags(ptype: int, flags: int) -> None:
    """§2.1.3: the fixed header's low 4 bits (PUBLISH's are checked by parse)."""
    if ptype != PT_PUBLISH and flags != _FLAGS[ptype]:
        raise _malformed("invalid fixed header flags 0x%x for packet type %d" % (flags, ptype))


def parse(ptype: int, flags: int, rd: "Reader", version: int) -> "Any":
    """The event for one packet.  PUBACK, PUBREC, PUBREL and PUBCOMP give a
    tuple (packet id, reason, properties) for the session to act on."""
    v5 = version == 5
    # The most frequent first: a PUBLISH, then the acknowledgements.
    if ptype == PT_PUBLISH:
        return _publish(flags, rd, v5)
    if PT_PUBACK <= ptype <= PT_PUBCOMP:
        pid = _packet_id(rd)
        reason = 0
        props = None
        if v5:
            # §3.4.2.1: Remaining Length 2 means Success and no properties;
            # 3 means no properties (§3.4.2.2: "less than 4").
            if rd.pos < rd.end:
                allowed = _PUBACK_CODES if ptype <= PT_PUBREC else _PUBREL_CODES
                reason = _code(rd.byte(), allowed)
                if rd.pos < rd.end:
                    props = _props.decode(rd, ptype)
        _end(rd)  # 3.1.1 §3.4.1: Remaining Length 2
        return pid, reason, props
    if ptype == PT_CONNACK:
        # §3.2.2.1: bits 7-1 of the acknowledge flags are reserved, 0.
        ack_flags = rd.byte()
        if ack_flags & 0xFE:
            raise _malformed("reserved CONNACK flags set")
        code = rd.byte()
        props = None
        if v5:
            _code(code, _CONNACK_CODES)
            props = _props.decode(rd, ptype)
        elif code > 5:
            # 3.1.1 §3.2.2.3: return codes 6-255 are reserved.
            raise RemoteProtocolError("reserved CONNACK return code %d" % code, _PROTOCOL_ERROR)
        _end(rd)  # 3.1.1 §3.2.1: Remaining Length 2
        # §3.2.2.1.1: a refusal has Session Present 0 [MQTT-3.2.2-6]
        # (3.1.1 [MQTT-3.2.2-4]).
        if code and ack_flags:
            raise RemoteProtocolError("Session Present on a refusal", _PROTOCOL_ERROR)
        return ConnAck(bool(ack_flags), code, props)
    if ptype == PT_SUBACK or ptype == PT_UNSUBACK:
        # §3.9.2-3, §3.11.2-3: the Packet Identifier, properties (5.0), then
        # one code per filter of the request, in its order (counted by the
        # session, which knows the request).
        pid = _packet_id(rd)
        props = _props.decode(rd, ptype) if v5 else None
        codes = []
        if ptype == PT_SUBACK:
            allowed = _SUBACK_CODES if v5 else _SUBACK_CODES_V3
        else:
            allowed = _UNSUBACK_CODES
            if not v5:
                _end(rd)  # 3.1.1 §3.11.1: an UNSUBACK is the packet identifier alone
        while rd.pos < rd.end:
            codes.append(_code(rd.byte(), allowed))
        if ptype == PT_SUBACK:
            return SubAck(pid, codes, props)
        return UnsubAck(pid, codes, props)
    if ptype == PT_PINGRESP:
        # §3.13: no variable header, no payload: Remaining Length 0.
        _end(rd)
        return PingResp()
    # DISCONNECT or AUTH (5.0 only; .state refused them under 3.1.1).
    # §3.14.2.1, §3.15.2.1: Remaining Length 0 means reason 0, no properties.
    code = 0
    props = None
    if rd.pos < rd.end:
        code = _code(rd.byte(), _DISCONNECT_CODES if ptype == PT_DISCONNECT else _AUTH_CODES)
        if rd.pos < rd.end:
            props = _props.decode(rd, ptype)
    _end(rd)
    if ptype == PT_AUTH:
        return Auth(code, props)
    # §3.14.2.2.2: a server never sends a Session Expiry Interval [MQTT-3.14.2-2].
    if props and _props.SESSION_EXPIRY_INTERVAL in props:
        raise RemoteProtocolError("Session Expiry Interval in a server's DISCONNECT", 0x82)
    return Disconnect(code, props)


def _publish(flags: int, rd: "Reader", v5: bool) -> Message:
    # §3.3.1.2: QoS 3 is Malformed [MQTT-3.3.1-4]; §3.3.1.1: DUP is 0 at
    # QoS 0 [MQTT-3.3.1-2].
    qos = flags >> 1 & 3
    if qos == 3:
        raise _malformed("PUBLISH with QoS 3")
    if flags & 8 and not qos:
        raise _malformed("DUP set on a QoS 0 PUBLISH")
    # §3.3.2: the Topic Name, the Packet Identifier (QoS 1 and 2 only), the
    # properties (5.0); the payload is the rest, possibly empty (§3.3.3).
    topic = rd.text()
    # §3.3.2.1: no wildcards in a Topic Name [MQTT-3.3.2-2].
    if "+" in topic or "#" in topic:
        raise _malformed("wildcard in a PUBLISH topic name")
    pid = _packet_id(rd) if qos else None
    props = _props.decode(rd, PT_PUBLISH) if v5 else None
    if not topic and not (props and _props.TOPIC_ALIAS in props):
        # 5.0 §3.3.2.1: an empty Topic Name needs a Topic Alias (Protocol
        # Error otherwise); 3.1.1 §4.7.3: at least one character.
        raise RemoteProtocolError("empty topic name", _PROTOCOL_ERROR)
    return Message(topic, rd.rest(), qos, bool(flags & 1), bool(flags & 8), pid, props)
