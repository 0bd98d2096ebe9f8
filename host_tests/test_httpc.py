"""remora's HTTP client (remora.httpc) against a real HTTP/1.1 server, on both runtimes.

The peer is Python's own ``http.server`` (HTTP/1.1, keep-alive) with a few
handlers: an echo of what arrived, a chunked answer, redirects, Basic and
Digest (RFC 7616, SHA-256 and MD5, checked here independently of remora)
and a slow answer.  The probe program (host_tests/programs/httpc_probe.py)
runs every check awaited in a task and blocking on a worker thread.
"""

import hashlib
import http.server
import json
import os
import threading
import time

import pytest

import harness

PROBE = os.path.join(harness.REPO, "host_tests", "programs", "httpc_probe.py")
USERS = {"bob": "pw2"}
REALM = "test"
NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"


def h(algorithm, text):
    fn = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
    return fn(text.encode()).hexdigest()


def digest_ok(header, algorithm, method):
    if not header or not header.startswith("Digest "):
        return False
    params = {}
    for part in header[7:].split(","):
        name, _, value = part.strip().partition("=")
        params[name] = value.strip('"')
    password = USERS.get(params.get("username"))
    if password is None or params.get("algorithm") != algorithm or params.get("nonce") != NONCE:
        return False
    ha1 = h(algorithm, "%s:%s:%s" % (params["username"], REALM, password))
    ha2 = h(algorithm, "%s:%s" % (method, params["uri"]))
    want = h(algorithm, ":".join((ha1, NONCE, params["nc"], params["cnonce"], "auth", ha2)))
    return params.get("qop") == "auth" and params.get("response") == want


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out, "chunked"
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", 0))
        return self.rfile.read(length), "length" if length else "none"

    def handle_any(self):
        path = self.path
        if path.startswith("/echo") or path == "/see-other-target":
            data, framing = self.body()
            answer = {"method": self.command, "path": path, "framing": framing,
                      "x-test": self.headers.get("X-Test"), "host": self.headers.get("Host"),
                      "ctype": self.headers.get("Content-Type"),
                      "body": data.decode("latin-1")[:60], "size": len(data)}
            return self.send(200, json.dumps(answer).encode(), "application/json")
        self.body()
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.command != "HEAD":
                for i in range(50):
                    piece = b"chunk%03d " % i * 20
                    self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")
            return
        if path == "/peer":
            return self.send(200, str(self.client_address[1]).encode())
        if path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            if n == 0:
                return self.send(200, b"arrived")
            target = "/redirect/%d" % (n - 1) if n % 2 else "http://%s/redirect/%d" % (
                self.headers["Host"], n - 1)  # relative and absolute Locations
            return self.send(302, b"", extra=[("Location", target)])
        if path == "/see-other":
            return self.send(303, b"", extra=[("Location", "/see-other-target")])
        if path == "/basic":
            if self.headers.get("Authorization") == "Basic YW5uOnB3MQ==":
                return self.send(200, b"hello ann")
            return self.send(401, b"no", extra=[("WWW-Authenticate", 'Basic realm="test"')])
        if path.startswith("/digest/"):
            algorithm = path.split("/")[2].split("?")[0]
            if digest_ok(self.headers.get("Authorization"), algorithm, self.command):
                return self.send(200, b"hello bob " + algorithm.encode())
            challenge = 'Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", opaque="op"' % (
                REALM, algorithm, NONCE)
            return self.send(401, b"no", extra=[("WWW-Authenticate", 'Basic realm="x"'),
                                                ("WWW-Authenticate", challenge)])
        if path == "/drop":
            self.send(200, b"dropped")
            self.wfile.flush()
            self.close_connection = True  # closes with no "Connection: close"
            return
        if path == "/slow":
            time.sleep(2)
            return self.send(200, b"late")
        return self.send(404, b"")

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any


@pytest.fixture(scope="module")
def peer():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def results(program, peer):
    prog = program(PROBE, peer)
    prog.wait_for_line("DONE", 90)
    out = {}
    for line in prog.lines():
        if line.startswith("RESULT "):
            _, mode, name, value = line.split(" ", 3)
            out[mode, name] = json.loads(value)
    assert not [line for line in prog.lines() if line.startswith("remora:")], prog.output()
    return out


@pytest.mark.parametrize("mode", ["task", "worker"])
def test_http_client(program, peer, mode, request):
    # One probe run per runtime serves both modes (the program runs both).
    cache = request.config.cache_results = getattr(request.config, "cache_results", {})
    key = request.node.callspec.params["runtime"]
    if key not in cache:
        cache[key] = results(program, peer)
    got = {name: value for (m, name), value in cache[key].items() if m == mode}
    port = peer.rsplit(":", 1)[1]
    assert got["query"]["path"] == "/echo?x=1&q=a%20b%26c"
    assert got["query"]["x-test"] == "yes" and got["query"]["host"] == "127.0.0.1:" + port
    assert got["post"]["framing"] == "length" and got["post"]["size"] == 3000
    assert got["stream"]["framing"] == "chunked"
    assert got["stream"]["body"] == "part0;part1;part2;part3;part4;"
    assert got["json"]["ctype"] == "application/json" and json.loads(got["json"]["body"]) == {"a": [1, 2]}
    assert got["chunked"] == [200, 50 * 180, "chunk000 chu"]
    assert got["keepalive1"] == got["keepalive2"]  # the same connection, kept alive
    assert got["redirect"] == [200, "arrived", [302, 302, 302]]
    assert got["toomany"] == [302, [302, 302]]
    assert got["see_other"] == [200, "GET"]
    assert got["noauth"] == 401
    assert got["basic"] == [200, "hello ann"] and got["userinfo"] == [200, "hello ann"]
    assert got["digest256"] == [200, "hello bob SHA-256"]
    assert got["digest_md5"] in ([200, "hello bob MD5"], 401)  # MD5 where hashlib has it
    if request.node.callspec.params["runtime"] == "cpython":
        assert got["digest_md5"] == [200, "hello bob MD5"]
    assert got["badauth"] == 401
    assert got["timeout"] == "error Timeout"
    assert got["head"] == [200, 0, None]
    # https:// with no tls= context: the system's CAs on CPython (nothing listens on
    # port 1), none on a board (ValueError: it needs remora.tls.client(ca=...)).
    runtime = request.node.callspec.params["runtime"]
    assert got["tls"] == ("error CannotConnect" if runtime == "cpython" else "error ValueError")
    assert got["stale1"] == got["stale2"] == [200, "dropped"]
