"""A small HTTP application for the ESP32-heap tests (host_tests/test_http_board.py).

    remora serve host_tests/apps/hello --board esp32 --port N

Three routes, no pages: what fits the ESP32's 110 KiB heap beside room for
its connections.  ``GET /heap`` answers ``<alloc> <free> <open connections>``
(alloc and free after a collection; ``None None`` on CPython).
"""

import remora
from remora.http import App, Response


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


def build(root):
    app = App(root)

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/heap")
    async def heap(req):
        # Not counting the body reserve: whether it is held depends on the
        # heap's fragmentation at the last try (App.keep_reserve), so it
        # would come and go between two measurements.  It is taken again
        # after a later request.
        app.reserve = None
        alloc, free = remora.heap()
        return Response("%s %s %d" % (alloc, free, app.connections), 200, [["content-type", "text/plain"]])

    @app.route("/echo", methods=("POST",))
    async def echo(req):
        return Response(req.body, 200, [["content-type", "application/octet-stream"]])

    return app


async def main(args):
    app = build(option(args, "--root", "."))
    await app.serve(int(option(args, "--port", "8080")))
