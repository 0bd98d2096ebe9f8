"""HTTP requests per second (wrk): remora's App beside microdot, aiohttp and the floors.

    .venv/bin/python -m bench.http_rate [--http-seconds 2] [--http-rounds 3]

``wrk -t1 -c8 -dNs --latency http://127.0.0.1:PORT/hello`` (wrk pinned to CPU 1), keep-alive
and with ``-H "Connection: close"``; remora's rows get a 99th percentile latency row too.
remora on CPython runs twice: as it is, and with the optional speedups (the HTTP core
compiled with mypyc, uvloop: remora_tools.speedups).  8 connections fit every board's cap (the ESP32's is 10), so no
server answers part of the load with 503.  Every server is checked once with curl first
(200, body exactly ``Hello, world!``).  All servers run side by side and are taken in turn,
round by round, so load from elsewhere hits all of them alike; a row is the median of its
rounds, a ratio row divides two medians of this run and gives the spread of the per-round
ratios.  The floors answer the same fixed bytes with no HTTP work: remora's cosockets
(programs/http_fixed.py), a bare asyncio Protocol (peers/bare_http.py, CPython) and plain
asyncio streams (peers/bare_streams.py, MicroPython).
"""

import argparse
import os
import subprocess
from typing import Dict, List, Optional

from . import harness, servers
from .client import cpu_seconds
from .harness import CLIENT_CPU, HOST, Run, Server, Spec

NAME = "http_rate"
HTTP_HELLO = os.path.join(servers.PROGRAMS, "http_hello.py")
HTTP_FIXED = os.path.join(servers.PROGRAMS, "http_fixed.py")
WRK_CONNS = 8
MODES = ((False, "keep-alive"), (True, "Connection: close"))


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--http-seconds", type=int, default=2, help="seconds per wrk run (2)")
    ap.add_argument("--http-rounds", type=int, default=3,
                    help="wrk runs per server and mode; the row is their median (3)")


def curl_check(port: int) -> str:
    """GET /hello with curl; raises unless it is 200 with the body ``Hello, world!``."""
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "5",
                          "http://%s:%d/hello" % (HOST, port)], capture_output=True, timeout=15)
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    first = head.split(b"\r\n", 1)[0].decode(errors="replace")
    if out.returncode != 0 or " 200 " not in first + " " or body != b"Hello, world!":
        raise RuntimeError("curl /hello: exit %d, %r, body %r"
                           % (out.returncode, first, body[:80]))
    return first.strip()


def wrk(port: int, seconds: int, close: bool, pinned: bool) -> Dict[str, object]:
    """One wrk run: rps, requests, non2xx, errors (its Socket errors line), latency, p99
    (ms, from ``--latency``'s distribution)."""
    argv = ["taskset", "-c", str(CLIENT_CPU)] if pinned else []
    argv += ["wrk", "-t1", "-c%d" % WRK_CONNS, "-d%ds" % seconds, "--latency"]
    argv += ["-H", "Connection: close"] if close else []
    argv.append("http://%s:%d/hello" % (HOST, port))
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    res: Dict[str, object] = {"non2xx": 0, "errors": "", "requests": 0}
    for line in out.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            res["rps"] = float(words[1])
        elif "requests in" in line:
            res["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            res["non2xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            res["errors"] = line.split(":", 1)[1].strip()
        elif line.strip().startswith("Latency") and "latency" not in res:
            res["latency"] = "%s avg, %s max" % (words[1], words[3])
        elif line.strip().startswith("99%") and len(words) == 2:
            res["p99_ms"] = _ms(words[1])
    if "rps" not in res:
        raise RuntimeError("wrk exited %d without a rate: %s %s" % (
            out.returncode, out.stdout.strip()[-300:], out.stderr.strip()[-300:]))
    return res


def _ms(text: str) -> float:
    """wrk's duration ("812.00us", "9.58ms", "1.20s") in milliseconds."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


class Target:
    """One server of the rate rows and what its rounds measured."""

    def __init__(self, key: str, name: str, where: str, spec: Spec) -> None:
        self.key, self.name, self.where, self.spec = key, name, where, spec
        self.srv: Optional[Server] = None
        self.command = "(did not start)"
        self.check = ""
        self.error = ""
        self.runs: Dict[bool, List[Dict[str, object]]] = {False: [], True: []}

    def start(self, run: Run) -> None:
        try:
            self.srv = run.server(self.spec)
            self.command = self.srv.command
            self.check = curl_check(self.srv.port)
        except Exception as exc:
            self.error = "%s: %s" % (type(exc).__name__, exc)
            if self.srv is not None:
                self.error += "; " + self.srv.state()
                self.srv.stop()
                self.srv = None

    def round(self, run: Run, seconds: int, close: bool) -> None:
        if self.srv is None or self.error:
            return
        try:
            cpu0 = cpu_seconds(self.srv.pid)
            res = wrk(self.srv.port, seconds, close, run.pinned)
            res["cpu_us"] = 1e6 * (cpu_seconds(self.srv.pid) - cpu0) / max(
                int(str(res["requests"])), 1)
            self.runs[close].append(res)
        except Exception as exc:
            self.error = "%s: %s" % (type(exc).__name__, exc)
        if not self.srv.alive():
            self.error = "died under load: %s %s" % (self.srv.state(), self.error)

    def rates(self, close: bool) -> List[float]:
        return [float(r["rps"]) for r in self.runs[close]]  # type: ignore[arg-type]


def targets(run: Run) -> List[Target]:
    cpy = servers.label("cpython", "unix")
    md = servers.microdot_name()

    def mpy(board: str) -> str:
        return servers.label("micropython", board)

    def remora(board: str) -> Spec:
        return servers.remora_spec(run, HTTP_HELLO, "micropython", board)

    def microdot(board: str) -> Spec:
        return servers.microdot_spec(run, "micropython", servers.heap_of(board))

    def peer(name: str, runtime: str = "cpython", heap: int = 0) -> Spec:
        return servers.peer_spec(run, os.path.join(servers.PEERS, name), runtime, heap)

    from .http_stream import speedups_spec

    return [
        Target("remora-cpython", "remora App (http_hello)", cpy,
               servers.remora_spec(run, HTTP_HELLO, "cpython", "unix")),
        Target("remora-speedups", "remora App (http_hello), compiled core + uvloop", cpy,
               speedups_spec(run, HTTP_HELLO)),
        Target("remora-esp32", "remora App (http_hello)", mpy("esp32"), remora("esp32")),
        Target("microdot-esp32", md + " (microdot_hello)", mpy("esp32"), microdot("esp32")),
        Target("remora-esp32s3", "remora App (http_hello)", mpy("esp32s3"), remora("esp32s3")),
        Target("microdot-esp32s3", md + " (microdot_hello)", mpy("esp32s3"),
               microdot("esp32s3")),
        Target("microdot-cpython", md + " (microdot_hello)", cpy,
               servers.microdot_spec(run, "cpython")),
        Target("aiohttp", "aiohttp (aiohttp_hello)", cpy, peer("aiohttp_hello.py")),
        Target("bare-cpython", "bare asyncio Protocol, fixed answer (bare_http)", cpy,
               peer("bare_http.py")),
        Target("fixed-cpython", "remora cosockets, fixed answer (http_fixed)", cpy,
               servers.remora_spec(run, HTTP_FIXED, "cpython", "unix")),
        Target("fixed-esp32", "remora cosockets, fixed answer (http_fixed)", mpy("esp32"),
               servers.remora_spec(run, HTTP_FIXED, "micropython", "esp32")),
        Target("streams-esp32", "asyncio streams, fixed answer (bare_streams)", mpy("esp32"),
               peer("bare_streams.py", "micropython", servers.heap_of("esp32"))),
    ]


# (numerator, denominator, what the ratio says)
RATIOS = (
    ("remora-cpython", "aiohttp", "remora/aiohttp, CPython"),
    ("remora-speedups", "aiohttp", "remora with compiled core + uvloop/aiohttp, CPython"),
    ("remora-esp32", "microdot-esp32", "remora/microdot, MicroPython esp32 heap"),
    ("remora-esp32s3", "microdot-esp32s3", "remora/microdot, MicroPython esp32s3 heap"),
    ("aiohttp", "microdot-cpython", "aiohttp/microdot, CPython"),
    ("bare-cpython", "microdot-cpython", "bare Protocol/microdot, CPython"),
    ("fixed-cpython", "aiohttp", "remora fixed answer/aiohttp, CPython"),
    ("remora-cpython", "fixed-cpython", "remora App/remora fixed answer, CPython"),
    ("streams-esp32", "microdot-esp32", "asyncio streams fixed answer/microdot, MicroPython "
     "esp32 heap"),
    ("fixed-esp32", "microdot-esp32", "remora fixed answer/microdot, MicroPython esp32 heap"),
    ("remora-esp32", "fixed-esp32", "remora App/remora fixed answer, MicroPython esp32 heap"),
)


def rows(run: Run, ts: List[Target]) -> None:
    seconds = run.opts.http_seconds
    by_key = {t.key: t for t in ts}
    for close, mode in MODES:
        for t in ts:
            bench = "HTTP GET /hello, %s, %s" % (mode, t.name)
            xs = t.rates(close)
            if not xs or t.error:
                run.error(bench, t.where, t.command, RuntimeError(t.error or "no run"))
                continue
            runs = t.runs[close]
            run.row(bench, t.where, "%.0f" % harness.median(xs), "requests/s", t.command,
                    "median of %d wrk runs of %d s: %s; server CPU per request %s us; curl: %s; "
                    "non-2xx %d; socket errors: %s; latency %s" % (
                        len(xs), seconds, harness.spread(xs),
                        harness.spread([float(str(r["cpu_us"])) for r in runs], "%.1f"), t.check,
                        sum(int(r["non2xx"]) for r in runs),  # type: ignore[call-overload]
                        " / ".join(str(r["errors"]) for r in runs if r["errors"]) or "none",
                        "; ".join(str(r.get("latency", "?")) for r in runs)))
        for t in ts:
            p99 = [float(str(r["p99_ms"])) for r in t.runs[close] if "p99_ms" in r]
            if t.key.startswith("remora") and p99 and not t.error:
                run.row("HTTP GET /hello, %s, %d connections: 99th percentile latency, %s"
                        % (mode, WRK_CONNS, t.name), t.where, "%.2f" % harness.median(p99), "ms",
                        t.command, "median of the %d wrk runs' 99%% (wrk --latency): %s"
                        % (len(p99), harness.spread(p99, "%.2f")))
        for a, b, what in RATIOS:
            x, y = by_key[a], by_key[b]
            xs, ys = x.rates(close), y.rates(close)
            if x.error or y.error or not xs or not ys:
                continue  # a row it needs failed: no ratio
            per_round = [p / q for p, q in zip(xs, ys)]
            run.row("HTTP ratio %s, %s" % (what, mode), "-",
                    "%.2f" % (harness.median(xs) / harness.median(ys)), "x",
                    "ratio of the medians of %s and %s above" % (a, b),
                    "per-round ratios %s" % harness.spread(per_round, "%.2f"))


def measure(run: Run) -> None:
    seconds, rounds = run.opts.http_seconds, run.opts.http_rounds
    run.note("HTTP rate rows: `%swrk -t1 -c%d -d%ds --latency http://127.0.0.1:PORT/hello` (plus "
             "`-H 'Connection: close'`), %d rounds, the servers taken in turn"
             % ("taskset -c %d " % CLIENT_CPU if run.pinned else "", WRK_CONNS, seconds, rounds))
    ts = targets(run)
    try:
        for t in ts:
            print("  starting %s on %s" % (t.name, t.where), flush=True)
            t.start(run)
        for close, mode in MODES:
            for _round in range(rounds):
                for t in ts:
                    t.round(run, seconds, close)
            print("  %s rounds done" % mode, flush=True)
    finally:
        for t in ts:
            if t.srv is not None:
                t.srv.stop()
    rows(run, ts)


if __name__ == "__main__":
    harness.main(__name__)
