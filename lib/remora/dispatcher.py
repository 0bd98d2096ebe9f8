"""The dispatcher: one event loop for every socket and task of the server.

This is the counterpart of the Barracuda Socket Event Dispatcher (SoDisp).
:func:`run` makes a :class:`Dispatcher` and runs it on the calling thread;
asyncio on CPython and MicroPython's asyncio on boards do the polling (one
poller for all sockets), see ``port``.  The object holds what the seed's
socket library keeps around that loop:

- which task owns which socket (``getsock()``, ``Socket.owner()``);
- the registry of live sockets, so that stopping the server wakes every
  suspended or disabled cosocket with :class:`~remora.errors.Shutdown`;
- a guard around every task, so a task that raises is logged and its socket
  closed while the server keeps running;
- the receive buffer every read in a task shares, and the worker pool;
- the check that refuses a blocking call on the dispatcher thread.

The module's functions act on the dispatcher that is running (there is one
per thread that calls :func:`run`, and one at a time in a process: both
runtimes' asyncio keep one loop).  Nothing else lives at module level, so a
program can run, stop and run again with nothing left over.

Sockets are duck-typed here (this layer sits below them): a bound socket
answers ``refuse()``, ``drain()``, ``task_ended(task)`` and ``abort(error)``.
"""

from . import log, port
from .errors import Closed, DispatcherBlocked, Shutdown, SocketError

try:
    from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple
except ImportError:
    pass

# Exception tuples, made once: ``except (A, B)`` builds its tuple each time
# it is matched, an allocation that can fail when the heap is out.
_ENDS = (Shutdown, Closed)  # the server stops, or the peer went away


class Dispatcher:
    """The state of one running dispatcher (see the module doc)."""

    def __init__(self) -> None:
        self.thread = port.get_ident()
        self.stopping = False
        self.stop_event = port.Event()
        # Live sockets that tasks may wait on, keyed by themselves (their
        # identity: an id() may allocate an int, and unregistering must not);
        # under lock, because worker threads create sockets too.
        self.sockets = {}  # type: Dict[Any, Any]
        self.lock = port.allocate_lock()
        self.bound = {}  # type: Dict[Any, Any]  # task -> its socket (a cosocket pairing)
        # Every read in a task goes through this one buffer: tasks all run
        # on this thread and a read copies out what arrived before it
        # returns, so an idle connection holds no buffer and a read
        # allocates only the bytes that came (a fresh block per read would
        # fragment a board's heap).
        self.read_buffer = None  # type: Any
        self.pool = None  # type: Any  # the worker pool, made on first use (remora.pool)
        # What the guard caught (failures()): tasks ended by an error of
        # theirs, and by a MemoryError.
        self.failed = 0
        self.out_of_memory = 0

    def register(self, sock: "Any") -> None:
        with self.lock:
            self.sockets[sock] = sock

    def unregister(self, sock: "Any") -> None:
        with self.lock:
            self.sockets.pop(sock, None)

    def buffer(self, size: int) -> "Any":
        """The shared receive buffer, at least size bytes (a memoryview)."""
        buf = self.read_buffer
        if buf is None or len(buf) < size:
            buf = self.read_buffer = memoryview(bytearray(size))
        return buf

    def begin_stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        port.collect()
        error = Shutdown("server shutting down")
        while self.sockets:
            with self.lock:
                if not self.sockets:
                    break
                sock = self.sockets.popitem()[1]
            sock.abort(error)
        self.stop_event.set()


_running = [None]  # type: List[Optional[Dispatcher]]


def current() -> "Optional[Dispatcher]":
    """The running dispatcher, or None."""
    return _running[0]


def on_dispatcher() -> bool:
    """True when called on the dispatcher thread (inside a task or callback)."""
    d = _running[0]
    return d is not None and d.thread == port.get_ident()


def refuse_on_dispatcher(what: str) -> None:
    """Raise DispatcherBlocked when a blocking call is made on the dispatcher."""
    if on_dispatcher():
        raise DispatcherBlocked(
            what + " blocks; on the dispatcher use the awaitable form in a task, "
            "or run it on the worker pool"
        )


def register(sock: "Any") -> None:
    """Track sock so that stopping the server wakes and closes it."""
    d = _running[0]
    if d is not None:
        d.register(sock)


def unregister(sock: "Any") -> None:
    d = _running[0]
    if d is not None:
        d.unregister(sock)


def registered(sock: "Any") -> bool:
    d = _running[0]
    return d is not None and sock in d.sockets


def open_sockets() -> int:
    """How many sockets are registered (listeners included)."""
    d = _running[0]
    return 0 if d is None else len(d.sockets)


def read_buffer(size: int) -> "Any":
    """The receive buffer shared by every read on the dispatcher thread."""
    d = _running[0]
    if d is None:
        return memoryview(bytearray(size))
    return d.buffer(size)


def log_exception(exc: BaseException, what: str) -> None:
    log.error(what + ":", repr(exc))
    if log.level() <= log.ERROR:
        port.print_exception(exc)


def getsock() -> "Any":
    """The socket bound to the current task, or None (seed: ba.socket.getsock)."""
    task = port.current_task()
    d = _running[0]
    if task is None or d is None:
        return None
    return d.bound.get(task)


async def _guard(sock: "Any", fn: "Optional[Callable[..., Awaitable[Any]]]", args: tuple) -> None:
    # Every bound task runs inside this guard: a task that raises must not
    # take the dispatcher (or anything else) down with it, and no exception
    # may leave it (asyncio would report it as never retrieved): what the
    # task raised is caught and counted (failures()), and so is a
    # MemoryError in the handlers themselves (a log line's text).
    d = _running[0]
    try:
        try:
            try:
                # spawn() hands over its coroutine, already made: once this
                # task runs, that coroutine runs too (its finally blocks
                # included), with no allocation in between that could fail.
                coro = args[0] if fn is None else fn(sock, *args)
            except MemoryError:
                # The task could not even begin: its client is refused as
                # the listener says (nothing was sent yet), then closed
                # below, after a pause (no heap needed) in which what it
                # sends meanwhile is dropped too, so that the close is not
                # a reset.
                if sock is not None:
                    sock.refuse()
                    await port.sleep_ms(20)
                    sock.drain()
                raise
            await coro
        except _ENDS:
            pass  # the server stops, or the peer went away: both are normal ends
        except SocketError as exc:
            log.info("task ended:", repr(exc))
        except MemoryError as exc:
            # The allocation failed in this connection's task only; closing
            # the socket returns its buffers and the server serves everyone
            # else.  Counted first: counting allocates nothing.
            if d is not None:
                d.out_of_memory += 1
            port.collect()
            log.warning("out of memory in a task; closing its socket")
            del exc
        except Exception as exc:
            if d is not None:
                d.failed += 1
            log_exception(exc, "task failed")
    except MemoryError:
        port.collect()  # a handler's own line found no heap: counted above
    finally:
        task = port.current_task()
        if d is not None:
            d.bound.pop(task, None)
        if sock is not None:
            sock.task_ended(task)  # closes it, unless it was handed on (req2sock)


def task_failed(exc: BaseException) -> None:
    """A task with no guard (bind_task's guard=False) caught exc at its
    end: counted and logged as the guard would (failures())."""
    d = _running[0]
    if d is not None:
        d.failed += 1
    log_exception(exc, "task failed")


def failures() -> "Tuple[int, int, int]":
    """What remora caught in tasks since run() began: (tasks ended by an
    exception of theirs, tasks ended by a MemoryError, exceptions that
    escaped every handler).  Each is also logged; the last should stay 0
    (asyncio would call it an exception never retrieved)."""
    d = _running[0]
    if d is None:
        return 0, 0, port.escaped()
    return d.failed, d.out_of_memory, port.escaped()


def bind_task(
    sock: "Any", fn: "Callable[..., Awaitable[Any]]", args: tuple, guard: bool = True
) -> "Any":
    """Start fn(sock, *args) as a task bound to sock; returns the task.
    Dispatcher thread only.  guard=False: fn's coroutine is the task, with
    no guard's frame around it (on a board, heap held by every idle
    connection): it catches everything itself and ends with task_done()."""
    task = port.create_task(_guard(sock, fn, args) if guard else fn(sock, *args))
    d = _running[0]
    if d is not None:
        try:
            d.bound[task] = sock
        except MemoryError:
            task.cancel()
            raise
    return task


def task_done(sock: "Any") -> None:
    """What the guard does as a task ends, for a task started without one
    (bind_task's guard=False), in its last finally: the socket closes,
    unless it was handed on meanwhile (req2sock)."""
    task = port.current_task()
    d = _running[0]
    if d is not None:
        d.bound.pop(task, None)
    sock.task_ended(task)


def unbind(task: "Any") -> None:
    """Forget the task's socket pairing (the socket was handed on: req2sock)."""
    d = _running[0]
    if d is not None:
        d.bound.pop(task, None)


def spawn(coro: "Any") -> "Any":
    """Start a task that owns no socket, logging anything it raises."""
    return port.create_task(_guard(None, None, (coro,)))


call_soon_threadsafe = port.call_soon_threadsafe


def stop() -> None:
    """Stop the server; callable from any thread or task.

    Every suspended or disabled cosocket wakes with Shutdown, every socket
    closes, the worker pool stops, and run() returns.
    """
    d = _running[0]
    if d is None:
        return
    if d.thread == port.get_ident():
        d.begin_stop()
    else:
        port.call_soon_threadsafe(d.begin_stop)


async def wait_stopped() -> None:
    """Suspend until the server stops (for a main that only sets things up)."""
    d = _running[0]
    if d is not None:
        await d.stop_event.wait()


def run(main: "Callable[..., Awaitable[Any]]", *args: "Any") -> "Any":
    """Run main(*args) on a new dispatcher; return when it ends or stop() is called.

    When main returns, the server stops: sockets still open are closed and
    their tasks woken with Shutdown.  A main that only starts tasks ends with
    ``await remora.wait_stopped()``.
    """
    if _running[0] is not None:
        raise RuntimeError("a dispatcher is already running")
    result = [None]
    failure = [None]  # type: List[Any]

    async def root() -> None:
        d = _running[0] = Dispatcher()
        main_done = port.Event()

        async def body() -> None:
            try:
                result[0] = await main(*args)
            except Shutdown:
                pass
            except BaseException as exc:  # re-raised by run() once stopped
                failure[0] = exc
            finally:
                main_done.set()
                d.begin_stop()

        port.create_task(body())
        await d.stop_event.wait()
        # Give main, and the tasks woken with Shutdown, a moment to finish.
        try:
            await port.wait_event(main_done, 2000)
        except MemoryError:
            # Stopping must not fail for want of heap (the wait may load
            # code), nor hide main's own error: collect and stop now.
            port.collect()
        for _ in range(3):
            await port.sleep_ms(0)
        if d.pool is not None:
            d.pool.shutdown()

    try:
        port.run(root())
    finally:
        _running[0] = None
    if failure[0] is not None:
        raise failure[0]
    return result[0]
