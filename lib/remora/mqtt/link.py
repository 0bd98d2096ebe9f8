"""The client's connection to the broker: one cosocket task per network
connection, reading, answering, keeping alive, and reconnecting.

The dispatcher's half of :class:`~.client.Client` (client.py holds the
public API) is a chain of base classes, one concept each:
:class:`~.writer.Writer` (every packet written, the QoS 0 fast path, the
outgoing queue's drainer) < :class:`~.subscribing.Requests` ((UN)SUBSCRIBE
requests and their answers) < :class:`Link` (here: the connection task).
Together they drive the sans-IO core (``remora.proto.mqtt``) as that
package's docstring says a cosocket driver must:

* Each network connection is a task on its own cosocket, started with
  ``remora.event`` (the seed's example 10): ``await sock.connect(...)``, the
  CONNECT, then the read loop.  When the connection ends, the task starts
  the next one, which first sleeps on its still unconnected cosocket (the
  seed's ``read(ms)`` on an unconnected socket: a sleep that a shutdown or
  a ``close()`` interrupts): the back-off, doubled after every failed
  attempt up to its maximum, from its minimum again once a CONNACK came,
  with jitter (a random half of it) so that a fleet does not reconnect in
  step after its broker restarts.
* After the CONNACK, before anything else: the core's resends (unfinished
  QoS 1 and 2 messages, with DUP set when the broker kept the session, 5.0
  §4.4), in one write, so that no new message overtakes them.  Then, when
  the broker kept no session (a clean start, or a broker that lost it), a
  SUBSCRIBE of every subscription granted before; then the (UN)SUBSCRIBEs
  that were never answered; then the outgoing queue (.outbox).
* A small timer task per connection sends PINGREQs and closes a dead
  connection (``keepalive_due``), and gives up on a CONNACK that does not
  come; the reads themselves carry no timeout (no timer per read).
* One drainer task at a time (.writer) moves the outgoing queue into the
  core as the inflight window opens (after every PubAck/PubComp).

Everything the broker sends is read by the connection task alone (the
cosocket's owner); other tasks write to the same cosocket, in the order
they call (the cosocket write queue keeps it).  Before any wait, the
connection task writes what the core queued (acknowledgements), so that a
slow handler never holds a PUBACK back.
"""

from .. import dispatcher, port
from ..errors import Closed, Shutdown, SocketError
from ..net import event as start_cosocket
from ..sock import CLOSED as SOCK_CLOSED
from ..proto.mqtt.core import CONNECTED, KEEPALIVE_PING, KEEPALIVE_TIMEOUT
from ..proto.mqtt.events import NEED_DATA, ConnAck, ConnectionClosed
from ..proto.mqtt.events import Message, PubAck, PubComp, SubAck, UnsubAck
from .subscribing import SUBSCRIBE, Requests

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython
if TYPE_CHECKING:
    from typing import Any, List, Optional  # noqa: F401  (type comments)

_RESUBSCRIBE_BATCH = const(8)  # filters per SUBSCRIBE when resubscribing


class Link(Requests):
    """The connection task of a Client (a base class, never made alone)."""

    if TYPE_CHECKING:
        # Set by Client.__init__; named here for the type checker.
        host = ""
        port = 0
        client_id = ""
        handler = None  # type: Any
        _connect_args = ()  # type: tuple
        _backoff = (0, 0)  # type: tuple
        _connect_ms = 0

    # Class-level defaults: an instance stores only what differs.
    _stopping = False  # disconnect() or a shutdown: no more connections
    tls = None  # type: Any  # a TLS client context (Client(tls=...), mqtts://)
    _delay_ms = 0  # the next back-off
    _recv_ms = 0  # ticks of their last packet
    _inbox = None  # type: Optional[List[Any]]  # messages for the iterator
    dropped = 0  # messages that came with no handler and no iterator
    reconnects = 0  # connections made after the first
    last_error = None  # type: Any  # why the last connection failed or ended (None: none did)

    # -- the connection task ------------------------------------------------------------

    def _start(self, delay_ms: int) -> None:
        if not self._stopping:
            self._sock = start_cosocket(self._connection, delay_ms)

    async def _connection(self, sock: "Any", delay_ms: int) -> None:
        up = False
        try:
            if delay_ms:
                try:
                    await sock.read(delay_ms)  # a sleep: the socket is not connected
                except SocketError:
                    pass
            if self._stopping or self._sock is not sock:
                return
            # MQTT over TLS: the handshake suspends only this task (the
            # seed's Figure 1), and the name is checked against the certificate.
            await sock.connect(self.host, self.port, self._connect_ms, self.tls)
            up = await self._serve(sock)
        except Shutdown:
            self._stop(Shutdown("server shutting down"))
        except SocketError as exc:  # cannot connect, a reset, a close
            self.last_error = exc
        finally:
            self._lost(sock)
            if not self._stopping and self._sock is sock:
                self._start(self._next_delay(up))

    def _next_delay(self, up: bool) -> int:
        # Exponential back-off with jitter: [d/2, d), d doubling from the
        # minimum after each failed attempt, from the minimum again after a
        # connection that was accepted.
        low, high = self._backoff
        d = low if up or not self._delay_ms else min(self._delay_ms * 2, high)
        self._delay_ms = d
        self.reconnects += 1
        r = port.random_bytes(2)
        return d // 2 + (r[0] << 8 | r[1]) * (d - d // 2) // 65536

    async def _serve(self, sock: "Any") -> bool:
        # One network connection, from CONNECT to its end; True once a
        # CONNACK accepted us.
        conn = self.core
        up = False
        before = self.last_error  # a reason set meanwhile (the timer's) is kept
        data = conn.connect(self.client_id, *self._connect_args)
        self._recv_ms = port.ticks_ms()
        await self._send(sock, data)
        dispatcher.spawn(self._timer(sock))
        while True:
            data = await sock.read()
            if data:
                self._recv_ms = port.ticks_ms()
                conn.receive_data(data)
            else:
                conn.receive_data(b"")  # EOF, or our close() (keepalive timeout)
            while True:
                ev = conn.next_event()
                if ev is NEED_DATA:
                    break
                kind = type(ev)
                if kind is Message:
                    await self._deliver(sock, ev)
                elif kind is PubAck or kind is PubComp:
                    self._acked(ev.packet_id, ev.reason)
                elif kind is SubAck or kind is UnsubAck:
                    await self._answered(sock, ev)
                elif kind is ConnAck:
                    if ev.reason == 0:  # else refused: ConnectionClosed follows
                        up = True
                        await self._up(sock, ev.session_present)
                elif kind is ConnectionClosed:
                    if ev.reason:  # a violation, ours or theirs, or a refusal
                        self.last_error = Closed("%s (0x%02x)" % (ev.message, ev.reason))
                    elif self.last_error is before:
                        self.last_error = Closed(ev.message)
                    out = conn.data_to_send()  # a DISCONNECT naming the violation
                    if out:
                        await self._send(sock, out)
                    return up
            out = conn.data_to_send()
            if out:
                await self._send(sock, out)

    async def _up(self, sock: "Any", session_present: bool) -> None:
        # The CONNACK accepted us: resends first, in one write (5.0 §4.4,
        # §4.6: their original order, before any new message).
        conn = self.core
        packets = conn.resend()
        if packets:
            await self._send(sock, b"".join(packets))
        if not session_present and self._subs:
            # No session on the broker: its subscriptions are gone too
            # (5.0 §3.2.2.1.1); ask again for those it had granted, ahead of
            # the requests never answered.
            items = list(self._subs.items())
            for i in range(0, len(items), _RESUBSCRIBE_BATCH):
                self._request([SUBSCRIBE, items[i : i + _RESUBSCRIBE_BATCH], None, 0], True)
        self._ready = True
        self._moved()
        await self._send_requests(sock)
        self._kick()

    def _lost(self, sock: "Any") -> None:
        # The connection is over: the core closes, requests sent on it are
        # sent again on the next one (their answers will not come), and
        # published messages stay in the session for the resend.
        self._ready = False
        self._drop_gathered()
        self.core.close()
        self._unsent()
        self._moved()

    async def _timer(self, sock: "Any") -> None:
        # Keep alive (5.0 §3.1.2.10) and the CONNACK deadline for one
        # connection; ends with it.
        conn = self.core
        keepalive_ms = self._connect_args[1] * 1000
        tick = min(max(keepalive_ms // 4, 200), 5000) if keepalive_ms else 1000
        while self._sock is sock and sock.state() != SOCK_CLOSED:
            await port.sleep_ms(tick)
            if self._sock is not sock:
                return
            now = port.ticks_ms()
            since_sent = port.ticks_diff(now, self._sent_ms)
            if conn.state != CONNECTED and not self._ready:
                if since_sent > self._connect_ms:
                    self.last_error = Closed("no CONNACK in time")
                    sock.close()  # the reader sees the close and the task reconnects
                    return
                continue
            due = conn.keepalive_due(since_sent, port.ticks_diff(now, self._recv_ms))
            if due == KEEPALIVE_PING:
                try:
                    await self._send(sock, conn.ping())
                except SocketError:
                    return
            elif due == KEEPALIVE_TIMEOUT:
                self.last_error = Closed("keep alive: the broker stopped answering")
                sock.close()
                return

    # -- what the broker sends ----------------------------------------------------------

    async def _deliver(self, sock: "Any", msg: "Any") -> None:
        # A message for the application: the handler, or the iterator's
        # inbox (bounded: a full inbox holds the reading, so a slow consumer
        # slows the broker down through TCP instead of filling the heap).
        handler = self.handler
        if handler is not None:
            try:
                result = handler(msg)
                if result is not None and hasattr(result, "send"):  # a coroutine
                    await self._flush(sock)
                    await result
            except Exception as exc:  # the application's: logged, the link goes on
                dispatcher.log_exception(exc, "mqtt handler failed")
            return
        inbox = self._inbox
        if inbox is None:
            self.dropped += 1
            return
        if len(inbox) >= self.core.session.max_inflight:
            await self._flush(sock)
            while self._inbox is not None and len(self._inbox) >= self.core.session.max_inflight:
                await self._wait_moved()
            inbox = self._inbox
            if inbox is None:
                return
        inbox.append(msg)
        self._moved()

    async def _flush(self, sock: "Any") -> None:
        out = self.core.data_to_send()
        if out:
            await self._send(sock, out)

    def _acked(self, pid: int, reason: int) -> None:
        # Our QoS 1/2 message is done: its waiter, if any; the window moved.
        waits = self._waits
        if waits is not None:
            for i in range(len(waits)):
                if waits[i].pid == pid:
                    waits.pop(i).done(reason)
                    if not waits:
                        self._waits = None
                    break
        self._moved()
        self._kick()

    # -- stopping -----------------------------------------------------------------------

    def _stop(self, error: BaseException) -> None:
        # No more connections: every waiter fails with error, every
        # suspended publisher and iterator wakes.
        self._stopping = True
        self._ready = False
        for entry in self.outbox.take_all():
            if entry[4] is not None:
                entry[4].done(None, error)
        waits = self._waits
        self._waits = None
        for waiter in waits or ():
            waiter.done(None, error)
        self._fail_requests(error)
        self._moved()
