"""The WebSocket test application (host_tests/test_ws_server.py).

    remora serve host_tests/apps/wsapp --board esp32 --port N

Routes: ``/ws/echo`` echoes whole messages with their type (receive);
``/ws/stream`` echoes each piece as it arrives, as fragments (read);
``/ws/info`` sends one text message describing the last read pieces;
``/ws/private/echo`` is behind HTTP Basic (user ``u``, password ``p``);
``/ws/session`` needs a session (``/login`` makes one); ``/ws/chat`` agrees
the ``chat`` subprotocol; ``/ws/ping`` pings every 300 ms when quiet;
``/ws/page`` upgrades through ``remora.ws.upgrade`` in a worker route, and
``/pages/ws.rsp`` in a page;
``/count`` answers the number of open WebSockets.
"""

import remora
from remora import ws as rws
from remora.http import App, BasicAuth, Users


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


async def echo(ws):
    while True:
        msg = await ws.receive()
        if msg is None:
            break
        await ws.write(msg)


async def stream(ws):
    # Each piece goes back as it came, as a fragment of the same message:
    # memory stays one piece, whatever the message's size.
    while True:
        piece = await ws.read()
        if piece is None:
            break
        await ws.write(piece.data, piece.text, piece.message_end)


def build(root, pages=None):
    app = App(root)
    app.enable_sessions()
    app.pages("/pages", "www", pages)  # www/ws.rsp: a WebSocket entry page
    app.protect("/ws/private/", BasicAuth(Users({"u": "p"})))

    app.websocket("/ws/echo")(echo)
    app.websocket("/ws/private/echo")(echo)
    app.websocket("/ws/async", mode="async")(echo)
    app.websocket("/ws/stream")(stream)
    app.websocket("/ws/session", session=True)(echo)
    app.websocket("/ws/origin", origins=("http://good.example",))(echo)

    @app.websocket("/ws/chat", subprotocols=("chat", "superchat"))
    async def chat(ws):
        await ws.write("agreed %s" % ws.subprotocol)
        await echo(ws)

    @app.websocket("/ws/info")
    async def info(ws):
        # The seed's read: pieces with bytes read so far and frame length.
        seen = []
        while True:
            piece = await ws.read()
            if piece is None:
                return
            seen.append("%d/%d%s" % (piece.received, piece.length, "F" if piece.message_end else ""))
            if piece.message_end:
                await ws.write(" ".join(seen))
                seen = []

    @app.websocket("/ws/ping")
    async def ping(ws):
        ws.ping_ms = 300
        await echo(ws)
        print("PING CLOSED", ws.closed.code)

    @app.websocket("/ws/raise")
    async def boom(ws):
        await ws.receive()
        raise ValueError("boom")

    @app.route("/ws/page", worker=True)
    def page(req):
        # As a page would: on a worker thread, the raw entry.
        return rws.upgrade(req, echo)

    @app.route("/login")
    def login(req):
        req.session["user"] = "x"
        return "ok"

    @app.route("/count")
    def count(req):
        return {"websockets": rws.count(), "connections": app.connections,
                "heap": remora.heap()}

    return app


async def main(args):
    port = int(option(args, "--port", "8080"))
    app = build(option(args, "--root", "."), option(args, "--pages", None))
    await app.serve(port)
