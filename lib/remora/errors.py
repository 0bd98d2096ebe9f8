"""The errors of remora's socket layer.

The seed's Lua API returns ``nil, "timeout"``, ``nil, "closed"`` and so on.
In Python the same outcomes are exceptions, all subclasses of
:class:`SocketError` (itself an ``OSError``, so code that already catches
``OSError`` keeps working).  One exception is not an error: a read that meets
the peer's orderly close returns ``None``, as the seed's ``read`` returns nil
and the loop ``if not data: break`` ends.

=====================  =====================================================
class                  raised when
=====================  =====================================================
``Timeout``            a read, connect or accept did not finish in time
``Closed``             the socket was closed (by us, or reset by the peer
                       while we wrote); ``reset`` is True for a peer reset
``CannotConnect``      the peer refused or was unreachable (``errno`` set)
``CannotResolve``      the host name did not resolve
``Shutdown``           the server is stopping ("sysshutdown" in the seed)
``QueueFull``          a caller that is not a task wrote to a cosocket whose
                       write queue is full; ``queued`` holds the bytes queued
``WrongMode``          the call does not fit the socket's mode or state
``DispatcherBlocked``  a blocking call was made on the dispatcher thread
``TLSError``           TLS could not be had: too many TLS connections
                       (the board's ``tls_max``), or one of these three
``NotTrusted``         the peer's certificate is not signed by a CA we
                       trust (or has expired)
``WrongName``          the certificate is not for the name we asked for
``HandshakeFailed``    any other failed TLS handshake: an alert, a
                       protocol error, the connection lost in the middle
=====================  =====================================================
"""


class SocketError(OSError):
    """Base class of every error the socket layer raises."""


class Timeout(SocketError):
    pass


class Closed(SocketError):
    def __init__(self, message: str = "socket closed", reset: bool = False) -> None:
        super().__init__(message)
        self.reset = reset


class CannotConnect(SocketError):
    def __init__(self, message: str = "cannot connect", code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class CannotResolve(SocketError):
    pass


class Shutdown(SocketError):
    pass


class QueueFull(SocketError):
    def __init__(self, queued: int) -> None:
        super().__init__("write queue full")
        self.queued = queued


class WrongMode(SocketError):
    pass


class DispatcherBlocked(RuntimeError):
    """A blocking call on the dispatcher thread would freeze every socket."""


class TLSError(SocketError):
    """A TLS handshake failed, or TLS cannot be had (see the subclasses)."""


class NotTrusted(TLSError):
    pass


class WrongName(TLSError):
    pass


class HandshakeFailed(TLSError):
    pass
