"""Benchmark peer: the ``websockets`` library's echo server (asyncio; CPython only).

    python bench/peers/websockets_ws.py PORT

Echoes every message on any path; prints ``READY <port>`` once listening.
Compression is off, as remora and the others do none.
"""

import asyncio
import sys

import websockets


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with websockets.serve(echo, "0.0.0.0", port, compression=None, max_size=None):
        print("READY", port, flush=True)
        await asyncio.Future()


asyncio.run(main(int(sys.argv[1])))
