# The MQTT client core against a small fake broker written here with the core's own
# primitives (remora.proto.mqtt.wire, .props, .encode.ack, .topics.matches): QoS 0, 1 and
# 2 both ways, duplicates, the inflight window and the server's Receive Maximum, resends
# after a reconnect with and without a session, Topic Aliases both ways, keep alive, the
# server's DISCONNECT, packet ids, bytes in any pieces giving the same events, and the heap
# of an idle connected client.  MQTT 3.1.1 and 5.0.  Runs on both runtimes.
import gc
import sys

from remora.proto.mqtt import props
from remora.proto.mqtt.core import CLOSED, CONNECTED, KEEPALIVE_IDLE, KEEPALIVE_PING
from remora.proto.mqtt.core import KEEPALIVE_TIMEOUT, Connection
from remora.proto.mqtt.encode import ack
from remora.proto.mqtt.events import NEED_DATA, ConnAck, ConnectionClosed, Disconnect
from remora.proto.mqtt.events import InflightFull, LocalProtocolError, Message, PingResp
from remora.proto.mqtt.events import PubAck, PubComp, SubAck, UnsubAck
from remora.proto.mqtt.topics import matches
from remora.proto.mqtt.wire import Reader, fixed_header, packet, text, u16


class Broker:
    """One client's server: enough of MQTT to exercise the client.  ``hold`` keeps it from
    acknowledging the client's publishes; ``connack`` sets its CONNACK's properties."""

    def __init__(self, version, session_present=False, connack=None):
        self.version = version
        self.buf = b""
        self.session_present = session_present
        self.connack_props = connack
        self.subs = []  # (filter, max QoS)
        self.got = []  # (type, flags, packet id or None) of every packet received
        self.published = []  # (topic, payload, qos, dup) of the client's PUBLISHes
        self.qos2 = []  # ids of the client's QoS 2 PUBLISHes awaiting PUBREL
        self.aliases = {}  # the client's Topic Aliases
        self.hold = False
        self.last_pid = 0

    def props(self, rd, ptype):
        return props.decode(rd, ptype) if self.version == 5 else {}

    def feed(self, data):
        """The client's bytes in; the broker's replies out."""
        self.buf += data
        out = b""
        while True:
            head = fixed_header(self.buf, 0)
            if head is None or len(self.buf) < head[0] + head[1]:
                return out
            size = head[0] + head[1]
            first = self.buf[0]
            rd = Reader(self.buf, head[1], size)
            self.buf = self.buf[size:]
            out += self.packet(first >> 4, first & 15, rd)

    def packet(self, ptype, flags, rd):
        v5 = self.version == 5
        if ptype == 1:  # CONNECT
            assert rd.text() == "MQTT" and rd.byte() == self.version
            rd.byte()
            rd.u16()
            self.props(rd, 1)
            self.got.append((1, flags, None))
            p = props.encode(self.connack_props, 2) if v5 else b""
            return packet(0x20, [bytes((1 if self.session_present else 0, 0)), p])
        if ptype == 3:  # PUBLISH
            qos = flags >> 1 & 3
            topic = rd.text()
            pid = rd.u16() if qos else None
            p = self.props(rd, 3)
            alias = p.get(props.TOPIC_ALIAS)
            if alias is not None:
                if topic:
                    self.aliases[alias] = topic
                else:
                    topic = self.aliases[alias]
            self.got.append((3, flags, pid))
            self.published.append((topic, rd.rest(), qos, bool(flags & 8)))
            out = b""
            if qos == 1 and not self.hold:
                out = ack(self.version, 4, pid)
            elif qos == 2 and not self.hold:
                if pid not in self.qos2:
                    self.qos2.append(pid)
                out = ack(self.version, 5, pid)
            # Route to the client's own subscriptions (it hears itself).
            for flt, max_qos in self.subs:
                if matches(flt, topic):
                    out += self.publish(topic, self.published[-1][1], min(qos, max_qos))
            return out
        if ptype == 6:  # PUBREL
            pid = rd.u16()
            self.got.append((6, flags, pid))
            known = pid in self.qos2
            if known:
                self.qos2.remove(pid)
            return ack(self.version, 7, pid, 0 if known else 0x92)
        if ptype in (4, 5, 7):  # the client's acks of our publishes
            pid = rd.u16()
            self.got.append((ptype, flags, pid))
            return ack(self.version, 6, pid) if ptype == 5 else b""
        if ptype == 8:  # SUBSCRIBE
            pid = rd.u16()
            self.props(rd, 8)
            codes = b""
            while rd.left():
                flt = rd.text()
                qos = rd.byte() & 3
                self.subs.append((flt, qos))
                codes += bytes((qos,))
            self.got.append((8, flags, pid))
            return packet(0x90, [u16(pid), b"\x00" if v5 else b"", codes])
        if ptype == 10:  # UNSUBSCRIBE
            pid = rd.u16()
            self.props(rd, 10)
            codes = b""
            while rd.left():
                flt = rd.text()
                self.subs = [s for s in self.subs if s[0] != flt]
                codes += b"\x00"
            self.got.append((10, flags, pid))
            return packet(0xB0, [u16(pid), b"\x00" + codes if v5 else b""])
        if ptype == 12:  # PINGREQ
            self.got.append((12, flags, None))
            return b"\xd0\x00"
        if ptype == 14:  # DISCONNECT
            self.got.append((14, flags, None))
            return b""
        raise AssertionError("unexpected packet type %d" % ptype)

    def publish(self, topic, payload, qos, dup=False, retain=False, pid=None, alias=None):
        """A PUBLISH to the client."""
        if qos and pid is None:
            self.last_pid = pid = self.last_pid % 65535 + 1
        body = [text(topic)]
        if qos:
            body.append(u16(pid))
        if self.version == 5:
            body.append(props.encode({props.TOPIC_ALIAS: alias} if alias else None, 3))
        body.append(payload)
        return packet(0x30 | (8 if dup else 0) | qos << 1 | (1 if retain else 0), body)


def drain(conn, data=b""):
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


def exchange(conn, broker, data):
    """Client bytes to the broker and back, until both are quiet; the client's events."""
    got = []
    while data:
        got += drain(conn, broker.feed(data))
        data = conn.data_to_send()
    return got


def session(version, broker=None, clean=True, **limits):
    conn = Connection(version, **limits)
    broker = broker or Broker(version)
    got = exchange(conn, broker, conn.connect("c", clean=clean))
    assert type(got[0]) is ConnAck and got[0].reason == 0 and conn.state == CONNECTED, got
    return conn, broker, got[0]


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


for version in (4, 5):
    # -- QoS 0, 1, 2 out and back in ------------------------------------------------------
    conn, broker, _ = session(version)
    assert conn.resend() == []
    pid, data = conn.subscribe([("t/#", 2), ("q1", 1)])
    assert exchange(conn, broker, data) == [SubAck(pid, [2, 1])]
    for qos in (0, 1, 2):
        pid, data = conn.publish("t/x", b"m%d" % qos, qos)
        assert (pid is None) == (qos == 0)
        got = exchange(conn, broker, data)
        # Our flow's end, and the broker routing the message back to us.
        done = {0: [], 1: [PubAck(pid)], 2: [PubComp(pid)]}[qos]
        assert [g for g in got if type(g) is not Message] == done, got
        (message,) = [g for g in got if type(g) is Message]
        assert message == Message("t/x", b"m%d" % qos, qos, False, False, message.packet_id)
        assert (message.packet_id is None) == (qos == 0)
        assert conn.session.inflight() == 0 and conn.session.qos2_in is None
    # QoS downgraded to the subscription's maximum.
    got = exchange(conn, broker, conn.publish("q1", b"x", 2)[1])
    assert sorted(type(g).__name__ for g in got) == ["Message", "PubComp"], got
    assert [g.qos for g in got if type(g) is Message] == [1]
    # What the broker saw: CONNECT, SUBSCRIBE, our QoS 0 and QoS 1 PUBLISH, PUBACK for its
    # QoS 1; our QoS 2 PUBLISH, PUBREL for it, PUBREC then PUBCOMP for its QoS 2; the last
    # PUBLISH (QoS 2, its PUBREL) and PUBACK for its copy at QoS 1.
    kinds = [g[0] for g in broker.got]
    assert kinds == [1, 8, 3, 3, 4, 3, 6, 5, 7, 3, 6, 4], kinds
    assert [g[1] for g in broker.got if g[0] == 6] == [2, 2]  # PUBREL's flags 0010
    pid, data = conn.unsubscribe(["t/#"])
    assert exchange(conn, broker, data) == [
        UnsubAck(pid, [0] if version == 5 else [])
    ]
    assert exchange(conn, broker, conn.publish("t/x", b"gone", 0)[1]) == []
    assert exchange(conn, broker, conn.ping()) == [PingResp()]
    assert exchange(conn, broker, conn.disconnect()) == [ConnectionClosed(0, "we disconnected")]
    assert broker.got[-1][0] == 14 and conn.state == CLOSED

    # -- the inflight window ----------------------------------------------------------------
    conn, broker, _ = session(version, max_inflight=2)
    broker.hold = True
    assert conn.inflight_room() == 2
    p1, d1 = conn.publish("a", b"1", 1)
    p2, d2 = conn.publish("a", b"2", 2)
    assert exchange(conn, broker, d1 + d2) == []
    assert conn.inflight_room() == 0 and conn.session.inflight() == 2
    exc = raises(InflightFull, conn.publish, "a", b"3", 1)
    assert isinstance(exc, LocalProtocolError)
    assert conn.publish("a", b"qos0 never waits", 0)[0] is None
    assert conn.session.inflight() == 2
    assert drain(conn, ack(version, 4, p1)) == [PubAck(p1)]
    assert conn.inflight_room() == 1
    assert drain(conn, ack(version, 5, p2)) == [] and conn.inflight_room() == 1  # PUBREL out
    assert conn.data_to_send() == ack(version, 6, p2)
    assert drain(conn, ack(version, 7, p2)) == [PubComp(p2)] and conn.inflight_room() == 2
    # A message past PUBREC keeps only its packet id.
    p3, _ = conn.publish("a", b"big" * 100, 2)
    drain(conn, ack(version, 5, p3))
    assert conn.session.out[0][2:] == [None, None, None], conn.session.out
    # An ack that does not fit the message is a Protocol Error.
    assert drain(conn, ack(version, 4, p3))[0].reason == 0x82  # PUBACK for QoS 2
    conn, broker, _ = session(version)
    pid, _ = conn.publish("a", b"", 1)
    assert drain(conn, ack(version, 7, pid))[0].reason == 0x82  # PUBCOMP for QoS 1
    conn, broker, _ = session(version)
    pid, _ = conn.publish("a", b"", 2)
    assert drain(conn, ack(version, 7, pid))[0].reason == 0x82  # PUBCOMP before PUBREC
    # SUBSCRIBE and UNSUBSCRIBE have their own bound, max_inflight too.
    conn, broker, _ = session(version, max_inflight=1)
    pid, _ = conn.subscribe([("a", 0)])
    raises(InflightFull, conn.unsubscribe, ["a"])
    assert drain(conn, packet(0x90, [u16(pid), b"\x00" if version == 5 else b"", b"\x00"]))
    conn.unsubscribe(["a"])

    # -- their QoS 2, exactly once ----------------------------------------------------------
    conn, broker, _ = session(version)
    first = broker.publish("d", b"once", 2, pid=9)
    assert drain(conn, first) == [Message("d", b"once", 2, False, False, 9)]
    again = broker.publish("d", b"once", 2, dup=True, pid=9)
    assert drain(conn, again + again) == []  # duplicates: not delivered again
    assert conn.data_to_send() == ack(version, 5, 9) * 3  # but a PUBREC each
    assert drain(conn, ack(version, 6, 9)) == [] and conn.data_to_send() == ack(version, 7, 9)
    assert conn.session.qos2_in is None
    assert drain(conn, first) == [Message("d", b"once", 2, False, False, 9)]  # a new one now
    assert conn.data_to_send() == ack(version, 5, 9)
    # QoS 1 duplicates are delivered (at least once), with dup set.
    got = drain(conn, broker.publish("d", b"x", 1, pid=3) + broker.publish("d", b"x", 1, True,
                pid=3))
    assert [m.dup for m in got] == [False, True] and conn.data_to_send() == ack(version, 4, 3) * 2
    # More QoS 2 messages waiting for PUBREL than our Receive Maximum: 0x93.
    conn, broker, _ = session(version, receive_max=2)
    assert len(drain(conn, broker.publish("d", b"", 2) + broker.publish("d", b"", 2))) == 2
    got = drain(conn, broker.publish("d", b"", 2))
    assert got == [ConnectionClosed(0x93, "more QoS 2 messages than our Receive Maximum")], got
    assert conn.data_to_send() == (ack(version, 5, 1) + ack(version, 5, 2) + (
        b"\xe0\x01\x93" if version == 5 else b""))

    # -- resend after a reconnect, session present -----------------------------------------
    conn, broker, _ = session(version, clean=False)
    broker.hold = True
    p1, d1 = conn.publish("r", b"one", 1)
    p2, d2 = conn.publish("r", b"two", 2, retain=True)
    p3, d3 = conn.publish("r", b"three", 2)
    p4, d4 = conn.publish("r", b"four", 1)
    exchange(conn, broker, d1 + d2 + d3 + d4)
    assert drain(conn, ack(version, 5, p3)) == []  # p3 past PUBREC: its PUBREL went out
    assert conn.data_to_send() == ack(version, 6, p3)
    assert drain(conn, ack(version, 4, p4)) == [PubAck(p4)]
    # Their QoS 2 message 7 delivered, PUBREL not come.
    assert len(drain(conn, broker.publish("in", b"", 2, pid=7))) == 1
    conn.data_to_send()
    conn.close()  # the link died
    assert drain(conn) == [ConnectionClosed(None, "the driver closed the connection")]
    broker = Broker(version, session_present=True)
    broker.qos2 = [p3]  # the session it kept: p3 received, not released
    got = drain(conn, broker.feed(conn.connect("c", clean=False)))
    assert got == [ConnAck(True, 0)], got
    raises(LocalProtocolError, conn.publish, "r", b"", 0)  # resend() first
    assert conn.inflight_room() == 0
    resent = conn.resend()
    # Original order; PUBLISH with DUP (0x08) and the original ids; PUBREL for p3.
    p = b"\x00" if version == 5 else b""
    assert resent == [
        b"\x3a" + bytes((8 + len(p),)) + b"\x00\x01r" + u16(p1) + p + b"one",
        b"\x3d" + bytes((8 + len(p),)) + b"\x00\x01r" + u16(p2) + p + b"two",
        ack(version, 6, p3),
    ], resent
    assert conn.resend() == []  # once
    # The broker takes them; the flows end as the driver expects (p3 first: p2 has a
    # PUBREC and a PUBREL to go).
    got = exchange(conn, broker, b"".join(resent))
    assert got == [PubAck(p1), PubComp(p3), PubComp(p2)], got
    assert broker.published == [("r", b"one", 1, True), ("r", b"two", 2, True)]
    # Their message 7 is still remembered: a redelivery is not delivered twice.
    assert drain(conn, broker.publish("in", b"", 2, dup=True, pid=7)) == []
    conn.data_to_send()
    assert drain(conn, ack(version, 6, 7)) == [] and conn.session.qos2_in is None

    # -- resend after a reconnect without a session -----------------------------------------
    conn, broker, _ = session(version, clean=False)
    broker.hold = True
    p1, d1 = conn.publish("r", b"one", 1)
    p2, d2 = conn.publish("r", b"two", 2)
    exchange(conn, broker, d1 + d2)
    drain(conn, ack(version, 5, p2))
    conn.data_to_send()
    drain(conn, broker.publish("in", b"", 2, pid=7))
    conn.receive_data(b"")  # EOF
    assert drain(conn) == [ConnectionClosed(None, "the server closed the connection")]
    assert conn.state == CLOSED
    broker = Broker(version, session_present=False)
    assert drain(conn, broker.feed(conn.connect("c", clean=True))) == [ConnAck(False, 0)]
    resent = conn.resend()
    # Published anew (DUP 0), ids kept; the PUBREL goes again (the message had arrived).
    assert resent == [
        b"\x32" + bytes((8 + len(p),)) + b"\x00\x01r" + u16(p1) + p + b"one",
        ack(version, 6, p2),
    ], resent
    got = exchange(conn, broker, b"".join(resent))
    assert got == [PubAck(p1), PubComp(p2, 0x92 if version == 5 else 0)], got
    # Their QoS 2 ids were discarded with the session: 7 is a new message now.
    assert len(drain(conn, broker.publish("in", b"", 2, pid=7))) == 1

    # -- or the session discarded, for a driver that wants a clean start strictly ---------
    conn, broker, _ = session(version)
    broker.hold = True
    sent = [conn.publish("r", b"", qos) for qos in (1, 2, 2)]
    exchange(conn, broker, b"".join(data for pid, data in sent))
    sent = [pid for pid, data in sent]
    drain(conn, ack(version, 5, sent[2]) + broker.publish("in", b"", 2, pid=7))
    conn.close()
    assert conn.session.clear() == sent and conn.session.clear() == []
    broker = Broker(version)
    assert drain(conn, broker.feed(conn.connect("c"))) == [ConnAck(False, 0)]
    assert conn.inflight_room() == 8  # publish() goes at once: no resend() due
    assert conn.resend() == [] and conn.session.qos2_in is None

    # -- subscriptions in flight are lost with the connection ----------------------------
    conn, broker, _ = session(version)
    pid, _ = conn.subscribe([("a", 1)])
    conn.close()
    broker = Broker(version)
    drain(conn, broker.feed(conn.connect("c")))
    assert conn.session.requests is None
    assert drain(conn, packet(0x90, [u16(pid), b"\x00" if version == 5 else b"", b"\x01"])) == []

    # -- keep alive: the driver's clock, the core's rule -------------------------------------
    conn, broker, _ = session(version)
    assert conn.keepalive_s == 60
    for sent, received, due in (
        (0, 0, KEEPALIVE_IDLE), (59999, 59999, KEEPALIVE_IDLE), (60000, 0, KEEPALIVE_PING),
        (0, 60000, KEEPALIVE_PING), (100000, 100000, KEEPALIVE_PING),
    ):
        assert conn.keepalive_due(sent, received) == due, (sent, received)
    conn.ping()
    assert conn.keepalive_due(0, 60000) == KEEPALIVE_IDLE  # waiting for the PINGRESP
    assert conn.keepalive_due(0, 89999) == KEEPALIVE_IDLE
    assert conn.keepalive_due(0, 90000) == KEEPALIVE_TIMEOUT  # 1.5 periods of silence
    assert drain(conn, b"\xd0\x00") == [PingResp()]
    assert conn.keepalive_due(0, 0) == KEEPALIVE_IDLE
    # Waiting for the CONNACK: one Keep Alive period after our last packet, give up.
    conn = Connection(version)
    conn.connect("c", keepalive_s=10)
    assert conn.keepalive_due(9999, 10**9) == KEEPALIVE_IDLE
    assert conn.keepalive_due(10000, 0) == KEEPALIVE_TIMEOUT
    conn = Connection(version)
    conn.connect("c", keepalive_s=0)
    drain(conn, Broker(version).feed(b""))
    assert conn.keepalive_due(10**9, 10**9) == KEEPALIVE_IDLE  # before the CONNACK
    drain(conn, b"\x20\x02\x00\x00" if version == 4 else b"\x20\x03\x00\x00\x00")
    assert conn.keepalive_due(10**9, 10**9) == KEEPALIVE_IDLE  # Keep Alive 0: none

    # -- packet identifiers: non-zero, unused, wrapping -------------------------------------
    conn, broker, _ = session(version, max_inflight=3)
    conn.session._last_id = 65534
    ids = [conn.publish("a", b"", 1)[0] for _ in range(2)]
    ids.append(conn.subscribe([("a", 0)])[0])
    assert ids == [65535, 1, 2], ids
    drain(conn, ack(version, 4, 1))
    conn.session._last_id = 0
    assert conn.publish("a", b"", 1)[0] == 1  # 1 is free again
    assert conn.publish("a", b"", 1)[0] == 3  # 2 is the SUBSCRIBE's
    assert [e[0] for e in conn.session.out] == [65535, 1, 3]

# -- 5.0: the server's Receive Maximum lowers the window; resends wait for quota ----------
conn, broker, _ = session(5, Broker(5, connack={props.RECEIVE_MAXIMUM: 2}), clean=False,
                          max_inflight=4)
assert conn.inflight_room() == 2
broker.hold = True
sent = [conn.publish("w", b"%d" % i, 1) for i in range(2)]
raises(InflightFull, conn.publish, "w", b"2", 1)
drain(conn, ack(5, 4, sent[0][0]))
sent.append(conn.publish("w", b"2", 1))
exchange(conn, broker, b"".join(s[1] for s in sent))
assert conn.session.inflight() == 2
conn.close()
# The new connection's server takes one at a time: one resend now, the next on its ack.
broker = Broker(5, session_present=True, connack={props.RECEIVE_MAXIMUM: 1})
drain(conn, broker.feed(conn.connect("c", clean=False)))
resent = conn.resend()
assert len(resent) == 1 and resent[0][0] == 0x3A and conn.inflight_room() == 0, resent
assert drain(conn, ack(5, 4, sent[1][0])) == [PubAck(sent[1][0])]
assert conn.data_to_send()[:1] == b"\x3a"  # the held-back one, now
assert conn.inflight_room() == 0
assert drain(conn, ack(5, 4, sent[2][0])) == [PubAck(sent[2][0])]
assert conn.data_to_send() == b"" and conn.inflight_room() == 1

# -- 5.0: a message too large for the new server is dropped, its flow ended with 0x95 ------
conn, broker, _ = session(5, clean=False)
broker.hold = True
big = conn.publish("w", bytes(100), 1)
small = conn.publish("w", b"s", 2)
big2 = conn.publish("w", bytes(100), 2)
small2 = conn.publish("w", b"t", 1)
exchange(conn, broker, big[1] + small[1] + big2[1] + small2[1])
conn.close()
broker = Broker(5, session_present=True,
                connack={props.MAXIMUM_PACKET_SIZE: 50, props.RECEIVE_MAXIMUM: 1})
drain(conn, broker.feed(conn.connect("c", clean=False)))
resent = conn.resend()
assert resent == [b"\x3c\x07\x00\x01w" + u16(small[0]) + b"\x00s"], resent  # one: the quota
assert drain(conn) == [PubAck(big[0], 0x95)]  # [MQTT-3.2.2-15]: never sent
assert drain(conn, ack(5, 5, small[0]) + ack(5, 7, small[0])) == [
    PubComp(small[0]), PubComp(big2[0], 0x95)]
assert conn.data_to_send() == ack(5, 6, small[0]) + b"\x3a\x07\x00\x01w" + u16(small2[0]) + (
    b"\x00t")
assert conn.session.inflight() == 1

# -- 5.0: our Topic Aliases (§3.3.2.3.4) ----------------------------------------------------
broker = Broker(5, connack={props.TOPIC_ALIAS_MAXIMUM: 2})
conn, broker, _ = session(5, broker, clean=False, aliases_out=5)
assert conn.their_alias_max == 2
sizes = []
for topic in ("sensors/temperature", "sensors/temperature", "sensors/humidity", "other",
              "sensors/humidity"):
    pid, data = conn.publish(topic, b"v", 0)
    sizes.append(len(data))
    exchange(conn, broker, data)
assert [p[0] for p in broker.published] == ["sensors/temperature", "sensors/temperature",
                                            "sensors/humidity", "other", "sensors/humidity"]
# First use: topic and alias (3 more bytes); then the alias alone; "other" gets none (the
# server allows 2).
assert sizes == [28, 9, 25, 11, 9], sizes
assert conn.publish("sensors/temperature", b"v")[1] == b"\x30\x07\x00\x00\x03\x23\x00\x01v"
# A QoS 1 message sent with an alias is re-sent after a reconnect with its full topic.
broker.hold = True
pid, data = conn.publish("sensors/temperature", b"q", 1)
assert data == b"\x32\x09\x00\x00" + u16(pid) + b"\x03\x23\x00\x01q", data
conn.close()
broker = Broker(5, session_present=True)  # no Topic Alias Maximum this time
drain(conn, broker.feed(conn.connect("c", clean=False)))
assert conn.resend() == [b"\x3a\x19\x00\x13sensors/temperature" + u16(pid) + b"\x00q"]
assert conn.publish("sensors/temperature", b"v")[1][:4] == b"\x30\x17\x00\x13"  # no alias

# -- 5.0: their Topic Aliases ----------------------------------------------------------------
conn, broker, _ = session(5, topic_alias_max=3)
got = drain(conn, broker.publish("long/topic/name", b"1", 0, alias=3) +
            broker.publish("", b"2", 1, alias=3) + broker.publish("x", b"3", 0, alias=3) +
            broker.publish("", b"4", 0, alias=3))
assert [(m.topic, m.payload) for m in got] == [("long/topic/name", b"1"),
                                              ("long/topic/name", b"2"), ("x", b"3"), ("x", b"4")]
assert got[1].properties == {props.TOPIC_ALIAS: 3}
for alias, reason in ((4, 0x94), (0, 0x94), (2, 0x82)):  # over our max, 0, not set yet
    conn, broker, _ = session(5, topic_alias_max=3)
    got = drain(conn, broker.publish("" if alias == 2 else "t", b"", 0, alias=alias or None)
                if alias else b"\x30\x07\x00\x01t\x03\x23\x00\x00")
    assert [g.reason for g in got] == [reason], (alias, got)
    assert conn.data_to_send() == b"\xe0\x01" + bytes((reason,))
# A client that announced no Topic Alias Maximum takes none.
conn, broker, _ = session(5)
assert drain(conn, broker.publish("t", b"", 0, alias=1))[0].reason == 0x94

# -- 5.0: the server's DISCONNECT, then a reconnect -------------------------------------------
conn, broker, _ = session(5)
got = drain(conn, b"\xe0\x01\x8b")
assert got == [Disconnect(0x8B), ConnectionClosed(0x8B, "the server disconnected")], got
assert conn.next_event() == ConnectionClosed(0x8B, "the server disconnected")
conn.receive_data(b"\x30\x03\x00\x01t")  # dropped: over
got = exchange(conn, Broker(5), conn.connect("c"))
assert got == [ConnAck(False, 0)] and conn.state == CONNECTED

# -- bytes in any pieces give the same events ----------------------------------------------
for version in (4, 5):
    broker = Broker(version)
    stream = b"\x20\x02\x00\x00" if version == 4 else b"\x20\x03\x00\x00\x00"
    stream += broker.publish("a/b", b"x" * 300, 1) + broker.publish("a/b", b"", 2)
    stream += broker.publish("a/b", b"", 2, dup=True, pid=2) + ack(version, 6, 2)
    stream += broker.publish("é", bytes(range(256)), 0, retain=True) + b"\xd0\x00"
    stream += packet(0x90, [u16(1), b"\x00" if version == 5 else b"", b"\x02\x80"])
    if version == 5:
        stream += b"\xe0\x01\x8b"

    def run(pieces):
        conn = Connection(version)
        conn.connect("c")
        out = []
        for piece in pieces:
            conn.receive_data(piece)
            while True:
                event = conn.next_event()
                if event is NEED_DATA or type(event) is ConnectionClosed:
                    break
                out.append(event)
                if type(event) is ConnAck:
                    conn.resend()
                    conn.subscribe([("a/b", 2), ("x", 0)])
            sent = conn.data_to_send()
            if sent:
                out.append(sent)
        if version == 4:
            conn.receive_data(b"")
        out.append(conn.next_event())
        return out, b"".join(o for o in out if type(o) is bytes)

    whole = run([stream])
    events = [e for e in whole[0] if type(e) is not bytes]
    assert [type(e).__name__ for e in events] == [
        "ConnAck", "Message", "Message", "Message", "PingResp", "SubAck",
    ] + (["Disconnect", "ConnectionClosed"] if version == 5 else ["ConnectionClosed"]), events
    one_by_one = run([stream[i : i + 1] for i in range(len(stream))])
    assert [e for e in one_by_one[0] if type(e) is not bytes] == events
    assert one_by_one[1] == whole[1]
    seed = 7
    for trial in range(20):
        pieces = []
        i = 0
        while i < len(stream):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            n = 1 + seed % 40
            pieces.append(stream[i : i + n])
            i += n
        got = run(pieces)
        assert [e for e in got[0] if type(e) is not bytes] == events and got[1] == whole[1]

# -- the heap of an idle connected client -------------------------------------------------
if hasattr(gc, "mem_alloc"):  # MicroPython
    def idle_client(version):
        conn = Connection(version, max_packet=2048, max_inflight=8, receive_max=8,
                          topic_alias_max=4, aliases_out=4)
        broker = Broker(version, connack={props.TOPIC_ALIAS_MAXIMUM: 4} if version == 5
                        else None)
        exchange(conn, broker, conn.connect("client-1", clean=False))
        conn.resend()
        return conn, broker

    idle_client(5)  # classes and modules loaded
    for version in (4, 5):
        clients = [None] * 20
        gc.collect()
        before = gc.mem_alloc()
        for i in range(20):
            clients[i] = idle_client(version)[0]
        gc.collect()
        per = (gc.mem_alloc() - before) // 20
        print("idle connected client, MQTT %s: %d bytes" % ("3.1.1" if version == 4 else "5.0",
                                                             per))
        # The Connection (17 attributes) and its Session (7): 240 bytes on the simulated
        # 32-bit board, 480 on the 64-bit unix port; nothing else until traffic.
        assert per <= (512 if sys.maxsize > 1 << 32 else 256), per
        # Traffic in both directions, then idle again: buffers and tables released.
        conn, broker = idle_client(version)
        pid, data = conn.subscribe([("t", 2)])
        exchange(conn, broker, data)
        for qos in (0, 1, 2):
            exchange(conn, broker, conn.publish("t", bytes(1000), qos)[1])
        assert conn._buf == b"" and conn._out == b"" and conn.session.out is None
        assert conn.session.qos2_in is None and conn.session.requests is None
        clients = None
else:
    print("SKIP heap figures: no gc.mem_alloc on this runtime")

print("PASS")
