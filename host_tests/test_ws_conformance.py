"""RFC 6455 conformance of remora's WebSocket server and client, case by case, on both
runtimes: the Autobahn|Testsuite's categories (1 framing, 2 pings and pongs, 3 reserved
bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close, 9 limits, 10 auto-fragmentation)
played by a raw-socket peer (host_tests/wscases.py has the cases and what they expect).

The server is the test app's ``/ws/echo`` (whole messages) and ``/ws/stream`` (pieces,
for messages at the profile's limit) on the ESP32-S3 with PSRAM's profile (1 MiB heap:
room for a 64 KiB text message beside its str on MicroPython; on the smaller boards
such a message may fail with 1009, the answer for a message the heap cannot hold, as
unit/test_ws_*.py and test_ws_server.py check); the client is
programs/ws_conformance_client.py against a raw server that plays the same cases with
unmasked frames.  Every case opens a connection of its own, so each failure is also
a check that the next connection is served.
"""

import base64
import hashlib
import os
import socket
import threading

import pytest
from httpserver import Server
from wscases import Peer, limit_cases, server_cases, short
from wsframes import RawClient

import harness

APP = os.path.join(harness.REPO, "host_tests", "apps", "wsapp")
BOARD = "esp32s3spiram"
LIMIT = harness.boards_profile(BOARD)["ws_max_message"]
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PROBE = os.path.join(harness.REPO, "host_tests", "programs", "ws_conformance_client.py")

CASES = server_cases(mask=True)
CATEGORIES = sorted({name.split()[0] for name, _, _, _ in CASES})


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def srv(request):
    server = Server(request.param, app=APP, board=BOARD)
    yield server
    server.stop()


def play_against(port, path, case):
    """None when the server did what the case expects, else what it did."""
    name, steps, expect, code = case
    c = RawClient(port, path)
    if c.status != 101:
        c.close()
        return "no 101: %r" % c.head[:60]
    peer = Peer(c.sock, c.buf, masked=False)
    try:
        events, got = peer.play(steps)
        ended = peer.ends()
    finally:
        c.close()
    if events != expect or got != code or not ended:
        return "%s then %s%s" % (short(events), got, "" if ended else ", not ended")
    return None


@pytest.mark.parametrize("category", CATEGORIES)
def test_server(srv, category):
    wrong = {}
    for case in CASES:
        if case[0].split()[0] == category:
            outcome = play_against(srv.port, "/ws/echo", case)
            if outcome is not None:
                wrong[case[0]] = (outcome, "expected", short(case[2]), case[3])
    assert not wrong, wrong
    assert srv.returncode is None, srv.output()


def test_server_message_limit(srv):
    wrong = {}
    for case in limit_cases(LIMIT, mask=True):
        outcome = play_against(srv.port, "/ws/stream", case)
        if outcome is not None:
            wrong[case[0]] = outcome
    assert not wrong, wrong
    assert "Traceback" not in srv.output()


# -- the client ------------------------------------------------------------------------


def serve_cases(cases, results):
    """A raw server on a free port: /case/I plays cases[I] with unmasked frames and puts
    what the client did in results[I].  Returns the listening socket."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)

    def handle(conn):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            head, _, rest = head.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            index = int(lines[0].split()[1].rsplit("/", 1)[1])
            key = [line.split(":", 1)[1].strip() for line in lines
                   if line.lower().startswith("sec-websocket-key:")][0]
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                          % accept).encode())
            conn.settimeout(20)
            peer = Peer(conn, rest, masked=True)
            try:
                events, code = peer.play(cases[index][1])
            except AssertionError as exc:  # an unmasked frame, or reserved bits
                events, code = [], str(exc)
            results[index] = (events, code)
        except OSError as exc:
            results.setdefault(index, ([], "error %s" % exc))
        finally:
            conn.close()  # §7.1.1: the server closes TCP first

    def loop():
        while True:
            try:
                conn, _ = lst.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return lst


@pytest.fixture
def board():
    return BOARD


def test_client(program):
    cases = server_cases(mask=False)
    limits = limit_cases(LIMIT, mask=False)
    results = {}
    lst = serve_cases(cases + limits, results)
    try:
        prog = program(PROBE, "ws://127.0.0.1:%d" % lst.getsockname()[1], str(len(cases)),
                       str(len(limits)))
        prog.wait_for_line("DONE", 300)
    finally:
        lst.close()
    said = {}
    for line in prog.lines():
        if line.startswith("CASE "):
            _, index, rest = line.split(" ", 2)
            said[int(index)] = rest
    wrong = {}
    for index, (name, _steps, expect, code) in enumerate(cases + limits):
        events, got = results.get(index, ([], "no connection"))
        # The client's own account: the code it sent (or echoed), clean when their close
        # came first; 1005 for an empty close is what both sides call it.
        clean = code in (1000, 1005) or name.startswith("7 valid code")
        told = said.get(index)
        if events != expect or got != code or told != "%s %s" % (code, clean):
            wrong[name] = (short(events), got, told, "expected", short(expect), code)
    assert not wrong, wrong
    assert "Traceback" not in prog.output()
