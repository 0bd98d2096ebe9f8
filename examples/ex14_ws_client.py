"""Example 14: a WebSocket client started on a worker thread, then handed to a
cosocket.

As in the seed, the HTTP client (``remora.httpc``, the seed's ``httpc``)
opens the connection: it is blocking, so it runs on the worker pool
(``remora.thread_run``, the seed's ``ba.thread.run``).  When the server
answers 101, ``remora.ws.http2sock`` turns the response into a WebSocket,
and ``ws.event`` hands it to a new task in cosocket mode, where reads and
writes suspend instead of blocking.

    remora run examples/ex14_ws_client.py ws://HOST:PORT/PATH [COUNT]
"""

import remora
from remora import httpc
from remora import ws as websockets

# Loaded here, on the main thread: the first import of the client pulls in
# the socket layer's modules, a chain deeper than a worker thread's small
# stack allows on a board (8 KiB on the ESP32 profile).
from remora.httpc import client  # noqa: F401,E402
from remora.ws import client as ws_client  # noqa: F401,E402


async def my_websocket_cosocket(ws, count):
    for i in range(count):
        await ws.write("hello %d" % i, True)   # text: the seed's write(data, true)
        print("echo:", await ws.receive())
    await ws.close()
    print("closed", ws.closed.code)
    remora.stop()


def open_websocket_con(url, count):
    resp = httpc.get(url)                       # on a worker thread: blocking
    if resp.status == 101:                      # 101 Switching Protocols
        ws = websockets.http2sock(resp)
        ws.event(my_websocket_cosocket, count)  # cosocket mode
    else:
        print("no WebSocket:", resp.status)
        remora.stop()


async def main(args):
    count = int(args[1]) if len(args) > 1 else 3
    remora.thread_run(open_websocket_con, args[0], count)
    await remora.wait_stopped()
