"""The server's log on both runtimes: an access line per request (remora serve
turns it on), and every refusal with its status and reason, rate-limited so
that a flood cannot fill a board's console."""

import os
import re
import socket
import time

import pytest
import harness
from httpserver import Server, raw_exchange, status_of

HELLO = os.path.join(harness.REPO, "host_tests", "apps", "hello")
ACCESS = re.compile(r'^127\.0\.0\.1 - - "(\w+) (\S+) HTTP/1\.1" (\d+) (\d+) \d+ms$')


@pytest.fixture(params=["cpython", "micropython"])
def server(request):
    srv = Server(request.param, app=HELLO, board="esp32test")
    yield srv
    srv.stop()


def test_access_line_per_request(server):
    for target in ("/hello", "/nowhere"):
        raw_exchange(server.port, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
    first = ACCESS.match(server.wait_for_line("127.0.0.1 - -", 10))
    second = ACCESS.match(server.wait_for_line("127.0.0.1 - -", 10))
    assert first and first.groups() == ("GET", "/hello", "200", "13"), server.output()
    assert second and second.groups()[:3] == ("GET", "/nowhere", "404"), server.output()


def test_refusals_are_logged_with_their_reason_and_rate_limited(server):
    # A head larger than the ESP32's 2 KiB gets 431: two bursts of eight
    # (within the board's connection cap of ten; on the board's heap a few
    # may get a 503 instead, for want of heap: refused and logged too).
    big = b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n"
    for _ in range(2):
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(8)]
        try:
            for s in socks:
                s.sendall(big)
            for s in socks:
                assert s.recv(100)[:13] in (b"HTTP/1.1 431 ", b"HTTP/1.1 503 ")
        finally:
            for s in socks:
                s.close()
    line = server.wait_for_line("remora: refused 431", 10)
    assert line == "remora: refused 431 head too large from 127.0.0.1", line
    # At most five lines a second: the rest are counted, in a line printed
    # once their second is over (the server's sweeper sees to it).
    deadline = time.monotonic() + 10
    while True:
        lines = [x for x in server.lines() if x.startswith("remora: refused ")]
        shown = [x for x in lines if not x.endswith("more in the last second")]
        held = sum(int(x.split()[2]) for x in lines if x.endswith("more in the last second"))
        if len(shown) + held == 16:
            break
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)
    assert held > 0 and len(shown) < 16, server.output()
