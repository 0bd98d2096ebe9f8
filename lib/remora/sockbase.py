"""The Socket's lifecycle: its state, its task, parking, closing, refusing.

:class:`SocketBase` is the half of remora's Socket (``sock.py``) that does
no I/O of its own: which state and mode it is in, the task it is bound to
(``event``, the seed's ``sock:event``), ``disable``/``enable``, closing
(after the cosocket write queue drains), shutdown, and refusing a
connection that will not be served.  ``sock.Socket`` adds reading,
writing, connecting and listening.
"""

from . import dispatcher, log, port, profile
from .errors import Closed, WrongMode
from .listener import drain, send_refusal
from .rawio import failure

try:
    from typing import Any, Awaitable, Callable, Optional

    from .listener import Listener
except ImportError:
    pass

BLOCKING = "blocking"
ASYNC = "async"
COSOCKET = "cosocket"

UNCONNECTED = "unconnected"
CONNECTING = "connecting"
CONNECTED = "connected"
LISTENING = "listening"
CLOSED = "closed"

class SocketBase:
    """The state, task and lifecycle of a Socket (see the module doc)."""

    # Defaults live on the class: an instance stores only what differs, which
    # keeps every idle connection's attribute table small on a board.
    _mode = BLOCKING
    _udp = False
    _task = None  # type: Any  # the task bound to this socket
    _wq = None  # type: Any  # the cosocket write queue, made on first need
    _error = None  # type: Optional[BaseException]  # raised to waiters (Shutdown)
    _closing = False  # closing once the write queue has drained
    _park = None  # type: Any  # the Event a disable()d or sleeping owner waits on
    _park_values = ()  # type: tuple
    _queuelen = 0  # 0: the board profile's queuelen
    _pushback = None  # type: Optional[bytes]  # bytes to return before reading
    _interrupt = None  # type: Optional[BaseException]  # raised by the pending read
    _more = False  # the last read filled the buffer
    _origin = None  # type: Any  # the Listener that accepted us (its cap)
    _accepting = None  # type: Any  # a listening socket's Listener
    peer = None  # type: Any

    def __init__(self, raw: "Any" = None, state: str = UNCONNECTED, udp: bool = False) -> None:
        self._s = raw
        self._state = state
        if udp:
            self._udp = True

    @classmethod
    def accepted(cls, raw: "Any", peer: "Any", origin: "Listener") -> "Any":
        """A connection that origin accepted (counted against its cap)."""
        sock = cls(raw, CONNECTED)
        sock.peer = peer
        sock._origin = origin
        return sock

    # -- state ---------------------------------------------------------------

    def state(self) -> str:
        """One of "unconnected", "connecting", "connected", "listening", "closed"."""
        return self._state

    def mode(self) -> str:
        """One of "blocking", "async", "cosocket"."""
        return self._mode

    def owner(self) -> bool:
        """True when the calling task is the task bound to this socket."""
        return self._task is not None and self._task is port.current_task()

    def queuelen(self, size: "Optional[int]" = None) -> int:
        """Get, or set, the cosocket write queue limit in bytes."""
        if size is not None:
            self._queuelen = size
            if self._wq is not None:
                self._wq.limit = size
        return self._queuelen or profile.get("queuelen")

    def queued(self) -> int:
        """Bytes waiting in the cosocket write queue (0 in other modes)."""
        return self._wq.queued if self._wq is not None else 0

    def fileno(self) -> int:
        return self._s.fileno() if self._s is not None else -1

    def listener(self) -> "Optional[Listener]":
        """A listening socket's accepting side (its cap, refusal, lingering
        connections); None for other sockets."""
        return self._accepting

    # -- binding to a task ---------------------------------------------------

    def event(
        self, fn: "Callable[..., Awaitable[Any]]", *args: "Any", mode: str = ASYNC,
        guard: bool = True
    ) -> None:
        """Bind this socket to a new task running fn(self, *args).

        mode is "async" (read suspends, write is synchronous) or "cosocket"
        (read and write both suspend).  Callable from a task or a worker
        thread; the task starts on the dispatcher.  guard=False is for a
        server's own connection tasks (remora.http): see
        dispatcher.bind_task.
        """
        if mode != ASYNC and mode != COSOCKET:
            raise WrongMode("mode must be 'async' or 'cosocket'")
        if self._task is not None:
            raise WrongMode("socket is already bound to a task")
        self._mode = mode
        if dispatcher.on_dispatcher():
            self._bind(fn, args, guard)
        else:
            dispatcher.call_soon_threadsafe(self._bind, fn, args, guard)

    def _bind(self, fn: "Callable[..., Awaitable[Any]]", args: tuple, guard: bool) -> None:
        if self._state == CLOSED:
            return
        try:
            dispatcher.register(self)
            self._task = dispatcher.bind_task(self, fn, args, guard)
        except MemoryError:
            # No memory for this connection's task: drop the connection,
            # never the caller (typically an accept loop that must keep
            # accepting).  Nothing here may allocate, not even an error for
            # waiters: a socket whose task never started has none.
            self.refuse()
            self._close_now()
            port.collect()
            log.refused(503, "out of memory starting its task", self.peer)

    def task_ended(self, task: "Any") -> None:
        """The dispatcher's guard: task ended; close the socket, unless it
        was handed on meanwhile (req2sock)."""
        if self._task is task:
            self._task = None
            self.close()

    def hand_off(self) -> None:
        """Release this socket from its task, which then leaves it open: the
        caller binds it to another task with event() (req2sock)."""
        if self._task is not None:
            dispatcher.unbind(self._task)
            self._task = None

    def drain(self) -> bool:
        """Drop what has come, with no allocation and no wait; True when
        the client is done (it closed, or the socket broke)."""
        return self._s is None or drain(self._s)

    def _failed(self, exc: BaseException) -> BaseException:
        # A stopping server's error first (the socket broke because of it).
        return self._error or failure(exc)

    def _usable(self) -> "Any":
        # The raw socket to use, None once closed; raises Shutdown.
        if self._error is not None:
            raise self._error
        if self._state == CLOSED or self._closing:
            return None
        return self._s

    async def _sleep(self, timeout_ms: int) -> None:
        # An interruptible sleep: shutdown sets the same event.
        self._park = port.Event()
        try:
            await port.wait_event(self._park, timeout_ms)
        finally:
            self._park = None
        if self._error is not None:
            raise self._error

    def _writable(self) -> "Any":
        raw = self._usable()  # raises Shutdown
        if raw is None:
            raise Closed()
        return raw

    def flushed(self) -> None:
        """The write queue ran dry: finish a close that waited for it."""
        if self._closing:
            self._close_now()

    # -- parking (seed: disable/enable) --------------------------------------

    async def disable(self) -> "Any":
        """Park the owner task until enable(); returns what enable passes.

        One value comes back as itself, several as a tuple, none as None.
        Shutdown wakes a parked task with the Shutdown error.
        """
        if not self.owner():
            raise WrongMode("only the owner task can disable its socket")
        self._park = port.Event()
        try:
            await self._park.wait()
        finally:
            self._park = None
        if self._error is not None:
            raise self._error
        values = self._park_values
        self._park_values = ()
        if len(values) == 1:
            return values[0]
        return values if values else None

    def enable(self, *values: "Any") -> None:
        """Resume the task parked in disable(), handing it values."""
        if not dispatcher.on_dispatcher():
            dispatcher.call_soon_threadsafe(self.enable, *values)
            return
        park = self._park
        if park is None:
            raise WrongMode("socket is not disabled")
        self._park_values = values
        park.set()

    # -- closing and refusing ------------------------------------------------

    def close(self) -> None:
        """Close the socket.  Data already queued is sent first (cosockets);
        a task reading it wakes with None."""
        if self._state == CLOSED:
            return
        if self._task is None and self._mode == BLOCKING and not dispatcher.registered(self):
            self._close_now()  # a plain blocking socket: no task can wait on it
        elif dispatcher.on_dispatcher():
            self._close_graceful()
        else:
            dispatcher.call_soon_threadsafe(self._close_graceful)

    def _close_graceful(self) -> None:
        if self._state == CLOSED:
            return
        wq = self._wq
        if wq is not None and not wq.empty() and wq.error is None:
            try:
                wq.kick()  # the flusher closes the socket once the queue is sent
            except MemoryError:
                self._close_now()  # no heap for a flusher: what waits is dropped
                return
            self._closing = True
            if self._s is not None:
                port.wake_io(self._s, False)  # the reader sees the close now
            return
        self._close_now()

    def _close_now(self) -> None:
        raw = self._detach()
        if raw is not None:
            try:
                raw.close()
            except OSError:
                pass
        lst = self._accepting
        if lst is not None:
            lst.close()

    def _detach(self) -> "Any":
        # Closed to us: every waiter woken, off the poller, the registry and
        # its listener's count; the raw socket is returned, still open.
        if self._state == CLOSED:
            return None
        self._state = CLOSED
        raw = self._s
        if raw is not None and dispatcher.on_dispatcher():
            port.forget_io(raw)
        if self._wq is not None:
            try:
                error = self._error or Closed()
            except MemoryError as exc:
                error = exc  # closing must not fail for want of heap
            self._wq.fail(error)
        if self._park is not None:
            self._park.set()
        origin = self._origin
        if origin is not None:
            origin.release()
            self._origin = None
        dispatcher.unregister(self)
        return raw

    def abort(self, error: BaseException) -> None:
        """Stop everything now (server shutdown): waiters raise error."""
        self._error = error
        if self._park is not None:
            self._park.set()
        self._close_now()

    def refuse(self, answer: "Optional[bytes]" = None) -> None:
        """Send answer (by default the refusal of the listener that accepted
        us) to a connection we will not serve, best effort, and drop what
        its client sent so far; allocates nothing.  Close it, or linger()."""
        if self._s is not None and self._state != CLOSED:
            origin = self._origin
            if answer is None and origin is not None:
                answer = origin.refusal
            send_refusal(self._s, answer)

    def linger(self) -> None:
        """Close once the client is done or after half a second, dropping
        what it sends meanwhile (so that the close does not reset an answer
        away); off the listener's count from now on (see listener.py)."""
        origin = self._origin
        raw = self._detach()
        if raw is None:
            return
        if origin is not None:
            origin.linger(raw)
        else:
            raw.close()
