"""remora's Socket: one object, three modes, as in the seed.

=============  ====================  ====================================
mode           read                  write
=============  ====================  ====================================
``blocking``   blocks the calling    blocks the calling worker thread;
               worker thread         refused on the dispatcher
``async``      suspends the task     synchronous: sends at once and may
               (``await``)           stall the dispatcher while the TCP
                                     buffer is full (the seed's warning)
``cosocket``   suspends the owner    suspends a task while the bounded
               task                  write queue is full; a worker
                                     thread's data is queued or refused
=============  ====================  ====================================

A socket starts in blocking mode (after a blocking connect, or an accept);
:meth:`Socket.event` binds it to a new task in asynchronous or cosocket mode.
:func:`remora.event` starts a task on an *unconnected* cosocket whose first
call connects or binds it.

``read`` and ``write`` are one method each, as in the seed, and follow the
caller: on the dispatcher thread they return an awaitable (``await
sock.read()``), on a worker thread they block.  Reads return ``bytes``,
``None`` when the peer closed in order, and raise :class:`Timeout` when the
time ran out, so the two are never confused.
"""

from . import dispatcher, port, profile
from .errors import Closed, DispatcherBlocked, QueueFull, Timeout, WrongMode
from .writequeue import LOCK, WriteQueue, send_some

try:
    from typing import Any, Awaitable, Callable, List, Optional, Union

    from circuitpython_typing import ReadableBuffer
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

_ECONNRESET = 104
# A socket error, or no heap: made once (see dispatcher._ENDS), for paths
# that run when the heap is out.
_IO_OR_HEAP = (OSError, MemoryError)

# The receive buffer of every read made in a task.  Tasks all run on the
# dispatcher thread and a read copies out what arrived before it returns, so
# one buffer serves them all: an idle connection holds no buffer, and a read
# allocates only the bytes that came (a fresh recv_size block per read would
# fragment a board's heap).
_rbuf = [None]  # type: List[Any]


def refuse_raw(raw: "Any", refusal: "Optional[bytes]") -> None:
    """Send a listener's refusal on a raw connected socket we will not serve.

    Best effort, and with no allocation once a first read has made the
    shared read buffer: then what the client already sent is read into that
    buffer and dropped, so that the close that follows does not reset the
    connection and destroy the refusal before it is read (RFC 9112 §9.6).
    """
    if refusal is None:
        return
    try:
        raw.send(refusal)
    except _IO_OR_HEAP:
        return
    drain_raw(raw)


def drain_raw(raw: "Any") -> bool:
    """Read what has come on a raw socket into the shared buffer and drop
    it (a few buffers' worth at most), before a close that must not reset;
    True when nothing more will come (the peer closed, or the socket broke)."""
    try:
        buf = _rbuf[0]
        if buf is None:  # made by the first read; a server has read before
            buf = _rbuf[0] = memoryview(bytearray(profile.get("recv_size")))
        for _ in range(8):
            n = port.recv_into(raw, buf, len(buf))
            if not n:
                return n == 0  # 0: end of stream; None: nothing more yet
    except _IO_OR_HEAP:
        return True
    return False


# Refused connections that linger to read their request (Socket._linger): a
# fixed ring, so a flood costs no heap per refusal (no task, no timer).
_MAX_LINGERING = 8
_lingering = [None] * _MAX_LINGERING  # type: List[Any]
_linger_until = [0] * _MAX_LINGERING  # their deadlines (ticks_ms)
_LINGER_MS = 500


def reap_lingering(everyone: bool = False) -> None:
    """Drop what the lingering connections received; close those whose
    client is done or whose time is up (all of them with everyone).  Run on
    every new lingerer and by a server's sweeper."""
    now = port.ticks_ms()
    for i in range(_MAX_LINGERING):
        sock = _lingering[i]
        if sock is not None and (
            drain_raw(sock._s) or everyone or port.ticks_diff(now, _linger_until[i]) >= 0
        ):
            _lingering[i] = None
            sock.close()


def _remaining(deadline: "Optional[int]") -> "Optional[int]":
    if deadline is None:
        return None
    return max(0, port.ticks_diff(deadline, port.ticks_ms()))


def _deadline(timeout_ms: "Optional[int]") -> "Optional[int]":
    if timeout_ms is None:
        return None
    return port.ticks_add(port.ticks_ms(), timeout_ms)


class Socket:
    """A TCP or UDP socket in one of the three modes (see the module doc)."""

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
    _listener = None  # type: Any  # the listener that accepted us (its cap)
    _cap = 0  # listeners: most accepted sockets open at once
    # Listeners: what an accepted connection is sent when its task finds no
    # heap to start (an HTTP server's 503), instead of a bare close.
    refusal = None  # type: Optional[bytes]
    _accepted = 0
    _refused = None  # type: Any  # listeners: a raw socket refused for want of heap, closing
    peer = None  # type: Any

    def __init__(self, raw: "Any" = None, state: str = UNCONNECTED, udp: bool = False) -> None:
        self._s = raw
        self._state = state
        if udp:
            self._udp = True

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

    # -- binding to a task ---------------------------------------------------

    def event(self, fn: "Callable[..., Awaitable[Any]]", *args: "Any", mode: str = ASYNC) -> None:
        """Bind this socket to a new task running fn(self, *args).

        mode is "async" (read suspends, write is synchronous) or "cosocket"
        (read and write both suspend).  Callable from a task or a worker
        thread; the task starts on the dispatcher.
        """
        if mode not in (ASYNC, COSOCKET):
            raise WrongMode("mode must be 'async' or 'cosocket'")
        if self._task is not None:
            raise WrongMode("socket is already bound to a task")
        try:
            self._set_mode(mode)
        except MemoryError:
            self._out_of_memory()
            return
        if dispatcher.on_dispatcher():
            self._bind(fn, args)
        else:
            dispatcher.call_soon_threadsafe(self._bind, fn, args)

    def _set_mode(self, mode: str) -> None:
        self._mode = mode

    def _bind(self, fn: "Callable[..., Awaitable[Any]]", args: tuple) -> None:
        if self._state == CLOSED:
            return
        try:
            dispatcher.register(self)
            dispatcher.bind_task(self, fn, args)
        except MemoryError:
            self._out_of_memory()

    def _out_of_memory(self) -> None:
        # No memory for this connection's task: drop the connection, never the
        # caller (typically an accept loop that must keep accepting).  Nothing
        # here may allocate, not even an error for waiters: a socket whose
        # task never started has none.
        self._refuse_for_memory()
        self._close_now()
        port.collect()
        print("remora: out of memory starting a task; connection closed")

    def _linger(self) -> None:
        """Close, once the client is done or after half a second, a socket
        we refused: what it sends meanwhile is read and dropped, so that the
        close does not reset the refusal away.  Up to _MAX_LINGERING linger
        at once, off their listener's count; the rest drop what has come so
        far and close now."""
        reap_lingering()
        if not drain_raw(self._s):
            for i in range(_MAX_LINGERING):
                if _lingering[i] is None:
                    _lingering[i] = self
                    _linger_until[i] = port.ticks_add(port.ticks_ms(), _LINGER_MS)
                    if self._listener is not None:
                        # Lingering must not keep the next clients from
                        # being accepted (and answered).
                        self._listener._accepted -= 1
                        self._listener = None
                    return
        self.close()

    def _refuse_for_memory(self) -> None:
        listener = self._listener
        if listener is not None and self._s is not None:
            refuse_raw(self._s, listener.refusal)

    # -- reading -------------------------------------------------------------

    def read(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """Read what has arrived, up to the profile's recv_size (one datagram on UDP).

        In a task: ``await sock.read(ms)``.  On a worker thread: a blocking
        call.  Returns bytes, or None when the peer closed in order or the
        socket was closed; raises Timeout, Shutdown, or Closed(reset=True).
        """
        if dispatcher.on_dispatcher():
            return self._read_in_task(timeout_ms)
        return self._read_blocking(timeout_ms)

    async def _read_in_task(self, timeout_ms: "Optional[int]", drop: bool = False) -> "Any":
        # drop=True: what came stays in the shared buffer and only its size
        # is returned, so that draining a client allocates nothing (the heap
        # may be what failed).
        if self._mode == COSOCKET and self._task is not None and not self.owner():
            raise WrongMode("only the owner task reads a cosocket")
        if self._state == UNCONNECTED:
            # The seed's special case: a non-connected cosocket may read with a
            # time value, which sleeps and returns a timeout (send throttling).
            if timeout_ms is None:
                raise WrongMode("read on an unconnected socket needs a timeout")
            await self._sleep(timeout_ms)
            raise Timeout("timeout")
        if self._pushback is not None:
            data, self._pushback = self._pushback, None
            return data
        deadline = _deadline(timeout_ms)
        size = profile.get("udp_max") if self._udp else profile.get("recv_size")
        # Wait first unless the last read filled the buffer (more is likely
        # waiting): a request/response peer has rarely answered yet, and a
        # failed recv costs an exception.
        ready = self._more
        while True:
            raw = self._usable()
            if raw is None:
                return None
            if not ready:
                if not await port.wait_io(raw, False, _remaining(deadline)):
                    raise Timeout("timeout")
                if self._interrupt is not None:
                    exc, self._interrupt = self._interrupt, None
                    raise exc
                ready = True
                continue
            if self._udp:
                # One datagram per read: its boundaries are the message.
                try:
                    datagram = port.recv_datagram(raw, size)
                except OSError as exc:
                    raise self._read_failed(exc)
                if datagram is None:
                    ready = False
                    continue
                return len(datagram) if drop else datagram
            buf = _rbuf[0]
            if buf is None or len(buf) < size:
                buf = _rbuf[0] = memoryview(bytearray(size))
            try:
                n = port.recv_into(raw, buf, size)
            except OSError as exc:
                raise self._read_failed(exc)
            if n is None:
                ready = False
                continue
            self._more = n == size
            if not n:
                return None
            if drop:
                return n
            return bytes(buf[:n])

    def _read_blocking(self, timeout_ms: "Optional[int]") -> "Optional[bytes]":
        if self._mode == COSOCKET:
            raise WrongMode("a cosocket is read by its own task")
        deadline = _deadline(timeout_ms)
        size = profile.get("udp_max") if self._udp else profile.get("recv_size")
        while True:
            raw = self._usable()
            if raw is None:
                return None
            try:
                data = raw.recv(size)
            except OSError as exc:
                if port.would_block(exc):
                    if not port.poll_wait(raw, False, _remaining(deadline)):
                        raise Timeout("timeout")
                    continue
                raise self._read_failed(exc)
            if not data and not self._udp:
                return None
            return data

    def interrupt(self, exc: BaseException) -> None:
        """Make the task's pending (or next) read raise exc, once.

        A server's timekeeper uses it to end reads that ran past a deadline
        without a timer per read.  Dispatcher thread only.
        """
        self._interrupt = exc
        if self._s is not None:
            port.wake_io(self._s, False)

    def _unread(self, data: bytes) -> None:
        """Make data the next thing read() returns (bytes a parser read ahead)."""
        self._pushback = data

    def _read_failed(self, exc: OSError) -> BaseException:
        if self._error is not None:
            return self._error
        if port.errno_of(exc) == _ECONNRESET:
            return Closed("connection reset by peer", True)
        return exc

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

    # -- writing -------------------------------------------------------------

    def write(self, data: "ReadableBuffer") -> "Any":
        """Write data; see the module doc for what each mode does.

        In a task: ``await sock.write(data)``, True when sent or queued.
        On a worker thread: blocks until sent (blocking and async modes), or
        queues without blocking (cosocket mode) and raises QueueFull with the
        queued byte count when the queue is full.  Raises Closed when the
        socket is closed and Shutdown when the server stops.
        """
        if dispatcher.on_dispatcher():
            return self._write_in_task(data)
        return self._write_blocking(data)

    async def _write_in_task(self, data: "ReadableBuffer") -> bool:
        if self._mode == COSOCKET:
            raw = self._writable()
            size = len(data)
            done = 0
            with LOCK:
                # Nothing waits: send now, and hold the leftover's place in
                # line before a worker thread may send (writequeue doc).
                wq = self._wq
                if wq is None or wq.idle():
                    try:
                        done = send_some(raw, data)
                    except OSError:
                        done = -1
                    if done == size:
                        return True
                    if done >= 0 and wq is None:
                        # Made on first need: most cosockets never queue,
                        # and on a board every idle connection's bytes count.
                        wq = self._wq = WriteQueue(self, raw, self.queuelen())
                if done >= 0:
                    token = wq.enter_line(size - done)
            if done < 0:
                raise self._reset_while_writing()
            return await wq.write_from_task(memoryview(data)[done:] if done else data, token)
        if self._mode == BLOCKING:
            # Its write would hold the dispatcher for as long as the peer's
            # window stays full: refused, as remora.connect() is.
            raise DispatcherBlocked(
                "a blocking socket's write blocks the dispatcher; bind the socket to "
                "a task (sock.event) or write from a worker thread"
            )
        # Asynchronous mode: a synchronous write, as the seed describes.  It
        # holds the dispatcher while the TCP buffer is full.
        self._send_all(data)
        return True

    def _write_blocking(self, data: "ReadableBuffer") -> bool:
        if self._mode != COSOCKET:
            self._send_all(data)
            return True
        # A worker thread writing to a cosocket is never suspended: it sends
        # what TCP takes now, queues only the rest, and is refused with
        # QueueFull when the queue cannot take it (seed: Figure 2).
        raw = self._writable()
        size = len(data)
        done = 0
        with LOCK:
            wq = self._wq
            if wq is None or wq.idle():
                if size > self.queuelen():
                    raise QueueFull(0)  # could never be queued whole
                try:
                    done = send_some(raw, data)
                except OSError:
                    done = -1
                if done == size:
                    return True
                if done >= 0:
                    if wq is None:
                        wq = self._wq = WriteQueue(self, raw, self.queuelen())
                    wq.queue_from_thread(memoryview(data)[done:])
            else:
                wq.queue_from_thread(data)
        if done < 0:
            raise self._reset_while_writing()
        port.call_soon_threadsafe(wq.kick)
        return True

    def send_now(self, data: "ReadableBuffer") -> int:
        """Send what the socket takes at once, with no coroutine, no wait and
        no allocation, unless earlier writes wait in the queue (it would
        overtake them): the bytes taken.  The caller writes the rest with
        write(); the two are not one step for a worker thread writing to
        the same socket meanwhile.  For answers that must go out when the
        heap is short.  Raises Closed."""
        raw = self._writable()
        with LOCK:
            wq = self._wq
            if wq is not None and not wq.idle():
                return 0
            try:
                return send_some(raw, data)
            except OSError:
                pass
        raise self._reset_while_writing()

    def _writable(self) -> "Any":
        raw = self._usable()  # raises Shutdown
        if raw is None:
            raise Closed()
        return raw

    def _reset_while_writing(self) -> BaseException:
        error = Closed("peer reset while writing", True)
        if self._wq is not None:
            self._wq.fail(error)
        return error

    def _send_all(self, data: "ReadableBuffer") -> None:
        view = memoryview(data)
        timeout_ms = profile.get("write_timeout_ms")
        while len(view):
            raw = self._writable()
            try:
                n = raw.send(view)
            except OSError as exc:
                if port.would_block(exc):
                    if not port.poll_wait(raw, True, timeout_ms):
                        raise Timeout("write timeout")
                    continue
                raise self._read_failed(exc)
            view = view[n:]

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

    # -- closing -------------------------------------------------------------

    def close(self) -> None:
        """Close the socket.  Data already queued is sent first (cosockets);
        a task reading it wakes with None."""
        if self._state == CLOSED:
            return
        if self._task is None and self._mode == BLOCKING and not self._registered():
            self._close_now()  # a plain blocking socket: no task can wait on it
        elif dispatcher.on_dispatcher():
            self._close_graceful()
        else:
            dispatcher.call_soon_threadsafe(self._close_graceful)

    def _registered(self) -> bool:
        return id(self) in dispatcher._sockets

    def _close_graceful(self) -> None:
        if self._state == CLOSED:
            return
        wq = self._wq
        if wq is not None and not wq.empty() and wq.error is None:
            self._closing = True
            if self._s is not None:
                port.wake_io(self._s, False)  # the reader sees the close now
            wq.kick()
            return
        self._close_now()

    def flushed(self) -> None:
        """The write queue ran dry: finish a close that waited for it."""
        if self._closing:
            self._close_now()

    def _close_now(self) -> None:
        if self._state == CLOSED:
            return
        self._state = CLOSED
        raw = self._s
        if raw is not None:
            if dispatcher.on_dispatcher():
                port.forget_io(raw)
            try:
                raw.close()
            except OSError:
                pass
        if self._wq is not None:
            self._wq.fail(self._error or Closed())
        if self._park is not None:
            self._park.set()
        if self._listener is not None:
            self._listener._accepted -= 1
            self._listener = None
        if self._refused is not None:  # a listener's refused connection
            self._refused.close()
            self._refused = None
        dispatcher.unregister(self)

    def _abort(self, error: BaseException) -> None:
        """Stop everything now (server shutdown): waiters raise error."""
        self._error = error
        if self._park is not None:
            self._park.set()
        self._close_now()

    # -- connecting, listening (see net.py) ----------------------------------

    def connect(self, host: str, port: int, timeout_ms: "Optional[int]" = None) -> "Any":
        """Connect this unconnected socket: ``await sock.connect(host, port)``.

        The non-blocking connect of the seed's cosocket connect (example 10):
        returns this same socket, or raises CannotResolve, CannotConnect,
        Timeout.  A task's socket connects once; a second call raises WrongMode.
        """
        from . import net

        return net.connect_in_task(self, host, port, timeout_ms)

    def bind(
        self,
        port: int,
        host: str = "0.0.0.0",
        backlog: "Optional[int]" = None,
        max_connections: "Optional[int]" = None,
    ) -> "Socket":
        """Make this unconnected socket a listening socket (see remora.bind)."""
        from . import net

        return net.listen(self, host, port, backlog, max_connections)

    def accept(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """``await listener.accept()``: the next connection, in blocking mode."""
        from . import net

        return net.accept(self, timeout_ms)

    # -- shared by connect and accept ---------------------------------------

    def _adopt(self, raw: "Any", state: str) -> None:
        self._s = raw
        self._state = state
        if self._mode == COSOCKET:
            self._set_mode(COSOCKET)

    def __repr__(self) -> str:
        return "<Socket %s %s fd=%d>" % (self._mode, self._state, self.fileno())

