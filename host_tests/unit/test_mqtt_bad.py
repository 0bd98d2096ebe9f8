# The MQTT client core against a broken server: every malformed or forbidden packet ends
# the connection with a ConnectionClosed event carrying the reason (0x81 Malformed Packet,
# 0x82 Protocol Error, 0x95 Packet too large...), with the DISCONNECT saying so queued under
# MQTT 5.0 and nothing under 3.1.1 (5.0 §4.13, 3.1.1 §4.8); nothing raises.  Also EOF in
# the middle of a packet, and a packet over our limit refused from its fixed header.
# Runs on both runtimes.
from remora.proto.mqtt.core import CLOSED, Connection
from remora.proto.mqtt.events import NEED_DATA, ConnAck, ConnectionClosed, LocalProtocolError
from remora.proto.mqtt.events import Message

CONNACK = {4: b"\x20\x02\x00\x00", 5: b"\x20\x03\x00\x00\x00"}


def connecting(version, **limits):
    conn = Connection(version, **limits)
    conn.connect("c")
    return conn


def connected(version, **limits):
    conn = connecting(version, **limits)
    conn.receive_data(CONNACK[version])
    assert type(conn.next_event()) is ConnAck and conn.next_event() is NEED_DATA
    conn.resend()
    return conn


def closes(conn, data, reason, what=""):
    """Feed ``data``: the events end with ConnectionClosed(reason); the DISCONNECT (5.0)."""
    conn.receive_data(data)
    for _ in range(10):
        event = conn.next_event()
        assert event is not NEED_DATA, (what, data, "no violation found")
        if type(event) is ConnectionClosed:
            break
    assert event.reason == reason, (what, data, event)
    assert conn.state == CLOSED
    sent = conn.data_to_send()
    # Whatever the core queued before the violation may come first; the DISCONNECT is last.
    if conn.version == 5:
        assert sent.endswith(b"\xe0\x01" + bytes((reason,))), (what, sent)
    else:
        assert not sent.endswith(b"\xe0\x00"), (what, sent)  # 3.1.1: just close
    # Over: the same event again, and anything more is dropped.
    assert conn.next_event() == event
    conn.receive_data(b"\x30\x03\x00\x01t")
    assert conn.next_event() == event and conn.data_to_send() == b""
    return event


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


for v in (4, 5):
    p = b"\x00" if v == 5 else b""  # an empty property set, where 5.0 has one
    # -- packet types (§2.1.2) ------------------------------------------------------------
    closes(connected(v), b"\x00\x00", 0x81, "reserved type 0")
    closes(connected(v), b"\x10\x00", 0x82, "CONNECT from a server")
    closes(connected(v), b"\x82\x06\x00\x01\x00\x01a\x00", 0x82, "SUBSCRIBE from a server")
    closes(connected(v), b"\xa2\x05\x00\x01\x00\x01a", 0x82, "UNSUBSCRIBE from a server")
    closes(connected(v), b"\xc0\x00", 0x82, "PINGREQ from a server")
    closes(connected(v), CONNACK[v], 0x82, "a second CONNACK")
    closes(connecting(v), b"\x30\x03\x00\x01t", 0x82, "PUBLISH before the CONNACK")
    closes(connecting(v), b"\xd0\x00", 0x82, "PINGRESP before the CONNACK")
    closes(connecting(v), b"\x40\x02\x00\x01", 0x82, "PUBACK before the CONNACK")
    if v == 4:
        closes(connected(v), b"\xf0\x00", 0x81, "type 15 is reserved in 3.1.1")
        closes(connected(v), b"\xe0\x00", 0x82, "DISCONNECT from a 3.1.1 server")
        closes(connecting(v), b"\xf0\x00", 0x81, "type 15 before the CONNACK")
    else:
        closes(connected(v), b"\xf0\x00", 0x82, "AUTH without an Authentication Method")
        closes(connecting(v), b"\xe0\x00", 0x82, "DISCONNECT before the CONNACK")

    # -- fixed header flags (§2.1.3 [MQTT-2.1.3-1]) --------------------------------------
    for first, body in (
        (0x21, CONNACK[v][1:]), (0x28, CONNACK[v][1:]), (0x41, b"\x02\x00\x01"),
        (0x52, b"\x02\x00\x01"), (0x60, b"\x02\x00\x01"), (0x66, b"\x02\x00\x01"),
        (0x72, b"\x02\x00\x01"), (0x92, b"\x03\x00\x01\x00"), (0xB2, b"\x02\x00\x01"),
        (0xD1, b"\x00"), (0xDF, b"\x00"),
    ):
        conn = connecting(v) if first >> 4 == 2 else connected(v)
        closes(conn, bytes((first,)) + body, 0x81, "flags %02x" % first)
    if v == 5:
        closes(connected(v), b"\xe1\x00", 0x81, "DISCONNECT flags")
    # PUBLISH: QoS 3 [MQTT-3.3.1-4]; DUP at QoS 0 [MQTT-3.3.1-2].
    closes(connected(v), bytes((0x36, 5 + len(p))) + b"\x00\x01t\x00\x01" + p, 0x81, "QoS 3")
    closes(connected(v), bytes((0x37, 5 + len(p))) + b"\x00\x01t\x00\x01" + p, 0x81, "QoS 3")
    closes(connected(v), bytes((0x38, 3 + len(p))) + b"\x00\x01t" + p, 0x81, "DUP at QoS 0")

    # -- Remaining Length (§1.5.5, §2.1.4) ------------------------------------------------
    closes(connected(v), b"\x30\xff\xff\xff\xff", 0x81, "a 5-byte remaining length")
    closes(connected(v), b"\x30\x80\x80\x80\x80\x01", 0x81, "a 5-byte remaining length")
    closes(connected(v), b"\xd0\x80\x00", 0x81, "a non-minimal remaining length")
    # Too short for the fields it should hold.
    closes(connected(v), b"\x40\x01\x00", 0x81, "PUBACK of 1 byte")
    closes(connected(v), b"\x40\x00", 0x81, "PUBACK of 0 bytes")
    closes(connecting(v), b"\x20\x01\x00", 0x81, "CONNACK of 1 byte")
    closes(connecting(v), b"\x20\x00", 0x81, "CONNACK of 0 bytes")
    closes(connected(v), b"\x30\x04\x00\x05abc", 0x81, "topic longer than the packet")
    closes(connected(v), b"\x30\x01\x00", 0x81, "a topic length cut in two")
    closes(connected(v), b"\x32\x04\x00\x01t\x00", 0x81, "packet id cut in two")
    closes(connected(v), b"\x90\x01\x00", 0x81, "SUBACK of 1 byte")
    closes(connected(v), b"\xb0\x01\x00", 0x81, "UNSUBACK of 1 byte")
    # Longer than the fields.
    closes(connected(v), b"\xd0\x01\x00", 0x81, "PINGRESP with a byte")
    if v == 4:
        closes(connected(v), b"\x40\x03\x00\x01\x00", 0x81, "3.1.1 PUBACK of 3 bytes")
        closes(connected(v), b"\x62\x03\x00\x01\x00", 0x81, "3.1.1 PUBREL of 3 bytes")
        closes(connecting(v), b"\x20\x03\x00\x00\x00", 0x81, "3.1.1 CONNACK of 3 bytes")
        conn = connected(v)
        conn.unsubscribe(["a"])
        closes(conn, b"\xb0\x03\x00\x01\x00", 0x81, "3.1.1 UNSUBACK with a payload")
    else:
        closes(connected(v), b"\x40\x06\x00\x01\x00\x00\xff\xff", 0x81, "bytes after props")
        closes(connecting(v), b"\x20\x02\x00\x00", 0x81, "5.0 CONNACK without properties")
        closes(connected(v), b"\xe0\x03\x00\x00\x00", 0x81, "DISCONNECT with trailing bytes")

    # -- Packet Identifier 0 (§2.2.1 [MQTT-2.2.1-3]) --------------------------------------
    closes(connected(v), b"\x32\x05\x00\x01t\x00\x00" + p, 0x82, "QoS 1 with id 0")
    closes(connected(v), b"\x34\x05\x00\x01t\x00\x00" + p, 0x82, "QoS 2 with id 0")
    for first in (0x40, 0x50, 0x62, 0x70):
        closes(connected(v), bytes((first,)) + b"\x02\x00\x00", 0x82, "ack with id 0")
    closes(connected(v), b"\x90\x03\x00\x00" + p + b"\x00", 0x82, "SUBACK with id 0")
    closes(connected(v), b"\xb0\x02\x00\x00" + p, 0x82, "UNSUBACK with id 0")

    # -- topic names (§1.5.4, §3.3.2.1, §4.7.3) ------------------------------------------
    for topic in (b"\xc0\x80", b"\xed\xa0\x80", b"\xff", b"a\x00b", b"\xe2\x82", b"\x80"):
        data = b"\x00" + bytes((len(topic),)) + topic + p
        closes(connected(v), bytes((0x30, len(data))) + data, 0x81, topic)
    for topic in (b"a/+", b"#", b"+", b"a/#"):
        data = b"\x00" + bytes((len(topic),)) + topic + p
        closes(connected(v), bytes((0x30, len(data))) + data, 0x81, "wildcard topic")
    closes(connected(v), bytes((0x30, 2 + len(p))) + b"\x00\x00" + p, 0x82, "empty topic")

    # -- reason and return codes (§2.4) ---------------------------------------------------
    conn = connected(v)
    conn.subscribe([("a", 1)])
    closes(conn, b"\x90\x03\x00\x01" + p + b"\x03", 0x82, "SUBACK code 3")
    conn = connected(v)
    conn.subscribe([("a", 1)])
    closes(conn, b"\x90\x03\x00\x01" + p + (b"\x81" if v == 4 else b"\x05"), 0x82, "SUBACK")
    # One code per filter [MQTT-3.9.3-1], and the ack for the right request.
    conn = connected(v)
    conn.subscribe([("a", 1), ("b", 1)])
    closes(conn, b"\x90\x03\x00\x01" + p + b"\x01", 0x82, "SUBACK with 1 code for 2 filters")
    conn = connected(v)
    conn.subscribe([("a", 1)])
    closes(conn, b"\x90" + bytes((2 + len(p),)) + b"\x00\x01" + p, 0x82, "SUBACK, no code")
    conn = connected(v)
    conn.unsubscribe(["a"])
    closes(conn, b"\x90\x03\x00\x01" + p + b"\x00", 0x82, "SUBACK for an UNSUBSCRIBE")
    conn = connected(v)
    conn.subscribe([("a", 1)])
    closes(conn, b"\xb0" + bytes((2 + len(p),)) + b"\x00\x01" + p + (b"\x00" if v == 5 else b""),
           0x82, "UNSUBACK for a SUBSCRIBE")
    if v == 4:
        closes(connecting(v), b"\x20\x02\x00\x06", 0x82, "3.1.1 CONNACK return code 6")
        closes(connecting(v), b"\x20\x02\x00\xff", 0x82, "3.1.1 CONNACK return code 255")
    else:
        for code in (0x01, 0x04, 0x10, 0x8B, 0x8E, 0x92, 0xA0):
            closes(connecting(v), b"\x20\x03\x00" + bytes((code,)) + b"\x00", 0x82, code)
        conn = connected(v)
        conn.publish("t", b"", 1)
        closes(conn, b"\x40\x03\x00\x01\x05", 0x82, "PUBACK 0x05")
        conn = connected(v)
        conn.publish("t", b"", 2)
        closes(conn, b"\x50\x03\x00\x01\x92", 0x82, "PUBREC 0x92")
        closes(connected(v), b"\x62\x03\x00\x01\x10", 0x82, "PUBREL 0x10")
        closes(connected(v), b"\x70\x03\x00\x01\x80", 0x82, "PUBCOMP 0x80")
        conn = connected(v)
        conn.unsubscribe(["a"])
        closes(conn, b"\xb0\x04\x00\x01\x00\x02", 0x82, "UNSUBACK 0x02")
        closes(connected(v), b"\xe0\x01\x04", 0x82, "DISCONNECT 0x04 is the client's")
        closes(connected(v), b"\xe0\x01\x01", 0x82, "DISCONNECT 0x01")

    # -- CONNACK rules (§3.2.2) -----------------------------------------------------------
    closes(connecting(v), b"\x20" + CONNACK[v][1:2] + b"\x02" + CONNACK[v][3:], 0x81,
           "reserved acknowledge flags")
    closes(connecting(v), b"\x20" + CONNACK[v][1:2] + b"\x01" + CONNACK[v][3:], 0x82,
           "Session Present after a clean start")
    refused = b"\x20\x02\x01\x05" if v == 4 else b"\x20\x03\x01\x87\x00"
    conn = Connection(v)
    conn.connect("c", clean=False)
    closes(conn, refused, 0x82, "Session Present with a refusal")

    # -- EOF ------------------------------------------------------------------------------
    for cut in (b"\x30", b"\x30\x0a", b"\x30\x0a\x00\x01t", b"\x30\x80"):
        conn = connected(v)
        conn.receive_data(cut)
        assert conn.next_event() is NEED_DATA
        conn.receive_data(b"")
        event = conn.next_event()
        assert event == ConnectionClosed(None, "the server closed in the middle of a packet")
        assert conn.data_to_send() == b""  # the server is gone: no DISCONNECT
    conn = connected(v)
    conn.receive_data(b"\xd0\x00")
    conn.receive_data(b"")
    assert type(conn.next_event()).__name__ == "PingResp"
    assert conn.next_event() == ConnectionClosed(None, "the server closed the connection")
    # receive_data after EOF is our misuse.
    conn = connected(v)
    conn.receive_data(b"")
    raises(LocalProtocolError, conn.receive_data, b"\xd0\x00")

    # -- packets over our max_packet (5.0 §3.1.2.11.4) ------------------------------------
    # Refused from the fixed header alone: the body is never waited for.
    conn = connected(v, max_packet=64)
    closes(conn, b"\x30\x3f", 0x95, "65 bytes declared: over 64")
    conn = connected(v, max_packet=64)
    closes(conn, b"\x30\xff\xff\xff\x7f", 0x95, "the largest packet")
    conn = connected(v, max_packet=64)
    data = b"\x00\x01t" + p + bytes(62 - 3 - len(p))
    conn.receive_data(b"\x30\x3e" + data)  # 64 bytes whole: accepted
    assert type(conn.next_event()) is Message and conn.next_event() is NEED_DATA
    # A refused packet is never buffered: the header alone was enough.
    conn = connected(v, max_packet=16)
    conn.receive_data(b"\x30\x80\x01")
    assert conn.next_event().reason == 0x95 and conn._buf == b""
    if v == 5:
        assert conn.data_to_send() == b"\xe0\x01\x95"

# -- 5.0 properties (§2.2.2) -----------------------------------------------------------------
v = 5
PUB = b"\x00\x01t"  # a topic, before the properties
for props_wire, reason, what in (
    (b"\x0a\x02\x00\x00\x00\x01\x02\x00\x00\x00\x02", 0x82, "Message Expiry twice"),
    (b"\x06\x23\x00\x01\x23\x00\x02", 0x82, "Topic Alias twice"),
    (b"\x02\x04\x00", 0x81, "unknown property 0x04"),
    (b"\x02\x00\x00", 0x81, "property 0x00"),
    (b"\x02\x7f\x00", 0x81, "property 0x7f"),
    (b"\x05\x11\x00\x00\x00\x01", 0x81, "Session Expiry in a PUBLISH"),
    (b"\x03\x21\x00\x01", 0x81, "Receive Maximum in a PUBLISH"),
    (b"\x05\x18\x00\x00\x00\x01", 0x81, "Will Delay in a PUBLISH"),
    (b"\x09\x02\x00", 0x81, "property length past the packet"),
    (b"\x03\x02\x00\x00", 0x81, "a value cut by the property length"),
    (b"\x04\x03\x00\x03a", 0x81, "a string cut by the property length"),
    (b"\x05\x03\x00\x02\xc0\x80", 0x81, "Content Type with bad UTF-8"),
    (b"\x05\x03\x00\x02a\x00", 0x81, "Content Type with U+0000"),
    (b"\x07\x26\x00\x01k\x00\x01\xff", 0x81, "User Property with bad UTF-8"),
    (b"\x02\x0b\x00", 0x82, "Subscription Identifier 0"),
    (b"\x05\x0b\xff\xff\xff\xff", 0x81, "Subscription Identifier over 4 bytes"),
    (b"\x03\x0b\x80\x00", 0x81, "Subscription Identifier, non-minimal"),
    (b"\x03\xa3\x00\x00", 0x81, "a non-minimal identifier"),
    (b"\x80\x01" + bytes(128), 0x81, "property 0x00 x128"),
    (b"\xff\xff\xff\xff\x7f", 0x81, "a 5-byte property length"),
):
    data = PUB + props_wire
    size = bytes((len(data),)) if len(data) < 128 else bytes((len(data) & 0x7F | 0x80, 1))
    closes(connected(v), b"\x30" + size + data, reason, what)
# In the other packets.
closes(connecting(v), b"\x20\x06\x00\x00\x03\x23\x00\x01", 0x81, "Topic Alias in a CONNACK")
closes(connecting(v), b"\x20\x05\x00\x00\x02\x24\x02", 0x82, "Maximum QoS 2")
closes(connecting(v), b"\x20\x06\x00\x00\x03\x21\x00\x00", 0x82, "Receive Maximum 0")
closes(connecting(v), b"\x20\x08\x00\x00\x05\x27\x00\x00\x00\x00", 0x82, "Maximum Packet Size 0")
closes(connecting(v), b"\x20\x05\x00\x00\x02\x25\x02", 0x82, "Retain Available 2")
closes(connecting(v), b"\x20\x09\x00\x00\x06\x13\x00\x01\x13\x00\x02", 0x82, "two Keep Alives")
closes(connecting(v), b"\x20\x05\x00\x00\x02\x01\x01", 0x81, "Payload Format in a CONNACK")
conn = connected(v)
conn.publish("t", b"", 1)
closes(conn, b"\x40\x09\x00\x01\x00\x05\x11\x00\x00\x00\x01", 0x81, "Session Expiry in PUBACK")
closes(connected(v), b"\xe0\x07\x00\x05\x11\x00\x00\x00\x01", 0x82,
       "Session Expiry in a server's DISCONNECT [MQTT-3.14.2-2]")
closes(connected(v), b"\xe0\x06\x00\x04\x1f\x00\x01\xff", 0x81, "Reason String bad UTF-8")
# Topic Aliases we never announced, or beyond what we did: 0x94.
closes(connected(v), b"\x30\x07\x00\x01t\x03\x23\x00\x01", 0x94, "alias, none announced")
closes(connected(v, topic_alias_max=2), b"\x30\x07\x00\x01t\x03\x23\x00\x03", 0x94, "alias 3")
closes(connected(v, topic_alias_max=2), b"\x30\x06\x00\x00\x03\x23\x00\x01", 0x82,
       "an alias used before it is set")

# Request Problem Information 0 (§3.1.2.11.7): a Reason String or User Property is then a
# Protocol Error anywhere but in PUBLISH, CONNACK and DISCONNECT [MQTT-3.1.2-29].
def quiet():
    conn = Connection(5)
    conn.connect("c", properties={0x17: 0})
    conn.receive_data(b"\x20\x09\x00\x00\x06\x1f\x00\x03why")  # allowed in a CONNACK
    assert type(conn.next_event()) is ConnAck
    conn.resend()
    return conn


conn = quiet()
conn.publish("t", b"", 1)
closes(conn, b"\x40\x0a\x00\x01\x00\x06\x1f\x00\x03why", 0x82, "a Reason String in a PUBACK")
conn = quiet()
conn.subscribe([("a", 0)])
closes(conn, b"\x90\x0b\x00\x01\x07\x26\x00\x01k\x00\x01v\x00", 0x82, "User Property, SUBACK")
closes(quiet(), b"\x62\x0a\x00\x01\x00\x06\x1f\x00\x03why", 0x82, "a Reason String in a PUBREL")
conn = quiet()
conn.receive_data(b"\x30\x0c\x00\x01t\x07\x26\x00\x01k\x00\x01vm")  # a PUBLISH may
assert conn.next_event().properties == {0x26: [("k", "v")]}
conn.receive_data(b"\xe0\x08\x8b\x06\x1f\x00\x03why")  # and so may a DISCONNECT
assert conn.next_event().properties == {0x1F: "why"}

# -- what we do wrong raises, and changes nothing ---------------------------------------------
conn = connected(5)
for call in (
    lambda: conn.publish("a/+", b""),
    lambda: conn.publish("t", b"", 0, False, {0x11: 1}),
    lambda: conn.subscribe([("a", 0x40)]),
    lambda: conn.unsubscribe([""]),
    lambda: conn.disconnect(0x8B),
):
    raises(LocalProtocolError, call)
    assert conn.state == 2 and conn.data_to_send() == b"" and conn.session.inflight() == 0
    assert conn.session.requests is None and conn.session._last_id == 0
for bad in ({"version": 3}, {"version": 6}, {"max_packet": 15}, {"max_packet": 268435461},
            {"max_inflight": 0}, {"receive_max": 65536}, {"topic_alias_max": -1},
            {"aliases_out": 65536}):
    raises(ValueError, Connection, **bad)

print("PASS")
