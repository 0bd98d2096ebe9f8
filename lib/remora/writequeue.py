"""The bounded FIFO write queue behind a cosocket's write (seed: Figure 2).

Three promises, from the seed's "Cosockets flow control":

1. A task writing to a full socket is suspended until there is room or the
   socket closes; then it gets an error, never hangs.
2. Several tasks writing to one socket are served in order (FIFO).
3. A caller that is not a task (a page on a worker thread) is never
   suspended: its data is queued up to ``queuelen`` bytes and refused beyond
   that with :class:`~remora.errors.QueueFull`, whose ``queued`` is the byte
   count in the queue (the seed's ``nil, queuelen``).

Memory stays bounded: data is copied into the queue only while the queue
holds at most ``limit`` bytes.  A task's write that does not fit is queued
as a view of the caller's own buffer, without a copy, and the task stays
suspended until that view has been sent, so the buffer is never reused early.

One flusher task per socket owns the waits for POLLOUT while the queue is
not empty; writers never wait on the poller themselves.
"""

from . import port
from .errors import Closed, QueueFull

try:
    from typing import Any, List, Optional
except ImportError:
    pass

# One lock for every queue: worker threads append while the dispatcher sends
# (the MicroPython unix port has no GIL).  It is held only for list updates.
_lock = port.allocate_lock()


class WriteQueue:
    def __init__(self, sock: "Any", limit: int) -> None:
        self.sock = sock
        self.limit = limit
        self.chunks = []  # type: List[Any]
        self.queued = 0  # bytes waiting in chunks
        self.added = 0  # bytes ever queued; with sent, tells a writer when its view is out
        self.sent = 0
        self.line = []  # type: List[Any]  # task writers waiting, in arrival order
        self.flushing = False
        self.error = None  # type: Optional[BaseException]
        self.progress = port.Event()

    # -- writers -------------------------------------------------------------

    async def write_from_task(self, data: "Any") -> bool:
        size = len(data)
        if size == 0:
            return True
        token = [size]  # identity only; one small list per waiting write
        self.line.append(token)
        try:
            while True:
                self._raise_error()
                if self.line[0] is token:
                    rest = data
                    if self.queued == 0 and not self.flushing:
                        # Nothing ahead of us: send straight away, which is the
                        # common case and costs no copy and no flusher task.
                        done = self._send_now(data)
                        if done == size:
                            return True
                        rest = memoryview(data)[done:]
                    if self.queued + len(rest) <= self.limit:
                        try:
                            self._append(bytes(rest))
                            return True
                        except MemoryError:
                            pass  # no room for a copy: lend the buffer below
                    if self.queued == 0:
                        # Larger than the whole queue: lend our buffer and wait
                        # until it has gone out.
                        end = self._append(memoryview(rest))
                        while self.sent < end:
                            self._raise_error()
                            await self._wait_progress()
                        return True
                await self._wait_progress()
        finally:
            self.line.remove(token)
            self.progress.set()

    def write_from_thread(self, data: "Any") -> bool:
        size = len(data)
        with _lock:
            self._raise_error()
            # Tasks already waiting come first (FIFO); a thread cannot wait.
            if self.line or self.queued + size > self.limit:
                raise QueueFull(self.queued)
            self.chunks.append(bytes(data))
            self.queued += size
            self.added += size
        port.call_soon_threadsafe(self.kick)
        return True

    # -- the flusher ---------------------------------------------------------

    def kick(self) -> None:
        """Start the flusher if data waits and none runs.  Dispatcher only."""
        if self.chunks and not self.flushing and self.error is None:
            self.flushing = True
            port.create_task(self._flush())

    async def _flush(self) -> None:
        raw = self.sock._s
        try:
            while self.error is None:
                with _lock:
                    if not self.chunks:
                        break
                    head = self.chunks[0]
                try:
                    n = raw.send(head)
                except OSError as exc:
                    if port.would_block(exc):
                        await port.wait_io(raw, True)
                        continue
                    self.fail(Closed("peer reset while writing", True))
                    break
                self._consumed(n)
        finally:
            self.flushing = False
            self.sock._flushed()

    # -- bookkeeping ---------------------------------------------------------

    def _send_now(self, data: "Any") -> int:
        n = self.sock._send_some(data)
        self.added += n
        self.sent += n
        return n

    def _append(self, chunk: "Any") -> int:
        with _lock:
            self.chunks.append(chunk)
            self.queued += len(chunk)
            self.added += len(chunk)
            end = self.added
        self.kick()
        return end

    def _consumed(self, n: int) -> None:
        with _lock:
            head = self.chunks[0]
            if n >= len(head):
                self.chunks.pop(0)
            else:
                self.chunks[0] = memoryview(head)[n:]
            self.queued -= n
            self.sent += n
        self.progress.set()

    async def _wait_progress(self) -> None:
        self.progress.clear()
        await self.progress.wait()

    def _raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def fail(self, error: BaseException) -> None:
        """The socket is gone: drop the queue and wake every writer with error."""
        with _lock:
            if self.error is None:
                self.error = error
            self.chunks = []
            self.queued = 0
        self.progress.set()

    def empty(self) -> bool:
        return not self.chunks
