"""TLS on both runtimes (issue 18), against real peers.

The servers run on the ``runtime`` (CPython, or the simulated board's firmware with its
own Mbed TLS) and the clients are real ones: CPython's ssl (http.client, raw sockets, the
websockets library), curl and ``openssl s_client``; remora's TLS clients talk to
``openssl s_server`` and to CPython's ssl.  The MicroPython firmware speaks TLS 1.2 only
and sends no close_notify: the checks accept both, and say which version was agreed.

Certificates come from ``remora cert`` (tools/remora_tools/cert.py): ``localhost.*`` is
what the servers use and the clients trust, ``other.*`` a CA they do not trust.
"""

import http.client
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

import harness
from harness import free_port
from remora_tools import cert

SCENARIOS = "host_tests/programs/tls_scenarios.py"
HTTPS_APP = "host_tests/programs/https_app.py"


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("certs"))
    cert.make(folder, "localhost")
    cert.make(folder, "other", ["other.example"])
    return folder


def client_context(certs):
    return ssl.create_default_context(cafile=os.path.join(certs, "localhost.pem"))


def results(prog, timeout=30):
    rc = prog.wait(timeout)
    assert rc == 0, prog.output()
    assert "DONE" in prog.lines(), prog.output()
    found = {}
    for line in prog.lines():
        if line.startswith("RESULT "):
            _, key, value = line.split(" ", 2)
            found[key] = value
    return found


def wait_closed(sock, timeout=15):
    """True once the peer has closed sock (EOF or reset), False at the timeout."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return False
    except OSError:
        pass
    return True


class Peer:
    """openssl s_server -rev (every line comes back reversed) on a free port."""

    def __init__(self, certs, *extra):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", str(self.port), "-rev", "-quiet",
             "-cert", os.path.join(certs, "localhost.pem"),
             "-key", os.path.join(certs, "localhost-key.pem"), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("openssl s_server did not start")
                time.sleep(0.05)

    def stop(self):
        self.proc.kill()
        self.proc.wait(5)


@pytest.fixture
def s_server(certs):
    peer = Peer(certs)
    yield peer
    peer.stop()


class LineServer(threading.Thread):
    """A TCP server on a free port running handle(conn) for each connection, in turn."""

    def __init__(self, handle, count=1):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.handle = handle
        self.count = count
        self.errors = []
        self.start()

    def run(self):
        for _ in range(self.count):
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    self.handle(conn)
                except Exception as exc:  # reported by the test
                    self.errors.append(repr(exc))

    def close(self):
        self.listener.close()


# -- the HTTP server over TLS --------------------------------------------------------------


def start_https(program, certs, *extra, board="esp32s3"):
    plain, secure = free_port(), free_port()
    prog = program(HTTPS_APP, certs, plain, secure, *extra, board=board)
    prog.ready()
    prog.ready()
    return prog, plain, secure


def https_get(port, certs, path, conn=None):
    conn = conn or http.client.HTTPSConnection("localhost", port, context=client_context(certs),
                                               timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, resp.read(), conn


def test_https_server(program, certs, runtime):
    prog, plain, secure = start_https(program, certs)
    # CPython's ssl as the client, kept alive across requests.
    status, body, conn = https_get(secure, certs, "/hello")
    assert (status, body) == (200, b"Hello, world!")
    status, body, conn = https_get(secure, certs, "/big", conn)
    assert status == 200 and body == b"0123456789" * 4000
    payload = os.urandom(3000)
    conn.request("POST", "/echo", body=payload)
    resp = conn.getresponse()
    assert (resp.status, resp.read()) == (200, payload)
    version = conn.sock.version()
    conn.close()
    if runtime == "micropython":
        assert version == "TLSv1.2"  # the firmware's Mbed TLS configuration
    # curl, verifying against the development certificate.
    out = subprocess.run(
        ["curl", "-sS", "--cacert", os.path.join(certs, "localhost.pem"),
         "https://localhost:%d/hello" % secure],
        capture_output=True, text=True, timeout=20,
    )
    assert out.stdout == "Hello, world!", out.stderr
    # openssl s_client: verifies the chain and the name, speaks HTTP/1.0.
    out = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % secure, "-servername", "localhost",
         "-CAfile", os.path.join(certs, "localhost.pem"), "-verify_hostname", "localhost",
         "-verify_return_error", "-ign_eof"],
        input=b"GET /hello HTTP/1.0\r\n\r\n", capture_output=True, timeout=20,
    )
    assert b"Verify return code: 0 (ok)" in out.stdout, out.stdout + out.stderr
    assert b"Hello, world!" in out.stdout
    # The plain server beside it, on the same dispatcher.
    conn = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
    conn.request("GET", "/hello")
    assert conn.getresponse().read() == b"Hello, world!"
    conn.close()


def test_wss(program, certs):
    from websockets.sync.client import connect

    prog, _plain, secure = start_https(program, certs)
    url = "wss://localhost:%d/ws" % secure
    with connect(url, ssl=client_context(certs), open_timeout=10) as ws:
        ws.send("hello over wss")
        assert ws.recv(10) == "hello over wss"
        big = os.urandom(20000)
        ws.send(big)
        assert ws.recv(10) == big


def client_hello():
    """The first flight of a real TLS client (CPython's ssl), as bytes."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def test_stalled_handshake(program, certs):
    """A client that stalls in the middle of its handshake holds no one up and is
    dropped at the handshake timeout (tls_handshake_ms, 2 s here)."""
    prog, plain, secure = start_https(program, certs, 2000)
    stalled = socket.create_connection(("127.0.0.1", secure), 10)
    stalled.sendall(client_hello())  # then nothing: the server's flight goes unanswered
    silent = socket.create_connection(("127.0.0.1", secure), 10)  # not even a ClientHello
    try:
        for _ in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
            conn.request("GET", "/hello")
            assert conn.getresponse().read() == b"Hello, world!"
            conn.close()
        status, body, conn = https_get(secure, certs, "/hello")
        conn.close()
        assert (status, body) == (200, b"Hello, world!")
        # Served while both stalled connections were still open.
        for sock in (stalled, silent):
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                while sock.recv(4096):  # the server's first flight, if any
                    pass
        assert wait_closed(stalled) and wait_closed(silent), prog.output()
    finally:
        stalled.close()
        silent.close()
    prog.wait_for_line("remora: TLS: TLS handshake timeout")


def test_tls_cap_and_flood(program, certs, runtime):
    """The ESP32 board (110 KiB heap; each TLS connection's buffers are on it, on the
    simulated board): TLS connections beyond its tls_max are closed at accept, a flood
    of them is refused, and plain HTTP answers all along."""
    cap = harness.boards_profile("esp32")["tls_max"]
    prog, plain, secure = start_https(program, certs, 3000, "lean", board="esp32")

    def plain_hello():
        conn = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
        conn.request("GET", "/hello")
        body = conn.getresponse().read()
        conn.close()
        return body

    held = []
    try:
        for _ in range(cap):
            status, body, conn = https_get(secure, certs, "/hello")
            assert status == 200
            held.append(conn)  # kept alive: its TLS buffers stay allocated
        # Beyond the cap: closed before any handshake.
        with pytest.raises((ssl.SSLError, OSError)):
            https_get(secure, certs, "/hello")
        # A flood of handshakes (and of half-open ones) while plain HTTP answers.
        flood = [socket.create_connection(("127.0.0.1", secure), 10) for _ in range(20)]
        for sock in flood[:10]:
            sock.sendall(client_hello())
        assert plain_hello() == b"Hello, world!"
        for sock in flood:
            sock.close()
        for conn in held:  # the held connections still work
            conn.request("GET", "/hello")
            assert conn.getresponse().read() == b"Hello, world!"
    finally:
        for conn in held:
            conn.close()
    # Once they are closed, TLS is served again.
    deadline = time.monotonic() + 10
    while True:
        try:
            status, body, conn = https_get(secure, certs, "/heap")
            conn.close()
            break
        except (ssl.SSLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert status == 200
    assert plain_hello() == b"Hello, world!"
    assert prog.returncode is None, prog.output()
    prog.wait_for_line("remora: TLS: TLS connection cap (tls_max)")


def test_tls_beyond_the_heap(program, certs, runtime):
    """tls_max above what the ESP32's heap holds: the handshakes that find no heap for
    Mbed TLS's buffers close their connection only; the server answers all along, and
    TLS again once the held connections are gone."""
    prog, plain, secure = start_https(program, certs, 3000, "lean", "tlsmax=8", board="esp32")
    held, failed = [], 0
    try:
        for _ in range(6):
            try:
                status, _body, conn = https_get(secure, certs, "/hello")
                held.append(conn)
            except (ssl.SSLError, OSError):
                failed += 1
            conn = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
            conn.request("GET", "/hello")
            assert conn.getresponse().read() == b"Hello, world!"
            conn.close()
        if runtime == "micropython":
            assert failed, "six TLS connections fitted the ESP32's heap"
            prog.wait_for_line("remora: TLS: no heap")
        else:
            assert not failed  # CPython's heap is the machine's
    finally:
        for conn in held:
            conn.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            status, body, conn = https_get(secure, certs, "/hello")
            conn.close()
            break
        except (ssl.SSLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert (status, body) == (200, b"Hello, world!")
    assert prog.returncode is None, prog.output()


# -- remora's TLS clients ------------------------------------------------------------------


def test_tls_client(program, certs, s_server):
    r = results(program(SCENARIOS, "client", certs, s_server.port))
    assert r["task_secure"] == "True"
    assert r["task_echo"] == "slt revo olleh"
    assert r["task_long"] == "True"
    assert r["worker_echo"] == "rekrow a morf"


def test_tls_client_errors(program, certs, s_server):
    def junk(conn):
        conn.recv(4096)
        conn.sendall(b"220 not TLS here\r\n")

    plain = LineServer(junk, count=1)
    try:
        r = results(program(SCENARIOS, "client_errors", certs, s_server.port, plain.port))
    finally:
        plain.close()
    assert r["untrusted"] == "NotTrusted"
    assert r["wrong_name"] == "WrongName"
    assert r["not_tls"] == "HandshakeFailed"
    assert r["worker_untrusted"] == "NotTrusted"
    assert r["worker_wrong_name"] == "WrongName"
    assert r["server_context"] == "ValueError"


def test_client_handshake_suspends_only_its_task(program, certs):
    """Seed, Figure 1: connect and handshake in a cosocket suspend that task only."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts (the kernel does) and never answers
    try:
        r = results(program(SCENARIOS, "stalled_handshake", certs, listener.getsockname()[1]))
    finally:
        listener.close()
    assert r["stalled"] == "Timeout"
    assert r["ticked"] == "True"
    assert r["state"] == "closed"


# -- upgrade, both sides ---------------------------------------------------------------


def test_upgrade_server_starttls(program, certs):
    """remora's server upgrades midway (STARTTLS); the peer is openssl s_client."""
    port = free_port()
    prog = program(SCENARIOS, "upgrade_server", certs, port)
    prog.ready()
    out = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-starttls", "smtp",
         "-CAfile", os.path.join(certs, "localhost.pem"), "-verify_hostname", "localhost",
         "-verify_return_error", "-ign_eof", "-quiet"],
        input=b"hello secure\r\nQUIT\r\n", capture_output=True, timeout=20,
    )
    assert b"250 HELLO SECURE" in out.stdout, out.stdout + out.stderr + prog.output().encode()
    prog.wait_for_line("RESULT server_secure True")
    prog.wait_for_line("RESULT server_done yes")


def test_upgrade_client(program, certs):
    """remora's client upgrades midway; the peer is CPython's ssl."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(certs, "localhost.pem"),
                            os.path.join(certs, "localhost-key.pem"))

    def starttls(conn):
        f = conn.makefile("rb")
        assert f.readline() == b"STARTTLS\n"
        conn.sendall(b"220 go ahead\n")
        with context.wrap_socket(conn, server_side=True) as secure:
            line = secure.makefile("rb").readline()
            secure.sendall(b"secure " + line)

    peer = LineServer(starttls, count=2)
    try:
        r = results(program(SCENARIOS, "upgrade_client", certs, peer.port))
    finally:
        peer.close()
    assert not peer.errors, peer.errors
    assert r["plain_answer"] == "220 go ahead"
    assert (r["before"], r["after"]) == ("False", "True")
    assert r["task_echo"] == "secure task"
    assert r["worker_echo"] == "secure worker"


# -- https:// and wss:// in remora's HTTP and WebSocket clients ----------------------------


def test_https_and_wss_clients(program, certs):
    """remora.httpc and remora.ws.connect over TLS, in a task and on a worker; the peers
    are CPython's http.server and the websockets library, both behind CPython's ssl."""
    import http.server

    from websockets.sync.server import serve

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(certs, "localhost.pem"),
                            os.path.join(certs, "localhost-key.pem"))

    class Hello(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = b"secure hello"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    web.socket = context.wrap_socket(web.socket, server_side=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()

    def echo(ws):
        for message in ws:
            ws.send(message)

    wss = serve(echo, "127.0.0.1", 0, ssl=context)
    threading.Thread(target=wss.serve_forever, daemon=True).start()
    try:
        r = results(program(
            SCENARIOS, "httpc", certs, "https://localhost:%d/hello" % web.server_address[1],
            "wss://localhost:%d/" % wss.socket.getsockname()[1]))
    finally:
        web.shutdown()
        web.server_close()
        wss.shutdown()
    assert r["task_https"] == "200 secure hello"
    assert r["task_https_again"] == "200"
    assert r["worker_https"] == "200 secure hello"
    assert r["untrusted"] == "NotTrusted"
    assert r["task_wss"] == "task"
    assert r["worker_wss"] == "worker"
