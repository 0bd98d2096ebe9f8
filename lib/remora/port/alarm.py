# Timed waits for MicroPython's asyncio, with no task and no allocation per wait.
#
# asyncio.wait_for_ms runs the awaited thing in a second task and cancels
# whichever loses.  Each wait then allocates a task, a coroutine and, when
# the awaited thing wins, a CancelledError carrying its result; when that last
# allocation fails (a board's heap is short), the MemoryError ends the helper
# task with nobody to retrieve it ("Task exception wasn't retrieved") and the
# waiting task is cancelled instead of woken.  Issue 20 met exactly that in a
# soak on the ESP32's heap.
#
# Here a timed wait parks its task where the untimed wait parks it (the
# poller, or the Event's queue) and takes a slot in a small table: the task,
# what it waits on, its deadline.  One clock task per loop sleeps until the
# nearest deadline; at a deadline it takes the waiter off the poller (or out
# of the Event's queue) exactly as Task.cancel does, and queues it to run, so
# the wait returns False.  A waiter woken first (data came, wake_io, a cancel)
# is already queued to run: the clock leaves it be.  The table grows only when
# more waits than ever before are in progress at once; nothing else on either
# path allocates.
#
# Dispatcher thread only (every caller is a task on it).

# MicroPython only (port/micropython.py imports it): these names exist there.
from asyncio import core  # type: ignore[attr-defined]
from select import POLLIN, POLLOUT
from time import ticks_add, ticks_diff, ticks_ms  # type: ignore[attr-defined]

_FREE = 0
_ARMED = 1  # waiting, deadline not reached
_FIRED = 2  # the clock woke it: the wait timed out
_SETTLED = 3  # woken by something else before the clock came

READ = 0
WRITE = 1
EVENT = 2

_POLLPRI = 2  # Linux's and lwIP's value; the select module may lack the name
_IDLE_MS = 60000  # how long the clock sleeps with nothing armed (any arm() wakes it sooner)

# The table, by slot: parallel lists grown together (an allocation only at a
# new peak of waits at once).
_tasks = []  # type: list
_objs = []  # type: list  # the socket or Event waited on
_kinds = []  # type: list  # READ, WRITE or EVENT
_until = []  # type: list  # deadline (ticks_ms)
_state = []  # type: list
# The clock: its task, the task queue it lives in (a new loop has a new
# queue), and the ticks it sleeps until.
_clock = [None, None, 0]  # type: list


class _SleepUntil:
    """``await _SLEEP``: queue the current task for the ticks in ``when`` and
    yield once, like asyncio's own sleep_ms singleton: no allocation."""

    def __init__(self):
        self.when = None
        self.stop = StopIteration()

    def __iter__(self):
        return self

    def __next__(self):
        if self.when is not None:
            core._task_queue.push(core.cur_task, self.when)
            self.when = None
            return None
        self.stop.__traceback__ = None
        raise self.stop


_SLEEP = _SleepUntil()


def reset():
    """A new loop: forget the table and the old loop's clock."""
    for table in (_tasks, _objs, _kinds, _until, _state):
        del table[:]
    _clock[0] = _clock[1] = None


def arm(obj, kind, timeout_ms):
    """Give the current task timeout_ms to be woken from obj; the slot to
    pass to disarm().  Raises MemoryError only when the table must grow."""
    until = ticks_add(ticks_ms(), timeout_ms)
    if _clock[1] is not core._task_queue:
        _start_clock()
    for i in range(len(_state)):
        if _state[i] == _FREE:
            break
    else:
        i = len(_state)
        _grow()
    _tasks[i] = core.cur_task
    _objs[i] = obj
    _kinds[i] = kind
    _until[i] = until
    _state[i] = _ARMED
    if ticks_diff(until, _clock[2]) < 0:
        # Sooner than the clock sleeps: bring it forward.  The clock task
        # is in the task queue whenever another task runs (it only sleeps).
        clock = _clock[0]
        core._task_queue.remove(clock)
        core._task_queue.push(clock, until)
        _clock[2] = until
    return i


def disarm(i):
    """Free slot i; True when the clock woke its task (the wait timed out)."""
    fired = _state[i] == _FIRED
    _state[i] = _FREE
    _tasks[i] = _objs[i] = None
    return fired


def _grow():
    # All five lists grow together, or none does.
    n = len(_state)
    try:
        _tasks.append(None)
        _objs.append(None)
        _kinds.append(READ)
        _until.append(0)
        _state.append(_FREE)
    except MemoryError:
        for table in (_tasks, _objs, _kinds, _until, _state):
            del table[n:]
        raise


def _start_clock():
    _clock[1] = core._task_queue
    _clock[2] = ticks_ms()
    _clock[0] = core.create_task(_run_clock())


async def _run_clock():
    while True:
        now = ticks_ms()
        nearest = _IDLE_MS
        for i in range(len(_state)):
            if _state[i] != _ARMED:
                continue
            left = ticks_diff(_until[i], now)
            if left <= 0:
                _expire(i)
            elif left < nearest:
                nearest = left
        _clock[2] = _SLEEP.when = ticks_add(now, nearest)
        await _SLEEP


def _expire(i):
    # Take the task off what it waits on, as Task.cancel does, and queue it
    # to run: its wait then sees _FIRED and returns False.
    task = _tasks[i]
    queue = task.data
    ioq = core._io_queue
    if queue is ioq and _kinds[i] != EVENT:
        if not _unpark(ioq, _objs[i], task):
            _state[i] = _SETTLED  # parked elsewhere: not ours to wake
            return
    elif queue is not None and _kinds[i] == EVENT and queue is _objs[i].waiting:
        queue.remove(task)
    else:
        _state[i] = _SETTLED  # already queued to run (woken, or cancelled)
        return
    _state[i] = _FIRED
    core._task_queue.push(task)


def _unpark(ioq, sock, task):
    # Clear the poller slots that hold task for sock; drop the poller entry
    # when none is left.  The map is walked rather than indexed by id(sock):
    # on a 32-bit board an address is often too big for a small int, and
    # id() would allocate.  False when task was not parked there.
    for key in ioq.map:
        entry = ioq.map[key]
        if entry[-1] is sock:
            break
    else:
        return False
    mask = 0
    found = False
    last = len(entry) - 1
    for j in range(last):
        if entry[j] is task:
            entry[j] = None
            found = True
        elif entry[j] is not None:
            # A waiter in the other direction stays: the entry is [reader,
            # writer, stream] (or [reader, pri, writer, stream] in older asyncio).
            mask |= POLLIN if j == 0 else (POLLOUT if j == last - 1 else _POLLPRI)
    if not found:
        return False
    try:
        if mask:
            ioq.poller.modify(sock, mask)
        else:
            ioq.poller.unregister(sock)
            del ioq.map[key]
    except MemoryError:
        # The poller's own lookup found no heap (an address above 2**31 is
        # a long int to it): the entry stays, with no waiter, and the loop
        # refreshes it the next time the socket is polled.
        pass
    return True
