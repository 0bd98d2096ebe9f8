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
- ``http_body_ms``: from the first wait for a body to its end (a body
  that drips in, a slow POST, would otherwise hold a slot for hours); 408.
"""

from .. import dispatcher, port
from ..errors import SocketError, Timeout
from . import core, events, httpdate
from .events import NEED_DATA, ProtocolError
from .request import Request
from .reasons import reason
from .response import Response

try:
    from typing import Any, List, Optional
except ImportError:
    pass

_CONTINUE = events.Response(100, [])

# The answer to a request that did not fit in the heap, whole and constant
# (it stays in flash on a board): sending it allocates nothing when nothing
# can be allocated.  No Date: RFC 9110 §6.6.1 makes it optional for 5xx.
OVERLOADED = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"retry-after: 1\r\n"  # RFC 9110 §10.2.3: overload passes
    b"content-length: 24\r\n"
    b"connection: close\r\n\r\n"
    b"503 Service Unavailable\n"
)
# The peer gone, or no heap for a best-effort send: made once, since
# ``except (A, B)`` would build its tuple (allocate) on a heap that is out.
_GONE = (OSError, MemoryError)


class _Connection(core.Connection):
    # The core builds our Request itself, not an event and then a copy.
    request_type = Request


# What a connection is waiting for, with the deadline the sweeper checks.
IDLE = 0  # between requests: http_idle_ms, then a silent close
HEAD = 1  # inside a request head: http_head_ms from its first byte, then 408
BODY = 2  # inside a body: http_body_ms from its first wait, then 408
BUSY = 3  # handling or answering: no deadline


async def serve_connection(sock: "Any", app: "Any") -> None:
    """Serve requests on sock until the client or a timeout ends it.

    One coroutine does the common request (head already read, no body, a
    bytes answer) without awaiting any other coroutine of ours: on
    MicroPython every nested coroutine is a heap object per request.
    """
    # [what it waits for, deadline]: mutated in place, read by App._sweep;
    # one list per connection instead of a timer per read.
    watch = [IDLE, 0]
    # Whether this request's final response has started on the wire: until
    # it has, a failure can still be answered with a whole error response.
    wrote = False
    app.connections += 1  # allocates nothing: the finally below always undoes it
    try:
        # Both may run out of heap: then 503, and undone.
        conn = _Connection(core.SERVER, app.limits)
        app.live[id(sock)] = (sock, watch)
        while True:
            wrote = False
            _wait(watch, IDLE, app.idle_ms)
            event = conn.next_event()
            while event is NEED_DATA:
                # The head, read here rather than in _next_event: one
                # coroutine fewer per request.
                data = await sock.read()
                conn.receive_data(data or b"")
                event = conn.next_event()
                if event is NEED_DATA and watch[0] == IDLE:
                    # The head's time runs from its first byte: from this
                    # read.  (A head that came whole never needs it.)
                    _wait(watch, HEAD, app.head_ms)
            data = None
            if type(event) is not Request:
                return  # ConnectionClosed: the client is done
            req = event
            req.app = app
            req.conn = conn
            req.peer = sock.peer
            req.sock = sock
            if conn.client_is_waiting_for_100_continue:
                # RFC 9110 §10.1.1: tell the client to send the body it announced.
                await sock.write(conn.send(_CONTINUE))
            watch[0] = BUSY
            event = conn.next_event()
            if type(event) is not events.EndOfMessage:
                if not await _read_body(sock, conn, app, watch, req, event):
                    return
            resp = await app.handle(req)
            if req.conn is None:
                return  # req2sock took the socket: it is no longer ours
            body = resp.body
            if isinstance(body, str):
                body = body.encode()
            # ``wrote`` turns True once a write has begun, not before: up to
            # then a MemoryError (building the head, or the write's own
            # coroutine) leaves the wire clean for a 503.
            if isinstance(body, (bytes, bytearray, memoryview)):
                for piece in _bytes_response(conn, req, resp, body):
                    if piece:
                        # What the socket takes at once goes with no
                        # coroutine (no heap): usually all of it.
                        sent = sock.send_now(piece)
                        if sent:
                            wrote = True
                        if sent < len(piece):
                            writing = sock.write(memoryview(piece)[sent:] if sent else piece)
                            wrote = True
                            await writing
            else:
                writing = sock.write(_stream_head(conn, resp))
                wrote = True
                await writing
                await _send_stream(sock, conn, req, body)
            req = resp = body = piece = writing = None  # type: ignore[assignment]
            app.keep_reserve()
            if conn.our_state != core.DONE or conn.their_state != core.DONE:
                return  # must close (Connection: close, HTTP/1.0, unread body)
            if app.draining:
                return
            conn.start_next_cycle()
    except ProtocolError as exc:
        await _send_error(sock, watch, exc.status, str(exc) if app.dev else "")
    except MemoryError:
        # This request did not fit in the heap: refuse it (DESIGN.md: refuse
        # work, never crash); the memory returns when the connection ends.
        # Sent without a coroutine or a formatted message: either could be
        # the allocation that fails again.  What this request holds (its
        # buffered bytes, a part-read body) is let go first.
        conn = event = req = resp = body = data = writing = None  # type: ignore[assignment]
        port.collect()
        if not wrote:
            try:
                if sock.send_now(OVERLOADED) == len(OVERLOADED):
                    _wait(watch, BODY, 1000)
                    await _drain(sock)
            except _GONE:
                pass
    except Timeout:
        if watch[0] != IDLE:
            await _send_error(sock, watch, 408, "")
    except SocketError:
        pass  # the peer went away
    except Exception as exc:
        # A bug of ours, or a streaming body that raised: logged, and the
        # client gets a 500 rather than a silent close when nothing was sent.
        dispatcher.log_exception(exc, "connection failed")
        if not wrote:
            await _send_error(sock, watch, 500, "")
    finally:
        app.connections -= 1
        app.live.pop(id(sock), None)


def _wait(watch: "Any", kind: int, ms: int) -> None:
    watch[0] = kind
    watch[1] = port.ticks_add(port.ticks_ms(), ms)


async def _next_event(sock: "Any", conn: "Any", app: "Any", watch: "Any") -> "Any":
    """The core's next event once it needs data: read within the time limits."""
    event = NEED_DATA
    while event is NEED_DATA:
        if watch[0] == BUSY:
            # The body's time runs from the first wait for it: a body that
            # drips in (a slow POST) is cut off, whatever its pauses.
            _wait(watch, BODY, app.body_ms)
        data = await sock.read()
        conn.receive_data(data or b"")
        event = conn.next_event()
    return event


def sweep(app: "Any") -> None:
    """Interrupt every connection past its deadline (App runs this on a timer)."""
    now = port.ticks_ms()
    for sock, watch in app.live.values():
        if watch[0] != BUSY and port.ticks_diff(now, watch[1]) > 0:
            watch[1] = port.ticks_add(now, 60000)  # interrupt once
            sock.interrupt(Timeout("timeout"))


async def _read_body(
    sock: "Any", conn: "Any", app: "Any", watch: "Any", req: "Request", event: "Any"
) -> bool:
    """Collect the body into req.body within the board's limit (the core
    enforces it), starting from the core's first body event; False when the
    client left instead."""
    # With a Content-Length it goes straight into one buffer of that size:
    # no list of pieces, no join, so the peak is the body once.  The size is
    # the core's, which validated the field (the raw field may be "5, 5").
    size = conn.content_length
    buf = None  # type: Any
    filled = 0
    parts = None  # type: Optional[List[bytes]]
    while True:
        if event is NEED_DATA:
            event = await _next_event(sock, conn, app, watch)
        if type(event) is events.Data:
            data = event.data
            if buf is None and parts is None and size is not None and len(data) < size:
                buf = app.body_buffer(size)
            if buf is not None:
                buf[filled : filled + len(data)] = data
                filled += len(data)
            elif parts is None:
                parts = [data]
            else:
                parts.append(data)
        elif type(event) is events.EndOfMessage:
            break
        else:
            return False
        event = conn.next_event()
    watch[0] = BUSY
    if buf is not None:
        req.body = buf
    elif parts is not None:
        req.body = parts[0] if len(parts) == 1 else b"".join(parts)
    return True


def _bytes_response(conn: "Any", req: "Request", resp: "Response", body: "Any") -> "Any":
    """The wire pieces, in order, of a response whose body is in memory: one
    piece for a small answer (one system call), else head, body and end (a
    large body goes out as it is, with no copy joined to the head; so does
    a small one when the heap has no block for the join)."""
    status = resp.status
    bodiless = status < 200 or status == 204 or status == 304
    size = None
    if not bodiless:
        size = resp.length if resp.length is not None else len(body)
    # The core adds Content-Length and Date to the head: no copy of the
    # response's header list, no field made per request.  RFC 9110 §6.6.1:
    # an origin server with a clock MUST send Date (the core leaves it out
    # when the application set its own).
    head = conn.send_response_head(status, resp.headers, None, size, httpdate.now() or None)
    if bodiless or req.method == "HEAD" or not body:
        return head, conn.send_end()
    data = conn.send_data(body)  # the body's wire form: itself, or a chunk
    end = conn.send_end()  # b"" unless the application chose chunked
    if len(data) <= 1024:
        try:
            return (head + data + end if end else head + data,)
        except MemoryError:
            pass
    return head, data, end


def _stream_head(conn: "Any", resp: "Response") -> bytes:
    # A stream: Content-Length when its size is known, else chunked (the
    # core picks chunked for HTTP/1.1 and close-delimited for HTTP/1.0).
    status = resp.status
    length = None if status < 200 or status == 204 or status == 304 else resp.length
    return conn.send_response_head(status, resp.headers, None, length, httpdate.now() or None)


async def _send_stream(sock: "Any", conn: "Any", req: "Request", body: "Any") -> None:
    """The body of a stream whose head (_stream_head) went out."""
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
        await sock.write(conn.send(events.Data(chunk)))


def _close_stream(body: "Any") -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _error_message(status: int, detail: str = "") -> bytes:
    """A whole plain-text error response that closes the connection."""
    text = "%d %s\n" % (status, (reason(status) or "Error"))
    if detail:
        text += detail + "\n"
    body = text.encode()
    head = "HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n" % (
        status,
        (reason(status) or "Error"),
    )
    date = httpdate.now()
    if date:
        head += "date: %s\r\n" % date
    if status == 503:
        head += "retry-after: 1\r\n"  # RFC 9110 §10.2.3: overload passes
    head += "content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    return head.encode() + body


async def _send_error(sock: "Any", watch: "Any", status: int, detail: str) -> None:
    """Answer a request we cannot serve, then the connection ends."""
    try:
        # Written raw: the core is in ERROR state after a protocol error.
        await sock.write(_error_message(status, detail))
        _wait(watch, BODY, 1000)  # the sweeper ends the drain after a second
        await _drain(sock)
    except SocketError:
        pass


async def _drain(sock: "Any") -> None:
    """Read and drop what the client still sends, briefly, before we close.

    Closing with unread bytes in the receive buffer makes the kernel send a
    reset, which can destroy the error response before the client reads it
    (RFC 9112 §9.6: close in stages).  Bounded in bytes here and in time by
    the sweeper.
    """
    budget = 65536
    while budget > 0:
        try:
            # A client quiet for 0.1 s is done.  Dropped in the shared read
            # buffer: no heap, which may be what ran out.
            size = await sock.discard(100)
        except Timeout:
            return
        if not size:
            return
        budget -= size


def refuse(sock: "Any", status: int = 503) -> None:
    """Answer a connection we will not serve (over the cap), then let it
    linger to read and drop its request before it closes (Socket.linger):
    closing with the request unread makes the kernel send a reset, which
    can destroy the answer before the client reads it (RFC 9112 §9.6)."""
    # Best effort: a fresh socket's buffer is empty.  A 503 is the
    # constant, so a flood costs no heap per refusal.
    sock.refuse(OVERLOADED if status == 503 else _error_message(status))
    sock.linger()


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
    sock.hand_off()
    if data:
        sock.unread(data)
    return sock
