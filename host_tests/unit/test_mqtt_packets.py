# The MQTT client core's packets byte for byte, MQTT 3.1.1 (level 4) and 5.0 (level 5):
# every packet a client sends, built by the Connection's calls and checked against bytes
# worked out by hand from the specifications' layouts (3.1.1 §3 and 5.0 §3), and every
# packet a server sends, decoded into its event.  Runs on both runtimes.
from remora.proto.mqtt import props
from remora.proto.mqtt.core import CONNECTED, CONNECTING, Connection
from remora.proto.mqtt.encode import NO_LOCAL, RETAIN_AS_PUBLISHED, RETAIN_DONT_SEND
from remora.proto.mqtt.encode import RETAIN_SEND_IF_NEW
from remora.proto.mqtt.events import NEED_DATA, Auth, ConnAck, ConnectionClosed, Disconnect
from remora.proto.mqtt.events import LocalProtocolError, Message, PingResp, PubAck, PubComp
from remora.proto.mqtt.events import SubAck, UnsubAck, Will

MAX = 268435460


def events(conn, data=b""):
    """Feed data; every event up to NEED_DATA (or the ConnectionClosed)."""
    if data:
        conn.receive_data(data)
    out = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            return out
        out.append(event)
        if type(event) is ConnectionClosed:
            return out


def connected(version, connack=None, **limits):
    conn = Connection(version, **limits)
    conn.connect("c")
    if connack is None:
        connack = b"\x20\x02\x00\x00" if version == 4 else b"\x20\x03\x00\x00\x00"
    got = events(conn, connack)
    assert type(got[0]) is ConnAck and conn.state == CONNECTED, got
    assert conn.resend() == []
    return conn


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


# -- CONNECT (3.1.1 §3.1, 5.0 §3.1) ----------------------------------------------------------
# 3.1.1, the smallest: protocol name, level 4, Clean Session, Keep Alive 60, client id.
conn = Connection(4)
assert conn.connect("test", keepalive_s=60) == (
    b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04test"
)
assert conn.state == CONNECTING and conn.keepalive_s == 60
# Every flag: user name 0x80, password 0x40, will retain 0x20, will QoS 1 (0x08), will
# 0x04, no clean session; then client id, will topic, will message, user name, password.
conn = Connection(4)
data = conn.connect(
    "c1", clean=False, keepalive_s=10, will=Will("w/t", b"bye", 1, True), username="u",
    password=b"p",
)
assert data == (
    b"\x10\x1e\x00\x04MQTT\x04\xec\x00\x0a\x00\x02c1\x00\x03w/t\x00\x03bye\x00\x01u\x00\x01p"
), data
# Will QoS 2 without retain: 0x10 | 0x04; clean session 0x02.
data = Connection(4).connect("", will=Will("w", "é", 2), keepalive_s=0)
assert data == b"\x10\x13\x00\x04MQTT\x04\x16\x00\x00\x00\x00\x00\x01w\x00\x02\xc3\xa9", data
# 5.0 with the default limits: the Receive Maximum (20) and our Maximum Packet Size
# (4096) go out as properties (§3.1.2.11.3-4): 21 00 14, 27 00 00 10 00.
assert Connection(5).connect("test") == (
    b"\x10\x19\x00\x04MQTT\x05\x02\x00\x3c\x08\x21\x00\x14\x27\x00\x00\x10\x00\x00\x04test"
)
# Limits at the protocol's defaults send no property: the property length is 0.
assert Connection(5, max_packet=MAX, receive_max=65535).connect("test") == (
    b"\x10\x11\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x04test"
)
# Topic Alias Maximum (§3.1.2.11.5) from topic_alias_max, and the caller's properties
# (Session Expiry Interval 0xFFFFFFFF, a user property) in identifier order.
conn = Connection(5, max_packet=MAX, receive_max=65535, topic_alias_max=10)
data = conn.connect(
    "c", clean=False, properties={
        props.USER_PROPERTY: [("k", "v")], props.SESSION_EXPIRY_INTERVAL: 0xFFFFFFFF,
    },
)
assert data == (
    b"\x10\x1d\x00\x04MQTT\x05\x00\x00\x3c"
    b"\x0f\x11\xff\xff\xff\xff\x22\x00\x0a\x26\x00\x01k\x00\x01v"
    b"\x00\x01c"
), data
# 5.0 with a will and its properties (§3.1.3.2) between the client id and the will
# topic, a password without a user name (allowed in 5.0, §3.1.2.9).
conn = Connection(5, max_packet=MAX, receive_max=65535)
data = conn.connect(
    "c", will=Will("w", b"x", 2, False, {props.WILL_DELAY_INTERVAL: 5}), password="pw"
)
assert data == (
    b"\x10\x1e\x00\x04MQTT\x05\x56\x00\x3c\x00"
    b"\x00\x01c\x05\x18\x00\x00\x00\x05\x00\x01w\x00\x01x\x00\x02pw"
), data
# Refused before anything is built (and the state stays IDLE).
for kwargs in (
    {"password": b"p"},  # 3.1.1: a password needs a user name [MQTT-3.1.2-22]
    {"will": Will("a/+", b"")},  # wildcard in the will topic
    {"will": Will("", b"")},
    {"will": Will("w", b"", 3)},
    {"keepalive_s": 65536},
    {"keepalive_s": -1},
    {"properties": {props.SESSION_EXPIRY_INTERVAL: 1}},  # 3.1.1 has no properties
):
    conn = Connection(4)
    raises(LocalProtocolError, conn.connect, "c", **kwargs)
    assert conn.state == 0
raises(LocalProtocolError, Connection(4).connect, "", clean=False)  # [MQTT-3.1.3-7]
Connection(5).connect("", clean=False)  # 5.0: the server assigns one
raises(LocalProtocolError, Connection(4).connect, "a\x00b")
for limit in (props.RECEIVE_MAXIMUM, props.MAXIMUM_PACKET_SIZE, props.TOPIC_ALIAS_MAXIMUM):
    raises(LocalProtocolError, Connection(5).connect, "c", properties={limit: 5})
raises(LocalProtocolError, Connection(5).connect, "c", properties={props.TOPIC_ALIAS: 5})
conn = Connection(4)
conn.connect("c")
raises(LocalProtocolError, conn.connect, "c")  # once per network connection

# -- CONNACK (3.1.1 §3.2, 5.0 §3.2) ----------------------------------------------------------
conn = Connection(4)
conn.connect("c", clean=False)
assert events(conn, b"\x20\x02\x01\x00") == [ConnAck(True, 0)]
assert conn.state == CONNECTED
for code in range(1, 6):  # 3.1.1 return codes 1-5: refused, the connection is over
    conn = Connection(4)
    conn.connect("c")
    closed = ConnectionClosed(code, "the server refused the connection")
    assert events(conn, b"\x20\x02\x00" + bytes((code,))) == [ConnAck(False, code), closed]
    assert events(conn) == [closed]  # and again
    assert conn.data_to_send() == b""
# 5.0 with the server's properties: its limits apply to what we send next.
connack = (
    b"\x20\x23\x00\x00\x20"
    b"\x11\x00\x00\x00\x78"  # Session Expiry Interval 120
    b"\x21\x00\x05"  # Receive Maximum 5
    b"\x24\x01"  # Maximum QoS 1
    b"\x25\x00"  # Retain Available 0
    b"\x27\x00\x00\x00\x40"  # Maximum Packet Size 64
    b"\x12\x00\x04auto"  # Assigned Client Identifier
    b"\x22\x00\x02"  # Topic Alias Maximum 2
    b"\x13\x00\x0f"  # Server Keep Alive 15
    b"\x2a\x00"  # Shared Subscription Available 0
)
conn = Connection(5)
conn.connect("", keepalive_s=60)
(ack,) = events(conn, connack)
assert ack == ConnAck(False, 0, {
    props.SESSION_EXPIRY_INTERVAL: 120, props.RECEIVE_MAXIMUM: 5, props.MAXIMUM_QOS: 1,
    props.RETAIN_AVAILABLE: 0, props.MAXIMUM_PACKET_SIZE: 64,
    props.ASSIGNED_CLIENT_IDENTIFIER: "auto", props.TOPIC_ALIAS_MAXIMUM: 2,
    props.SERVER_KEEP_ALIVE: 15, props.SHARED_SUBSCRIPTION_AVAILABLE: 0,
}), ack
assert conn.keepalive_s == 15  # the server's Keep Alive replaces ours (§3.2.2.3.14)
assert conn.their_receive_max == 5 and conn.their_max_packet == 64
assert conn.their_alias_max == 2 and conn.inflight_room() == 5
assert raises(LocalProtocolError, conn.publish, "t", b"", 2).reason == 0x9B  # Maximum QoS 1
assert raises(LocalProtocolError, conn.publish, "t", b"", 0, True).reason == 0x9A  # no retain
assert raises(LocalProtocolError, conn.publish, "t", bytes(60)).reason == 0x95  # over 64
assert conn.publish("t", bytes(50))[1] == b"\x30\x36\x00\x01t\x00" + bytes(50)  # 56: fits
# A refusal under 5.0, with a reason string.
conn = Connection(5)
conn.connect("c")
got = events(conn, b"\x20\x09\x00\x86\x06\x1f\x00\x03bad")
assert got == [ConnAck(False, 0x86, {props.REASON_STRING: "bad"}), ConnectionClosed(0x86,
               "the server refused the connection")], got

# -- PUBLISH (3.1.1 §3.3, 5.0 §3.3) ----------------------------------------------------------
conn = connected(4)
assert conn.publish("a/b", b"hi") == (None, b"\x30\x07\x00\x03a/b" + b"hi")
assert conn.publish("a/b", b"hi", 1, True) == (1, b"\x33\x09\x00\x03a/b\x00\x01hi")
assert conn.publish("a/b", "hé", 2) == (2, b"\x34\x0a\x00\x03a/b\x00\x02h\xc3\xa9")
assert conn.publish("a/b", bytearray(b"x")) == (None, b"\x30\x06\x00\x03a/bx")
assert conn.publish("a/b", memoryview(b"xyz")[1:]) == (None, b"\x30\x07\x00\x03a/byz")
assert conn.publish("a/b") == (None, b"\x30\x05\x00\x03a/b")  # an empty payload
big = bytes(200)
assert conn.publish("t", big)[1] == b"\x30\xcb\x01\x00\x01t" + big  # 2-byte length
conn = connected(5)
assert conn.publish("a/b", b"hi") == (None, b"\x30\x08\x00\x03a/b\x00hi")
assert conn.publish("a/b", b"hi", 1, properties={props.MESSAGE_EXPIRY_INTERVAL: 60}) == (
    1, b"\x32\x0f\x00\x03a/b\x00\x01\x05\x02\x00\x00\x00\x3chi"
)
data = conn.publish("a/b", b"{}", 0, properties={
    props.PAYLOAD_FORMAT_INDICATOR: 1, props.CONTENT_TYPE: "json",
    props.RESPONSE_TOPIC: "r", props.CORRELATION_DATA: b"\x07",
    props.USER_PROPERTY: [("a", "b")],
})[1]
assert data == (
    b"\x30\x20\x00\x03a/b\x18\x01\x01\x03\x00\x04json\x08\x00\x01r\x09\x00\x01\x07"
    b"\x26\x00\x01a\x00\x01b{}"
), data
for topic in ("", "a/+", "#", "a\x00", b"a/b", None, "a\ud800"):  # a lone surrogate too
    raises(LocalProtocolError, conn.publish, topic, b"")
# A payload over 64 KiB (a PUBLISH payload has no length field of its own, §3.3.3).
data = conn.publish("t", "x" * 70000)[1]
assert data[:5] == b"\x30\xf4\xa2\x04\x00" and len(data) == 70008, data[:8]
raises(LocalProtocolError, conn.publish, "t", b"", 3)
raises(LocalProtocolError, conn.publish, "t", b"", -1)
raises(LocalProtocolError, conn.publish, "t", b"", 0, False, {props.TOPIC_ALIAS: 1})
raises(LocalProtocolError, conn.publish, "t", b"", 0, False, {props.SUBSCRIPTION_IDENTIFIER: 1})
raises(LocalProtocolError, conn.publish, "t", b"", 0, False, {props.SESSION_EXPIRY_INTERVAL: 1})
raises(LocalProtocolError, connected(4).publish, "t", b"", 0, False, {props.CONTENT_TYPE: "x"})

# publish_head: the start of a QoS 0 PUBLISH whose payload follows as is, the same bytes
# as publish() gives before the payload (what the client's QoS 0 fast path keeps).
for version in (4, 5):
    conn = connected(version)
    for topic, payload, retain in (("a/b", b"hi", False), ("t", bytes(200), True),
                                   ("h\u00e9", b"", False)):
        head = conn.publish_head(topic, len(payload), retain)
        assert head + payload == conn.publish(topic, payload, 0, retain)[1], (version, topic)
    for topic in ("", "a/+", "#", b"a/b", None):
        raises(LocalProtocolError, conn.publish_head, topic, 1)
conn = connected(5, b"\x20\x05\x00\x00\x02\x25\x00")  # Retain Available 0
raises(LocalProtocolError, conn.publish_head, "t", 1, True)
conn = connected(5, b"\x20\x08\x00\x00\x05\x27\x00\x00\x00\x10")  # Maximum Packet Size 16
assert len(conn.publish_head("t", 10)) == 6
raises(LocalProtocolError, conn.publish_head, "t", 11)  # 6 + 11 > 16
conn = connected(5, b"\x20\x06\x00\x00\x03\x22\x00\x04", aliases_out=2)  # Topic Aliases
assert conn.publish_head("t", 1) is None  # publish() sends the alias
raises(LocalProtocolError, Connection(5).publish_head, "t", 1)  # not connected

# -- PUBACK, PUBREC, PUBREL, PUBCOMP: what the core answers (§3.4-3.7) -----------------------
for version in (4, 5):
    conn = connected(version)
    pub = b"\x00\x03a/b\x00\x07" + (b"\x00" if version == 5 else b"") + b"m"
    got = events(conn, bytes((0x32, len(pub))) + pub)  # QoS 1
    assert got == [Message("a/b", b"m", 1, False, False, 7)], got
    assert conn.data_to_send() == b"\x40\x02\x00\x07"  # PUBACK, 5.0's short form too
    got = events(conn, bytes((0x34, len(pub))) + pub)  # QoS 2
    assert got == [Message("a/b", b"m", 2, False, False, 7)]
    assert conn.data_to_send() == b"\x50\x02\x00\x07"  # PUBREC
    assert events(conn, b"\x62\x02\x00\x07") == []  # PUBREL: flags 0010
    assert conn.data_to_send() == b"\x70\x02\x00\x07"  # PUBCOMP
    # Our QoS 2: PUBREC in, PUBREL (flags 0010) out, PUBCOMP in.
    pid, _ = conn.publish("t", b"", 2)
    assert events(conn, b"\x50\x02\x00" + bytes((pid,))) == []
    assert conn.data_to_send() == b"\x62\x02\x00" + bytes((pid,))
    assert events(conn, b"\x70\x02\x00" + bytes((pid,))) == [PubComp(pid)]
    pid, _ = conn.publish("t", b"", 1)
    assert events(conn, b"\x40\x02\x00" + bytes((pid,))) == [PubAck(pid)]
# 5.0 acks with a reason code and properties (§3.4.2): Remaining Length 3 and 4+.
conn = connected(5)
pid, _ = conn.publish("t", b"", 1)
assert events(conn, b"\x40\x03\x00\x01\x10") == [PubAck(1, 0x10)]  # No matching subscribers
pid, _ = conn.publish("t", b"", 1)
got = events(conn, b"\x40\x0a\x00\x02\x87\x06\x1f\x00\x03no!")
assert got == [PubAck(2, 0x87, {props.REASON_STRING: "no!"})], got
pid, _ = conn.publish("t", b"", 1)
assert events(conn, b"\x40\x04\x00\x03\x00\x00") == [PubAck(3)]  # reason 0, empty props
pid, _ = conn.publish("t", b"", 2)
assert events(conn, b"\x50\x03\x00\x04\x97") == [PubComp(4, 0x97)]  # PUBREC failure: done
assert conn.data_to_send() == b""  # no PUBREL after a failed PUBREC [MQTT-4.4.0-2]
pid, _ = conn.publish("t", b"", 2)
assert events(conn, b"\x50\x02\x00\x05") == [] and conn.data_to_send() == b"\x62\x02\x00\x05"
assert events(conn, b"\x70\x03\x00\x05\x92") == [PubComp(5, 0x92)]
# A PUBREL we do not know: PUBCOMP 0x92 under 5.0 (§3.7.2.1), plain under 3.1.1.
assert events(conn, b"\x62\x02\x00\x63") == [] and conn.data_to_send() == b"\x70\x03\x00\x63\x92"
conn4 = connected(4)
assert events(conn4, b"\x62\x02\x00\x63") == [] and conn4.data_to_send() == b"\x70\x02\x00\x63"
# A PUBREC we do not know: PUBREL 0x92 under 5.0, plain under 3.1.1.
assert events(conn, b"\x50\x02\x00\x63") == [] and conn.data_to_send() == b"\x62\x03\x00\x63\x92"
assert events(conn4, b"\x50\x02\x00\x63") == [] and conn4.data_to_send() == b"\x62\x02\x00\x63"
# A PUBACK or PUBCOMP we do not know is late: ignored.
assert events(conn, b"\x40\x02\x00\x63\x70\x02\x00\x64") == [] and conn.data_to_send() == b""

# -- SUBSCRIBE / SUBACK (§3.8, §3.9) ---------------------------------------------------------
conn = connected(4)
assert conn.subscribe([("a/b", 1)]) == (1, b"\x82\x08\x00\x01\x00\x03a/b\x01")
assert events(conn, b"\x90\x03\x00\x01\x01") == [SubAck(1, [1])]
pid, data = conn.subscribe([("a/#", 0), ("+/x", 2), ("c", 1)])
assert data == b"\x82\x12\x00\x02\x00\x03a/#\x00\x00\x03+/x\x02\x00\x01c\x01", data
assert events(conn, b"\x90\x05\x00\x02\x00\x80\x01") == [SubAck(2, [0, 0x80, 1])]
raises(LocalProtocolError, conn.subscribe, [("a", NO_LOCAL)])  # 5.0 options under 3.1.1
raises(LocalProtocolError, conn.subscribe, [("a", 3)])
raises(LocalProtocolError, conn.subscribe, [])
raises(LocalProtocolError, conn.subscribe, [("a/#/b", 0)])
raises(LocalProtocolError, conn.subscribe, [("", 0)])
raises(LocalProtocolError, conn.subscribe, [("a", 0)], {props.USER_PROPERTY: [("a", "b")]})
conn = connected(5)
options = 2 | NO_LOCAL | RETAIN_AS_PUBLISHED | RETAIN_SEND_IF_NEW  # 0x1e
assert conn.subscribe([("a/b", options)]) == (1, b"\x82\x09\x00\x01\x00\x00\x03a/b\x1e")
pid, data = conn.subscribe(
    [("a/b", 1 | RETAIN_DONT_SEND)], {props.SUBSCRIPTION_IDENTIFIER: 5}
)
assert data == b"\x82\x0b\x00\x02\x02\x0b\x05\x00\x03a/b\x21", data
got = events(conn, b"\x90\x04\x00\x01\x00\x02\x90\x0b\x00\x02\x07\x1f\x00\x04nope\xa1")
assert got == [SubAck(1, [2]), SubAck(2, [0xA1], {props.REASON_STRING: "nope"})], got
for bad in (0x30 | 1, 0x40, 0x80, 3):  # Retain Handling 3, reserved bits, QoS 3
    raises(LocalProtocolError, conn.subscribe, [("a", bad)])
raises(LocalProtocolError, conn.subscribe, [("$share/g/a", 1 | NO_LOCAL)])  # [MQTT-3.8.3-4]
raises(LocalProtocolError, conn.subscribe, [("$share/g", 1)])
assert conn.subscribe([("$share/g/a/+", 1)])[1] == b"\x82\x12\x00\x03\x00\x00\x0c$share/g/a/+\x01"

# -- UNSUBSCRIBE / UNSUBACK (§3.10, §3.11) ---------------------------------------------------
conn = connected(4)
assert conn.unsubscribe(["a/b"]) == (1, b"\xa2\x07\x00\x01\x00\x03a/b")
assert events(conn, b"\xb0\x02\x00\x01") == [UnsubAck(1)]  # 3.1.1: no payload
pid, data = conn.unsubscribe(["a", "b/#"])
assert data == b"\xa2\x0a\x00\x02\x00\x01a\x00\x03b/#", data
raises(LocalProtocolError, conn.unsubscribe, [])
raises(LocalProtocolError, conn.unsubscribe, ["a+"])
conn = connected(5)
assert conn.unsubscribe(["a/b"]) == (1, b"\xa2\x08\x00\x01\x00\x00\x03a/b")
assert events(conn, b"\xb0\x04\x00\x01\x00\x11") == [UnsubAck(1, [0x11])]
pid, data = conn.unsubscribe(["x", "y"], {props.USER_PROPERTY: ("k", "v")})
assert data == b"\xa2\x10\x00\x02\x07\x26\x00\x01k\x00\x01v\x00\x01x\x00\x01y", data
assert events(conn, b"\xb0\x05\x00\x02\x00\x00\x80") == [UnsubAck(2, [0, 0x80])]

# -- PINGREQ / PINGRESP (§3.12, §3.13) --------------------------------------------------------
for version in (4, 5):
    conn = connected(version)
    assert conn.ping() == b"\xc0\x00"
    assert events(conn, b"\xd0\x00") == [PingResp()]

# -- DISCONNECT (§3.14) ----------------------------------------------------------------------
conn = connected(4)
assert conn.disconnect() == b"\xe0\x00"
assert events(conn) == [ConnectionClosed(0, "we disconnected")]
raises(LocalProtocolError, connected(4).disconnect, 4)  # 3.1.1 has no reason code
conn = connected(5)
assert conn.disconnect(4) == b"\xe0\x01\x04"  # Disconnect with Will Message
conn = connected(5)
assert conn.disconnect(0, {props.REASON_STRING: "bye"}) == b"\xe0\x08\x00\x06\x1f\x00\x03bye"
raises(LocalProtocolError, connected(5).disconnect, 0x8E)  # a server's code
# Session Expiry Interval: 0 may stay 0, but a CONNECT with 0 cannot become non-zero.
conn = connected(5)
assert conn.disconnect(0, {props.SESSION_EXPIRY_INTERVAL: 0}) == (
    b"\xe0\x07\x00\x05\x11\x00\x00\x00\x00"
)
raises(LocalProtocolError, connected(5).disconnect, 0, {props.SESSION_EXPIRY_INTERVAL: 9})
conn = Connection(5)
conn.connect("c", clean=False, properties={props.SESSION_EXPIRY_INTERVAL: 60})
events(conn, b"\x20\x03\x00\x00\x00")
assert conn.disconnect(0, {props.SESSION_EXPIRY_INTERVAL: 0})[-5:] == b"\x11\x00\x00\x00\x00"
# The server's DISCONNECT (5.0 only): Remaining Length 0, 1, and with properties.
for wire, event in (
    (b"\xe0\x00", Disconnect(0)),
    (b"\xe0\x01\x8b", Disconnect(0x8B)),
    (b"\xe0\x02\x8e\x00", Disconnect(0x8E)),
    (b"\xe0\x0b\x9c\x09\x1c\x00\x06host:2", Disconnect(0x9C, {props.SERVER_REFERENCE: "host:2"})),
):
    conn = connected(5)
    got = events(conn, wire)
    assert got == [event, ConnectionClosed(event.reason, "the server disconnected")], got
    assert conn.data_to_send() == b""

# -- AUTH (5.0 §3.15) ------------------------------------------------------------------------
conn = Connection(5, max_packet=MAX, receive_max=65535)
data = conn.connect("c", properties={props.AUTHENTICATION_METHOD: "X"})
assert data == b"\x10\x12\x00\x04MQTT\x05\x02\x00\x3c\x04\x15\x00\x01X\x00\x01c", data
got = events(conn, b"\xf0\x06\x18\x04\x15\x00\x01X\xf0\x00")
assert got == [Auth(0x18, {props.AUTHENTICATION_METHOD: "X"}), Auth(0)], got
assert conn.state == CONNECTING
assert conn.auth(0x18, {props.AUTHENTICATION_METHOD: "X", props.AUTHENTICATION_DATA: b"d"}) == (
    b"\xf0\x0a\x18\x08\x15\x00\x01X\x16\x00\x01d"
)
raises(LocalProtocolError, conn.auth, 0)  # a client's AUTH is 0x18 or 0x19
raises(LocalProtocolError, connected(4).auth)
assert events(conn, b"\x20\x03\x00\x00\x00") == [ConnAck(False, 0)]
assert conn.auth(0x19, {props.AUTHENTICATION_METHOD: "X"})[:3] == b"\xf0\x06\x19"

# -- before the CONNACK, and after the end ------------------------------------------------------
conn = Connection(4)
raises(LocalProtocolError, conn.receive_data, b"\x20\x02\x00\x00")  # before connect()
assert conn.next_event() is NEED_DATA
for call in (
    lambda c: c.publish("t", b""), lambda c: c.subscribe([("t", 0)]),
    lambda c: c.unsubscribe(["t"]), lambda c: c.ping(), lambda c: c.resend(),
):
    conn = Connection(4)
    raises(LocalProtocolError, call, conn)  # not connected
    conn.connect("c")
    raises(LocalProtocolError, call, conn)  # CONNECT sent, no CONNACK yet
    assert conn.inflight_room() == 0
conn = Connection(4)
conn.connect("c")
assert conn.disconnect() == b"\xe0\x00"  # allowed before the CONNACK
conn.receive_data(b"\x20\x02\x00\x00")  # dropped: the connection is over
assert events(conn) == [ConnectionClosed(0, "we disconnected")]
raises(LocalProtocolError, conn.disconnect)
raises(LocalProtocolError, conn.publish, "t", b"")
assert conn.connect("c")[:2] == b"\x10\x0d"  # a new network connection

print("PASS")
