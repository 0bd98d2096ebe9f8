"""The HTTP/1.1 server's connection driver: the sans-IO core on a cosocket.

One task per connection, bound to its socket in cosocket mode, so reads and
writes both suspend and a slow client never holds the dispatcher.  The
driver only moves bytes and keeps time: what is legal HTTP is the core's
business (``proto.http.ServerConnection``, which also frames the error
answers), what to answer is the application's (``App.handle``).

Deadlines (board profile, milliseconds), kept on each connection
(``_Connection.kind``, ``until``) for the App's sweeper, not a timer per read:

- ``IDLE``, ``http_idle_ms``: a keep-alive connection waiting for its next
  request; closed silently when it runs out.
- ``HEAD``, ``http_head_ms``: from the first byte of a request to the end
  of its head; a client that trickles headers (slowloris) gets 408.
- ``BODY``, ``http_body_ms``: from the first wait for a body to its end (a
  body that drips in, a slow POST, would otherwise hold a slot for hours);
  408.  Also the second an error answer gets to be read before the close.
  A streaming route's body (body.py) is timed by its pace instead: the
  clock runs while the server waits for the client, and every KiB that
  comes winds it back to ``http_body_ms``.
- ``BUSY``: handling or answering; no deadline.
"""

from .. import dispatcher, log, port
from ..errors import SocketError, Timeout
from ..proto.http.events import NEED_DATA, EndOfMessage, ProtocolError
from ..proto.http.server import ServerConnection
from ..proto.http.state import DONE
from . import httpdate
from .body import BodyStream
from .request import Request

try:
    from typing import Any

    from .response import Response
except ImportError:
    pass

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
# The error answers a connection may need when the heap has no room to
# build one (send_error_response): constant too, and without the Date RFC
# 9110 §6.6.1 asks of a 4xx: better than a close without a word (issue 20).
_PLAIN_ERRORS = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 16\r\nconnection: close\r\n\r\n400 Bad Request\n",
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 20\r\nconnection: close\r\n\r\n408 Request Timeout\n",
    b"HTTP/1.1 413 Content Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 22\r\nconnection: close\r\n\r\n413 Content Too Large\n",
    b"HTTP/1.1 414 URI Too Long\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 17\r\nconnection: close\r\n\r\n414 URI Too Long\n",
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 36\r\nconnection: close\r\n\r\n431 Request Header Fields Too Large\n",
)
# The peer gone, or no heap for a best-effort send: made once (``except
# (A, B)`` would build its tuple, an allocation, on a heap that is out).
_GONE = (OSError, MemoryError)

IDLE = 0
HEAD = 1
BODY = 2
BUSY = 3


class _Connection(ServerConnection):
    """One client connection: the core's state and the driver's clock.

    What it waits for (``kind``) and until when (``until``; None: the
    sweeper starts the idle clock when it first sees it, which spares each
    keep-alive request two clock reads), and whether its answer has begun
    (until then a failure can still be answered whole).  One object, not
    two, per idle connection on a board; body.py gets it as its watch.
    """

    # The core builds our Request itself, not an event and then a copy.
    request_type = Request
    sock = None  # type: Any
    kind = IDLE
    until = None  # type: Any
    answering = False

    def start(self, kind: int, ms: int) -> None:
        self.kind = kind
        self.until = port.ticks_add(port.ticks_ms(), ms)

    def expired(self, now: int) -> bool:
        return self.kind != BUSY and port.ticks_diff(now, self.until) > 0


def sweep(app: "Any") -> None:
    """Interrupt every connection past its deadline (App runs this on a timer)."""
    now = port.ticks_ms()
    for conn in app.live.values():
        if conn.until is None:
            conn.until = port.ticks_add(now, app.idle_ms)  # an idle wait's clock starts
        elif conn.expired(now):
            # The error first: when it finds no heap, the next sweep tries
            # again (else this connection would wait a minute for its 408).
            conn.sock.interrupt(Timeout("timeout"))
            conn.until = port.ticks_add(now, 60000)  # interrupt once


def _wipe(a: "Any", b: "Any", c: "Any", d: "Any", e: "Any", f: "Any", g: "Any") -> None:
    # Called with Nones where serve_connection's deepest calls put their
    # arguments: MicroPython keeps (and scans) a suspended frame's dead
    # value-stack slots, which kept every idle connection's last Request
    # and Response alive (240 B each on a board).
    pass


async def serve_connection(sock: "Any", app: "Any") -> None:
    """Serve requests on sock until the client, a timeout or an error ends it.

    The common request (head read, no body, an answer in memory) awaits no
    coroutine of ours but App.handle (on MicroPython each is a heap object
    per request).  The socket's task is this coroutine itself, with no
    guard around it (dispatcher.bind_task): it catches everything, and ends
    with dispatcher.task_done.
    """
    app.connections += 1  # allocates nothing: the finally below always undoes it
    conn = resp = None  # type: Any
    try:
        try:
            # May run out of heap: then 503, and undone.
            conn = _Connection(app.limits)
            conn.sock = sock
            app.live[sock] = conn  # by identity: id() may allocate, and the finally must not
            while True:
                conn.answering = False
                conn.kind = IDLE
                conn.until = None  # the sweeper starts the idle clock
                # The head.  Its time runs from its first byte: from the
                # read that did not bring all of it (a head that came whole
                # never needs it).
                event = conn.next_event()
                while event is NEED_DATA:
                    data = sock.read_now()
                    if data is None:
                        await sock.readable()  # the poller's wait: no frame of ours
                        continue
                    conn.receive_data(data)
                    data = None
                    event = conn.next_event()
                    if event is NEED_DATA and conn.kind == IDLE:
                        conn.start(HEAD, app.head_ms)
                if type(event) is not Request:
                    return  # ConnectionClosed: the client is done
                started = port.ticks_ms()
                req = event
                req.app = app
                req.conn = conn
                req.peer = sock.peer
                req.sock = sock
                conn.kind = BUSY
                stream = None
                if app.streaming and app.streams(req, conn):
                    # A streaming route (body.py): the handler reads the body.
                    event = conn.next_event()
                    stream = req.stream = BodyStream(sock, conn, conn, app.body_ms, event)
                else:
                    event = conn.next_event()  # a Content-Length over the limit: 413 here
                    if type(event) is not EndOfMessage:
                        from .bodyin import read_body

                        if not await read_body(sock, conn, app, req, event):
                            return  # the client left mid-body
                resp = await app.handle(req)
                if req.conn is None:
                    return  # req2sock took the socket: it is no longer ours
                if stream is not None and stream.error is not None:
                    raise stream.error  # the body failed (413, 400, 408, gone): answered below
                pending = _answer(sock, conn, req, resp)
                if pending is not None:
                    await pending
                if log.access_log():
                    ms = port.ticks_diff(port.ticks_ms(), started)
                    log.access(sock.peer, req.method, req.target, resp.status, _size_of(resp), ms)
                resp.sent()  # a page's output block goes back (http/outbuf.py)
                if stream is not None and not stream.done:
                    # The handler left part of the body unread: the connection
                    # ends, once what the client still sends is dropped (a
                    # close with unread bytes would reset the answer away).
                    await _drain(sock)
                    return
                req = resp = pending = event = stream = None  # type: ignore[assignment]
                _wipe(None, None, None, None, None, None, None)
                if app.reserve is None:
                    app.keep_reserve()
                if conn.our_state != DONE or conn.their_state != DONE or app.draining:
                    return  # must close (Connection: close, HTTP/1.0, an unread body)
                conn.start_next_cycle()
        except ProtocolError as exc:
            log.refused(exc.status, exc, sock.peer)  # the reason: for the log only
            if not conn.answering:  # else a streamed answer is cut off (its framing shows it)
                await _send_error(sock, conn, exc.status, str(exc) if app.dev else "")
        except MemoryError:
            # This request did not fit in the heap: refuse it (DESIGN.md:
            # refuse work, never crash), with no coroutine or formatted
            # message (either could fail again), once what it holds (its
            # buffered bytes, a part-read body) is let go.
            if resp is not None:
                resp.sent(False)  # its page's block may still be queued: not given back
            answering = conn is not None and conn.answering
            app.live.pop(sock, None)  # the drain keeps its own time
            conn = event = req = resp = pending = data = stream = None  # type: ignore
            port.collect()
            log.refused(503, "out of memory for the request", sock.peer)
            if not answering:
                try:
                    if sock.send_now(OVERLOADED) == len(OVERLOADED):
                        await _drain(sock)
                except _GONE:
                    pass
        except Timeout:
            if conn.kind != IDLE:
                slow = "request head too slow" if conn.kind == HEAD else "request body too slow"
                log.refused(408, slow, sock.peer)
                if not conn.answering:
                    await _send_error(sock, conn, 408, "")
        except SocketError:
            pass  # the peer went away
        except Exception as exc:
            # A bug of ours, or a streaming body that raised: logged, and a
            # 500 rather than a silent close when nothing was sent.
            dispatcher.log_exception(exc, "connection failed")
            if conn is None or not conn.answering:
                await _send_error(sock, conn, 500, "")
    except MemoryError:
        port.collect()  # a line of the handlers above found no heap: the close ends it
    except Exception as exc:
        dispatcher.task_failed(exc)  # the guard's part: no exception leaves a task
    finally:
        app.connections -= 1
        app.live.pop(sock, None)
        if resp is not None:
            resp.sent(False)  # failed while answering: the block may still be queued
        dispatcher.task_done(sock)


def _answer(sock: "Any", conn: "Any", req: "Request", resp: "Response") -> "Any":
    """Send resp: what the socket takes at once goes now, with no coroutine
    (no heap: usually all of it); returns an awaitable for the rest, or None.

    ``conn.answering`` turns True once bytes are on their way, not before:
    up to then a MemoryError (building the head, or the write's own
    coroutine) leaves the wire clean for a 503.
    """
    body = resp.body
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, (bytes, bytearray, memoryview)):
        from .streamout import send_stream

        pending = send_stream(sock, conn, req, resp, body)
        conn.answering = True
        return pending
    pieces = _bytes_response(conn, req, resp, body)
    for i in range(len(pieces)):
        piece = pieces[i]
        if not piece:
            continue
        sent = sock.send_now(piece)
        if sent:
            conn.answering = True
        if sent < len(piece):
            from .streamout import send_rest

            pending = send_rest(sock, memoryview(piece)[sent:] if sent else piece, pieces[i + 1 :])
            conn.answering = True
            return pending
    return None


def _size_of(resp: "Response") -> int:
    """The body's bytes, for the access log (a stream's length when known)."""
    body = resp.body
    if isinstance(body, str):
        return len(body.encode())
    if isinstance(body, (bytes, bytearray, memoryview)):
        return len(body)
    return resp.length or 0


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
    # The core adds Content-Length and Date to the head (no copy of the
    # header list, no field made per request).  RFC 9110 §6.6.1: an origin
    # server with a clock MUST send Date (unless the application set one).
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


async def _send_error(sock: "Any", conn: "Any", status: int, detail: str) -> None:
    """Answer a request we cannot serve, then the connection ends (with no
    heap to build the answer or drain after it, it still goes out)."""
    try:
        try:
            if conn is None:
                answer = OVERLOADED  # no connection object could be made
            else:
                answer = conn.send_error_response(status, detail, httpdate.now() or None)
        except MemoryError:
            answer = _plain_error(status)
        sent = sock.send_now(answer)  # usually all of it: no coroutine, no heap
        if sent < len(answer):
            await sock.write(memoryview(answer)[sent:])
        await _drain(sock)
    except SocketError:
        pass
    except MemoryError:
        pass  # answered (or the peer is gone); no heap to drain: the close ends it


def _plain_error(status: int) -> bytes:
    # With no allocation (the heap just failed): digits read from "HTTP/1.1 NNN".
    for answer in _PLAIN_ERRORS:
        if (answer[9] - 48) * 100 + (answer[10] - 48) * 10 + answer[11] - 48 == status:
            return answer
    return OVERLOADED  # no constant for it: the heap is what failed


async def _drain(sock: "Any") -> None:
    """Read and drop what the client still sends, briefly, before we close:
    closing with unread bytes in the receive buffer makes the kernel send a
    reset, which can destroy the error response before the client reads it
    (RFC 9112 §9.6: close in stages).  Bounded in bytes, and to a second
    (its own clock: the connection may have no heap left for the sweeper's).
    """
    budget = 65536
    until = port.ticks_add(port.ticks_ms(), 1000)
    while budget > 0 and port.ticks_diff(until, port.ticks_ms()) > 0:
        try:
            # A client quiet for 0.1 s is done.  Dropped in the shared read
            # buffer: no heap, which may be what ran out.
            size = await sock.discard(100)
        except Timeout:
            return
        if not size:
            return
        budget -= size


def refuse(sock: "Any") -> None:
    """Answer 503 to a connection we will not serve (over the cap), then let
    it linger to read and drop its request before it closes (Socket.linger):
    closing with the request unread makes the kernel send a reset, which
    can destroy the answer before the client reads it (RFC 9112 §9.6).  The
    answer is the constant, so a flood costs no heap per refusal."""
    sock.refuse(OVERLOADED)
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
