# What an idle server WebSocket (remora.ws.WebSocket) keeps, on both runtimes:
# after text, binary, fragmented messages, a ping and our answers, its instance
# holds at most 12 attributes (MicroPython's instance dict grows from 12 slots
# to 17 at the 13th: 48 bytes more per connection on a board), no buffer of
# the traffic, and on MicroPython at most 112 bytes.  No socket: a stand-in
# takes what the WebSocket sends (send_now), as the echo task would.
import gc

from remora.proto.ws.connection import Connection
from remora.proto.ws.events import NEED_DATA, Data, Ping
from remora.proto.ws.state import CLIENT, SERVER
from remora.ws.websocket import WebSocket


class Sock:
    peer = None

    def __init__(self):
        self.sent = []

    def send_now(self, data):
        self.sent.append(bytes(data))
        return len(data)

    def queued(self):
        return 0


peer = Connection(CLIENT)
wire = (peer.send_message("héllo") + peer.send_message(bytes(3000))
        + peer.send_frame(b"frag", False, False) + peer.send_ping(b"p")
        + peer.send_frame(b"ment", False, True))


def traffic(ws):
    ws.receive_data(wire)
    pieces = []
    while True:
        event = ws.next_event()
        out = ws.data_to_send()
        if out:
            ws.sock.send_now(out)
        if event is NEED_DATA:
            break
        if type(event) is Data:
            pieces.append(event)
        else:
            assert type(event) is Ping
    for piece in pieces:
        ws.sock.send_now(ws.send_frame(piece.data, piece.text, piece.message_end))
    return pieces


sock = Sock()
ws = WebSocket(sock, SERVER)
ws.hold()  # counted, as upgrade() does
pieces = traffic(ws)
assert [p.data for p in pieces][0] == "héllo".encode() and len(pieces) == 4, pieces
assert len(sock.sent) == 5  # the pong, four echoes
names = sorted(ws.__dict__)
assert len(names) <= 12, names
ws.release()

if hasattr(gc, "mem_alloc"):  # MicroPython: the bytes themselves
    socks = [Sock() for _ in range(20)]
    conns = [None] * 20
    gc.collect()
    before = gc.mem_alloc()
    for i in range(20):
        conns[i] = WebSocket(socks[i], SERVER)
        traffic(conns[i])
        socks[i].sent = None  # what was sent is the socket's, not the WebSocket's
    gc.collect()
    per = (gc.mem_alloc() - before) // 20
    print("idle WebSocket after traffic:", per, "bytes")
    # 64 to 112 on the simulated 32-bit board; the 64-bit port doubles it.  (The
    # collector is conservative: a stale pointer may keep a 3 KiB payload.)
    assert per <= 224 + 200, per
else:
    print("SKIP heap figures: no gc.mem_alloc on this runtime")

print("PASS")
