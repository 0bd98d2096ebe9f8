"""Helpers for the tests that drive the simulated board (``remora sim``) with real mpremote."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import List, Optional

from harness import REPO, Program

VENV_BIN = os.path.dirname(sys.executable)
MPREMOTE = os.path.join(VENV_BIN, "mpremote")


def start_sim(flash: str, board: str = "esp32", *extra: str) -> "tuple":
    """Start ``remora sim`` on flash; returns (Program, serial port path)."""
    argv = [sys.executable, "-m", "remora_tools.sim", "--board", board, "--flash", flash]
    argv += list(extra)
    prog = Program("sim", "remora sim", command=(argv, dict(os.environ)))
    line = prog.wait_for_line("remora sim: serial port ", 60)  # may build the firmware
    return prog, line.split()[4]


def mpremote(port: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    proc = subprocess.run([MPREMOTE, "connect", port] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return proc


def deploy(port: str, appdir: str, *extra: str, env: Optional[dict] = None,
           timeout: float = 120) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "remora_tools.deploy", "--port", port, appdir] + list(extra)
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=full_env, stdin=subprocess.DEVNULL)


def fetch(url: str, timeout: float = 10) -> "tuple":
    """(status, body) of a GET, retried until the deadline while the server is not up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def copied(output: str) -> List[str]:
    """The board paths a deploy's progress lines name."""
    found = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("[") and "] " in line:
            found.append(line.split("] ", 1)[1].rsplit(" (", 1)[0])
    return found
