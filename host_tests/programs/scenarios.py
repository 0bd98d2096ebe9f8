"""Socket-layer scenarios, run by host_tests/test_sockets.py on both runtimes.

    remora run host_tests/programs/scenarios.py NAME [args...]

Each scenario prints ``RESULT key value`` lines that the test reads, and
``READY port`` where it serves.
"""

import remora
from remora import dispatcher


def result(key, value):
    print("RESULT", key, value)


def name_of(exc):
    return type(exc).__name__


# -- blocking calls and connect errors --------------------------------------


def _blocking_connect(host, port):
    try:
        remora.connect(host, port, 2000)
        return "connected"
    except remora.SocketError as exc:
        return name_of(exc)


async def connect_errors(args):
    refused_port = int(args[0])
    # A blocking call on the dispatcher thread is refused, not frozen.
    try:
        remora.connect("127.0.0.1", refused_port)
        result("dispatcher_connect", "returned")
    except remora.DispatcherBlocked:
        result("dispatcher_connect", "DispatcherBlocked")
    # The same calls on a worker thread, and as a task's non-blocking connect.
    result("thread_refused", await remora.thread_call(_blocking_connect, "127.0.0.1", refused_port))
    result("thread_resolve", await remora.thread_call(_blocking_connect, "no-such-host.invalid", 80))
    for key, host in (("task_refused", "127.0.0.1"), ("task_resolve", "no-such-host.invalid")):
        sock = remora.Socket()
        try:
            await sock.connect(host, refused_port if key == "task_refused" else 80, 2000)
            result(key, "connected")
        except remora.SocketError as exc:
            result(key, name_of(exc))
        result(key + "_state", sock.state())


async def connect_timeout(args):
    # args: host port of a listener whose backlog is full (SYNs are dropped).
    sock = remora.Socket()
    start = remora.ticks_ms()
    try:
        await sock.connect(args[0], int(args[1]), 300)
        result("task_connect", "connected")
    except remora.SocketError as exc:
        result("task_connect", name_of(exc))
    result("task_elapsed_ms", remora.ticks_diff(remora.ticks_ms(), start))
    result("thread_connect", await remora.thread_call(_blocking_connect, args[0], int(args[1])))


# -- unconnected cosockets, states, disable/enable --------------------------


async def unconnected(args):
    done = []

    async def sleeper(sock):
        result("unconnected_state", sock.state())
        start = remora.ticks_ms()
        try:
            await sock.read(200)
            result("unconnected_read", "data")
        except remora.Timeout:
            result("unconnected_read", "Timeout")
        result("unconnected_slept_ms", remora.ticks_diff(remora.ticks_ms(), start))
        try:
            await sock.read()
        except remora.WrongMode:
            result("unconnected_read_no_timeout", "WrongMode")
        done.append(1)

    remora.event(sleeper)
    while not done:
        await remora.sleep_ms(20)

    # disable() returns what enable() passes; getsock() and owner().
    async def parked(sock):
        result("getsock_is_sock", remora.getsock() is sock)
        result("owner", sock.owner())
        values = await sock.disable()
        result("enable_values", repr(values))
        done.append(2)

    sock = remora.event(parked)
    await remora.sleep_ms(50)
    result("owner_from_other_task", sock.owner())
    sock.enable(1, "two")
    while len(done) < 2:
        await remora.sleep_ms(20)
    result("getsock_in_main", remora.getsock())

    # An unconnected cosocket whose first call binds: it becomes a listener;
    # a second open on the same cosocket is refused.
    port = int(args[0])

    async def binder(sock):
        listener = sock.bind(port, "127.0.0.1")
        result("bound_same_socket", listener is sock)
        result("bound_state", sock.state())
        try:
            await sock.connect("127.0.0.1", port)
            result("second_open", "allowed")
        except remora.WrongMode:
            result("second_open", "WrongMode")
        conn = await sock.accept(5000)
        result("bound_accepted", await conn.read(5000))
        conn.close()
        done.append(3)

    async def dialer(sock):
        await sock.connect("127.0.0.1", port)
        await sock.write(b"via bound cosocket")

    remora.event(binder)
    await remora.sleep_ms(50)
    remora.event(dialer)
    while len(done) < 3:
        await remora.sleep_ms(20)


async def states(args):
    listener = remora.bind(int(args[0]), "127.0.0.1")
    result("listener_state", listener.state())
    sock = remora.Socket()
    result("new_state", sock.state())
    await sock.connect("127.0.0.1", int(args[0]))
    result("connected_state", sock.state())
    result("connected_mode", sock.mode())
    peer = await listener.accept()
    result("accepted_state", peer.state())
    sock.close()
    result("closed_state", sock.state())
    result("peer_read_after_close", repr(await peer.read(2000)))
    peer.close()
    listener.close()


# -- FIFO order of several writers on one cosocket --------------------------


async def fifo(args):
    port = int(args[0])
    listener = remora.bind(port, "127.0.0.1")
    message_size = 512
    writers, per_writer = 4, 60
    calls = []
    arrivals = []
    finished = []
    most_queued = [0]
    # Small kernel buffers (Linux: SOL_SOCKET 1, SO_SNDBUF 7, SO_RCVBUF 8), so
    # the writers really fill the queue and wait in line.
    listener.setsockopt(1, 8, 4096)

    async def reader(sock):
        msg = bytearray(message_size)  # one preallocated message buffer
        fill = 0
        left = writers * per_writer * message_size
        while left > 0:
            data = await sock.read()
            if not data:
                break
            left -= len(data)
            view = memoryview(data)
            while len(view):
                n = min(len(view), message_size - fill)
                msg[fill : fill + n] = view[:n]
                fill += n
                view = view[n:]
                if fill == message_size:
                    fill = 0
                    tag = int(msg[:8].decode().replace("-", ""))
                    if msg[8:16] != msg[:8] or msg[-8:] != msg[:8]:
                        result("torn_message", tag)
                    arrivals.append(tag)
            await remora.sleep_ms(1)  # a slow reader, so writers queue up
        finished.append(1)

    async def writer(sock_a, sink, number):
        for seq in range(per_writer):
            tag = b"%02d-%05d" % (number, seq)  # 8 bytes
            calls.append(number * 100000 + seq)
            await sink.write(tag * (message_size // 8))
            most_queued[0] = max(most_queued[0], sink.queued())
        finished.append(1)

    async def client(sock):
        await sock.connect("127.0.0.1", port)
        sock.setsockopt(1, 7, 4096)
        sock.queuelen(2 * message_size)
        for number in range(writers):
            remora.event(writer, sock, number)
        while len(finished) < writers + 1:
            await remora.sleep_ms(20)

    remora.event(client)
    peer = await listener.accept()
    peer.event(reader, mode=remora.COSOCKET)
    while len(finished) < writers + 1:
        await remora.sleep_ms(20)
    result("messages", len(arrivals))
    result("fifo", arrivals == calls)
    result("queue_used", most_queued[0] > 0)


# -- shutdown wakes everything ----------------------------------------------


async def shutdown(args):
    port = int(args[0])
    listener = remora.bind(port, "127.0.0.1")
    woke = []

    async def report(name, coro):
        try:
            await coro
            woke.append(name + ":returned")
        except remora.Shutdown:
            woke.append(name + ":Shutdown")

    other_listener = remora.bind(int(args[1]), "127.0.0.1")

    async def acceptor(_sock):
        await report("accept", other_listener.accept())

    async def parked_disabled(sock):
        await report("disable", sock.disable())

    async def sleeper(sock):
        await report("sleep", sock.read(60000))

    async def stuck_writer(sock_a, sink):
        async def flood():
            block = bytes(4096)
            while True:
                await sink.write(block)

        await report("write", flood())

    async def client(sock):
        await sock.connect("127.0.0.1", port)
        remora.event(stuck_writer, sock)
        await report("client_read", sock.read())

    remora.event(acceptor)
    remora.event(sleeper)
    remora.event(client)
    peer = await listener.accept()  # never read: the writer fills up and stops
    peer.event(parked_disabled, mode=remora.COSOCKET)
    await remora.sleep_ms(500)
    print("STOPPING", dispatcher.open_sockets())
    remora.stop()
    for _ in range(20):
        await remora.sleep_ms(0)
    for name in sorted(woke):
        result("woke", name)
    result("open_sockets", dispatcher.open_sockets())


# -- a task that raises; a peer that resets while we write ------------------


async def faulty_server(args):
    port = int(args[0])
    listener = remora.bind(port, "127.0.0.1")

    async def serve(sock):
        data = await sock.read()
        if data == b"boom":
            raise ValueError("boom requested")
        if data == b"flood":
            block = bytes(range(256)) * 16
            try:
                while True:
                    await sock.write(block)
            except remora.Closed as exc:
                print("WRITE-ERROR Closed reset=%s" % exc.reset)
                raise
        while data:
            await sock.write(data)
            data = await sock.read()

    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(serve, mode=remora.COSOCKET)


def _no_heap(*args):
    raise MemoryError("no heap, on purpose")


def _refusing_listener(args):
    listener = remora.bind(int(args[0]), "127.0.0.1")
    listener.refusal = b"NO HEAP\n"
    return listener


async def _bind_each(listener, port):
    # Every accepted connection is bound to a task that runs out of heap
    # (if it gets that far: the scenarios break an earlier step).
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(_no_heap, mode=remora.COSOCKET)


async def no_heap_for_task(args):
    # Every connection's task fails to start as if the heap were full: the
    # listener's refusal goes out instead of a bare close.
    await _bind_each(_refusing_listener(args), int(args[0]))


async def no_heap_to_start_task(args):
    # The task itself cannot be made (create_task finds no heap): the
    # socket is refused and closed where it was to be bound.
    from remora import dispatcher

    listener = _refusing_listener(args)
    dispatcher.bind_task = _no_heap
    await _bind_each(listener, int(args[0]))


async def no_heap_for_socket(args):
    # Not even the Socket object of an accepted connection can be made, as
    # if the heap were full: the listener's refusal still goes out, and
    # accepting goes on (accept never returns).
    listener = _refusing_listener(args)
    listener.listener().make = _no_heap
    await _bind_each(listener, int(args[0]))


# -- issue 11: UDP boundaries, worker identity, blocking writes, direct sends --


def _udp_peer(port):
    # A plain datagram socket on the other end (remora's UDP API is the
    # seed's connected udpcon), bound where udpcon will send.
    import socket

    addr = socket.getaddrinfo("127.0.0.1", port, 0, socket.SOCK_DGRAM)[0][-1]
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(addr)
    return peer


UDP_SIZES = (1, 7, 300, 1000, 1400)


def _send_datagrams(peer, u):
    # udpcon says hello, so the peer learns its address; then every datagram
    # is sent before the first read (loopback delivers during sendto).
    u.write(b"hello")
    _hello, back = peer.recvfrom(64)
    for i, size in enumerate(UDP_SIZES):
        peer.sendto(bytes([65 + i]) * size, back)


def _udp_blocking(port):
    peer = _udp_peer(port)
    u = remora.udpcon("127.0.0.1", port)
    try:
        _send_datagrams(peer, u)
        return [(len(d), d[:1]) for d in [u.read(2000) for _ in UDP_SIZES]]
    finally:
        u.close()
        peer.close()


async def udp_datagrams(args):
    port = int(args[0])
    peer = _udp_peer(port)
    got = []

    async def reader(u):
        await u.write(b"hello")
        _hello, back = peer.recvfrom(64)  # arrived during the write
        for i, size in enumerate(UDP_SIZES):
            peer.sendto(bytes([65 + i]) * size, back)
        for _ in UDP_SIZES:
            try:
                data = await u.read(2000)
                got.append((len(data), data[:1]))
            except remora.Timeout:
                got.append("Timeout")

    remora.udpcon("127.0.0.1", port).event(reader)
    while len(got) < len(UDP_SIZES):
        await remora.sleep_ms(10)
    peer.close()
    result("task_datagrams", got)
    result("worker_datagrams", await remora.thread_call(_udp_blocking, int(args[1])))


async def worker_identity(args):
    # owner() and getsock() asked on a worker thread while the owning task
    # runs on the dispatcher: the worker is no task, so False and None.
    answers = []

    def ask(sock):
        answers.append((sock.owner(), remora.getsock()))

    async def owner_task(sock):
        remora.thread_run(ask, sock)
        deadline = remora.ticks_add(remora.ticks_ms(), 5000)
        # Hold the dispatcher (no await) until the worker has answered, so
        # that this task is the one running while it asks.
        while not answers and remora.ticks_diff(deadline, remora.ticks_ms()) > 0:
            pass
        result("in_task", (sock.owner(), remora.getsock() is sock))

    remora.event(owner_task)
    while not answers:
        await remora.sleep_ms(10)
    result("on_worker", answers[0])


async def blocking_write_in_task(args):
    # A socket in blocking mode written to from a task would hold the
    # dispatcher while its buffer is full: refused, as remora.connect is.
    listener = remora.bind(int(args[0]), "127.0.0.1")
    client = remora.Socket()
    await client.connect("127.0.0.1", int(args[0]))
    peer = await listener.accept()
    for name, sock in (("accepted", peer), ("connected", client)):
        try:
            await sock.write(b"x")
            result(name, "written")
        except remora.DispatcherBlocked:
            result(name, "DispatcherBlocked")
    client.close()
    peer.close()
    listener.close()


async def worker_writes_cosocket(args):
    # A worker's writes to a cosocket go straight out while TCP takes them:
    # the queue holds only what TCP could not take (seed: "only queued up
    # if the TCP/IP queue is full").  With writes already waiting, a
    # worker's data queues behind them, in order.
    port = int(args[0])
    listener = remora.bind(port, "127.0.0.1")
    received = []
    go = []

    async def reader(sock):
        while not go:
            await remora.sleep_ms(10)
        while True:
            data = await sock.read()
            if not data:
                break
            received.append(data)

    async def client(sock):
        await sock.connect("127.0.0.1", port)
        await sock.disable()

    csock = remora.event(client)
    peer = await listener.accept()
    peer.event(reader, mode=remora.COSOCKET)
    while csock.state() != "connected":
        await remora.sleep_ms(10)

    def ten_writes():
        out = []
        for _ in range(10):
            try:
                out.append(csock.write(b"w" * 1000))
            except remora.QueueFull as full:
                out.append("QueueFull(%d)" % full.queued)
        return out

    result("idle_peer", await remora.thread_call(ten_writes))
    result("queued_after", csock.queued())
    go.append(1)
    total = 0
    deadline = remora.ticks_add(remora.ticks_ms(), 5000)
    while total < 10000 and remora.ticks_diff(deadline, remora.ticks_ms()) > 0:
        await remora.sleep_ms(10)
        total = sum(len(d) for d in received)
    result("received", total)
    csock.enable()


# -- issue 15: every socket error is a SocketError, in every mode ---------------


def _outcome(fn, *args):
    """What a call ends in: its class name, and whether it is a SocketError
    (with reset=True for a reset)."""
    try:
        fn(*args)
        return "ok"
    except Exception as exc:  # the point: whatever it is, report it
        return _describe(exc)


def _describe(exc):
    name = type(exc).__name__
    if not isinstance(exc, remora.SocketError):
        return name + "(not a SocketError)"
    if getattr(exc, "reset", False):
        return name + "(reset)"
    return name


async def _outcome_in_task(coro):
    try:
        await coro
        return "ok"
    except Exception as exc:
        return _describe(exc)


def _linger_zero(raw):
    # SO_LINGER on, 0 s: close() sends a reset (Linux: SOL_SOCKET 1, SO_LINGER 13).
    raw.setsockopt(1, 13, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _udp_refused_blocking(port):
    u = remora.udpcon("127.0.0.1", port)
    try:
        u.write(b"anyone?")
        return _outcome(u.read, 2000)
    finally:
        u.close()


def _tcp_refused_blocking(port):
    return _outcome(remora.connect, "127.0.0.1", port, 2000)


def _read_blocking(sock):
    return _outcome(sock.read, 2000)


def _write_until_error(sock):
    def flood():
        for _ in range(200):
            sock.write(b"x" * 1000)

    return _outcome(flood)


async def socket_errors(args):
    closed_port = int(args[0])
    listen_port = int(args[1])
    listener = remora.bind(listen_port, "127.0.0.1")
    import socket as rawsocket

    # Refused: a UDP read after the peer's port unreachable, and a connect.
    result("udp_refused_worker", await remora.thread_call(_udp_refused_blocking, closed_port))
    got = []

    async def udp_task(u):
        await u.write(b"anyone?")
        got.append(await _outcome_in_task(u.read(2000)))

    remora.udpcon("127.0.0.1", closed_port).event(udp_task)
    while not got:
        await remora.sleep_ms(10)
    result("udp_refused_task", got[0])
    result("tcp_refused_worker", await remora.thread_call(_tcp_refused_blocking, closed_port))
    result("tcp_refused_task", await _outcome_in_task(remora.Socket().connect("127.0.0.1", closed_port, 2000)))

    # Reset by the peer, seen by a read and by writes, in each mode.
    def peer_that_resets():
        raw = rawsocket.socket()
        raw.connect(rawsocket.getaddrinfo("127.0.0.1", listen_port)[0][-1])
        return raw

    for mode in ("blocking", remora.ASYNC, remora.COSOCKET):
        for op in ("read", "write"):
            raw = peer_that_resets()
            conn = await listener.accept(2000)
            _linger_zero(raw)
            raw.close()  # a reset, before we read or write (loopback: delivered now)
            key = "reset_%s_%s" % (op, mode)
            if mode == "blocking":
                fn = _read_blocking if op == "read" else _write_until_error
                result(key, await remora.thread_call(fn, conn))
                conn.close()
                continue
            done = []

            async def use(sock, op=op, done=done):
                if op == "read":
                    done.append(await _outcome_in_task(sock.read(2000)))
                    return
                async def flood():
                    for _ in range(200):
                        await sock.write(b"x" * 1000)
                done.append(await _outcome_in_task(flood()))

            conn.event(use, mode=mode)
            while not done:
                await remora.sleep_ms(10)
            result(key, done[0])
    # A worker thread writing to a cosocket whose peer reset.
    raw = peer_that_resets()
    conn = await listener.accept(2000)
    parked = []

    async def owner(sock):
        parked.append(1)
        try:
            await sock.disable()  # parked: it reads nothing, so the worker meets the reset
        except remora.SocketError:
            pass

    conn.event(owner, mode=remora.COSOCKET)
    while not parked:
        await remora.sleep_ms(10)
    _linger_zero(raw)
    raw.close()  # loopback delivers the reset during close()
    result("reset_write_cosocket_worker", await remora.thread_call(_write_until_error, conn))
    listener.close()


SCENARIOS_11 = {
    "udp_datagrams": udp_datagrams,
    "worker_identity": worker_identity,
    "blocking_write_in_task": blocking_write_in_task,
    "worker_writes_cosocket": worker_writes_cosocket,
    "socket_errors": socket_errors,
}


SCENARIOS = {
    "no_heap_for_task": no_heap_for_task,
    "no_heap_to_start_task": no_heap_to_start_task,
    "no_heap_for_socket": no_heap_for_socket,
    "connect_errors": connect_errors,
    "connect_timeout": connect_timeout,
    "unconnected": unconnected,
    "states": states,
    "fifo": fifo,
    "shutdown": shutdown,
    "faulty_server": faulty_server,
}
SCENARIOS.update(SCENARIOS_11)


async def main(args):
    await SCENARIOS[args[0]](args[1:])
    print("DONE")
