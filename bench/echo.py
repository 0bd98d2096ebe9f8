"""Echo round trips per second: remora's cosocket echo (example 9) beside asyncio streams.

    .venv/bin/python -m bench.echo [--echo-seconds 3] [--echo-rounds 5]

Per runtime (MicroPython with the ESP32's heap and with 2 MiB, CPython) both servers run at
once and the rounds alternate between them, so load from elsewhere on the machine hits both.
Each round measures 16-byte round trips on 1 connection and on 8 (one message in flight on
each, driven by one epoll loop, after 0.3 s of warm-up).  A row is the median of its rounds;
the ratio rows divide the medians of this run, and give the spread of the per-round ratios.
"""

import argparse
import os
import selectors
from time import monotonic, perf_counter
from typing import Dict, List, Optional, Tuple

from . import harness, servers
from .client import close_all, connect_confirmed, cpu_seconds
from .harness import Run

NAME = "echo"
MSG = b"0123456789abcdef"  # 16 bytes per round trip
CONNS = (1, 8)
TARGETS = (("micropython", "esp32"), ("micropython", "unix"), ("cpython", "unix"))
EX09 = os.path.join(harness.REPO, "examples", "ex09_cosocket_echo.py")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--echo-seconds", type=float, default=3.0,
                    help="measured seconds per echo row, over its rounds (3)")
    ap.add_argument("--echo-rounds", type=int, default=5,
                    help="rounds per echo row; the row is their median (5)")


def round_trips(port: int, nconn: int, seconds: float, pid: Optional[int] = None,
                warmup: float = 0.3) -> Tuple[float, int, float]:
    """nconn connections, one 16-byte message in flight on each: (round trips per second,
    round trips, the server's CPU seconds) over `seconds` after the warm-up."""
    socks = []
    sel = selectors.DefaultSelector()
    try:
        for _ in range(nconn):
            socks.append(connect_confirmed(port))  # one by one: small backlogs stay happy
        have = [0] * nconn
        done = 0
        for i, s in enumerate(socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            s.send(MSG)
        n = len(MSG)
        now = perf_counter()
        t0 = now + warmup
        end = t0 + seconds
        base = -1
        cpu0 = 0.0
        last_progress = monotonic()
        while now < end:
            events = sel.select(0.5)
            if not events and monotonic() - last_progress > 5.0:
                raise TimeoutError("no echo for 5 s (%d round trips so far)" % done)
            for key, _ in events:
                i = key.data
                chunk = socks[i].recv(4096)
                if not chunk:
                    raise ConnectionError("server closed connection %d" % i)
                have[i] += len(chunk)
                while have[i] >= n:
                    have[i] -= n
                    done += 1
                    socks[i].send(MSG)
                last_progress = monotonic()
            now = perf_counter()
            if base < 0 and now >= t0:  # the warm-up is over: start counting
                base, cpu0, t0 = done, cpu_seconds(pid), now
                end = t0 + seconds
        count = done - max(base, 0)
        return count / (now - t0), count, cpu_seconds(pid) - cpu0
    finally:
        sel.close()
        close_all(socks)


def measure(run: Run) -> None:
    seconds, rounds = run.opts.echo_seconds, run.opts.echo_rounds
    each = seconds / rounds
    run.note("echo rows: %d rounds of %.2f s per row (after 0.3 s of warm-up each), 16-byte "
             "messages, one in flight per connection" % (rounds, each))
    for runtime, board in TARGETS:
        where = servers.label(runtime, board)
        specs = {
            "remora": ("remora cosocket echo (ex09)",
                       servers.remora_spec(run, EX09, runtime, board)),
            "peer": ("asyncio start_server echo (asyncio_echo)",
                     servers.echo_peer_spec(run, runtime, board)),
        }
        live: Dict[str, harness.Server] = {}
        errors: Dict[str, str] = {}
        rates: Dict[Tuple[str, int], List[float]] = {}
        cpu: Dict[Tuple[str, int], List[float]] = {}
        try:
            for who, (_, spec) in specs.items():
                try:
                    live[who] = run.server(spec)
                except Exception as exc:
                    errors[who] = "%s: %s" % (type(exc).__name__, exc)
            for _round in range(rounds):
                for who, srv in live.items():
                    for nconn in CONNS:
                        if who in errors:
                            continue
                        try:
                            rate, count, secs = round_trips(srv.port, nconn, each, srv.pid)
                        except Exception as exc:
                            errors[who] = "%s: %s (%s)" % (type(exc).__name__, exc, srv.state())
                            continue
                        rates.setdefault((who, nconn), []).append(rate)
                        cpu.setdefault((who, nconn), []).append(1e6 * secs / max(count, 1))
        finally:
            for srv in live.values():
                srv.stop()
        for who, (what, _) in specs.items():
            command = live[who].command if who in live else "(did not start)"
            for nconn in CONNS:
                bench = "echo 16 B, %s, %d conn%s" % (what, nconn, "s" * (nconn > 1))
                xs = rates.get((who, nconn))
                if who in errors or not xs:
                    run.error(bench, where, command, RuntimeError(errors.get(who, "no round")))
                    continue
                run.row(bench, where, "%.0f" % harness.median(xs), "round trips/s", command,
                        "median of %d rounds: %s; server CPU per round trip %s us"
                        % (len(xs), harness.spread(xs), harness.spread(cpu[(who, nconn)], "%.1f")))
        for nconn in CONNS:
            a, b = rates.get(("remora", nconn)), rates.get(("peer", nconn))
            bench = "echo ratio remora/asyncio, %d conn%s" % (nconn, "s" * (nconn > 1))
            if not a or not b or errors:
                continue
            per_round = [x / y for x, y in zip(a, b)]
            run.row(bench, where, "%.2f" % (harness.median(a) / harness.median(b)), "x",
                    "ratio of the two medians above",
                    "per-round ratios %s" % harness.spread(per_round, "%.2f"))


if __name__ == "__main__":
    harness.main(__name__)
