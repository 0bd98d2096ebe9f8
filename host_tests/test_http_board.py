"""The HTTP server on the ESP32's own profile (110 KiB heap, 10 connections).

The HTTP test application needs a bigger board (see httpserver.py); a small
application (host_tests/apps/hello) fits the ESP32, and a flood there must
end in answers or refusals, never a crash or a leak.
"""

import os
import socket
import threading
import time

import harness
import pytest
from httpserver import Server, raw_exchange, status_of

APP = os.path.join(harness.REPO, "host_tests", "apps", "hello")
BOARD = "esp32"
PROFILE = harness.boards_profile(BOARD)


@pytest.fixture
def hello(runtime):
    srv = Server(runtime, app=APP, board=BOARD)
    yield srv
    srv.stop()


def heap(port):
    """(alloc, open connections) from GET /heap; alloc is None on CPython."""
    data = raw_exchange(port, b"GET /heap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(data) == 200, data
    alloc, _free, conns = data.split(b"\r\n\r\n", 1)[1].split()
    return (None if alloc == b"None" else int(alloc)), int(conns)


def test_flood_on_the_esp32_heap(hello):
    # Many more clients than the cap, a quarter of them posting a body of the
    # board's limit: every client gets its answer (200, or 503 over the cap
    # or when the heap is short) or a refusal, and the server is unchanged.
    port = hello.port
    size = PROFILE["http_max_body"]
    body = bytes(range(256)) * (size // 256)
    outcomes = []
    lock = threading.Lock()

    def client(i):
        if i % 4 == 0:
            request = (b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(body)) + body
            expect = body
        else:
            request = b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            expect = b"Hello, world!"
        try:
            data = raw_exchange(port, request, timeout=30)
            status = status_of(data) if data else "closed"
            if status == 200:
                assert data.split(b"\r\n\r\n", 1)[1] == expect, data[:200]
        except OSError as exc:  # refused or reset before a byte came back
            status = type(exc).__name__
        with lock:
            outcomes.append(status)

    def holder():
        # Takes a slot for a while with half a head, then finishes it: the
        # flood meanwhile finds the cap nearly reached.
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            try:
                s.sendall(b"GET /hello HTTP/1.1\r\n")
                time.sleep(1.5)
                s.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    data += d
                status = status_of(data) if data else "closed"
            finally:
                s.close()
        except OSError as exc:
            status = type(exc).__name__
        with lock:
            outcomes.append(status)

    holders = PROFILE["max_connections"] - 2

    def flood():
        threads = [threading.Thread(target=holder) for _ in range(holders)]
        threads += [threading.Thread(target=client, args=(i,)) for i in range(80)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    def settled():
        # It serves, and holds no connection but ours.
        deadline = time.monotonic() + 10
        while True:
            alloc, conns = heap(port)
            if conns == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert conns == 1, conns
        # Refused connections linger to read their request for half a
        # second, until the sweeper's next tick at most (Socket._linger):
        # let them end too.
        time.sleep(1.6)
        alloc, _ = heap(port)
        return alloc  # without the body reserve (see the app's /heap)

    # The first floods load what a flood needs once (asyncio's wait_for, the
    # write queue) and grow the tables sized by the peak (open sockets, live
    # connections, the poller) up to what the connection cap allows; two
    # more must then leave the heap as they found it.
    flood()
    flood()
    before = settled()
    flood()
    flood()
    assert hello.returncode is None, hello.output()
    assert len(outcomes) == 4 * (80 + holders)
    assert 200 in outcomes, outcomes
    assert set(outcomes) <= {200, 503, "closed", "ConnectionResetError", "ConnectionRefusedError",
                             "BrokenPipeError"}, outcomes
    after = settled()
    if before is not None:
        # Tables sized by the peak (open sockets, live connections, the
        # poller) may grow again for a higher one; nothing else does.
        assert after <= before + 4096, (before, after)
    data = raw_exchange(port, b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(data) == 200



def test_refusals_over_the_cap_end_in_order(hello):
    # With every slot taken, each client beyond the cap reads the whole 503
    # and then an orderly close, not a reset: a refused connection lingers
    # (no task, no heap) to read and drop its request before it closes.
    port = hello.port
    holders = []
    try:
        for _ in range(PROFILE["max_connections"]):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /hello HTTP/1.1\r\n")  # half a head: the slot stays taken
            holders.append(s)
        time.sleep(0.3)
        outcomes = []
        lock = threading.Lock()

        # A request of several reads (not all there at once, maybe): what
        # comes while the connection lingers is read too.
        body = b"x" * (6 * PROFILE["recv_size"])
        request = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body

        def refused_client():
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(request)
                data = b""
                try:
                    while True:
                        d = s.recv(4096)
                        if not d:
                            break
                        data += d
                    outcome = status_of(data)
                except ConnectionResetError:
                    outcome = "reset after %r" % data[:12]
            with lock:
                outcomes.append(outcome)

        for _ in range(3):  # bursts as large as the lingering ring
            threads = [threading.Thread(target=refused_client) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            time.sleep(0.3)
        assert outcomes == [503] * 24, outcomes
    finally:
        for s in holders:
            s.close()
    assert hello.returncode is None, hello.output()
