"""The fleet, from one command: mosquitto, 20 simulated boards and the gateway's dashboard.

    .venv/bin/python examples/fleet/run.py [--boards 20] [--port 8080] [--broker-port N]
    make fleet

Starts mosquitto (the project's config, host_tests/mosquitto.conf, state in
build/fleet/) on a free port (or --broker-port); the gateway (examples/fleet/gateway:
remora on CPython) serving the dashboard on http://127.0.0.1:PORT/; and the boards
(examples/fleet/board.py: each a MicroPython process on the simulated ESP32, the esp32
profile and its 110 KiB heap, remora frozen in), named board-01 ... board-20.  A board
that dies is started again after a second, as a board's watchdog would reboot it.  It
prints ``BOARD name pid`` for each board it starts and ``FLEET READY port`` once every
board is online on the gateway; Ctrl-C (or SIGTERM) stops everything.
"""

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))

from remora_tools import paths, runtimes  # noqa: E402

CONF = os.path.join(REPO, "host_tests", "mosquitto.conf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("fleet: %s did not start" % what)
            time.sleep(0.05)


def start(argv, env=None, log=None):
    return subprocess.Popen(argv, env=env, cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc):
    if proc is not None and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        except ProcessLookupError:
            pass


def online(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/boards" % port, timeout=2) as r:
            boards = json.load(r)
    except (OSError, ValueError):
        return 0
    return sum(1 for b in boards.values() if b.get("status") == "online")


def main():
    ap = argparse.ArgumentParser(description="mosquitto, simulated boards and the gateway")
    ap.add_argument("--boards", type=int, default=20)
    ap.add_argument("--port", type=int, default=8080, help="the dashboard's port")
    ap.add_argument("--broker-port", type=int, default=0)
    ap.add_argument("--board", default="esp32", help="the boards' profile")
    opts = ap.parse_args()

    folder = os.path.join(paths.build_dir(), "fleet")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    logs = open(os.path.join(folder, "fleet.log"), "ab")
    broker_port = opts.broker_port or free_port()
    with open(CONF) as f:
        text = f.read().replace("{port}", str(broker_port)).replace("{dir}", folder)
    text = text.replace("{user}", pwd.getpwuid(os.getuid()).pw_name)
    conf = os.path.join(folder, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(text)
    procs = {}
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    broker = gateway = None
    try:
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        broker = start([mosquitto, "-c", conf], log=logs)
        wait_listening(broker_port, broker, "mosquitto")
        print("fleet: mosquitto on 127.0.0.1:%d" % broker_port, flush=True)
        argv, env = runtimes.command("cpython", os.path.join(HERE, "gateway", "main.py"),
                                     "unix", ["--port", str(opts.port), "--root",
                                              os.path.join(HERE, "gateway"),
                                              "--broker", str(broker_port)])
        gateway = start(argv, env, logs)
        wait_listening(opts.port, gateway, "the gateway")
        print("fleet: dashboard on http://127.0.0.1:%d/" % opts.port, flush=True)
        board_py = os.path.join(HERE, "board.py")
        commands = {}
        for i in range(opts.boards):
            name = "board-%02d" % (i + 1)
            commands[name] = runtimes.command("micropython", board_py, opts.board,
                                              [str(broker_port), name])

        def boot(name):
            argv, env = commands[name]
            procs[name] = start(argv, env, logs)
            print("BOARD %s %d" % (name, procs[name].pid), flush=True)

        for name in commands:
            boot(name)
        ready = False
        deadline = time.monotonic() + 120
        while not stopping:
            if not ready:
                if online(opts.port) == opts.boards:
                    ready = True
                    print("FLEET READY %d" % opts.port, flush=True)
                elif time.monotonic() > deadline:
                    raise SystemExit("fleet: not every board came online in 120 s (see %s)"
                                     % os.path.join(folder, "fleet.log"))
            for name, proc in procs.items():
                if proc.poll() is not None:  # died: the watchdog reboots it
                    print("fleet: %s exited (%s), restarting" % (name, proc.returncode),
                          flush=True)
                    time.sleep(1)
                    boot(name)
            if broker.poll() is not None or gateway.poll() is not None:
                raise SystemExit("fleet: mosquitto or the gateway exited (see %s)"
                                 % os.path.join(folder, "fleet.log"))
            time.sleep(0.2)
    finally:
        for proc in procs.values():
            stop(proc)
        stop(gateway)
        stop(broker)
        print("fleet: stopped", flush=True)


if __name__ == "__main__":
    main()
