"""Waiting for the broker's answer, from a task or from a worker thread.

A :class:`Waiter` is one caller waiting for one answer: the PubAck or PubComp
of a publish made with ``wait=True``, the SubAck of a subscribe, the UnsubAck
of an unsubscribe.  The client's connection task completes it (``done``) when
the answer comes, or fails it when the client stops.  Only callers that wait
make one: a plain publish costs no waiter.

:func:`blocking` is the other direction of ``remora.thread_call``: a worker
thread (a page, a job of the pool) runs a coroutine on the dispatcher and
blocks until it ends.  The MQTT core and the client's state belong to the
dispatcher thread (the MicroPython unix port has no GIL), so a worker never
touches them: it hands the whole call over.  Its time limit, if any, is kept
on the dispatcher (MicroPython's locks have no timeout).
"""

from .. import dispatcher, port
from ..errors import Shutdown, Timeout

try:
    from typing import Any, Callable, Optional
except ImportError:
    pass


class Waiter:
    """One caller waiting for one answer; ``pid`` is the packet identifier
    the answer will carry (0 until the request has one)."""

    pid = 0
    value = None  # type: Any
    error = None  # type: Optional[BaseException]

    def __init__(self) -> None:
        self.event = port.Event()

    def done(self, value: "Any" = None, error: "Optional[BaseException]" = None) -> None:
        """The answer came (``value``), or the wait is over (``error``)."""
        self.value = value
        self.error = error
        self.event.set()

    async def wait(self, timeout_ms: "Optional[int]") -> "Any":
        """The answer; raises the error given to ``done``, or Timeout."""
        if not await port.wait_event(self.event, timeout_ms):
            raise Timeout("no answer from the broker in time")
        if self.error is not None:
            raise self.error
        return self.value


class _Call:
    # One blocking call from a worker: the lock it sleeps on, its outcome.
    def __init__(self) -> None:
        self.lock = port.allocate_lock()
        self.lock.acquire()  # held: the worker blocks on it until the call ends
        self.value = None  # type: Any
        self.error = None  # type: Optional[BaseException]


def blocking(fn: "Callable[..., Any]", *args: "Any") -> "Any":
    """Run ``await fn(*args)`` on the dispatcher and block this worker thread
    until it ends: its result, or the exception it raised.  Raises Shutdown
    when no dispatcher runs."""
    if dispatcher.current() is None:
        raise Shutdown("no dispatcher is running")
    call = _Call()
    dispatcher.call_soon_threadsafe(_start, call, fn, args)
    call.lock.acquire()
    if call.error is not None:
        raise call.error
    return call.value


def _start(call: _Call, fn: "Callable[..., Any]", args: tuple) -> None:
    try:
        port.create_task(_run(call, fn, args))
    except MemoryError as exc:  # no task: the worker must not sleep forever
        call.error = exc
        call.lock.release()


async def _run(call: _Call, fn: "Callable[..., Any]", args: tuple) -> None:
    try:
        call.value = await fn(*args)
    except BaseException as exc:  # handed to the blocked worker, which raises it
        call.error = exc
    finally:
        call.lock.release()
