"""MQTT 5.0 properties (§2.2.2): their identifiers, types and the packets each
may appear in, and their encoding and decoding.

A property set is a dict keyed by identifier.  Values by type: Byte, Two
Byte, Four Byte and Variable Byte Integers are ints; UTF-8 strings are str;
Binary Data is bytes; User Property (a UTF-8 String Pair, repeatable) is a
list of ``(name, value)`` str pairs.  Subscription Identifier is an int in a
SUBSCRIBE and, since a server may send several, a list of ints in a
received PUBLISH (§3.3.2.3.8).

The tables are constants (bytes and a tuple of ints: flash on a board, no
dict built at import): the type of each identifier, and a mask of the packet
types it may appear in (bit ``1 << type``; bit 0 stands for the Will
Properties of a CONNECT, §3.1.3.2).
"""

from .events import LocalProtocolError, RemoteProtocolError
from .wire import MAX_VBI, PT_PUBLISH, blob, text, u16, u32, vbi

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, Optional
    from .wire import Reader

# Property identifiers (5.0 §2.2.2.2), named as the specification names them.
PAYLOAD_FORMAT_INDICATOR = const(0x01)
MESSAGE_EXPIRY_INTERVAL = const(0x02)
CONTENT_TYPE = const(0x03)
RESPONSE_TOPIC = const(0x08)
CORRELATION_DATA = const(0x09)
SUBSCRIPTION_IDENTIFIER = const(0x0B)
SESSION_EXPIRY_INTERVAL = const(0x11)
ASSIGNED_CLIENT_IDENTIFIER = const(0x12)
SERVER_KEEP_ALIVE = const(0x13)
AUTHENTICATION_METHOD = const(0x15)
AUTHENTICATION_DATA = const(0x16)
REQUEST_PROBLEM_INFORMATION = const(0x17)
WILL_DELAY_INTERVAL = const(0x18)
REQUEST_RESPONSE_INFORMATION = const(0x19)
RESPONSE_INFORMATION = const(0x1A)
SERVER_REFERENCE = const(0x1C)
REASON_STRING = const(0x1F)
RECEIVE_MAXIMUM = const(0x21)
TOPIC_ALIAS_MAXIMUM = const(0x22)
TOPIC_ALIAS = const(0x23)
MAXIMUM_QOS = const(0x24)
RETAIN_AVAILABLE = const(0x25)
USER_PROPERTY = const(0x26)
MAXIMUM_PACKET_SIZE = const(0x27)
WILDCARD_SUBSCRIPTION_AVAILABLE = const(0x28)
SUBSCRIPTION_IDENTIFIER_AVAILABLE = const(0x29)
SHARED_SUBSCRIPTION_AVAILABLE = const(0x2A)

# Data types, as digits in _TYPES.
_BYTE = const(1)
_TWO = const(2)
_FOUR = const(3)
_VBI = const(4)
_UTF8 = const(5)
_BINARY = const(6)
_PAIR = const(7)

# The type of each identifier, one ASCII digit per identifier from 0x00 on;
# "0": not a property.  From the table of 5.0 §2.2.2.2.
_TYPES = const(
    b"0135000056040000"  # 0x00-0x0F: 01 byte, 02 four, 03 utf8, 08 utf8, 09 binary, 0B vbi
    b"0352056131505005"  # 0x10-0x1F: 11 four, 12 utf8, 13 two, 15 utf8, 16 binary, 17 byte,
    #                      18 four, 19 byte, 1A utf8, 1C utf8, 1F utf8
    b"02221173111"  # 0x20-0x2A: 21-23 two, 24-25 byte, 26 pair, 27 four, 28-2A byte
)

# Where each identifier may appear: bit (1 << packet type), bit 0 for Will
# Properties.  Packet types: CONNECT 1, CONNACK 2, PUBLISH 3, PUBACK 4,
# PUBREC 5, PUBREL 6, PUBCOMP 7, SUBSCRIBE 8, SUBACK 9, UNSUBSCRIBE 10,
# UNSUBACK 11, DISCONNECT 14, AUTH 15.
_WHERE = const(
    (
        0x0000, 0x0009, 0x0009, 0x0009, 0, 0, 0, 0,  # 01-03: PUBLISH, Will
        0x0009, 0x0009, 0, 0x0108, 0, 0, 0, 0,  # 08-09: PUBLISH, Will; 0B: PUBLISH, SUBSCRIBE
        0, 0x4006, 0x0004, 0x0004, 0, 0x8006, 0x8006, 0x0002,  # 11: CONNECT CONNACK DISCONNECT
        0x0001, 0x0002, 0x0004, 0, 0x4004, 0, 0, 0xCAF4,  # 18: Will; 1F: acks, DISCONNECT, AUTH
        0, 0x0006, 0x0006, 0x0008, 0x0004, 0x0004, 0xCFFF, 0x0006,  # 26: all but PING*
        0x0004, 0x0004, 0x0004,  # 28-2A: CONNACK
    )
)

# Byte properties whose only values are 0 and 1 ("It is a Protocol Error to
# ... have a value other than 0 or 1": §3.1.2.11.7, .8, §3.2.2.3.4, .5, .11-.13).
_BOOLEANS = const(b"\x17\x19\x24\x25\x28\x29\x2a")
# Properties that must not be 0: Subscription Identifier (§3.3.2.3.8,
# §3.8.2.1.2), Receive Maximum (§3.1.2.11.3, §3.2.2.3.3), Maximum Packet
# Size (§3.1.2.11.4, §3.2.2.3.6).  Topic Alias 0 is checked where it is used.
_NOT_ZERO = const(b"\x0b\x21\x27")

_PROTOCOL_ERROR = const(0x82)


def _kind(pid: int, ptype: int) -> int:
    # The data type of ``pid`` if it may appear in packet type ``ptype``, else 0.
    if not 0 < pid < len(_TYPES) or not (_WHERE[pid] >> ptype) & 1:
        return 0
    return _TYPES[pid] - 48


def decode(rd: "Reader", ptype: int) -> "Dict[int, Any]":
    """Read a Property Length and its properties (5.0 §2.2.2) for a packet of
    type ``ptype``.  An identifier unknown or not allowed there, or a value
    that does not fit its type, is a Malformed Packet (§2.2.2.2); a property
    repeated where it may not be, or a value out of its range, is a Protocol
    Error (each property's own section says so)."""
    # §2.2.2.1: the Property Length, a Variable Byte Integer, counts the
    # bytes of the properties after it; 0 when there are none.
    size = rd.vbi()
    end = rd.pos + size
    if end > rd.end:
        raise RemoteProtocolError("property length past the packet", 0x81)
    # Values must end inside the property block: read with the block's end.
    outer = rd.end
    rd.end = end
    props = {}  # type: Dict[int, Any]
    while rd.pos < end:
        # §2.2.2.2: the identifier is a Variable Byte Integer.
        pid = rd.vbi()
        kind = _kind(pid, ptype)
        # The value by the identifier's type (§2.2.2.2); a read past the
        # block's end is Malformed (the Reader's end is the block's).
        if kind == _BYTE:
            value = rd.byte()  # type: Any
        elif kind == _TWO:
            value = rd.u16()
        elif kind == _FOUR:
            value = rd.u32()
        elif kind == _VBI:
            value = rd.vbi()
        elif kind == _UTF8:
            value = rd.text()
        elif kind == _BINARY:
            value = rd.binary()
        elif kind == _PAIR:
            value = (rd.text(), rd.text())
        else:
            raise RemoteProtocolError("property 0x%02x not allowed here" % pid, 0x81)
        if (pid in _BOOLEANS and value > 1) or (pid in _NOT_ZERO and value == 0):
            raise RemoteProtocolError("property 0x%02x out of range" % pid, _PROTOCOL_ERROR)
        # §2.2.2.2: User Property may appear more than once; so may
        # Subscription Identifier in a PUBLISH (§3.3.2.3.8).  Any other
        # property more than once is a Protocol Error.
        if pid == USER_PROPERTY or (pid == SUBSCRIPTION_IDENTIFIER and ptype == PT_PUBLISH):
            many = props.get(pid)
            if many is None:
                props[pid] = [value]
            else:
                many.append(value)
        elif pid in props:
            raise RemoteProtocolError("property 0x%02x repeated" % pid, _PROTOCOL_ERROR)
        else:
            props[pid] = value
    rd.end = outer
    return props


def encode(props: "Optional[Dict[int, Any]]", ptype: int) -> bytes:
    """The Property Length and properties of ``props`` for packet type
    ``ptype`` (0: Will Properties), as :func:`body` encodes them."""
    data = body(props, ptype)
    return vbi(len(data)) + data


def body(props: "Optional[Dict[int, Any]]", ptype: int) -> bytes:
    """The properties of ``props``, without their Property Length, for packet
    type ``ptype`` (0: Will Properties).  Identifiers go out in increasing order,
    so the bytes do not depend on the dict's order; User Property pairs keep
    theirs (§3.3.2.3.7: their order is meaningful).  LocalProtocolError for
    an identifier not allowed in the packet, or a value its type refuses."""
    if not props:
        return b""
    out = []
    for pid in sorted(props):
        kind = _kind(pid, ptype)
        value = props[pid]
        if kind == 0:
            raise LocalProtocolError("property 0x%02x not allowed in this packet" % pid)
        if kind == _PAIR:
            # §3.1.2.11.8 and the like: one property per pair, the identifier
            # repeated, in the caller's order.
            if type(value) is tuple and value and type(value[0]) is str:
                value = (value,)  # one pair given alone
            for pair in value:
                if len(pair) != 2:
                    raise LocalProtocolError("a User Property is a (name, value) pair")
                out.append(b"\x26" + text(pair[0]) + text(pair[1]))
            continue
        if kind <= _VBI:
            if type(value) is not int or (pid in _BOOLEANS and not 0 <= value <= 1):
                raise LocalProtocolError("property 0x%02x needs an integer in range" % pid)
            if pid in _NOT_ZERO and value == 0:
                raise LocalProtocolError("property 0x%02x may not be 0" % pid)
        if kind == _BYTE:
            if not 0 <= value <= 0xFF:
                raise LocalProtocolError("property 0x%02x is one byte" % pid)
            data = bytes((value,))
        elif kind == _TWO:
            data = u16(value)
        elif kind == _FOUR:
            data = u32(value)
        elif kind == _VBI:
            if not 0 <= value <= MAX_VBI:
                raise LocalProtocolError("property 0x%02x out of range" % pid)
            data = vbi(value)
        elif kind == _UTF8:
            data = text(value)
        else:
            data = blob(value)
        out.append(bytes((pid,)) + data)
    return b"".join(out)
