"""Example 7: an asynchronous echo server whose write may block.

In asynchronous mode read suspends the task but write is synchronous: when
the peer stops reading and the TCP buffer fills, write holds the whole
dispatcher until there is room.  Example 8 fixes that; example 9 too.

    remora run examples/ex07_async_echo.py PORT
"""

import remora


async def echo(sock):
    while True:
        data = await sock.read()
        if not data:
            break
        await sock.write(data)  # synchronous: may stall the dispatcher


async def main(args):
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(echo)
