"""Bench program: remora's WebSocket echo on the HTTP server's port.

    remora run bench/programs/ws_echo.py PORT

``GET /ws`` upgrades to a WebSocket (a cosocket task per connection) that
echoes every message with its type (``receive`` then ``write``).  A text
message ``HEAP`` is answered with ``HEAP <alloc> <free>`` (``remora.heap()``:
after a collection on MicroPython, ``None None`` on CPython), so the bench
asks on a WebSocket already open.
"""

import remora
from remora.http import App


async def echo(ws):
    while True:
        msg = await ws.receive()
        if msg is None:
            return
        if msg == "HEAP":
            alloc, free = remora.heap()
            msg = "HEAP %s %s" % (alloc, free)
        await ws.write(msg)


async def main(args):
    app = App(".")
    app.websocket("/ws")(echo)
    await app.serve(int(args[0]))
