"""The fleet example (examples/fleet, issue 19 point 4) from its one command.

``examples/fleet/run.py`` starts mosquitto, 20 boards (MicroPython processes on the
simulated ESP32, each running remora.mqtt) and the gateway (remora on CPython) with its
dashboard.  Through the dashboard's WebSocket, as the page uses it (the ``websockets``
library as the browser): every board is listed online with its figures; a command to all
reaches all 20 (each answers it); a board killed is shown offline (its will) and, started
again by run.py as a watchdog would, online again; a command to one board reaches it.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import harness

websockets_sync = pytest.importorskip("websockets.sync.client")

RUN = os.path.join(harness.REPO, "examples", "fleet", "run.py")
BOARDS = 20


class Fleet:
    def __init__(self, port):
        self.proc = subprocess.Popen(
            [sys.executable, RUN, "--boards", str(BOARDS), "--port", str(port)],
            cwd=harness.REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                left = deadline - time.monotonic()
                assert left > 0 and self.proc.poll() is None, "no %r: %s" % (
                    prefix, "\n".join(self.lines))
                self.cond.wait(min(left, 0.5))

    def pids(self, name):
        with self.cond:
            return [int(line.split()[2]) for line in self.lines
                    if line.startswith("BOARD %s " % name)]

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


class Dashboard:
    """The dashboard's WebSocket: the fleet as the page sees it."""

    def __init__(self, port):
        self.ws = websockets_sync.connect("ws://127.0.0.1:%d/ws/fleet" % port, legacy=True)
        first = json.loads(self.ws.recv(10))
        self.boards = dict(first["boards"])

    def until(self, pred, timeout=60):
        deadline = time.monotonic() + timeout
        while not pred(self.boards):
            left = deadline - time.monotonic()
            assert left > 0, "dashboard: %s" % json.dumps(self.boards)[:3000]
            try:
                msg = json.loads(self.ws.recv(min(left, 1)))
            except TimeoutError:
                continue
            self.boards.update(msg.get("update", {}))

    def send(self, to, cmd):
        self.ws.send(json.dumps({"to": to, "cmd": cmd}))


def test_fleet_of_twenty_boards():
    port = harness.free_port()
    fleet = Fleet(port)
    try:
        fleet.wait_line("FLEET READY", 180)
        dash = Dashboard(port)
        names = ["board-%02d" % (i + 1) for i in range(BOARDS)]
        dash.until(lambda b: all(b.get(n, {}).get("status") == "online"
                                 and b[n]["figures"].get("heap_alloc") for n in names))
        for n in names:  # each a simulated ESP32: the 110 KiB heap, in use and free
            f = dash.boards[n]["figures"]
            assert f["runtime"] == "micropython"
            assert f["heap_alloc"] + f["heap_free"] <= 112640
        # A command to all reaches all 20.
        dash.send("all", "blink 1")
        dash.until(lambda b: all(b[n]["ack"] == "blink 1" for n in names))
        # A board killed: offline (its will), then back (run.py starts it again).
        victim = "board-07"
        pid = fleet.pids(victim)[-1]
        os.kill(pid, signal.SIGKILL)
        dash.until(lambda b: b[victim]["status"] == "offline")
        dash.until(lambda b: b[victim]["status"] == "online"
                   and b[victim]["figures"].get("uptime_s", 99) < 30, 90)
        assert len(fleet.pids(victim)) == 2
        # ... and a command to it alone reaches it.
        dash.send(victim, "blink 2")
        dash.until(lambda b: b[victim]["ack"] == "blink 2")
        assert all(dash.boards[n]["ack"] == "blink 1" for n in names if n != victim)
        dash.ws.close()
    finally:
        fleet.stop()
    assert fleet.proc.returncode is not None
