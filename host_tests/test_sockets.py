"""The socket layer's semantics and faults, on both runtimes.

Each test runs a scenario of host_tests/programs/scenarios.py under the
runtime being tested and checks the ``RESULT key value`` lines it prints.
"""

import socket
import struct
import threading
import time

import pytest
import harness
from harness import free_port

SCENARIOS = "host_tests/programs/scenarios.py"


def results(prog, timeout=20):
    """Wait for the program to finish; return its RESULT lines as a dict of lists."""
    rc = prog.wait(timeout)
    assert rc == 0, prog.output()
    assert "DONE" in prog.lines(), prog.output()
    found = {}
    for line in prog.lines():
        if line.startswith("RESULT "):
            _, key, value = line.split(" ", 2)
            found.setdefault(key, []).append(value)
    return found


def test_connect_errors(program):
    port = free_port()  # nothing listens there: connections are refused
    r = results(program(SCENARIOS, "connect_errors", port))
    assert r["dispatcher_connect"] == ["DispatcherBlocked"]
    assert r["thread_refused"] == ["CannotConnect"]
    assert r["thread_resolve"] == ["CannotResolve"]
    assert r["task_refused"] == ["CannotConnect"]
    assert r["task_resolve"] == ["CannotResolve"]
    assert r["task_refused_state"] == ["closed"]


def test_connect_timeout(program):
    # A listener that never accepts, its backlog filled: the kernel drops
    # further SYNs, so a connect can only time out.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.2)
        r = results(program(SCENARIOS, "connect_timeout", "127.0.0.1", port))
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert r["task_connect"] == ["Timeout"]
    assert int(r["task_elapsed_ms"][0]) >= 250
    assert r["thread_connect"] == ["Timeout"]


def test_unconnected_cosocket_disable_enable(program):
    r = results(program(SCENARIOS, "unconnected", free_port()))
    assert r["unconnected_state"] == ["unconnected"]
    assert r["unconnected_read"] == ["Timeout"]
    assert int(r["unconnected_slept_ms"][0]) >= 150
    assert r["unconnected_read_no_timeout"] == ["WrongMode"]
    assert r["getsock_is_sock"] == ["True"]
    assert r["owner"] == ["True"]
    assert r["owner_from_other_task"] == ["False"]
    assert r["enable_values"] == ["(1, 'two')"]
    assert r["getsock_in_main"] == ["None"]
    assert r["bound_same_socket"] == ["True"]
    assert r["bound_state"] == ["listening"]
    assert r["second_open"] == ["WrongMode"]
    assert r["bound_accepted"] == ["b'via bound cosocket'"]


def test_states(program):
    r = results(program(SCENARIOS, "states", free_port()))
    assert r["listener_state"] == ["listening"]
    assert r["new_state"] == ["unconnected"]
    assert r["connected_state"] == ["connected"]
    assert r["connected_mode"] == ["blocking"]
    assert r["accepted_state"] == ["connected"]
    assert r["closed_state"] == ["closed"]
    assert r["peer_read_after_close"] == ["None"]  # orderly close, not a timeout


def test_writers_served_in_fifo_order(program):
    r = results(program(SCENARIOS, "fifo", free_port()), timeout=60)
    assert "torn_message" not in r, r["torn_message"]
    assert r["messages"] == ["240"]
    assert r["fifo"] == ["True"]
    assert r["queue_used"] == ["True"]


def test_shutdown_wakes_every_suspended_cosocket(program):
    prog = program(SCENARIOS, "shutdown", free_port(), free_port())
    r = results(prog)
    assert sorted(r["woke"]) == [
        "accept:Shutdown",
        "client_read:Shutdown",
        "disable:Shutdown",
        "sleep:Shutdown",
        "write:Shutdown",
    ]
    assert r["open_sockets"] == ["0"]


@pytest.fixture
def faulty(program):
    prog = program(SCENARIOS, "faulty_server", free_port())
    return prog, prog.ready()


def echo_once(port, payload=b"still serving"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            data = s.recv(4096)
            assert data, "connection closed early"
            got += data
        return got


def test_task_that_raises_is_logged_and_server_survives(faulty):
    prog, port = faulty
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"boom")
        assert s.recv(100) == b""  # the failed task's socket is closed
    # The failure is logged on stdout and its traceback on stderr; each stream is read
    # by its own thread, so neither line may be taken as a sign that the other is in.
    line = prog.wait_for_line("remora: task failed:", 10)
    assert "boom requested" in line, prog.output()
    prog.wait_for_stderr("boom requested", 10)
    assert echo_once(port) == b"still serving"


@pytest.mark.parametrize(
    "scenario", ["no_heap_for_task", "no_heap_to_start_task", "no_heap_for_socket"]
)
def test_connection_without_heap_gets_the_listeners_refusal(program, scenario):
    # A connection whose task (or even whose Socket object) cannot be made
    # for lack of heap is sent the listener's refusal and closed in order
    # (what it sent is read first, so the close does not reset the refusal
    # away), and accepting goes on.
    prog = program(SCENARIOS, scenario, free_port())
    port = prog.ready()
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"a request the server cannot take")
            time.sleep(0.05)
            got = b""
            while True:
                try:
                    data = s.recv(100)
                except ConnectionResetError:
                    # Only if more of the request arrived after the drain;
                    # what was sent before the reset is still read first.
                    break
                if not data:
                    break
                got += data
            assert got == b"NO HEAP\n", got
    assert prog.returncode is None, prog.output()


def test_peer_reset_mid_write(faulty):
    prog, port = faulty
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"flood")
    s.recv(65536)  # the server is writing
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    line = prog.wait_for_line("WRITE-ERROR", 10)
    assert line == "WRITE-ERROR Closed reset=True"
    assert echo_once(port) == b"still serving"


def test_half_closed_peer_still_gets_its_answer(faulty):
    _prog, port = faulty
    payload = bytes(range(256)) * 64
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)  # we will send no more, but still read
        got = b""
        while True:
            data = s.recv(65536)
            if not data:
                break
            got += data
    assert got == payload


@pytest.mark.parametrize("runtime", ["micropython"])
def test_micropython_heap_flood_is_contained(program):
    """Open connections until the 110 KiB heap runs out; the server survives.

    The board is the ESP32 without its connection cap (harness.TEST_BOARDS),
    so the flood reaches the heap's end instead of the cap."""
    prog = program("examples/ex09_cosocket_echo.py", free_port(), board="esp32flood")
    port = prog.ready()
    clients = []
    payload = b"x" * 900
    try:
        # Open connections, each holding a read buffer, until the heap runs
        # out (the server says so) or the listener stops taking more.
        # (Up to 800: a connection costs under 400 bytes here once its read is done.)
        while len(clients) < 800 and not any("out of memory" in x for x in prog.lines()):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=3)
                s.sendall(payload)
            except OSError:
                break
            clients.append(s)
        time.sleep(0.5)
        out = "\n".join(prog.lines())
        assert "out of memory" in out, "the flood never exhausted the heap:\n" + prog.output()
        assert prog.returncode is None, prog.output()
    finally:
        for s in clients:
            s.close()
    # Memory comes back once the flood's connections close.
    time.sleep(1)
    for _ in range(5):
        assert echo_once(port) == b"still serving"
    assert prog.returncode is None, prog.output()


def test_connections_beyond_the_cap_are_refused(program):
    """The ESP32 profile's max_connections: the accept beyond it is closed at once."""
    cap = harness.boards_profile("esp32")["max_connections"]
    prog = program("examples/ex09_cosocket_echo.py", free_port())
    port = prog.ready()
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(cap)]
    try:
        for c in clients:
            assert echo_once_on(c, b"held") == b"held"
        extra = socket.create_connection(("127.0.0.1", port), timeout=5)
        extra.settimeout(5)
        try:
            assert extra.recv(10) == b""  # closed without a word
        except ConnectionResetError:
            pass
        finally:
            extra.close()
        for c in clients:  # all of them still work
            assert echo_once_on(c, b"again") == b"again"
    finally:
        for c in clients:
            c.close()
    time.sleep(0.3)
    assert echo_once(port) == b"still serving"  # slots free again


def echo_once_on(s, payload):
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        data = s.recv(4096)
        assert data, "connection closed"
        got += data
    return got


def test_worker_threads_write_while_task_reads(program):
    """Example 8's pattern under load: reads on the dispatcher, writes on workers."""
    prog = program("examples/ex08_deferred_write.py", free_port())
    port = prog.ready()
    errors = []

    def client(n):
        try:
            payload = bytes([n]) * 20000
            assert echo_once(port, payload) == payload
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


# -- issue 11 ---------------------------------------------------------------


def test_udp_reads_keep_datagram_boundaries(program):
    # Five datagrams wait before the first read: each read returns one.
    r = results(program(SCENARIOS, "udp_datagrams", free_port(), free_port()))
    want = "[(1, b'A'), (7, b'B'), (300, b'C'), (1000, b'D'), (1400, b'E')]"
    assert r["task_datagrams"] == [want]
    assert r["worker_datagrams"] == [want]


def test_owner_and_getsock_on_a_worker_thread(program):
    r = results(program(SCENARIOS, "worker_identity"))
    assert r["on_worker"] == ["(False, None)"]
    assert r["in_task"] == ["(True, True)"]


def test_blocking_socket_write_in_a_task_is_refused(program):
    r = results(program(SCENARIOS, "blocking_write_in_task", free_port()))
    assert r["accepted"] == ["DispatcherBlocked"]
    assert r["connected"] == ["DispatcherBlocked"]


def test_worker_writes_to_an_idle_cosocket_are_sent_not_queued(program):
    r = results(program(SCENARIOS, "worker_writes_cosocket", free_port()))
    assert r["idle_peer"] == [repr([True] * 10)]
    assert r["queued_after"] == ["0"]
    assert r["received"] == ["10000"]


# -- issue 15: every socket error is a SocketError ---------------------------


def test_every_socket_error_is_a_socket_error_in_every_mode(program):
    r = results(program(SCENARIOS, "socket_errors", free_port(), free_port()), timeout=60)
    # Refused (UDP: the peer's port unreachable answer, seen by the next read).
    for key in ("udp_refused_worker", "udp_refused_task", "tcp_refused_worker", "tcp_refused_task"):
        assert r[key] == ["CannotConnect"], (key, r)
    # A peer's reset, seen by a read and by writes, in every mode.
    for mode in ("blocking", "async", "cosocket"):
        assert r["reset_read_" + mode] == ["Closed(reset)"], (mode, r)
        assert r["reset_write_" + mode] == ["Closed(reset)"], (mode, r)
    assert r["reset_write_cosocket_worker"] == ["Closed(reset)"], r
