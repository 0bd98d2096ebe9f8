"""Run remora programs in subprocesses and watch their output.

A program prints ``READY <port>`` once it listens (the convention every example and scenario
program follows), so a test does::

    prog = program("host_tests/programs/echo.py", "--port", "0")
    port = prog.ready()
    ...talk to 127.0.0.1:port...

Programs start exactly as ``remora run`` starts them (``remora_tools.runtimes.command``).
"""

import os
import signal
import socket
import subprocess
import threading
import time
from typing import List, Optional, Sequence, Tuple

from remora_tools import paths, runtimes

REPO = paths.repo_root()
LIB = os.path.join(REPO, "lib")
DEFAULT_BOARD = "esp32"


# Test-only board profiles: a board's limits with a few changed, written next
# to copies of boards/*.py in build/test-boards (conftest points REMORA_BOARDS
# there for the whole session).
TEST_BOARDS = {
    # The ESP32 with short HTTP timeouts, so slow-client tests take seconds.
    "esp32test": ("esp32", {"http_idle_ms": 3000, "http_head_ms": 1500, "http_body_ms": 1500}),
    # The ESP32-S3 (256 KiB heap) with short HTTP timeouts: the HTTP server
    # tests' board, chosen when the MicroPython runtime was the 64-bit port,
    # where the full test app does not start in a 110 KiB ESP32 heap.  On the
    # simulated board (32-bit, remora frozen) it starts there with 46 KB in use.
    "esp32s3test": (
        "esp32s3",
        {"http_idle_ms": 3000, "http_head_ms": 1500, "http_body_ms": 1500},
    ),
    # esp32test with a long body clock, where a test keeps a body stalled on
    # purpose and must not race the 408 under a loaded machine.
    "esp32testbody": ("esp32", {"http_idle_ms": 3000, "http_head_ms": 1500,
                                "http_body_ms": 30000}),
    # The ESP32 heap with no connection cap: a flood can exhaust the heap.
    "esp32flood": ("esp32", {"max_connections": 100000}),
    # The ESP32's limits with 144 KiB of heap, for the 64-bit unix port
    # (micropython64), where remora runs from the image, not frozen, and
    # every object takes about 1.7 times its 32-bit size: the demo starts
    # with about 130 KB in use and then runs starved, a harness for the
    # out-of-heap paths.
    "esp32starved": ("esp32", {"heap_bytes": 147456}),
}


def install_test_boards() -> str:
    from remora_tools import boards as board_profiles

    src = os.path.join(REPO, "boards")
    out = os.path.join(paths.build_dir(), "test-boards")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(src):
        if name.endswith(".py"):
            with open(os.path.join(src, name)) as f:
                _write_if_changed(os.path.join(out, name), f.read())
    os.environ["REMORA_BOARDS"] = out
    for name, (base, overrides) in TEST_BOARDS.items():
        profile = dict(board_profiles.load(base))
        profile.update(overrides)
        profile["name"] = name
        _write_if_changed(os.path.join(out, name + ".py"), "PROFILE = %r\n" % (profile,))
    return out


def boards_profile(name: str) -> dict:
    """A board's profile from boards/ (or a test board's)."""
    from remora_tools import boards as board_profiles

    if name in TEST_BOARDS:
        return test_board_profile(name)
    return dict(board_profiles.load(name))


def test_board_profile(name: str) -> dict:
    from remora_tools import boards as board_profiles

    base, overrides = TEST_BOARDS[name]
    profile = dict(board_profiles.load(base))
    profile.update(overrides)
    return profile


def _write_if_changed(path: str, text: str) -> None:
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compile_lib() -> str:
    """Compile lib/remora to .mpy (only what changed); returns the folder for MICROPYPATH."""
    return runtimes.compile_lib()


class Program:
    """A remora program in a subprocess, with its stdout and stderr collected line by line."""

    def __init__(
        self,
        runtime: str,
        path: str,
        *args: str,
        board: str = DEFAULT_BOARD,
        env: Optional[dict] = None,
        command: Optional[Tuple[List[str], dict]] = None,
    ) -> None:
        self.runtime = runtime
        self.path = path
        if command is None:
            command = runtimes.command(runtime, path, board, [str(a) for a in args])
        argv, child_env = command
        if env:
            child_env.update(env)
        self.argv = argv
        self._out: List[str] = []
        self._err: List[str] = []
        self._cond = threading.Condition()
        self._cursor = 0
        self.proc = subprocess.Popen(
            argv,
            env=child_env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # its own process group: stop() kills all of it
        )
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _pump(self, stream, sink: List[str]) -> None:
        for line in stream:
            with self._cond:
                sink.append(line.rstrip("\r\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    # -- output -------------------------------------------------------------------------

    def lines(self) -> List[str]:
        """stdout lines so far."""
        with self._cond:
            return list(self._out)

    def stderr_lines(self) -> List[str]:
        with self._cond:
            return list(self._err)

    def output(self) -> str:
        """Command, exit code and both streams, for failure messages."""
        with self._cond:
            return self.output_unlocked()

    def wait_for_line(self, prefix: str, timeout: float = 10) -> str:
        """The next stdout line starting with prefix.

        Searches from just after the line the previous call returned (the first call searches
        from the start), so repeated calls walk through repeated messages.  Fails with the
        captured output when the program exits or the timeout passes first.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(self._cursor, len(self._out)):
                    if self._out[i].startswith(prefix):
                        self._cursor = i + 1
                        return self._out[i]
                if not self._readers[0].is_alive():
                    # stdout closed: the program is gone (or closing).
                    self.proc.wait(1)
                    raise AssertionError(
                        "program exited before printing %r\n%s"
                        % (prefix, self.output_unlocked())
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "no line %r within %ss\n%s" % (prefix, timeout, self.output_unlocked())
                    )
                self._cond.wait(min(left, 0.2))

    def wait_for_stderr(self, text: str, timeout: float = 10) -> str:
        """The first stderr line containing text, waiting for it until the timeout.

        stdout and stderr are read by two threads, so a line printed to one stream
        before a line printed to the other may still arrive after it: a test that needs
        a line of each waits for each.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self._err:
                    if text in line:
                        return line
                if not self._readers[1].is_alive():
                    self.proc.wait(1)
                    raise AssertionError(
                        "program exited before printing %r to stderr\n%s"
                        % (text, self.output_unlocked())
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "no stderr line with %r within %ss\n%s"
                        % (text, timeout, self.output_unlocked())
                    )
                self._cond.wait(min(left, 0.2))

    def output_unlocked(self) -> str:
        return "argv: %s\nexit: %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.argv),
            self.proc.poll(),
            "\n".join(self._out),
            "\n".join(self._err),
        )

    def ready(self, timeout: float = 10) -> int:
        """Wait for ``READY <port>`` and return the port."""
        line = self.wait_for_line("READY", timeout)
        try:
            return int(line.split()[1])
        except (IndexError, ValueError):
            raise AssertionError("bad READY line %r\n%s" % (line, self.output()))

    # -- lifetime -----------------------------------------------------------------------

    @property
    def returncode(self) -> Optional[int]:
        return self.proc.poll()

    def wait(self, timeout: float = 10) -> int:
        """Wait for the program to exit on its own; returns the exit code."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("program still running after %ss\n%s" % (timeout, self.output()))
        for t in self._readers:
            t.join(2)
        return rc

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 5) -> Tuple[str, str]:
        """SIGTERM, then SIGKILL after timeout; returns (stdout, stderr)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
            except ProcessLookupError:
                pass
        for t in self._readers:
            t.join(2)
        with self._cond:
            return "\n".join(self._out), "\n".join(self._err)

    def __enter__(self) -> "Program":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def firmware() -> str:
    """The simulated board's firmware (32-bit, remora frozen in), rebuilt first if stale.

    Checked once per test session (``remora_tools.firmware.unix_binary``): a session that
    starts after lib/remora changed runs on a firmware that has the change frozen in.
    """
    from remora_tools import firmware as fw

    return fw.unix_binary()


def run_script(
    runtime: str, path: str, args: Sequence[str] = (), heap: str = "256k", timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run a plain script (not through the launcher) with remora importable.

    CPython: ``python FILE`` with lib/ on PYTHONPATH.  MicroPython: ``FIRMWARE -X
    heapsize=HEAP FILE`` on the simulated board's firmware, where remora is frozen in;
    micropython64: the 64-bit unix port with the compiled lib on MICROPYPATH.
    """
    env = dict(os.environ)
    if runtime == "cpython":
        import sys

        argv = [sys.executable, path]
        env["PYTHONPATH"] = os.pathsep.join(p for p in (LIB, env.get("PYTHONPATH")) if p)
    elif runtime == "micropython":
        argv = [firmware(), "-X", "heapsize=" + heap, path]
        env["MICROPYPATH"] = ".frozen"
    elif runtime == "micropython64":
        argv = [paths.find_tool("micropython"), "-X", "heapsize=" + heap, path]
        env["MICROPYPATH"] = ".frozen:" + compile_lib()
    else:
        raise ValueError(runtime)
    return subprocess.run(
        argv + list(args),
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        timeout=timeout,
    )
