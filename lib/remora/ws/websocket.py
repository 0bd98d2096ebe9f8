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
from ..proto.ws import reader  # noqa: F401
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
    _rest = None  # type: Any  # the rest of the 101 head, when TCP did not take it whole
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
            self._rest = head[sent:]

    # -- binding to a task -------------------------------------------------------

    def event(self, fn: "Callable[..., Awaitable[Any]]", *args: "Any", mode: str = COSOCKET) -> None:
        """Run ``fn(ws, *args)`` as a new task bound to this WebSocket's
        socket, in ``mode`` ("cosocket", the default, or "async").  When fn
        returns, the WebSocket closes (1000; 1011 when fn raised)."""
        self.sock.event(_run, self, fn, args, mode=mode)

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
        # One coroutine for read() and receive() (whole): each nested
        # coroutine would be one more heap object per waiting WebSocket.
        deadline = None if timeout_ms is None else port.ticks_add(port.ticks_ms(), timeout_ms)
        while True:
            event = self.next_event()
            out = self.data_to_send()
            if out:
                try:
                    await self.sock.write(out)
                except SocketError:
                    pass  # the peer is gone: the read below sees it
            if event is NEED_DATA:
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
                        continue
                except Closed:
                    data = b""  # reset by the peer, or closed by us: the end
                self.receive_data(data or b"")
                continue
            kind = type(event)
            if kind is Data:
                if not whole:
                    return event
                message = self._assemble(event)
                if message is not self:
                    return message
                continue  # more to come (or a failed 1009: the next event ends it)
            if kind is Pong:
                self._pinged = False
            elif kind is not Ping:  # Close, or DONE
                self._partial = None
                await self._finish_in_task(event)
                return None

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
        # The connection ended (their close, our failure, or EOF): write what
        # the core queued, let a client wait briefly for the server's EOF
        # (§7.1.1), close the socket.
        self._ended(event)
        sock = self.sock
        if self._awaits_eof(event):
            deadline = port.ticks_add(port.ticks_ms(), option("ws_close_ms", 3000))
            try:
                while await sock.discard(self._wait_ms(deadline) or 0):
                    pass  # dropped unread, with no allocation
            except SocketError:
                pass
        self._close_socket(event)

    def _awaits_eof(self, event: "Any") -> bool:
        # §7.1.1: a client waits for the server to close TCP first, after a
        # clean close and after failing the connection alike (then what still
        # arrives is dropped unread, §7.1.7): closing with unread bytes would
        # reset the connection, and a reset can discard our close frame
        # before the server reads it.  Not after EOF (1006): it came.
        return self.our_role == CLIENT and event is not DONE and event.code != 1006

    def _close_socket(self, event: "Any") -> None:
        # §7.1.7: after failing the connection "the endpoint ... MAY close the
        # connection"; the peer may still be sending what we will not read (the
        # rest of an oversized or broken message).  A plain close would then
        # reset the connection, and a reset can discard our close frame (its
        # code, 1002/1007/1009, is the peer's only account) before the peer
        # reads it: a server lingers instead (reads and drops a while).
        if event is not DONE and not event.clean and event.code != 1006 and self.our_role == SERVER:
            self.sock.linger()
        else:
            self.sock.close()

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


async def _run(sock: "Any", ws: "WebSocket", fn: "Any", args: tuple) -> None:
    # The task of a WebSocket bound with event(): the rest of the 101 head
    # first, then the application, then the close handshake.
    code = NORMAL
    try:
        head = ws._rest
        if head is not None:
            ws._rest = None
            await sock.write(head)
        await fn(ws, *args)
    except Exception:
        code = INTERNAL_ERROR  # §7.4.1: "an unexpected condition"
        raise
    finally:
        try:
            if ws.state == OPEN or (ws.state == CLOSING and ws.closed is None):
                await ws.close(code)
        except Exception:  # the socket may be gone; the close is best effort
            pass
        ws._ended(DONE)
