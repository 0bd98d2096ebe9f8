# A WebSocket client and server core (remora.proto.ws) talking through each
# other's bytes, no sockets: the handshake, messages of every size both ways,
# fragments with pings between them fed in random pieces, the Assembler, the
# closing handshake from either side; and the heap an idle Connection costs.
# Runs on both runtimes.
import gc
from hashlib import sha1

from remora.proto.ws.connection import Connection
from remora.proto.ws.events import DONE, NEED_DATA, Close, Data, Ping, Pong
from remora.proto.ws.handshake import check_response, request_headers, server_handshake
from remora.proto.ws.message import Assembler
from remora.proto.ws.state import CLIENT, CLOSED, CLOSING, OPEN, SERVER


class Rand:
    """A small deterministic generator (the same on both runtimes)."""

    def __init__(self, seed):
        self.x = seed

    def below(self, n):
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.x >> 8) % n

    def bytes(self, n):
        return bytes(self.below(256) for _ in range(n))


class Side:
    """One end: its core, the events it got, whole messages assembled."""

    def __init__(self, conn):
        self.conn = conn
        self.events = []
        self.messages = []
        self.assembler = Assembler()

    def feed(self, data, rand=None):
        # Feed data in random pieces (all at once without rand).
        i = 0
        while i < len(data):
            step = len(data) - i if rand is None else 1 + rand.below(700)
            self.conn.receive_data(data[i : i + step])
            i += step
            self.pump()

    def pump(self):
        while True:
            event = self.conn.next_event()
            if event is NEED_DATA or event is DONE:
                return
            if type(event) is Data:
                # Not kept: small objects kept between the pieces would
                # fragment the small heap the unit runs in.
                assert event.received <= event.length and len(event.data) <= event.received
                message = self.assembler.add(event)
                if message is not None:
                    data, text = message
                    self.messages.append(str(data, "utf-8") if text else data)
            else:
                self.events.append(event)
                if type(event) is Close:
                    self.assembler.reset()


def pair(max_message=65535):
    # The handshake through the pure functions, as the HTTP layer will run it.
    fields, key = request_headers("example.com", ("v2.chat", "chat"))
    status, answer, upgrade = server_handshake("GET", "HTTP/1.1", fields, ("chat",))
    assert status == 101 and upgrade.subprotocols == ["v2.chat", "chat"]
    assert check_response(status, answer, key, ("v2.chat", "chat")) == "chat"
    return Side(Connection(CLIENT, max_message)), Side(Connection(SERVER, max_message))


def only(events, kind):
    return [e for e in events if type(e) is kind]


# -- messages of every size, both ways ---------------------------------------------------
# Checked by digest and dropped one by one: the unit runs in a 256 KiB heap,
# where a 64 KiB message, its frame and its assembled copy do not fit in
# one piece each (test_ws_frames has the 16- and 64-bit lengths at 64 KiB).
def digest(message):
    if type(message) is str:
        message = message.encode()
    return sha1(message).digest()


rand = Rand(7)
client, server = pair(65536)
for n in (0, 1, 2, 125, 126, 127, 1000, 40000):
    for text in (False, True):
        for sender, receiver in ((client, server), (server, client)):
            if text:
                message = ("€ab" * (n // 5 + 1))[: n // 3]
            elif n < 2000:
                message = rand.bytes(n)
            else:
                message = bytes(range(256)) * (n // 256) + bytes(n % 256)
            expected = digest(message)
            wire = sender.conn.send_message(message, text)
            message = None
            receiver.feed(wire, rand)
            wire = None
            assert [digest(m) for m in receiver.messages] == [expected], n
            receiver.messages = []
            receiver.events = []
            gc.collect()
assert not client.conn.data_to_send() and not server.conn.data_to_send()
# An idle connection keeps no buffer after all that.
assert server.conn._buf == b"" and client.conn._buf == b""

# -- fragments, pings between them, random pieces ---------------------------------------
for seed in range(1, 25):
    rand = Rand(seed)
    client, server = pair()
    expected = []
    wire = b""
    pings = 0
    for m in range(1 + rand.below(6)):
        text = rand.below(2) == 1
        parts = 1 + rand.below(5)
        whole = b""
        for k in range(parts):
            if text:
                piece = "é€𝄞x"[rand.below(4)] * rand.below(40)
                whole += piece.encode()
            else:
                piece = rand.bytes(rand.below(300))
                whole += piece
            wire += client.conn.send_frame(piece, text, k == parts - 1)
            if rand.below(3) == 0:
                wire += client.conn.send_ping(b"%d" % pings)
                pings += 1
        expected.append(whole.decode() if text else whole)
    server.feed(wire, rand)
    assert server.messages == expected, seed
    assert [e.payload for e in only(server.events, Ping)] == [b"%d" % i for i in range(pings)]
    # The pong of the latest ping goes back, and the client sees it.
    reply = server.conn.data_to_send()
    if pings:
        client.feed(reply)
        assert only(client.events, Pong) == [Pong(b"%d" % (pings - 1))], seed
    else:
        assert reply == b""

# -- the closing handshake, from either side ----------------------------------------------
client, server = pair()
server.feed(client.conn.send_message("last words"))
wire = client.conn.send_close(1000, "done")
assert client.conn.state == CLOSING
server.feed(wire)
assert server.events[-1] == Close(1000, "done", True) and server.conn.state == CLOSED
client.feed(server.conn.data_to_send())
assert client.events[-1] == Close(1000, "", True) and client.conn.state == CLOSED
assert server.messages == ["last words"]
# §7.1.1: the server closes the TCP connection; the client sees EOF.
client.conn.receive_data(b"")
assert client.conn.next_event() is DONE and client.conn.state == CLOSED

client, server = pair()
client.feed(server.conn.send_frame(b"partial", False, False))  # a message cut by the close
client.feed(server.conn.send_ping(b"?"))
client.feed(server.conn.send_close(1001))
assert only(client.events, Ping) == [Ping(b"?")]
assert client.events[-1] == Close(1001, "", True)
reply = client.conn.data_to_send()  # the pong, then the echo
server.feed(reply)
assert server.events == [Pong(b"?"), Close(1001, "", True)], server.events
assert client.messages == [] and client.assembler._buf is None  # reset on Close
assert server.conn.state == CLOSED and client.conn.state == CLOSED

# A violation: the server's core fails the connection, the client reads why.
client, server = pair()
bad = bytearray(client.conn.send_message(b"x"))
bad[0] |= 0x40  # RSV2
server.feed(bytes(bad))
assert server.events == [Close(1002, "", False)]
client.feed(server.conn.data_to_send())
assert client.events == [Close(1002, "", True)] and client.conn.state == CLOSED
server.feed(client.conn.data_to_send())  # the client's echo: the server reads no more
assert server.events == [Close(1002, "", False)] and server.conn.next_event() is DONE

# -- the Assembler --------------------------------------------------------------------------
assembler = Assembler()
piece = b"whole"
assert assembler.add(Data(piece, False, 5, 5, True))[0] is piece  # no copy
assert assembler.add(Data(b"ab", True, 2, 4, False)) is None
assert assembler.add(Data(b"cd", True, 4, 4, False)) is None
assert assembler.add(Data(b"", True, 0, 0, False)) is None
assert assembler.add(Data(b"e", True, 1, 2, True)) is None
data, text = assembler.add(Data(b"f", True, 2, 2, True))
assert bytes(data) == b"abcdef" and text
assert assembler.add(Data(b"", False, 0, 0, True)) == (b"", False)
assembler.add(Data(b"ab", False, 2, 4, True))
assembler.reset()
assert assembler.add(Data(b"xy", False, 2, 2, True)) == (b"xy", False)

# -- the package's names load their module on first use -------------------------------
from remora.proto import ws  # noqa: E402

assert ws.Connection is Connection and ws.Assembler is Assembler and ws.SERVER == SERVER
assert ws.DONE is DONE and ws.utf8.check(b"", b"a", True) == b""
try:
    ws.NoSuchName
    raise AssertionError("no AttributeError")
except AttributeError:
    pass
assert repr(Close(1000, "x", True)).startswith("Close{") and "1000" in repr(Close(1000))

# -- an idle Connection's heap ----------------------------------------------------------------
if hasattr(gc, "mem_alloc"):  # MicroPython
    Connection(SERVER)  # classes and modules loaded
    conns = [None] * 100
    gc.collect()
    before = gc.mem_alloc()
    for i in range(100):
        conns[i] = Connection(SERVER if i & 1 else CLIENT)
    gc.collect()
    per = (gc.mem_alloc() - before) // 100
    print("idle Connection:", per, "bytes")
    # Every attribute defaults on the class: a fresh connection stores only
    # a client's role (32 bytes on the simulated 32-bit board).
    assert per <= 64, per
    # After a message and a ping, it is back to idle: what the receive path
    # stored stays within a 12-slot instance dict (112 bytes on the 32-bit
    # board, 224 on the 64-bit unix port; the 13th attribute would make it
    # 17 slots).
    wire = Connection(CLIENT).send_message(bytes(3000)) + Connection(CLIENT).send_ping(b"x")
    for conn in conns:
        conn.receive_data(wire) if conn.our_role == SERVER else None
        while conn.our_role == SERVER and conn.next_event() is not NEED_DATA:
            pass
        conn.data_to_send()
    wire = None
    gc.collect()
    # (The GC is conservative: a stale pointer may keep the 3 KiB frame.)
    assert gc.mem_alloc() - before <= 50 * 224 + 50 * per + 4096, gc.mem_alloc() - before
    print("Connection after a message:", (gc.mem_alloc() - before - 50 * per) // 50, "bytes (a server)")
    assert all(conn._buf == b"" and conn._key is None for conn in conns)
    conns = None
else:
    print("SKIP heap figures: no gc.mem_alloc on this runtime")

print("PASS")
