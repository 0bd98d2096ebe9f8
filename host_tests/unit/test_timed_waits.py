# Timed waits (a read with a timeout, Socket.discard, port.wait_event) and
# what happens when the heap runs out around them (issue 20).
#
# On MicroPython a timed wait used asyncio.wait_for_ms: a helper task per
# wait, and a CancelledError made to carry the result when the data came
# first.  With no heap at that moment the helper task died with a
# MemoryError nobody retrieved ("Task exception wasn't retrieved") and the
# waiting task was cancelled instead of woken.  Now one clock task keeps
# every deadline (port/alarm.py): the checks below run the waits, then the
# wake-up of a timed wait with the heap locked, and require that nothing
# escapes (port.escaped() == 0) and that the guard counts what tasks raise
# (remora.failures()).  On CPython the heap is never locked; the same
# waits are checked for what they do.
import socket

import remora
from loopback import address, free_port
from remora import dispatcher, port

try:
    import gc

    import micropython

    heap_lock = micropython.heap_lock
    heap_unlock = micropython.heap_unlock
    mem_free = gc.mem_free
except (ImportError, AttributeError):

    def heap_lock():
        pass

    heap_unlock = heap_lock
    mem_free = None


async def wait_for(check, ms=3000):
    deadline = port.ticks_add(port.ticks_ms(), ms)
    while not check():
        if port.ticks_diff(deadline, port.ticks_ms()) < 0:
            raise AssertionError("timed out")
        await port.sleep_ms(5)


def name_of(exc):
    return type(exc).__name__


async def pair(listening):
    # A client and the server's side of it; the server's side is read from
    # tasks of the test's own (it stays in blocking mode, bound to none).
    c = socket.socket()
    c.connect(address(listening.number))
    conn = await listening.accept(2000)
    return c, conn


async def reader(conn, ms, out, i):
    try:
        out[i] = await conn.discard(ms)
    except BaseException as exc:
        out[i] = name_of(exc)


async def waits(listening):
    # A timed read that runs out: Timeout, after at least its time.
    c, conn = await pair(listening)
    start = port.ticks_ms()
    try:
        await conn.discard(60)
        raise AssertionError("no timeout")
    except remora.Timeout:
        pass
    assert port.ticks_diff(port.ticks_ms(), start) >= 55

    # Data first: its size, long before the deadline.
    out = [None]
    dispatcher.spawn(reader(conn, 10000, out, 0))
    await port.sleep_ms(20)
    c.send(b"abc")
    await wait_for(lambda: out[0] is not None, 5000)
    assert out[0] == 3, out

    # Many at once, the longest first: a later, shorter deadline brings the
    # clock forward (the long ones are still waiting when it fires).
    conns = []
    for _ in range(6):
        conns.append(await pair(listening))
    out = [None] * 6
    dispatcher.spawn(reader(conns[0][1], 8000, out, 0))
    await port.sleep_ms(10)
    for i in range(1, 6):
        dispatcher.spawn(reader(conns[i][1], 30 * i, out, i))
    await wait_for(lambda: None not in out[1:])
    assert out[1:] == ["Timeout"] * 5, out
    assert out[0] is None  # still waiting
    conns[0][0].send(b"x")
    await wait_for(lambda: out[0] is not None)
    assert out[0] == 1, out

    # A close wakes a timed reader at once (None: the socket is gone).
    out = [None, None]

    async def read_one():
        try:
            out[0] = await conn.read(10000)
        except BaseException as exc:
            out[0] = name_of(exc)
        out[1] = True

    dispatcher.spawn(read_one())
    await port.sleep_ms(20)
    conn.close()
    await wait_for(lambda: out[1])
    assert out[0] is None, out

    # A task cancelled in a timed wait frees its slot; waits go on.
    out = [None]
    c2, conn2 = conns[1]
    task = dispatcher.spawn(reader(conn2, 5000, out, 0))
    await port.sleep_ms(20)
    task.cancel()
    await port.sleep_ms(20)
    out = [None]
    dispatcher.spawn(reader(conn2, 20, out, 0))
    await wait_for(lambda: out[0] is not None)
    assert out[0] == "Timeout", out

    # An Event with a timeout: False when it is not set in time, True when it is.
    ev = port.Event()
    assert await port.wait_event(ev, 30) is False
    got = [None]

    async def event_waiter():
        got[0] = await port.wait_event(ev, 5000)

    dispatcher.spawn(event_waiter())
    await port.sleep_ms(10)
    ev.set()
    await wait_for(lambda: got[0] is not None)
    assert got[0] is True

    c.close()
    for s, k in conns:
        s.close()
        k.close()


async def held_reader(conn, ms, out):
    # A reader that outlives the locked heap: a task that ends while the
    # heap is locked is not what is tested (MicroPython then makes every
    # exception in the one emergency object, StopIteration included).
    try:
        out[0] = await conn.discard(ms)
    except BaseException as exc:
        out[0] = name_of(exc)
    await port.sleep_ms(300)


async def no_heap(listening):
    # The data comes while the heap is locked: the timed reader is woken and
    # reads it with no allocation; nothing escapes.
    c, conn = await pair(listening)
    c.send(b"w")
    assert await conn.discard(2000) == 1  # a first read: the socket's state is made
    out = [None]
    dispatcher.spawn(held_reader(conn, 5000, out))
    await port.sleep_ms(20)
    c.send(b"x")
    heap_lock()
    try:
        await port.sleep_ms(50)  # the loop polls and wakes the reader meanwhile
        got = out[0]
    finally:
        heap_unlock()
    assert got == 1, got

    # The deadline passes while the heap is locked: the clock wakes the
    # reader (whose Timeout may find no heap: then a MemoryError in its own
    # task); nothing escapes.
    await port.sleep_ms(300)
    out = [None]
    dispatcher.spawn(held_reader(conn, 20, out))
    await port.sleep_ms(5)
    heap_lock()
    try:
        await port.sleep_ms(80)
        got = out[0]
    finally:
        heap_unlock()
    assert got in ("Timeout", "MemoryError"), got
    await port.sleep_ms(300)
    c.close()
    conn.close()
    await port.sleep_ms(20)
    assert port.escaped() == 0


async def full_heap_accept(listening):
    # With the heap full, accept takes nothing (MicroPython's accept makes
    # its objects after the kernel hands the connection over: a MemoryError
    # there would lose it); once there is heap, the same client is served.
    if mem_free is None:
        return
    c = socket.socket()
    c.connect(address(listening.number))
    ballast = None
    try:
        while True:
            ballast = [ballast]  # the smallest blocks, until none is left
    except MemoryError:
        pass
    try:
        try:
            port.accept(listening.listener().raw)
            raise AssertionError("accepted with no heap")
        except MemoryError:
            pass
    finally:
        ballast = None
    conn = await listening.accept(2000)
    c.send(b"hi")
    assert await conn.read(2000) == b"hi"
    c.close()
    conn.close()


async def counted():
    # The guard catches and counts: an error of the task's, a MemoryError.
    async def fails():
        raise ValueError("a bug")

    async def starves():
        raise MemoryError

    before = remora.failures()
    dispatcher.spawn(fails())
    dispatcher.spawn(starves())
    await wait_for(lambda: remora.failures() != before)
    await port.sleep_ms(20)
    failed, short, escaped = remora.failures()
    assert (failed, short) == (before[0] + 1, before[1] + 1), remora.failures()
    assert escaped == 0


async def main():
    number = free_port()
    listening = remora.bind(number, "127.0.0.1")
    listening.number = number
    await waits(listening)
    await no_heap(listening)
    await full_heap_accept(listening)
    await counted()
    listening.close()
    return "ok"


assert dispatcher.run(main) == "ok"
print("PASS")
