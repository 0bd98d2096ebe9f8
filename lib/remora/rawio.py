"""The waiting loops over raw non-blocking sockets, and what their errors mean.

The Socket (``sock.py``) keeps the modes, the task binding and the queue;
the loops that wait for a raw socket live here, one per direction and
caller: a worker thread blocks in its own poll (``port.poll_wait``), a task
suspends on the dispatcher's poller (``port.wait_io``).  Every OSError that
leaves them is a :class:`~remora.errors.SocketError` (see :func:`failure`),
on both runtimes, so ``except remora.SocketError`` catches them all.
"""

from . import port
from .errors import CannotConnect, CannotResolve, Closed, SocketError, Timeout

try:
    from typing import Any, Optional, Tuple
except ImportError:
    pass


# One lock for every socket's sends: held by whoever decides "nothing waits
# in the queue, I send now", only for a non-blocking send and the list
# updates around it, never across a wait (writequeue.py says why).  Here,
# not in writequeue: a socket that never queues sends under it too, and
# that module is loaded only by a socket's first write().
LOCK = port.allocate_lock()


def send_some(raw: "Any", data: "Any") -> int:
    """One non-blocking send: the bytes taken, 0 when the buffer is full,
    -1 when the connection broke (a reset, a broken pipe)."""
    try:
        return raw.send(data)
    except OSError as exc:
        return 0 if port.would_block(exc) else -1


def failure(exc: BaseException) -> BaseException:
    """The SocketError for an OSError of a socket call (a SocketError as is).

    A reset (or a broken pipe) is Closed(reset=True); refused or unreachable
    (a UDP read after the peer's ICMP answer, too) is CannotConnect; the
    stack's own timeout is Timeout; anything else a SocketError with its
    errno.
    """
    if isinstance(exc, SocketError):
        return exc
    kind = port.error_kind(exc)
    if kind == port.RESET:
        return Closed("connection reset by peer", True)
    code = port.errno_of(exc)
    if kind == port.REFUSED:
        return CannotConnect("refused or unreachable", code)
    if kind == port.TIMED_OUT:
        return Timeout("timed out by the network stack")
    return SocketError(code, "socket error")


def listen_failure(exc: BaseException, host: str, port_number: int) -> BaseException:
    """The SocketError of a listener that could not be opened, saying where
    and why in one line (the port taken is the usual reason)."""
    code = port.errno_of(exc)
    why = "address in use" if port.error_kind(exc) == port.IN_USE else "error %d" % code
    return SocketError(code, "cannot listen on %s:%d: %s" % (host, port_number, why))


def remaining(deadline: "Optional[int]") -> "Optional[int]":
    """Milliseconds left until deadline (ticks_ms), None for no deadline."""
    if deadline is None:
        return None
    return max(0, port.ticks_diff(deadline, port.ticks_ms()))


def deadline_in(timeout_ms: "Optional[int]") -> "Optional[int]":
    if timeout_ms is None:
        return None
    return port.ticks_add(port.ticks_ms(), timeout_ms)


def lookup(host: str, port_number: int, udp: bool) -> "Tuple[int, Any]":
    """(family, address) of host, a blocking lookup; raises CannotResolve."""
    try:
        return port.getaddrinfo(host, port_number, udp)
    except Exception:  # gaierror on CPython, OSError(-2) on MicroPython
        raise CannotResolve("cannot resolve " + host)


async def lookup_in_task(host: str, port_number: int, udp: bool) -> "Tuple[int, Any]":
    """lookup() for a task: off the dispatcher where the runtime can."""
    try:
        return await port.resolve(host, port_number, udp)
    except Exception:
        raise CannotResolve("cannot resolve " + host)


def start_connect(family: int, addr: "Any") -> "Any":
    """A raw socket whose non-blocking connect is under way."""
    try:
        return port.start_connect(family, addr)
    except OSError as exc:
        raise CannotConnect("cannot connect", port.errno_of(exc))


def connected(raw: "Any", addr: "Any") -> bool:
    """After raw reported writable: True once connected, False while the
    connect is still under way; raises CannotConnect when it failed."""
    code = port.connect_error(raw, addr)
    if code == port.EINPROGRESS:
        return False
    if code:
        raise CannotConnect("cannot connect", code)
    port.no_delay(raw)
    return True


def connect_blocking(family: int, addr: "Any", timeout_ms: int) -> "Any":
    """A connected raw stream socket, waiting on this thread's own poll."""
    raw = start_connect(family, addr)
    deadline = deadline_in(timeout_ms)
    try:
        while True:
            if not port.poll_wait(raw, True, remaining(deadline)):
                raise Timeout("connect timeout")
            if connected(raw, addr):
                return raw
    except BaseException:
        raw.close()
        raise


def recv_blocking(raw: "Any", size: int, deadline: "Optional[int]") -> bytes:
    """What arrives on raw (one datagram on UDP; b"" at a stream's end),
    waiting on this thread's own poll; raises Timeout at deadline."""
    while True:
        try:
            return raw.recv(size)
        except OSError as exc:
            if not port.would_block(exc):
                raise failure(exc)
        if not port.poll_wait(raw, False, remaining(deadline)):
            raise Timeout("timeout")


def send_blocking(raw: "Any", data: "Any", timeout_ms: int) -> None:
    """Send all of data, waiting on this thread's poll while the buffer is
    full (on the dispatcher: the seed's asynchronous write, which holds it);
    raises Timeout when no room came for timeout_ms."""
    view = memoryview(data)
    while len(view):
        try:
            n = raw.send(view)
        except OSError as exc:
            if not port.would_block(exc):
                raise failure(exc)
            if not port.poll_wait(raw, True, timeout_ms):
                raise Timeout("write timeout")
            continue
        view = view[n:]
