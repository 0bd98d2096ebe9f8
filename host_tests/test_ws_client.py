"""remora's WebSocket client (remora.ws.connect, http2sock) against real servers, on
both runtimes: the ``websockets`` library's server and a ``wsproto`` server as echo
peers, and a raw server for the violations a library would not commit (masked
server frames, invalid UTF-8, a message over the limit, a refused or forged
handshake).  The probe (host_tests/programs/ws_client_probe.py) uses the client
in a task, blocking on a worker thread, and handed from the worker to a
cosocket (the seed's example 14).
"""

import base64
import hashlib
import json
import os
import socket
import threading

import pytest
import websockets.sync.server
import wsproto
import wsproto.events as wse
from wsframes import frame

import harness

PROBE = os.path.join(harness.REPO, "host_tests", "programs", "ws_client_probe.py")


@pytest.fixture
def board():
    # The ESP32-S3's 256 KiB heap: the probe itself holds a 75 KiB message
    # beside what it reads back.
    return "esp32s3"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def websockets_echo(ws):
    for message in ws:
        ws.send(message)


@pytest.fixture(scope="module")
def websockets_server():
    server = websockets.sync.server.serve(websockets_echo, "127.0.0.1", 0, max_size=None,
                                          subprotocols=["chat"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "ws://127.0.0.1:%d/echo" % server.socket.getsockname()[1]
    server.shutdown()


def serve_threads(listener, handler):
    def loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def wsproto_echo(conn):
    ws = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    parts = []
    try:
        while True:
            data = conn.recv(65536)
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, wse.Request):
                    chosen = "chat" if "chat" in event.subprotocols else None
                    conn.sendall(ws.send(wse.AcceptConnection(subprotocol=chosen)))
                elif isinstance(event, wse.Message):
                    parts.append(event.data)
                    if event.message_finished:
                        whole = ("" if isinstance(event.data, str) else b"").join(parts)
                        parts = []
                        kind = wse.TextMessage if isinstance(whole, str) else wse.BytesMessage
                        conn.sendall(ws.send(kind(data=whole)))
                elif isinstance(event, wse.Ping):
                    conn.sendall(ws.send(event.response()))
                elif isinstance(event, wse.CloseConnection):
                    conn.sendall(ws.send(event.response()))
                    conn.close()
                    return
            if not data:
                return
    except OSError:
        pass
    finally:
        conn.close()


def bad_server(conn):
    # A server that commits one violation per path.
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            return conn.close()
        head += data
    lines = head.decode().split("\r\n")
    path = lines[0].split()[1]
    key = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("sec-websocket-key")][0]
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if path == "/refuse":
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        return conn.close()
    if path == "/badaccept":
        accept = base64.b64encode(b"x" * 20).decode()
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    if path == "/masked":
        conn.sendall(frame(1, b"masked", mask=True))
    elif path == "/utf8":
        conn.sendall(frame(1, b"\xff\xfe", mask=False))
    elif path == "/toobig":
        conn.sendall(frame(2, b"x" * 2000, mask=False))
    try:
        conn.settimeout(10)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    conn.close()


@pytest.fixture(scope="module")
def raw_servers():
    listeners = []
    urls = []
    for handler in (wsproto_echo, bad_server):
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(16)
        serve_threads(lst, handler)
        listeners.append(lst)
        urls.append("ws://127.0.0.1:%d" % lst.getsockname()[1])
    yield urls
    for lst in listeners:
        lst.close()


def probe(program, url, bad):
    prog = program(PROBE, url, bad)
    prog.wait_for_line("DONE", 60)
    out = {}
    for line in prog.lines():
        if line.startswith("RESULT "):
            _, name, value = line.split(" ", 2)
            out[name] = json.loads(value)
    assert not [line for line in prog.lines() if line.startswith("remora:")], prog.output()
    return out


@pytest.mark.parametrize("peer", ["websockets", "wsproto"])
def test_client_against_library_servers(program, websockets_server, raw_servers, peer):
    url = websockets_server if peer == "websockets" else raw_servers[0] + "/echo"
    got = probe(program, url, raw_servers[1])
    assert got["task_subprotocol"] == "chat"
    assert got["task_text"] == "héllo"
    assert got["task_binary"] == [True, [0, 1, 2]]
    assert got["task_fragments"] == "fragmented"
    assert got["task_big"] == [76800, 76800, True]
    assert got["task_after_ping"] == "after ping"
    assert got["task_close"] == [1000, True, "closed"]
    assert got["worker_blocking"] == "blocking"
    assert got["worker_cosocket"] == ["from the cosocket", 1000]
    bad = got["violations"]
    assert bad["masked"] == [None, 1002]   # §5.1: a server never masks
    assert bad["utf8"] == [None, 1007]
    assert bad["toobig"] == [None, 1009]
    assert bad["refuse"] == "error HandshakeError 403"
    assert bad["badaccept"] == "error HandshakeError 101"
