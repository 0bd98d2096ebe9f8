"""The client's way out to the broker: every packet it writes, and the
outgoing queue's drainer.

:class:`Writer` is the first base class of :class:`~.client.Client` (see
.link): all that a client sends goes through :meth:`Writer._send`, in order,
onto the connection's cosocket, whose write queue keeps several writers'
packets whole and in turn.

QoS 0 fast path (:meth:`Writer._put`).  A QoS 0 message without properties,
published by a task while nothing waits before it, goes without a coroutine,
a core call or a packet object of its own:

* its first bytes (fixed header, Topic Name, 5.0's empty Property Length,
  from the core's ``publish_head``) are kept for the last topic, size and
  RETAIN used, until the connection ends;
* the first message of a millisecond goes straight to the socket
  (``Socket.send_now``: TCP takes it, or it is written through the write
  queue as any other packet, behind what waits there);
* the next ones in the same millisecond are appended to one bytearray,
  written as one send when it reaches ``COALESCE`` bytes (2 KB) or, at the
  latest, by a flush task when the publishing task gives the dispatcher
  back.  Any other packet written meanwhile goes after them (``_send``
  writes the pending bytes first), so the wire keeps the order of the calls.
  The most frequent step (a kept head, a buffer started) is Client.publish's
  checks and :meth:`Writer._gather`, both with frames small enough for
  MicroPython's C stack (see Client.publish).

A publish the fast path does not take (QoS 1 and 2, properties, a worker
thread, a queue that waits, a topic alias) goes through the core and
``_send`` as before.  A QoS 0 message may be lost with its connection
(MQTT's "at most once"): buffered ones are dropped by ``_lost``.
"""

from .. import dispatcher, port
from ..errors import SocketError
from ..proto.mqtt.events import LocalProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython
if TYPE_CHECKING:
    from typing import Any, List, Optional  # noqa: F401  (type comments)

    from ..proto.mqtt.core import Connection
    from .outbox import Outbox

# QoS 0 messages are gathered up to 2 KB before a send: a few TCP segments,
# within what an ESP32's lwIP takes at once (its send buffer holds 4 segments
# of 1436 bytes), in a buffer with room for one more message of at most
# _LARGEST bytes; a larger message takes the ordinary path.  The buffer
# exists only while messages are gathered (it goes at the end of the turn).
COALESCE = const(2048)
_LARGEST = const(512)


def _finished() -> "Any":
    yield


class _Done:
    # CPython: an awaitable that returns None at once.
    def __await__(self) -> "Any":
        return iter(())


def _done() -> "Any":
    # What a publish the fast path completed returns: awaiting it must
    # return None at once and allocate nothing.  On MicroPython a finished
    # generator is that (resuming one is a plain return); CPython refuses a
    # generator in await, so it gets _Done.  Probed, not assumed.
    gen = _finished()
    for _ in gen:
        pass

    async def probe() -> None:
        await gen

    coro = probe()
    try:
        coro.send(None)
    except StopIteration:
        return gen
    except TypeError:
        pass
    return _Done()


DONE = _done()

# No head kept: a tuple that matches no topic ("" is no valid topic name) and
# no size, so that a worker thread's publish may read the kept head while the
# dispatcher drops it (no GIL on MicroPython's unix port).
_NO_HEAD = ("", -1, b"", 0, 0)


class Writer:
    """The sending half of a Client (a base class, never made alone)."""

    if TYPE_CHECKING:
        core: "Connection"
        outbox: "Outbox"

    # Class-level defaults: an instance stores only what differs.
    _sock = None  # type: Any  # the current connection's cosocket (also while it sleeps)
    _ready = False  # connected, CONNACK in, resends sent: new messages may go
    _draining = False  # a drainer task runs
    _sent_ms = 0  # ticks of our last packet (the keep-alive counts from it)
    _progress = None  # type: Any  # Event: the window, the queue or the state moved
    _waits = None  # type: Optional[List[Any]]  # Waiters of publishes, by packet id
    # The QoS 0 head kept: (topic, size << 1 | retain, bytes, their length, thread).
    _head = _NO_HEAD  # type: Any
    _pending = None  # type: Any  # bytearray: QoS 0 messages not sent yet, _fill bytes
    _fill = 0
    _direct_ms = -1  # ticks of the last QoS 0 message sent straight away

    # -- signalling ---------------------------------------------------------------------

    def _moved(self) -> None:
        # Wake every task waiting for the window, the queue, the connection
        # or a message; each checks again what it waits for.
        ev = self._progress
        if ev is not None:
            ev.set()

    async def _wait_moved(self, timeout_ms: "Optional[int]" = None) -> bool:
        ev = self._progress
        if ev is None:
            ev = self._progress = port.Event()
        ev.clear()
        if timeout_ms is None:
            await ev.wait()
            return True
        return await port.wait_event(ev, timeout_ms)

    # -- writing ------------------------------------------------------------------------

    async def _send(self, sock: "Any", data: "Any") -> None:
        # Every packet goes out here, behind the QoS 0 messages still
        # gathered for this connection (in the same write when it fits).
        self._sent_ms = port.ticks_ms()
        pending = self._pending
        if pending is not None and sock is self._sock:
            self._pending = None
            fill = self._fill
            end = fill + len(data)
            if end <= len(pending):
                pending[fill:end] = data
                data = memoryview(pending)[:end]
            else:
                await sock.write(memoryview(pending)[:fill])
        await sock.write(data)

    def _put(self, topic: str, payload: "Any", retain: bool) -> "Any":
        """The QoS 0 fast path (module doc) when Client.publish's inline part
        (a kept head, a buffer started) does not apply: an awaitable once the
        message is sent or gathered, None when the ordinary path must take it."""
        # A worker's call never touches the connection; queued messages go first.
        if self._draining or self.outbox.items is not None or type(payload) is not bytes:
            return None
        if not dispatcher.on_dispatcher():
            return None
        size = len(payload)
        key = size << 1 | (1 if retain else 0)
        head = self._head
        if head[1] == key and head[0] == topic:
            head = head[2]
        else:
            if size > _LARGEST:
                return None
            try:
                head = self.core.publish_head(topic, size, retain)
            except LocalProtocolError:
                return None  # the ordinary path says what is wrong
            if head is None or len(head) + size > _LARGEST:
                return None
            # Made on the dispatcher: the thread Client.publish compares with.
            self._head = (topic, key, head, len(head), port.get_ident())
        pending = self._pending
        if pending is None:
            now = port.ticks_ms()
            if now != self._direct_ms:
                # The first this millisecond: straight out.
                self._direct_ms = now
                return self._out(head + payload)
            try:
                # A flush task per buffer (a second one, after a send that
                # handed its buffer to the write queue, finds nothing to do).
                pending = bytearray(COALESCE + _LARGEST)
                dispatcher.spawn(self._flush_later())
            except MemoryError:
                return self._out(head + payload)
            self._pending = pending
            self._fill = 0
        return self._gather(payload)

    def _gather(self, payload: bytes) -> "Any":
        # Client.publish found the head kept and a buffer started: the
        # message joins the others (a frame small enough for MicroPython's
        # C stack: see Client.publish).
        head = self._head
        pending = self._pending
        fill = self._fill
        end = fill + head[3]
        pending[fill:end] = head[2]
        fill = end + len(payload)
        pending[end:fill] = payload
        if fill < COALESCE:
            self._fill = fill
            return DONE
        return self._segment(fill)

    def _segment(self, fill: int) -> "Any":
        # A segment's worth gathered: out now; the buffer is used again if
        # TCP took it all, else handed to the write queue with the rest.
        sock = self._sock
        self._sent_ms = port.ticks_ms()
        data = memoryview(self._pending)[:fill]
        done = sock.send_now(data)
        if done == fill:
            self._fill = 0
            return DONE
        self._pending = None
        return self._send(sock, data[done:])

    def _drop_gathered(self) -> None:
        # The connection is gone: QoS 0 messages not sent yet are lost with
        # it (at most once), and the next CONNACK may change the server's
        # limits, so the head goes too.
        self._pending = None
        self._head = _NO_HEAD

    def _out(self, data: "Any") -> "Any":
        # What the socket takes now; the rest, if any, written through its
        # queue by the caller's await (promptly: nothing else runs before).
        sock = self._sock
        self._sent_ms = port.ticks_ms()
        done = sock.send_now(data)
        if done == len(data):
            return DONE
        return self._send(sock, memoryview(data)[done:] if done else data)

    async def _flush_later(self) -> None:
        # The end of the publishing task's turn: what it gathered goes out,
        # and the buffer and the kept head go (none is kept at rest: the next
        # burst makes them again).
        self._head = _NO_HEAD
        pending = self._pending
        if pending is None or not self._ready:
            return
        self._pending = None
        try:
            await self._send(self._sock, memoryview(pending)[: self._fill])
        except SocketError:
            pass  # the connection task sees it too, and reconnects

    # -- the outgoing queue -------------------------------------------------------------

    def _track(self, waiter: "Any", pid: "Optional[int]") -> None:
        # A QoS 1/2 publish's waiter, answered by its PubAck/PubComp (.link).
        if waiter is not None and pid is not None:
            waiter.pid = pid
            if self._waits is None:
                self._waits = [waiter]
            else:
                self._waits.append(waiter)

    def _kick(self) -> None:
        """Start the drainer if messages wait and none runs (dispatcher only)."""
        if self._ready and not self._draining and len(self.outbox):
            self._draining = True
            try:
                dispatcher.spawn(self._drain())
            except MemoryError:
                self._draining = False  # tried again after the next ack

    async def _drain(self) -> None:
        # Move queued messages into the core as the window lets them, in
        # their order; ends when the queue is empty or the connection is
        # lost (the next CONNACK starts it again).
        outbox = self.outbox
        conn = self.core
        try:
            while self._ready:
                entry = outbox.peek()
                if entry is None:
                    break
                flags = entry[2]
                if flags & 6 and conn.inflight_room() <= 0:
                    await self._wait_moved()
                    continue
                outbox.pop()
                self._moved()  # room in the queue: a suspended publisher may go on
                waiter = entry[4]
                try:
                    pid, data = conn.publish(entry[0], entry[1], flags >> 1, flags & 1 == 1, entry[3])
                except LocalProtocolError as exc:
                    # The broker's limits (Maximum QoS, Retain Available,
                    # Maximum Packet Size) refuse it: it cannot ever go.
                    if waiter is not None:
                        waiter.done(None, exc)
                    else:
                        print("remora: mqtt message to %s dropped: %s" % (entry[0], exc))
                    continue
                self._track(waiter, pid)
                try:
                    await self._send(self._sock, data)
                except SocketError as exc:
                    # The connection task sees it too, and reconnects; a
                    # QoS 1/2 message is in the session, a QoS 0 one lost.
                    if waiter is not None and pid is None:
                        waiter.done(None, exc)
                    break
                if waiter is not None and pid is None:
                    waiter.done(0)  # QoS 0: done once written
        finally:
            self._draining = False
