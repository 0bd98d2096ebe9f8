"""Bench program: the floor of remora's socket layer under an HTTP load, with no HTTP.

    remora run bench/programs/http_fixed.py PORT

Every connection is a cosocket task (as the HTTP server's are) that answers each
``\\r\\n\\r\\n`` it reads with one fixed ``Hello, world!`` response: no parser, no router, no
Date, the same bytes as ``bench/peers/bare_http.py``.  A read containing ``Connection: close``
gets ``connection: close`` and the connection ends, so the close rows measure connection
set-up too.  What remora's HTTP server does on top of this (parsing, routing, the response
head) is the gap between this row and the ``http_hello`` row of the same runtime.
"""

import remora

_BODY = b"Hello, world!"
_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n"
KEEP = _HEAD + b"\r\n" + _BODY
CLOSE = _HEAD + b"connection: close\r\n\r\n" + _BODY


async def answer(sock):
    while True:
        data = await sock.read()
        if not data:
            return
        n = data.count(b"\r\n\r\n")
        if not n:
            continue  # wrk's requests arrive whole; a partial one waits for its end
        if b"onnection: close" in data:
            await sock.write(CLOSE)
            return
        await sock.write(KEEP if n == 1 else KEEP * n)


async def main(args):
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(answer, mode=remora.COSOCKET)
