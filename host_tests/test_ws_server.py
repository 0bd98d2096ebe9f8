"""remora's WebSocket server (remora.ws) against real clients on both runtimes.

The test app (host_tests/apps/wsapp) on the ESP32 profile (110 KiB heap on the
simulated board; ``ws_max`` 6, ``ws_max_message`` 128 KiB), talked to by the
``websockets`` and ``wsproto`` libraries and, for what those refuse to send
(unmasked frames, invalid UTF-8, lying lengths), by raw frames.
"""

import asyncio
import base64
import json
import os
import socket
import subprocess
import time

import pytest
import websockets
import wsproto
import wsproto.events as wse
from httpserver import Server, status_of
from wsframes import RawClient, close_payload, frame

import harness

APP = os.path.join(harness.REPO, "host_tests", "apps", "wsapp")
PROFILE = harness.boards_profile("esp32")


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def srv(request):
    server = Server(request.param, app=APP, board="esp32")
    yield server
    server.stop()


def url(srv, path):
    return "ws://127.0.0.1:%d%s" % (srv.port, path)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def get_count(srv):
    out = subprocess.run(["curl", "-s", "--max-time", "10", "http://127.0.0.1:%d/count" % srv.port],
                         capture_output=True, timeout=20).stdout
    return json.loads(out)


def wait_count(srv, n, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        got = get_count(srv)["websockets"]
        if got == n or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_echo_text_binary_and_fragments(srv):
    async def go():
        async with websockets.connect(url(srv, "/ws/echo")) as ws:
            await ws.send("héllo ☃")
            assert await ws.recv() == "héllo ☃"
            await ws.send(b"\x00\xff" * 10)
            assert await ws.recv() == b"\x00\xff" * 10
            await ws.send(["frag", "mented ", "☃"])  # three frames, one message
            assert await ws.recv() == "fragmented ☃"
            await ws.send([b"a", b"b"])
            assert await ws.recv() == b"ab"
            big = os.urandom(20000)  # 16-bit length, many reads on the board
            await ws.send(big)
            assert await ws.recv() == big
            await ws.send("")
            assert await ws.recv() == ""
            pong = await ws.ping(b"tok")
            await asyncio.wait_for(pong, 10)
        assert ws.close_code == 1000
    run(go())
    assert wait_count(srv, 0) == 0


def test_async_mode_and_page_entry(srv):
    async def go():
        for path in ("/ws/async", "/ws/page", "/pages/ws.rsp"):
            async with websockets.connect(url(srv, path)) as ws:
                await ws.send("in " + path)
                assert await ws.recv() == "in " + path
    run(go())


def test_streamed_echo_over_64k(srv):
    # Read as it arrives, written back as fragments: a 100 KB message (a
    # 64-bit length) on the ESP32's heap, never held whole.
    async def go():
        async with websockets.connect(url(srv, "/ws/stream"), max_size=None) as ws:
            big = os.urandom(100000)
            await ws.send(big)
            assert await ws.recv() == big
            text = "ü" * 40000
            await ws.send(text)
            assert await ws.recv() == text
    run(go())


def test_read_reports_bytes_so_far_and_frame_length(srv):
    async def go():
        async with websockets.connect(url(srv, "/ws/info")) as ws:
            await ws.send(b"x" * 10)
            assert await ws.recv() == "10/10F"
            await ws.send([b"abc", b"defg"])
            assert await ws.recv() == "3/3 4/4 0/0F"  # websockets ends with an empty frame
            await ws.send(b"y" * 5000)  # arrives in several reads of recv_size
            pieces = (await ws.recv()).split()
            assert len(pieces) > 1 and pieces[-1] == "5000/5000F"
            assert all(p.endswith("/5000") for p in pieces[:-1])
    run(go())


def test_subprotocol_and_wsproto_client(srv):
    # wsproto as the client: handshake, subprotocol, echo, close handshake.
    conn = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(conn.send(wse.Request(host="127.0.0.1", target="/ws/chat",
                                        subprotocols=["nope", "chat"])))
    events = []

    def pump(until):
        while not any(isinstance(e, until) for e in events):
            data = sock.recv(65536)
            conn.receive_data(data or None)
            events.extend(conn.events())
            if not data:
                break

    pump(wse.TextMessage)
    accept = [e for e in events if isinstance(e, wse.AcceptConnection)][0]
    assert accept.subprotocol == "chat"
    assert [e.data for e in events if isinstance(e, wse.TextMessage)] == ["agreed chat"]
    sock.sendall(conn.send(wse.Message(data="through wsproto")))
    events.clear()
    pump(wse.TextMessage)
    assert events[-1].data == "through wsproto"
    sock.sendall(conn.send(wse.CloseConnection(code=1000, reason="bye")))
    events.clear()
    pump(wse.CloseConnection)
    assert [e.code for e in events if isinstance(e, wse.CloseConnection)] == [1000]
    assert sock.recv(10) == b""  # §7.1.1: the server closes TCP first
    sock.close()


def test_ping_between_fragments_is_answered(srv):
    c = RawClient(srv.port)
    assert c.status == 101
    c.send(frame(1, b"one ", fin=False) + frame(9, b"p1") + frame(0, b"two ", fin=False)
           + frame(10, b"unsolicited") + frame(9, b"p2") + frame(0, b"three"))
    got = [c.recv_frame() for _ in range(3)]
    assert got == [(True, 10, b"p1"), (True, 10, b"p2"), (True, 1, b"one two three")]
    c.send(frame(8, close_payload(1000, b"done")))
    assert c.recv_frame() == (True, 8, close_payload(1000))
    assert c.at_eof()
    c.close()


@pytest.mark.parametrize("data, code", [
    (frame(1, b"\xce\xbaa\xed\xa0\x80"), 1007),               # a surrogate: invalid UTF-8
    (frame(1, b"\xf0\x9f", fin=False) + frame(0, b"\x28"), 1007),  # split, then broken
    (frame(2, b"unmasked", mask=False), 1002),                # §5.1
    (frame(2, b"x", rsv=1), 1002),                            # RSV1 without an extension
    (frame(3, b"x"), 1002),                                   # a reserved opcode
    (frame(0, b"x"), 1002),                                   # a continuation of nothing
    (frame(9, b"x" * 126), 1002),                             # a control frame over 125
    (frame(2, b"", length=PROFILE["ws_max_message"] + 1), 1009),  # over ws_max_message
    (frame(8, b"\x03\xe8\xff"), 1007),                        # a close reason not UTF-8
    (frame(8, close_payload(1005)), 1002),                    # a code never sent
])
def test_violations_fail_the_connection(srv, data, code):
    c = RawClient(srv.port)
    assert c.status == 101
    c.send(data)
    assert c.recv_close_code() == code
    assert c.at_eof()
    c.close()
    # The server goes on serving.
    async def go():
        async with websockets.connect(url(srv, "/ws/echo")) as ws:
            await ws.send("still here")
            assert await ws.recv() == "still here"
    run(go())


def test_abrupt_disconnects_leave_nothing_behind(srv):
    for cut in (b"", frame(2, b"half a frame")[:9], frame(1, b"a", fin=False)):
        c = RawClient(srv.port)
        assert c.status == 101
        c.send(cut)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()  # a reset, mid-message for the last two
    assert wait_count(srv, 0) == 0
    assert srv.returncode is None, srv.output()


def test_handler_that_raises_closes_with_1011(srv):
    c = RawClient(srv.port, "/ws/raise")
    c.send(frame(1, b"go"))
    assert c.recv_close_code() == 1011
    c.close()
    srv.wait_for_line("remora: task failed")
    assert wait_count(srv, 0) == 0


def test_keepalive_ping_then_pong_timeout(srv):
    # A client that never answers: a ping after 300 ms of quiet, then our
    # close (1011) when no pong came in time, and the socket closes.
    c = RawClient(srv.port, "/ws/ping")
    assert c.recv_frame()[1] == 9
    assert c.recv_close_code() == 1011
    assert c.at_eof()
    c.close()
    srv.wait_for_line("PING CLOSED")
    # A client that answers stays open across several pings.
    async def go():
        async with websockets.connect(url(srv, "/ws/ping"), ping_interval=None) as ws:
            await asyncio.sleep(1.0)  # three ping intervals; websockets answers them
            await ws.send("alive")
            assert await ws.recv() == "alive"
    run(go())


def test_bad_handshakes_are_refused_over_http(srv):
    c = RawClient(srv.port, "/ws/echo", headers=())
    c.close()
    plain = subprocess.run(["curl", "-s", "-i", "http://127.0.0.1:%d/ws/echo" % srv.port],
                           capture_output=True, timeout=20).stdout
    assert status_of(plain) == 400
    page = subprocess.run(["curl", "-s", "-i", "http://127.0.0.1:%d/pages/ws.rsp" % srv.port],
                          capture_output=True, timeout=20).stdout
    assert status_of(page) == 400 and page.endswith(b"refused\n")  # the page's refusal
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 8\r\n\r\n" % key).encode())
    head = s.recv(4096)
    assert status_of(head) == 426 and b"sec-websocket-version: 13" in head.lower()
    s.close()


def test_authentication_and_session_refuse_before_upgrading(srv):
    c = RawClient(srv.port, "/ws/private/echo")
    assert c.status == 401 and b"www-authenticate: basic" in c.head.lower()
    c.close()
    creds = base64.b64encode(b"u:p").decode()
    c = RawClient(srv.port, "/ws/private/echo", ["Authorization: Basic " + creds])
    assert c.status == 101
    c.close()
    c = RawClient(srv.port, "/ws/session")
    assert c.status == 403
    c.close()
    login = subprocess.run(["curl", "-s", "-i", "http://127.0.0.1:%d/login" % srv.port],
                           capture_output=True, timeout=20).stdout
    cookie = [line.split(b":", 1)[1].split(b";")[0].strip() for line in login.split(b"\r\n")
              if line.lower().startswith(b"set-cookie:")][0].decode()
    c = RawClient(srv.port, "/ws/session", ["Cookie: " + cookie])
    assert c.status == 101
    c.close()
    assert RawClient(srv.port, "/ws/origin", ["Origin: http://evil.example"]).status == 403
    assert RawClient(srv.port, "/ws/origin", ["Origin: http://good.example"]).status == 101
    assert wait_count(srv, 0) == 0


def test_the_board_cap_refuses_with_503_and_recovers(srv):
    cap = PROFILE["ws_max"]
    clients = [RawClient(srv.port) for _ in range(cap)]
    assert [c.status for c in clients] == [101] * cap
    extra = RawClient(srv.port)
    assert extra.status == 503 and b"retry-after" in extra.head.lower()
    extra.close()
    for c in clients:  # all still work
        c.send(frame(1, b"hi"))
        assert c.recv_frame() == (True, 1, b"hi")
    for c in clients:
        c.send(frame(8, close_payload(1000)))
        assert c.recv_close_code() == 1000
        c.close()
    assert wait_count(srv, 0) == 0
    c = RawClient(srv.port)
    assert c.status == 101
    c.close()
