"""HTTPS and plain HTTP side by side, one dispatcher (host_tests/test_tls.py).

    remora run host_tests/programs/https_app.py CERTDIR PLAIN_PORT TLS_PORT [HANDSHAKE_MS] [lean]
        [tlsmax=N]

Both servers answer ``/hello``, ``/heap`` (``<alloc> <free> <TLS streams open>``),
``/big`` (40,000 bytes), ``POST /echo`` and a WebSocket echo at ``/ws``.  CERTDIR holds
``remora cert``'s files; the server reads the DER ones on every runtime (each converts
what it needs).  HANDSHAKE_MS sets the board's ``tls_handshake_ms``; ``lean`` leaves out the
WebSocket route and keeps request bodies to 1 KiB (a smaller body reserve), for the ESP32's
heap, where each TLS connection takes about 24 KB; ``tlsmax=N`` sets the board's ``tls_max``
(above what the heap holds: the heap runs out first).
"""

import remora
from remora import dispatcher, tls
from remora.http import App, Response
from remora.port import tlscommon

CHUNK = b"0123456789" * 400  # /big is ten of these: several TLS records each way
WS = [True]


async def ws_echo(ws):
    while True:
        msg = await ws.receive()
        if msg is None:
            break
        await ws.write(msg)


def build():
    app = App(".")

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/heap")
    async def heap(req):
        app.reserve = None  # not counted: see host_tests/apps/hello
        alloc, free = remora.heap()
        return "%s %s %d" % (alloc, free, tlscommon.live())

    @app.route("/big")
    async def big(req):
        resp = Response(CHUNK for _ in range(10))
        resp.length = 10 * len(CHUNK)
        return resp

    @app.route("/echo", methods=("POST",))
    async def echo(req):
        return Response(req.body, 200, [["content-type", "application/octet-stream"]])

    if WS[0]:
        app.websocket("/ws")(ws_echo)
    return app


async def main(args):
    certs = args[0]
    if len(args) > 3:
        remora.profile.use({"tls_handshake_ms": int(args[3])})
    for arg in args:
        if arg.startswith("tlsmax="):
            remora.profile.use({"tls_max": int(arg[7:])})
    if "lean" in args:
        WS[0] = False
        remora.profile.use({"http_max_body": 1024})
    context = tls.server(certs + "/localhost.der", certs + "/localhost-key.der")
    dispatcher.spawn(build().serve(int(args[1])))
    await build().serve(int(args[2]), tls=context)
