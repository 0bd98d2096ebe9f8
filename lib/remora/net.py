"""Opening sockets: the seed's ``ba.socket.connect``, ``ba.socket.bind``,
``ba.socket.udpcon`` and ``ba.socket.event``, as functions on top of the
Socket (``remora.connect``, ``remora.bind``, ``remora.udpcon``,
``remora.event``).

Every socket is non-blocking underneath, so the same object can be used by
a worker thread (which blocks in its own poll) and by a task (which
suspends on the dispatcher's poller).
"""

from . import dispatcher, port
from .rawio import lookup
from .sock import COSOCKET, CONNECTED, Socket

try:
    from typing import Any, Awaitable, Callable, Optional
except ImportError:
    pass


def connect(
    host: str,
    port_number: int,
    timeout_ms: "Optional[int]" = None,
    tls: "Any" = None,
    server_hostname: "Optional[str]" = None,
) -> Socket:
    """Blocking connect, for worker threads (seed: ba.socket.connect in a page).

    Returns a connected Socket in blocking mode.  Raises CannotResolve,
    CannotConnect or Timeout; on the dispatcher thread it raises
    DispatcherBlocked (a task uses ``await remora.Socket().connect(...)``).
    ``tls`` (a client context, remora.tls.client) makes it a TLS
    connection (see Socket.connect).
    """
    dispatcher.refuse_on_dispatcher("remora.connect()")
    return Socket().connect(host, port_number, timeout_ms, tls, server_hostname)


def bind(
    port_number: int,
    host: str = "0.0.0.0",
    backlog: "Optional[int]" = None,
    max_connections: "Optional[int]" = None,
    tls: "Any" = None,
) -> Socket:
    """A listening socket (seed: ba.socket.bind); accept in a task.

    At most max_connections (default: the board profile's) accepted sockets
    are open at once; a connection beyond that is refused as soon as it is
    accepted (sent ``sock.refusal`` if set), so a flood costs no memory.
    ``tls`` (a server context, remora.tls.server) makes it a TLS listener
    (seed: ``bind(port, {shark=...})``): accept returns connections whose
    handshake is done (see remora.tlssock).
    """
    return Socket().bind(port_number, host, backlog, max_connections, tls)


def udpcon(host: str, port_number: int) -> Socket:
    """A connected UDP socket (seed: ba.socket.udpcon).

    ``read(ms)`` returns one datagram; ``write(data)`` sends one.  Works on a
    worker thread (blocking) and in a task it is bound to (``s.event(fn)``).
    """
    family, addr = lookup(host, port_number, True)
    return Socket(port.datagram(family, addr), CONNECTED, udp=True)


def event(fn: "Callable[..., Awaitable[Any]]", *args: "Any") -> Socket:
    """Start fn(sock, *args) as a task bound to a new unconnected cosocket.

    The seed's ba.socket.event.  The task's first socket call is
    ``await sock.connect(host, port)`` or ``sock.bind(port)``; until then it
    may call ``read(ms)`` (a sleep) and ``disable()``.
    """
    sock = Socket()
    sock.event(fn, *args, mode=COSOCKET)
    return sock
