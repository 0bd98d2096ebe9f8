# The paths whose comments promise no allocation, run under
# micropython.heap_lock(): any allocation there raises MemoryError.  They
# are the paths that answer a client when the heap is out (the refusal, the
# 503, the drain before a close, the lingering ring) and a worker's
# hand-back of its result.  On CPython the same calls run unlocked and are
# checked for what they do.
import socket

import remora
from loopback import address, free_port
from remora import dispatcher, port
from remora.pool import Pool

try:
    import micropython

    heap_lock = micropython.heap_lock
    heap_unlock = micropython.heap_unlock
except (ImportError, AttributeError):

    def heap_lock():
        pass

    heap_unlock = heap_lock


def locked(fn):
    """fn() with the heap locked (this thread's: the lock is per thread).
    fn takes no arguments: a call with *args allocates its own array."""
    heap_lock()
    try:
        return fn()
    finally:
        heap_unlock()


def client(number):
    s = socket.socket()
    s.connect(address(number))
    return s


def read_exactly(s, size):
    got = b""
    while len(got) < size:
        data = s.recv(size - len(got))
        if not data:
            break
        got += data
    return got


async def wait_for(check, ms=2000):
    deadline = port.ticks_add(port.ticks_ms(), ms)
    while not check():
        if port.ticks_diff(deadline, port.ticks_ms()) < 0:
            raise AssertionError("timed out")
        await port.sleep_ms(5)


def accept_raw(raw_listener):
    deadline = port.ticks_add(port.ticks_ms(), 2000)
    while True:
        try:
            conn, _peer = raw_listener.accept()
            conn.setblocking(False)
            return conn
        except OSError:
            if port.ticks_diff(deadline, port.ticks_ms()) < 0:
                raise


async def sockets():
    number = free_port()
    listening = remora.bind(number, "127.0.0.1")
    listening.refusal = b"NO HEAP\n"
    lst = listening.listener()

    c1 = client(number)
    conn = await listening.accept(2000)
    c1.send(b"request bytes the server will not read")
    conn.drain()  # makes the shared read buffer (the one allocation, once)

    # Socket.send_now: what the socket takes, with no coroutine or object.
    assert locked(lambda: conn.send_now(b"hello")) == 5
    assert read_exactly(c1, 5) == b"hello"

    # Socket.refuse: the listener's refusal, and a drain of what came.
    c1.send(b"more")
    locked(conn.refuse)
    assert read_exactly(c1, 8) == b"NO HEAP\n"
    c1.send(b"still more")
    assert locked(conn.drain) is False  # dropped; the client has not closed
    conn.close()
    c1.close()

    # Listener.refuse on a raw connection (as accept does when not even the
    # Socket fits): the answer, the drain, a slot in the lingering ring.
    c2 = client(number)
    raw = accept_raw(lst.raw)
    c2.send(b"a request")
    locked(lambda: lst.refuse(raw, b"503 constant\n"))
    assert lst.lingering_count() == 1
    assert read_exactly(c2, 13) == b"503 constant\n"
    c2.close()  # the client is done: a reap closes it

    def reaped():
        locked(lst.reap)
        return lst.lingering_count() == 0

    await wait_for(reaped)
    listening.close()

    # port.kick(): how a worker short of heap wakes the dispatcher.
    locked(port.kick)


async def worker_hand_back():
    # A job that runs the heap dry (its thread's heap stays locked from its
    # end on): its result must still reach the awaiting task, and the worker
    # must still park; nothing on that path may allocate.
    pool = Pool(1, 1)
    got = []

    def job():
        heap_lock()
        return 7

    async def caller():
        got.append(await pool.call(job))

    dispatcher.spawn(caller())
    await wait_for(lambda: got)
    assert got == [7]
    pool.shutdown()  # the parked worker wakes and ends, still locked


async def main():
    await sockets()
    await worker_hand_back()
    return "ok"


assert dispatcher.run(main) == "ok"
print("PASS")
