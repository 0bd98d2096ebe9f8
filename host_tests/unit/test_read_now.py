# A server task with no coroutine frame of ours while it waits, and no guard
# (what remora.http's connections are, issue 13):
#
# 1. Socket.read_now() returns None when nothing came, the bytes once they
#    came (after ``await sock.readable()``), raises a pending interrupt()
#    once, and returns b"" when the peer closes;
# 2. a task bound with event(..., guard=False) that ends with
#    dispatcher.task_done(sock) closes its socket, and what it reports with
#    dispatcher.task_failed is counted in failures().
from loopback import free_port
from remora import COSOCKET, Socket, bind, dispatcher, port
from remora.errors import Timeout

seen = []
changed = port.Event()


def note(what):
    seen.append(what)
    changed.set()


async def next_note(count):
    # Until count notes were made (a deadline, never a fixed sleep).
    deadline = port.ticks_add(port.ticks_ms(), 5000)
    while len(seen) < count:
        changed.clear()
        left = port.ticks_diff(deadline, port.ticks_ms())
        assert left > 0, "timed out waiting for note %d: %r" % (count, seen)
        await port.wait_event(changed, left)
    return seen[count - 1]


async def reader(sock, box):
    box.append(sock)
    try:
        try:
            note("first " + repr(sock.read_now()))  # nothing sent yet
            while True:
                try:
                    data = sock.read_now()
                except Timeout:
                    note("interrupted")
                    continue
                if data is None:
                    await sock.readable()
                    continue
                note(data)
                if not data:
                    raise ValueError("the end")  # reported, as a bug would be
        except ValueError as exc:
            dispatcher.task_failed(exc)
    finally:
        dispatcher.task_done(sock)


async def main():
    number = free_port(3)
    listener = bind(number, "127.0.0.1")
    client = Socket()
    await client.connect("127.0.0.1", number)
    conn = await listener.accept()
    box = []
    conn.event(reader, box, mode=COSOCKET, guard=False)
    assert (await next_note(1)) == "first None"
    assert client.send_now(b"abc") == 3
    got = await next_note(2)
    assert got == b"abc", seen
    conn.interrupt(Timeout("t"))
    assert (await next_note(3)) == "interrupted"
    assert client.send_now(b"de") == 2
    assert (await next_note(4)) == b"de"
    failed = dispatcher.failures()[0]
    client.close()
    assert (await next_note(5)) == b""
    # The task ended: counted, and its socket closed by task_done.
    deadline = port.ticks_add(port.ticks_ms(), 5000)
    while conn.state() != "closed":
        assert port.ticks_diff(deadline, port.ticks_ms()) > 0, conn.state()
        await port.sleep_ms(10)
    assert dispatcher.failures()[0] == failed + 1
    listener.close()
    return "ok"


assert dispatcher.run(main) == "ok"
print("PASS")
