"""The HTTP client (the seed's ``httpc``): see ``client.py``.

=================  ===========================================================
``client``         ``Client``: requests with kept-alive connections, blocking
                   on worker threads, awaitable in tasks; ``request``, ``get``
                   and ``post`` on a shared default Client
``exchange``       one request/response as I/O steps; ``Response``
``url``            ``URL``: split, resolve a Location, add a query
``auth``           Basic and Digest answers to a 401
=================  ===========================================================
"""

from remora import lazy as _lazy

_WHERE = "client:Client|exchange:Response|url:URL"
_shared = []  # type: list  # the default Client, made on first use


def _client():  # type: ignore[no-untyped-def]
    if not _shared:
        _shared.append(__getattr__("Client")())
    return _shared[0]


def request(method, url, **kw):  # type: ignore[no-untyped-def]
    """``Client().request`` on a shared client (its connections kept alive)."""
    return _client().request(method, url, **kw)


def get(url, **kw):  # type: ignore[no-untyped-def]
    return _client().request("GET", url, **kw)


def post(url, **kw):  # type: ignore[no-untyped-def]
    return _client().request("POST", url, **kw)


def __getattr__(name):  # type: ignore[no-untyped-def]
    return _lazy("remora.httpc", _WHERE, None, name, globals())
