"""Bench program: where the time of one keep-alive ``GET /hello`` goes, in process.

    remora run bench/programs/http_cost.py 0 [ITERATIONS [STAGE]]

No socket and no event loop: each stage runs in a loop and prints ``COST <stage> <us>
<bytes>``: the best per-iteration time of 20 batches (a busy machine only ever adds time),
and the heap it allocates per iteration on MicroPython (-1 on CPython).  The stages of one
request, as the server runs them:

- ``core``: the HTTP core reads the request head (the server's Request built by the core)
  and the end of its empty body, frames the response (head with Date and Content-Length,
  body, end) and resets for the next request; ``parse``: the same with the least answer
  (an empty head), so ``core - parse`` is about what framing the answer costs;
- ``handle``: ``App.handle``: the route lookup, the handler (an ``async def`` returning a
  Response), its result;
- ``driver``: ``serve_connection`` over an in-memory socket, 20 requests per connection:
  the three above plus the driver's own work (deadlines, the answer's pieces), per request;
- ``gc``: on MicroPython, one full collection of the server's heap at rest (``gc_us``),
  and the heap free after it (``free``): with ``driver``'s bytes per request, the collector's
  share per request is gc_us * bytes / free.

With a STAGE named, that stage alone runs ITERATIONS times (``driver``: that many
connections of 20 requests), untimed and silent: for ``valgrind --tool=callgrind``'s
instruction counts, steady where a loaded machine's times are not.
"""

import sys

import remora
from remora.http import server as driver
from remora.http.app import App
from remora.http.response import Response
from remora.http.request import Request
from remora.proto.http.limits import Limits
from remora.proto.http.server import ServerConnection

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


REQUEST = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
DATE = "Thu, 03 Dec 2026 10:40:04 GMT"
PER_CONNECTION = 20


def measure(name, fn, iterations, per=1):
    fn()
    fn()
    alloc = -1
    if gc is not None and hasattr(gc, "mem_alloc"):
        reps = 4 if per == 1 else 1  # the collector is off: the heap must hold them all
        gc.collect()
        gc.disable()
        start = gc.mem_alloc()
        for _ in range(reps):
            fn()
        alloc = (gc.mem_alloc() - start) // (reps * per)
        gc.enable()
        gc.collect()
    batch = max(1, iterations // 20)
    best = None
    for _ in range(20):
        t0 = ticks_us()
        for _ in range(batch):
            fn()
        took = ticks_diff(ticks_us(), t0) / batch / per
        best = took if best is None or took < best else best
    print("COST %s %.2f %d" % (name, best, alloc))


def run_coroutine(coro):
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        return stop.value


class Connection(ServerConnection):
    request_type = Request  # as the server's driver has it: the handler's Request, built once


class Pipe:
    """What the driver needs of a socket: K requests, then the end."""

    peer = ("127.0.0.1", 1)
    left = 0

    def read_now(self):
        if self.left:
            self.left -= 1
            return REQUEST
        return b""

    async def readable(self):
        return True

    def task_ended(self, task):
        pass

    def send_now(self, data):
        return len(data)

    async def write(self, data):
        return True

    async def discard(self, timeout_ms):
        return 0

    def interrupt(self, exc):
        pass


async def main(args):
    iterations = int(args[1]) if len(args) > 1 else 4000
    app = App(".")

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    limits = Limits()
    conn = Connection(limits)

    def parse():
        conn.receive_data(REQUEST)
        conn.next_event()
        conn.next_event()
        conn.send_response_head(200, [], None, 0, None)  # the least answer that resets
        conn.send_end()
        conn.start_next_cycle()

    def answer_only():
        conn.receive_data(REQUEST)
        conn.next_event()
        conn.next_event()
        conn.send_response_head(200, [["content-type", "text/plain"]], None, 13, DATE)
        conn.send_data(b"Hello, world!")
        conn.send_end()
        conn.start_next_cycle()

    req = Request("GET", "/hello", "HTTP/1.1", [("host", "127.0.0.1:8080")])
    req.app = app

    def handle():
        run_coroutine(app.handle(req))

    pipe = Pipe()

    def serve():
        pipe.left = PER_CONNECTION
        run_coroutine(driver.serve_connection(pipe, app))

    if len(args) > 2:
        # One stage only, run that many times, untimed: for an instruction
        # count (valgrind --tool=callgrind) of what it costs.
        fn = {"parse": parse, "core": answer_only, "handle": handle, "driver": serve}[args[2]]
        for _ in range(iterations):
            fn()
        return
    measure("parse", parse, iterations)
    measure("core", answer_only, iterations)
    measure("handle", handle, iterations)
    measure("driver", serve, iterations // PER_CONNECTION, PER_CONNECTION)
    if gc is not None and hasattr(gc, "mem_free"):
        gc.collect()
        free = gc.mem_free()
        t0 = ticks_us()
        for _ in range(20):
            gc.collect()
        print("COST gc_us %.2f %d" % (ticks_diff(ticks_us(), t0) / 20, free))
    print("COST runtime %s %s" % (remora.RUNTIME, sys.implementation.name))
