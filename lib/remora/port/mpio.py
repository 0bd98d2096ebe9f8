# MicroPython side of the port layer: waiting on sockets.  See port/__init__.py.
#
# MicroPython's asyncio waits on one select.poll object (its IOQueue) for
# every socket in the process.  We reach into asyncio.core for what the
# public API lacks: queueing the current task on the poller (exactly what
# asyncio.stream does) and waking a task parked there early (close,
# shutdown, timeouts); and we repair what upstream gets wrong under a
# shortage of heap, on the loop run() makes (install()), not on asyncio's
# class: nothing changes at import.

import gc
import select

from asyncio import core
from micropython import const

# ---------------------------------------------------------------------------
# IOQueue repair.  Upstream IOQueue.remove(task) drops the whole poll entry of
# any stream the task waits on, so a task waiting to write on a socket is lost
# when another task waiting to read on it is cancelled (a read timeout).  We
# clear only the slots that hold the task.

_MASKS = (select.POLLIN, getattr(select, "POLLPRI", 2), select.POLLOUT)
_MASKS3 = (select.POLLIN, select.POLLOUT)  # made once: the loop itself calls _refresh
_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT


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


#
# The functions the loop runs for every readiness and wake-up are kept small:
# MicroPython runs a call whose frame (locals, value stack, 3 words per try
# block, 4 per for loop over an iterator) is over 11 words in a block taken
# from the heap for the call, so each such call is an allocation, and the
# walks, the retries and the loops go into functions of their own, called
# only when needed.  (tools/frames.py lists the functions over that size.)


def _key_of(ioq, sock):
    # The walk, for when id() finds no heap: sock's key in the map, or None.
    for key in ioq.map:
        if ioq.map[key][-1] is sock:
            return key
    return None


def _walk_find(ioq, sock):
    key = _key_of(ioq, sock)
    return None if key is None else ioq.map[key]


def _walk_drop(ioq, sock):
    key = _key_of(ioq, sock)
    if key is not None:
        del ioq.map[key]


def _find(ioq, sock):
    """sock's poller entry [reader, writer, stream], or None."""
    try:
        return ioq.map.get(id(sock))
    except MemoryError:
        return _walk_find(ioq, sock)


def _drop(ioq, sock):
    """Forget sock's poller entry (not its registration with the poller)."""
    try:
        ioq.map.pop(id(sock), None)
    except MemoryError:
        _walk_drop(ioq, sock)


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
    # to a walk.  (ipoll gives (stream, events) in one tuple it reuses.)
    for got in ioq.poller.ipoll(dt):
        _ready(ioq, got)


def _ready(ioq, got):
    s = got[0]
    ev = got[1]
    sm = _find(ioq, s)
    if sm is None:
        # Polled with no entry (upstream would raise KeyError): stop
        # polling it, or its readiness would wake the loop forever.
        _unpoll(ioq, s)
        return
    w = len(sm) - 2  # _write_slot
    if ev & ~_POLLOUT and sm[0] is not None:  # POLLIN, or an error
        core._task_queue.push(sm[0])
        sm[0] = None
    if ev & ~_POLLIN and sm[w] is not None:  # POLLOUT, or an error
        core._task_queue.push(sm[w])
        sm[w] = None
    _refresh_or_later(ioq, sm)


def _unpoll(ioq, s):
    try:
        ioq.poller.unregister(s)
    except _UNPOLL:
        pass  # no heap: tried again at its next readiness


def _refresh_or_later(ioq, sm):
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
        # Every wait registers its socket again: small (see _find).
        try:
            self.poller.register(obj, events)
        except MemoryError:
            _repair(self.poller, obj, events)
            raise
        if _spare[0] is None:
            _make_spare()


def _repair(poller, obj, events):
    _spare[0] = None
    gc.collect()
    poller.register(obj, events)  # completes the half-made entry
    poller.unregister(obj)


def _make_spare():
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
    # Not asyncio.wait_for_ms: see port/alarm.py.  Loaded by the first
    # timed wait: an HTTP server's own waits are untimed, and its module
    # would be heap held for nothing (about 0.9 KB on a board).
    from . import alarm

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
    i = len(sm) - 2 if writing else 0  # _write_slot
    task = sm[i]
    if task is not None:
        sm[i] = None
        core._task_queue.push(task)
        _refresh_or_collect(ioq, sm)


def _refresh_or_collect(ioq, sm):
    try:
        _refresh(ioq, sm)
    except MemoryError:
        gc.collect()  # see _refresh; a closing socket should leave the poller now
        _refresh_or_later(ioq, sm)  # else still registered: its next readiness refreshes it


def forget_io(sock):
    """Wake every waiter of sock and drop it from the poller (before close)."""
    wake_io(sock, False)
    wake_io(sock, True)


async def wait_event(event, timeout_ms):
    """Wait for an asyncio.Event; False on timeout."""
    if timeout_ms is None:
        await event.wait()
        return True
    from . import alarm

    slot = alarm.arm(event, alarm.EVENT, timeout_ms)
    try:
        await event.wait()
    finally:
        timed_out = alarm.disarm(slot)
    return not timed_out


def install(ioq):
    """Repair the IOQueue of the loop run() just made (see above)."""
    ioq.poller = _Poller(ioq.poller)
    ioq.remove = lambda task: _remove(ioq, task)  # Task.cancel calls it
    ioq.wait_io_event = lambda dt: _wait_io_event(ioq, dt)  # the loop calls it
    _spare[0] = bytearray(_SPARE_BYTES)
