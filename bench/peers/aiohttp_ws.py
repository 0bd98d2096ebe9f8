"""Benchmark peer: aiohttp's WebSocket echo (pinned in bench/requirements.txt; CPython).

    python bench/peers/aiohttp_ws.py PORT

``GET /ws`` upgrades and echoes every message with its type; prints
``READY <port>`` once listening.
"""

import asyncio
import sys

from aiohttp import WSMsgType, web


async def echo(request):
    ws = web.WebSocketResponse(compress=False, max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def main(port):
    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    print("READY", port, flush=True)  # listening now
    await asyncio.Future()


asyncio.run(main(int(sys.argv[1])))
