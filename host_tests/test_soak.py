"""A soak on the ESP32 profile (issue 20): the demo under good clients and a crowd of bad ones.

The simulated ESP32 (32-bit firmware, remora frozen in, 110 KiB heap, 10 connections)
serves examples/demo as ``make run`` does, without the access log.  For about 20 s, 8 good
keep-alive clients send ``GET /hello``, ``GET /`` and ``POST /echo`` while a crowd of bad
ones connects and closes, sends half a request or half a body, garbage, a reset right
after a request, an oversized head, 20-request pipelines, a slowloris, and every 5 s a
burst of 50 connections past the cap (host_tests/soakload.py).  Then:

- the good clients never failed (a 503 under the deliberate overload is allowed, and
  counted);
- every crowd connection that was promised an answer got it: 400 for garbage, 431 for the
  oversized head, 408 for the slowloris, 200 or 503 for each connection of a burst (503:
  refused over the cap or for want of heap), with no retransmission;
- the heap in use came back within a tenth of its start (the start: after one pass of
  every request and page, which loads what the server loads on first use);
- every kind of page answers as before (routes, pages, static files, the admin area, the
  streamed echo, a 404, a WebSocket);
- a burst of 50 connections on the quiet server is answered whole, none of them dropped
  by the kernel for want of listen backlog (no client had to retransmit);
- no exception escaped: the server's output has no traceback, no task that failed, and
  no exception that nothing caught.

MicroPython only: the board's heap is what is soaked.  The longer soak with its figures is
``python -m bench.soak`` (part of ``make bench``).
"""

import os

import harness
import pytest
import soakload
from remora_tools import serve

DEMO = os.path.join(harness.REPO, "examples", "demo")
BOARD = "esp32"
PROFILE = harness.boards_profile(BOARD)
SOAK_S = 20.0
# What the server prints when something escaped remora's handling, or a task failed.
ESCAPES = ("Traceback", "nothing caught", "Task exception", "task failed", "connection failed")


@pytest.fixture
def demo(board_firmware):
    port = harness.free_port()
    ntp = harness.free_port()  # nothing listens there: the NTP page answers with its error
    argv, env = serve.command("micropython", DEMO, BOARD, port, ["--ntp", "127.0.0.1:%d" % ntp],
                              access_log=False)
    prog = harness.Program("micropython", DEMO, command=(argv, env))
    prog.port = port
    try:
        prog.ready(30)
        yield prog
    finally:
        prog.stop()


def test_soak_on_the_esp32_heap(demo):
    port = demo.port
    head_s = PROFILE["http_head_ms"] / 1000
    soakload.warm_up(port, head_s)
    before_pages = soakload.check_pages(port)
    assert before_pages == soakload.PAGES_OK, before_pages
    start = soakload.settle(port)
    assert start["connections"] == 1, start

    tally = soakload.run(port, SOAK_S, good=8, crowd=4, burst_every_s=5.0, burst_size=50,
                         head_s=head_s)
    print("soak:", tally.summary())

    assert demo.returncode is None, demo.output()
    assert not tally.failures, tally.summary()
    assert tally.good > 0, tally.summary()
    assert not tally.violations, tally.summary()
    for kind in ("garbage", "big_head", "slowloris", "burst"):
        assert tally.crowd.get(kind), (kind, tally.summary())

    after = soakload.settle(port)
    assert after["connections"] == 1, after
    print("heap: start %d, peak sampled %d, after %d" % (
        start["heap_alloc"], max(tally.heap or [0]), after["heap_alloc"]))
    assert after["heap_alloc"] <= start["heap_alloc"] * 1.1, (start, after)

    pages = soakload.check_pages(port)
    assert pages == soakload.PAGES_OK, pages

    # A burst of 50 on the quiet server: every connection answered (200, or 503
    # past the cap), none of them dropped by the kernel and retried by its client
    # (with the old listen backlog of 4, a third of them were).
    burst = soakload.burst_once(port, 50)
    assert not burst.violations, burst.summary()
    assert sum(burst.crowd["burst"].values()) == 50, burst.summary()

    output = demo.output()
    for mark in ESCAPES:
        assert mark not in output, output[-4000:]
    assert demo.returncode is None, output
