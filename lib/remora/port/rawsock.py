"""Raw socket helpers the same on both runtimes: what an OSError means, and
the opening moves of a non-blocking connect and a listener.

The errno numbers differ between Linux, lwIP and the runtimes' ``errno``
modules (MicroPython's lists only some names), so they are looked up here
once, with Linux's numbers (also lwIP's) where a name is missing, and the
socket layer asks :func:`error_kind` instead of comparing numbers.
"""

import errno
import socket

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]
        return value


TYPE_CHECKING = const(0)
if TYPE_CHECKING:
    from typing import Any, Tuple

# What a failed socket call means to the socket layer.
OTHER = const(0)
RESET = const(1)  # the peer reset or aborted the connection (or it broke)
REFUSED = const(2)  # refused, or the host or network is unreachable
TIMED_OUT = const(3)  # the stack gave up (retransmissions, keep-alive)
NO_DESCRIPTORS = const(4)  # the process or system has no descriptor left
IN_USE = const(5)  # the address (a listening port) is taken


def _codes(*pairs: "Any") -> "Tuple[int, ...]":
    # (name, Linux number) pairs: the runtime's number, else Linux's.
    return tuple(getattr(errno, pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))


_RESET = _codes("ECONNRESET", 104, "EPIPE", 32, "ECONNABORTED", 103, "ENOTCONN", 107)
_REFUSED = _codes("ECONNREFUSED", 111, "EHOSTUNREACH", 113, "ENETUNREACH", 101)
_TIMED_OUT = _codes("ETIMEDOUT", 110)
_NO_DESCRIPTORS = _codes("EMFILE", 24, "ENFILE", 23)
_IN_USE = _codes("EADDRINUSE", 98)
_WOULD_BLOCK = _codes("EAGAIN", 11, "EWOULDBLOCK", 11)
_IN_PROGRESS = _codes("EINPROGRESS", 115)
EINPROGRESS = _IN_PROGRESS[0]


def errno_of(exc: BaseException) -> int:
    """The errno carried by an OSError, or 0."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return code
    args = exc.args
    if args and isinstance(args[0], int):
        return args[0]  # MicroPython's OSError(code)
    return 0


def would_block(exc: BaseException) -> bool:
    return errno_of(exc) in _WOULD_BLOCK


def error_kind(exc: BaseException) -> int:
    """RESET, REFUSED, TIMED_OUT, NO_DESCRIPTORS, IN_USE or OTHER for an OSError."""
    code = errno_of(exc)
    if code in _RESET:
        return RESET
    if code in _REFUSED:
        return REFUSED
    if code in _TIMED_OUT:
        return TIMED_OUT
    if code in _NO_DESCRIPTORS:
        return NO_DESCRIPTORS
    if code in _IN_USE:
        return IN_USE
    return OTHER


def start_connect(family: int, addr: "Any") -> "Any":
    """A non-blocking stream socket with its connect under way (or done).

    Raises OSError when the connect failed at once (the socket is closed).
    """
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.setblocking(False)
    try:
        raw.connect(addr)
    except OSError as exc:
        if errno_of(exc) not in _IN_PROGRESS and not would_block(exc):
            raw.close()
            raise
    return raw


def listen(family: int, addr: "Any", backlog: int) -> "Any":
    """A non-blocking listening stream socket bound to addr."""
    raw = socket.socket(family, socket.SOCK_STREAM)
    try:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        raw.bind(addr)
        raw.listen(backlog)
        raw.setblocking(False)
    except OSError:
        raw.close()
        raise
    return raw


def datagram(family: int, addr: "Any") -> "Any":
    """A non-blocking datagram socket connected to addr."""
    raw = socket.socket(family, socket.SOCK_DGRAM)
    try:
        raw.connect(addr)
        raw.setblocking(False)
    except OSError:
        raw.close()
        raise
    return raw


def address_text(addr: "Any") -> str:
    """The host part of a socket address as text: ("1.2.3.4", port) where
    the runtime gives tuples (CPython, lwIP), or a raw sockaddr (the unix
    port's accept): AF_INET's four bytes, or AF_INET6's eight groups."""
    if addr is None:
        return "-"
    if isinstance(addr, tuple):
        return str(addr[0])
    raw = bytes(addr)
    if len(raw) >= 8 and raw[0] == 2 and raw[1] == 0:  # AF_INET, little-endian family
        return "%d.%d.%d.%d" % (raw[4], raw[5], raw[6], raw[7])
    if len(raw) >= 24:  # AF_INET6: port, flow info, then the address
        return ":".join("%x" % (raw[i] << 8 | raw[i + 1]) for i in range(8, 24, 2))
    return "-"

