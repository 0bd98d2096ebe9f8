"""A streamed answer (a generator's or an async iterator's body), and the
rest of an answer the socket did not take at once: the server's slower
path, loaded at first need.

Most answers are bytes in memory and go out whole from server.py with no
coroutine; these need one, and this module's functions, which on a board
take heap once loaded: so only a server that needs them loads them.
"""

from . import httpdate
from .body import CONTINUE

try:
    from typing import Any
except ImportError:
    pass


def send_stream(sock: "Any", conn: "Any", req: "Any", resp: "Any", body: "Any") -> "Any":
    """The awaitable that sends resp, whose body is an iterator (sync or
    async) of bytes or str pieces."""
    head = b""
    if conn.client_is_waiting_for_100_continue and req.stream is not None:
        # A streamed answer to a body not read yet (an echo, say): the
        # body it reads must come, so the 100 goes before the head.
        head = conn.send(CONTINUE)
    return _send_stream(sock, conn, req, head + _stream_head(conn, resp), body)


async def send_rest(sock: "Any", first: "Any", more: "Any") -> None:
    """The rest of an answer in memory: first, then the pieces in more."""
    await sock.write(first)
    for piece in more:
        if piece:
            await sock.write(piece)


def _stream_head(conn: "Any", resp: "Any") -> bytes:
    # A stream: Content-Length when its size is known, else chunked (the
    # core picks chunked for HTTP/1.1 and close-delimited for HTTP/1.0).
    status = resp.status
    length = None if status < 200 or status == 204 or status == 304 else resp.length
    return conn.send_response_head(status, resp.headers, None, length, httpdate.now() or None)


async def _send_stream(sock: "Any", conn: "Any", req: "Any", head: bytes, body: "Any") -> None:
    """A streamed response: its head, then its body as the iterator yields."""
    await sock.write(head)
    if req.method == "HEAD":
        _close_stream(body)
        conn.send_end()
        return
    if hasattr(body, "__aiter__"):
        async for chunk in body:
            await _send_chunk(sock, conn, chunk)
    else:
        try:
            for chunk in body:
                await _send_chunk(sock, conn, chunk)
        finally:
            _close_stream(body)
    await sock.write(conn.send_end())


async def _send_chunk(sock: "Any", conn: "Any", chunk: "Any") -> None:
    if isinstance(chunk, str):
        chunk = chunk.encode()
    if chunk:
        await sock.write(conn.send_data(chunk))


def _close_stream(body: "Any") -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
