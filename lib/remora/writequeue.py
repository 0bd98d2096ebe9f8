"""The bounded FIFO write queue behind a cosocket's write (seed: Figure 2).

Four promises, from the seed's "Cosockets flow control":

1. A task writing to a full socket is suspended until there is room or the
   socket closes; then it gets an error, never hangs.
2. Several tasks writing to one socket are served in order (FIFO).
3. A caller that is not a task (a page on a worker thread) is never
   suspended: its data is queued up to ``queuelen`` bytes and refused beyond
   that with :class:`~remora.errors.QueueFull`, whose ``queued`` is the byte
   count in the queue (the seed's ``nil, queuelen``).
4. Data is "only queued up if the TCP/IP queue is full": while nothing waits
   in the queue, every writer, task or thread, sends straight away, and
   only what the socket did not take is queued.  ``queuelen`` bounds what
   TCP could not take, never what it could.

Memory stays bounded: data is copied into the queue only while the queue
holds at most ``limit`` bytes.  A task's write that does not fit is queued
as a view of the caller's own buffer, without a copy, and the task stays
suspended until that view has been sent, so the buffer is never reused early.

One flusher task per socket owns the waits for POLLOUT while the queue is
not empty; writers never wait on the poller themselves.

Threads: the MicroPython unix port has no GIL, and a worker's direct send
races a task's.  :data:`LOCK` is held by whoever decides "nothing waits, I
send now" until their leftover (if any) holds its place in the queue, so two
writers' bytes never interleave on the wire.
"""

from . import port
from .errors import Closed, QueueFull
from .rawio import LOCK, send_some

try:
    from typing import Any, List, Optional
except ImportError:
    pass

_SHORT_TRIES = 50  # the flusher's waits that found no heap, 10 ms apart, before it gives up


def _reset(wq: "Any") -> BaseException:
    error = Closed("peer reset while writing", True)
    if wq is not None:
        wq.fail(error)
    return error


async def write_from_task(sock: "Any", raw: "Any", data: "Any") -> bool:
    """A task's write to the cosocket sock (its raw socket raw): True once
    sent or queued; suspends while the queue is full (promises 1, 2, 4)."""
    size = len(data)
    if not size:
        return True  # nothing to send (and no empty chunk in the queue)
    done = 0
    with LOCK:
        # Nothing waits: send now, and hold the leftover's place in line
        # before a worker thread may send.
        wq = sock.write_queue()
        if wq is None or wq.idle():
            done = send_some(raw, data)
            if done == size:
                return True
            if done >= 0:
                wq = sock.write_queue(raw)
        if done >= 0:
            token = wq.enter_line(size - done)
    if done < 0:
        raise _reset(wq)
    return await wq.wait_turn(memoryview(data)[done:] if done else data, token)


def write_from_thread(sock: "Any", raw: "Any", data: "Any") -> bool:
    """A worker thread's write to the cosocket sock: never suspended; sends
    what TCP takes now, queues only the rest, and raises QueueFull when the
    queue cannot take it (promises 3, 4)."""
    size = len(data)
    if not size:
        return True
    done = 0
    with LOCK:
        wq = sock.write_queue()
        if wq is None or wq.idle():
            if size > sock.queuelen():
                raise QueueFull(0)  # could never be queued whole
            done = send_some(raw, data)
            if done == size:
                return True
            if done >= 0:
                wq = sock.write_queue(raw)
                wq.queue_from_thread(memoryview(data)[done:])
        else:
            wq.queue_from_thread(data)
    if done < 0:
        raise _reset(wq)
    port.call_soon_threadsafe(wq.kick)
    return True


class WriteQueue:
    def __init__(self, sock: "Any", raw: "Any", limit: int) -> None:
        self.sock = sock  # told through sock.flushed() when the queue ran dry
        self.raw = raw
        self.limit = limit
        self.chunks = []  # type: List[Any]
        self.queued = 0  # bytes waiting in chunks
        self.added = 0  # bytes ever queued; with sent, tells a writer when its view is out
        self.sent = 0
        self.line = []  # type: List[Any]  # task writers waiting, in arrival order
        self.flushing = False
        self.error = None  # type: Optional[BaseException]
        self.progress = port.Event()

    def idle(self) -> bool:
        """Nothing queued, nobody in line, no flusher: a writer may send now
        (ask under LOCK, and send before letting it go)."""
        return not self.line and not self.queued and not self.flushing

    # -- writers -------------------------------------------------------------

    def enter_line(self, size: int) -> "Any":
        """A task's place in line (call under LOCK): from here on no thread
        sends or queues ahead of it.  The token goes to wait_turn."""
        token = [size]  # identity only; one small list per waiting write
        self.line.append(token)
        return token

    async def wait_turn(self, data: "Any", token: "Any") -> bool:
        """Send data in the token's turn: straight away when nothing is
        queued ahead, else queued (a copy within the limit, or a loan of the
        caller's buffer that is awaited until sent)."""
        size = len(data)
        try:
            while True:
                self._raise_error()
                if self.line[0] is token:
                    rest = data
                    if self.queued == 0 and not self.flushing:
                        # First in line and nothing queued: no other writer
                        # can send now (they see the line), so no LOCK here.
                        done = self.send(data)
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
            with LOCK:
                self.line.remove(token)
            self.progress.set()

    def queue_from_thread(self, data: "Any") -> None:
        """Queue a thread's data behind what waits (call under LOCK); raises
        QueueFull when tasks wait in line or it would pass the limit.  The
        caller kicks the flusher once LOCK is released."""
        self._raise_error()
        size = len(data)
        # Tasks already waiting come first (FIFO); a thread cannot wait.
        if self.line or self.queued + size > self.limit:
            raise QueueFull(self.queued)
        self.chunks.append(bytes(data))
        self.queued += size
        self.added += size

    def send(self, data: "Any") -> int:
        """One direct send, counted: the bytes taken.  A peer reset fails
        the queue and raises Closed(reset=True)."""
        n = send_some(self.raw, data)
        if n < 0:
            raise _reset(self)
        self.added += n
        self.sent += n
        return n

    # -- the flusher ---------------------------------------------------------

    def kick(self) -> None:
        """Start the flusher if data waits and none runs.  Dispatcher only;
        raises MemoryError when no task could be made (nothing changed)."""
        if self.chunks and not self.flushing and self.error is None:
            port.create_task(self._flush())
            self.flushing = True  # only once it exists: else no one ever would

    async def _flush(self) -> None:
        # A task of its own, outside the dispatcher's guard: nothing may
        # leave it (asyncio would report an exception never retrieved, and
        # the writers in line would wait forever).  The wait for room may
        # find no heap for its poller entry: tried again after a pause; a
        # shortage that lasts fails the queue with it, so that every writer
        # wakes and the socket closes.
        raw = self.raw
        short = 0
        try:
            while self.error is None:
                with LOCK:
                    if not self.chunks:
                        break
                    head = self.chunks[0]
                n = send_some(raw, head)
                if n > 0:
                    self._consumed(n)
                    short = 0
                    continue
                if n < 0:
                    _reset(self)  # fails the queue: every writer wakes with it
                    break
                try:
                    await port.wait_io(raw, True)
                except MemoryError as exc:
                    short += 1
                    if short > _SHORT_TRIES:
                        self.fail(exc)
                        break
                    port.collect()
                    await port.sleep_ms(10)
        except MemoryError as exc:
            self.fail(exc)  # no heap even for the reset's error
        finally:
            self.flushing = False
            self.sock.flushed()

    # -- bookkeeping ---------------------------------------------------------

    def _append(self, chunk: "Any") -> int:
        with LOCK:
            self.chunks.append(chunk)
            self.queued += len(chunk)
            self.added += len(chunk)
            end = self.added
        self.kick()
        return end

    def _consumed(self, n: int) -> None:
        with LOCK:
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
        with LOCK:
            if self.error is None:
                self.error = error
            self.chunks = []
            self.queued = 0
        self.progress.set()

    def empty(self) -> bool:
        return not self.chunks
