"""remora.mqtt against a real broker, on both runtimes, with paho-mqtt as the other client.

Every test starts mosquitto (the Debian package, ``make sysdeps``) on a free loopback port
with the project's config (host_tests/mosquitto.conf, persistence in the test's tmp
folder) and stops it after.  The remora side is host_tests/programs/mqtt_scenarios.py on
the ESP32 profile (so MicroPython runs on the simulated board, 110 KiB heap, and CPython
with the same limits); paho-mqtt (PyPI, requirements-dev.txt) publishes and subscribes
on the test's side.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

import harness

paho_client = pytest.importorskip("paho.mqtt.client")
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "mosquitto.conf")
SCENARIOS = os.path.join(HERE, "programs", "mqtt_scenarios.py")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """mosquitto on a free port of 127.0.0.1, its state in ``folder``."""

    def __init__(self, folder, port=None, certs=None):
        if not os.path.exists(MOSQUITTO):
            pytest.skip("mosquitto is not installed (make sysdeps)")
        self.folder = str(folder)
        self.port = port or harness.free_port()
        with open(CONF) as f:
            text = f.read().replace("{port}", str(self.port)).replace("{dir}", self.folder)
        text = text.replace("{user}", pwd.getpwuid(os.getuid()).pw_name)
        if certs is not None:
            # A second listener, MQTT over TLS, with a certificate for localhost
            # (remora cert): the listener options that follow are its own.
            self.tls_port = harness.free_port()
            text += "\nlistener %d 127.0.0.1\ncertfile %s\nkeyfile %s\n" % (
                self.tls_port, os.path.join(certs, "localhost.pem"),
                os.path.join(certs, "localhost-key.pem"))
        self.conf = os.path.join(self.folder, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(text)
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.folder, "mosquitto.log"), "ab")
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", self.conf], stdout=self.log, stderr=self.log,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:  # until it listens
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("mosquitto did not start: %s" % self.read_log())
                time.sleep(0.02)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # a clean stop writes the persistence file
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def read_log(self):
        with open(os.path.join(self.folder, "mosquitto.log"), "rb") as f:
            return f.read().decode(errors="replace")


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path).start()
    yield b
    b.stop()


class Paho:
    """A paho-mqtt client on its own thread, keeping what it receives."""

    def __init__(self, broker, client_id, version=5, subscribe=(), clean=True):
        proto = paho_client.MQTTv5 if version == 5 else paho_client.MQTTv311
        kw = {} if version == 5 else {"clean_session": clean}
        self.c = paho_client.Client(paho_client.CallbackAPIVersion.VERSION2, client_id=client_id,
                                    protocol=proto, **kw)
        self.c.reconnect_delay_set(1, 2)
        self.cond = threading.Condition()
        self.messages = []
        self.connects = 0
        self.subacks = 0
        self.c.on_message = self._on_message
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = self._on_subscribe
        if version == 5:
            props = Properties(PacketTypes.CONNECT)
            if not clean:
                props.SessionExpiryInterval = 3600
            self.c.connect("127.0.0.1", broker.port, 60, clean_start=clean, properties=props)
        else:
            self.c.connect("127.0.0.1", broker.port, 60)
        self.c.loop_start()
        self.wait(lambda: self.connects)
        for flt, qos in subscribe:
            n = self.subacks
            self.c.subscribe(flt, qos)
            self.wait(lambda: self.subacks > n)

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    def _on_connect(self, client, userdata, flags, reason, properties):
        with self.cond:
            self.connects += 1
            self.cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, reasons, properties):
        with self.cond:
            self.subacks += 1
            self.cond.notify_all()

    def wait(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                assert left > 0, "paho: condition not met in %ss; got %r" % (
                    timeout, [(m.topic, m.payload[:40]) for m in self.messages])
                self.cond.wait(left)

    def topics(self):
        with self.cond:
            return [m.topic for m in self.messages]

    def publish(self, topic, payload, qos=0, retain=False):
        self.c.publish(topic, payload, qos, retain).wait_for_publish(10)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def has_line(prog, text, timeout):
    """Wait until the program printed the line ``text`` (in any order with the others)."""
    deadline = time.monotonic() + timeout
    while text not in prog.lines():
        assert time.monotonic() < deadline and prog.returncode is None, (
            "no line %r\n%s" % (text, prog.output()))
        time.sleep(0.05)


def results(prog):
    """{key: value} of the program's ``RESULT key value`` lines so far."""
    out = {}
    for line in prog.lines():
        if line.startswith("RESULT "):
            parts = line.split(" ", 2)
            out[parts[1]] = parts[2] if len(parts) > 2 else ""
    return out


def no_task_errors(prog):
    bad = [line for line in prog.lines() if line.startswith("remora:")]
    assert not bad, prog.output()


# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [5, 4])
def test_round_trips_at_every_qos_and_retained(program, broker, version):
    peer = Paho(broker, "paho-rt", version, subscribe=[("rt/out/#", 2)])
    peer.publish("rt/in/keep", b"retained for remora", 1, retain=True)
    prog = program(SCENARIOS, "roundtrip", broker.port, version)
    prog.ready(20)
    # remora -> paho at QoS 0, 1, 2 (wait=True: the reason code of PUBACK / PUBCOMP).
    prog.wait_for_line("RESULT published all", 20)
    got = results(prog)
    assert got["suback"] == "[2]"
    assert [got["published%d" % q] for q in (0, 1, 2)] == ["0", "0", "0"]
    peer.wait(lambda: len(peer.topics()) >= 4)
    by_topic = {m.topic: m for m in peer.messages}
    for qos in (0, 1, 2):
        m = by_topic["rt/out/q%d" % qos]
        assert (m.qos, m.payload) == (qos, b"from remora %d" % qos)
    # paho -> remora at QoS 0, 1, 2; the retained message came first, flagged.
    for qos in (0, 1, 2):
        peer.publish("rt/in/q%d" % qos, b"from paho %d" % qos, qos)
    peer.publish("rt/in/end", b"end", 1)
    prog.wait_for_line("RESULT done", 20)
    msgs = [line.split(" ", 5)[2:] for line in prog.lines() if line.startswith("MSG rt ")]
    assert msgs == [
        ["rt/in/keep", "1", "1", "retained for remora"],
        ["rt/in/q0", "0", "0", "from paho 0"],
        ["rt/in/q1", "1", "0", "from paho 1"],
        ["rt/in/q2", "2", "0", "from paho 2"],
        ["rt/in/end", "1", "0", "end"],
    ]
    # remora's retained message is kept by the broker for a later subscriber.
    late = Paho(broker, "paho-late", version, subscribe=[("rt/out/retained", 1)])
    late.wait(lambda: late.messages)
    assert (late.messages[0].payload, late.messages[0].retain) == (b"kept", True)
    peer.publish("rt/in/keep", b"", 1, retain=True)  # clear it
    late.close()
    peer.close()
    no_task_errors(prog)


def test_mqtts_with_a_verified_broker_and_refused_when_untrusted(program, tmp_path):
    from remora_tools import cert

    certs = str(tmp_path / "certs")
    cert.make(certs, "localhost")
    cert.make(certs, "other", ["other.example"])
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = Broker(folder, certs=certs).start()
    try:
        peer = Paho(broker, "paho-tls", 5, subscribe=[("tls/out", 1)])  # the plain listener
        prog = program(SCENARIOS, "secure", broker.tls_port,
                       os.path.join(certs, "localhost.der"), os.path.join(certs, "other.der"))
        prog.ready(30)
        prog.wait_for_line("RESULT published", 20)
        assert results(prog)["published"] == "0"
        peer.wait(lambda: peer.messages)
        assert peer.messages[0].payload == b"over TLS"
        peer.publish("tls/in", b"to the TLS client", 1)
        prog.wait_for_line("RESULT done", 30)
        assert [ln for ln in prog.lines() if ln.startswith("MSG tls ")] == [
            "MSG tls tls/in 1 0 to the TLS client"]
        assert results(prog)["untrusted"] == "NotTrusted", prog.output()
        peer.close()
        no_task_errors(prog)
    finally:
        broker.stop()


def test_qos0_burst_keeps_the_order_of_the_calls(program, broker):
    # QoS 0 publishes in a burst are gathered into few sends (remora/mqtt/writer.py): the
    # subscriber gets every message, whole and in the order published, QoS 1 ones and
    # one too large to gather among them, and a retained one is kept.
    import importlib.util

    spec = importlib.util.spec_from_file_location("mqtt_scenarios", SCENARIOS)
    assert spec is not None and spec.loader is not None
    plan_of = importlib.util.module_from_spec(spec)
    try:  # the scenarios import remora: the plan alone is wanted here
        spec.loader.exec_module(plan_of)
    except ImportError:
        pytest.skip("remora is not importable here")
    plan = plan_of.burst_plan()
    peer = Paho(broker, "paho-burst", 5, subscribe=[("burst/#", 1)])
    prog = program(SCENARIOS, "burst", broker.port)
    prog.ready(20)
    peer.publish("burst/go", b"", 0)
    prog.wait_for_line("RESULT published 0", 30)
    peer.wait(lambda: len(peer.messages) >= len(plan) + 2)  # burst/go is the first
    want = [(t, p.encode() if isinstance(p, str) else bytes(p), q) for t, p, q, _r in plan]
    got = [(m.topic, m.payload, m.qos) for m in peer.messages if m.topic != "burst/go"]
    assert got == want + [("burst/end", b"end", 1)]
    assert "bad_accepted" not in results(prog)
    late = Paho(broker, "paho-burst-late", 5, subscribe=[("burst/keep", 0)])
    late.wait(lambda: late.messages)
    assert (late.messages[0].payload, late.messages[0].retain) == (b"kept at QoS 0", True)
    late.close()
    peer.close()
    no_task_errors(prog)


def test_will_published_when_a_client_dies(program, broker):
    peer = Paho(broker, "paho-will", 5, subscribe=[("will/#", 1)])
    prog = program(SCENARIOS, "will", broker.port)
    prog.ready(20)
    os.killpg(prog.proc.pid, signal.SIGKILL)  # no DISCONNECT: the broker sends the will
    peer.wait(lambda: "will/1" in peer.topics())
    # The client that said goodbye (before the other died) left no will.
    assert peer.topics() == ["will/1"]
    assert peer.messages[0].payload == b"gone 1"
    peer.close()


def test_broker_restarted_while_publishing_loses_nothing(program, broker):
    half = 100
    sub = Paho(broker, "paho-restart", 5, subscribe=[("rs/#", 2)], clean=False)
    prog = program(SCENARIOS, "restart", broker.port, half)
    prog.ready(20)
    prog.wait_for_line("HALF", 30)
    broker.stop()
    broker.start()
    line = prog.wait_for_line("RESULT total", 60)
    total = int(line.split()[2])
    got = results(prog)
    assert int(got["reconnects"]) >= 1
    assert got["inflight"] == "0", prog.output()
    # paho's subscription: every QoS 1 and QoS 2 message came.
    sub.wait(lambda: len({m.payload for m in sub.messages if m.topic == "rs/q1"}) >= total
             and len({m.payload for m in sub.messages if m.topic == "rs/q2"}) >= total, 60)
    q1 = sorted({int(m.payload) for m in sub.messages if m.topic == "rs/q1"})
    q2 = [(int(m.payload), m.dup) for m in sub.messages if m.topic == "rs/q2"]
    why = "QoS 2 copies (payload, dup): %r; paho connects %d\n%s\n%s" % (
        [c for c in q2 if [p for p, _d in q2].count(c[0]) > 1], sub.connects, prog.output(),
        broker.read_log())
    assert q1 == list(range(total)), why
    # Each QoS 2 message was published once: the broker forwarded it at most once as new
    # (DUP clear).  A copy with DUP set is the broker's own resend of a delivery it had
    # not seen completed when it stopped (mosquitto 2.0 restores some outgoing QoS 2 flows
    # from its persistence file a step behind, and resends them with the same packet id
    # after the subscriber has completed them, which the subscriber must take as new,
    # 5.0 §4.3.3): not remora's doing, and not a copy remora delivered twice.
    assert sorted({p for p, _dup in q2}) == list(range(total)), why
    fresh = [p for p, dup in q2 if not dup]
    assert len(fresh) == len(set(fresh)), why
    # remora's own QoS 2 subscription, likewise: every message, none delivered twice as
    # new; the broker's late resends after a completed flow (DUP set) are counted apart.
    assert got["own_q2"] == "%d distinct 0 new copies" % total, (got, broker.read_log())
    sub.close()
    no_task_errors(prog)


def test_subscriber_slower_than_its_publisher(program, broker):
    count = 300
    prog = program(SCENARIOS, "slow", broker.port, count)
    prog.ready(20)
    pub = Paho(broker, "paho-fast", 5)
    infos = [pub.c.publish("slow/t", str(i).encode(), 1) for i in range(count)]
    for info in infos:
        info.wait_for_publish(30)
    prog.wait_for_line("RESULT reconnects", 90)
    got = results(prog)
    assert (got["received"], got["in_order"], got["reconnects"]) == (str(count), "True", "0")
    pub.close()
    no_task_errors(prog)


def test_message_larger_than_the_board_limit(program, broker):
    prog = program(SCENARIOS, "oversize", broker.port)
    prog.ready(20)
    assert results(prog)["max_packet"] == "4096"  # the ESP32 profile's mqtt_max_packet
    pub = Paho(broker, "paho-big", 5)
    pub.publish("big/big", b"x" * 8000, 0)
    pub.publish("big/after", b"small", 1)
    prog.wait_for_line("RESULT v5", 20)
    prog.wait_for_line("RESULT v4", 20)
    got = results(prog)
    # 5.0: the broker knew the limit and never sent it; nothing else changed.
    assert got["v5"] == "reconnects 0 error None"
    # 3.1.1: the broker could not know; the client closed on it (0x95 Packet too large),
    # reconnected and got the next message from its session.
    assert got["v4"].startswith("reconnects 1 error") and "0x95" in got["v4"], prog.output()
    names = [line.split()[1:3] for line in prog.lines() if line.startswith("MSG")]
    assert names == [["v5", "big/after"], ["v4", "big/after"]] or names == [
        ["v4", "big/after"], ["v5", "big/after"]]
    pub.close()
    no_task_errors(prog)


def test_outgoing_queue_full_suspends_a_task_and_refuses_a_worker(program, tmp_path):
    broker = Broker(tmp_path)  # not started: the client keeps trying meanwhile
    try:
        prog = program(SCENARIOS, "queue", broker.port)
        prog.ready(20)
        got = results(prog)
        # ESP32 profile: mqtt_queue 4096 bytes; 103 bytes a message.
        assert got["worker_full"] == "39 queued 4017 bytes"
        assert got["task_suspended"] == "True"
        broker.start()
        prog.wait_for_line("RESULT delivered", 40)
        got = results(prog)
        assert got["worker_subscribe"] == "[1]"
        assert got["worker_publish"] == "0"
        assert got["task_published"] == "True"
        assert got["delivered"] == "39 of 39, task True"
        no_task_errors(prog)
    finally:
        broker.stop()


def test_resubscribes_when_the_broker_kept_no_session(program, broker):
    prog = program(SCENARIOS, "resubscribe", broker.port)
    prog.ready(20)
    assert results(prog)["suback"] == "[1]"
    broker.stop()
    broker.start()
    # Its own message, and paho's: both through the subscription made again.
    has_line(prog, "MSG rs resub/self 1 0 after", 30)
    assert results(prog)["reconnected"] == "1"
    peer = Paho(broker, "paho-resub", 5)
    peer.publish("resub/paho", b"from paho", 1)
    has_line(prog, "MSG rs resub/paho 1 0 from paho", 20)
    peer.close()
    no_task_errors(prog)


def _read_packet(conn):
    """One MQTT packet (first byte, body) from a blocking socket."""
    first = conn.recv(1)
    assert first, "peer closed"
    size = shift = 0
    while True:
        b = conn.recv(1)[0]
        size |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    body = b""
    while len(body) < size:
        body += conn.recv(size - len(body))
    return first[0], body


def test_broker_breaking_the_protocol(program):
    # Bad input from the broker: a CONNACK with a Remaining Length of 5 whose properties
    # run past it.  The client tells it why (5.0: DISCONNECT 0x81 Malformed Packet),
    # closes, reconnects, and carries on with a broker that behaves.
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    port = listener.getsockname()[1]
    prog = program(SCENARIOS, "garbage", port)
    prog.ready(20)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(20)
        assert _read_packet(conn)[0] == 0x10  # CONNECT
        conn.sendall(b"\x20\x05\x00\x00\x09\x11\x00")
        assert _read_packet(conn) == (0xE0, b"\x81")  # DISCONNECT, Malformed Packet
        assert conn.recv(1) == b""  # and closed
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(20)
        assert _read_packet(conn)[0] == 0x10
        conn.sendall(b"\x20\x03\x00\x00\x00")  # CONNACK: accepted
        first, body = _read_packet(conn)
        assert first == 0x32 and body.endswith(b"still here")  # PUBLISH, QoS 1
        pid = body[2 + body[1]: 4 + body[1]]
        conn.sendall(b"\x40\x02" + pid)  # PUBACK (no reason code: success)
        prog.wait_for_line("RESULT last_error", 20)
        assert _read_packet(conn) == (0xE0, b"")  # the client's DISCONNECT
    listener.close()
    got = results(prog)
    assert got["published"] == "0"
    assert got["reconnects"] == "1"
    assert "0x81" in got["last_error"], prog.output()
    no_task_errors(prog)
