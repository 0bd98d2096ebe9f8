"""Example 12b: a caller that is not a task writes to a cosocket.

The seed runs this in an LSP page; here page() runs on the worker pool.  It
connects (blocking), binds a receiving cosocket, then writes until the write
queue is full.  A worker thread is never suspended: once the queue holds
queuelen bytes, write raises QueueFull carrying the queued byte count.
Run it against example 12c, which reads one message and stops reading.

    remora run examples/ex12b_queue_full.py HOST PORT
"""

import remora

MESSAGE = b"hello" * 200  # the seed writes "hello"; bigger fills the pipe sooner


async def receiver(sock):
    print("receiver got", await sock.read())


def page(host, port):
    sock = remora.connect(host, port)
    sock.event(receiver, mode=remora.COSOCKET)  # required, but not used
    writes = 0
    while True:
        try:
            sock.write(MESSAGE)
            writes += 1
        except remora.QueueFull as full:
            # full.queued is the number of bytes in the queue
            print("Socket queue full", full.queued, sock.queuelen(), "after", writes, "writes")
            break
        except remora.SocketError as err:
            print("Socket error", repr(err))
            break


async def main(args):
    await remora.thread_call(page, args[0], int(args[1]))
