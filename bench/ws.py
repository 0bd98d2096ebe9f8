"""WebSockets: echo messages per second, heap per idle WebSocket, and how many working
WebSockets fit a 100 KiB heap; remora beside the ``websockets`` server, aiohttp and
microdot.

    .venv/bin/python -m bench.ws [--ws-seconds 3] [--ws-rounds 5] [--ws-cap 300]

Rate: 32 WebSockets, one 64-byte binary message in flight on each (masked, as a client
must), echoed; round trips per second after 0.3 s of warm-up, driven by one epoll loop.
CPython: remora (``programs/ws_echo.py``, board unix), aiohttp (``peers/aiohttp_ws.py``),
the ``websockets`` server (``peers/websockets_ws.py``) and microdot
(``peers/microdot_ws.py``); MicroPython (the bench's firmware, remora and microdot frozen,
the ESP32's 110 KiB heap, the esp32 profile without its connection and WebSocket caps):
remora and microdot.  Per runtime the servers run at once and the rounds alternate; a row
is the median of its rounds, a ratio row divides two medians of this run.

Heap (MicroPython, the same firmware and profile): per idle WebSocket, the heap with 20
idle WebSockets more (each confirmed by an echo) minus the heap before, over 20, asked
in-band (a text ``HEAP``) on a WebSocket already open.  Working WebSockets in 100 KiB:
WebSockets opened one by one, each confirmed by an echo, until one fails (or the cap);
then each is sent one message: the row is how many still echo.
"""

import argparse
import base64
import os
import selectors
import socket
import struct
import subprocess
from time import monotonic, perf_counter
from typing import Dict, List, Optional, Tuple

from . import harness, servers
from .client import close_all
from .harness import Run, Server, Spec

NAME = "ws"
CONNS = 32
SIZE = 64
HEAP_100K = 100 * 1024
IDLE_K = 20
PROGRAM = os.path.join(servers.PROGRAMS, "ws_echo.py")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--ws-seconds", type=float, default=3.0,
                    help="measured seconds per rate row, over its rounds (3)")
    ap.add_argument("--ws-rounds", type=int, default=5, help="rounds per rate row (5)")
    ap.add_argument("--ws-cap", type=int, default=300,
                    help="most WebSockets the 100 KiB ramp opens (300)")


def masked(opcode: int, payload: bytes) -> bytes:
    """A client's frame (RFC 6455 §5.2), masked with a random key (§5.3)."""
    key = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
                                      bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def ws_open(port: int, timeout: float = 5.0) -> socket.socket:
    """A WebSocket to ws://127.0.0.1:port/ws (the handshake checked for 101)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "\r\n" % (port, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        data = s.recv(4096)
        if not data:
            s.close()
            raise ConnectionError("closed during the handshake")
        head += data
    if not head.startswith(b"HTTP/1.1 101"):
        s.close()
        raise ConnectionError("no 101: %r" % head[:60])
    return s


def recv_frame(s: socket.socket, timeout: float = 5.0) -> bytes:
    """The payload of the server's next (unmasked, short) frame."""
    s.settimeout(timeout)
    buf = b""
    while True:
        if len(buf) >= 2:
            n = buf[1] & 0x7F
            at = 2 if n < 126 else 4
            if n == 126 and len(buf) >= 4:
                n = struct.unpack("!H", buf[2:4])[0]
            if len(buf) >= at + n and (n < 126 or at == 4):
                return buf[at:at + n]
        data = s.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buf += data


def echo_ok(s: socket.socket, timeout: float = 5.0) -> bool:
    try:
        s.sendall(masked(2, b"?" * 8))
        return recv_frame(s, timeout) == b"?" * 8
    except OSError:
        return False


def heap_of_ws(s: socket.socket) -> Tuple[Optional[int], Optional[int]]:
    s.sendall(masked(1, b"HEAP"))
    parts = recv_frame(s, 10.0).decode().split()
    num = [None if p == "None" else int(p) for p in parts[1:3]]
    return num[0], num[1]


def round_trips(port: int, seconds: float, warmup: float = 0.3) -> float:
    """CONNS WebSockets, one SIZE-byte message in flight on each: round trips per second."""
    socks: List[socket.socket] = []
    sel = selectors.DefaultSelector()
    frame = masked(2, bytes(range(SIZE)))
    want = 2 + SIZE  # the server's frame: a 2-byte head, no mask
    try:
        for _ in range(CONNS):
            socks.append(ws_open(port))
        have = [0] * CONNS
        for i, s in enumerate(socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            s.send(frame)
        done, base = 0, -1
        now = perf_counter()
        t0, end = now + warmup, now + warmup + seconds
        last = monotonic()
        while now < end:
            events = sel.select(0.5)
            if not events and monotonic() - last > 5.0:
                raise TimeoutError("no echo for 5 s (%d round trips)" % done)
            for key, _ in events:
                i = key.data
                chunk = socks[i].recv(65536)
                if not chunk:
                    raise ConnectionError("server closed WebSocket %d" % i)
                have[i] += len(chunk)
                while have[i] >= want:
                    have[i] -= want
                    done += 1
                    socks[i].send(frame)
                last = monotonic()
            now = perf_counter()
            if base < 0 and now >= t0:
                base, t0 = done, now
                end = t0 + seconds
        return (done - max(base, 0)) / (now - t0)
    finally:
        sel.close()
        close_all(socks)


def specs(run: Run, runtime: str) -> Dict[str, Tuple[str, Spec]]:
    peers = servers.PEERS
    if runtime == "cpython":
        return {
            "remora": ("remora WebSocket echo (ws_echo)",
                       servers.remora_spec(run, PROGRAM, "cpython", "unix")),
            "aiohttp": ("aiohttp WebSocket echo (aiohttp_ws)",
                        servers.peer_spec(run, os.path.join(peers, "aiohttp_ws.py"), "cpython")),
            "websockets": ("websockets server echo (websockets_ws)",
                           servers.peer_spec(run, os.path.join(peers, "websockets_ws.py"),
                                             "cpython")),
            "microdot": ("microdot WebSocket echo (microdot_ws)",
                         servers.peer_spec(run, os.path.join(peers, "microdot_ws.py"), "cpython")),
        }
    board = uncapped()
    return {
        "remora": ("remora WebSocket echo (ws_echo)",
                   servers.remora_spec(run, PROGRAM, "micropython", board)),
        "microdot": ("microdot WebSocket echo (microdot_ws)",
                     servers.peer_spec(run, os.path.join(peers, "microdot_ws.py"), "micropython",
                                       servers.heap_of("esp32"))),
    }


def uncapped() -> str:
    return servers.bench_board("esp32", max_connections=100000, ws_max=100000)


def rates(run: Run, runtime: str) -> None:
    seconds, rounds = run.opts.ws_seconds, run.opts.ws_rounds
    where = ("cpython" if runtime == "cpython" else
             "micropython (esp32 heap, profile without its connection and WebSocket caps)")
    live: Dict[str, Server] = {}
    errors: Dict[str, str] = {}
    got: Dict[str, List[float]] = {}
    table = specs(run, runtime)
    try:
        for who, (_, spec) in table.items():
            try:
                live[who] = run.server(spec)
            except Exception as exc:
                errors[who] = "%s: %s" % (type(exc).__name__, exc)
        for _round in range(rounds):
            for who, srv in live.items():
                if who in errors:
                    continue
                try:
                    got.setdefault(who, []).append(round_trips(srv.port, seconds / rounds))
                except Exception as exc:
                    errors[who] = "%s: %s (%s)" % (type(exc).__name__, exc, srv.state())
    finally:
        for srv in live.values():
            srv.stop()
    for who, (what, _) in table.items():
        bench = "WebSocket echo 64 B, 32 conns, %s" % what
        command = live[who].command if who in live else "(did not start)"
        xs = got.get(who)
        if who in errors or not xs:
            run.error(bench, where, command, RuntimeError(errors.get(who, "no round")))
            continue
        run.row(bench, where, "%.0f" % harness.median(xs), "messages/s", command,
                "median of %d rounds: %s" % (len(xs), harness.spread(xs)))
    for other in ("aiohttp", "microdot", "websockets"):
        a, b = got.get("remora"), got.get(other)
        if not a or not b or "remora" in errors or other in errors:
            continue
        run.row("WebSocket echo ratio remora/%s" % other, where,
                "%.2f" % (harness.median(a) / harness.median(b)), "x",
                "ratio of the two medians above", "per-round ratios %s"
                % harness.spread([x / y for x, y in zip(a, b)], "%.2f"))


def idle_heap(run: Run, who: str, what: str, spec: Spec) -> None:
    bench = "heap per idle WebSocket, %s" % what
    where = "micropython (esp32 heap, no caps)"
    try:
        srv = run.server(spec)
    except Exception as exc:
        run.error(bench, where, "(did not start)", exc)
        return
    with srv:
        ctl = None
        idle: List[socket.socket] = []
        try:
            warm = ws_open(srv.port)
            heap_of_ws(warm)
            warm.close()
            ctl = ws_open(srv.port)
            heap_of_ws(ctl)
            a0, _ = heap_of_ws(ctl)
            for _ in range(IDLE_K):
                s = ws_open(srv.port)
                if not echo_ok(s):
                    raise RuntimeError("an idle WebSocket did not echo")
                idle.append(s)
            a1, free = heap_of_ws(ctl)
        except Exception as exc:
            run.error(bench, where, srv.command, exc)
            return
        finally:
            close_all(idle)
            if ctl is not None:
                ctl.close()
    if a0 is None or a1 is None:
        run.error(bench, where, srv.command, RuntimeError("no GC heap figures"))
        return
    run.row(bench, where, "%.0f" % ((a1 - a0) / IDLE_K), "bytes/WebSocket", srv.command,
            "gc.mem_alloc() after gc.collect(): %d B with one WebSocket open, %d B with %d "
            "idle more (free then %s B)" % (a0, a1, IDLE_K, free))


def working(run: Run, what: str, spec: Spec) -> None:
    bench = "working WebSockets in a 100 KiB heap, %s" % what
    where = "micropython (heap 100 KiB, no caps)"
    cap = run.opts.ws_cap
    try:
        srv = run.server(spec)
    except Exception as exc:
        run.error(bench, where, "(did not start)", exc)
        return
    with srv:
        conns: List[socket.socket] = []
        why = "the cap of %d" % cap
        try:
            while len(conns) < cap:
                try:
                    s = ws_open(srv.port, 3.0)
                except Exception as exc:
                    why = "WebSocket %d failed (%s)" % (len(conns) + 1, exc)
                    break
                if not echo_ok(s, 3.0):
                    s.close()
                    why = "WebSocket %d did not echo" % (len(conns) + 1)
                    break
                conns.append(s)
            ok = sum(1 for s in conns if echo_ok(s, 3.0))
        finally:
            close_all(conns)
        alive = srv.alive()
    run.row(bench, where, str(ok), "WebSockets", srv.command,
            "ramp: %d opened and echoing, then %s; afterwards %d of %d still echo; server %s"
            % (len(conns), why, ok, len(conns), "running" if alive else "exited"))


COST_PROGRAM = os.path.join(servers.PROGRAMS, "ws_cost.py")
COST_STAGES = (
    ("unmask", "the payload unmasked"),
    ("frame", "the answer's frame made"),
    ("core", "the core: frame parsed, Data event, answer framed"),
    ("driver", "the WebSocket around it (receive's step and write, in memory)"),
)


def costs(run: Run) -> None:
    """Where the server's time of one 64-byte echo goes, in process (programs/ws_cost.py):
    the best per-iteration time of 20 batches, the best of 3 runs."""
    for runtime, board in (("micropython", "esp32"), ("cpython", "unix")):
        where = servers.label(runtime, board)
        spec = servers.remora_spec(run, COST_PROGRAM, runtime, board)
        best = {}  # type: Dict[str, Tuple[float, int]]
        command = ""
        try:
            for _ in range(3):
                argv, env = spec.build(0)
                argv = argv + ["2000" if runtime == "micropython" else "20000"]
                if run.pinned:
                    argv = ["taskset", "-c", str(harness.SERVER_CPU)] + argv
                out = subprocess.run(argv, env=env, cwd=spec.cwd, capture_output=True,
                                     text=True, timeout=300)
                command = harness.show_command(argv, env)
                for line in out.stdout.splitlines():
                    words = line.split()
                    if len(words) == 4 and words[0] == "COST":
                        us, nbytes = float(words[2]), int(words[3])
                        if words[1] not in best or us < best[words[1]][0]:
                            best[words[1]] = (us, nbytes)
                if "driver" not in best:
                    raise RuntimeError("exit %d: %s" % (out.returncode, out.stderr[-300:]))
        except Exception as exc:
            run.error("in-process cost of a 64-byte WebSocket echo", where, "(did not run)", exc)
            continue
        for stage, what in COST_STAGES:
            us, nbytes = best[stage]
            run.row("in-process cost of a 64-byte WebSocket echo: %s" % what, where,
                    "%.1f" % us, "us", command,
                    "best of 20 batches in each of 3 runs"
                    + ("; about %d bytes allocated" % nbytes if nbytes >= 0 else ""))


def measure(run: Run) -> None:
    run.note("ws rows: %d rounds of %.2f s per rate row (after 0.3 s of warm-up), %d "
             "WebSockets with one %d-byte binary message in flight each"
             % (run.opts.ws_rounds, run.opts.ws_seconds / run.opts.ws_rounds, CONNS, SIZE))
    costs(run)
    rates(run, "cpython")
    rates(run, "micropython")
    board = uncapped()
    peer = os.path.join(servers.PEERS, "microdot_ws.py")
    for who, what, spec in (
        ("remora", "remora (ws_echo)", servers.remora_spec(run, PROGRAM, "micropython", board)),
        ("microdot", "microdot (microdot_ws)",
         servers.peer_spec(run, peer, "micropython", servers.heap_of("esp32"))),
    ):
        idle_heap(run, who, what, spec)
    for what, spec in (
        ("remora (ws_echo)", servers.remora_spec(run, PROGRAM, "micropython", board, HEAP_100K)),
        ("microdot (microdot_ws)", servers.peer_spec(run, peer, "micropython", HEAP_100K)),
    ):
        working(run, what, spec)


if __name__ == "__main__":
    harness.main(__name__)
