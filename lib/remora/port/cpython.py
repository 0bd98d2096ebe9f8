# CPython side of the port layer.  See port/__init__.py.
#
# The dispatcher is the asyncio event loop (epoll on Linux).  Readiness waits
# are futures resolved by loop.add_reader/add_writer callbacks, so remora's
# sockets stay plain non-blocking sockets on both runtimes.

import asyncio
import os
import select
import socket
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

RUNTIME = "cpython"
LOADS_MPY = False  # CPython imports source, never .mpy bytecode


def const(value: int) -> int:
    return value


def ticks_ms() -> int:
    return int(time.monotonic() * 1000)


def ticks_diff(a: int, b: int) -> int:
    return a - b


def ticks_add(a: int, b: int) -> int:
    return a + b


async def sleep_ms(ms: int) -> None:
    await asyncio.sleep(ms / 1000)


get_ident = threading.get_ident
allocate_lock = threading.Lock
Event = asyncio.Event
CancelledError = asyncio.CancelledError

def print_exception(exc: BaseException, file: Any = sys.stderr) -> None:
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=file)


def getenv(name: str) -> Optional[str]:
    """An environment variable, or None."""
    return os.environ.get(name)


def innermost_frame(exc: BaseException) -> "Optional[Tuple[str, int]]":
    """(file name, line) where exc was raised, or None."""
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename, tb.tb_lineno


def start_thread(fn: Callable[..., Any], args: tuple, stack_bytes: int = 0) -> None:
    threading.Thread(target=fn, args=args, daemon=True).start()


def heap() -> Tuple[Optional[int], Optional[int]]:
    """CPython has no fixed heap: both figures are None."""
    return None, None


def collect() -> None:
    pass


def pace_heap(nbytes: int) -> None:
    """Frequent collections against fragmentation (a MicroPython heap matter)."""


def settle_heap() -> None:
    """Start-up is over (a MicroPython heap matter; nothing to do here)."""


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


_loop: Optional[asyncio.AbstractEventLoop] = None
# Readiness watches, keyed by fd * 2 + direction: [the waiting future or None].
# A watch stays registered with the loop between waits, so a task that reads,
# writes and reads again costs no epoll_ctl calls; a watch that fires with no
# waiter is dropped (epoll is level-triggered: it would fire forever).
_watches: Dict[int, list] = {}


def _fire(key: int) -> None:
    entry = _watches.get(key)
    if entry is None:
        return
    fut = entry[0]
    if fut is not None:
        entry[0] = None
        if not fut.done():
            fut.set_result(True)
        return
    _unwatch(key)


def _unwatch(key: int) -> None:
    loop = _loop
    if _watches.pop(key, None) is not None and loop is not None:
        if key & 1:
            loop.remove_writer(key >> 1)
        else:
            loop.remove_reader(key >> 1)


def _expire(fut: "asyncio.Future[bool]") -> None:
    if not fut.done():
        fut.set_result(False)


async def wait_io(sock: socket.socket, writing: bool, timeout_ms: Optional[int] = None) -> bool:
    """Suspend until sock is readable (or writable).  False on timeout.

    Waking early through wake_io also returns True: callers re-check their
    own state after every wake-up.
    """
    loop = _loop
    assert loop is not None
    fd = sock.fileno()
    if fd < 0:
        return True  # closed: nothing to wait for; the caller re-checks its socket
    key = fd * 2 + (1 if writing else 0)
    entry = _watches.get(key)
    if entry is None:
        entry = [None]
        _watches[key] = entry
        if writing:
            loop.add_writer(fd, _fire, key)
        else:
            loop.add_reader(fd, _fire, key)
    elif entry[0] is not None:
        raise RuntimeError("another task already waits on this socket")
    fut: "asyncio.Future[bool]" = loop.create_future()
    entry[0] = fut
    timer = None
    if timeout_ms is not None:
        timer = loop.call_later(timeout_ms / 1000, _expire, fut)
    try:
        return await fut
    finally:
        if entry[0] is fut:
            entry[0] = None
        if timer is not None:
            timer.cancel()


def wake_io(sock: socket.socket, writing: bool) -> None:
    """Resume the task waiting on sock in one direction, if any."""
    try:
        fd = sock.fileno()
    except OSError:
        return
    entry = _watches.get(fd * 2 + (1 if writing else 0))
    if entry is not None and entry[0] is not None:
        fut = entry[0]
        entry[0] = None
        if not fut.done():
            fut.set_result(True)


def forget_io(sock: socket.socket) -> None:
    """Wake every waiter of sock and drop its watches (call before close)."""
    fd = sock.fileno()
    if fd < 0:
        return
    wake_io(sock, False)
    wake_io(sock, True)
    _unwatch(fd * 2)
    _unwatch(fd * 2 + 1)


async def wait_event(event: asyncio.Event, timeout_ms: Optional[int]) -> bool:
    """Wait for an asyncio.Event; False on timeout."""
    if timeout_ms is None:
        await event.wait()
        return True
    try:
        await asyncio.wait_for(event.wait(), timeout_ms / 1000)
        return True
    except asyncio.TimeoutError:
        return False


def create_task(coro: Any) -> "asyncio.Task[Any]":
    return asyncio.get_running_loop().create_task(coro)


def current_task() -> Optional["asyncio.Task[Any]"]:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def poll_wait(sock: socket.socket, writing: bool, timeout_ms: Optional[int]) -> bool:
    p = select.poll()
    p.register(sock, select.POLLOUT if writing else select.POLLIN)
    return bool(p.poll(None if timeout_ms is None else timeout_ms))


def getaddrinfo(host: str, port: int, udp: bool) -> Tuple[int, Any]:
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    infos = socket.getaddrinfo(host, port, 0, kind)
    for info in infos:
        if info[0] == socket.AF_INET:
            return info[0], info[-1]
    return infos[0][0], infos[0][-1]


async def resolve(host: str, port: int, udp: bool) -> Tuple[int, Any]:
    """Resolve on the loop's resolver threads: never blocks the dispatcher."""
    loop = asyncio.get_running_loop()
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    infos = await loop.getaddrinfo(host, port, type=kind)
    for info in infos:
        if info[0] == socket.AF_INET:
            return info[0], info[-1]
    return infos[0][0], infos[0][-1]


def connect_error(sock: socket.socket, addr: Any) -> int:
    """0 once a non-blocking connect has completed, else its errno."""
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


# Functions run on the dispatcher after every kick() (see the MicroPython
# port, where this is what lets a worker short of heap hand back its result).
_hooks: List[Callable[[], Any]] = []


def on_wake(fn: Callable[[], Any]) -> None:
    """Run fn() on the dispatcher after every kick(), from then on."""
    if fn not in _hooks:
        _hooks.append(fn)


def _run_hooks() -> None:
    for fn in _hooks:
        fn()


def kick() -> None:
    """Wake the dispatcher from any thread to run the on_wake functions."""
    call_soon_threadsafe(_run_hooks)


def call_soon_threadsafe(fn: Callable[..., Any], *args: Any) -> None:
    """Run fn(*args) on the dispatcher soon; callable from any thread."""
    loop = _loop
    if loop is not None:
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop has closed: the server is gone


_escaped = [0]


def _on_escape(loop: asyncio.AbstractEventLoop, context: Dict[str, Any]) -> None:
    # "Task exception was never retrieved" and the like: an exception that
    # nothing caught.  Counted (escaped()) and printed as asyncio would.
    if "exception" in context:
        _escaped[0] += 1
    loop.default_exception_handler(context)


def escaped() -> int:
    """How many tasks ended with an exception nothing caught, this run."""
    return _escaped[0]


def run(main_coro: Any) -> Any:
    """Run the dispatcher until main_coro finishes; return its result."""
    global _loop

    async def root() -> Any:
        global _loop
        _loop = asyncio.get_running_loop()
        _loop.set_exception_handler(_on_escape)
        return await main_coro

    del _hooks[:]
    _escaped[0] = 0
    try:
        factory = _loop_factory()
        if factory is None:
            return asyncio.run(root())
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(root())
    finally:
        _loop = None
        _watches.clear()


def _loop_factory() -> Optional[Callable[[], asyncio.AbstractEventLoop]]:
    # uvloop's faster loop (the same asyncio API) wherever it is installed,
    # unless REMORA_UVLOOP=0 asks for asyncio's own.
    if os.environ.get("REMORA_UVLOOP") == "0":
        return None
    try:
        import uvloop  # type: ignore[import-not-found]
    except ImportError:
        return None
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def accept(listener: socket.socket) -> Tuple[socket.socket, Any]:
    """listener.accept() (the MicroPython port checks the heap first)."""
    return listener.accept()


def no_delay(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


def recv_datagram(sock: socket.socket, size: int) -> Optional[bytes]:
    """One datagram (at most size bytes), or None when none is there yet."""
    try:
        return sock.recv(size)
    except BlockingIOError:
        return None


def recv_into(sock: socket.socket, buf: Any, size: int) -> Optional[int]:
    """Read up to size bytes into buf: the count, 0 at end of stream, None
    when nothing is there yet."""
    try:
        return sock.recv_into(buf, size)
    except BlockingIOError:
        return None
