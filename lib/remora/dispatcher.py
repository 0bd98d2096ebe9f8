"""The dispatcher: one event loop for every socket and task of the server.

This is the counterpart of the Barracuda Socket Event Dispatcher (SoDisp).
It runs on the thread that called :func:`run`; asyncio on CPython and
MicroPython's asyncio on boards do the polling (one poller for all sockets),
see ``port``.  This module adds what the seed's socket library keeps around
that loop:

- which task owns which socket (``getsock()``, ``owner()``);
- the registry of live sockets, so that stopping the server wakes every
  suspended or disabled cosocket with :class:`~remora.errors.Shutdown`;
- a guard around every task, so a task that raises is logged and its socket
  closed while the server keeps running;
- the check that refuses a blocking call on the dispatcher thread.
"""

import sys

from . import port
from .errors import Closed, DispatcherBlocked, Shutdown, SocketError

try:
    from typing import Any, Awaitable, Callable, Dict, List, Optional
except ImportError:
    pass

_state = {"thread": None, "stopping": False, "stop_event": None}  # type: Dict[str, Any]
# Live sockets that tasks may be waiting on, keyed by id; guarded by _lock
# because worker threads create sockets too.
_sockets = {}  # type: Dict[int, Any]
# Task -> the socket bound to it (the seed's "cosocket" pairing).
_bound = {}  # type: Dict[Any, Any]
_lock = port.allocate_lock()
# Exception tuples live here, made once: ``except (A, B)`` builds its tuple
# each time it is matched, an allocation that can fail when the heap is out.
_ENDS = (Shutdown, Closed)  # the server stops, or the peer went away


def on_dispatcher() -> bool:
    """True when called on the dispatcher thread (inside a task or callback)."""
    return _state["thread"] == port.get_ident()


def refuse_on_dispatcher(what: str) -> None:
    """Raise DispatcherBlocked when a blocking call is made on the dispatcher."""
    if _state["thread"] == port.get_ident():
        raise DispatcherBlocked(
            what + " blocks; on the dispatcher use the awaitable form in a task, "
            "or run it on the worker pool"
        )


def register(sock: "Any") -> None:
    with _lock:
        _sockets[id(sock)] = sock


def unregister(sock: "Any") -> None:
    with _lock:
        _sockets.pop(id(sock), None)


def open_sockets() -> int:
    """How many sockets are registered (listeners included)."""
    return len(_sockets)


def log_exception(exc: BaseException, what: str) -> None:
    print("remora: " + what + ":", repr(exc))
    port.print_exception(exc)


def getsock() -> "Any":
    """The socket bound to the current task, or None (seed: ba.socket.getsock)."""
    task = port.current_task()
    if task is None:
        return None
    return _bound.get(task)


async def _guard(sock: "Any", fn: "Optional[Callable[..., Awaitable[Any]]]", args: tuple) -> None:
    # Every bound task runs inside this guard: a task that raises must not
    # take the dispatcher (or anything else) down with it.
    try:
        try:
            # spawn() hands over its coroutine, already made: once this task
            # runs, that coroutine runs too (its finally blocks included),
            # with no allocation in between that could fail.
            coro = args[0] if fn is None else fn(sock, *args)
        except MemoryError:
            # The task could not even begin: its client is refused as the
            # listener says (nothing was sent yet), then closed below, after
            # a pause (no heap needed) in which what it sends meanwhile is
            # dropped too, so that the close is not a reset.
            if sock is not None:
                sock._refuse_for_memory()
                await port.sleep_ms(20)
                if sock._s is not None:
                    from .sock import drain_raw

                    drain_raw(sock._s)
            raise
        await coro
    except _ENDS:
        pass  # the server stops, or the peer went away: both are normal ends
    except SocketError as exc:
        print("remora: task ended:", repr(exc))
    except MemoryError as exc:
        # The allocation failed in this connection's task only; closing the
        # socket returns its buffers and the server serves everyone else.
        port.collect()
        print("remora: out of memory in a task; closing its socket")
        del exc
    except Exception as exc:
        log_exception(exc, "task failed")
    finally:
        task = port.current_task()
        _bound.pop(task, None)
        # Close the task's socket, unless it was handed on (req2sock).
        if sock is not None and sock._task is task:
            sock._task = None
            sock.close()


def bind_task(sock: "Any", fn: "Callable[..., Awaitable[Any]]", args: tuple) -> "Any":
    """Start fn(sock, *args) as a task bound to sock.  Dispatcher thread only."""
    task = port.create_task(_guard(sock, fn, args))
    if sock is not None:
        sock._task = task
        try:
            _bound[task] = sock
        except MemoryError:
            task.cancel()
            raise
    return task


def unbind(sock: "Any") -> None:
    """Release sock from its task, which will then leave it open (req2sock)."""
    task = sock._task
    if task is not None:
        _bound.pop(task, None)
        sock._task = None


def spawn(coro: "Any") -> "Any":
    """Start a task that owns no socket, logging anything it raises."""
    return port.create_task(_guard(None, None, (coro,)))


call_soon_threadsafe = port.call_soon_threadsafe


def _shutdown_sockets() -> None:
    port.collect()
    error = Shutdown("server shutting down")
    while _sockets:
        with _lock:
            if not _sockets:
                break
            sock = _sockets.popitem()[1]
        sock._abort(error)


def stop() -> None:
    """Stop the server; callable from any thread or task.

    Every suspended or disabled cosocket wakes with Shutdown, every socket
    closes, the worker pool stops, and run() returns.
    """
    if on_dispatcher():
        _begin_stop()
    elif _state["thread"] is not None:
        port.call_soon_threadsafe(_begin_stop)


def _begin_stop() -> None:
    if _state["stopping"]:
        return
    _state["stopping"] = True
    _shutdown_sockets()
    event = _state["stop_event"]
    if event is not None:
        event.set()


async def wait_stopped() -> None:
    """Suspend until the server stops (for a main that only sets things up)."""
    event = _state["stop_event"]
    if event is not None:
        await event.wait()


def run(main: "Callable[..., Awaitable[Any]]", *args: "Any") -> "Any":
    """Run main(*args) on the dispatcher; return when it ends or stop() is called.

    When main returns, the server stops: sockets still open are closed and
    their tasks woken with Shutdown.  A main that only starts tasks ends with
    ``await remora.wait_stopped()``.
    """
    result = [None]
    failure = [None]  # type: List[Any]

    async def root() -> None:
        event = port.Event()
        main_done = port.Event()
        _state["stop_event"] = event
        _state["stopping"] = False

        async def body() -> None:
            try:
                result[0] = await main(*args)
            except Shutdown:
                pass
            except BaseException as exc:  # re-raised by run() once stopped
                failure[0] = exc
            finally:
                main_done.set()
                _begin_stop()

        port.create_task(body())
        await event.wait()
        # Give main, and the tasks woken with Shutdown, a moment to finish.
        try:
            await port.wait_event(main_done, 2000)
        except MemoryError:
            # Stopping must not fail for want of heap (the wait may load
            # code), nor hide main's own error: collect and stop now.
            port.collect()
        for _ in range(3):
            await port.sleep_ms(0)
        # The pool, if anything started it: loading it only to stop it would
        # cost heap at the worst moment.
        pool = sys.modules.get("remora.pool")
        if pool is not None:
            pool.shutdown()

    _state["thread"] = port.get_ident()
    try:
        port.run(root())
    finally:
        _state["thread"] = None
        _state["stop_event"] = None
        _bound.clear()
        with _lock:
            _sockets.clear()
    if failure[0] is not None:
        raise failure[0]
    return result[0]
