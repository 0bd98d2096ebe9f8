"""The server side: an HTTP request becomes a WebSocket on the same port (the
seed's ``ba.socket.req2sock`` for a WebSocket request).

Two ways in:

* ``@app.websocket("/ws/echo")`` (``App.websocket``) on a function
  ``async def fn(ws)``: the route calls ``upgrade(req, fn)``, which
  answers the opening handshake and runs fn as the WebSocket's own task
  (cosocket mode unless ``mode="async"``); when fn returns the WebSocket
  closes (1000, or 1011 when fn raised).
* ``upgrade(req, fn, *args)`` from any route or page (the seed's LSP entry
  page): returns the :class:`~.websocket.WebSocket` (bound to a task running
  ``fn(ws, *args)`` when fn is given), or, when the upgrade is refused, the
  :class:`~remora.http.response.Response` to answer with.  A route returns
  either one as it is.

Refusals happen before the 101, over plain HTTP, so a browser sees them:

* the App's guards run first: a WebSocket entry path under
  ``app.protect(...)`` answers 401 to a client without credentials (a form
  login's redirect becomes 403: a WebSocket client cannot follow it);
* ``session=True``: 403 without a valid session (the seed's advice: a
  browser logged in by a form sends its session cookie with the upgrade);
* ``origins``: 403 for an Origin not listed (RFC 6455 §10.2, cross-site
  WebSocket hijacking);
* a request that is not a valid upgrade: 400, or 426 for a version other
  than 13 (§4.2.2);
* the board's WebSocket cap (``ws_max``) reached: 503 with Retry-After.
"""

from ..http import httpdate
from ..http.response import Response
from ..http.server import req2sock
from ..proto.ws.events import HandshakeError
from ..proto.ws.handshake import read_request
from ..proto.ws.state import SERVER
from ..sock import COSOCKET
from .websocket import LIVE, WebSocket, option

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional


def _refusal(text: str, status: int, headers: "Any" = ()) -> "Response":
    resp = Response(text + "\n", status, None, "text/plain; charset=utf-8")
    for name, value in headers:
        resp.set_header(name, value)
    return resp


def upgrade(
    req: "Any",
    fn: "Any" = None,
    *args: "Any",
    mode: str = COSOCKET,
    subprotocols: "Any" = (),
    session: bool = False,
    origins: "Any" = None,
    max_message: "Optional[int]" = None,
) -> "Any":
    """Answer req's opening handshake and take its connection as a
    WebSocket; see the module doc.  ``subprotocols``: ours, in our order;
    the first the client also offers is agreed (``ws.subprotocol``).
    ``max_message``: the largest message accepted (default: the board's
    ``ws_max_message``; more fails the connection with 1009)."""
    try:
        hs = read_request(req.method, req.version, req.headers.items())
    except HandshakeError as exc:
        return _refusal("Bad WebSocket handshake", exc.status, exc.headers)
    if origins is not None and hs.origin not in origins:
        return _refusal("Origin not allowed", 403)
    if session:
        store = req.app.sessions if req.app is not None else None
        if store is None or store.get(req) is None:
            return _refusal("Forbidden", 403)
    if LIVE[0] >= option("ws_max", 8):
        # The cap is judged before the upgrade, so the client learns why
        # (RFC 9110 §15.6.4; §10.2.3: the overload passes).
        return _refusal("Too many WebSockets", 503, (("retry-after", "1"),))
    chosen = hs.choose(subprotocols)
    head = req.conn.send_response_head(101, hs.accept(chosen), None, None, httpdate.now() or None)
    sock = req2sock(req)
    ws = WebSocket(sock, SERVER, max_message)
    ws.hold()
    if chosen is not None:
        ws.subprotocol = chosen
    ws.opening(head)
    if fn is not None:
        ws.event(fn, *args, mode=mode)
    return ws

