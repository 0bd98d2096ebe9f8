"""A WebSocket on a remora Socket: the RFC 6455 core (``remora.proto.ws``)
driven in the socket's mode, server or client alike.

A :class:`WebSocket` *is* the core's Connection, with its socket as one more
attribute: one object per connection, not a wrapper and a core (a board
pays for every object an idle connection holds).

Reading follows the seed ("WebSocket Frames"): ``read(ms)`` returns the data
as it arrives, a :class:`~remora.proto.ws.events.Data` piece (``data``,
``text``, ``received``: the seed's bytesRead, ``length``: frameLen,
``fin``); ``receive(ms)`` a whole message (the seed's ``wsread``): ``str``
for text, ``bytes``-like for binary.  Both return None once the connection
closed (``closed`` then holds the Close event).  Pings are answered, their
close echoed and a violation fails the connection (1002, 1007, 1009) inside
those calls.  Writing sends binary by default, text when asked or for a str.

Every method follows the caller, like the Socket's: in a task it returns an
awaitable (asynchronous mode writes synchronously, cosocket mode suspends a
writer while the socket's queue is full); on a worker thread it blocks
(``blocking.py``).  The driver's duties (``remora.proto.ws``): the close
timeout (``ws_close_ms``, then 1006); keep-alive (``ping_ms``: a ping after
that much quiet on a reading WebSocket, our close 1011 when no pong came as
long again); a server closes TCP once the close handshake is done, a client
first waits briefly for the server's EOF (§7.1.1).
"""
# The core's leaves first, then the core: an import nested in an import
# costs C stack, of which a worker thread on a board has little (a page or
# example 14 may load this module there).
from ..proto.ws.events import DONE, NEED_DATA, Close, Data, Ping, Pong
from ..proto.ws.state import CLIENT, CLOSING, OPEN, SERVER
from ..proto.ws import frames, utf8  # noqa: F401
from ..proto.ws.reader import Reader
from ..proto.ws.connection import Connection
from ..proto.ws.message import Assembler
from .. import dispatcher, port
from ..errors import Closed, SocketError, Timeout, WrongMode
from ..sock import COSOCKET
from .blocking import Blocking, option
from .sending import Sending

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Optional

# Close codes (RFC 6455 §7.4.1).
NORMAL = const(1000)
INTERNAL_ERROR = const(1011)
TOO_BIG = const(1009)
# A server that failed a connection closes it once the peer has been quiet
# this long (see WebSocket._drain_ms).
_QUIET_MS = const(100)


# What _step asks the task's read to do (compared with ``is``; never a
# message): wait for bytes, read with a clock, write a reply's rest, end.
_WAIT = object()
_SLOW = object()
_REPLY = object()
_END = object()

# Open server WebSockets (the board's ``ws_max`` caps them): one int in a
# list.  An upgrade from a page counts on its worker thread; two at the same
# instant could pass the cap by one, which the connection cap still bounds.
LIVE = [0]


def count() -> int:
    """How many server WebSockets are open now."""
    return LIVE[0]


class WebSocket(Sending, Blocking, Connection):
    """One WebSocket connection over a remora Socket (see the module doc).

    Public attributes besides the core's (``state``, ``our_role``,
    ``max_message``): ``sock`` (the Socket), ``closed`` (the Close event
    once the connection ended, else None), ``subprotocol`` (the one agreed,
    or None), ``ping_ms`` (keep-alive interval, 0: off).
    """

    # Class-level defaults: an instance stores only what differs.
    closed = None  # type: Any
    subprotocol = None  # type: Optional[str]
    ping_ms = 0  # type: int
    _pinged = False  # our keep-alive ping waits for its pong
    _live = False  # counted in LIVE (a server's)
    _unsent = None  # type: Any  # the rest of a reply or of the 101 head, TCP did not take at once
    _held = None  # type: Any  # the event whose reply is _unsent, or the ending event
    _partial = None  # type: Any  # receive()'s Assembler, kept across a timeout

    def __init__(self, sock: "Any", role: int, max_message: "Optional[int]" = None) -> None:
        # The board's limit lives on the class (one profile per process), so
        # that an instance stores it only when it was given its own: every
        # attribute costs an idle connection a slot.  A server masks nothing:
        # only a client keeps a random source.
        limit = option("ws_max_message", 65535)
        if WebSocket.max_message != limit:
            WebSocket.max_message = limit
        Connection.__init__(self, role, 65535, port.random_bytes if role == CLIENT else None)
        if max_message is not None and max_message != limit:
            self.max_message = max_message
        self.sock = sock
        ping = option("ws_ping_ms", 0)
        if ping:
            self.ping_ms = ping

    @property
    def peer(self) -> "Any":
        """The peer's address."""
        return self.sock.peer

    def opening(self, head: bytes) -> None:
        """Send the opening handshake's last bytes (a server's 101 head):
        what TCP takes now; the task bound with event() writes the rest first
        (rare: a fresh socket takes a head whole)."""
        sent = self.sock.send_now(head)
        if sent < len(head):
            self._unsent = head[sent:]

    # -- binding to a task -------------------------------------------------------

    def event(self, fn: "Callable[..., Awaitable[Any]]", *args: "Any", mode: str = COSOCKET) -> None:
        """Run ``fn(ws, *args)`` as a new task bound to this WebSocket's
        socket, in ``mode`` ("cosocket", the default, or "async").  When fn
        returns, the WebSocket closes (1000; 1011 when fn raised)."""
        # No guard's frame around the task (one more coroutine held by every
        # idle WebSocket on a board): _run catches everything itself.
        # fn's coroutine is made here, so that the task's frame holds one
        # reference, not fn and its arguments.
        self.sock.event(_run, self, fn(self, *args), mode=mode, guard=False)

    # -- reading -----------------------------------------------------------------

    def read(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """The next piece of a message as it arrives (a Data event), or None
        once the connection closed; raises Timeout.  Awaitable in a task,
        blocking on a worker thread."""
        if dispatcher.on_dispatcher():
            return self._read_in_task(timeout_ms)
        return self._read_blocking(timeout_ms)

    def receive(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """The next whole message: ``str`` (text) or ``bytes``-like
        (binary); None once the connection closed.  A message the heap
        cannot hold fails the connection with 1009.  Awaitable in a task,
        blocking on a worker thread."""
        if dispatcher.on_dispatcher():
            return self._read_in_task(timeout_ms, True)
        return self._receive_blocking(timeout_ms)

    def _assemble(self, piece: "Any") -> "Any":
        # A whole message, None at the end, or self while one is incomplete.
        if piece is None:
            self._partial = None
            return None
        asm = self._partial
        try:
            if asm is None:
                if piece.fin and piece.received == piece.length == len(piece.data):
                    data = piece.data  # a whole message in one piece: no Assembler
                    return str(data, "utf-8") if piece.text else data
                asm = self._partial = Assembler()
            message = asm.add(piece)
            if message is None:
                return self
            self._partial = asm = None
            data, text = message
            return str(data, "utf-8") if text else data
        except MemoryError:
            # No block for this message (or for its str): fail this connection
            # only, with "message too big" (§7.4.1: 1009), never the server.
            self._partial = asm = message = data = None
            port.collect()
            self._overflow()
            return self

    def _overflow(self) -> None:
        # receive() could not hold a message: close with 1009, now.
        self.closed = Close(TOO_BIG, "", False)
        if self.state == OPEN:
            out = self.send_close(TOO_BIG)
            try:
                self.sock.send_now(out)
            except SocketError:
                pass
        self.sock.close()
        self.receive_data(b"")

    async def _read_in_task(self, timeout_ms: "Optional[int]", whole: bool = False) -> "Any":
        # One coroutine for read() and receive() (whole), and a small one: it
        # is the frame every waiting WebSocket holds (heap, on a board).  The
        # work is _step's, with no coroutine; the rare waits (a timed read, a
        # keep-alive, a reply TCP did not take at once) are sub-coroutines
        # that live only while they run.
        if timeout_ms is not None:  # from here on, the deadline (a local less)
            timeout_ms = port.ticks_add(port.ticks_ms(), timeout_ms)
        got = None
        while True:
            # After a wait for bytes, _step reads first (the core is starved).
            got = self._step(whole, timeout_ms, got is _WAIT)
            if got is _WAIT:
                await self.sock.readable()
            elif got is _SLOW:
                await self._read_slow(timeout_ms)
            elif got is _REPLY:
                await self._write_unsent()
            elif got is _END:
                await self._finish_in_task(None)
                return None
            else:
                return got

    def _step(self, whole: bool, deadline: "Optional[int]", woken: bool = False) -> "Any":
        # The core's events until one is for the caller (a piece, or a whole
        # message when whole), or a wait: _WAIT (nothing to read yet), _SLOW
        # (a read with a clock), _REPLY (write _unsent, then step again),
        # _END (the connection ended: the event is in _held).  woken: the
        # owner's wait for bytes just ended, so the core needs data: read.
        sock = self.sock
        while True:
            event = self._held
            if woken:
                event = NEED_DATA
            elif event is not None:
                self._held = None  # the event that waited for its reply to go
            else:
                event = self.next_event()
                out = self.data_to_send()
                if out:
                    # A pong, the echo of their close, our failure close: what
                    # TCP takes now goes with no coroutine (send_now never
                    # overtakes queued frames); a rest is written first.
                    try:
                        sent = sock.send_now(out)
                    except SocketError:
                        sent = len(out)  # the peer is gone: the read below sees it
                    if sent < len(out):
                        self._unsent = memoryview(out)[sent:]
                        self._held = event
                        return _REPLY
            if event is NEED_DATA:
                if woken:
                    woken = False
                elif deadline is not None or self.ping_ms or self.state == CLOSING or not sock.owner():
                    return _SLOW
                # No clock to keep: read in two steps, so that an idle
                # WebSocket holds only the poller's wait, not the Socket's
                # read coroutine too.
                try:
                    data = sock.read_now()
                except Closed:
                    data = b""  # reset by the peer, or closed by us: the end
                if data is None:
                    return _WAIT
                self.receive_data(data)
                continue
            kind = type(event)
            if kind is Data:
                if not whole:
                    return event
                message = self._assemble(event)
                if message is not self:
                    return message
                # More to come (or a failed 1009: the next event ends it).
            elif kind is Pong:
                self._pinged = False
            elif kind is not Ping:  # Close, or DONE
                self._partial = None
                self._held = event
                return _END

    async def _read_slow(self, deadline: "Optional[int]") -> None:
        # One read with a clock: the caller's timeout, the close timeout,
        # the keep-alive interval (a ping when the line was quiet).
        wait = self._wait_ms(deadline)
        try:
            data = await self.sock.read(wait)
        except Timeout:
            data = self._quiet(deadline)
            if data is None:
                try:
                    await self.sock.write(self.send_ping(b""))
                except SocketError:
                    pass
                return
        except Closed:
            data = b""  # reset by the peer, or closed by us: the end
        self.receive_data(data or b"")

    async def _write_unsent(self) -> None:
        # The rest of a reply (or of the 101 head) TCP did not take at once.
        rest = self._unsent
        self._unsent = None
        try:
            await self.sock.write(rest)
        except SocketError:
            pass  # the peer is gone: the next read sees it

    def _wait_ms(self, deadline: "Optional[int]") -> "Optional[int]":
        # How long the next socket read may wait: the caller's time left,
        # the close timeout while closing, the keep-alive interval.
        if self.state == CLOSING:
            return option("ws_close_ms", 3000)
        wait = None if deadline is None else max(0, port.ticks_diff(deadline, port.ticks_ms()))
        ping = self.ping_ms
        if ping and (wait is None or ping < wait):
            wait = ping
        return wait

    def _quiet(self, deadline: "Optional[int]") -> "Optional[bytes]":
        # A read timed out.  b"": the connection is over (close timeout, or
        # no pong in time: the socket is closed); None: send a keep-alive
        # ping and read on.  Raises Timeout when the caller's time is up.
        if self.state == CLOSING:
            self.sock.close()
            return b""  # §7.1.1: no close came in time; the core says 1006
        if deadline is not None and port.ticks_diff(deadline, port.ticks_ms()) <= 0:
            raise Timeout("timeout")
        if not self.ping_ms:
            raise Timeout("timeout")  # the wait was the caller's (rounding)
        if self._pinged:
            # The pong timeout: the peer is gone.  Our close (1011) goes out
            # if it can, and the socket closes without waiting for theirs.
            try:
                self.sock.send_now(self.send_close(INTERNAL_ERROR))
            except SocketError:
                pass
            self.sock.close()
            return b""
        self._pinged = True
        return None

    async def _finish_in_task(self, event: "Any") -> None:
        # The connection ended (their close, our failure, or EOF; None: the
        # event _step held): let a client wait briefly for the server's EOF
        # (§7.1.1), close the socket.
        if event is None:
            event = self._held
            self._held = None
        self._ended(event)
        sock = self.sock
        quiet = self._drain_ms(event)
        if quiet:
            deadline = port.ticks_add(port.ticks_ms(), option("ws_close_ms", 3000))
            try:
                while await sock.discard(self._drain_wait(deadline, quiet)):
                    pass  # dropped unread, with no allocation
            except SocketError:
                pass  # the quiet pause (a Timeout), or the socket broke
        sock.close()

    def _drain_ms(self, event: "Any") -> int:
        # Before the socket closes, what still arrives is read and dropped
        # (§7.1.7: after failing, nothing more is processed), for as long as
        # the result says (0: close now):
        # * a client waits for the server to close TCP first (§7.1.1), after
        #   a clean close and after failing alike: the whole close timeout;
        # * a server that failed the connection reads on until the line has
        #   been quiet for a moment: the peer may still be sending what we
        #   will not read (the rest of an oversized or broken message), and
        #   a close with unread bytes resets the connection, and a reset can
        #   discard our close frame (1002, 1007, 1009: the peer's only
        #   account) before the peer reads it.  A well-behaved peer answers
        #   our close with its own and waits for our close: a short pause.
        # Not after EOF (1006): it came.
        if event is DONE or event.code == 1006:
            return 0
        if self.our_role == CLIENT:
            return option("ws_close_ms", 3000)
        return 0 if event.clean else _QUIET_MS

    def _drain_wait(self, deadline: int, quiet: int) -> int:
        # The next wait of the drain: the quiet pause, within the deadline.
        left = port.ticks_diff(deadline, port.ticks_ms())
        return max(0, left if left < quiet else quiet)

    def _ended(self, event: "Any") -> None:
        if self.closed is None and event is not DONE:
            self.closed = event
        self._partial = None
        self.release()

    def release(self) -> None:
        """Leave the count of open server WebSockets (once)."""
        if self._live:
            self._live = False
            LIVE[0] -= 1

    def hold(self) -> None:
        """Join the count of open server WebSockets (``ws_max``)."""
        if not self._live:
            self._live = True
            LIVE[0] += 1

    # -- closing -----------------------------------------------------------------

    def close(self, code: "Optional[int]" = NORMAL, reason: "Any" = "") -> "Any":
        """The close handshake (§7): our close frame, then their close is
        read for at most ``ws_close_ms`` (data arriving meanwhile is
        dropped), then the socket closes.  In a task that does not own the
        cosocket, only our close goes out: the owner's read ends the
        connection.  Awaitable in a task, blocking on a worker thread."""
        if dispatcher.on_dispatcher():
            return self._close_in_task(code, reason)
        self._close_blocking(code, reason)
        return None

    async def _close_in_task(self, code: "Optional[int]", reason: "Any") -> None:
        if self.state == OPEN:
            try:
                await self.sock.write(self.send_close(code, reason))
            except SocketError:
                pass
        sock = self.sock
        try:
            while await self._read_in_task(None) is not None:
                pass
        except WrongMode:
            return  # a cosocket owned by another task: its read ends it
        except SocketError:
            pass
        self._ended(DONE)
        sock.close()

    def __repr__(self) -> str:
        return "<WebSocket %s %s>" % ("server" if self.our_role == SERVER else "client", self.state)


def _flatten(cls: "Any", bases: "Any") -> None:
    # MicroPython has no method cache: a name is looked up in each class of
    # the MRO in turn, on every use, so a core method or a class default
    # found in the fourth base cost four dictionary lookups per call (the
    # core's hot path makes dozens per message: measured, the echo of a
    # 64-byte message took a quarter longer).  Copying the inherited names
    # into the class itself makes each a single lookup; a name the class
    # (or a nearer base) overrides resolves to another object, and stays.
    for base in bases:
        for name in dir(base):
            if not name.startswith("__"):
                value = getattr(base, name)
                if getattr(cls, name) is value:
                    setattr(cls, name, value)


_flatten(WebSocket, (Reader, Connection, Blocking, Sending))


async def _run(sock: "Any", ws: "WebSocket", coro: "Any") -> None:
    # The task of a WebSocket bound with event(): the rest of the 101 head
    # first, then the application, then the close handshake.  It runs with
    # no guard (dispatcher.bind_task's guard=False) and does the guard's
    # part: no exception leaves it, what fn raised is counted and logged
    # (remora.failures()), task_done closes the socket.  Its frame is held
    # by every idle WebSocket, so it has one handler (each nested try costs
    # a board 16 bytes per connection) and the work is in _failed and
    # _closing.
    try:
        if ws._unsent is not None:
            await ws._write_unsent()
        await coro
        code = NORMAL
    except BaseException as exc:
        code = _failed(exc)
        if code < 0:  # cancelled, or the coroutine closed: nothing may await
            _done(sock, ws)
            raise
    await _closing(sock, ws, code)


def _failed(exc: BaseException) -> int:
    # The close code for how the application ended, -1 to re-raise.
    if isinstance(exc, SocketError):
        return NORMAL  # the peer went away, or the server stops: normal ends
    if isinstance(exc, MemoryError):
        port.collect()  # this connection only: its close frees it
        return INTERNAL_ERROR
    if isinstance(exc, Exception):
        dispatcher.task_failed(exc)
        return INTERNAL_ERROR  # §7.4.1: "an unexpected condition"
    return -1


async def _closing(sock: "Any", ws: "WebSocket", code: int) -> None:
    try:
        if ws.state == OPEN or (ws.state == CLOSING and ws.closed is None):
            await ws.close(code)
    except Exception:  # the socket may be gone; the close is best effort
        pass
    finally:
        _done(sock, ws)


def _done(sock: "Any", ws: "WebSocket") -> None:
    ws._ended(DONE)
    dispatcher.task_done(sock)
