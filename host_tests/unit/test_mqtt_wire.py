# The MQTT core's wire primitives and properties (remora.proto.mqtt.wire, .props,
# .reasons): Variable Byte Integers at every length boundary (MQTT 5.0 §1.5.5), the
# integers and strings of §1.5, UTF-8 validity (§1.5.4, RFC 3629), every property
# identifier of §2.2.2.2 with its type, and the property rules.  Runs on both runtimes.
from remora.proto.mqtt import props, reasons
from remora.proto.mqtt.events import LocalProtocolError, RemoteProtocolError
from remora.proto.mqtt.wire import MAX_VBI, Reader, blob, fixed_header, packet, text, u16
from remora.proto.mqtt.wire import u32, utf8_ok, vbi


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


def reader(data):
    return Reader(data, 0, len(data))


# -- Variable Byte Integer: §1.5.5's table of lengths -------------------------------------
VBI = [
    (0, b"\x00"),
    (1, b"\x01"),
    (127, b"\x7f"),
    (128, b"\x80\x01"),
    (321, b"\xc1\x02"),  # the example of 3.1.1 §2.2.3: 321 = 65 + 2 * 128
    (16383, b"\xff\x7f"),
    (16384, b"\x80\x80\x01"),
    (2097151, b"\xff\xff\x7f"),
    (2097152, b"\x80\x80\x80\x01"),
    (268435455, b"\xff\xff\xff\x7f"),
]
for value, wire in VBI:
    assert vbi(value) == wire, (value, vbi(value))
    assert reader(wire).vbi() == value
    # As a Remaining Length: (value, header size) from the byte after the type.
    assert fixed_header(b"\x30" + wire, 0) == (value, 1 + len(wire))
    # Incomplete: every prefix of the header asks for more.
    for cut in range(1, len(wire)):
        assert fixed_header(b"\x30" + wire[:cut], 0) is None
assert MAX_VBI == 268435455
raises(LocalProtocolError, vbi, 268435456)
raises(LocalProtocolError, vbi, -1)
# A fifth byte is refused as soon as the fourth has its continuation bit.
for bad in (b"\xff\xff\xff\xff", b"\xff\xff\xff\xff\x7f", b"\x80\x80\x80\x80\x01"):
    exc = raises(RemoteProtocolError, fixed_header, b"\x30" + bad, 0)
    assert exc.reason == 0x81, exc.reason
    exc = raises(RemoteProtocolError, reader(bad).vbi)
    assert exc.reason == 0x81
# Non-minimal encodings ([MQTT-1.5.5-1]): a 0 after a continuation byte.
for bad in (b"\x80\x00", b"\xff\x00", b"\x80\x80\x00", b"\x81\x80\x00"):
    assert raises(RemoteProtocolError, fixed_header, b"\x30" + bad, 0).reason == 0x81
    assert raises(RemoteProtocolError, reader(bad).vbi).reason == 0x81
# The header at an offset.
assert fixed_header(b"xx\x20\x02\x00\x00", 2) == (2, 2)
assert fixed_header(b"\x20", 0) is None

# -- integers ------------------------------------------------------------------------------
assert u16(0) == b"\x00\x00" and u16(0x1234) == b"\x12\x34" and u16(65535) == b"\xff\xff"
raises(LocalProtocolError, u16, 65536)
raises(LocalProtocolError, u16, -1)
assert u32(0x01020304) == b"\x01\x02\x03\x04" and u32(0xFFFFFFFF) == b"\xff\xff\xff\xff"
raises(LocalProtocolError, u32, 1 << 32)
rd = reader(b"\x12\x34\x01\x02\x03\x04\xff")
assert rd.u16() == 0x1234 and rd.u32() == 0x01020304 and rd.byte() == 0xFF and rd.left() == 0
assert raises(RemoteProtocolError, rd.byte).reason == 0x81  # past the end
rd = Reader(b"\x00\x05abcdefgh", 0, 4)  # the packet ends before the string does
assert raises(RemoteProtocolError, rd.text).reason == 0x81

# -- strings: §1.5.4 -----------------------------------------------------------------------
# The example of §1.5.4: "A" U+2A6D4 (a 4-byte form).
assert text("A\U0002a6d4") == b"\x00\x05\x41\xf0\xaa\x9b\x94"
assert reader(b"\x00\x05\x41\xf0\xaa\x9b\x94").text() == "A\U0002a6d4"
assert text("") == b"\x00\x00" and reader(b"\x00\x00").text() == ""
assert text("MQTT") == b"\x00\x04MQTT"
assert text("é€") == b"\x00\x05\xc3\xa9\xe2\x82\xac"
# U+FEFF is kept where it is, never stripped [MQTT-1.5.4-3].
assert reader(b"\x00\x04\xef\xbb\xbfa").text() == "\ufeffa"
# At most 65,535 bytes.
assert len(text("x" * 65535)) == 65537
raises(LocalProtocolError, text, "x" * 65536)
raises(LocalProtocolError, text, "a\x00b")  # U+0000 [MQTT-1.5.4-2]
raises(LocalProtocolError, text, b"bytes")  # a str is needed
# Binary Data: bytes, bytearray, memoryview, str.
assert blob(b"\x00\x01") == b"\x00\x02\x00\x01"
assert blob(bytearray(b"ab")) == b"\x00\x02ab" and blob(memoryview(b"ab")) == b"\x00\x02ab"
assert blob("hé") == b"\x00\x03h\xc3\xa9"
raises(LocalProtocolError, blob, bytes(65536))
assert reader(b"\x00\x03\x00\xff\x01").binary() == b"\x00\xff\x01"

# Ill-formed UTF-8 and U+0000 in a received string are Malformed [MQTT-1.5.4-1, -2].
BAD_UTF8 = [
    b"\x00",  # U+0000
    b"a\x00b",
    b"\xc0\x80",  # overlong U+0000
    b"\xc1\xbf",  # overlong
    b"\xe0\x80\x80",  # overlong 3-byte
    b"\xe0\x9f\xbf",  # overlong 3-byte (U+07FF)
    b"\xf0\x80\x80\x80",  # overlong 4-byte
    b"\xf0\x8f\xbf\xbf",  # overlong 4-byte (U+FFFF)
    b"\xed\xa0\x80",  # U+D800, a surrogate
    b"\xed\xbf\xbf",  # U+DFFF
    b"\xed\xa0\x80\xed\xb0\x80",  # a surrogate pair, CESU-8 style
    b"\xf4\x90\x80\x80",  # U+110000
    b"\xf5\x80\x80\x80",
    b"\xff",
    b"\xfe",
    b"\x80",  # a lone continuation byte
    b"a\xbf",
    b"\xc3",  # truncated
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xc3\x28",  # bad continuation
    b"\xe2\x28\xa1",
    b"\xe2\x82\x28",
    b"\xf0\x28\x8c\xbc",
    b"\xf0\x90\x28\xbc",
]
for raw in BAD_UTF8:
    assert not utf8_ok(raw, 0, len(raw)), raw
    exc = raises(RemoteProtocolError, reader(u16(len(raw)) + raw).text)
    assert exc.reason == 0x81, raw
GOOD_UTF8 = [
    b"",
    b"plain ascii / + #",
    b"\x7f",
    b"\xc2\x80",  # U+0080
    b"\xdf\xbf",  # U+07FF
    b"\xe0\xa0\x80",  # U+0800
    b"\xed\x9f\xbf",  # U+D7FF, just below the surrogates
    b"\xee\x80\x80",  # U+E000, just above
    b"\xef\xbf\xbf",  # U+FFFF
    b"\xf0\x90\x80\x80",  # U+10000
    b"\xf4\x8f\xbf\xbf",  # U+10FFFF
    b"\xe2\x82\xac/\xf0\x9f\x98\x80",
]
for raw in GOOD_UTF8:
    assert utf8_ok(raw, 0, len(raw)), raw
    assert reader(u16(len(raw)) + raw).text() == raw.decode()
# A window of a larger buffer.
assert utf8_ok(b"\xff ok \xff", 1, 5) and not utf8_ok(b"\xff ok \xff", 0, 5)

# -- packet(): the fixed header over a body ----------------------------------------------
assert packet(0xC0, []) == b"\xc0\x00"
assert packet(0x30, [b"\x00\x01a", b"x" * 200]) == b"\x30\xcb\x01\x00\x01a" + b"x" * 200

# -- properties: every identifier of §2.2.2.2, with its type ------------------------------
# (identifier, packet type it may appear in, value, encoded property)
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH, WILL = 8, 9, 10, 11, 14, 15, 0
EVERY = [
    (props.PAYLOAD_FORMAT_INDICATOR, PUBLISH, 1, b"\x01\x01"),
    (props.MESSAGE_EXPIRY_INTERVAL, PUBLISH, 3600, b"\x02\x00\x00\x0e\x10"),
    (props.CONTENT_TYPE, PUBLISH, "text/plain", b"\x03\x00\x0atext/plain"),
    (props.RESPONSE_TOPIC, WILL, "r/t", b"\x08\x00\x03r/t"),
    (props.CORRELATION_DATA, PUBLISH, b"\x00\x01", b"\x09\x00\x02\x00\x01"),
    (props.SUBSCRIPTION_IDENTIFIER, SUBSCRIBE, 268435455, b"\x0b\xff\xff\xff\x7f"),
    (props.SESSION_EXPIRY_INTERVAL, CONNECT, 0xFFFFFFFF, b"\x11\xff\xff\xff\xff"),
    (props.ASSIGNED_CLIENT_IDENTIFIER, CONNACK, "auto-1", b"\x12\x00\x06auto-1"),
    (props.SERVER_KEEP_ALIVE, CONNACK, 30, b"\x13\x00\x1e"),
    (props.AUTHENTICATION_METHOD, AUTH, "SCRAM-SHA-1", b"\x15\x00\x0bSCRAM-SHA-1"),
    (props.AUTHENTICATION_DATA, CONNECT, b"\x01\x02\x03", b"\x16\x00\x03\x01\x02\x03"),
    (props.REQUEST_PROBLEM_INFORMATION, CONNECT, 0, b"\x17\x00"),
    (props.WILL_DELAY_INTERVAL, WILL, 10, b"\x18\x00\x00\x00\x0a"),
    (props.REQUEST_RESPONSE_INFORMATION, CONNECT, 1, b"\x19\x01"),
    (props.RESPONSE_INFORMATION, CONNACK, "resp/", b"\x1a\x00\x05resp/"),
    (props.SERVER_REFERENCE, DISCONNECT, "other:1883", b"\x1c\x00\x0aother:1883"),
    (props.REASON_STRING, PUBACK, "why", b"\x1f\x00\x03why"),
    (props.RECEIVE_MAXIMUM, CONNECT, 20, b"\x21\x00\x14"),
    (props.TOPIC_ALIAS_MAXIMUM, CONNACK, 10, b"\x22\x00\x0a"),
    (props.TOPIC_ALIAS, PUBLISH, 1, b"\x23\x00\x01"),
    (props.MAXIMUM_QOS, CONNACK, 1, b"\x24\x01"),
    (props.RETAIN_AVAILABLE, CONNACK, 0, b"\x25\x00"),
    (props.USER_PROPERTY, UNSUBACK, [("k", "v")], b"\x26\x00\x01k\x00\x01v"),
    (props.MAXIMUM_PACKET_SIZE, CONNECT, 2048, b"\x27\x00\x00\x08\x00"),
    (props.WILDCARD_SUBSCRIPTION_AVAILABLE, CONNACK, 1, b"\x28\x01"),
    (props.SUBSCRIPTION_IDENTIFIER_AVAILABLE, CONNACK, 0, b"\x29\x00"),
    (props.SHARED_SUBSCRIPTION_AVAILABLE, CONNACK, 1, b"\x2a\x01"),
]
assert len(EVERY) == 27  # all of §2.2.2.2
for pid, ptype, value, wire in EVERY:
    assert props.encode({pid: value}, ptype) == vbi(len(wire)) + wire, pid
    assert props.body({pid: value}, ptype) == wire
    got = props.decode(reader(vbi(len(wire)) + wire), ptype)
    if pid == props.SUBSCRIPTION_IDENTIFIER and ptype == PUBLISH:
        value = [value]
    assert got == {pid: value}, (pid, got)
# Where each may appear: CONNACK's own properties are refused in a PUBLISH, and so on.
NOT_THERE = [
    (props.PAYLOAD_FORMAT_INDICATOR, CONNECT),
    (props.SUBSCRIPTION_IDENTIFIER, UNSUBSCRIBE),
    (props.SESSION_EXPIRY_INTERVAL, PUBLISH),
    (props.ASSIGNED_CLIENT_IDENTIFIER, CONNECT),
    (props.SERVER_KEEP_ALIVE, CONNECT),
    (props.REQUEST_PROBLEM_INFORMATION, CONNACK),
    (props.WILL_DELAY_INTERVAL, CONNECT),
    (props.WILL_DELAY_INTERVAL, PUBLISH),
    (props.REASON_STRING, PUBLISH),
    (props.REASON_STRING, SUBSCRIBE),
    (props.TOPIC_ALIAS, WILL),
    (props.MAXIMUM_QOS, CONNECT),
    (props.USER_PROPERTY, 12),  # PINGREQ has no properties
    (props.USER_PROPERTY, 13),
    (props.AUTHENTICATION_METHOD, PUBLISH),
]
for pid, ptype in NOT_THERE:
    raises(LocalProtocolError, props.encode, {pid: 1}, ptype)
# Received: an identifier not allowed in the packet, or unknown, is Malformed (§2.2.2.2).
for wire, ptype in (
    (b"\x11\x00\x00\x00\x0a", PUBLISH),  # Session Expiry Interval in a PUBLISH
    (b"\x23\x00\x01", CONNACK),  # Topic Alias in a CONNACK
    (b"\x24\x01", PUBACK),
    (b"\x18\x00\x00\x00\x01", PUBLISH),  # a will property
    (b"\x04\x00", PUBLISH),  # 0x04: no such property
    (b"\x00", CONNACK),  # 0x00
    (b"\x2b\x00", CONNACK),  # past the table
    (b"\x7f\x00", CONNACK),
    (b"\xa6\x00\x00\x01k\x00\x01v", PUBLISH),  # 0x26 as a non-minimal 2-byte VBI
    (b"\x80\x01\x00", CONNACK),  # 0x80: no such property
):
    exc = raises(RemoteProtocolError, props.decode, reader(vbi(len(wire)) + wire), ptype)
    assert exc.reason == 0x81, (wire, exc.reason)
# A value running past the property block, or the block past the packet: Malformed.
for data in (
    b"\x02\x02\x00",  # Message Expiry Interval with one byte of four
    b"\x03\x21\x00\x14",  # the block says 3, holds 3, but the packet ends: fine below
    b"\x05\x03\x00\x0aabc",  # Content Type says 10 bytes, the block has 3
    b"\x09\x01\x01",  # block longer than the packet
    b"\x01\x26",  # User Property with nothing
):
    rd = reader(data)
    if data == b"\x03\x21\x00\x14":
        assert props.decode(rd, CONNACK) == {props.RECEIVE_MAXIMUM: 20} and rd.left() == 0
        continue
    assert raises(RemoteProtocolError, props.decode, rd, PUBLISH).reason == 0x81, data
# Repeats: User Property may repeat anywhere, Subscription Identifier in a PUBLISH; any
# other repeat is a Protocol Error.
two_users = b"\x26\x00\x01a\x00\x011\x26\x00\x01a\x00\x012\x26\x00\x01b\x00\x00"
got = props.decode(reader(vbi(len(two_users)) + two_users), PUBLISH)
assert got == {props.USER_PROPERTY: [("a", "1"), ("a", "2"), ("b", "")]}, got
two_subs = b"\x0b\x01\x0b\x80\x01"
got = props.decode(reader(b"\x05" + two_subs), PUBLISH)
assert got == {props.SUBSCRIPTION_IDENTIFIER: [1, 128]}, got
for wire, ptype in (
    (b"\x0b\x01\x0b\x02", SUBSCRIBE),
    (b"\x02\x00\x00\x00\x01\x02\x00\x00\x00\x02", PUBLISH),
    (b"\x21\x00\x01\x21\x00\x02", CONNACK),
    (b"\x1f\x00\x00\x1f\x00\x00", PUBACK),
    (b"\x23\x00\x01\x23\x00\x01", PUBLISH),
    (b"\x24\x00\x24\x00", CONNACK),
):
    exc = raises(RemoteProtocolError, props.decode, reader(vbi(len(wire)) + wire), ptype)
    assert exc.reason == 0x82, wire
# Values out of their range are Protocol Errors: 0/1 bytes, and the ones never 0.
for wire, ptype in (
    (b"\x24\x02", CONNACK),  # Maximum QoS 2 (§3.2.2.3.4: 0 or 1)
    (b"\x25\x02", CONNACK),
    (b"\x28\x02", CONNACK),
    (b"\x29\xff", CONNACK),
    (b"\x2a\x03", CONNACK),
    (b"\x21\x00\x00", CONNACK),  # Receive Maximum 0
    (b"\x27\x00\x00\x00\x00", CONNACK),  # Maximum Packet Size 0
    (b"\x0b\x00", PUBLISH),  # Subscription Identifier 0
):
    exc = raises(RemoteProtocolError, props.decode, reader(vbi(len(wire)) + wire), ptype)
    assert exc.reason == 0x82, wire
for value in ({props.MAXIMUM_QOS: 2}, {props.RECEIVE_MAXIMUM: 0}, {props.RECEIVE_MAXIMUM: -1}):
    raises(LocalProtocolError, props.encode, value, CONNACK)
raises(LocalProtocolError, props.encode, {props.SUBSCRIPTION_IDENTIFIER: 0}, SUBSCRIBE)
raises(LocalProtocolError, props.encode, {props.SUBSCRIPTION_IDENTIFIER: 1 << 28}, SUBSCRIBE)
raises(LocalProtocolError, props.encode, {props.REQUEST_PROBLEM_INFORMATION: 2}, CONNECT)
raises(LocalProtocolError, props.encode, {props.PAYLOAD_FORMAT_INDICATOR: 256}, PUBLISH)
raises(LocalProtocolError, props.encode, {props.SERVER_KEEP_ALIVE: "30"}, CONNACK)
raises(LocalProtocolError, props.encode, {props.CONTENT_TYPE: b"bytes"}, PUBLISH)
raises(LocalProtocolError, props.encode, {props.USER_PROPERTY: [("a",)]}, PUBLISH)
raises(LocalProtocolError, props.encode, {props.USER_PROPERTY: [("a", "\x00")]}, PUBLISH)
raises(LocalProtocolError, props.encode, {0x04: 1}, PUBLISH)
# Several properties go out in increasing identifier order whatever the dict's order; user
# properties keep their own order, and one pair may be given alone.
mixed = {
    props.USER_PROPERTY: [("z", "1"), ("a", "2")],
    props.CONTENT_TYPE: "t",
    props.PAYLOAD_FORMAT_INDICATOR: 0,
}
assert props.encode(mixed, PUBLISH) == (
    b"\x14\x01\x00\x03\x00\x01t\x26\x00\x01z\x00\x011\x26\x00\x01a\x00\x012"
), props.encode(mixed, PUBLISH)
assert props.body({props.USER_PROPERTY: ("k", "v")}, PUBLISH) == b"\x26\x00\x01k\x00\x01v"
assert props.encode(None, PUBLISH) == b"\x00" and props.encode({}, CONNECT) == b"\x00"
assert props.decode(reader(b"\x00"), CONNACK) == {}

# -- reason code names -----------------------------------------------------------------------
assert reasons.name(0x81) == "Malformed Packet" and reasons.name(0x95) == "Packet too large"
assert reasons.name(0) == "Success" and reasons.name(0xA2).startswith("Wildcard")
assert reasons.name(0x05) == "0x05 unknown"
assert reasons.name(5, True) == "not authorized" and reasons.name(0, True) == "Connection Accepted"
assert reasons.PACKET_TOO_LARGE == 0x95 and reasons.TOPIC_ALIAS_INVALID == 0x94

print("PASS")
