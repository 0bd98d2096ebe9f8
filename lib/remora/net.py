"""Opening sockets: connect, listen and accept, UDP, unconnected cosockets.

The seed's ``ba.socket.connect``, ``ba.socket.bind``, ``sock:accept``,
``ba.socket.udpcon`` and ``ba.socket.event``.  Every socket is non-blocking
underneath, so the same object can be used by a worker thread (which blocks
in poll) and by a task (which suspends on the dispatcher's poller).
"""

import socket

from . import dispatcher, port, profile
from .errors import CannotConnect, CannotResolve, Timeout, WrongMode
from .sock import CLOSED, CONNECTED, CONNECTING, COSOCKET, LISTENING, UNCONNECTED, Socket, drain_raw, refuse_raw

try:
    from typing import Any, Awaitable, Callable, Optional
except ImportError:
    pass

_EMFILE = 24
_ENFILE = 23


def _lookup(host: str, port_number: int, udp: bool) -> "Any":
    try:
        return port.getaddrinfo(host, port_number, udp)
    except Exception:  # gaierror on CPython, OSError(-2) on MicroPython
        raise CannotResolve("cannot resolve " + host)


def _start_connect(family: int, addr: "Any") -> "Any":
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.setblocking(False)
    try:
        raw.connect(addr)
    except OSError as exc:
        code = port.errno_of(exc)
        if code != port.EINPROGRESS and not port.would_block(exc):
            raw.close()
            raise CannotConnect("cannot connect", code)
    return raw


def _finish_connect(raw: "Any", addr: "Any") -> bool:
    # The caller closes raw on failure (a task's socket must leave the
    # poller before its descriptor closes).
    code = port.connect_error(raw, addr)
    if code == port.EINPROGRESS:
        return False
    if code:
        raise CannotConnect("cannot connect", code)
    port.no_delay(raw)
    return True


def connect(host: str, port_number: int, timeout_ms: "Optional[int]" = None) -> Socket:
    """Blocking connect, for worker threads (seed: ba.socket.connect in a page).

    Returns a connected Socket in blocking mode.  Raises CannotResolve,
    CannotConnect or Timeout; on the dispatcher thread it raises
    DispatcherBlocked (a task uses ``await remora.Socket().connect(...)``).
    """
    dispatcher.refuse_on_dispatcher("remora.connect()")
    if timeout_ms is None:
        timeout_ms = profile.get("connect_timeout_ms")
    family, addr = _lookup(host, port_number, False)
    raw = _start_connect(family, addr)
    deadline = port.ticks_add(port.ticks_ms(), timeout_ms)
    while True:
        left = max(0, port.ticks_diff(deadline, port.ticks_ms()))
        try:
            if not port.poll_wait(raw, True, left):
                raise Timeout("connect timeout")
            if _finish_connect(raw, addr):
                return Socket(raw, CONNECTED)
        except BaseException:
            raw.close()
            raise


async def connect_in_task(
    sock: Socket, host: str, port_number: int, timeout_ms: "Optional[int]"
) -> Socket:
    if sock._state != UNCONNECTED:
        raise WrongMode("a task's socket connects once")
    if timeout_ms is None:
        timeout_ms = profile.get("connect_timeout_ms")
    try:
        family, addr = await port.resolve(host, port_number, False)
    except Exception:
        raise CannotResolve("cannot resolve " + host)
    raw = _start_connect(family, addr)
    sock._adopt(raw, CONNECTING)
    dispatcher.register(sock)
    deadline = port.ticks_add(port.ticks_ms(), timeout_ms)
    try:
        while True:
            left = max(0, port.ticks_diff(deadline, port.ticks_ms()))
            ready = await port.wait_io(raw, True, left)
            if sock._error is not None:
                raise sock._error
            if sock._state == CLOSED:
                raise CannotConnect("closed while connecting")
            if not ready:
                raise Timeout("connect timeout")
            if _finish_connect(raw, addr):
                break
    except BaseException:
        sock._close_now()
        raise
    sock._adopt(raw, CONNECTED)
    return sock


def listen(
    sock: Socket,
    host: str,
    port_number: int,
    backlog: "Optional[int]",
    max_connections: "Optional[int]" = None,
) -> Socket:
    if sock._state != UNCONNECTED:
        raise WrongMode("only an unconnected socket can listen")
    family, addr = _lookup(host, port_number, False)
    raw = socket.socket(family, socket.SOCK_STREAM)
    try:
        port.reuse_address(raw)
        raw.bind(addr)
        raw.listen(backlog or profile.get("backlog"))
        raw.setblocking(False)
    except OSError:
        raw.close()
        raise
    sock._s = raw
    sock._state = LISTENING
    sock._cap = max_connections or profile.get("max_connections")
    # The slot exists from here on: filling it later allocates nothing.
    sock._refused = None
    sock._accepted = 0
    dispatcher.register(sock)
    return sock


def bind(
    port_number: int,
    host: str = "0.0.0.0",
    backlog: "Optional[int]" = None,
    max_connections: "Optional[int]" = None,
) -> Socket:
    """A listening socket (seed: ba.socket.bind); accept in a task.

    At most max_connections (default: the board profile's) accepted sockets
    are open at once; a connection beyond that is closed as soon as it is
    accepted, so a flood costs no memory.
    """
    return listen(Socket(), host, port_number, backlog, max_connections)


async def accept(listener: Socket, timeout_ms: "Optional[int]" = None) -> Socket:
    """The next connection as a Socket in blocking mode (connected).

    Raises Shutdown when the server stops, Timeout after timeout_ms.  A
    connection that cannot get memory is closed at once and accepting goes
    on: one MemoryError never stops the listener.
    """
    if listener._state != LISTENING:
        raise WrongMode("accept needs a listening socket")
    deadline = None if timeout_ms is None else port.ticks_add(port.ticks_ms(), timeout_ms)
    while True:
        try:
            sock = await _accept_one(listener, deadline)
        except MemoryError:
            # Out of memory anywhere in here (the poller's map, the Socket
            # object): the pending connection waits in the backlog while the
            # connections that hold the memory finish.
            port.collect()
            await port.sleep_ms(10)
            raw = listener._refused
            if raw is not None:
                # Refused for want of heap a moment ago: what the client
                # sent since is dropped too, then the close is orderly.
                listener._refused = None
                drain_raw(raw)
                raw.close()
            continue
        if sock is not None:
            return sock


async def _accept_one(listener: Socket, deadline: "Optional[int]") -> "Optional[Socket]":
    raw = listener._usable()
    if raw is None:
        raise WrongMode("listener closed")
    try:
        conn, peer = raw.accept()
    except OSError as exc:
        code = port.errno_of(exc)
        if code == _EMFILE or code == _ENFILE:
            # Out of descriptors: the backlog stays readable, so waiting on the
            # poller would spin.  Back off, then try again.
            await port.sleep_ms(100)
            return None
        if not port.would_block(exc):
            raise
        left = None if deadline is None else max(0, port.ticks_diff(deadline, port.ticks_ms()))
        if not await port.wait_io(raw, False, left):
            raise Timeout("accept timeout")
        return None
    if listener._accepted >= listener._cap:
        refuse_raw(conn, listener.refusal)  # over the cap: refused, with no heap
        conn.close()
        return None
    try:
        conn.setblocking(False)
        port.no_delay(conn)
        sock = Socket(conn, CONNECTED)
        sock.peer = peer
    except MemoryError:
        # No heap even for the Socket: the client gets the listener's
        # refusal (an HTTP server's 503), sent with no allocation.
        refuse_raw(conn, listener.refusal)
        if listener._refused is None:
            listener._refused = conn  # closed by accept() after its pause
        else:
            conn.close()
        raise
    sock._listener = listener
    listener._accepted += 1
    return sock


def udpcon(host: str, port_number: int) -> Socket:
    """A connected UDP socket (seed: ba.socket.udpcon).

    ``read(ms)`` returns one datagram; ``write(data)`` sends one.  Works on a
    worker thread (blocking) and in a task (``await``).
    """
    family, addr = _lookup(host, port_number, True)
    raw = socket.socket(family, socket.SOCK_DGRAM)
    try:
        raw.connect(addr)
        raw.setblocking(False)
    except OSError:
        raw.close()
        raise
    return Socket(raw, CONNECTED, udp=True)


def event(fn: "Callable[..., Awaitable[Any]]", *args: "Any") -> Socket:
    """Start fn(sock, *args) as a task bound to a new unconnected cosocket.

    The seed's ba.socket.event.  The task's first socket call is
    ``await sock.connect(host, port)`` or ``sock.bind(port)``; until then it
    may call ``read(ms)`` (a sleep) and ``disable()``.
    """
    sock = Socket()
    sock._mode = COSOCKET
    if dispatcher.on_dispatcher():
        sock._bind(fn, args)
    else:
        dispatcher.call_soon_threadsafe(sock._bind, fn, args)
    return sock
