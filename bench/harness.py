"""The bench's shared harness: a run and its rows, server children, CPU pinning, the CLI.

Every part of the bench (``bench/echo.py``, ``bench/heap.py``, ...) is a module with

    NAME = "echo"                      # its name in `python -m bench --only NAME`
    def options(ap): ...               # optional: its own command-line options
    def measure(run): ...              # starts servers, measures, adds rows to run

and ends with ``if __name__ == "__main__": harness.main(__name__)``, so that
``.venv/bin/python -m bench.echo`` runs it alone and ``python -m bench`` runs them all
(bench/__main__.py).  A part adds only rows it measured in this run: a figure it could not
get is an ``ERROR`` row saying why, never a figure from elsewhere.

Servers are child processes in their own process group, stopped (SIGTERM, then SIGKILL)
when their rows are done; with two CPUs or more they are pinned to CPU 0 and this process,
the client, to CPU 1.  Every wait has a deadline.
"""

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# The bench's own build folder (.mpy files, flash images, its firmware): other work in the
# repository may be building into build/ at the same moment.  Ignored by git (`build/`).
os.environ.setdefault("REMORA_BUILD", os.path.join(HERE, "build"))
sys.path.insert(0, os.path.join(REPO, "tools"))

HOST = "127.0.0.1"
SERVER_CPU = 0
CLIENT_CPU = 1

Build = Callable[[int], Tuple[List[str], Dict[str, str]]]


class Row:
    """One line of results.md: what was measured, where, the figure, and how."""

    __slots__ = ("bench", "runtime", "figure", "unit", "command", "notes")

    def __init__(self, bench: str, runtime: str, figure: str, unit: str, command: str,
                 notes: str = "") -> None:
        self.bench = bench
        self.runtime = runtime
        self.figure = figure
        self.unit = unit
        self.command = command
        self.notes = notes


class Run:
    """One bench run: its options, the rows its parts measured, notes for the table's head."""

    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.rows: List[Row] = []
        self.notes: List[str] = []
        self.parts: List[str] = []
        self.started = time.time()
        self.pinned = pin_client()
        self.firmware = ""  # the MicroPython binary of the MicroPython rows (servers.py)

    def row(self, bench: str, runtime: str, figure: str, unit: str, command: str,
            notes: str = "") -> Row:
        r = Row(bench, runtime, figure, unit, command, notes)
        self.rows.append(r)
        print("  -> %s | %s | %s %s | %s" % (bench, runtime, figure, unit, short(notes, 300)),
              flush=True)
        return r

    def error(self, bench: str, runtime: str, command: str, exc: BaseException) -> Row:
        return self.row(bench, runtime, "ERROR", "", command,
                        short("%s: %s" % (type(exc).__name__, exc), 600))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def server(self, spec: "Spec", ready_timeout: float = 30.0) -> "Server":
        return Server(spec, self.pinned, ready_timeout)


def pin_client() -> bool:
    """This process (the client) on CPU 1 when CPUs 0 and 1 are ours; servers go to CPU 0."""
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if {SERVER_CPU, CLIENT_CPU} <= cpus:
        os.sched_setaffinity(0, {CLIENT_CPU})  # this thread and the threads it starts
        return True
    return False


def short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def median(xs: Sequence[float]) -> float:
    ys = sorted(xs)
    mid = len(ys) // 2
    return ys[mid] if len(ys) % 2 else (ys[mid - 1] + ys[mid]) / 2


def spread(xs: Sequence[float], fmt: str = "%.0f") -> str:
    """``min..max (±p% of the median)``: how far a row's runs are apart."""
    m = median(xs)
    half = (max(xs) - min(xs)) / 2 / m * 100 if m else 0.0
    return "%s..%s (±%.0f%%)" % (fmt % min(xs), fmt % max(xs), half)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def rel(text: str) -> str:
    return text.replace(REPO + os.sep, "")


def show_command(argv: Sequence[str], env: Dict[str, str]) -> str:
    """The command line with the variables it sets beyond this process's environment; paths
    relative to the repository root (the children run there)."""
    keys = ("MICROPYPATH", "PYTHONPATH", "PYTHONUNBUFFERED", "REMORA_BOARD", "REMORA_BOARDS",
            "REMORA_APP_DIR", "REMORA_ROMFS_IMAGE")
    parts = ["%s=%s" % (k, env[k]) for k in keys if k in env and os.environ.get(k) != env[k]]
    parts.extend(argv)
    return rel(" ".join(parts))


class Spec:
    """How to start one server: build(port) gives its (argv, env)."""

    def __init__(self, label: str, build: Build, cwd: str = REPO) -> None:
        self.label = label
        self.build = build
        self.cwd = cwd


class Server:
    """One server child on a free port: its own process group, its output kept, stopped by
    stop() (or the with block).  Ready once it prints a line starting with READY."""

    def __init__(self, spec: Spec, pinned: bool = False, ready_timeout: float = 30.0) -> None:
        self.spec = spec
        self.pinned = pinned
        self.proc: "Optional[subprocess.Popen[str]]" = None
        self.out: Deque[str] = collections.deque(maxlen=200)
        self.err: Deque[str] = collections.deque(maxlen=200)
        self.err_count = 0
        self.cond = threading.Condition()
        self.threads: List[threading.Thread] = []
        self.port = 0
        self.command = ""
        last: Optional[BaseException] = None
        for _attempt in range(3):  # a port taken between free_port() and bind(): another one
            self.port = free_port()
            argv, env = spec.build(self.port)
            self.command = show_command(argv, env)
            self.start(argv, env)
            try:
                self.wait_ready(ready_timeout)
                return
            except RuntimeError as exc:
                last = exc
                exited = not self.alive()
                self.stop()
                if not exited or "EADDRINUSE" not in str(exc) and "Errno 98" not in str(exc):
                    break  # only a lost race for the port is worth another try
        raise RuntimeError("server did not start: %s" % last)

    def start(self, argv: List[str], env: Dict[str, str]) -> None:
        self.out.clear()
        self.err.clear()
        self.proc = subprocess.Popen(
            argv, env=env, cwd=self.spec.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace", bufsize=1,
            start_new_session=True,
        )
        if self.pinned:
            try:
                os.sched_setaffinity(self.proc.pid, {SERVER_CPU})
            except OSError:
                pass
        self.threads = [
            threading.Thread(target=self.pump, args=(self.proc.stdout, self.out, False),
                             daemon=True),
            threading.Thread(target=self.pump, args=(self.proc.stderr, self.err, True),
                             daemon=True),
        ]
        for t in self.threads:
            t.start()

    def pump(self, stream: Any, sink: Deque[str], is_err: bool) -> None:
        try:
            for line in stream:
                with self.cond:
                    sink.append(line.rstrip("\r\n"))
                    self.err_count += is_err
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.cond.notify_all()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if any(line.startswith("READY") for line in self.out):
                    return
                if not self.alive():
                    self.cond.wait(0.2)  # let the pumps catch the last lines
                    raise RuntimeError("exited (%s) before READY: %s"
                                       % (self.returncode(), self.tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("no READY within %.0f s: %s" % (timeout, self.tail()))
                self.cond.wait(min(left, 0.2))

    @property
    def pid(self) -> Optional[int]:
        return None if self.proc is None else self.proc.pid

    def returncode(self) -> Optional[int]:
        return None if self.proc is None else self.proc.poll()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 6) -> str:
        lines = list(self.err)[-n:] or list(self.out)[-n:]
        return " / ".join(lines) if lines else "(no output)"

    def state(self) -> str:
        """Running or how it exited, with its stderr count and out-of-memory lines."""
        if self.alive():
            text = "server running"
        else:
            text = "server EXITED (%s): %s" % (self.returncode(), self.tail(3))
        if self.err_count:
            text += " [%d stderr lines, last: %s]" % (self.err_count, list(self.err)[-1])
        oom = sum(1 for line in self.out if "out of memory" in line)
        if oom:
            text += " [%d 'out of memory' lines]" % oom
        return text

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        for t in self.threads:
            t.join(2)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def parser(parts: Sequence[Any], prog: str) -> argparse.ArgumentParser:
    """The command line of a run: common options plus each part's own."""
    ap = argparse.ArgumentParser(prog=prog, description="remora benchmarks (bench/README.md)")
    ap.add_argument("--out", help="write the table to this file too (make bench: "
                    "bench/results.md)")
    for part in parts:
        if hasattr(part, "options"):
            part.options(ap)
    return ap


def measure(run: Run, part: Any) -> None:
    """One part; a bug in it costs its own rows, not the other parts'."""
    run.parts.append(part.NAME)
    print("[%s]" % part.NAME, flush=True)
    try:
        part.measure(run)
    except Exception as exc:
        traceback.print_exc()
        run.error(part.NAME, "-", "", exc)


def finish(run: Run) -> None:
    from . import report  # late: report imports this module

    text = report.render(run)
    print()
    print(text)
    if run.opts.out:
        with open(run.opts.out, "w") as f:
            f.write(text)
        print("written to %s" % rel(os.path.abspath(run.opts.out)))


def main(module_name: str, argv: Optional[List[str]] = None) -> int:
    """Run one part alone (``python -m bench.NAME``): its table on stdout (and --out)."""
    part = sys.modules[module_name]
    name = "bench." + getattr(part, "NAME", "?")
    run = Run(parser([part], "python -m " + name).parse_args(argv))
    measure(run, part)
    finish(run)
    return 0
