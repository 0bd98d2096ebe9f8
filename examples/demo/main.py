"""The demo application that ``make run`` serves.

    remora serve examples/demo [--port 8080] [--runtime micropython|cpython] [--board esp32]

Pages (``www/*.rsp``) run on the worker pool; ``/hello``, ``/stats`` and
``/echo`` are Python routes on the dispatcher; ``/admin/`` asks for HTTP
Basic credentials (user ``admin``, password ``remora``).  ``POST /echo``
streams the body back as it arrives; ``upload.rsp`` saves files into
``--uploads DIR`` (by default ``uploads`` in the application folder) as
they come; ``/admin/firmware.rsp`` sends a firmware image to the board's
next OTA partition (remora.ota; off the board, the file-backed partitions
of ``REMORA_OTA_DIR``).

WebSockets (``remora.ws``), each a cosocket task of its own:

* ``/ws/echo`` echoes every message with its type (text or binary), any
  size up to the board's ``ws_max_message``: each piece goes back as it
  arrives, as a fragment, so a message over 64 KiB never sits in the heap;
* ``/ws/live`` pushes the server's figures every second (the index page
  shows them);
* ``/ws/chat`` passes every text message to everyone in the chat (the
  index page's chat panel);
* ``wsecho.rsp`` is the seed's example 2: a form posts a message, the page
  (on a worker thread) sends it over a blocking WebSocket client connection
  to an echo server (``/ws/echo`` here unless the form names another) and
  renders the answer.  Basic, not a login
form with a session: sessions and the form would cost about 5 KB of a
board's heap (``host_tests/apps/`` shows FormAuth).
"""

import json
import os

import remora
from remora import dispatcher, ota, profile
from remora import ws as websockets
from remora.http import App, BasicAuth, Response, Users


ERROR_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>%d %s</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body class="error"><h1>%d %s</h1>%s<p><a href="/">home</a></p></body></html>
"""


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


def build(root, pages_compiled, ntp, uploads=None):
    app = App(root)
    app.state["ntp"] = ntp
    uploads = app.state["uploads"] = uploads or root.rstrip("/") + "/uploads"
    app.state["visits"] = 0
    app.protect("/admin/", BasicAuth(Users({"admin": "remora"}), "remora demo"))
    app.pages("/", "www", pages_compiled)

    @app.error_page
    def error_page(req, status, reason, detail):
        # Every error the App answers itself, in the demo's own style (the
        # detail, a traceback with source, only in development mode).
        body = ERROR_PAGE % (status, reason, status, reason,
                             "<pre>%s</pre>" % escape(detail) if detail else "")
        return Response(body, status, None, "text/html; charset=utf-8")

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    def figures():
        alloc, free = remora.heap()
        return {
            "runtime": remora.RUNTIME,
            "board": profile.get("name"),
            "heap_alloc": alloc,
            "heap_free": free,
            "connections": app.connections,
            "websockets": websockets.count(),
            "sockets": dispatcher.open_sockets(),
            "uptime_s": remora.ticks_diff(remora.ticks_ms(), app.started_ms) // 1000,
        }

    @app.route("/stats")
    async def stats(req):
        return figures()

    @app.websocket("/ws/echo")
    async def ws_echo(ws):
        # Each piece back as it came, a fragment of a message of the same type.
        while True:
            piece = await ws.read()
            if piece is None:
                return
            await ws.write(piece.data, piece.text, piece.message_end)

    @app.websocket("/ws/live")
    async def ws_live(ws):
        # The figures every second; the read's timeout is the clock.
        while True:
            await ws.write(json.dumps(figures()))
            try:
                if await ws.read(1000) is None:
                    return
            except remora.Timeout:
                pass

    chat = app.state["chat"] = []

    @app.websocket("/ws/chat")
    async def ws_chat(ws):
        chat.append(ws)
        try:
            while True:
                message = await ws.receive()
                if message is None:
                    return
                if isinstance(message, str):
                    for other in list(chat):
                        try:
                            await other.write(message[:200])
                        except remora.SocketError:
                            pass  # that one is leaving; its own task ends it
        finally:
            chat.remove(ws)

    @app.route("/echo", methods=("POST",), stream=True, max_body=16 << 20)
    async def echo(req):
        # Streamed both ways: each piece of the body goes back as it comes,
        # so a body of any size up to 16 MiB passes a board's heap.
        ctype = req.header("content-type", "application/octet-stream")
        resp = Response(req.stream, 200, [["content-type", ctype]])
        resp.length = req.stream.length  # chunked when the request was
        return resp

    # Uploads (www/upload.rsp): files streamed to the flash as they come.
    @app.route("/upload", methods=("POST",), stream=True, max_body=512 << 10)
    async def upload(req):
        from remora.http.upload import save_form

        await save_form(req, uploads, max_file=256 << 10)
        return Response(b"", 303, [["location", "/upload.rsp"]])  # RFC 9110 §15.4.4

    # Firmware updates behind the admin login (www/admin/firmware.rsp, remora.ota).
    ota.route(app, "/admin/firmware")

    return app


async def main(args):
    root = option(args, "--root", None) or os.getenv("REMORA_APP_DIR") or "."
    port = int(option(args, "--port", "8080"))
    pages = option(args, "--pages", None)
    ntp = option(args, "--ntp", "pool.ntp.org:123")
    app = build(root, pages, ntp, option(args, "--uploads", None))
    await app.serve(port)
