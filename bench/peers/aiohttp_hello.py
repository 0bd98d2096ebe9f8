"""Benchmark peer: aiohttp (PyPI, pinned in bench/requirements.txt) on CPython with the same
three routes as ``bench/programs/http_hello.py``.

    python bench/peers/aiohttp_hello.py PORT

Prints ``READY <port>`` once listening.  The access log is off (``access_log=None``): none
of the other servers logs requests either.
"""

import asyncio
import sys

from aiohttp import web


async def hello(request):
    return web.Response(body=b"Hello, world!", content_type="text/plain")


async def json(request):
    return web.json_response({"ok": True})


async def heap(request):
    return web.Response(text="None None -1", content_type="text/plain")


async def main(port):
    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/json", json)
    app.router.add_get("/heap", heap)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "0.0.0.0", port)
    await site.start()
    print("READY", port, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1])))
    except KeyboardInterrupt:
        pass
