"""A request body read as it arrives: ``req.stream`` of a streaming route.

::

    @app.route("/log", methods=("POST",), stream=True, max_body=4 << 20)
    async def log(req):                          # in a task: awaited reads
        async for piece in req.stream:           # each piece as it comes
            sink.write(piece)
        return "stored"

    @app.route("/image", methods=("PUT",), stream=True, max_body=2 << 20, worker=True)
    def image(req):                              # on a worker: blocking reads
        block = bytearray(4096)
        while req.stream.readinto(block):        # a full block, or the rest
            flash.write(block)

A route declared ``stream=True`` gets its body unread: the server neither
buffers it (``http_max_body`` bounds only what it buffers for other
routes) nor reads it before the handler runs, so the guards and hooks
answer first, and a body of any size passes through a board's heap one
piece at a time (at most the board's ``recv_size`` per read).  Content-Length
and chunked bodies alike; the route's ``max_body`` is enforced by the HTTP
core (a Content-Length over it is refused with 413 before the handler runs;
chunks that add up past it end the body with 413 where they cross it).

The calls follow the caller, as the Socket's do: awaitable on the
dispatcher, blocking on a worker thread.  The connection's socket is a
cosocket owned by the connection's task, so a worker never reads it: its
read is handed to that task, which reads for it (:meth:`BodyStream.call`).

Time: the body clock runs only while the server waits for the client, and
every KiB that arrives winds it back to ``http_body_ms`` (see ``_wait``).
"""

from .. import dispatcher, port
from ..proto.http.events import NEED_DATA, Data, RemoteProtocolError, ResponseHead

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional

# RFC 9110 §15.2.1: tell a client that sent ``Expect: 100-continue`` to send
# the body it announced; sent on the first read, so that a route that
# answers without reading (a guard's 401, a 413) never asks for it.
CONTINUE = ResponseHead(100, [])

# The watch's kinds (server.py's IDLE, HEAD, BODY, BUSY).
_BODY = const(2)
_BUSY = const(3)

# The minimum pace of a streamed body: at least this many bytes per
# http_body_ms of waiting (1 KiB per 5 s on an ESP32, about 200 B/s).
_PACE_BYTES = const(1024)


class BodyStream:
    """The request body of a streaming route, read as it arrives.

    ``length``: the Content-Length, or None (chunked); ``received``: the
    bytes read so far; ``done``: the whole body was read; ``error``: what
    ended the body early (a ProtocolError with its status, a Timeout, the
    client gone), which the server answers once the handler returns.
    """

    # Class-level defaults: an instance stores only what differs.
    received = 0
    done = False
    error = None  # type: Optional[BaseException]
    _rest = None  # type: Any  # what a short read(n) left of the last piece
    _first = None  # type: Any  # the core's first body event, already taken
    _fresh = 0  # bytes since the body clock was last wound back
    # A worker's read handed to the connection's task (call()).
    _hand = None  # type: Any  # the lock the worker sleeps on, once a worker reads
    _wake = None  # type: Any  # the Event the connection's task sleeps on
    _asked = 0  # bytes a worker asked for (-1: a piece of any size), 0: none
    _answer = None  # type: Any
    _fault = None  # type: Optional[BaseException]
    _finished = False
    _result = None  # type: Any

    def __init__(self, sock: "Any", conn: "Any", watch: "Any", body_ms: int, first: "Any") -> None:
        self.sock = sock
        self.conn = conn
        self.watch = watch
        self.body_ms = body_ms
        self._left_ms = body_ms
        self.length = conn.content_length  # type: Optional[int]
        if first is not NEED_DATA:
            self._first = first

    # -- reading ---------------------------------------------------------------

    def read(self, size: int = -1) -> "Any":
        """The next piece of the body, at most size bytes (any size when
        size < 0); ``b""`` once the body is over.  ``await`` it in a task;
        on a worker thread it blocks.  Raises what ended the body early."""
        if dispatcher.on_dispatcher():
            return self._read_async(size)
        return self._blocking(size)

    def readinto(self, buf: "Any") -> "Any":
        """Fill buf with the body: the byte count, less than len(buf) only
        at the body's end (0 then).  Awaitable in a task, blocking on a
        worker thread."""
        if dispatcher.on_dispatcher():
            return self._readinto_async(buf)
        view = memoryview(buf)
        filled = 0
        while filled < len(view):
            piece = self._blocking(len(view) - filled)
            if not piece:
                break
            view[filled : filled + len(piece)] = piece
            filled += len(piece)
        return filled

    async def _readinto_async(self, buf: "Any") -> int:
        view = memoryview(buf)
        filled = 0
        while filled < len(view):
            piece = await self._read_async(len(view) - filled)
            if not piece:
                break
            view[filled : filled + len(piece)] = piece
            filled += len(piece)
        return filled

    def __aiter__(self) -> "BodyStream":
        return self

    async def __anext__(self) -> "Any":
        piece = await self._read_async(-1)
        if not piece:
            raise StopAsyncIteration
        return piece

    def __iter__(self) -> "BodyStream":
        return self

    def __next__(self) -> "Any":
        piece = self._blocking(-1)
        if not piece:
            raise StopIteration
        return piece

    def refuse(self, status: int, reason: str) -> BaseException:
        """End the body with an error the server answers with ``status``
        (413 for a part over its own limit, 400 for a malformed one) once
        the handler returns: ``raise req.stream.refuse(413, "file too large")``."""
        if self.error is None:
            self.error = RemoteProtocolError(reason, status)
        return self.error

    async def _read_async(self, size: int) -> "Any":
        rest = self._rest
        if rest is None:
            rest = await self._piece()
        self._rest = None
        if 0 <= size < len(rest):
            self._rest = rest[size:]
            rest = rest[:size]
        return rest

    async def _piece(self) -> "Any":
        # The next piece from the core, reading the socket as it needs.
        if self.error is not None:
            raise self.error
        if self.done:
            return b""
        conn = self.conn
        event = self._first
        self._first = None
        try:
            if event is None:
                event = conn.next_event()
            while event is NEED_DATA:
                if conn.client_is_waiting_for_100_continue:
                    await self.sock.write(conn.send(CONTINUE))
                conn.receive_data(await self._wait() or b"")
                event = conn.next_event()
        except BaseException as exc:  # noqa: B036  kept for the server's answer, and raised
            if self.error is None:
                self.error = exc
            raise
        if type(event) is Data:
            data = event.data
            self.received += len(data)
            return data
        self.done = True  # EndOfMessage
        return b""

    async def _wait(self) -> "Any":
        # The body clock runs while we wait for the client, not while the
        # handler works (a flash write may take longer than the client's
        # pause), and every KiB that comes winds it back: a long upload on
        # a slow link goes on as long as it moves, a body that drips in
        # (slowloris) is cut off after http_body_ms with 408 (the sweeper
        # interrupts this read).
        watch = self.watch
        watch.start(_BODY, self._left_ms)
        try:
            data = await self.sock.read()
        finally:
            left = port.ticks_diff(watch.until, port.ticks_ms())
            self._left_ms = left if left > 0 else 0
            watch.kind = _BUSY
        if data:
            self._fresh += len(data)
            if self._fresh >= _PACE_BYTES:
                self._fresh = 0
                self._left_ms = self.body_ms
        return data

    # -- a worker's reads, handed to the connection's task ---------------------------

    def _blocking(self, size: int) -> "Any":
        # On a worker thread: ask the connection's task (call()) to read.
        hand = self._hand
        if hand is None:
            raise RuntimeError("the body of a worker's request is read on its worker only")
        self._asked = size if size >= 0 else -1
        dispatcher.call_soon_threadsafe(self._wake.set)
        hand.acquire()  # released by call() with the answer
        fault = self._fault
        if fault is not None:
            self._fault = None
            raise fault
        answer, self._answer = self._answer, None
        return answer

    async def call(self, fn: "Any", *args: "Any") -> "Any":
        """Run ``fn(*args)`` on the worker pool (a ``worker=True`` route)
        and, while it runs, read the body for it: this task owns the
        connection's socket, so the worker's reads are handed here."""
        from .. import pool

        self._hand = port.allocate_lock()
        self._hand.acquire()  # held: a reading worker sleeps on it
        self._wake = wake = port.Event()
        dispatcher.spawn(self._job(pool, fn, args))
        while True:
            await wake.wait()
            wake.clear()
            if self._asked:
                size, self._asked = self._asked, 0
                try:
                    self._answer = await self._read_async(size)
                except Exception as exc:  # the worker raises it
                    self._fault = exc
                self._hand.release()
            if self._finished:
                break
        error, self._fault = self._fault, None
        if error is not None:
            raise error
        return self._result

    async def _job(self, pool: "Any", fn: "Any", args: tuple) -> None:
        try:
            self._result = await pool.call(fn, *args)
        except Exception as exc:  # the connection's task raises it
            self._fault = exc
        self._finished = True
        self._wake.set()
