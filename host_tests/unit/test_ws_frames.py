# The WebSocket core's framing (remora.proto.ws): the RFC 6455 §5.7 examples
# byte for byte, lengths, masking, fragmentation, and every framing rule that
# fails the connection with 1002 or 1009.  Runs on both runtimes.
from hashlib import sha1

from remora.proto.ws.connection import Connection
from remora.proto.ws.events import DONE, NEED_DATA, Close, Data, Ping, Pong
from remora.proto.ws.frames import frame, head_size, put_head, rotate, xor_mask
from remora.proto.ws.frames import unmasked as unmask_bytes
from remora.proto.ws.state import CLIENT, CLOSED, CLOSING, ERROR, OPEN, SERVER


def drain(conn):
    """Events until NEED_DATA or DONE (not included)."""
    out = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA or event is DONE:
            return out
        out.append(event)


def fixed(key):
    # A random source that always gives `key`: for byte-exact tests only.
    def random(n):
        return key[:n]

    return random


KEY = bytes((0x37, 0xFA, 0x21, 0x3D))
HELLO_MASKED = bytes((0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58))
HELLO = bytes((0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F))


def server(data=b"", **kw):
    conn = Connection(SERVER, **kw)
    if data:
        conn.receive_data(data)
    return conn


def client(data=b"", **kw):
    conn = Connection(CLIENT, **kw)
    if data:
        conn.receive_data(data)
    return conn


def fails(conn, code, data=None):
    """conn fails with `code` on `data`: a Close event, our close frame queued."""
    if data is not None:
        conn.receive_data(data)
    events = drain(conn)
    assert events and events[-1] == Close(code, "", False), events
    assert conn.state == ERROR, conn.state
    out = conn.data_to_send()
    assert out[-4:] == bytes((0x88, 0x02, code >> 8, code & 0xFF)) or (
        out[-8:-6] == bytes((0x88, 0x82))
    ), out
    assert conn.next_event() is DONE and conn.next_event() is DONE
    return events[:-1]


def masked(first, payload, key=KEY):
    """A client's frame: byte 0, then the masked payload."""
    return bytes(frame(first, payload, key))


def unmasked(first, payload):
    return bytes(frame(first, payload, None))


# -- §5.7 examples -----------------------------------------------------------------
# A single-frame unmasked text message, to a client.
assert drain(client(HELLO)) == [Data(b"Hello", True, 5, 5, True)]
# A single-frame masked text message, to a server.
events = drain(server(HELLO_MASKED))
assert events == [Data(b"Hello", True, 5, 5, True)], events
assert events[0].frame_end and events[0].message_end
# ... and a client makes exactly that frame with that key.
assert bytes(client(random=fixed(KEY)).send_message("Hello")) == HELLO_MASKED
assert bytes(client(random=fixed(KEY)).send_message(b"Hello", text=True)) == HELLO_MASKED
assert bytes(server().send_message("Hello")) == HELLO
# A fragmented unmasked text message.
FRAGMENTED = bytes((0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F))
events = drain(client(FRAGMENTED))
assert events == [Data(b"Hel", True, 3, 3, False), Data(b"lo", True, 2, 2, True)], events
assert not events[0].message_end and events[0].frame_end and events[1].message_end
conn = server()
assert bytes(conn.send_frame(b"Hel", True, False)) == FRAGMENTED[:5]
assert bytes(conn.send_frame(b"lo", True, True)) == FRAGMENTED[5:]
# Unmasked Ping, masked Pong with the body "Hello".
conn = client(bytes((0x89, 0x05)) + b"Hello")
assert drain(conn) == [Ping(b"Hello")]
assert conn.data_to_send()[:2] == bytes((0x8A, 0x85))  # a client's pong is masked
conn = server(bytes((0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58)))
assert drain(conn) == [Pong(b"Hello")] and conn.data_to_send() == b""
assert bytes(server().send_ping(b"Hello")) == bytes((0x89, 0x05)) + b"Hello"
assert bytes(client(random=fixed(KEY)).send_pong(b"Hello")) == HELLO_MASKED[:1].replace(
    b"\x81", b"\x8a"
) + HELLO_MASKED[1:]
# 256 bytes of binary data in a single unmasked frame (16-bit length).
body = bytes(range(256))
wire = bytes((0x82, 0x7E, 0x01, 0x00)) + body
assert drain(client(wire)) == [Data(body, False, 256, 256, True)]
assert bytes(server().send_message(body)) == wire


# 64 KiB in a single unmasked frame (64-bit length).  Copies are compared by
# digest and dropped, in a function (MicroPython's GC scans a running frame's
# whole value stack, dead slots too): the unit runs in a board's 256 KiB heap.
def example_64k():
    body = bytes(range(256)) * 256
    wire = bytes((0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0)) + body
    expected = sha1(wire).digest()
    assert drain(client(wire, max_message=65536)) == [Data(body, False, 65536, 65536, True)]
    wire = None
    assert sha1(server().send_message(body)).digest() == expected


example_64k()

# -- head sizes and the length boundaries ----------------------------------------
for n, size in ((0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)):
    assert head_size(n, False) == size and head_size(n, True) == size + 4
    out = bytearray(14)
    assert put_head(out, 0x82, n, None) == size
    assert put_head(out, 0x82, n, KEY) == size + 4
PRIME = bytes(range(251))


def roundtrip(n, role, peer):
    # In a function, as example_64k.
    payload = bytearray(n)  # 251 (prime) bytes over and over, made in place
    for i in range(0, n, 251):
        payload[i : i + 251] = PRIME[: n - i]
    expected = sha1(payload).digest()
    wire = Connection(peer).send_message(payload)
    payload = None  # the frame and one copy at a time
    assert len(wire) == head_size(n, peer == CLIENT) + n
    conn = Connection(role, max_message=70001)
    conn.receive_data(wire)
    wire = None
    event = conn.next_event()
    assert conn.next_event() is NEED_DATA
    assert event.received == event.length == n and event.fin and not event.text
    assert sha1(event.data).digest() == expected, (n, role)


for n in (0, 1, 3, 4, 5, 125, 126, 127, 511, 512, 513, 1025, 65535, 65536, 70001):
    roundtrip(n, SERVER, CLIENT)
    roundtrip(n, CLIENT, SERVER)

# -- masking ----------------------------------------------------------------------
def slow_mask(data, key):
    return bytes(b ^ key[i & 3] for i, b in enumerate(data))


for n in (0, 1, 2, 3, 4, 5, 7, 8, 511, 512, 513, 1023, 1024, 1500, 4099):
    data = bytes((i * 31 + 5) & 0xFF for i in range(n))
    out = bytearray(n + 3)
    xor_mask(data, KEY, out, 3)
    assert bytes(out[3:]) == slow_mask(data, KEY), n
    # in place, through memoryviews, from an offset (rotated key)
    buf = bytearray(data)
    xor_mask(memoryview(buf), KEY, buf, 0)
    assert bytes(buf) == slow_mask(data, KEY)
    for offset in (1, 2, 3, 5):
        piece = bytearray(max(n - offset, 0))
        xor_mask(memoryview(data)[offset:], rotate(KEY, offset), piece, 0)
        assert bytes(piece) == slow_mask(data, KEY)[offset:], (n, offset)
    if n <= 512:  # the one-step form, new bytes
        assert unmask_bytes(data, KEY) == slow_mask(data, KEY), n

# A client masks every frame with a fresh key from its random source.
calls = []


def counting(n):
    calls.append(n)
    return bytes((len(calls), 2, 3, 4))


conn = client(random=counting)
first = bytes(conn.send_message(b"same"))
second = bytes(conn.send_message(b"same"))
assert calls == [4, 4] and first != second
assert first[2:6] == bytes((1, 2, 3, 4)) and second[2:6] == bytes((2, 2, 3, 4))
assert bytes(conn.send_ping(b"p"))[2:6] == bytes((3, 2, 3, 4))
# With os.urandom (the default), two frames of the same data differ.
conn = client()
assert bytes(conn.send_message(b"x" * 20)) != bytes(conn.send_message(b"x" * 20))
# A server never masks.
conn = server()
assert bytes(conn.send_message(b"abc")) == bytes((0x82, 0x03)) + b"abc"

# -- masked frames to the wrong side -----------------------------------------------
fails(server(), 1002, unmasked(0x81, b"Hello"))  # §5.1: a client MUST mask
fails(client(), 1002, HELLO_MASKED)  # a server MUST NOT mask
fails(server(), 1002, unmasked(0x89, b""))  # control frames too
fails(client(), 1002, masked(0x88, b""))

# -- reserved bits and opcodes ---------------------------------------------------------
for bit in (0x40, 0x20, 0x10, 0x70):
    fails(server(), 1002, masked(0x81 | bit, b"x"))
    fails(server(), 1002, masked(0x89 | bit, b""))
for opcode in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
    fails(server(), 1002, masked(0x80 | opcode, b""))
    fails(client(), 1002, unmasked(0x80 | opcode, b"abc"))
# Failing as soon as the first two bytes say so: the rest never comes.
fails(server(), 1002, bytes((0xC1, 0x85)))
fails(server(), 1002, bytes((0x81, 0x05)))

# -- control frame rules (§5.5) ---------------------------------------------------------
fails(server(), 1002, masked(0x09, b"ping"))  # a fragmented ping
fails(server(), 1002, masked(0x0A, b""))  # a fragmented pong
fails(server(), 1002, masked(0x08, b""))  # a fragmented close
fails(server(), 1002, masked(0x89, b"x" * 126))  # over 125 bytes
fails(server(), 1002, bytes((0x89, 0xFE, 0, 5)) + KEY + b"xxxxx")  # 16-bit length
conn = server(masked(0x89, b"x" * 125))
assert drain(conn) == [Ping(b"x" * 125)]
assert conn.data_to_send() == bytes((0x8A, 125)) + b"x" * 125

# -- non-minimal lengths (§5.2) --------------------------------------------------------
fails(client(), 1002, bytes((0x82, 0x7E, 0x00, 0x7D)) + b"x" * 125)
fails(client(), 1002, bytes((0x82, 0x7E, 0x00, 0x00)))
fails(client(), 1002, bytes((0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF)))  # no payload needed
fails(client(), 1002, bytes((0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5)) + b"xxxxx")
# The most significant bit of a 64-bit length must be 0.
fails(client(max_message=1 << 62), 1002, bytes((0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0)))
# 126 and 65536 are the smallest of their encodings.
assert drain(client(bytes((0x82, 0x7E, 0, 126)) + b"y" * 126)) == [
    Data(b"y" * 126, False, 126, 126, True)
]

# -- fragmentation (§5.4) ---------------------------------------------------------------
fails(server(), 1002, masked(0x80, b"x"))  # a continuation with no message
fails(server(), 1002, masked(0x00, b"x"))
events = fails(server(), 1002, masked(0x01, b"a") + masked(0x81, b"b"))  # text inside text
assert events == [Data(b"a", True, 1, 1, False)], events
fails(server(), 1002, masked(0x02, b"a") + masked(0x02, b"b"))
# A message ends with its FIN frame: a continuation after it is an error.
fails(server(), 1002, masked(0x01, b"a") + masked(0x80, b"b") + masked(0x80, b"c"))
# Control frames between fragments are fine, and so are empty fragments.
wire = (
    masked(0x01, b"Hel")
    + masked(0x89, b"1")
    + masked(0x00, b"")
    + masked(0x8A, b"2")
    + masked(0x00, b"l")
    + masked(0x89, b"3")
    + masked(0x80, b"o")
    + masked(0x82, b"")
)
conn = server(wire)
events = drain(conn)
assert events == [
    Data(b"Hel", True, 3, 3, False),
    Ping(b"1"),
    Data(b"", True, 0, 0, False),
    Pong(b"2"),
    Data(b"l", True, 1, 1, False),
    Ping(b"3"),
    Data(b"o", True, 1, 1, True),
    Data(b"", False, 0, 0, True),
], events
# Only the pong of the latest ping is queued (§5.5.3).
assert conn.data_to_send() == bytes((0x8A, 1)) + b"3" and conn.data_to_send() == b""
# Sending: continuations follow the first frame whatever `text` says.
conn = server()
assert bytes(conn.send_frame(b"a", False, False))[:1] == b"\x02"
assert bytes(conn.send_ping())[:1] == b"\x89"
assert bytes(conn.send_frame(b"b", True, False))[:1] == b"\x00"
assert bytes(conn.send_frame(b"c", True, True))[:1] == b"\x80"
assert bytes(conn.send_frame(b"d", True, True))[:1] == b"\x81"
assert conn.send_head(5) == bytes((0x82, 5)) and conn.send_head(5, True) == bytes((0x81, 5))
assert conn.send_head(300, fin=False) == bytes((0x02, 0x7E, 1, 44))
assert conn.send_head(70000, text=True) == bytes((0x00 | 0x80, 0x7F, 0, 0, 0, 0, 0, 1, 0x11, 0x70))

# -- size limits (1009) ----------------------------------------------------------------
fails(server(max_message=10), 1009, masked(0x82, b"x" * 11))
assert drain(server(masked(0x82, b"x" * 10), max_message=10)) == [
    Data(b"x" * 10, False, 10, 10, True)
]
# Judged on the head, before any payload arrives.
fails(server(), 1009, bytes((0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0)) + KEY)
fails(client(), 1009, bytes((0x82, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0)))
# The assembled message counts: 6 + 5 > 10.
events = fails(server(max_message=10), 1009, masked(0x02, b"x" * 6) + masked(0x80, b"y" * 5))
assert events == [Data(b"x" * 6, False, 6, 6, False)]
# ... and a new message starts from zero.
wire = masked(0x02, b"x" * 6) + masked(0x80, b"y" * 4) + masked(0x82, b"z" * 10)
assert len(drain(server(wire, max_message=10))) == 3
# Control frames do not count.
wire = masked(0x02, b"x" * 6) + masked(0x89, b"p" * 100) + masked(0x80, b"y" * 4)
assert len(drain(server(wire, max_message=10))) == 3

# -- payload pieces as they arrive -----------------------------------------------------
wire = masked(0x82, bytes(range(200)))
conn = server()
conn.receive_data(wire[:2])
assert conn.next_event() is NEED_DATA  # a head is parsed whole
conn.receive_data(wire[2:7])
assert conn.next_event() is NEED_DATA  # a 16-bit length and a key: 8 bytes
conn.receive_data(wire[7:8])
assert conn.next_event() is NEED_DATA  # head done; no payload yet
conn.receive_data(wire[8:58])
assert drain(conn) == [Data(bytes(range(50)), False, 50, 200, True)]
conn.receive_data(wire[58:59])
assert drain(conn) == [Data(bytes((50,)), False, 51, 200, True)]
conn.receive_data(wire[59:])
events = drain(conn)
assert events == [Data(bytes(range(51, 200)), False, 200, 200, True)]
assert events[0].frame_end and events[0].message_end
assert conn._buf == b"" and conn._left == -1  # an idle connection holds no buffer

# The same events whether the bytes come at once or byte by byte (pieces
# merged per frame).
def merged(events):
    out = []
    pending = b""
    for event in events:
        if type(event) is Data:
            pending += bytes(event.data)
            if event.frame_end:
                out.append((pending, event.text, event.length, event.fin))
                pending = b""
        else:
            out.append(event)
    assert not pending
    return out


wire = (
    masked(0x01, "héllo ".encode())
    + masked(0x89, b"ping")
    + masked(0x80, "wörld €𝄞".encode())
    + masked(0x82, bytes(range(256)) * 3)
    + masked(0x8A, b"")
    + masked(0x02, b"")
    + masked(0x80, b"end")
    + masked(0x88, bytes((0x03, 0xE8)) + "bye ü".encode())
    + masked(0x82, b"after the close: never read")
)
whole = server(wire)
expected = drain(whole)
assert expected[-1] == Close(1000, "bye ü", True), expected
assert whole.state == CLOSED


def fed(conn, wire, step):
    # merged(events) of wire fed `step` bytes at a time, merged as they come
    # (a list of 900 one-byte events would not fit the unit's heap).
    out = []
    pending = b""
    for i in range(0, len(wire), step):
        conn.receive_data(wire[i : i + step])
        for event in drain(conn):
            if type(event) is Data:
                pending += bytes(event.data)
                if event.frame_end:
                    out.append((pending, event.text, event.length, event.fin))
                    pending = b""
            else:
                out.append(event)
        if conn.state == CLOSED:
            break
    assert not pending
    return out


for step in (1, 2, 3, 5, 7, 13, 100):
    conn = server()
    assert fed(conn, wire, step) == merged(expected), step
    assert conn.data_to_send() == bytes((0x8A, 4)) + b"ping" + bytes((0x88, 2, 3, 0xE8))
# The same for a client (unmasked frames).
wire = bytes(
    frame(0x01, b"abc", None) + frame(0x89, b"", None) + frame(0x80, b"def", None)
) + bytes(frame(0x82, bytes(300), None)) + bytes(frame(0x88, b"", None))
expected = merged(drain(client(wire)))
assert expected[-1] == Close(1005, "", True)
for step in (1, 2, 3, 4, 11):
    assert fed(client(), wire, step) == expected, step

# Pieces from a bytearray or a memoryview feed.
conn = client()
conn.receive_data(bytearray(HELLO))
assert drain(conn) == [Data(b"Hello", True, 5, 5, True)]
conn = client()
conn.receive_data(memoryview(HELLO + HELLO)[:9])
conn.receive_data(memoryview(HELLO + HELLO)[9:])
events = drain(conn)
assert merged(events) == [(b"Hello", True, 5, True), (b"Hello", True, 5, True)], events
assert all(type(e.data) is not memoryview for e in events)

# A driver reading into one reused buffer: what waits after NEED_DATA (a
# split head) does not live in that buffer.
wire = masked(0x81, b"one") + masked(0x82, b"two") + masked(0x89, b"three")
conn = server()
buffer = bytearray(5)
got = []
for i in range(0, len(wire), 5):
    chunk = wire[i : i + 5]
    buffer[: len(chunk)] = chunk
    conn.receive_data(memoryview(buffer)[: len(chunk)])
    got.extend(drain(conn))
    buffer[:] = b"\xff" * 5  # the driver scribbles over its buffer
assert merged(got) == [(b"one", True, 3, True), (b"two", False, 3, True), Ping(b"three")], got

# -- EOF --------------------------------------------------------------------------------
conn = server(HELLO_MASKED[:4])
conn.receive_data(b"")
assert drain(conn) == [Close(1006, "", False)] and conn.state == ERROR
assert conn.data_to_send() == b""  # nothing is sent after their EOF
conn = server(HELLO_MASKED[:8])
conn.receive_data(b"")
assert drain(conn) == [Data(b"He", True, 2, 5, True), Close(1006, "", False)]
conn = server()
conn.receive_data(b"")
assert conn.next_event() == Close(1006, "", False) and conn.next_event() is DONE

print("PASS")
