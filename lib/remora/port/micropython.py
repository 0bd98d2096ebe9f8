# MicroPython side of the port layer.  See port/__init__.py.
#
# The dispatcher is MicroPython's own asyncio: its IOQueue waits on one
# select.poll object for every socket in the process.  We reach into
# asyncio.core for three things the public API lacks: queueing the current
# task on the poller (exactly what asyncio.stream does), waking a task parked
# there early (close, shutdown, timeouts), and a correct IOQueue.remove (set
# on the loop run() makes, not on asyncio's class: nothing changes at import).

import errno
import gc
import os
import select
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

from . import alarm
from .rawsock import errno_of, would_block

_EISCONN = getattr(errno, "EISCONN", 106)  # 106 on Linux and in lwIP

def print_exception(exc, file=sys.stderr):
    sys.print_exception(exc, file)


def getenv(name):
    """An environment variable, or None (a board has no environment)."""
    get = getattr(os, "getenv", None)
    return get(name) if get is not None else None


def innermost_frame(exc):
    """(file name, line) where exc was raised, or None.  MicroPython keeps
    no traceback objects: its printed traceback's last "File" line says it."""
    import io

    buf = io.StringIO()
    sys.print_exception(exc, buf)
    found = None
    for text in buf.getvalue().split("\n"):
        text = text.strip()
        if text.startswith('File "'):
            end = text.find('"', 6)
            at = text.find("line ", end)
            if end > 0 and at > 0:
                digits = text[at + 5 :].split(",")[0].strip()
                if digits.isdigit():
                    found = (text[6:end], int(digits))
    return found


# On the unix port a worker thread also runs libc code (the resolver needs
# tens of KiB of stack), so a board's small stack size would crash it there.
_UNIX = sys.platform in ("linux", "darwin")


def start_thread(fn, args, stack_bytes=0):
    if stack_bytes and not _UNIX:
        _thread.stack_size(stack_bytes)
    _thread.start_new_thread(fn, args)


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


# ---------------------------------------------------------------------------
# IOQueue repair.  Upstream IOQueue.remove(task) drops the whole poll entry of
# any stream the task waits on, so a task waiting to write on a socket is lost
# when another task waiting to read on it is cancelled (a read timeout).  We
# clear only the slots that hold the task.

_MASKS = (select.POLLIN, getattr(select, "POLLPRI", 2), select.POLLOUT)
_MASKS3 = (select.POLLIN, select.POLLOUT)  # made once: the loop itself calls _refresh


def _slot_masks(sm):
    # The entry is [reader, (pri,) writer, stream]: 3 or 4 long by version.
    return _MASKS if len(sm) == 4 else _MASKS3


def _write_slot(sm):
    return len(sm) - 2


def _refresh(ioq, sm):
    mask = 0
    masks = _slot_masks(sm)
    for i in range(len(masks)):
        if sm[i] is not None:
            mask |= masks[i]
    # The poller first, the map after: when the poller's call finds no heap
    # (it looks the stream up by its address as an int, which allocates
    # when the address is above 2**31: the simulated board's heaps of 128 KiB
    # and more), the entry stays whole, with no waiter, and the next time the
    # stream is polled the loop refreshes it again (_wait_io_event).
    if mask:
        ioq.poller.modify(sm[-1], mask)
    else:
        ioq.poller.unregister(sm[-1])
        _drop(ioq, sm[-1])


# The poller's map is keyed by id(stream).  id() makes an int object when
# an address does not fit a small int: on the simulated board (a 32-bit
# heap above 2**30; a board's RAM lies below) a lookup allocates.  Where
# that finds no heap (closing, waking), the map is walked instead, as
# asyncio's own IOQueue.remove does.


def _find(ioq, sock):
    """sock's poller entry [reader, writer, stream], or None."""
    try:
        return ioq.map.get(id(sock))
    except MemoryError:
        for key in ioq.map:
            sm = ioq.map[key]
            if sm[-1] is sock:
                return sm
        return None


def _drop(ioq, sock):
    """Forget sock's poller entry (not its registration with the poller)."""
    try:
        ioq.map.pop(id(sock), None)
    except MemoryError:
        for key in ioq.map:
            if ioq.map[key][-1] is sock:
                del ioq.map[key]
                return


def _remove(ioq, task):
    # Task.cancel's: the slots that hold task are cleared, no others.  One
    # entry at a time, the walk starting over after each (a refresh may
    # drop an entry): no copy of the map's keys, which could find no heap.
    while True:
        for key in ioq.map:
            sm = ioq.map[key]
            hit = False
            for i in range(len(sm) - 1):
                if sm[i] is task:
                    sm[i] = None
                    hit = True
            if hit:
                break
        else:
            return
        _refresh(ioq, sm)


def _wait_io_event(ioq, dt):
    # IOQueue.wait_io_event, run by asyncio's loop itself between tasks:
    # upstream looks each ready stream up by id(), which can allocate (see
    # _find), and a MemoryError here would end the loop, and the server
    # with it.  The same steps through _find and _refresh, which fall back
    # to a walk.
    for s, ev in ioq.poller.ipoll(dt):
        sm = _find(ioq, s)
        if sm is None:
            # Polled with no entry (upstream would raise KeyError): stop
            # polling it, or its readiness would wake the loop forever.
            try:
                ioq.poller.unregister(s)
            except _UNPOLL:
                pass  # no heap: tried again at its next readiness
            continue
        w = _write_slot(sm)
        if ev & ~select.POLLOUT and sm[0] is not None:  # POLLIN, or an error
            core._task_queue.push(sm[0])
            sm[0] = None
        if ev & ~select.POLLIN and sm[w] is not None:  # POLLOUT, or an error
            core._task_queue.push(sm[w])
            sm[w] = None
        try:
            _refresh(ioq, sm)
        except MemoryError:
            pass  # see _refresh: the next poll of this stream tries again



# select.poll repair.  A MemoryError inside poll.register() leaves the poll
# set with an entry that has no poll object (upstream says so in modselect.c:
# "This case is not handled"), and the next poll that walks it crashes the
# process.  Registering the same object again completes the entry, so the
# dispatcher's poller goes through this wrapper: on a MemoryError it gives
# back a spare block, registers again (repaired), unregisters (the caller's
# operation still failed) and raises.

_SPARE_BYTES = const(512)  # a poll object and one growth of the descriptor array
_spare = [None]


class _Poller:
    def __init__(self, poller):
        self.poller = poller
        self.modify = poller.modify
        self.unregister = poller.unregister
        self.ipoll = poller.ipoll
        self.poll = poller.poll

    def register(self, obj, events):
        try:
            self.poller.register(obj, events)
        except MemoryError:
            _spare[0] = None
            gc.collect()
            self.poller.register(obj, events)  # completes the half-made entry
            self.poller.unregister(obj)
            raise
        if _spare[0] is None:
            try:
                _spare[0] = bytearray(_SPARE_BYTES)
            except MemoryError:
                pass


def _queue(sock, writing):
    # A generator the caller awaits: it parks the current task on the poller
    # and yields once; the task resumes when the poller (or wake_io) pushes it.
    ioq = core._io_queue
    if _closed(sock):
        # Never put a closed socket on the poller: select.poll takes it as an
        # object without a descriptor, and the next growth of its descriptor
        # array rebases that entry's NULL pointer into garbage (upstream
        # modselect.c), which crashes a later poll.  The caller re-checks its
        # socket's state after every wake-up, as after any other.
        return True
    sm = _find(ioq, sock)
    if sm is not None:
        waiter = sm[_write_slot(sm) if writing else 0]
        if waiter is core.cur_task:
            _forget_stale(ioq, sock)  # left by an earlier attempt that ran out of heap
        elif waiter is not None:
            raise RuntimeError("another task already waits on this socket")
        elif sm[0] is None and sm[_write_slot(sm)] is None:
            # An entry with no waiter, left by a refresh that found no heap
            # (see _refresh): asyncio's IOQueue expects a waiter in every
            # entry, so it goes before this wait makes a new one.
            _refresh(ioq, sm)
    try:
        parked = ioq.queue_write(sock) if writing else ioq.queue_read(sock)
    except MemoryError:
        # The poller's entry may be half made (in the map, not registered):
        # undo it, so that the next attempt starts clean.
        _forget_stale(ioq, sock)
        raise
    yield parked
    return True


def _closed(sock):
    try:
        return sock.fileno() < 0
    except AttributeError:  # a port whose sockets have no fileno(): no such bug there
        return False


# Made once: ``except (A, B, C)`` would build its tuple, an allocation, on
# the very path that recovers from an allocation failure.
_NOT_POLLED = (OSError, ValueError, KeyError)
_UNPOLL = (OSError, ValueError, KeyError, MemoryError)


def _forget_stale(ioq, sock):
    sm = _find(ioq, sock)
    if sm is None:
        return
    task = core.cur_task
    for i in range(len(sm) - 1):
        if sm[i] is task:
            sm[i] = None
    try:
        _refresh(ioq, sm)
    except _NOT_POLLED:
        _drop(ioq, sock)  # it never reached the poller


def wait_io(sock, writing, timeout_ms=None):
    """Suspend until sock is readable (or writable): ``await wait_io(...)``.

    True when ready, False on timeout.  Waking early through wake_io also
    returns True: callers re-check their own state after every wake-up.
    Without a timeout this is the bare generator: one frame less per waiting
    connection.
    """
    if timeout_ms is None:
        return _queue(sock, writing)
    return _wait_timed(sock, writing, timeout_ms)


async def _wait_timed(sock, writing, timeout_ms):
    # Not asyncio.wait_for_ms: see port/alarm.py.
    slot = alarm.arm(sock, alarm.WRITE if writing else alarm.READ, timeout_ms)
    try:
        await _queue(sock, writing)
    finally:
        timed_out = alarm.disarm(slot)
    return not timed_out


def wake_io(sock, writing):
    """Resume the task waiting on sock in one direction, if any."""
    ioq = core._io_queue
    sm = _find(ioq, sock)
    if sm is None:
        return
    i = _write_slot(sm) if writing else 0
    task = sm[i]
    if task is not None:
        sm[i] = None
        core._task_queue.push(task)
        try:
            _refresh(ioq, sm)
        except MemoryError:
            gc.collect()  # see _refresh; a closing socket should leave the poller now
            try:
                _refresh(ioq, sm)
            except MemoryError:
                pass  # still registered: its next readiness refreshes it


def forget_io(sock):
    """Wake every waiter of sock and drop it from the poller (before close)."""
    wake_io(sock, False)
    wake_io(sock, True)


async def wait_event(event, timeout_ms):
    """Wait for an asyncio.Event; False on timeout."""
    if timeout_ms is None:
        await event.wait()
        return True
    slot = alarm.arm(event, alarm.EVENT, timeout_ms)
    try:
        await event.wait()
    finally:
        timed_out = alarm.disarm(slot)
    return not timed_out


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
# Blocking waits for worker threads: a private poll object per call.


def poll_wait(sock, writing, timeout_ms):
    p = select.poll()
    p.register(sock, select.POLLOUT if writing else select.POLLIN)
    try:
        return bool(p.poll(-1 if timeout_ms is None else timeout_ms))
    finally:
        p.unregister(sock)


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


async def resolve(host, port, udp):
    return getaddrinfo(host, port, udp)


def connect_error(sock, addr):
    """After a non-blocking connect reports writable: 0 when connected,
    EINPROGRESS when still pending, else the errno of the failure.  There is
    no getsockopt(SO_ERROR) here, so connect again: the kernel (or lwIP)
    answers EISCONN once connected, else the pending error."""
    try:
        sock.connect(addr)
        return 0
    except OSError as exc:
        code = errno_of(exc)
        if code == _EISCONN:
            return 0
        if code in (errno.EINPROGRESS, errno.EALREADY):
            return errno.EINPROGRESS
        return code or errno.ECONNREFUSED


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
                await _queue(sock, False)  # nothing handed over: wait for a kick
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
    alarm.reset()
    _loop_thread[0] = _thread.get_ident()
    ioq = core._io_queue
    ioq.poller = _Poller(ioq.poller)
    ioq.remove = lambda task: _remove(ioq, task)  # Task.cancel calls it
    ioq.wait_io_event = lambda dt: _wait_io_event(ioq, dt)  # the loop calls it
    del _hooks[:]
    _spare[0] = bytearray(_SPARE_BYTES)
    _waker[0] = _make_waker()
    del _pending[:]
    _kicked[0] = False

    async def root():
        waker = asyncio.create_task(_run_waker())
        try:
            return await main_coro
        finally:
            waker.cancel()

    try:
        return asyncio.run(root())
    finally:
        _loop_thread[0] = None
        _waker[0].close()
        _waker[0] = None


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
