# The dispatcher's hand-offs that must hold when the heap is short.
#
# 1. Waiting on a closed socket returns at once and leaves nothing on the
#    poller (MicroPython's select.poll corrupts an entry for a closed socket).
# 2. A worker hands its result back through port.kick(), which allocates
#    nothing: pool.call completes even when call_soon_threadsafe cannot.
import socket

from remora import dispatcher, pool, port


def closed_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.close()
    return s


def failing_call_soon(fn, *args):
    raise MemoryError("no heap for the hand-off list")


async def main():
    s = closed_socket()
    assert (await port.wait_io(s, False)) is True
    assert (await port.wait_io(s, True, 50)) is True
    poller_map = getattr(getattr(port, "core", None), "_io_queue", None)
    if poller_map is not None:  # MicroPython: the closed socket never reached the poller
        assert id(s) not in poller_map.map

    assert (await pool.call(lambda a, b: a + b, 2, 3)) == 5
    if hasattr(port, "core"):  # MicroPython: the thread hand-off list is never needed
        saved = port.call_soon_threadsafe
        port.call_soon_threadsafe = failing_call_soon
        try:
            for i in range(5):
                assert (await pool.call(lambda x: x * 2, i)) == 2 * i
        finally:
            port.call_soon_threadsafe = saved
    return "ok"


assert dispatcher.run(main) == "ok"
assert dispatcher.current() is None  # the pool stopped with its dispatcher
print("PASS")
