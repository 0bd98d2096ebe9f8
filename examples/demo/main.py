"""The demo application that ``make run`` serves.

    remora serve examples/demo [--port 8080] [--runtime micropython|cpython] [--board esp32]

Pages (``www/*.rsp``) run on the worker pool; ``/hello``, ``/stats`` and
``/echo`` are Python routes on the dispatcher; ``/admin/`` asks for HTTP
Basic credentials (user ``admin``, password ``remora``).  Basic, not a login
form with a session: sessions and the form would cost about 5 KB of a
board's heap (``host_tests/apps/`` shows FormAuth).
"""

import os

import remora
from remora import dispatcher, profile
from remora.http import App, BasicAuth, Response, Users


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


def build(root, pages_compiled, ntp):
    app = App(root)
    app.state["ntp"] = ntp
    app.state["visits"] = 0
    app.protect("/admin/", BasicAuth(Users({"admin": "remora"}), "remora demo"))
    app.pages("/", "www", pages_compiled)

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/stats")
    async def stats(req):
        alloc, free = remora.heap()
        return {
            "runtime": remora.RUNTIME,
            "board": profile.get("name"),
            "heap_alloc": alloc,
            "heap_free": free,
            "connections": app.connections,
            "sockets": dispatcher.open_sockets(),
            "uptime_s": remora.ticks_diff(remora.ticks_ms(), app.started_ms) // 1000,
        }

    @app.route("/echo", methods=("POST",))
    async def echo(req):
        ctype = req.header("content-type", "application/octet-stream")
        return Response(req.body, 200, [["content-type", ctype]])

    return app


async def main(args):
    root = option(args, "--root", None) or os.getenv("REMORA_APP_DIR") or "."
    port = int(option(args, "--port", "8080"))
    pages = option(args, "--pages", None)
    ntp = option(args, "--ntp", "pool.ntp.org:123")
    app = build(root, pages, ntp)
    await app.serve(port)
