"""Bench program: where the time of one WebSocket echo goes, in process.

    remora run bench/programs/ws_cost.py 0 [ITERATIONS [STAGE]]

No socket and no event loop: each stage runs in a loop and prints ``COST <stage> <us>
<bytes>``: the best per-iteration time of 20 batches (a busy machine only ever adds
time), and the heap it allocates per iteration on MicroPython (-1 on CPython).  One
iteration is the server's side of one echo of a 64-byte binary message (masked, as a
client sends it), as ``bench.ws`` measures it on the wire:

- ``unmask``: the payload unmasked (``frames.xor_mask`` into a fresh buffer);
- ``frame``: our answer's frame made (``Connection.send_message``);
- ``core``: the core alone: the frame fed, its Data event, NEED_DATA, the answer framed;
- ``driver``: a WebSocket over an in-memory socket: ``receive()``'s step (the read, the
  core, the message handed over) and ``write()`` (the frame made and sent), as the echo
  task runs them between two waits.

With a STAGE named, that stage alone runs ITERATIONS times, untimed and silent: for
``valgrind --tool=callgrind``'s instruction counts.
"""

import sys

from remora.proto.ws import frames
from remora.proto.ws.connection import Connection
from remora.proto.ws.state import CLIENT, SERVER
from remora.ws.websocket import WebSocket

try:
    import gc
except ImportError:
    gc = None

try:
    from time import ticks_diff, ticks_us
except ImportError:
    import time

    def ticks_us():
        return time.perf_counter() * 1e6

    def ticks_diff(a, b):
        return a - b

PAYLOAD = bytes(range(64))
WIRE = Connection(CLIENT).send_message(PAYLOAD)
WIRE = bytes(WIRE)
KEY = WIRE[2:6]


class MemSock:
    """The Socket calls a WebSocket's echo makes, in memory: one frame per read."""

    peer = None

    def __init__(self):
        self.incoming = None
        self.sent = 0

    def owner(self):
        return True

    def read_now(self):
        data = self.incoming
        self.incoming = None
        return data

    def send_now(self, data):
        self.sent += 1
        return len(data)

    def queued(self):
        return 0


def stage_unmask(n):
    out = bytearray(64)
    for _ in range(n):
        frames.xor_mask(PAYLOAD, KEY, bytearray(64), 0)
    return out


def stage_frame(n):
    conn = Connection(SERVER)
    for _ in range(n):
        conn.send_message(PAYLOAD)


def stage_core(n):
    conn = Connection(SERVER)
    for _ in range(n):
        conn.receive_data(WIRE)
        event = conn.next_event()
        conn.next_event()  # NEED_DATA
        conn.send_message(event.data)


def stage_driver(n):
    sock = MemSock()
    ws = WebSocket(sock, SERVER)
    step = ws._step
    write = ws.write
    for _ in range(n):
        sock.incoming = WIRE
        msg = step(True, None)
        write(msg)
        step(True, None)  # back to waiting (NEED_DATA, nothing to read)
    assert sock.sent == n


STAGES = (("unmask", stage_unmask), ("frame", stage_frame), ("core", stage_core),
          ("driver", stage_driver))


def measure(fn, n):
    best = None
    for _ in range(20):
        if gc is not None:
            gc.collect()
        t0 = ticks_us()
        fn(n)
        t = ticks_diff(ticks_us(), t0) / n
        if best is None or t < best:
            best = t
    alloc = -1
    if gc is not None and hasattr(gc, "mem_alloc"):
        # A batch small enough that no collection runs inside it.
        gc.collect()
        a = gc.mem_alloc()
        fn(20)
        alloc = (gc.mem_alloc() - a) // 20
    return best, alloc


async def main(args):
    n = int(args[1]) if len(args) > 1 else 2000
    if len(args) > 2:
        dict(STAGES)[args[2]](n)
        return
    for name, fn in STAGES:
        us, alloc = measure(fn, n)
        print("COST %s %.2f %d" % (name, us, alloc))
    sys.stdout.flush() if hasattr(sys.stdout, "flush") else None
