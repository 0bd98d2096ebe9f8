"""The seed's examples (examples/ex*.py) as programs, against real peers, on both runtimes.

Every test starts its example through the ``program`` fixture (ids ``[cpython]`` and
``[micropython]``; board esp32, so MicroPython runs from .mpy with a 110 KiB heap) and talks
to it over 127.0.0.1 with real peers: chronyd for NTP, curl and http.client for HTTP,
``python -m http.server`` behind the proxy, and plain sockets for the echo servers.  Every
peer a test starts is stopped at teardown.
"""

import ast
import hashlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import harness

EXAMPLES = os.path.join(harness.REPO, "examples")
NTP_TO_UNIX = 2208988800
CHRONYD = "/usr/sbin/chronyd"


def example(name):
    return os.path.join(EXAMPLES, name + ".py")


def board_profile(name):
    with open(os.path.join(harness.REPO, "boards", name + ".py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PROFILE":
            return ast.literal_eval(node.value)
    raise AssertionError("no PROFILE in boards/%s.py" % name)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def recv_exactly(sock, n):
    """n bytes from sock (fewer only if the peer closes first)."""
    chunks = []
    got = 0
    while got < n:
        data = sock.recv(min(65536, n - got))
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def recv_until_eof(sock):
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def no_task_errors(prog):
    """remora logs a failing task or worker job as ``remora: ...`` on stdout."""
    bad = [line for line in prog.lines() if line.startswith("remora:")]
    assert not bad, prog.output()


def stop_process(proc, timeout=5):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)
        except ProcessLookupError:
            pass


class Worker(threading.Thread):
    """A thread that keeps its result or exception for the test to check."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn = fn
        self.args = args
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.fn(*self.args)
        except BaseException as exc:  # reported by get()
            self.error = exc

    def get(self, timeout=30):
        self.join(timeout)
        assert not self.is_alive(), "thread %r still running after %ss" % (self.fn, timeout)
        if self.error is not None:
            raise self.error
        return self.result


# ---------------------------------------------------------------------------
# Peers


class TcpPeer:
    """A one-connection TCP server on 127.0.0.1: handler(conn) runs on a thread."""

    def __init__(self, handler, rcvbuf=None):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:
            # Set before listen so the accepted socket inherits it (small window).
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.settimeout(15)
        self.port = self.listener.getsockname()[1]
        self.handler = handler
        self.conn = None
        self.thread = Worker(self._serve)
        self.thread.start()

    def _serve(self):
        conn, _ = self.listener.accept()
        self.conn = conn
        with conn:
            conn.settimeout(20)
            return self.handler(conn)

    def result(self, timeout=30):
        return self.thread.get(timeout)

    def stop(self):
        for s in (self.listener, self.conn):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept/recv
                except OSError:
                    pass
                s.close()
        self.thread.join(5)


@pytest.fixture
def tcp_peer():
    """Factory: tcp_peer(handler, rcvbuf=None) -> TcpPeer (listening); stopped at teardown."""
    peers = []

    def start(handler, rcvbuf=None):
        peer = TcpPeer(handler, rcvbuf)
        peers.append(peer)
        return peer

    try:
        yield start
    finally:
        for peer in peers:
            peer.stop()


@pytest.fixture(scope="module")
def ntp_server(tmp_path_factory):
    """A real chronyd serving NTP on 127.0.0.1:<free UDP port>; yields the port."""
    if not os.access(CHRONYD, os.X_OK):
        pytest.fail(
            "%s not found: the NTP examples need a real chronyd; run `make setup` "
            "(it installs the chrony package)" % CHRONYD
        )
    tmp = tmp_path_factory.mktemp("chrony")
    port = free_udp_port()
    conf = tmp / "chrony.conf"
    conf.write_text(
        "port %d\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\ncmdport 0\n"
        "pidfile %s\ndriftfile %s\n" % (port, tmp / "chronyd.pid", tmp / "drift")
    )
    log_path = tmp / "chronyd.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [CHRONYD, "-d", "-u", "root", "-f", str(conf), "-x"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 5
        answered = False
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            while not answered and time.monotonic() < deadline and proc.poll() is None:
                try:
                    s.sendto(b"\x1b" + bytes(47), ("127.0.0.1", port))
                    answered = len(s.recv(512)) == 48
                except OSError:  # timeout, or refused before chronyd binds
                    time.sleep(0.05)
        if not answered:
            pytest.fail(
                "chronyd did not answer NTP on 127.0.0.1:%d within 5 s (exit %s)\n%s"
                % (port, proc.poll(), log_path.read_text(errors="replace"))
            )
        yield port
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture
def udp_peer():
    """A UDP peer on 127.0.0.1 that answers every datagram with 10 bytes.

    Yields (port, requests): requests lists the datagrams it received.
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.1)
    requests = []
    stopping = threading.Event()

    def serve():
        while not stopping.is_set():
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            requests.append(data)
            s.sendto(b"0123456789", addr)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield s.getsockname()[1], requests
    finally:
        stopping.set()
        t.join(2)
        s.close()


def start_http_server(directory, port):
    """``python -m http.server`` on 127.0.0.1:port serving directory, accepting connections."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
         "--directory", str(directory)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_process(proc)
                raise AssertionError(
                    "http.server did not listen on %d (exit %s): %s"
                    % (port, proc.poll(), proc.stderr.read().decode(errors="replace"))
                )
            time.sleep(0.05)


@pytest.fixture
def http_servers():
    """Factory: http_servers(directory, port) -> Popen (listening); stopped at teardown."""
    procs = []

    def start(directory, port):
        proc = start_http_server(directory, port)
        procs.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            stop_process(proc)
            if proc.stderr:
                proc.stderr.close()


# ---------------------------------------------------------------------------
# ex01, ex06: NTP over UDP (blocking on a worker thread; asynchronous)


def ntp_seconds(prog):
    line = prog.wait_for_line("NTP seconds:")
    return int(line.split(":", 1)[1])


@pytest.mark.parametrize("name", ["ex01_ntp", "ex06_async_ntp"])
def test_ntp_time_from_chronyd(program, ntp_server, name):
    prog = program(example(name), "127.0.0.1", ntp_server)
    secs = ntp_seconds(prog)
    assert abs(secs - time.time()) <= 5, prog.output()
    date_line = [line for line in prog.lines() if line.startswith("NTP Date and time:")]
    assert date_line == [
        "NTP Date and time: " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(secs))
    ], prog.output()
    assert prog.wait() == 0, prog.output()
    assert "Invalid response" not in prog.lines(), prog.output()
    no_task_errors(prog)


@pytest.mark.parametrize("name", ["ex01_ntp", "ex06_async_ntp"])
def test_ntp_invalid_response(program, udp_peer, name):
    port, requests = udp_peer
    prog = program(example(name), "127.0.0.1", port)
    prog.wait_for_line("Invalid response")
    assert prog.wait() == 0, prog.output()
    # One RFC 4330 client request: LI 0, version 3, mode 3, the rest zero.
    assert requests == [b"\x1b" + bytes(47)], prog.output()
    assert not any(line.startswith("NTP") for line in prog.lines()), prog.output()
    no_task_errors(prog)


# ---------------------------------------------------------------------------
# ex03: HTTP/1.0 server on the worker pool

HELLO_RESPONSE = (
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nHello World!"
)


def http_get(port, path):
    """GET path over HTTP/1.0 (http.client): (status, Content-Length, body), or the name of
    the error when the server closed the connection without a response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Length"), resp.read()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def test_ex03_http10(program):
    port = harness.free_port()
    prog = program(example("ex03_http10"), port)
    assert prog.ready() == port

    # Real curl, HTTP/1.0, headers included: the exact response, byte for byte.
    out = subprocess.run(
        ["curl", "-s", "-0", "-i", "http://127.0.0.1:%d/any" % port],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=15,
    )
    assert out.returncode == 0, (out.returncode, out.stderr, prog.output())
    assert out.stdout.split(b"\r\n", 1)[0] == b"HTTP/1.0 200 OK"
    assert out.stdout == HELLO_RESPONSE, (out.stdout, prog.output())
    assert http_get(port, "/other?x=1") == (200, "12", b"Hello World!"), prog.output()
    assert prog.returncode is None, prog.output()
    no_task_errors(prog)


def test_ex03_http10_concurrent(program):
    """20 requests at once, far more than the esp32 pool's workers plus queue: the accept
    task waits for a free worker (connections wait in the backlog), so all are answered."""
    ok = (200, "12", b"Hello World!")
    port = harness.free_port()
    prog = program(example("ex03_http10"), port)
    assert prog.ready() == port

    n = 20
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait(10)
        return http_get(port, "/page/%d" % i)

    workers = [Worker(one, i) for i in range(n)]
    for w in workers:
        w.start()
    results = [w.get(30) for w in workers]
    assert results == [ok] * n, (results, prog.output())
    assert prog.returncode is None, prog.output()
    no_task_errors(prog)


def test_ex03_https_pool(program, tmp_path):
    """Example 3 over TLS: curl and CPython's ssl, verifying the development
    certificate; requests at once, as many as the board's tls_max (2 on the esp32: each
    TLS connection's buffers take about 24 KB of its heap), three rounds of them."""
    import ssl

    from remora_tools import cert

    cert.make(str(tmp_path))
    port = harness.free_port()
    prog = program(example("ex03_https_pool"), port, str(tmp_path))
    assert prog.ready() == port
    out = subprocess.run(
        ["curl", "-s", "-0", "-i", "--cacert", str(tmp_path / "localhost.pem"),
         "https://localhost:%d/any" % port],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15,
    )
    assert out.stdout == HELLO_RESPONSE, (out.stdout, out.stderr, prog.output())
    context = ssl.create_default_context(cafile=str(tmp_path / "localhost.pem"))

    def one(i):
        # Read to the server's close: its TLS slot is free again for the next round.
        raw = socket.create_connection(("127.0.0.1", port), 15)
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            conn.sendall(b"GET /page/%d HTTP/1.0\r\n\r\n" % i)
            return recv_until_eof(conn)

    at_once = harness.boards_profile("esp32")["tls_max"]
    for _ in range(3):
        workers = [Worker(one, i) for i in range(at_once)]
        for w in workers:
            w.start()
        got = [w.get(30) for w in workers]
        assert got == [HELLO_RESPONSE] * at_once, prog.output()
    assert prog.returncode is None, prog.output()
    no_task_errors(prog)


# ---------------------------------------------------------------------------
# ex04: asynchronous client socket


def test_ex04_async_client(program, tcp_peer):
    def serve(conn):
        conn.sendall(b"first")
        time.sleep(0.2)
        conn.sendall(b"second")
        conn.shutdown(socket.SHUT_WR)
        return recv_until_eof(conn)  # the program sends nothing and closes

    peer = tcp_peer(serve)
    prog = program(example("ex04_async_client"), "127.0.0.1", peer.port)
    prog.wait_for_line("closed")
    assert prog.wait() == 0, prog.output()
    lines = prog.lines()
    received = [line for line in lines if line.startswith("received: ")]
    assert received, prog.output()
    text = "".join(line[len("received: "):] for line in received)
    assert text == "firstsecond", prog.output()
    # The 0.2 s pause puts the words in separate reads (normally exactly two lines).
    assert received[0].startswith("received: first"), prog.output()
    assert lines[-1] == "closed" and lines.count("closed") == 1, prog.output()
    assert peer.result() == b""
    no_task_errors(prog)


# ---------------------------------------------------------------------------
# ex07, ex08, ex09: echo servers

ECHO_EXAMPLES = ["ex07_async_echo", "ex08_deferred_write", "ex09_cosocket_echo"]


@pytest.fixture(params=ECHO_EXAMPLES)
def echo_server(request, program):
    """An echo example, listening; yields (prog, port)."""
    port = harness.free_port()
    prog = program(example(request.param), port)
    assert prog.ready() == port
    yield prog, port
    # After every test: the server is still serving and no task failed.
    assert prog.returncode is None, prog.output()
    no_task_errors(prog)


def echo_stream(port, payload, half_close=False, timeout=20):
    """Send payload from a thread while reading here; returns what came back.

    Without half_close it reads len(payload) bytes; with half_close it shuts down its
    writing side after the payload and reads until EOF.
    """
    with connect(port, timeout) as s:

        def send():
            s.sendall(payload)
            if half_close:
                s.shutdown(socket.SHUT_WR)

        sender = Worker(send)
        sender.start()
        data = recv_until_eof(s) if half_close else recv_exactly(s, len(payload))
        sender.get(timeout)
        return data


def test_echo_small_messages(echo_server):
    prog, port = echo_server
    with connect(port) as s:
        for msg in (b"hello", b"x", b"second message\n", bytes(range(256)), b"\x00" * 7):
            s.sendall(msg)
            assert recv_exactly(s, len(msg)) == msg, prog.output()
    # A second connection after the first one closed.
    with connect(port) as s:
        s.sendall(b"again")
        assert recv_exactly(s, 5) == b"again", prog.output()


def test_echo_2mb(echo_server):
    prog, port = echo_server
    payload = os.urandom(2 * 1024 * 1024)
    data = echo_stream(port, payload)
    assert len(data) == len(payload), prog.output()
    assert data == payload, "echo differs from payload\n" + prog.output()


def pool_slots():
    """Jobs the esp32 worker pool takes however busy its workers are (its queue)."""
    return board_profile(harness.DEFAULT_BOARD)["pool_queue"]


def echo_concurrently(port, count, size=128 * 1024):
    """count clients at once, each streaming its own payload; returns [(payload, result)].

    A result is the echoed bytes, or the exception the client met."""
    payloads = [bytes([i]) * 16 + os.urandom(size) for i in range(count)]
    workers = [Worker(echo_stream, port, p) for p in payloads]
    for w in workers:
        w.start()
    results = []
    for w, p in zip(workers, payloads):
        w.join(30)
        assert not w.is_alive(), "an echo client hung"
        results.append((p, w.error if w.error is not None else w.result))
    return results


def test_echo_concurrent_clients(echo_server):
    prog, port = echo_server
    count = 8
    for i, (payload, got) in enumerate(echo_concurrently(port, count)):
        assert not isinstance(got, BaseException), "client %d: %r\n%s" % (i, got, prog.output())
        assert len(got) == len(payload), "client %d\n%s" % (i, prog.output())
        assert got == payload, "client %d got other data\n%s" % (i, prog.output())


def test_ex08_more_clients_than_pool(program):
    """8 streaming clients against ex08 on the esp32 pool (2 workers, queue 4): a write job
    the pool refuses is retried, so every client gets its own data back, byte for byte."""
    port = harness.free_port()
    prog = program(example("ex08_deferred_write"), port)
    assert prog.ready() == port
    results = echo_concurrently(port, 8)
    for i, (payload, got) in enumerate(results):
        assert not isinstance(got, BaseException), (got, prog.output())
        assert got == payload, "client %d got other data\n%s" % (i, prog.output())
    no_task_errors(prog)
    assert prog.returncode is None, prog.output()


def test_echo_half_close(echo_server):
    prog, port = echo_server
    payload = os.urandom(300 * 1024)
    data = echo_stream(port, payload, half_close=True)  # returns only at EOF
    assert len(data) == len(payload), prog.output()
    assert data == payload, prog.output()
    # A small one too: data then FIN in the same breath.
    with connect(port) as s:
        s.sendall(b"bye")
        s.shutdown(socket.SHUT_WR)
        assert recv_until_eof(s) == b"bye", prog.output()


# ---------------------------------------------------------------------------
# ex10: cosocket client (against ex09 on the same runtime)


def test_ex10_cosocket_client(program):
    port = harness.free_port()
    server = program(example("ex09_cosocket_echo"), port)
    assert server.ready() == port
    prog = program(example("ex10_cosocket_client"), "127.0.0.1", port, 3)
    assert prog.wait() == 0, prog.output()
    assert prog.lines() == ["hello"] * 3, prog.output()
    assert server.returncode is None, server.output()
    no_task_errors(server)


def test_ex10_connect_refused(program):
    port = harness.free_port()  # nothing listens there
    prog = program(example("ex10_cosocket_client"), "127.0.0.1", port, 3)
    line = prog.wait_for_line("connect failed:")
    assert "CannotConnect" in line, prog.output()
    assert prog.wait() == 0, prog.output()
    assert "hello" not in prog.lines(), prog.output()


# ---------------------------------------------------------------------------
# ex12a: cosocket flow control


def slow_sink(expected, pause):
    """A TCP handler that reads slowly until expected bytes, then answers ``OK n sha``."""

    def handle(conn):
        h = hashlib.sha256()
        count = 0
        started = time.monotonic()
        while count < expected:
            data = conn.recv(16384)
            if not data:
                break
            h.update(data)
            count += len(data)
            if pause:
                time.sleep(pause)
        elapsed = time.monotonic() - started
        conn.sendall(("OK %d %s" % (count, h.hexdigest())).encode())
        conn.shutdown(socket.SHUT_WR)
        return count, h.hexdigest(), elapsed

    return handle


A_SENT = re.compile(r"^A sent (\d+) most queued (\d+) queuelen (\d+)$")


def a_sent(prog):
    lines = [line for line in prog.lines() if line.startswith("A sent")]
    assert len(lines) == 1, prog.output()
    m = A_SENT.match(lines[0])
    assert m, prog.output()
    return tuple(int(g) for g in m.groups())


def test_ex12a_flow_control_file(program, tcp_peer, tmp_path):
    size = 4 * 1024 * 1024
    data = os.urandom(size)
    path = tmp_path / "stream.bin"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    queuelen = board_profile(harness.DEFAULT_BOARD)["queuelen"]

    peer = tcp_peer(slow_sink(size, 0.005), rcvbuf=32768)
    prog = program(example("ex12a_flow_control"), "127.0.0.1", peer.port, str(path))
    assert prog.wait(60) == 0, prog.output()
    count, digest, _ = peer.result()
    assert (count, digest) == (size, sha), prog.output()
    assert "B received: OK %d %s" % (size, sha) in prog.lines(), prog.output()
    sent, most_queued, qlen = a_sent(prog)
    assert sent == size, prog.output()
    assert qlen == queuelen, prog.output()
    # The slow reader made A wait on the queue, and the queue never outgrew queuelen
    # (on MicroPython's 110 KiB heap the 4 MiB could never have been buffered).
    assert 0 < most_queued <= qlen, prog.output()
    no_task_errors(prog)


def test_ex12a_flow_control_throttled(program, tcp_peer):
    size, throttle_ms, chunk = 100000, 5, 1024
    pattern = (bytes(range(256)) * (size // 256 + 1))[:size]
    sha = hashlib.sha256(pattern).hexdigest()

    peer = tcp_peer(slow_sink(size, 0))
    prog = program(
        example("ex12a_flow_control"), "127.0.0.1", peer.port, str(size), str(throttle_ms)
    )
    assert prog.wait(30) == 0, prog.output()
    count, digest, elapsed = peer.result()
    assert (count, digest) == (size, sha), prog.output()
    assert "B received: OK %d %s" % (size, sha) in prog.lines(), prog.output()
    sent, _most_queued, _qlen = a_sent(prog)
    assert sent == size, prog.output()
    # A sleeps throttle_ms after each of its 98 chunks (a read on the unconnected
    # cosocket); 97 of those sleeps fall between the first and the last byte.
    chunks = -(-size // chunk)
    assert elapsed >= (chunks - 1) * throttle_ms / 1000 * 0.98, (elapsed, prog.output())
    no_task_errors(prog)


# ---------------------------------------------------------------------------
# ex12b + ex12c: a worker thread writing to a cosocket until QueueFull

QUEUE_FULL = re.compile(r"^Socket queue full (\d+) (\d+) after (\d+) writes$")


def test_ex12b_queue_full(program):
    queuelen = board_profile(harness.DEFAULT_BOARD)["queuelen"]
    message = 1000  # len(b"hello" * 200)
    port = harness.free_port()
    server = program(example("ex12c_one_message"), port)
    assert server.ready() == port
    client = program(example("ex12b_queue_full"), "127.0.0.1", port)
    line = client.wait_for_line("Socket queue full")
    assert client.wait() == 0, client.output()
    m = QUEUE_FULL.match(line)
    assert m, client.output()
    queued, qlen, writes = (int(g) for g in m.groups())
    assert qlen == queuelen, client.output()
    # Refused because one more message did not fit, and no more than fits was queued.
    assert 0 < queued <= qlen, client.output()
    assert queued + message > qlen, client.output()
    assert writes * message >= queued and writes >= qlen // message, client.output()
    assert not any(l.startswith("Socket error") for l in client.lines()), client.output()
    server.wait_for_line("received first message; now stop")
    assert server.returncode is None, server.output()
    no_task_errors(client)
    no_task_errors(server)


# ---------------------------------------------------------------------------
# ex13: a proxy in front of a real HTTP server


@pytest.fixture
def web_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    big = os.urandom(5 * 1024 * 1024)
    (root / "big.bin").write_bytes(big)
    index = b"<!doctype html>\n<title>remora proxy test</title>\n<p>Hello through the proxy.</p>\n"
    (root / "index.html").write_bytes(index)
    return root, big, index


def curl(url, out_path, timeout=30):
    """curl -s -0 URL -o out_path; returns (exit code, HTTP status)."""
    proc = subprocess.run(
        ["curl", "-s", "-0", "-o", str(out_path), "-w", "%{http_code}", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout.decode()


def test_ex13_proxy(program, http_servers, web_root, tmp_path):
    root, big, index = web_root
    dest = harness.free_port()
    http_servers(root, dest)
    port = harness.free_port()
    prog = program(example("ex13_proxy"), port, "127.0.0.1", dest)
    assert prog.ready() == port
    base = "http://127.0.0.1:%d/" % port

    out = tmp_path / "index.out"
    assert curl(base + "index.html", out) == (0, "200"), prog.output()
    assert out.read_bytes() == index, prog.output()

    out = tmp_path / "big.out"
    assert curl(base + "big.bin", out) == (0, "200"), prog.output()
    assert out.stat().st_size == len(big), prog.output()
    assert out.read_bytes() == big, "big.bin differs through the proxy\n" + prog.output()

    # Four downloads at once, through the same proxy.
    outs = [tmp_path / ("big%d.out" % i) for i in range(4)]
    procs = [
        subprocess.Popen(
            ["curl", "-s", "-0", "-o", str(o), "-w", "%{http_code}", base + "big.bin"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for o in outs
    ]
    try:
        codes = [(p.wait(60), p.stdout.read().decode()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
    assert codes == [(0, "200")] * 4, prog.output()
    for o in outs:
        assert o.read_bytes() == big, "%s differs\n%s" % (o.name, prog.output())
    assert prog.returncode is None, prog.output()
    no_task_errors(prog)


def test_ex13_proxy_destination_down(program, http_servers, web_root, tmp_path):
    root, _, index = web_root
    dest = harness.free_port()  # nothing listens there yet
    port = harness.free_port()
    while port == dest:
        port = harness.free_port()
    prog = program(example("ex13_proxy"), port, "127.0.0.1", dest)
    assert prog.ready() == port

    # No destination: the proxy closes the client's connection (EOF or reset).
    for _ in range(2):
        with connect(port) as s:
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
            try:
                reply = recv_until_eof(s)
            except ConnectionResetError:
                reply = b""
            assert reply == b"", prog.output()
    assert prog.returncode is None, prog.output()

    # The same proxy serves once its destination is up.
    http_servers(root, dest)
    out = tmp_path / "index.out"
    assert curl("http://127.0.0.1:%d/index.html" % port, out) == (0, "200"), prog.output()
    assert out.read_bytes() == index, prog.output()
    assert prog.returncode is None, prog.output()
    no_task_errors(prog)


# ---------------------------------------------------------------------------
# Examples 2 and 14: WebSocket clients (remora.ws, remora.httpc)


@pytest.fixture
def ws_echo_server():
    """The ``websockets`` library's echo server, on a free port."""
    import websockets.sync.server

    def echo(ws):
        for message in ws:
            ws.send(message)

    server = websockets.sync.server.serve(echo, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "ws://127.0.0.1:%d/" % server.socket.getsockname()[1]
    server.shutdown()


def test_ex14_ws_client_on_a_worker_then_a_cosocket(program, ws_echo_server):
    prog = program(example("ex14_ws_client"), ws_echo_server, "3")
    for i in range(3):
        assert prog.wait_for_line("echo:") == "echo: hello %d" % i
    assert prog.wait_for_line("closed") == "closed 1000"
    assert prog.wait(20) == 0
    no_task_errors(prog)


def test_ex02_ws_client_page(runtime, ws_echo_server):
    # The seed's example 2 is a page of the demo (examples/demo/www/wsecho.rsp):
    # the form's message goes over a blocking WebSocket client to an echo
    # server (here the websockets library's), and the page renders the answer.
    from httpserver import Server

    srv = Server(runtime, "--ntp", "127.0.0.1:1", app=os.path.join(EXAMPLES, "demo"), board="esp32")
    try:
        out = subprocess.run(["curl", "-s", "--max-time", "20", "--data-urlencode", "message=<hi> ☃",
                              "--data-urlencode", "url=" + ws_echo_server,
                              "http://127.0.0.1:%d/wsecho.rsp" % srv.port],
                             capture_output=True, timeout=30).stdout.decode()
        assert '<p id="answer">The echo server answered: &lt;hi&gt; ☃</p>' in out, (out, srv.output())
        # Without a url, the page uses the demo's own /ws/echo.
        out = subprocess.run(["curl", "-s", "--max-time", "20", "--data", "message=self",
                              "http://127.0.0.1:%d/wsecho.rsp" % srv.port],
                             capture_output=True, timeout=30).stdout.decode()
        assert '<p id="answer">The echo server answered: self</p>' in out, (out, srv.output())
    finally:
        srv.stop()


# -- ex11: a secure client connection from a cosocket --------------------------


def test_ex11_tls_client(program, tmp_path):
    from test_tls import Peer

    from remora_tools import cert

    cert.make(str(tmp_path), "localhost")
    cert.make(str(tmp_path), "other", ["other.example"])
    peer = Peer(str(tmp_path))  # openssl s_server -rev: each line comes back reversed
    try:
        ca = str(tmp_path / "localhost.pem")
        prog = program(example("ex11_tls_client"), "localhost", peer.port, ca)
        assert prog.wait_for_line("secure:") == "secure: True"
        assert prog.wait_for_line("received:") == "received: SLT revo olleh"
        assert prog.wait(20) == 0
        # A server whose certificate the CA file does not vouch for.
        other = str(tmp_path / "other.pem")
        prog = program(example("ex11_tls_client"), "localhost", peer.port, other)
        assert prog.wait_for_line("TLS failed:") == "TLS failed: NotTrusted"
        assert prog.wait(20) == 0
    finally:
        peer.stop()


# -- ex05 and ex15: a page's WebSocket in asynchronous mode, frames by type ----


def test_ex05_ex15_websocket_page_async_frames(runtime):
    import asyncio

    import websockets
    from httpserver import Server

    srv = Server(runtime, "--ntp", "127.0.0.1:1", app=os.path.join(EXAMPLES, "demo"), board="esp32")

    async def talk():
        url = "ws://127.0.0.1:%d/wsasync.rsp" % srv.port
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send("héllo")
            first = await ws.recv()
            await ws.send(bytes(range(256)) * 16)  # 4,096 bytes: pieces of 1 KiB on the ESP32
            second = await ws.recv()
            return first, second

    try:
        first, second = asyncio.run(asyncio.wait_for(talk(), 30))
        assert first == "UTF-8 frame: héllo", srv.output()
        assert second == "binary frame: 4096 bytes", srv.output()
        # Without the upgrade, the page says what it is for.
        out = subprocess.run(["curl", "-s", "-i", "http://127.0.0.1:%d/wsasync.rsp" % srv.port],
                             capture_output=True, timeout=30).stdout
        assert out.startswith(b"HTTP/1.1 400"), out
    finally:
        srv.stop()
