"""remora's Socket: one object, three modes, as in the seed.

=============  ====================  ====================================
mode           read                  write
=============  ====================  ====================================
``blocking``   blocks the calling    blocks the calling worker thread;
               worker thread         refused on the dispatcher
``async``      suspends the task     synchronous: sends at once and may
               (``await``)           stall the dispatcher while the TCP
                                     buffer is full (the seed's warning)
``cosocket``   suspends the owner    suspends a task while the bounded
               task                  write queue is full; a worker
                                     thread's data is queued or refused
=============  ====================  ====================================

A socket starts in blocking mode (after a blocking connect, or an accept);
:meth:`Socket.event` binds it to a new task in asynchronous or cosocket mode.
:func:`remora.event` starts a task on an *unconnected* cosocket whose first
call connects or binds it.

``read``, ``write`` and ``connect`` are one method each, as in the seed, and
follow the caller: on the dispatcher thread they return an awaitable
(``await sock.read()``), on a worker thread they block.  Reads return
``bytes``, ``None`` when the peer closed in order, and raise
:class:`Timeout` when the time ran out, so the two are never confused.

The pieces: the waiting loops over raw sockets are in :mod:`.rawio`, the
cosocket write queue in :mod:`.writequeue`, the accepting side of a
listening socket in :mod:`.listener`, TLS (wrapping, the handshake's
errors, a TLS listener's accepting side) in :mod:`.tlssock`.
"""

from . import dispatcher, port, profile, tlssock
from .errors import CannotConnect, Closed, DispatcherBlocked, Timeout, WrongMode
from .listener import Listener
from .rawio import LOCK, connect_blocking, connected, deadline_in, listen_failure, lookup
from .rawio import lookup_in_task, recv_blocking, remaining, send_blocking, send_some
from .rawio import start_connect
from .sockbase import ASYNC, BLOCKING, CLOSED, CONNECTED, CONNECTING, COSOCKET  # noqa: F401
from .sockbase import LISTENING, UNCONNECTED, SocketBase  # noqa: F401

try:
    from typing import Any, Awaitable, Optional

    from circuitpython_typing import ReadableBuffer
except ImportError:
    pass


_WRITEQUEUE = []  # type: list  # the writequeue module, once a write() needed it


def _queues() -> "Any":
    # The write queue's module, loaded by the first write(): an HTTP server's
    # answers go out with send_now() (on a board the module holds 0.7 KB).
    if not _WRITEQUEUE:
        from . import writequeue

        _WRITEQUEUE.append(writequeue)
    return _WRITEQUEUE[0]


class Socket(SocketBase, tlssock.TLSParts):
    """A TCP or UDP socket in one of the three modes (see the module doc);
    TLS (connect with tls, upgrade, secure) comes from tlssock.TLSParts."""

    # -- reading -------------------------------------------------------------

    def read(self, timeout_ms: "Optional[int]" = None) -> "Any":
        """Read what has arrived, up to the profile's recv_size (one datagram on UDP).

        In a task: ``await sock.read(ms)``.  On a worker thread: a blocking
        call.  Returns bytes, or None when the peer closed in order or the
        socket was closed; raises Timeout, Shutdown, or Closed(reset=True).
        """
        if dispatcher.on_dispatcher():
            return self._read_in_task(timeout_ms)
        return self._read_blocking(timeout_ms)

    async def _read_in_task(self, timeout_ms: "Optional[int]", drop: bool = False) -> "Any":
        # drop=True: what came stays in the shared buffer and only its size
        # is returned, so that draining a client allocates nothing (the heap
        # may be what failed).
        if self._mode == COSOCKET and self._task is not None and not self.owner():
            raise WrongMode("only the owner task reads a cosocket")
        if self._state == UNCONNECTED:
            # The seed's special case: a non-connected cosocket may read with a
            # time value, which sleeps and returns a timeout (send throttling).
            if timeout_ms is None:
                raise WrongMode("read on an unconnected socket needs a timeout")
            await self._sleep(timeout_ms)
            raise Timeout("timeout")
        if self._pushback is not None:
            data, self._pushback = self._pushback, None
            return data
        deadline = deadline_in(timeout_ms)
        size = profile.get("udp_max") if self._udp else profile.get("recv_size")
        # Wait first unless the last read filled the buffer (more is likely
        # waiting): a request/response peer has rarely answered yet, and a
        # failed recv costs an exception.
        ready = self._more
        while True:
            raw = self._usable()
            if raw is None:
                return None
            if not ready:
                if not await port.wait_io(raw, False, remaining(deadline)):
                    raise Timeout("timeout")
                if self._interrupt is not None:
                    exc, self._interrupt = self._interrupt, None
                    raise exc
                ready = True
                continue
            try:
                if self._udp:
                    # One datagram per read: its boundaries are the message.
                    datagram = port.recv_datagram(raw, size)
                    if datagram is not None:
                        return len(datagram) if drop else datagram
                    ready = False
                    continue
                buf = dispatcher.read_buffer(size)
                n = port.recv_into(raw, buf, size)
            except OSError as exc:
                raise self._failed(exc)
            if n is None:
                ready = False
                continue
            self._more = n == size
            if not n:
                return None
            if drop:
                return n
            return bytes(buf[:n])

    def read_now(self) -> "Optional[bytes]":
        """What has arrived, with no wait: bytes; ``b""`` when the peer
        closed or the socket is closed; None when nothing is there yet (then
        ``await sock.readable()`` and ask again).  Raises what read() raises,
        the pending interrupt() first.  The owner task of a TCP socket only:
        read() in two steps, with no coroutine frame of ours held while an
        idle connection waits (an HTTP server's, on a board)."""
        if self._interrupt is not None:
            exc, self._interrupt = self._interrupt, None
            raise exc
        if self._pushback is not None:
            data, self._pushback = self._pushback, None
            return data
        raw = self._usable()
        if raw is None:
            return b""
        if not self._more:
            return None  # as read() does: wait first (a failed recv costs)
        size = profile.get("recv_size")
        buf = dispatcher.read_buffer(size)
        try:
            n = port.recv_into(raw, buf, size)
        except OSError as exc:
            raise self._failed(exc)
        self._more = n == size  # more is likely there (a TLS record's rest)
        if n is None:
            return None
        return bytes(buf[:n])

    def readable(self) -> "Awaitable[bool]":
        """``await sock.readable()``: until data, the end, an interrupt() or
        a close may be there for read_now() (it may still find nothing)."""
        self._more = True  # what wakes us is worth a recv
        return port.wait_io(self._s, False)

    def discard(self, timeout_ms: int) -> "Awaitable[int]":
        """``await sock.discard(ms)``: wait up to ms for data and drop it,
        with no allocation (the heap may be what ran out); the byte count,
        0 at the end.  Raises Timeout.  Dispatcher thread only."""
        return self._read_in_task(timeout_ms, True)

    def _read_blocking(self, timeout_ms: "Optional[int]") -> "Optional[bytes]":
        if self._mode == COSOCKET:
            raise WrongMode("a cosocket is read by its own task")
        raw = self._usable()
        if raw is None:
            return None
        size = profile.get("udp_max") if self._udp else profile.get("recv_size")
        try:
            data = recv_blocking(raw, size, deadline_in(timeout_ms))
        except OSError as exc:
            raise self._failed(exc)
        if not data and not self._udp:
            return None
        return data

    def interrupt(self, exc: BaseException) -> None:
        """Make the task's pending (or next) read raise exc, once: a server's
        timekeeper ends reads past their deadline with no timer per read.
        Dispatcher thread only."""
        self._interrupt = exc
        if self._s is not None:
            port.wake_io(self._s, False)

    def unread(self, data: bytes) -> None:
        """Make data the next thing read() returns (bytes a parser read ahead)."""
        self._pushback = data

    # -- writing -------------------------------------------------------------

    def write(self, data: "ReadableBuffer") -> "Any":
        """Write data; see the module doc for what each mode does.

        In a task: ``await sock.write(data)``, True when sent or queued.
        On a worker thread: blocks until sent (blocking and async modes), or
        sends what TCP takes and queues the rest without blocking (cosocket
        mode), raising QueueFull with the queued byte count when the queue
        cannot take it.  Raises Closed when the socket is closed and
        Shutdown when the server stops.
        """
        mode = self._mode
        if dispatcher.on_dispatcher():
            if mode == COSOCKET:
                return _queues().write_from_task(self, self._writable(), data)
            if mode == BLOCKING:
                # Its write would hold the dispatcher for as long as the
                # peer's window stays full: refused, as remora.connect() is.
                raise DispatcherBlocked(
                    "a blocking socket's write blocks the dispatcher; bind the socket "
                    "to a task (sock.event) or write from a worker thread"
                )
            return self._write_synchronous(data)
        if mode == COSOCKET:
            return _queues().write_from_thread(self, self._writable(), data)
        self._send_all(data)
        return True

    async def _write_synchronous(self, data: "ReadableBuffer") -> bool:
        # Asynchronous mode: a synchronous write, as the seed describes.  It
        # holds the dispatcher while the TCP buffer is full.
        self._send_all(data)
        return True

    def send_now(self, data: "ReadableBuffer") -> int:
        """Send what the socket takes at once, with no coroutine, no wait and
        no allocation, unless earlier writes wait in the queue (it would
        overtake them): the bytes taken.  The caller writes the rest with
        write(); the two are not one step for a worker thread writing to
        the same socket meanwhile.  For answers that must go out when the
        heap is short.  Raises Closed."""
        raw = self._writable()
        with LOCK:
            wq = self._wq
            if wq is not None and not wq.idle():
                return 0
            done = send_some(raw, data)
        if done < 0:
            error = Closed("peer reset while writing", True)
            if wq is not None:
                wq.fail(error)  # every writer waiting wakes with it
            raise error
        return done

    def write_queue(self, raw: "Any" = None) -> "Any":
        """The cosocket write queue; None until first needed, made when raw
        (this socket's raw socket) is given.  For :mod:`.writequeue`."""
        wq = self._wq
        if wq is None and raw is not None:
            # Made on first need: most cosockets never queue, and on a board
            # every idle connection's bytes count.
            wq = self._wq = _queues().WriteQueue(self, raw, self.queuelen())
        return wq

    def _send_all(self, data: "ReadableBuffer") -> None:
        try:
            send_blocking(self._writable(), data, profile.get("write_timeout_ms"))
        except OSError as exc:
            raise self._failed(exc)

    # -- connecting and listening --------------------------------------------

    def connect(
        self,
        host: str,
        port_number: int,
        timeout_ms: "Optional[int]" = None,
        tls: "Any" = None,
        server_hostname: "Optional[str]" = None,
    ) -> "Any":
        """Connect this unconnected socket; returns this same socket.

        In a task, ``await sock.connect(host, port)``: the non-blocking
        connect of the seed's cosocket connect (example 10).  On a worker
        thread it blocks.  Raises CannotResolve, CannotConnect, Timeout; a
        socket connects once, a second call raises WrongMode.

        ``tls``: a client context (``remora.tls.client(...)``; True: the
        system's CAs, CPython only) makes it a TLS connection: the handshake
        follows the connect, verifying the server's certificate for
        ``server_hostname`` (by default host), and raises NotTrusted,
        WrongName or HandshakeFailed (seed: example 11, Figure 1).
        """
        if self._state != UNCONNECTED:
            raise WrongMode("a socket connects once")
        if timeout_ms is None:
            timeout_ms = profile.get("connect_timeout_ms")
        if tls is not None:
            tls = tlssock.context_of(tls, False)
        if dispatcher.on_dispatcher():
            return self._connect_in_task(host, port_number, timeout_ms, tls, server_hostname)
        family, addr = lookup(host, port_number, False)
        self._s = connect_blocking(family, addr, timeout_ms)
        self._state = CONNECTED
        if tls is not None:
            self.upgrade(tls, server_hostname or host)
        return self

    async def _connect_in_task(
        self, host: str, port_number: int, timeout_ms: int, tls: "Any", hostname: "Any"
    ) -> "Socket":
        family, addr = await lookup_in_task(host, port_number, False)
        raw = self._s = start_connect(family, addr)
        self._state = CONNECTING
        dispatcher.register(self)
        deadline = deadline_in(timeout_ms)
        try:
            while True:
                ready = await port.wait_io(raw, True, remaining(deadline))
                if self._error is not None:
                    raise self._error
                if self._state == CLOSED:
                    raise CannotConnect("closed while connecting")
                if not ready:
                    raise Timeout("connect timeout")
                if connected(raw, addr):
                    break
        except BaseException:
            self._close_now()
            raise
        self._state = CONNECTED
        if tls is not None:
            await self._upgrade_in_task(tls, hostname or host, None)
        return self

    def bind(
        self,
        port_number: int,
        host: str = "0.0.0.0",
        backlog: "Optional[int]" = None,
        max_connections: "Optional[int]" = None,
        tls: "Any" = None,
    ) -> "Socket":
        """Make this unconnected socket a listening socket (see remora.bind);
        tls, a server context (remora.tls.server), makes it a TLS listener."""
        if self._state != UNCONNECTED:
            raise WrongMode("only an unconnected socket can listen")
        if tls is not None:
            tls = tlssock.context_of(tls, True)
        family, addr = lookup(host, port_number, False)
        try:
            raw = port.listen(family, addr, backlog or profile.get("backlog"))
        except OSError as exc:
            raise listen_failure(exc, host, port_number)
        self._s = raw
        self._state = LISTENING
        cap = max_connections or profile.get("max_connections")
        if tls is None:
            self._accepting = Listener(raw, cap, Socket.accepted)
        else:
            self._accepting = tlssock.TLSListener(raw, cap, Socket.accepted, tls)
        dispatcher.register(self)
        return self

    @property
    def refusal(self) -> "Optional[bytes]":
        """A listening socket's answer to a connection it refuses (over its
        cap, or for want of heap); None closes them with no word."""
        lst = self._accepting
        return None if lst is None else lst.refusal

    @refusal.setter
    def refusal(self, answer: "Optional[bytes]") -> None:
        if self._accepting is None:
            raise WrongMode("only a listening socket refuses connections")
        self._accepting.refusal = answer

    async def accept(self, timeout_ms: "Optional[int]" = None) -> "Socket":
        """``await listener.accept()``: the next connection, in blocking mode.

        Raises Shutdown when the server stops, Timeout after timeout_ms.
        """
        lst = self._accepting
        if lst is None or self._state != LISTENING:
            raise WrongMode("accept needs a listening socket")
        try:
            return await lst.accept(timeout_ms)
        except OSError as exc:
            raise self._failed(exc)

    def setsockopt(self, level: int, option: int, value: int) -> None:
        """Set an option of the raw socket (buffer sizes, keep-alive)."""
        self._s.setsockopt(level, option, value)

    def __repr__(self) -> str:
        return "<Socket %s %s fd=%d>" % (self._mode, self._state, self.fileno())
