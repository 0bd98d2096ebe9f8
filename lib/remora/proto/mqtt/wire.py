"""MQTT's wire primitives: the fixed header, the data representations, and a
bounded reader over one received packet.

The same for both versions except where noted: 5.0 §1.5 and 3.1.1 §1.5
(integers, UTF-8 strings, binary data), 5.0 §2.1 and 3.1.1 §2.2 (the fixed
header: packet type, flags, Remaining Length).

Encoding raises LocalProtocolError (our value cannot go on the wire); the
reader raises RemoteProtocolError with MALFORMED_PACKET (the server's bytes
break the format).  Nothing here keeps state: the functions work on the
buffer and offsets they are given, and :class:`Reader` is made per packet.
"""

from .events import LocalProtocolError, RemoteProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

_MALFORMED = const(0x81)

# Packet types (5.0 §2.1.2, 3.1.1 §2.2.1): the high four bits of the fixed
# header's first byte.  Named here once; the other modules import them.
PT_CONNECT = const(1)
PT_CONNACK = const(2)
PT_PUBLISH = const(3)
PT_PUBACK = const(4)
PT_PUBREC = const(5)
PT_PUBREL = const(6)
PT_PUBCOMP = const(7)
PT_SUBSCRIBE = const(8)
PT_SUBACK = const(9)
PT_UNSUBSCRIBE = const(10)
PT_UNSUBACK = const(11)
PT_PINGREQ = const(12)
PT_PINGRESP = const(13)
PT_DISCONNECT = const(14)
PT_AUTH = const(15)

# 5.0 §1.5.5: a Variable Byte Integer carries at most 268,435,455 in 4 bytes.
MAX_VBI = const(268435455)
# The largest packet: a type byte, a 4-byte Remaining Length and its maximum.
MAX_PACKET = const(268435460)


# -- encoding ------------------------------------------------------------------------

def vbi(value: int) -> bytes:
    """A Variable Byte Integer (5.0 §1.5.5, 3.1.1 §2.2.3): 7 bits a byte, least
    significant group first, the high bit set on every byte but the last."""
    if value < 0x80:
        if value < 0:
            raise LocalProtocolError("negative variable byte integer")
        return bytes((value,))
    if value > MAX_VBI:
        raise LocalProtocolError("value %d over the variable byte integer range" % value)
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def u16(value: int) -> bytes:
    """A Two Byte Integer, big-endian (5.0 §1.5.2)."""
    if not 0 <= value <= 0xFFFF:
        raise LocalProtocolError("value %r out of the two byte range" % (value,))
    return bytes((value >> 8, value & 0xFF))


def u32(value: int) -> bytes:
    """A Four Byte Integer, big-endian (5.0 §1.5.3)."""
    if not 0 <= value <= 0xFFFFFFFF:
        raise LocalProtocolError("value %r out of the four byte range" % (value,))
    return value.to_bytes(4, "big")


def text(value: "Any") -> bytes:
    """A UTF-8 Encoded String: two length bytes then the text (5.0 §1.5.4).

    §1.5.4 forbids U+0000 [MQTT-1.5.4-2] and ill-formed UTF-8, surrogates
    included [MQTT-1.5.4-1]; at most 65,535 bytes.
    """
    if type(value) is not str:
        raise LocalProtocolError("a string is needed, not %s" % type(value).__name__)
    try:
        raw = value.encode()
    except UnicodeError:  # CPython: a lone surrogate
        raise LocalProtocolError("string is not valid UTF-8")
    # A str that is not pure ASCII is checked byte by byte: MicroPython
    # encodes lone surrogates without complaint.
    if "\x00" in value or (len(raw) != len(value) and not utf8_ok(raw, 0, len(raw))):
        raise LocalProtocolError("string has U+0000 or is not valid UTF-8")
    return blob(raw)


def blob(value: "Any") -> bytes:
    """Binary Data: two length bytes then the bytes (5.0 §1.5.6)."""
    if type(value) is str:
        try:
            value = value.encode()
        except UnicodeError:  # CPython: a lone surrogate
            raise LocalProtocolError("string is not valid UTF-8")
    elif type(value) is not bytes:
        value = bytes(value)  # MicroPython's join takes bytes only
    if len(value) > 0xFFFF:
        raise LocalProtocolError("binary data or string over 65,535 bytes")
    return u16(len(value)) + value


def packet(first: int, body: "Any") -> bytes:
    """A whole packet: the fixed header (type and flags byte, Remaining
    Length) before ``body``, a list of bytes pieces."""
    size = 0
    for piece in body:
        size += len(piece)
    body.insert(0, bytes((first,)) + vbi(size))
    return b"".join(body)


# -- validation ----------------------------------------------------------------------

def utf8_ok(buf: "Any", start: int, end: int) -> bool:
    """Whether ``buf[start:end]`` is well-formed UTF-8 with no U+0000.

    RFC 3629 §4's table, which 5.0 §1.5.4 and 3.1.1 §1.5.3 restate: no
    overlong forms, no surrogates (U+D800-DFFF), nothing past U+10FFFF.  Run
    on every received string that is not pure ASCII, because MicroPython's
    decoder accepts surrogates and some overlong forms.
    """
    i = start
    while i < end:
        c = buf[i]
        i += 1
        if c < 0x80:
            if c == 0:
                return False
            continue
        # Lead byte: how many continuation bytes follow, and the range of the
        # first of them (the narrow ranges exclude overlongs and surrogates).
        lo = 0x80
        hi = 0xBF
        if 0xC2 <= c <= 0xDF:
            more = 1
        elif 0xE0 <= c <= 0xEF:
            more = 2
            if c == 0xE0:
                lo = 0xA0
            elif c == 0xED:
                hi = 0x9F
        elif 0xF0 <= c <= 0xF4:
            more = 3
            if c == 0xF0:
                lo = 0x90
            elif c == 0xF4:
                hi = 0x8F
        else:
            return False  # a stray continuation byte, C0, C1 or F5-FF
        if i + more > end or not lo <= buf[i] <= hi:
            return False
        for j in range(i + 1, i + more):
            if not 0x80 <= buf[j] <= 0xBF:
                return False
        i += more
    return True


# -- decoding ------------------------------------------------------------------------

def fixed_header(buf: "Any", pos: int) -> "Optional[Tuple[int, int]]":
    """(Remaining Length, header size) of the packet starting at ``pos``, or
    None while the header is incomplete.

    5.0 §1.5.5: at most 4 bytes; a fifth is malformed.  The encoding "MUST
    use the minimum number of bytes" [MQTT-1.5.5-1]: a last byte of 0 after
    a continuation byte is a longer form of a shorter number, so malformed.
    """
    end = len(buf)
    value = 0
    shift = 0
    i = pos + 1
    while True:
        if i >= end:
            return None
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and shift:
                raise RemoteProtocolError("non-minimal remaining length", _MALFORMED)
            return value, i - pos
        shift += 7
        if shift == 28:
            raise RemoteProtocolError("remaining length over 4 bytes", _MALFORMED)


class Reader:
    """Reads the fields of one packet, ``buf[pos:end]``; reading past ``end``
    is a malformed packet (the Remaining Length did not cover the fields)."""

    def __init__(self, buf: "Any", pos: int, end: int) -> None:
        self.buf = buf
        self.pos = pos
        self.end = end

    def left(self) -> int:
        """Bytes not read yet."""
        return self.end - self.pos

    def _take(self, size: int) -> int:
        pos = self.pos
        if pos + size > self.end:
            raise RemoteProtocolError("packet shorter than its fields", _MALFORMED)
        self.pos = pos + size
        return pos

    def byte(self) -> int:
        """One byte."""
        return self.buf[self._take(1)]

    def u16(self) -> int:
        """A Two Byte Integer (5.0 §1.5.2)."""
        i = self._take(2)
        buf = self.buf
        return buf[i] << 8 | buf[i + 1]

    def u32(self) -> int:
        """A Four Byte Integer (5.0 §1.5.3)."""
        i = self._take(4)
        buf = self.buf
        return buf[i] << 24 | buf[i + 1] << 16 | buf[i + 2] << 8 | buf[i + 3]

    def vbi(self) -> int:
        """A Variable Byte Integer (5.0 §1.5.5), with the header's rules."""
        value = 0
        shift = 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                if byte == 0 and shift:
                    raise RemoteProtocolError("non-minimal variable byte integer", _MALFORMED)
                return value
            shift += 7
            if shift == 28:
                raise RemoteProtocolError("variable byte integer over 4 bytes", _MALFORMED)

    def binary(self) -> bytes:
        """Binary Data (5.0 §1.5.6): a copy, the buffer is reused."""
        size = self.u16()
        i = self._take(size)
        return bytes(self.buf[i : i + size])

    def text(self) -> str:
        """A UTF-8 Encoded String (5.0 §1.5.4); ill-formed UTF-8 or U+0000 is a
        malformed packet [MQTT-1.5.4-1, -2].  A U+FEFF is kept, never
        stripped [MQTT-1.5.4-3]."""
        raw = self.binary()
        try:
            value = raw.decode()
        except UnicodeError:
            value = None
        if value is None or 0 in raw or (
            len(value) != len(raw) and not utf8_ok(raw, 0, len(raw))
        ):
            raise RemoteProtocolError("string is not valid UTF-8", _MALFORMED)
        return value

    def rest(self) -> bytes:
        """The bytes left (a PUBLISH payload), as a copy."""
        i = self.pos
        self.pos = self.end
        return bytes(self.buf[i : self.end])
