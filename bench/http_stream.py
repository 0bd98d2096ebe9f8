"""Streamed request bodies and the heap a request takes (issue 16).

    .venv/bin/python -m bench.http_stream [--stream-mib 1] [--stream-rounds 3]

Server: ``programs/http_stream.py`` (a streamed ``POST /echo``, the demo's, and ``/hello``,
``/heap``, ``/alloc``), on MicroPython with board esp32 (110 KiB heap) and on CPython (board
unix), with and without the speedups (the mypyc-compiled core and uvloop,
remora_tools.speedups).

- Streamed echo throughput: one connection POSTs N MiB with Content-Length (a thread sends
  it in 16 KiB pieces while this one reads the echo); MB/s of the body from the head's
  send to the echo's last byte, echo checked byte for byte; median of the rounds.
- Its peak heap (MicroPython): one more round while another connection asks ``GET /heap``
  (the heap in use after a collection) over and over; the largest answer minus the one
  before the echo.
- Heap allocated per keep-alive request (MicroPython): on one connection ``GET /alloc?start``
  (collects, turns the collector off), K ``GET /hello``, ``GET /alloc?stop`` (bytes
  allocated since); the same with K = 0; (difference) / K, median of the rounds.
"""

import argparse
import os
import socket
import threading
import time
from typing import List, Optional, Tuple

from . import harness, servers
from .client import connect
from .harness import Run, Spec

NAME = "http_stream"
PROGRAM = os.path.join(servers.PROGRAMS, "http_stream.py")
ALLOC_K = 20


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--stream-mib", type=int, default=1, help="MiB per echo (1)")
    ap.add_argument("--stream-rounds", type=int, default=3, help="rounds per figure (3)")


def speedups_spec(run: Run, program: str) -> Spec:
    """A remora program on CPython with the speedups first on its path."""
    from remora_tools import speedups

    base = servers.remora_spec(run, program, "cpython", "unix")

    def build(port: int) -> Tuple[List[str], dict]:
        argv, env = base.build(port)
        env["PYTHONPATH"] = os.pathsep.join(speedups.build() + [env.get("PYTHONPATH", "")])
        return argv, env

    return Spec(base.label + " + speedups", build, base.cwd)


def read_head(s: socket.socket, buf: bytes, deadline: float) -> Tuple[bytes, bytes]:
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        more = s.recv(65536)
        if not more:
            raise ConnectionError("closed before the head")
        buf += more
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def get(s: socket.socket, path: str, timeout: float = 10.0) -> bytes:
    """One keep-alive GET on s: the body (Content-Length framed)."""
    s.sendall(b"GET %s HTTP/1.1\r\nHost: bench\r\n\r\n" % path.encode())
    deadline = time.monotonic() + timeout
    head, rest = read_head(s, b"", deadline)
    size = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            size = int(value)
    while len(rest) < size:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        more = s.recv(65536)
        if not more:
            raise ConnectionError("closed mid-body")
        rest += more
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("GET %s: %r" % (path, head[:60]))
    return rest[:size]


def echo_once(port: int, body: bytes, timeout: float = 120.0) -> float:
    """Seconds to POST body to /echo and read it back whole (checked)."""
    s = connect(port, timeout)
    failed: List[BaseException] = []

    def send() -> None:
        try:
            for i in range(0, len(body), 16384):
                s.sendall(body[i : i + 16384])
        except OSError as exc:
            failed.append(exc)

    try:
        started = time.monotonic()
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream"
                  b"\r\nContent-Length: %d\r\n\r\n" % len(body))
        sender = threading.Thread(target=send)
        sender.start()
        deadline = started + timeout
        head, got = read_head(s, b"", deadline)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError("POST /echo: %r" % head[:60])
        parts = [got]
        size = len(got)
        while size < len(body):
            s.settimeout(max(0.1, deadline - time.monotonic()))
            more = s.recv(262144)
            if not more:
                raise ConnectionError("closed after %d of %d bytes" % (size, len(body)))
            parts.append(more)
            size += len(more)
        elapsed = time.monotonic() - started
        sender.join(timeout)
        if failed:
            raise failed[0]
        if b"".join(parts) != body:
            raise RuntimeError("the echo differs from the body")
        return elapsed
    finally:
        s.close()


def peak_heap(port: int, body: bytes) -> Tuple[int, int, int]:
    """(heap at rest, peak while echoing, samples): /heap asked over and over meanwhile."""
    q = connect(port)
    try:
        rest = int(get(q, "/heap").split()[0])
        done = threading.Event()
        failed: List[BaseException] = []

        def run() -> None:
            try:
                echo_once(port, body)
            except BaseException as exc:  # reported below
                failed.append(exc)
            done.set()

        t = threading.Thread(target=run)
        t.start()
        peak, samples = rest, 0
        while not done.is_set():
            peak = max(peak, int(get(q, "/heap").split()[0]))
            samples += 1
        t.join(60)
        if failed:
            raise failed[0]
        return rest, peak, samples
    finally:
        q.close()


def alloc_per_request(port: int) -> float:
    """Heap bytes allocated per keep-alive GET /hello (see the module doc)."""
    s = connect(port)
    try:
        def window(k: int) -> int:
            get(s, "/alloc?start")
            for _ in range(k):
                get(s, "/hello")
            return int(get(s, "/alloc?stop"))

        window(1)  # warm: first-use imports and memos
        return (window(ALLOC_K) - window(0)) / ALLOC_K
    finally:
        s.close()


def measure(run: Run) -> None:
    mib, rounds = run.opts.stream_mib, run.opts.stream_rounds
    body = os.urandom(mib << 20)
    targets = [
        (servers.label("micropython", "esp32"),
         servers.remora_spec(run, PROGRAM, "micropython", "esp32"), True),
        (servers.label("cpython", "unix"), servers.remora_spec(run, PROGRAM, "cpython", "unix"),
         False),
        (servers.label("cpython", "unix") + ", compiled core + uvloop",
         speedups_spec(run, PROGRAM), False),
    ]
    for where, spec, board in targets:
        bench = "streamed POST /echo, %d MiB, Content-Length" % mib
        try:
            srv = run.server(spec)
        except Exception as exc:
            run.error(bench, where, "(did not start)", exc)
            continue
        with srv:
            try:
                secs = [echo_once(srv.port, body) for _ in range(rounds)]
                rates = [len(body) / 1e6 / t for t in secs]
                run.row(bench, where, "%.1f" % harness.median(rates), "MB/s", srv.command,
                        "median of %d echoes (%s), each checked byte for byte; the body "
                        "sent in 16 KiB pieces while the echo is read"
                        % (rounds, harness.spread(rates, "%.1f")))
            except Exception as exc:
                run.error(bench, where, srv.command, exc)
            if not board:
                continue
            try:
                rest, peak, samples = peak_heap(srv.port, body)
                run.row("streamed POST /echo, %d MiB: peak heap in use above rest" % mib, where,
                        "%d" % (peak - rest), "bytes", srv.command,
                        "GET /heap (after a collection) %d times during one echo: at rest %d B, "
                        "largest %d B, in a %d B heap" % (samples, rest, peak,
                                                         servers.heap_of("esp32")))
            except Exception as exc:
                run.error("streamed POST /echo: peak heap", where, srv.command, exc)
            try:
                per = [alloc_per_request(srv.port) for _ in range(rounds)]
                run.row("HTTP GET /hello, keep-alive: heap allocated per request", where,
                        "%.0f" % harness.median(per), "bytes", srv.command,
                        "GET /alloc?start, %d GET /hello, GET /alloc?stop on one connection, "
                        "minus the same with none, / %d (collector off meanwhile); rounds: %s"
                        % (ALLOC_K, ALLOC_K, harness.spread(per)))
            except Exception as exc:
                run.error("heap allocated per keep-alive request", where, srv.command, exc)


if __name__ == "__main__":
    harness.main(__name__)
