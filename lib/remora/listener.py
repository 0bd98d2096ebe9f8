"""The accepting side of a listening socket: the connection cap, the refusal,
and the refused connections that linger.

A :class:`Listener` works on raw sockets only; the Socket a program sees
(``remora.bind(port)``, in state "listening") wraps the connections it
accepts.  What it owns:

- the cap: at most ``cap`` accepted connections open at once (the board's
  ``max_connections``); one beyond it is refused as soon as it is accepted,
  so a flood costs no heap;
- the refusal: bytes sent to a connection refused over the cap or for want
  of heap (an HTTP server's constant 503), instead of a bare close;
- the lingering ring: a refused connection is not closed at once.  Closing
  with its request unread makes the kernel send a reset, which can destroy
  the refusal before the client reads it (RFC 9112 §9.6, close in stages),
  so it lingers, reading and dropping what its client sends, until the
  client is done or half a second has passed.  The ring has a fixed number
  of slots, made with the listener: refusing allocates nothing, which is
  the point when the refusal is for want of heap.
"""

from . import dispatcher, log, port, profile
from .errors import Timeout, WrongMode

try:
    from typing import Any, Callable, List, Optional
except ImportError:
    pass

_SLOTS = 8  # refused connections lingering at once; the rest close at once
_LINGER_MS = 500
_REAP_EVERY_MS = 50  # how often an idle accept loop looks at lingering connections
_DRAIN_READS = 8  # reads per drain: a few buffers' worth, never a loop forever

# What a drain or a best-effort send may meet: made once (an ``except (A,
# B)`` builds its tuple when matched, and the heap may be what ran out).
_IO_OR_HEAP = (OSError, MemoryError)


def drain(raw: "Any") -> bool:
    """Read what has come on a raw socket into the shared buffer and drop
    it; True when nothing more will come (the peer closed, or the socket
    broke).  Allocates nothing once a first read made the shared buffer."""
    try:
        buf = dispatcher.read_buffer(profile.get("recv_size"))
        for _ in range(_DRAIN_READS):
            n = port.recv_into(raw, buf, len(buf))
            if not n:
                return n == 0  # 0: end of stream; None: nothing more yet
    except _IO_OR_HEAP:
        return True
    return False


def send_refusal(raw: "Any", answer: "Optional[bytes]") -> None:
    """Best effort: send answer on a raw socket we will not serve, then drop
    what the client sent so far (so that the close does not reset it)."""
    if answer is None:
        return
    try:
        raw.send(answer)
    except _IO_OR_HEAP:
        return
    drain(raw)


class Listener:
    """A raw listening socket's accept loop, cap, refusal and lingering ring."""

    def __init__(self, raw: "Any", cap: int, make: "Callable[..., Any]") -> None:
        self.raw = raw
        self.cap = cap
        # make(raw, peer, listener): the object an accepted connection
        # becomes (a Socket), made here so that a MemoryError is refused here.
        self.make = make
        self.accepted = 0  # accepted connections still open (see release())
        self.refusal = None  # type: Optional[bytes]
        self.lingering = [None] * _SLOTS  # type: List[Any]
        self.linger_until = [0] * _SLOTS  # their deadlines (ticks_ms)
        self.closed = False

    # -- accepting -----------------------------------------------------------

    async def accept(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """The next connection, made by make(); raises Timeout after
        timeout_ms.  A connection over the cap, or one whose object finds no
        heap, is refused and accepting goes on: one MemoryError never stops
        the listener."""
        deadline = None if timeout_ms is None else port.ticks_add(port.ticks_ms(), timeout_ms)
        while True:
            try:
                conn = await self._accept_one(deadline)
            except MemoryError:
                # Out of heap anywhere in here (the poller's map, the
                # connection's object): the next client waits in the backlog
                # while the connections that hold the heap finish.
                port.collect()
                await port.sleep_ms(10)
                continue
            if conn is not None:
                return conn

    async def _accept_one(self, deadline: "Optional[int]") -> "Any":
        if self.closed:
            raise WrongMode("listener closed")
        raw = self.raw
        try:
            conn, peer = port.accept(raw)  # MemoryError: nothing accepted (see accept)
        except OSError as exc:
            if port.error_kind(exc) == port.NO_DESCRIPTORS:
                # The backlog stays readable, so waiting on the poller would
                # spin: back off, then try again.
                await port.sleep_ms(100)
                return None
            if not port.would_block(exc):
                raise
            left = None if deadline is None else max(0, port.ticks_diff(deadline, port.ticks_ms()))
            # While refused connections linger, look at them every so often
            # even when no one connects (a server's sweeper may not exist).
            reaping = self.lingering_count() > 0 and (left is None or left > _REAP_EVERY_MS)
            if not await port.wait_io(raw, False, _REAP_EVERY_MS if reaping else left):
                if not reaping:
                    raise Timeout("accept timeout")
                self.reap()
            return None
        conn.setblocking(False)  # not inherited from the listener (Linux, lwIP)
        if self.lingering_count():
            self.reap()
        if self.accepted >= self.cap:
            self.refuse(conn)  # over the cap: refused, with no heap
            log.refused(503, "over the listener's connection cap", peer)
            return None
        try:
            port.no_delay(conn)
            made = self.make(conn, peer, self)
        except MemoryError:
            # No heap even for the connection's object: the client gets the
            # refusal (an HTTP server's 503), sent with no allocation.
            self.refuse(conn)
            log.refused(503, "no heap for the connection", peer)
            raise
        self.accepted += 1
        return made

    def release(self) -> None:
        """An accepted connection closed (or lingers): it no longer counts."""
        self.accepted -= 1

    # -- refusing ------------------------------------------------------------

    def refuse(self, raw: "Any", answer: "Optional[bytes]" = None) -> None:
        """Send answer (the refusal by default) to a raw connection we will
        not serve, and let it linger (see the module doc)."""
        send_refusal(raw, self.refusal if answer is None else answer)
        self.linger(raw)

    def linger(self, raw: "Any") -> None:
        """Close raw once its client is done or after half a second; what it
        sends meanwhile is dropped.  Up to _SLOTS linger at once, off the
        cap's count; the rest drop what has come so far and close now."""
        self.reap()
        if not drain(raw):
            for i in range(_SLOTS):
                if self.lingering[i] is None:
                    self.lingering[i] = raw
                    self.linger_until[i] = port.ticks_add(port.ticks_ms(), _LINGER_MS)
                    return
        _close(raw)

    def lingering_count(self) -> int:
        n = 0
        for raw in self.lingering:
            if raw is not None:
                n += 1
        return n

    def reap(self, everyone: bool = False) -> None:
        """Drop what the lingering connections received; close those whose
        client is done or whose time is up (all of them with everyone).  Run
        on every refusal and accept, and by a server's sweeper."""
        now = port.ticks_ms()
        for i in range(_SLOTS):
            raw = self.lingering[i]
            if raw is not None and (
                drain(raw) or everyone or port.ticks_diff(now, self.linger_until[i]) >= 0
            ):
                self.lingering[i] = None
                _close(raw)

    def close(self) -> None:
        """Stop accepting; the lingering connections close now."""
        self.closed = True
        self.reap(True)


def _close(raw: "Any") -> None:
    try:
        raw.close()
    except OSError:
        pass
