"""The MQTT client's public API: :class:`Client`.

Every call follows its caller, as the socket layer's ``read`` and ``write``
do: in a task it returns an awaitable, on a worker thread (a page, a job of
the pool) it blocks.  The one exception is a worker's plain ``publish``,
which never blocks: its message is queued, or refused with ``QueueFull``
when the outgoing queue is full, as a worker's write to a full cosocket is.

The limits come from the board profile (``boards/``): ``mqtt_max_packet``
(the largest packet received, announced to a 5.0 broker as Maximum Packet
Size), ``mqtt_inflight`` (QoS 1/2 messages unacknowledged at once, each way,
and messages waiting for the iterator), ``mqtt_queue`` (bytes of messages
waiting to go out).
"""

# The socket layer first, from here: its import chain is the deepest, and nested under
# .link it ran MicroPython's C stack out on the 32-bit board (leaf modules first).
from .. import net  # noqa: F401
from .. import dispatcher, profile
from ..port import get_ident, random_bytes, ticks_diff, ticks_ms
from ..errors import Closed, QueueFull, Timeout
from ..proto.mqtt import props as _props
from ..proto.mqtt.core import Connection
from ..proto.mqtt.topics import valid_filter, valid_name
from .link import Link
from .subscribing import SUBSCRIBE, UNSUBSCRIBE
from .outbox import Outbox
from .waiter import Waiter, blocking

try:
    from typing import Any, Dict, List, Optional, Sequence, Tuple, Union  # noqa: F401
except ImportError:
    pass

_DEFAULT_PORT = 1883  # IANA's "mqtt" (MQTT 5.0 §4.2)
_TLS_PORT = 8883  # IANA's "secure-mqtt": MQTT over TLS (MQTT 5.0 §4.2)


def _limit(key: str, default: int) -> int:
    # A board profile without the MQTT keys (an older one) gets the default.
    try:
        return profile.get(key)
    except KeyError:
        return default


def parse_server(server: str, port: "Optional[int]", secure: bool = False) -> "Tuple[str, int, bool]":
    """(host, port, over TLS) from ``"host"``, ``"mqtt://host[:port]"`` or
    ``"mqtts://host[:port]"`` (MQTT over TLS, port 8883 by default); secure:
    TLS for a bare host too (a client given a TLS context)."""
    scheme, sep, rest = server.partition("://")
    if sep:
        if scheme not in ("mqtt", "mqtts"):
            raise ValueError("the server is host, mqtt://host[:port] or mqtts://host[:port]")
        secure = scheme == "mqtts"
        server = rest.rstrip("/")
        colon = server.rfind(":")
        if colon > 0 and "]" not in server[colon:]:
            port = int(server[colon + 1 :])
            server = server[:colon]
        server = server.strip("[]")
    return server, port or (_TLS_PORT if secure else _DEFAULT_PORT), secure


class Client(Link):
    """An MQTT 5.0 or 3.1.1 client on a cosocket, reconnecting by itself.

    ``Client("broker.local")``, ``Client("mqtt://10.0.0.2:1884", client_id=
    "board-7")``.  Nothing happens until :meth:`start`.

    ``client_id``: the session's name at the broker (a random one when
    None).  ``clean``: start each connection with a clean session; by
    default the session persists (``session_expiry_s`` under 5.0), so the
    broker keeps the subscriptions and the QoS 1/2 messages of a board that
    reconnects.  ``will``: a :class:`Will` the broker publishes when the
    client dies.  ``handler``: called with every :class:`Message` (a plain
    function runs on the dispatcher and must not block; a coroutine function
    is awaited, holding the reading meanwhile); without a handler, iterate
    ``client.messages()``.  ``reconnect_ms``: the back-off's (minimum,
    maximum).  The limits default to the board profile's.

    MQTT over TLS: ``Client("mqtts://broker.local", tls=remora.tls.client(
    ca="ca.der"))``; the server's name is checked against its certificate.
    ``mqtts://`` without ``tls`` verifies against the system's CAs, which
    CPython has and a board does not (name a CA there).  A ``tls`` context
    with a bare host or ``mqtt://`` URL makes that connection TLS too.
    """

    def __init__(
        self,
        server: str,
        port: "Optional[int]" = None,
        client_id: "Optional[str]" = None,
        version: int = 5,
        clean: bool = False,
        keepalive_s: int = 60,
        session_expiry_s: int = 3600,
        will: "Any" = None,
        username: "Optional[str]" = None,
        password: "Any" = None,
        properties: "Optional[Dict[int, Any]]" = None,
        handler: "Any" = None,
        reconnect_ms: "Tuple[int, int]" = (500, 30000),
        connect_timeout_ms: "Optional[int]" = None,
        max_packet: "Optional[int]" = None,
        inflight: "Optional[int]" = None,
        queue_bytes: "Optional[int]" = None,
        tls: "Any" = None,
    ) -> None:
        self.host, self.port, secure = parse_server(server, port, tls is not None)
        if secure:
            self.tls = True if tls is None else tls  # True: the system's CAs (CPython)
        if client_id is None:
            client_id = "remora-" + "".join("%02x" % b for b in random_bytes(6))
        self.client_id = client_id
        inflight = inflight or _limit("mqtt_inflight", 8)
        self.core = Connection(
            version,
            max_packet or _limit("mqtt_max_packet", 4096),
            inflight,
            inflight,  # Receive Maximum: their QoS 1/2 messages in flight to us
        )
        if version == 5 and session_expiry_s:
            # 5.0 §3.1.2.11.2: a session ends with the network connection
            # unless a Session Expiry Interval says otherwise.
            properties = dict(properties) if properties else {}
            properties[_props.SESSION_EXPIRY_INTERVAL] = session_expiry_s
        self._connect_args = (clean, keepalive_s, will, username, password, properties)
        self._connect_ms = connect_timeout_ms or _limit("connect_timeout_ms", 10000)
        self._backoff = reconnect_ms
        self.outbox = Outbox(queue_bytes or _limit("mqtt_queue", 4096))
        self.handler = handler

    # -- connecting ---------------------------------------------------------------------

    def start(self) -> "Client":
        """Start connecting, in the background; returns at once.  Messages
        published before the connection is up wait in the outgoing queue.
        A second call does nothing."""
        if self._sock is not None or self._stopping:
            return self
        if dispatcher.on_dispatcher():
            self._start(0)
        else:
            dispatcher.call_soon_threadsafe(self._start, 0)
        return self

    @property
    def is_connected(self) -> bool:
        """Connected, and new messages go straight out."""
        return self._ready

    def connected(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """Wait until the client is connected (``await`` in a task; blocks a
        worker).  Raises Timeout, or Closed once the client is stopped."""
        if dispatcher.on_dispatcher():
            return self._until_connected(timeout_ms)
        return blocking(self._until_connected, timeout_ms)

    async def _until_connected(self, timeout_ms: "Optional[int]") -> bool:
        start = ticks_ms()
        while not self._ready:
            if self._stopping:
                raise Closed("the client is stopped")
            left = None
            if timeout_ms is not None:
                left = timeout_ms - ticks_diff(ticks_ms(), start)
                if left <= 0 or not await self._wait_moved(left):
                    raise Timeout("not connected in time")
            else:
                await self._wait_moved()
        return True

    def disconnect(self) -> "Any":
        """Send DISCONNECT, close, and stop reconnecting (the will is not
        published).  Waiting publishers and subscribers get Closed."""
        if dispatcher.on_dispatcher():
            return self._disconnect()
        return blocking(self._disconnect)

    async def _disconnect(self) -> None:
        if self._stopping:
            return
        sock = self._sock
        ready = self._ready
        self._stop(Closed("the client disconnected"))
        if sock is None:
            return
        if ready:
            try:
                await self._send(sock, self.core.disconnect())
            except OSError:
                pass  # gone already: closing is all that is left
        sock.close()

    # -- publishing ---------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: "Any" = b"",
        qos: int = 0,
        retain: bool = False,
        properties: "Optional[Dict[int, Any]]" = None,
        wait: bool = False,
        timeout_ms: "Optional[int]" = None,
    ) -> "Any":
        """Publish ``payload`` (bytes, or str sent as UTF-8) to ``topic``.

        In a task, ``await client.publish(...)`` returns once the message is
        sent or queued, and is suspended while the outgoing queue is full.
        ``wait=True``: it returns once the broker has the message (QoS 0:
        written; QoS 1: PUBACK; QoS 2: PUBCOMP) with the reason code (0, or
        0x10 "no matching subscribers" from a 5.0 broker; 0x80 and above: a
        refusal).  On a worker thread the message is queued (QueueFull when
        the queue cannot take it); with ``wait=True`` the worker then blocks
        for the answer.  QoS 1/2 messages survive reconnects; none is lost
        while the client runs (a QoS 0 message may be).
        """
        # The QoS 0 fast path (.writer), its most frequent case first: the
        # kept head of this topic and size, on the dispatcher's thread, a
        # buffer started and nothing queued (a drainer that runs while the
        # queue is empty has written its last message already): _gather
        # copies the message into the buffer.
        #
        # Written for MicroPython's frame rule: a function whose state (its
        # arguments, locals and evaluation stack) needs more than 11 words
        # gets its frame from the heap at every call, which cost 12,500 of
        # the 20,000 instructions of a gathered publish on the simulated
        # board (callgrind).  publish has 8 arguments, so it has no locals
        # and never stacks more than 3 values: the rest of the arguments go
        # to _publish_any packed one by one into a list in ``payload``.
        if (
            not qos
            and not wait
            and properties is None
            and self._ready
            and self._pending is not None
            and self._head[0] == topic
            and type(payload) is bytes
            and self._head[1] == len(payload) << 1 | (1 if retain else 0)
            and self._head[4] == get_ident()
            and self.outbox.items is None
        ):
            return self._gather(payload)
        payload = [payload, topic, qos]
        payload.append(retain)
        payload.append(properties)
        payload.append(wait)
        payload.append(timeout_ms)
        return self._publish_any(payload)

    def _publish_any(self, args: "List[Any]") -> "Any":
        # publish's arguments, in the list publish made: payload first.
        payload, topic, qos, retain, properties, wait, timeout_ms = args
        if not qos and not wait and properties is None and self._ready:
            done = self._put(topic, payload, retain)  # the rest of the fast path
            if done is not None:
                return done
        if type(topic) is not str or not valid_name(topic):
            raise ValueError("invalid topic name %r" % (topic,))
        if qos != 0 and qos != 1 and qos != 2:
            raise ValueError("QoS must be 0, 1 or 2")
        if type(payload) is str:
            payload = payload.encode()
        elif type(payload) is not bytes:
            payload = bytes(payload)  # a copy the caller cannot change while it waits
        flags = qos << 1 | (1 if retain else 0)
        if dispatcher.on_dispatcher():
            return self._publish(topic, payload, flags, properties, wait, timeout_ms)
        if self._stopping:
            raise Closed("the client is stopped")
        waiter = Waiter() if wait else None
        if not self.outbox.put([topic, payload, flags, properties, waiter], False):
            raise QueueFull(self.outbox.queued)
        dispatcher.call_soon_threadsafe(self._kick)
        if waiter is not None:
            return blocking(waiter.wait, timeout_ms)
        return None

    async def _publish(
        self, topic: str, payload: bytes, flags: int, props: "Any", wait: bool,
        timeout_ms: "Optional[int]",
    ) -> "Any":
        waiter = Waiter() if wait else None
        while True:
            if self._stopping:
                raise Closed("the client is stopped")
            if self._ready and not self._draining and not len(self.outbox):
                conn = self.core
                if flags & 6 and conn.inflight_room() <= 0:
                    # Connected, nothing queued, the window full: this task
                    # waits for an acknowledgement, as a cosocket writer
                    # waits for room.
                    await self._wait_moved()
                    continue
                # Straight out: nothing waits before it, the window has room.
                pid, data = conn.publish(topic, payload, flags >> 1, flags & 1 == 1, props)
                self._track(waiter, pid)
                try:
                    await self._send(self._sock, data)
                except OSError:
                    if pid is None:
                        raise  # QoS 0: lost with the connection
                    # QoS 1/2: the session keeps it for the resend.
                if waiter is not None and pid is None:
                    return 0
                break
            # Not connected (or a worker's messages wait): the queue, in order.
            if self.outbox.put([topic, payload, flags, props, waiter], True):
                self._kick()
                break
            await self._wait_moved()  # the queue is full: wait for room
        if waiter is None:
            return None
        return await waiter.wait(timeout_ms)

    # -- subscribing --------------------------------------------------------------------

    def subscribe(
        self, topic: "Union[str, Sequence[Tuple[str, int]]]", qos: int = 0,
        timeout_ms: "Optional[int]" = None,
    ) -> "Any":
        """Subscribe to a filter (``+`` and ``#`` wildcards) at ``qos``, or
        to a list of (filter, options) pairs (options: the QoS, or'ed under
        5.0 with NO_LOCAL, RETAIN_AS_PUBLISHED, RETAIN_SEND_IF_NEW or
        RETAIN_DONT_SEND from ``remora.proto.mqtt.encode``).

        Returns the broker's reason codes, one per filter: the QoS granted
        (0, 1, 2) or a refusal (0x80 and above).  While the client is not
        connected the request waits and goes out on the next connection.
        Granted subscriptions are made again after a reconnect when the
        broker kept no session.
        """
        items = [(topic, qos)] if type(topic) is str else list(topic)  # type: List[Any]
        for flt, _options in items:
            if type(flt) is not str or not valid_filter(flt):
                raise ValueError("invalid topic filter %r" % (flt,))
        return self._follow(SUBSCRIBE, items, timeout_ms)

    def unsubscribe(
        self, topic: "Union[str, Sequence[str]]", timeout_ms: "Optional[int]" = None
    ) -> "Any":
        """Unsubscribe from a filter or a list of them; returns the reason
        codes (5.0; an empty list from a 3.1.1 broker)."""
        filters = [topic] if type(topic) is str else list(topic)
        return self._follow(UNSUBSCRIBE, filters, timeout_ms)

    def _follow(self, kind: int, items: list, timeout_ms: "Optional[int]") -> "Any":
        if dispatcher.on_dispatcher():
            return self._ask(kind, items, timeout_ms)
        return blocking(self._ask, kind, items, timeout_ms)

    async def _ask(self, kind: int, items: list, timeout_ms: "Optional[int]") -> "Any":
        if self._stopping:
            raise Closed("the client is stopped")
        waiter = Waiter()
        if kind == SUBSCRIBE and self.handler is None and self._inbox is None:
            self._inbox = []  # messages wait for messages() from now on
        if kind == UNSUBSCRIBE and self._subs is not None:
            for flt in items:
                self._subs.pop(flt, None)  # not to be made again by a resubscribe
        self._request([kind, items, waiter, 0])
        if self._ready:
            await self._send_requests(self._sock)
        reasons = await waiter.wait(timeout_ms)
        return reasons if reasons is not None else []

    # -- receiving ----------------------------------------------------------------------

    def messages(self) -> "Client":
        """``async for msg in client.messages():`` every message, in order,
        until the client stops.  Messages wait for the loop in a small inbox
        (``mqtt_inflight`` of them); when it is full the client stops
        reading, and the broker waits.  Not with a handler.  Without a
        handler, messages wait for the loop from the first subscribe (or
        call of ``messages()``) on; before that they are dropped (counted in
        ``dropped``)."""
        if self._inbox is None:
            self._inbox = []
        return self

    def __aiter__(self) -> "Client":
        return self

    async def __anext__(self) -> "Any":
        while True:
            inbox = self._inbox
            if inbox:
                msg = inbox.pop(0)
                self._moved()  # room: the connection task may read on
                return msg
            if self._stopping:
                raise StopAsyncIteration
            await self._wait_moved()
