"""Benchmark peer: microdot (PyPI ``microdot``, pinned in bench/requirements.txt) with the
same three routes as ``bench/programs/http_hello.py``.

    python bench/peers/microdot_hello.py PORT                                # CPython
    MICROPYPATH=.frozen REMORA_ROMFS_IMAGE=IMAGE FIRMWARE \\
        -X heapsize=N -m remora_rom --module microdot_hello PORT             # MicroPython
    ... microdot_hello 0 --import-only

On MicroPython (FIRMWARE: the bench's, bench/servers.py) microdot is frozen into the firmware,
as remora is, and this file is ``lib/microdot_hello.mpy`` in the simulated flash image: it runs
in place, outside the heap, as remora programs do (``servers.rom_argv``).

It imports ``microdot.websocket`` too (microdot with its WebSocket module, the issue's
reference configuration), prints ``READY <port>`` once listening, and with ``--import-only``
prints ``HEAP <alloc> <free>`` (after ``gc.collect()``; ``None`` on CPython) and exits.
"""

import gc
import sys

import asyncio

from microdot import Microdot, Response
from microdot.websocket import with_websocket  # noqa: F401  (the module is the point)


def _heap():
    gc.collect()
    try:
        return gc.mem_alloc(), gc.mem_free()
    except AttributeError:  # CPython
        return None, None


app = Microdot()
_open = [0]


@app.route("/hello")
async def hello(req):
    return Response(b"Hello, world!", 200, {"Content-Type": "text/plain"})


@app.route("/json")
async def json(req):
    return {"ok": True}


@app.route("/heap")
async def heap(req):
    alloc, free = _heap()
    return Response("%s %s -1" % (alloc, free), 200, {"Content-Type": "text/plain"})


async def _main(port):
    task = asyncio.create_task(app.start_server(host="0.0.0.0", port=port))
    for _ in range(200):  # start_server sets app.server once it listens
        await asyncio.sleep(0.01)
        if getattr(app, "server", None) is not None:
            break
    print("READY", port)
    await task


def main(argv):
    if "--import-only" in argv:
        alloc, free = _heap()
        print("HEAP", alloc, free)
        return
    try:
        asyncio.run(_main(int(argv[0])))
    except KeyboardInterrupt:
        pass


main(sys.argv[1:])
