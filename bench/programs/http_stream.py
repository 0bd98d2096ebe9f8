"""Bench program: a streamed echo, and the heap a keep-alive request allocates.

    remora run bench/programs/http_stream.py PORT

- ``POST /echo``: the body back as it arrives (``stream=True``, up to 16 MiB), Content-Length
  when the request had one: the demo's echo;
- ``GET /hello``: ``Hello, world!`` (the same route as ``http_hello.py``);
- ``GET /heap``: ``<alloc> <free>`` after a collection (``None None`` on CPython);
- ``GET /alloc?start`` collects, turns the collector off (MicroPython) and notes the heap in
  use; ``GET /alloc?stop`` answers the bytes allocated since and turns it on again: the
  client sends K keep-alive ``GET /hello`` between the two (bench/http_stream.py).
"""

import gc

import remora
from remora.http.app import App
from remora.http.response import Response

_mark = [0]


def build(root):
    app = App(root)

    @app.route("/echo", methods=("POST",), stream=True, max_body=16 << 20)
    async def echo(req):
        resp = Response(req.stream, 200, [["content-type", "application/octet-stream"]])
        resp.length = req.stream.length
        return resp

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/heap")
    async def heap(req):
        app.reserve = None  # not counted: it comes and goes
        alloc, free = remora.heap()
        return Response("%s %s" % (alloc, free), 200, [["content-type", "text/plain"]])

    @app.route("/alloc")
    async def alloc(req):
        if not hasattr(gc, "mem_alloc"):
            return Response(b"None", 200, [["content-type", "text/plain"]])
        if req.query == "start":
            gc.collect()
            gc.disable()
            _mark[0] = gc.mem_alloc()
            return Response(b"0", 200, [["content-type", "text/plain"]])
        used = gc.mem_alloc() - _mark[0]
        gc.enable()
        return Response(str(used), 200, [["content-type", "text/plain"]])

    return app


def _root():
    try:
        import os

        return os.getenv("REMORA_APP_DIR") or "."
    except ImportError:
        return "."


async def main(args):
    await build(_root()).serve(int(args[0]))
