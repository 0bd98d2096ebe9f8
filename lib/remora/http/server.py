"""The HTTP/1.1 server's connection driver: the sans-IO core on a cosocket.

One task per connection, bound to its socket in cosocket mode, so reads and
writes both suspend and a slow client never holds the dispatcher.  The
driver only moves bytes and enforces time: what is legal HTTP is the core's
business (``core.Connection``), what to answer is the application's
(``App.handle``).

Timeouts (board profile, milliseconds):

- ``http_idle_ms``: a keep-alive connection waiting for its next request;
  closed silently when it runs out.
- ``http_head_ms``: from the first byte of a request to the end of its head;
  a client that trickles headers (slowloris) gets 408 and is closed.
- ``http_body_ms``: the longest pause between two pieces of a body.
"""

from .. import port
from ..errors import SocketError, Timeout
from . import core, events
from .errors import ProtocolError
from .request import Request
from .response import REASONS, Response

try:
    from typing import Any, List, Optional
except ImportError:
    pass

_CONTINUE = events.Response(100, [])
_END = events.EndOfMessage()


async def serve_connection(sock: "Any", app: "Any") -> None:
    """Serve requests on sock until the client or a timeout ends it."""
    conn = core.Connection(core.SERVER, app.limits)
    app.connections += 1
    try:
        while True:
            req = await _read_request(sock, conn, app)
            if req is None:
                return
            resp = await app.handle(req)
            if req.conn is None:
                return  # req2sock took the socket: it is no longer ours
            await _send_response(sock, conn, req, resp)
            if conn.our_state is not core.DONE or conn.their_state is not core.DONE:
                return  # must close (Connection: close, HTTP/1.0, unread body)
            if app.draining:
                return
            conn.start_next_cycle()
    except ProtocolError as exc:
        await _send_error(sock, conn, exc.status, str(exc) if app.dev else "")
    except MemoryError:
        # This request did not fit in the heap: refuse it (DESIGN.md: refuse
        # work, never crash); the memory returns when the connection ends.
        port.collect()
        await _send_error(sock, conn, 503, "")
    except Timeout:
        await _send_error(sock, conn, 408, "")
    except SocketError:
        pass  # the peer went away
    finally:
        app.connections -= 1
        app.idle.pop(id(sock), None)


async def _next_event(sock: "Any", conn: "Any", app: "Any", in_head: bool) -> "Any":
    """The core's next event, reading as needed within the time limits."""
    event = conn.next_event()
    if event is not events.NEED_DATA:
        return event
    if in_head:
        # Waiting for a request: first the keep-alive idle time for its first
        # byte, then at most http_head_ms for the rest of its head.
        app.idle[id(sock)] = sock
        try:
            data = await sock.read(app.idle_ms)
        except Timeout:
            return events.ConnectionClosed()
        finally:
            app.idle.pop(id(sock), None)
        deadline = port.ticks_add(port.ticks_ms(), app.head_ms)
        while True:
            conn.receive_data(data or b"")
            event = conn.next_event()
            if event is not events.NEED_DATA:
                return event
            left = port.ticks_diff(deadline, port.ticks_ms())
            if left <= 0:
                raise Timeout("request head too slow")
            data = await sock.read(left)
    while True:
        data = await sock.read(app.body_ms)
        conn.receive_data(data or b"")
        event = conn.next_event()
        if event is not events.NEED_DATA:
            return event


async def _read_request(sock: "Any", conn: "Any", app: "Any") -> "Optional[Request]":
    event = await _next_event(sock, conn, app, True)
    if not isinstance(event, events.Request):
        return None  # ConnectionClosed: the client is done
    req = Request(event.method, event.target, event.version, event.headers)
    req.app = app
    req.conn = conn
    req.peer = sock.peer
    req.sock = sock
    if conn.client_is_waiting_for_100_continue:
        # RFC 9110 §10.1.1: tell the client to send the body it announced.
        await sock.write(conn.send(_CONTINUE))
    # The body, collected within the board's limit (the core enforces it).
    # With a Content-Length it goes straight into one buffer of that size:
    # no list of pieces, no join, so the peak is the body once.
    size = req.headers.get("content-length")
    buf = None  # type: Any
    filled = 0
    parts = None  # type: Optional[List[bytes]]
    while True:
        event = await _next_event(sock, conn, app, False)
        if isinstance(event, events.Data):
            data = event.data
            if buf is None and parts is None and size is not None and len(data) < int(size):
                buf = bytearray(int(size))
            if buf is not None:
                buf[filled : filled + len(data)] = data
                filled += len(data)
            elif parts is None:
                parts = [data]
            else:
                parts.append(data)
        elif isinstance(event, events.EndOfMessage):
            break
        else:
            return None
    if buf is not None:
        req.body = buf
    elif parts is not None:
        req.body = parts[0] if len(parts) == 1 else b"".join(parts)
    return req


def _head_fields(resp: "Response") -> "List[Any]":
    fields = []  # type: List[Any]
    for pair in resp.headers:
        fields.append((pair[0], pair[1]))
    return fields


async def _send_response(sock: "Any", conn: "Any", req: "Request", resp: "Response") -> None:
    body = resp.body
    fields = _head_fields(resp)
    status = resp.status
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, (bytes, bytearray, memoryview)):
        if status >= 200 and status not in (204, 304):
            size = resp.length if resp.length is not None else len(body)
            fields.append(("content-length", str(size)))
        head = conn.send_response_head(status, fields, REASONS.get(status, ""))
        if req.method == "HEAD" or status < 200 or status in (204, 304) or not body:
            await sock.write(head + conn.send_end())
        elif len(body) <= 1024:
            # One write for head and body: one system call for small answers.
            await sock.write(head + conn.send_data(body) + conn.send_end())
        else:
            # A large body goes out as it is: no copy joined to the head.
            await sock.write(head)
            await sock.write(conn.send_data(body))
            await sock.write(conn.send_end())
        return
    # A stream: Content-Length when its size is known, else chunked (the
    # core picks chunked for HTTP/1.1 and close-delimited for HTTP/1.0).
    if resp.length is not None:
        fields.append(("content-length", str(resp.length)))
    await sock.write(conn.send(events.Response(status, fields, REASONS.get(status, ""))))
    if req.method == "HEAD":
        _close_stream(body)
        conn.send(_END)
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
    await sock.write(conn.send(_END))


async def _send_chunk(sock: "Any", conn: "Any", chunk: "Any") -> None:
    if isinstance(chunk, str):
        chunk = chunk.encode()
    if chunk:
        await sock.write(conn.send(events.Data(chunk)))


def _close_stream(body: "Any") -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


async def _send_error(sock: "Any", conn: "Any", status: int, detail: str) -> None:
    """Answer a request we cannot serve, then the connection ends."""
    text = "%d %s\n" % (status, REASONS.get(status, "Error"))
    if detail:
        text += detail + "\n"
    body = text.encode()
    head = "HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n" % (
        status,
        REASONS.get(status, "Error"),
    )
    head += "content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    try:
        # Written raw: the core is in ERROR state after a protocol error.
        await sock.write(head.encode() + body)
        await _drain(sock)
    except SocketError:
        pass


async def _drain(sock: "Any") -> None:
    """Read and drop what the client still sends, briefly, before we close.

    Closing with unread bytes in the receive buffer makes the kernel send a
    reset, which can destroy the error response before the client reads it
    (RFC 9112 §9.6: close in stages).  Bounded in time and bytes.
    """
    budget = 65536
    deadline = port.ticks_add(port.ticks_ms(), 1000)
    while budget > 0:
        left = port.ticks_diff(deadline, port.ticks_ms())
        if left <= 0:
            return
        data = await sock.read(min(left, 100))  # a quiet client is done
        if not data:
            return
        budget -= len(data)


def refuse(sock: "Any", status: int = 503) -> None:
    """Answer a connection we will not serve (over the cap) and close it."""
    body = b"%d %s\n" % (status, REASONS[status].encode())
    msg = b"HTTP/1.1 %d %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % (
        status,
        REASONS[status].encode(),
        len(body),
    )
    try:
        sock._s.send(msg + body)  # best effort: a fresh socket's buffer is empty
    except OSError:
        pass
    sock.close()


def req2sock(req: "Request") -> "Any":
    """Take the request's connection as a raw socket (seed: ba.socket.req2sock).

    The server stops using the connection once the handler returns; the
    socket is unbound, so the caller binds it to its own task with
    ``sock.event(fn, mode=remora.COSOCKET)``.  Bytes the client already sent
    past this request are read first.
    """
    conn = req.conn
    sock = req.sock
    if conn is None or sock is None:
        raise ValueError("request has no connection to take")
    req.conn = None
    data, _closed = conn.trailing_data
    from .. import dispatcher

    dispatcher.unbind(sock)
    if data:
        sock._unread(data)
    return sock
