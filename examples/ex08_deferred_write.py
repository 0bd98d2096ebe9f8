"""Example 8: an asynchronous echo server with the write deferred to a worker.

Reading stays on the dispatcher; each blocking write runs on the worker
pool, so a slow peer blocks a worker thread, never the dispatcher.  Writes
of one connection go out in order because each waits for the previous one.

    remora run examples/ex08_deferred_write.py PORT
"""

import remora


async def echo(sock):
    while True:
        data = await sock.read()
        if not data:
            break
        # The seed's ba.thread.run(function() sock:write(data) end).  Awaiting
        # the job keeps this connection's echoes in order.
        while True:
            try:
                await remora.thread_call(sock.write, data)
                break
            except remora.QueueFull:
                await remora.sleep_ms(10)  # every worker busy: back off, retry


async def main(args):
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(echo)
