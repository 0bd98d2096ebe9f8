"""Benchmark reference: plain asyncio streams answering HTTP without parsing, on either runtime.

    python bench/peers/bare_streams.py PORT                                  # CPython
    MICROPYPATH=.frozen REMORA_ROMFS_IMAGE=IMAGE FIRMWARE \\
        -X heapsize=N -m remora_rom --module bare_streams PORT              # MicroPython

The MicroPython counterpart of ``bare_http.py`` (MicroPython's asyncio has no ``Protocol``):
``asyncio.start_server``, and each ``\\r\\n\\r\\n`` in what a read returns is answered with the
same fixed 13-byte ``Hello, world!`` response; a read containing ``Connection: close`` gets
``connection: close`` and the stream is closed.  No parser, no router, no Date: the ceiling
of an HTTP server on this runtime's asyncio.  Prints ``READY <port>`` once listening.
"""

import sys

import asyncio

_BODY = b"Hello, world!"
_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n"
KEEP = _HEAD + b"\r\n" + _BODY
CLOSE = _HEAD + b"connection: close\r\n\r\n" + _BODY


async def answer(reader, writer):
    try:
        while True:
            data = await reader.read(1024)
            if not data:
                break
            n = data.count(b"\r\n\r\n")
            if not n:
                continue
            if b"onnection: close" in data:
                writer.write(CLOSE)
                await writer.drain()
                break
            writer.write(KEEP if n == 1 else KEEP * n)
            await writer.drain()
        writer.close()
        await writer.wait_closed()
    except OSError:
        writer.close()  # the client reset the connection (wrk does at the end of a run)


async def main(port):
    server = await asyncio.start_server(answer, "0.0.0.0", port, backlog=64)
    print("READY", port)
    await server.wait_closed()


def _run():
    port = int(sys.argv[1])
    try:
        asyncio.run(main(port))
    except KeyboardInterrupt:
        pass


_run()
