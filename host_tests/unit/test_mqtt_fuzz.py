# A fuzz unit for the MQTT client core, MQTT 3.1.1 and 5.0: a server's byte stream with
# every packet type a client receives is mutated (bytes flipped, dropped, doubled, runs of
# 0x80/0xff and MQTT type bytes inserted), then fed whole and in random pieces.
# next_event() may never raise, the only error the driver's calls may meet is
# LocalProtocolError, and the events and the bytes the core sends may not depend on how the
# bytes arrived.  Deterministic (its own generator), so both runtimes run the same cases.
import gc

from remora.proto.mqtt.core import Connection
from remora.proto.mqtt.events import NEED_DATA, ConnAck, ConnectionClosed, LocalProtocolError

STREAMS = {
    4: (
        b"\x20\x02\x00\x00"  # CONNACK
        b"\x90\x04\x00\x01\x01\x80"  # SUBACK for our SUBSCRIBE (id 1)
        b"\x40\x02\x00\x02"  # PUBACK for our QoS 1 (id 2)
        b"\x50\x02\x00\x03"  # PUBREC for our QoS 2 (id 3)
        b"\x70\x02\x00\x03"  # PUBCOMP
        b"\x30\x08\x00\x03a/bhi!"  # PUBLISH QoS 0
        b"\x32\x07\x00\x03a/b\x00\x05"  # QoS 1, empty payload
        b"\x34\x09\x00\x03a/b\x00\x06xy"  # QoS 2
        b"\x3c\x09\x00\x03a/b\x00\x06xy"  # its duplicate
        b"\x62\x02\x00\x06"  # PUBREL
        b"\xb0\x02\x00\x04"  # UNSUBACK (id 4)
        b"\xd0\x00"  # PINGRESP
    ),
    5: (
        b"\x20\x0c\x00\x00\x09\x21\x00\x05\x22\x00\x02\x13\x00\x1e"  # CONNACK with limits
        b"\x90\x05\x00\x01\x00\x01\x80"  # SUBACK
        b"\x40\x03\x00\x02\x10"  # PUBACK, No matching subscribers
        b"\x50\x02\x00\x03"  # PUBREC
        b"\x70\x0a\x00\x03\x00\x06\x1f\x00\x03ok!"  # PUBCOMP with a reason string
        b"\x30\x10\x00\x03a/b\x08\x02\x00\x00\x00\x3c\x23\x00\x01hi"  # alias 1, expiry
        b"\x32\x09\x00\x00\x00\x05\x03\x23\x00\x01q"  # the alias alone, QoS 1
        b"\x34\x13\x00\x03a/b\x00\x06\x09\x26\x00\x01k\x00\x01v\x0b\x07xy"  # user prop, sub id
        b"\x62\x03\x00\x06\x00"  # PUBREL
        b"\xb0\x04\x00\x04\x00\x00"  # UNSUBACK
        b"\xd0\x00"  # PINGRESP
        b"\xe0\x01\x8b"  # DISCONNECT
    ),
}

_seed = [20240607]


def rand(n):
    """0 <= value < n, from a 31-bit LCG (the same on both runtimes)."""
    _seed[0] = (_seed[0] * 1103515245 + 12345) & 0x7FFFFFFF
    return (_seed[0] >> 4) % n


INSERTS = (b"\x80", b"\xff", b"\xff\xff\xff\x7f", b"\x00", b"\x30", b"\x62", b"\x20\x02",
           b"\x26", b"\x23\x00", b"\xc0\x80", b"\xed\xa0\x80", b"+", b"#", b"\x0b\x00")


def mutate(data):
    data = bytearray(data)
    for _ in range(1 + rand(3)):
        i = rand(len(data) + 1)
        how = rand(5)
        if how == 0 and i < len(data):
            data[i] ^= 1 << rand(8)
        elif how == 1 and i < len(data):
            data[i] = rand(256)
        elif how == 2 and i < len(data):
            data = data[:i] + data[i + 1 :]
        elif how == 3:
            data = data[:i] + data[i : i + 1 + rand(6)] + data[i:]
        else:
            data = data[:i] + INSERTS[rand(len(INSERTS))] + data[i:]
    return bytes(data)


def run(version, pieces):
    """Everything the driver sees, as text, and everything the core sent."""
    conn = Connection(version, max_packet=256, max_inflight=4, receive_max=4,
                      topic_alias_max=2)
    seen = []
    sent = [conn.connect("c")]
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                break
            seen.append(repr(event))
            if type(event) is ConnectionClosed:
                break
            if type(event) is ConnAck and event.reason == 0:
                sent.extend(conn.resend())
                # The driver's calls: the only error they may meet is LocalProtocolError
                # (a mutated CONNACK may allow less than we ask).
                for call in (
                    lambda: conn.subscribe([("a/b", 1), ("c", 0)]),
                    lambda: conn.publish("t", b"1", 1),
                    lambda: conn.publish("t", b"2", 2),
                    lambda: conn.unsubscribe(["a/b"]),
                ):
                    try:
                        sent.append(call()[1])
                    except LocalProtocolError as exc:
                        seen.append("refused: %s" % exc)
        sent.append(conn.data_to_send())
        if type(event) is ConnectionClosed:
            break
    if conn.state != 3:
        conn.receive_data(b"")
        event = conn.next_event()
        while event is not NEED_DATA and type(event) is not ConnectionClosed:
            seen.append(repr(event))
            event = conn.next_event()
        seen.append(repr(event))
        sent.append(conn.data_to_send())
    return seen, b"".join(sent)


def split(data):
    pieces = []
    i = 0
    while i < len(data):
        n = 1 + rand(12)
        pieces.append(data[i : i + n])
        i += n
    return pieces


CASES = 600
for version in (4, 5):
    stream = STREAMS[version]
    # The stream as it is: every packet is understood.
    seen, sent = run(version, [stream])
    assert seen[0].startswith("ConnAck") and seen[-1].startswith("ConnectionClosed"), seen
    assert not any(s.startswith("refused") for s in seen), seen
    assert len(seen) == (10 if version == 4 else 11), (len(seen), seen)
    assert run(version, split(stream)) == (seen, sent)
    closed = {}
    for case in range(CASES):
        data = mutate(stream)
        try:
            whole = run(version, [data])
            pieces = run(version, split(data))
            bytewise = run(version, [data[i : i + 1] for i in range(len(data))])
        except Exception:  # any error but the documented one is a bug: show the case
            print("case", version, case, data)
            raise
        assert whole == pieces == bytewise, (version, case, data, whole, pieces, bytewise)
        last = whole[0][-1]
        assert last.startswith("ConnectionClosed"), (data, whole)
        reason = last.split("'reason': ")[1].split(",")[0].rstrip("}")  # dict order varies
        closed[reason] = closed.get(reason, 0) + 1
        if case % 50 == 0:
            gc.collect()
    # The mutations reach the rules: malformed, protocol errors, refusals of the CONNACK,
    # a packet over the limit, EOF in a packet; each seen at least once.
    for reason in ("129", "130", "149", "None"):
        assert closed.get(reason, 0) > 0, (version, closed)
    print("MQTT %d: %d mutated streams, closed with %s" % (version, CASES, sorted(closed.items())))

print("PASS")
