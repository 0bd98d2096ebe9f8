"""MQTT publish rates through mosquitto, and the heap of a connected client.

    .venv/bin/python -m bench.mqtt [--mqtt-rounds 3] [--umqtt PATH/umqtt/simple.py]

One mosquitto (the Debian package; the test suite's config, host_tests/mosquitto.conf, in
a folder of bench/build) on a free port for the whole part, on the other CPU than the
publishers (as a board's broker is on another machine).  Publishers are child
processes that connect, print ``READY 0``, then ``RATE <qos> <count> <seconds>`` for a
burst at QoS 0 (timed until a QoS 1 message sent after it is acknowledged: the broker has
handled them all) and one at QoS 1 (timed until every message is acknowledged), 32-byte
payloads, one topic, no subscriber:

- remora.mqtt (bench/programs/mqtt_pub.py): on CPython (board unix: a window of 32) and
  on MicroPython with the ESP32's profile and heap (a window of 8), and on MicroPython
  once more publishing QoS 1 one at a time (``wait=True``: blocking on every PUBACK);
- paho-mqtt 2.2 (bench/peers/paho_pub.py) on CPython, its window set to remora's (32);
- micropython-lib's umqtt.simple (bench/peers/umqtt_pub.py) on MicroPython with the same
  heap: PyPI's ``micropython-umqtt.simple`` 1.3.4 is an sdist pip cannot install (it has
  neither setup.py nor pyproject.toml) and the repository does not copy it, so the bench
  downloads it, pinned by version and SHA-256, into bench/build/umqtt-1.3.4/
  (bench/umqtt_peer.py); ``--umqtt PATH`` (or ``UMQTT_SIMPLE``) names another
  ``umqtt/simple.py``.  When the download fails its rows are ERROR rows saying why.

Per runtime the publishers take turns, round after round; a row is the median of its
rounds, a ratio row divides two medians of this run.  The heap rows: ``gc.mem_alloc()``
after ``gc.collect()`` on the bench's firmware (ESP32 profile), with one client connected
and subscribed and with 8 more (bench/programs/mqtt_heap.py), and the same for umqtt.simple
when it is there.
"""

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

from remora_tools import romfs

from . import harness, servers, umqtt_peer
from .harness import Run, Server, Spec

NAME = "mqtt"
CONF = os.path.join(harness.REPO, "host_tests", "mosquitto.conf")
PUB = os.path.join(servers.PROGRAMS, "mqtt_pub.py")
HEAP = os.path.join(servers.PROGRAMS, "mqtt_heap.py")
PAHO = os.path.join(servers.PEERS, "paho_pub.py")
UMQTT = os.path.join(servers.PEERS, "umqtt_pub.py")
COUNTS = {"cpython": (20000, 10000), "micropython": (10000, 4000)}
HEAP_CLIENTS = 8  # the ESP32's cap is 10 connections


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--mqtt-rounds", type=int, default=3,
                    help="rounds of the MQTT rate rows; a row is their median (3)")
    ap.add_argument("--umqtt", default=os.environ.get("UMQTT_SIMPLE"),
                    help="a umqtt/simple.py (micropython-lib) for the MicroPython peer rows "
                    "(default: PyPI's pinned sdist, downloaded into bench/build)")


class Mosquitto:
    """mosquitto on a free loopback port, its state under bench/build/mqtt."""

    def __init__(self, pinned: bool) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(exe):
            raise RuntimeError("mosquitto is not installed (make sysdeps)")
        self.port = harness.free_port()
        self.folder = os.path.join(os.environ["REMORA_BUILD"], "mqtt")
        os.makedirs(self.folder, exist_ok=True)
        for name in os.listdir(self.folder):
            os.remove(os.path.join(self.folder, name))
        with open(CONF) as f:
            text = f.read().replace("{port}", str(self.port)).replace("{dir}", self.folder)
        text = text.replace("{user}", pwd.getpwuid(os.getuid()).pw_name)
        conf = os.path.join(self.folder, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(text)
        self.log = open(os.path.join(self.folder, "mosquitto.log"), "ab")
        self.proc = subprocess.Popen([exe, "-c", conf], stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        if pinned:
            # Not on the publishers' CPU (the servers' one): a board's broker runs on
            # another machine, so a publisher's rate is its own work, not the broker's
            # too.  This process, on the other CPU, only waits for the publishers' lines.
            try:
                os.sched_setaffinity(self.proc.pid, {harness.CLIENT_CPU})
            except OSError:
                pass
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((harness.HOST, self.port), 0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not start")
                time.sleep(0.02)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def broker_spec(label: str, build: "harness.Build", broker: Mosquitto) -> Spec:
    # Publishers are clients: the port Server picks is not theirs; the broker's is.
    return Spec(label, lambda _port: build(broker.port))


def umqtt_spec(run: Run, simple: str, heap: int, args: List[str]) -> "harness.Build":
    """umqtt_pub.py and the given umqtt/simple.py, as .mpy in a flash image of the bench's
    firmware: ``-m remora_rom --module umqtt_pub``."""

    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        env = dict(os.environ)
        env["MICROPYPATH"] = ".frozen"
        env["REMORA_ROMFS_IMAGE"] = romfs.image({
            "lib/umqtt_pub.mpy": servers.compiled(UMQTT),
            "lib/umqtt/simple.mpy": servers.compiled(simple),
        })
        argv = [servers.use_bench_firmware(run), "-X", "heapsize=%d" % heap, "-m",
                "remora_rom", "--module", "umqtt_pub", str(port)] + args
        return argv, env

    return build


def read_lines(srv: Server, prefix: str, count: int, timeout: float = 120.0) -> List[str]:
    """The first `count` stdout lines of srv starting with prefix, waiting for them."""
    deadline = time.monotonic() + timeout
    with srv.cond:
        while True:
            found = [line for line in srv.out if line.startswith(prefix)]
            if len(found) >= count:
                return found[:count]
            if not srv.alive():
                srv.cond.wait(0.2)
                found = [line for line in srv.out if line.startswith(prefix)]
                if len(found) >= count:
                    return found[:count]
                raise RuntimeError("exited before %d %r lines: %s" % (count, prefix, srv.state()))
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no %d %r lines in %.0f s: %s" % (count, prefix, timeout,
                                                                      srv.state()))
            srv.cond.wait(min(left, 0.2))


def rates(run: Run, spec: Spec) -> Tuple[float, float, str]:
    """(QoS 0 messages/s, QoS 1 messages/s, command) of one publisher run."""
    with run.server(spec) as srv:
        lines = read_lines(srv, "RATE", 2)
        out = {}
        for line in lines:
            _, qos, count, seconds = line.split()
            out[qos] = int(count) / max(float(seconds), 1e-6)
        return out["0"], out["1"], srv.command


def measure(run: Run) -> None:
    broker = Mosquitto(run.pinned)
    try:
        rate_rows(run, broker)
        heap_rows(run, broker)
    finally:
        broker.stop()


def publishers(run: Run, broker: Mosquitto) -> List[Tuple[str, str, Optional[Spec], str]]:
    """(runtime label, who, spec or None, why not) for every publisher of the rate rows."""
    out = []
    cp, mp = COUNTS["cpython"], COUNTS["micropython"]
    cargs = [str(cp[0]), str(cp[1])]
    margs = [str(mp[0]), str(mp[1])]
    # umqtt.simple waits for a delayed ACK on every QoS 1 publish (Nagle): fewer of them.
    margs_umqtt = [str(mp[0]), str(mp[1] // 20)]
    cpu = servers.label("cpython", "unix")
    mpu = servers.label("micropython", "esp32")
    unix_inflight = int(harness_board("unix")["mqtt_inflight"])

    def remora(runtime: str, board: str, args: List[str], label: str = "mqtt_pub") -> Spec:
        # remora_spec's build(port) puts the port first: here, the broker's.
        return broker_spec(label, servers.remora_spec(run, PUB, runtime, board,
                                                      args=args).build, broker)

    out.append((cpu, "remora.mqtt", remora("cpython", "unix", cargs), ""))

    def paho_build(p: int) -> Tuple[List[str], Dict[str, str]]:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        return [sys.executable, PAHO, str(p)] + cargs + ["32", str(unix_inflight)], env

    try:
        import importlib

        importlib.import_module("paho.mqtt.client")
        out.append((cpu, "paho-mqtt", broker_spec("paho_pub", paho_build, broker), ""))
    except ImportError:
        out.append((cpu, "paho-mqtt", None, "paho-mqtt is not installed (requirements-dev)"))
    out.append((mpu, "remora.mqtt", remora("micropython", "esp32", margs), ""))
    out.append((mpu, "remora.mqtt, QoS 1 one at a time (wait=True)",
                remora("micropython", "esp32", margs + ["32", "one"]), ""))
    simple, why = umqtt_simple(run)
    if simple:
        heap = servers.heap_of("esp32")
        out.append((mpu, "umqtt.simple", broker_spec(
            "umqtt_pub", umqtt_spec(run, simple, heap, margs_umqtt), broker), ""))
        out.append((mpu, "umqtt.simple with TCP_NODELAY", broker_spec(
            "umqtt_pub", umqtt_spec(run, simple, heap, margs + ["32", "nodelay"]),
            broker), ""))
    else:
        out.append((mpu, "umqtt.simple", None, why))
    return out


def umqtt_simple(run: Run) -> Tuple[Optional[str], str]:
    """(umqtt/simple.py, "") for the peer rows: --umqtt's, or PyPI's pinned sdist's
    (bench/umqtt_peer.py); (None, why) when there is none.  Asked once per run."""
    got = getattr(run.opts, "umqtt_found", None)
    if got is not None:
        return got
    given = run.opts.umqtt
    if given:
        got = (given, "") if os.path.exists(given) else (None, "--umqtt %s: no such file"
                                                          % given)
    else:
        try:
            got = (umqtt_peer.simple_py(os.environ["REMORA_BUILD"]), "")
        except RuntimeError as exc:
            got = (None, "umqtt.simple is missing: %s" % exc)
    run.opts.umqtt_found = got
    return got


def harness_board(name: str) -> Dict[str, object]:
    from remora_tools import boards

    return dict(boards.load(name))


def rate_rows(run: Run, broker: Mosquitto) -> None:
    pubs = publishers(run, broker)
    got: Dict[int, Tuple[List[float], List[float], str]] = {}
    for i in range(len(pubs)):
        got[i] = ([], [], "")
    for _round in range(run.opts.mqtt_rounds):
        for i, (where, who, spec, _why) in enumerate(pubs):
            if spec is None:
                continue
            try:
                r0, r1, command = rates(run, spec)
            except Exception as exc:
                run.error("MQTT publish rate, %s" % who, where, "", exc)
                pubs[i] = (where, who, None, "failed above")
                continue
            got[i][0].append(r0)
            got[i][1].append(r1)
            got[i] = (got[i][0], got[i][1], command)
    medians: Dict[Tuple[str, str], float] = {}
    for i, (where, who, spec, why) in enumerate(pubs):
        r0s, r1s, command = got[i]
        if not r0s:
            if why and why != "failed above":
                run.row("MQTT publish rate, %s" % who, where, "ERROR", "", "", why)
            continue
        for qos, xs in ((0, r0s), (1, r1s)):
            if qos == 0 and ("one at a time" in who or "NODELAY" in who):
                continue  # the same QoS 0 burst as the row above
            medians[(where + who, str(qos))] = harness.median(xs)
            run.row("MQTT QoS %d publish rate, %s" % (qos, who), where,
                    "%.0f" % harness.median(xs), "messages/s", command,
                    "median of %d rounds, %s; 32-byte payloads through mosquitto, no "
                    "subscriber" % (len(xs), harness.spread(xs)))
    mpu = servers.label("micropython", "esp32")
    for where, a, b in ((servers.label("cpython", "unix"), "remora.mqtt", "paho-mqtt"),
                        (mpu, "remora.mqtt", "umqtt.simple"),
                        (mpu, "remora.mqtt", "umqtt.simple with TCP_NODELAY")):
        for qos in ("0", "1"):
            x, y = medians.get((where + a, qos)), medians.get((where + b, qos))
            if x and y:
                run.row("MQTT QoS %s publish rate, %s / %s" % (qos, a, b), where,
                        "%.2f" % (x / y), "ratio", "", "medians of this run")


def heap_rows(run: Run, broker: Mosquitto) -> None:
    where = servers.label("micropython", "esp32")
    spec = servers.remora_spec(run, HEAP, "micropython", "esp32", args=[str(HEAP_CLIENTS)])
    specs = [("remora.mqtt Client (connected, one subscription, idle)",
              broker_spec("mqtt_heap", spec.build, broker))]
    simple, why = umqtt_simple(run)
    if simple:
        specs.append(("umqtt.simple MQTTClient (connected, one subscription)", broker_spec(
            "umqtt_pub", umqtt_spec(run, simple, servers.heap_of("esp32"),
                                    ["heap", str(HEAP_CLIENTS)]), broker)))
    else:
        run.row("heap per connected MQTT client, umqtt.simple", where, "ERROR", "", "", why)
    for what, s in specs:
        bench = "heap per connected MQTT client, %s" % what
        try:
            with run.server(s) as srv:
                line = read_lines(srv, "HEAP", 1)[0]
                command = srv.command
        except Exception as exc:
            run.error(bench, where, "", exc)
            continue
        _, before, after, count = line.split()
        per = (int(after) - int(before)) / int(count)
        run.row(bench, where, "%.0f" % per, "bytes/client", command,
                "gc.mem_alloc() after gc.collect(): %s B with one client, %s B with %s more"
                % (before, after, count))


if __name__ == "__main__":
    harness.main(__name__)
