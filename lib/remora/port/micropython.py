# MicroPython side of the port layer.  See port/__init__.py.
#
# The dispatcher is MicroPython's own asyncio (run() below).  Here: clocks,
# threads and the hand-off from them to the dispatcher, the heap, name
# resolution, connect, accept and receive.  Waiting on sockets (asyncio's
# poller, and its repairs) is mpio.py.

import errno
import gc
import os
import socket
import sys
import time

import _thread
import asyncio
from asyncio import core
from micropython import const

RUNTIME = "micropython"
# Whether this interpreter imports .mpy bytecode (pages prefer it to source).
LOADS_MPY = hasattr(sys.implementation, "_mpy")

ticks_ms = time.ticks_ms
ticks_diff = time.ticks_diff
ticks_add = time.ticks_add
sleep_ms = asyncio.sleep_ms
get_ident = _thread.get_ident
allocate_lock = _thread.allocate_lock
Event = asyncio.Event
CancelledError = asyncio.CancelledError

from . import mpio
from .mpio import forget_io, wait_event, wait_io, wake_io  # noqa: F401
from .rawsock import would_block


def print_exception(exc, file=sys.stderr):
    sys.print_exception(exc, file)


def getenv(name):
    """An environment variable, or None (a board has no environment)."""
    get = getattr(os, "getenv", None)
    return get(name) if get is not None else None


def heap():
    """(allocated, free) bytes of the GC heap, measured after a collection."""
    gc.collect()
    return gc.mem_alloc(), gc.mem_free()


def collect():
    gc.collect()


def pace_heap(nbytes):
    """Collect after every nbytes allocated, not only when the heap runs out.

    MicroPython collects only when an allocation fails, so start-up's
    garbage spreads the modules' objects over the whole heap, and a large
    block needed later (the qstr table doubles to several KiB) finds no
    room although a third of the heap is free.  Collecting often keeps
    objects packed at the heap's bottom: the HTTP server and pages then
    start in a 100 KB heap, not only in 114 KB.
    """
    gc.threshold(nbytes)


def settle_heap():
    """Start-up is over: collect now, then only when the heap runs out
    (undoes pace_heap).  At steady state a request's garbage is
    short-lived, and collecting that often costs a quarter of the
    throughput."""
    gc.collect()
    gc.threshold(-1)


def random_bytes(n):
    return os.urandom(n)


def create_task(coro):
    return asyncio.create_task(coro)


def current_task():
    """The task running on this thread: None off the dispatcher's thread.

    asyncio's cur_task is one global that every thread sees; a worker
    asking while some task runs on the dispatcher must not see that task."""
    if _thread.get_ident() != _loop_thread[0]:
        return None
    return core.cur_task


# ---------------------------------------------------------------------------
# Name resolution and connect.  MicroPython has no asynchronous resolver: a
# lookup of a name that is not a literal address blocks the dispatcher for
# as long as the network's resolver takes (the docs say so).


def getaddrinfo(host, port, udp):
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    infos = socket.getaddrinfo(host, port, 0, kind)
    for info in infos:
        if info[0] == socket.AF_INET:
            return info[0], info[-1]
    return infos[0][0], infos[0][-1]


# ---------------------------------------------------------------------------
# Thread-safe hand-off into the dispatcher.  Threads append a callback under
# a lock and poke a UDP socket connected to itself; a dispatcher task parked
# on that socket runs the callbacks.  A real file descriptor keeps the poller
# sleeping: asyncio.ThreadSafeFlag is not a descriptor here and would make the
# poller spin.

_pending = []
_pending_lock = _thread.allocate_lock()
_kicked = [False]
_waker = [None]


def _make_waker():
    info = socket.getaddrinfo("127.0.0.1", 0, 0, socket.SOCK_DGRAM)[0]
    s = socket.socket(info[0], socket.SOCK_DGRAM)
    # No getsockname() here, so pick a random high port until bind succeeds.
    for _ in range(64):
        port = 49152 + (int.from_bytes(os.urandom(2), "big") % 16000)
        addr = socket.getaddrinfo("127.0.0.1", port, 0, socket.SOCK_DGRAM)[0][-1]
        try:
            s.bind(addr)
        except OSError:
            continue
        s.connect(addr)
        s.setblocking(False)
        return s
    s.close()
    raise OSError(errno.EADDRINUSE)


_hooks = []  # run by the waker task after every wake-up (on_wake)


def on_wake(fn):
    """Run fn() on the dispatcher after every kick(), from then on."""
    if fn not in _hooks:
        _hooks.append(fn)


def kick():
    """Wake the dispatcher from any thread, allocating nothing: the on_wake
    functions then run there.  A worker that is out of heap can still hand
    back its result this way (call_soon_threadsafe needs a list entry)."""
    with _pending_lock:
        wake = not _kicked[0]
        _kicked[0] = True
    sock = _waker[0]
    if wake and sock is not None:
        try:
            sock.send(b"!")
        except OSError:
            pass  # the socket buffer is full, so a wake-up is pending anyway


def call_soon_threadsafe(fn, *args):
    """Run fn(*args) on the dispatcher soon; callable from any thread."""
    with _pending_lock:
        _pending.append((fn, args))
    kick()


_wbuf = bytearray(16)  # the waker's bytes are read into this: no allocation


def _report(exc):
    try:
        print_exception(exc)
    except MemoryError:
        pass  # no heap even to print: the hand-off goes on


async def _run_waker():
    # The hand-off task must outlive any shortage of heap: if it died, every
    # worker's result and every thread's callback would be lost for good.  A
    # MemoryError here only pauses it: the callback that hit it stays first
    # in _pending and is tried again (up to 50 times, 10 ms apart).
    sock = _waker[0]
    tries = 0
    while True:
        try:
            if not _kicked[0]:
                await wait_io(sock, False)  # nothing handed over: wait for a kick
            try:
                while sock.readinto(_wbuf):
                    pass
            except OSError:
                pass
            while True:
                with _pending_lock:
                    if not _pending:
                        _kicked[0] = False
                        break
                    fn, args = _pending[0]
                try:
                    fn(*args)
                except MemoryError as exc:
                    tries += 1
                    if tries < 50:
                        raise
                    _report(exc)  # given up on: dropped
                except Exception as exc:  # a callback must not stop the hand-off
                    _report(exc)
                tries = 0
                with _pending_lock:
                    _pending.pop(0)
            for fn in _hooks:
                try:
                    fn()
                except Exception as exc:
                    _report(exc)
        except MemoryError:
            gc.collect()
            await asyncio.sleep_ms(10)


def _start_handoff():
    # The hand-off's socket and task, for the loop run() just made: the
    # task, which run() cancels when its main ends.
    del _hooks[:]
    _waker[0] = _make_waker()
    del _pending[:]
    _kicked[0] = False
    return asyncio.create_task(_run_waker())


def _stop_handoff():
    _waker[0].close()
    _waker[0] = None


_loop_thread = [None]  # the thread running the dispatcher (current_task)
_escaped = [0]


def _on_escape(loop, context):
    # asyncio's "Task exception wasn't retrieved": a task ended with an
    # exception that nothing caught or awaited.  remora's own tasks catch
    # everything (the dispatcher's guard); one that escapes is a bug,
    # counted here and printed, never silent.
    _escaped[0] += 1
    try:
        print("remora: a task ended with an exception nothing caught:", file=sys.stderr)
        sys.print_exception(context["exception"], sys.stderr)
    except MemoryError:
        pass  # counted all the same


def escaped():
    """How many tasks ended with an exception nothing caught, this run."""
    return _escaped[0]


def run(main_coro):
    """Run the dispatcher until main_coro finishes; return its result."""
    asyncio.new_event_loop().set_exception_handler(_on_escape)
    _escaped[0] = 0
    alarm = sys.modules.get("remora.port.alarm")  # loaded by a timed wait (mpio)
    if alarm is not None:
        alarm.reset()
    _loop_thread[0] = _thread.get_ident()
    mpio.install(core._io_queue)

    async def root():
        waker = _start_handoff()
        try:
            return await main_coro
        finally:
            waker.cancel()

    try:
        return asyncio.run(root())
    finally:
        _loop_thread[0] = None
        _stop_handoff()


_ACCEPT_FREE = const(512)  # heap free (after a collection) before an accept


def accept(listener):
    """listener.accept(), only when the heap holds what it makes.

    MicroPython's accept() makes its objects (the socket, the address, the
    pair) after the kernel (or lwIP) handed the connection over: a
    MemoryError there loses the connection's descriptor, which then stays
    open and unanswered for good (issue 20).  So when the heap is nearly
    full, a collection first; when that leaves too little, MemoryError with
    nothing accepted: the client waits in the backlog.  Small blocks are all
    it needs, so the total free is the measure, not the largest block.
    """
    if gc.mem_free() < _ACCEPT_FREE:
        gc.collect()
        if gc.mem_free() < _ACCEPT_FREE:
            raise MemoryError  # the class: no message to allocate
    return listener.accept()


def no_delay(sock):
    # Small writes go out at once: IPPROTO_TCP (6), TCP_NODELAY (1) in Linux
    # and in lwIP; the module lacks the names.
    try:
        sock.setsockopt(6, 1, 1)
    except OSError:
        pass


def recv_into(sock, buf, size):
    """Read up to size bytes into buf: the count, 0 at end of stream, None
    when nothing is there yet (a non-blocking stream's readinto says so).

    A stream socket only: readinto reads until buf is full or nothing more
    is there, which on a datagram socket runs datagrams together."""
    return sock.readinto(buf, size)


def recv_datagram(sock, size):
    """One datagram (at most size bytes), or None when none is there yet."""
    try:
        return sock.recv(size)
    except OSError as exc:
        if would_block(exc):
            return None
        raise
