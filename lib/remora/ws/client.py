"""The client side: an HTTP client's 101 becomes a WebSocket (the seed's
``ba.socket.http2sock``).

::

    ws = await remora.ws.connect("ws://host:8080/ws/echo")     # in a task
    ws = remora.ws.connect("ws://host:8080/ws/echo")           # on a worker thread

or, as the seed's example 14 does it, with the HTTP client::

    resp = remora.httpc.get("ws://host/ws/echo")      # a worker thread
    if resp.status == 101:
        ws = remora.ws.http2sock(resp)
        ws.event(my_cosocket)                         # handed to a cosocket task

In a task the WebSocket's socket is a cosocket not yet bound to a task:
the calling task reads and writes it (both suspend), or binds it with
``ws.event(fn)``.  On a worker thread it is a blocking socket: read and
write block that thread, until ``ws.event(fn)`` hands it to a task.  The
client masks every frame with a fresh key from ``os.urandom`` (RFC 6455
§5.3; the seed's fixed key is what remora does better).
"""

from .websocket import WebSocket  # the deepest chain first (see websocket.py)
from ..errors import CannotConnect
from ..proto.ws.events import HandshakeError
from ..proto.ws.handshake import check_response
from ..proto.ws.state import CLIENT

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional


def http2sock(resp: "Any", subprotocols: "Any" = (), max_message: "Optional[int]" = None) -> WebSocket:
    """The WebSocket of an HTTP client response to a ws:// request (§4.1:
    the response is checked first: 101, Upgrade, Connection,
    Sec-WebSocket-Accept, no extension, a subprotocol we offered).  Raises
    HandshakeError (``status`` as received), closing the connection."""
    sock = resp.sock
    try:
        if resp.key is None:
            raise HandshakeError("not the response to a ws:// request", resp.status)
        chosen = check_response(resp.status, resp.headers.items(), resp.key, subprotocols)
    except HandshakeError:
        if sock is not None:
            sock.close()
        raise
    resp.sock = None
    ws = WebSocket(sock, CLIENT, max_message)
    if chosen is not None:
        ws.subprotocol = chosen
    if resp.trailing:
        ws.receive_data(resp.trailing)  # frames the server sent right after its 101
    return ws


def connect(
    url: str,
    subprotocols: "Any" = (),
    headers: "Any" = None,
    auth: "Any" = None,
    timeout_ms: "Optional[int]" = None,
    max_message: "Optional[int]" = None,
    tls: "Any" = None,
) -> "Any":
    """Open a WebSocket to ``url`` (ws://, or wss:// verified against
    ``tls``, a remora.tls.client context; the system's CAs without one, on
    CPython): awaitable in a task, blocking on a worker thread.  ``headers``
    (Origin, cookies) and ``auth`` (Basic or Digest) go with the opening
    request.  Raises HandshakeError when the server does not switch (its
    status), NotTrusted/WrongName/HandshakeFailed when TLS fails."""
    from ..httpc.client import Client
    from .. import dispatcher

    client = Client(timeout_ms=timeout_ms, keep=0, tls=tls)
    call = client.request("GET", url, headers=headers, auth=auth, redirects=0,
                          subprotocols=subprotocols)
    if dispatcher.on_dispatcher():
        return _connect_in_task(call, subprotocols, max_message)
    return http2sock(call, subprotocols, max_message)


async def _connect_in_task(call: "Any", subprotocols: "Any", max_message: "Optional[int]") -> WebSocket:
    resp = await call
    if resp is None:
        raise CannotConnect("no response")
    return http2sock(resp, subprotocols, max_message)
