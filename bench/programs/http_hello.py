"""Bench program: a remora App with three trivial routes (and optionally pages).

    remora run bench/programs/http_hello.py PORT [--pages DIR]     # serve
    remora run bench/programs/http_hello.py 0 --import-only [--pages DIR]

Routes (the same three as ``bench/peers/microdot_hello.py``):

- ``GET /hello``: ``Hello, world!`` as text/plain (the wrk target);
- ``GET /json``: ``{"ok": true}``;
- ``GET /heap``: ``<alloc> <free> <connections>``: ``remora.heap()`` (the GC heap after a
  collection on MicroPython, ``None None`` on CPython) and the open HTTP connections.

``--pages DIR`` also mounts the pages of ``bench/programs/www`` at ``/`` (DIR: the folder of
precompiled pages; ``-`` compiles at run time, CPython only).  ``--import-only`` builds the app
without serving, prints ``HEAP <alloc> <free>`` (after ``gc.collect()``) and exits: the heap of
remora's HTTP server, pages engine and the routes once imported.
"""

import gc

import remora
from remora.http.app import App
from remora.http.response import Response


def build(root, pages):
    app = App(root)
    if pages is not None:
        app.pages("/", "www", None if pages == "-" else pages)

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/json")
    async def json(req):
        return {"ok": True}

    @app.route("/heap")
    async def heap(req):
        alloc, free = remora.heap()
        return Response("%s %s %d" % (alloc, free, app.connections), 200,
                        [["content-type", "text/plain"]])

    return app


def _option(args, name):
    if name in args:
        return args[args.index(name) + 1]
    return None


def _root():
    try:
        import os

        return os.getenv("REMORA_APP_DIR") or "."
    except ImportError:
        return "."


async def main(args):
    port = int(args[0])
    app = build(_root(), _option(args, "--pages"))
    if "--import-only" in args:
        gc.collect()
        alloc, free = remora.heap()
        print("HEAP", alloc, free)
        return
    await app.serve(port)
