"""WebSockets on remora's sockets: the server side on the HTTP server's port
and the client side (the seed's ``req2sock`` and ``http2sock``).

=================  ===========================================================
``websocket``      ``WebSocket``: the RFC 6455 core (``remora.proto.ws``) on a
                   Socket, in the caller's mode; ``count()``
``server``         ``upgrade(req, fn)`` (behind ``App.websocket``)
``client``         ``connect(url)``, ``http2sock(response)``
=================  ===========================================================

Names load their module on first use, as in the top-level package.
"""

from remora import lazy as _lazy

_WHERE = "websocket:WebSocket count|server:upgrade|client:connect http2sock"


def __getattr__(name):  # type: ignore[no-untyped-def]
    return _lazy("remora.ws", _WHERE, None, name, globals())
