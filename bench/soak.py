"""A soak: the demo under good clients and a crowd of bad ones, on the board heaps (issue 20).

    .venv/bin/python -m bench.soak [--soak-seconds 60] [--soak-board esp32 --soak-board esp32s3]

Server: ``examples/demo`` as ``make run`` serves it (``remora serve``, without the access
log), on MicroPython (the bench's firmware) with the board's profile and heap: esp32 (110
KiB, 10 connections) and esp32s3 (256 KiB, 24 connections).  The load is the soak test's
(``host_tests/soakload.py``, which ``host_tests/test_soak.py`` runs for 20 s on esp32):

- 8 good keep-alive clients, each holding a connection, send ``GET /hello``, ``GET /`` (a
  page, on the worker pool) and ``POST /echo`` (1 KiB, streamed back) in turn and check
  every answer; a 503 is allowed (the server refusing work under the deliberate overload)
  and counted, then the client connects again; client 0 also reads ``/stats`` about once
  a second (the heap in use after a collection: the peak row is the largest sample);
- a crowd of 4 workers taking in turn: connect-and-close, half a request, half a body,
  garbage (must get 400), a reset right after a request, an oversized head (431), a
  20-request pipeline, a slowloris (408); and every 5 s a burst of 50 connections past the
  cap (each must get 200 or 503, and none may need a retransmission: the kernel dropped
  it for want of listen backlog).

Before the load, one pass of every request and page (``soakload.warm_up`` and
``check_pages``): what the server loads on first use is then in place, and the heap after
that pass is the start.  After the load, once the server holds no connection but the
asking one: the heap again, and every kind of page once more.

Rows per board: good requests (and their rate), the share of good requests answered 503,
p99 of the good requests answered 200 (connection reuse, loopback, the client on its own
CPU), heap at start, sampled peak and after, the crowd connections that got the answer
they were promised, the pages answering after the load, and the server's stderr lines
(an exception nothing caught, a traceback: 0 expected).
"""

import argparse
import os
import sys
import time
from typing import Dict, List, Tuple

from . import harness, servers
from .harness import Run, Spec

NAME = "soak"
DEMO = os.path.join(harness.REPO, "examples", "demo")
sys.path.insert(0, os.path.join(harness.REPO, "host_tests"))
import soakload  # noqa: E402  (host_tests/soakload.py: the soak test's load)


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--soak-seconds", type=float, default=60.0,
                    help="seconds of load per board (60)")
    ap.add_argument("--soak-board", action="append",
                    help="board profile to soak (repeatable; esp32 and esp32s3)")


def demo_spec(run: Run, board: str) -> Spec:
    from remora_tools import serve

    servers.boards_folder()
    ntp = harness.free_port()  # nothing listens there: the NTP page answers with its error

    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        servers.use_bench_firmware(run)
        return serve.command("micropython", DEMO, board, port, ["--ntp", "127.0.0.1:%d" % ntp],
                             access_log=False)

    return Spec("examples/demo", build)


def soak_board(run: Run, board: str, seconds: float) -> None:
    label = servers.label("micropython", board)
    spec = demo_spec(run, board)
    try:
        srv = run.server(spec)
    except Exception as exc:
        run.error("soak", label, "(did not start)", exc)
        return
    with srv:
        prof = servers.boards.load(board)
        head_s = prof["http_head_ms"] / 1000
        soakload.warm_up(srv.port, head_s)
        before = soakload.check_pages(srv.port)
        start = soakload.settle(srv.port)
        t0 = time.monotonic()
        tally = soakload.run(srv.port, seconds, good=8, crowd=4, burst_every_s=5.0,
                             burst_size=50, head_s=head_s)
        took = time.monotonic() - t0
        after = soakload.settle(srv.port)
        pages = soakload.check_pages(srv.port)
        state = srv.state()
        stderr_lines = srv.err_count
    cmd = srv.command
    how = ("%.0f s, 8 good clients beside a crowd of 4 and a burst of 50 every 5 s "
           "(host_tests/soakload.py); %s" % (seconds, state))
    answered = tally.good + tally.good_503
    run.row("soak: good requests answered 200", label, "%d" % tally.good, "requests", cmd,
            "%.0f/s over %.0f s; %d failed (%s)" % (tally.good / took, took,
                                                   len(tally.failures),
                                                   "; ".join(tally.failures[:3]) or "none"))
    run.row("soak: good requests answered 503", label,
            "%.2f" % (100.0 * tally.good_503 / max(1, answered)), "%", cmd,
            "%d of %d (refused under the deliberate overload: connection cap, worker queue, "
            "heap); %s" % (tally.good_503, answered, how))
    run.row("soak: p99 of good requests", label, "%.1f" % tally.p99_ms(), "ms", cmd,
            "%d requests answered 200, new connection after each 503" % len(tally.latency_ms))
    peak = max(tally.heap) if tally.heap else 0
    run.row("soak: heap at start", label, "%d" % start["heap_alloc"], "bytes", cmd,
            "after one pass of every request and page (what loads on first use)")
    run.row("soak: heap peak (sampled)", label, "%d" % peak, "bytes", cmd,
            "largest of %d /stats samples during the load (in use after a collection)"
            % len(tally.heap))
    run.row("soak: heap after", label, "%d" % after["heap_alloc"], "bytes", cmd,
            "%+.1f%% of the start, once the server held no connection but the asking one"
            % (100.0 * (after["heap_alloc"] - start["heap_alloc"]) / start["heap_alloc"]))
    promised = sum(n for kind in soakload.EXPECTED for n in tally.crowd.get(kind, {}).values())
    run.row("soak: crowd connections answered as promised", label,
            "%d of %d" % (promised - len(tally.violations), promised), "connections", cmd,
            "garbage 400, oversized head 431, slowloris 408, burst 200 or 503 with no "
            "retransmission (503 always "
            "allowed); crowd: %s" % ", ".join("%s %s" % (k, v) for k, v in
                                             sorted(tally.crowd.items())))
    ok = sum(1 for k, v in pages.items() if soakload.PAGES_OK.get(k) == v)
    run.row("soak: pages answering after the load", label, "%d of %d" % (ok, len(pages)),
            "pages", cmd, "before the load: %d of %d; after: %s" % (
                sum(1 for k, v in before.items() if soakload.PAGES_OK.get(k) == v),
                len(before), ", ".join("%s %s" % kv for kv in pages.items())))
    run.row("soak: server stderr lines", label, "%d" % stderr_lines, "lines", cmd,
            "an exception that nothing caught, or a traceback, prints there: 0 expected")


def measure(run: Run) -> None:
    seconds = run.opts.soak_seconds
    for board in run.opts.soak_board or ("esp32", "esp32s3"):
        soak_board(run, board, seconds)


if __name__ == "__main__":
    harness.main(__name__)
