"""TLS on remora's sockets: wrapping, the handshake's waits, its errors, and
the accepting side of a TLS listener.

A TLS socket is the same :class:`~remora.sock.Socket` with a different raw
object behind it: the port's TLS Stream (``port/tls.py``), which reads,
writes and is polled as a non-blocking socket is, so the reading loops,
the cosocket write queue and the lingering ring work on it unchanged and
a plain socket's reads and writes do no work for TLS at all.  What is
TLS's own is the handshake, and it never blocks the dispatcher:

- in a task (``await sock.connect(host, port, tls=ctx)``,
  ``await sock.upgrade(ctx)``, a TLS listener's accept) every step that
  waits suspends that task only, on the dispatcher's poller, in the
  direction the step asked for (the seed's Figure 1, TCP then TLS);
- on a worker thread the same steps wait in that thread's own poll;
- a handshake has ``tls_handshake_ms`` (board profile) to finish: a peer
  that stalls in the middle is closed then, and counts for nothing else.

A TLS listener (``remora.bind(port, tls=ctx)``) hands out connections whose
handshake is done: :class:`TLSListener` runs each handshake in a task of its
own, so one slow client never holds up the others or the accept loop, and
a worker thread given an accepted socket (the seed's example 3) reads and
writes plain bytes at once.  Each TLS connection takes Mbed TLS's record
buffers on a board's heap (about 24 KB, see ``bench/``), so the board's
``tls_max`` caps how many are open in the process: a TLS connection beyond
it is closed as soon as it is accepted, before any buffer is made, and a
client's connect or upgrade beyond it raises :class:`TLSError`.  Refusals
before a handshake send nothing: a plaintext answer means nothing to a TLS
client.
"""

from . import dispatcher, log, port, profile
from .errors import Closed, HandshakeFailed, NotTrusted, Shutdown, SocketError, Timeout
from .errors import TLSError, WrongMode, WrongName
from .listener import Listener
from .rawio import deadline_in, remaining
from .sockbase import CLOSED, CONNECTED, COSOCKET

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]
        return value


TYPE_CHECKING = const(0)
if TYPE_CHECKING:
    from typing import Any, List, Optional

_LINES_PER_S = 5  # failed handshakes logged a second (a flood of them is counted)


def option(key: str, default: int) -> int:
    """A TLS key of the board profile (tls_max, tls_handshake_ms)."""
    return profile.current().get(key, default)  # type: ignore[no-any-return]


def context_of(tls: "Any", server_side: bool) -> "Any":
    """The port's TLS context for a ``tls=`` argument: a context made by
    remora.tls, or True for a client that verifies against the system's CAs
    (CPython only: a board has no CA store)."""
    from .port import tls as port_tls

    if tls is True and not server_side:
        return port_tls.default_client()
    if getattr(tls, "server_side", None) is not server_side:
        raise ValueError("a listener takes remora.tls.server(...), a client remora.tls.client(...)")
    return tls


def wrap(raw: "Any", context: "Any", hostname: "Optional[str]") -> "Any":
    """The port's TLS Stream over the connected raw socket, counted against
    the board's tls_max (TLSError beyond it; MemoryError when Mbed TLS's
    buffers do not fit)."""
    from .port import tls as port_tls

    if port_tls.live() >= option("tls_max", 64):
        raise TLSError("too many TLS connections (the board's tls_max)")
    return context.wrap(raw, hostname)


def failure(exc: BaseException) -> BaseException:
    """The error a failed handshake step raises: NotTrusted, WrongName,
    HandshakeFailed, MemoryError; a remora error as it is."""
    if isinstance(exc, SocketError):
        return exc
    from .port import tls as port_tls

    kind = port_tls.failure_kind(exc)
    if kind == port_tls.OUT_OF_MEMORY:
        return MemoryError("no heap for the TLS handshake")
    detail = str(exc) or repr(exc)
    if kind == port_tls.NOT_TRUSTED:
        return NotTrusted("TLS: certificate not trusted: " + detail)
    if kind == port_tls.WRONG_NAME:
        return WrongName("TLS: certificate for another name: " + detail)
    if kind == port_tls.HANDSHAKE:
        return HandshakeFailed("TLS handshake failed: " + detail)
    # The socket broke in the middle (a reset, an end of stream).
    return HandshakeFailed("TLS handshake failed: connection lost (%s)" % detail)


def handshake_blocking(stream: "Any", deadline: "Optional[int]") -> None:
    """Run the handshake on this (worker) thread, waiting in its own poll."""
    from .port import tls as port_tls

    while True:
        try:
            want = stream.handshake()
        except Exception as exc:
            raise failure(exc)
        if not want:
            return
        if not port.poll_wait(stream, want == port_tls.WANT_WRITE, remaining(deadline)):
            raise Timeout("TLS handshake timeout")


class TLSParts:
    """The Socket's TLS methods (sock.Socket inherits them after SocketBase,
    so no lookup on a plain socket's paths ever reaches this class)."""

    _tls = False  # a TLS connection: its raw object is the port's TLS Stream

    if TYPE_CHECKING:  # what these methods use of SocketBase (for mypy only)
        _s = None  # type: Any
        _state = ""  # type: str
        _mode = ""  # type: str
        _udp = False
        _task = None  # type: Any
        _wq = None  # type: Any
        _error = None  # type: Any
        _pushback = None  # type: Any
        _more = False

        def owner(self) -> bool: ...

        def queued(self) -> int: ...

        def _close_now(self) -> None: ...

    def upgrade(
        self, tls: "Any", server_hostname: "Optional[str]" = None, timeout_ms: "Optional[int]" = None
    ) -> "Any":
        """Make this connected socket a TLS connection (seed: socket:upgrade).

        tls is a client context (``remora.tls.client``; True: the system's
        CAs) or a server one (``remora.tls.server``): either side of a
        protocol that turns secure midway (STARTTLS) upgrades.  Call it
        between messages, with nothing read ahead or queued.  In a task,
        ``await sock.upgrade(...)``: the handshake suspends this task only;
        on a worker thread it blocks.  timeout_ms defaults to the board's
        ``tls_handshake_ms``.  Raises NotTrusted, WrongName,
        HandshakeFailed, Timeout (the socket is closed then), TLSError over
        the board's ``tls_max``.  Returns this socket.
        """
        deadline = deadline_in(timeout_ms or option("tls_handshake_ms", 10000))
        if dispatcher.on_dispatcher():
            return self._upgrade_in_task(tls, server_hostname, deadline)
        stream = self._start_tls(tls, server_hostname)
        try:
            handshake_blocking(stream, deadline)
        except BaseException:
            self._close_now()
            raise
        return self

    async def _upgrade_in_task(self, tls: "Any", hostname: "Any", deadline: "Any") -> "Any":
        if deadline is None:
            deadline = deadline_in(option("tls_handshake_ms", 10000))
        if self._mode == COSOCKET and self._task is not None and not self.owner():
            raise WrongMode("only the owner task upgrades a cosocket")
        stream = self._start_tls(tls, hostname)
        dispatcher.register(self)  # stopping the server wakes the handshake
        from .port.tls import WANT_WRITE

        try:
            while True:
                try:
                    want = stream.handshake()
                except Exception as exc:
                    raise failure(exc)
                if not want:
                    return self
                ready = await port.wait_io(stream, want == WANT_WRITE, remaining(deadline))
                if self._error is not None:
                    raise self._error
                if self._state == CLOSED:
                    raise Closed("closed during the TLS handshake")
                if not ready:
                    raise Timeout("TLS handshake timeout")
        except BaseException:
            self._close_now()
            raise

    def _start_tls(self, tls: "Any", hostname: "Any") -> "Any":
        # The TLS Stream takes the raw socket's place; nothing else changes.
        if self._state != CONNECTED or self._udp or self._tls:
            raise WrongMode("only a connected plain TCP socket is upgraded to TLS")
        if self._pushback is not None or self.queued():
            raise WrongMode("bytes wait on the socket: upgrade between messages")
        context = context_of(tls, bool(getattr(tls, "server_side", False)))
        try:
            stream = wrap(self._s, context, hostname)
        except BaseException:
            self._close_now()  # CPython's ssl may have taken the descriptor already
            raise
        self._s = stream
        self._wq = None  # an idle queue held the raw socket: made again on need
        # The first read tries before it waits: a TLS library may hold bytes
        # that came with the handshake's last records, which no poll shows.
        self._more = True
        self._tls = True
        return stream

    def secure(self) -> bool:
        """True for a TLS connection (after connect with tls, upgrade, or
        the accept of a TLS listener)."""
        return self._tls


class TLSListener(Listener):
    """The accepting side of a TLS listening socket: the Listener's cap,
    backlog and lingering ring, plus a handshake task per connection and
    the connections whose handshake is done, waiting for accept()."""

    def __init__(self, raw: "Any", cap: int, make: "Any", context: "Any") -> None:
        Listener.__init__(self, raw, cap, make)
        self.context = context
        self.ready = []  # type: List[Any]  # handshaken, waiting for accept()
        self.failed = 0  # handshakes that failed or timed out
        self.log_second = [0, 0]  # this second's start (ticks), lines logged in it

    async def accept(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """The next connection whose handshake is done; raises Timeout."""
        deadline = None if timeout_ms is None else port.ticks_add(port.ticks_ms(), timeout_ms)
        while True:
            if self.ready:
                return self.ready.pop(0)
            try:
                # A finished handshake wakes this wait (port.wake_io below).
                conn = await self._accept_one(deadline)
                if conn is not None:
                    self.start(conn)
            except MemoryError:
                port.collect()
                await port.sleep_ms(10)

    def start(self, conn: "Any") -> None:
        """Begin conn's handshake in a task of its own, or close it at once
        when the process has tls_max TLS connections open."""
        from .port import tls as port_tls

        if port_tls.live() >= option("tls_max", 64):
            self.note("TLS connection cap (tls_max)", conn)
            conn.linger()  # no buffer made: what it sent is dropped, then closed
            return
        try:
            dispatcher.spawn(self.handshake(conn))
        except MemoryError:
            conn.linger()
            raise

    async def handshake(self, conn: "Any") -> None:
        try:
            await conn.upgrade(self.context, None, option("tls_handshake_ms", 10000))
        except Shutdown:
            return
        except (SocketError, MemoryError) as exc:  # conn is closed already
            self.failed += 1
            self.note(exc, conn)
            return
        if self.closed:
            conn.close()
            return
        try:
            self.ready.append(conn)
        except MemoryError:
            conn.close()
            raise
        port.wake_io(self.raw, False)  # the accept loop's wait

    def refuse(self, raw: "Any", answer: "Optional[bytes]" = None) -> None:
        """A connection refused before its handshake: no answer (a
        plaintext one means nothing to a TLS client), it lingers."""
        self.linger(raw)

    def note(self, why: "Any", conn: "Any") -> None:
        # One line per failed or refused handshake, at most _LINES_PER_S a
        # second: a flood cannot fill a board's console.
        now = port.ticks_ms()
        second = self.log_second
        if port.ticks_diff(now, second[0]) >= 1000:
            second[0] = now
            second[1] = 0
        if second[1] < _LINES_PER_S:
            second[1] += 1
            peer = conn.peer
            log.info("TLS:", why, "from", peer[0] if peer else "-")

    def close(self) -> None:
        """Stop accepting; the handshaken connections not yet accepted close."""
        Listener.close(self)
        ready, self.ready = self.ready, []
        for conn in ready:
            conn.close()
