"""The worker pool: blocking work off the dispatcher (seed: ba.thread.run).

A fixed number of threads (``workers`` in the board profile, started on
first use) take jobs from a bounded queue (``pool_queue``).  Pages and
blocking sockets run here.  A full queue refuses the job instead of growing:
``run`` returns False and ``call`` raises QueueFull, which the HTTP server
turns into 503.

Threads are ``_thread`` on MicroPython and ``threading`` on CPython.  The
MicroPython unix port has no GIL, so every shared list here is touched only
under the pool's lock, and results go back to the dispatcher through
``port.kick`` (a flag and a wake-up: nothing to allocate on the worker).
"""

from . import dispatcher, port, profile
from .errors import QueueFull

try:
    from typing import Any, Callable, List, Optional
except ImportError:
    pass


class _Worker:
    def __init__(self) -> None:
        self.wake = port.allocate_lock()
        self.wake.acquire()  # held: the worker blocks on it while idle
        self.job = None  # type: Any
        # Parked, waiting for a job: a flag rather than a list entry, so that
        # a worker short of heap can still park (an append may need memory).
        self.idle = False


class _Call:
    """One call() in flight: the job a worker runs, and its outcome."""

    def __init__(self) -> None:
        self.done = port.Event()
        self.fn = None  # type: Any
        self.args = ()  # type: tuple
        self.result = None  # type: Any
        self.error = None  # type: Any
        self.finished = False

    def run(self) -> None:  # on a worker thread
        try:
            self.result = self.fn(*self.args)
        except BaseException as exc:  # handed back to the awaiting task
            self.error = exc
        # From here on nothing allocates: a worker whose job ran the heap dry
        # (a MemoryError is common then) must still hand the call back, or its
        # task would wait forever.  The flag is read by Pool.reap on the dispatcher.
        self.finished = True
        port.kick()

    def clear(self) -> None:
        self.done.clear()
        self.fn = self.result = self.error = None
        self.args = ()
        self.finished = False


class Pool:
    def __init__(self, workers: int, queue_max: int, stack_bytes: int = 0) -> None:
        self.workers = workers
        self.queue_max = queue_max
        self.stack_bytes = stack_bytes
        self._lock = port.allocate_lock()
        self._jobs = []  # type: List[Any]
        self._threads = []  # type: List[_Worker]  # every worker started, idle or busy
        self._busy = 0
        self._stopping = False
        # Finished _Call objects kept for reuse, and the calls in flight
        # (both touched on the dispatcher thread only).
        self._calls = []  # type: List[_Call]
        self._inflight = []  # type: List[_Call]

    def run(self, fn: "Callable[..., Any]", *args: "Any") -> bool:
        """Queue fn(*args) for a worker thread.  False when the queue is full."""
        job = (fn, args)
        worker = None
        with self._lock:
            if self._stopping:
                return False
            for idle in self._threads:
                if idle.idle:
                    idle.idle = False
                    idle.job = job
                    self._busy += 1
                    idle.wake.release()
                    return True
            if len(self._threads) < self.workers:
                # Allocated before anything is counted: a MemoryError here
                # leaves the pool as it was.
                worker = _Worker()
                worker.job = job
                self._threads.append(worker)
                self._busy += 1
            elif len(self._jobs) >= self.queue_max:
                return False
            else:
                self._jobs.append(job)
                return True
        try:
            port.start_thread(self._loop, (worker,), self.stack_bytes)
        except (OSError, MemoryError, RuntimeError):
            with self._lock:
                self._threads.remove(worker)
                self._busy -= 1
            return False
        return True

    async def call(self, fn: "Callable[..., Any]", *args: "Any") -> "Any":
        """Run fn(*args) on a worker thread and suspend the task until it ends.

        Returns its result or raises its exception; raises QueueFull when the
        pool's queue is full.
        """
        calls = self._calls
        call = calls.pop() if calls else _Call()
        call.fn = fn
        call.args = args
        port.on_wake(self.reap)
        self._inflight.append(call)
        if not self.run(call.run):
            self._inflight.remove(call)
            call.clear()
            calls.append(call)
            raise QueueFull(len(self._jobs))
        await call.done.wait()  # if this task is cancelled, the call is not reused
        result, error = call.result, call.error
        call.clear()
        if len(calls) < 4:
            calls.append(call)  # reused: one fewer Event and closure per call
        if error is not None:
            raise error
        return result

    def reap(self) -> None:
        """After every kick: wake the task of each call a worker has finished."""
        inflight = self._inflight
        i = 0
        while i < len(inflight):
            call = inflight[i]
            if call.finished:
                inflight.pop(i)
                call.done.set()
            else:
                i += 1

    def _loop(self, worker: _Worker) -> None:
        job = worker.job
        while job is not None:
            try:
                job[0](*job[1])
            except Exception as exc:
                try:
                    dispatcher.log_exception(exc, "worker job failed")
                except MemoryError:
                    pass  # no heap even to report it: the worker goes on
            job = None
            # Nothing below allocates: whatever the heap, the worker either
            # takes the next job or parks (a worker that died here would stay
            # counted and leave jobs queued forever).
            with self._lock:
                if self._jobs:
                    job = self._jobs.pop(0)
                    continue
                self._busy -= 1
                if self._stopping:
                    self._threads.remove(worker)
                    return
                worker.job = None
                worker.idle = True
            worker.wake.acquire()  # sleep until run() hands us a job
            job = worker.job
        with self._lock:
            if worker in self._threads:
                self._threads.remove(worker)  # woken by shutdown()

    def shutdown(self) -> None:
        """Refuse new jobs and let idle workers exit; running jobs finish."""
        with self._lock:
            self._stopping = True
            self._jobs = []
            for worker in self._threads:
                if worker.idle:
                    worker.idle = False
                    worker.job = None
                    worker.wake.release()

    def stopping(self) -> bool:
        return self._stopping

    def stats(self) -> "dict":
        return {"workers": len(self._threads), "busy": self._busy, "queued": len(self._jobs)}


def default() -> Pool:
    """The running dispatcher's pool, sized by the board profile, made on
    first use (the dispatcher shuts it down when it stops)."""
    d = dispatcher.current()
    if d is None:
        raise RuntimeError("the worker pool needs a running dispatcher (remora.run)")
    pool = d.pool
    if pool is None or pool.stopping():
        pool = Pool(profile.get("workers"), profile.get("pool_queue"), profile.get("thread_stack"))
        d.pool = pool
    return pool


def run(fn: "Callable[..., Any]", *args: "Any") -> bool:
    """Run fn(*args) on the default pool (seed: ba.thread.run); False when full."""
    return default().run(fn, *args)


async def call(fn: "Callable[..., Any]", *args: "Any") -> "Any":
    """Await fn(*args) run on the default pool."""
    return await default().call(fn, *args)
