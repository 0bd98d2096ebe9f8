"""Request bodies read as they arrive (host_tests/test_http_stream.py), on the ESP32 heap.

    remora serve host_tests/apps/streamapp --board esp32test --port N -- --uploads DIR

- ``POST /echo``: the body back as it comes (a task, up to 2 MiB);
- ``POST /digest``: the body's size and SHA-256, read on a worker thread
  (``for piece in req.stream``), up to 64 KiB;
- ``POST /pieces``: the same, read in a task 100 bytes at a time
  (``await req.stream.read(100)``);
- ``POST /small``: a buffered body (``req.body``), within http_max_body;
- ``POST /upload`` (a task) and ``POST /upload-worker`` (a worker):
  multipart/form-data files saved into DIR, at most 128 KiB each, 256 KiB
  in all;
- ``/admin/firmware``: firmware updates (remora.ota) behind HTTP Basic
  (admin / secret), to the file-backed partitions of REMORA_OTA_DIR;
  ``GET /ota`` their state; ``--confirm`` confirms the running firmware;
- ``GET /heap``: ``<alloc> <free>`` after a collection (``None None`` on CPython);
- ``GET /about``: the event loop's class, and whether the HTTP core is the compiled one.
"""

import hashlib

import binascii

import remora
from remora import ota
from remora.http import App, BasicAuth, Response, Users
from remora.http.upload import save_form


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


def build(root, uploads):
    app = App(root)
    app.protect("/admin/", BasicAuth(Users({"admin": "secret"}), "stream test"))

    @app.route("/echo", methods=("POST",), stream=True, max_body=2 << 20)
    async def echo(req):
        resp = Response(req.stream, 200, [["content-type", "application/octet-stream"]])
        resp.length = req.stream.length
        return resp

    def summary(size, digest):
        return {"size": size, "sha256": binascii.hexlify(digest.digest()).decode()}

    @app.route("/digest", methods=("POST",), stream=True, max_body=64 << 10, worker=True)
    def digest(req):
        h = hashlib.sha256()
        size = 0
        for piece in req.stream:
            h.update(piece)
            size += len(piece)
        return summary(size, h)

    @app.route("/pieces", methods=("POST",), stream=True, max_body=64 << 10)
    async def pieces(req):
        h = hashlib.sha256()
        size = 0
        while True:
            piece = await req.stream.read(100)
            if not piece:
                return summary(size, h)
            assert len(piece) <= 100
            h.update(piece)
            size += len(piece)

    @app.route("/small", methods=("POST",))
    async def small(req):
        return {"size": len(req.body)}

    @app.route("/upload", methods=("POST",), stream=True, max_body=256 << 10)
    async def upload(req):
        form = await save_form(req, uploads, max_file=128 << 10)
        return {"fields": form.fields, "files": form.files}

    @app.route("/upload-worker", methods=("POST",), stream=True, max_body=256 << 10, worker=True)
    def upload_worker(req):
        form = save_form(req, uploads, max_file=128 << 10)
        return {"fields": form.fields, "files": form.files}

    ota.route(app, "/admin/firmware")

    @app.route("/ota")
    async def ota_state(req):
        return ota.status()

    @app.route("/about")
    async def about(req):
        # The event loop's class and whether the HTTP core runs compiled (the speedups).
        import asyncio

        from remora.proto.http import readers

        compiled = str(getattr(readers, "__file__", "")).endswith(".so")
        loop = type(asyncio.get_event_loop()).__name__
        return {"loop": loop, "core": "compiled" if compiled else "python"}

    @app.route("/heap")
    async def heap(req):
        app.reserve = None  # not counted: it comes and goes (see apps/hello)
        alloc, free = remora.heap()
        return "%s %s" % (alloc, free)

    return app


async def main(args):
    if "--confirm" in args:
        ota.confirm()
    app = build(option(args, "--root", "."), option(args, "--uploads", "uploads"))
    await app.serve(int(option(args, "--port", "8080")))
