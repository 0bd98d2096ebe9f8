"""Page output blocks: fixed buffers made once, each lent to one page's response.

A page's output used to be collected as pieces and joined, when the page
ended, into one bytes object of the page's size: one contiguous block per
request.  Under load a board's heap is in pieces: on the ESP32 profile a
soak met "memory allocation failed, allocating 1618 bytes" for the demo's
index page several times a second with a third of the heap free, and each
was a 503 (issue 20; the same on a starved heap lasted minutes after the
load had stopped).

So a page's working memory is planned: an App that serves pages keeps
``workers`` blocks of ``page_buffer`` bytes (the board profile), made once,
at its first page request, and kept for good.  A page is lent one while it
runs (``Response.write`` copies its output in) and until its response has
been sent (``Response.sent``); the response is sent from the block, with no
copy.  However the heap is cut up after a flood, a page that fits its
block needs no large piece of it.  A page whose output outgrows its block
is collected as before, and so is one that finds every block lent: under
load, a worker starts the next page before the dispatcher has sent the
last one (then a 503 when no piece of the page's size is free: refused
work, counted, under a load that is itself the cause).

A page takes its block at its first write, on the worker that runs it,
not when its request is queued for a worker: requests waiting in the
pool's queue hold none.  Taking and giving back happen under a lock (a
worker takes, the dispatcher gives back).
"""

from .. import port

try:
    from typing import Any, List, Optional
except ImportError:
    pass


class Lease:
    """One block lent to one response: the bytes written into it so far."""

    def __init__(self, pool: "OutputBlocks", block: bytearray) -> None:
        self.pool = pool
        self.block = block
        self.used = 0

    def add(self, data: "Any") -> bool:
        """Copy data in after what is there; False (nothing copied) when it
        does not fit."""
        start = self.used
        end = start + len(data)
        if end > len(self.block):
            return False
        self.block[start:end] = data
        self.used = end
        return True

    def view(self) -> memoryview:
        """What was written, without a copy (valid until given back)."""
        return memoryview(self.block)[: self.used]

    def drop(self) -> None:
        """Let the block go (a failed send may still hold it): the pool
        makes another when next needed."""
        pool = self.pool
        with pool.lock:
            pool.made -= 1

    def give_back(self) -> None:
        self.used = 0
        pool = self.pool
        with pool.lock:
            try:
                pool.free.append(self)  # within the list's room: MicroPython keeps 4 at least
            except MemoryError:
                pool.made -= 1  # dropped: made again when next needed


class OutputBlocks:
    """count blocks of size bytes, made at once while the heap is whole (an
    App makes its page mount at its first page request); one that does not
    fit then is made when first needed."""

    def __init__(self, count: int, size: int) -> None:
        self.count = max(0, count)
        self.size = size
        self.made = 0
        self.free = []  # type: List[Lease]
        self.lock = port.allocate_lock()
        while self.made < self.count and size > 0:
            try:
                self.free.append(Lease(self, bytearray(size)))
            except MemoryError:
                break
            self.made += 1

    def take(self) -> "Optional[Lease]":
        """A block to write a page into, or None (every block lent, or no
        heap for the first making of one: the page is collected as before).
        Any thread."""
        with self.lock:
            free = self.free
            if free:
                return free.pop()
            if self.made >= self.count or self.size <= 0:
                return None
            self.made += 1  # counted before it is made: the lock is not held then
        try:
            return Lease(self, bytearray(self.size))
        except MemoryError:
            with self.lock:
                self.made -= 1
            return None  # tried again at the next page
