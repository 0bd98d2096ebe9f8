"""Benchmark reference: a bare asyncio Protocol on CPython that answers every request with one
fixed response, without parsing: the ceiling of an asyncio server on this machine.

    python bench/peers/bare_http.py PORT

Each ``\\r\\n\\r\\n`` in what arrives counts as one request (no body, no parser, no router) and
gets the same bytes: ``HTTP/1.1 200 OK``, ``content-type: text/plain``, ``content-length: 13``,
``Hello, world!``.  So that wrk's ``Connection: close`` runs measure connection set-up as for
the other servers, a read containing ``Connection: close`` (a substring test, not parsing) is
answered with ``connection: close`` in the response and the transport is closed.  Prints
``READY <port>`` once listening.
"""

import asyncio
import sys

BODY = b"Hello, world!"
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n" % len(BODY)
KEEP = HEAD + b"\r\n" + BODY
CLOSE = HEAD + b"connection: close\r\n\r\n" + BODY


class Bare(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        n = data.count(b"\r\n\r\n")
        if not n:
            return
        if b"Connection: close" in data or b"connection: close" in data:
            self.transport.write(CLOSE)
            self.transport.close()
        else:
            self.transport.write(KEEP * n)


async def main(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Bare, "0.0.0.0", port, backlog=128)
    print("READY", port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1])))
    except KeyboardInterrupt:
        pass
