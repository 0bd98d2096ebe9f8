"""Benchmark peer: microdot's WebSocket echo (PyPI ``microdot``, pinned in
bench/requirements.txt), the counterpart of ``bench/programs/ws_echo.py``.

    python bench/peers/microdot_ws.py PORT                                  # CPython
    MICROPYPATH=.frozen REMORA_ROMFS_IMAGE=IMAGE FIRMWARE \\
        -X heapsize=N -m remora_rom --module microdot_ws PORT               # MicroPython

``GET /ws`` upgrades and echoes every message; a text ``HEAP`` is answered
with ``HEAP <alloc> <free>`` (after ``gc.collect()``; ``None`` on CPython).
Prints ``READY <port>`` once listening.
"""

import gc
import sys

import asyncio

from microdot import Microdot
from microdot.websocket import with_websocket


def _heap():
    gc.collect()
    try:
        return gc.mem_alloc(), gc.mem_free()
    except AttributeError:  # CPython
        return None, None


app = Microdot()


@app.route("/ws")
@with_websocket
async def echo(request, ws):
    while True:
        data = await ws.receive()
        if data == "HEAP":
            alloc, free = _heap()
            data = "HEAP %s %s" % (alloc, free)
        await ws.send(data)


async def _main(port):
    task = asyncio.create_task(app.start_server(host="0.0.0.0", port=port))
    for _ in range(200):  # start_server sets app.server once it listens
        await asyncio.sleep(0.01)
        if getattr(app, "server", None) is not None:
            break
    print("READY", port)
    await task


try:
    asyncio.run(_main(int(sys.argv[1])))
except KeyboardInterrupt:
    pass
