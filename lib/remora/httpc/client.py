"""The HTTP client (the seed's ``httpc``): blocking on worker threads,
awaitable in tasks.

::

    from remora.httpc import Client
    client = Client()                                  # keeps connections alive
    resp = client.get("http://host/api", query={"q": 1})          # a worker thread
    resp = await client.post("http://host/up", body=b"...")        # a task
    resp = client.request("PUT", url, headers={"x-a": "1"}, body=chunks,
                          auth=("user", "pw"), timeout_ms=5000, redirects=3)

Every method follows the caller, as remora's sockets do: on a worker
thread it blocks; on the dispatcher it returns an awaitable, and the
exchange runs in a cosocket task of its own bound to the connection (reads
and writes suspend; nothing blocks the dispatcher).  Connections are kept
alive and reused per host and port (at most ``keep`` idle ones, each for
the mode it was opened in); one that the server closed meanwhile is
replaced once, transparently, when nothing of the response had come.

* ``body``: bytes or str (Content-Length), or an iterable of chunks
  (streamed, chunked); ``json``: a value sent as JSON.
* Redirects (301, 302, 303, 307, 308) are followed up to ``redirects``
  times (RFC 9110 §15.4: 303, and 301/302 after a POST, become GET without
  a body; the credentials are not sent to another host).
* ``auth=(user, password)``: Basic when asked by a 401 (RFC 7617), or
  Digest (RFC 7616, SHA-256 or MD5, qop auth): the challenge is answered
  once.  ``user:password@`` in the URL does the same.
* ``timeout_ms``: for the connect and for each wait for the server's bytes
  (``remora.Timeout``).
* ``sink(piece)`` takes a large response body as it arrives.
* ``ws://`` and ``wss://`` URLs send the WebSocket opening handshake
  (offering ``subprotocols``); a 101 keeps the connection in ``resp.sock``
  for ``remora.ws.http2sock(resp)`` (the seed's ``http2sock``).
* TLS: ``https://`` and ``wss://`` URLs connect with TLS (the handshake
  suspends only the exchange's task, or blocks the worker), verifying the
  server against ``Client(tls=remora.tls.client(ca=...))``; without one,
  the system's CAs (CPython; a board has no CA store, so it needs ``tls``).
  Failures: ``remora.NotTrusted``, ``WrongName``, ``HandshakeFailed``.
"""

# The deepest chain first (see exchange.py: a worker's C stack is small).
from .exchange import READ, Response, exchange
from .. import dispatcher, port, profile
from ..errors import SocketError
from ..net import connect as connect_blocking
from ..proto.http.events import RemoteProtocolError
from ..sock import BLOCKING, COSOCKET, UNCONNECTED, Socket
from .url import URL, split_userinfo, with_query

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

_REDIRECTS = (301, 302, 303, 307, 308)
# What a kept-alive connection the server had closed fails with: the socket
# (a reset) or the core (EOF before any response: RemoteProtocolError).
_RETRY = (SocketError, RemoteProtocolError)


class _Job:
    # One exchange run by a cosocket task for the task that awaits it.
    def __init__(self, url: "URL", steps: "Any", timeout_ms: "Optional[int]") -> None:
        self.url = url
        self.steps = steps
        self.timeout_ms = timeout_ms
        self.done = port.Event()
        self.result = None  # type: Any
        self.error = None  # type: Any
        self.started = False  # a byte of the response came


class Client:
    """An HTTP/1.1 client with kept-alive connections (see the module doc).

    ``headers``: sent with every request; ``timeout_ms``: the default
    (``connect_timeout_ms`` of the board profile); ``keep``: idle
    connections kept for reuse; ``max_body``: the largest response body
    collected in memory (``httpc_max_body`` of the profile by default);
    ``tls``: the client context for https:// and wss:// (remora.tls.client).
    """

    def __init__(
        self,
        headers: "Any" = None,
        timeout_ms: "Optional[int]" = None,
        keep: int = 2,
        max_body: "Optional[int]" = None,
        tls: "Any" = None,
    ) -> None:
        self.headers = _pairs(headers)
        self.timeout_ms = timeout_ms or profile.get("connect_timeout_ms")
        self.keep = keep
        self.max_body = max_body or profile.current().get("httpc_max_body", 65536)
        self.tls = tls
        self.idle = []  # type: List[Tuple[str, Any]]  # (url key, kept-alive Socket)
        self.lock = port.allocate_lock()

    # -- the public calls ------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        headers: "Any" = None,
        query: "Any" = None,
        body: "Any" = None,
        json: "Any" = None,
        auth: "Optional[Tuple[str, str]]" = None,
        timeout_ms: "Optional[int]" = None,
        redirects: int = 5,
        sink: "Any" = None,
        subprotocols: "Any" = (),
    ) -> "Any":
        """Send a request, return the Response (see the module doc); an
        awaitable on the dispatcher, blocking on a worker thread."""
        if json is not None:
            import json as json_module

            body = json_module.dumps(json)
            headers = _pairs(headers) + [("content-type", "application/json")]
        flow = self._flow(method, URL(url), _pairs(headers), query, body, auth,
                          timeout_ms or self.timeout_ms, redirects, sink, subprotocols)
        if dispatcher.on_dispatcher():
            return self._run_in_task(flow)
        return self._run_blocking(flow)

    def get(self, url: str, **kw: "Any") -> "Any":
        return self.request("GET", url, **kw)

    def head(self, url: str, **kw: "Any") -> "Any":
        return self.request("HEAD", url, **kw)

    def post(self, url: str, **kw: "Any") -> "Any":
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: "Any") -> "Any":
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: "Any") -> "Any":
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        """Close the kept-alive connections."""
        with self.lock:
            idle, self.idle = self.idle, []
        for _key, sock in idle:
            sock.close()

    # -- redirects and authentication: one exchange after another -----------------

    def _flow(self, method: str, url: "URL", headers: "Any", query: "Any", body: "Any",
              auth: "Any", timeout_ms: int, redirects: int, sink: "Any",
              subprotocols: "Any") -> "Any":
        # A generator of exchanges: yields (URL, steps) and gets the
        # Response; returns the final Response.
        if auth is None and url.userinfo is not None:
            auth = split_userinfo(url.userinfo)
        target = with_query(url.target, query)
        origin = url.key()
        answered = False  # the 401 challenge was answered once
        sent_auth = None  # type: Any
        history = []  # type: List[int]
        key = None  # type: Any
        if url.scheme[0] == "w":
            # ws:// and wss://: the WebSocket opening handshake (RFC 6455
            # §4.1), as the seed's httpc does for a ws:// URL; the 101 is
            # turned into a WebSocket by remora.ws.http2sock.
            from ..proto.ws.handshake import request_headers

            extra, key = request_headers(None, subprotocols, None, port.random_bytes)
            headers = headers + extra
        while True:
            fields = [("host", url.authority)] + self.headers + headers
            if sent_auth is not None and url.key() == origin:
                fields.append(("authorization", sent_auth))
            resp = yield url, _Steps(method, target, fields, body, timeout_ms, self.max_body, sink)
            status = resp.status
            if status == 401 and auth is not None and not answered and url.key() == origin:
                from .auth import authorization

                sent_auth = authorization(resp.header("www-authenticate"), auth, method, target)
                answered = True
                if sent_auth is not None and _replayable(body):
                    continue
            location = resp.header("location")
            if status in _REDIRECTS and location and len(history) < redirects:
                history.append(status)
                url = url.resolve(location)
                target = url.target
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method = "HEAD" if method == "HEAD" else "GET"
                    body = None
                    headers = [f for f in headers if f[0].lower() not in _BODY_FIELDS]
                elif not _replayable(body):
                    return resp  # a streamed body cannot be sent twice
                continue
            resp.url = url
            if key is not None:
                resp.key = key
            if history:
                resp.history = tuple(history)
            return resp

    # -- the blocking driver (worker threads) --------------------------------------

    def _run_blocking(self, flow: "Any") -> "Response":
        resp = None  # type: Any
        while True:
            try:
                url, steps = flow.send(resp)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            resp = self._exchange_blocking(url, steps)

    def _exchange_blocking(self, url: "URL", make: "_Steps") -> "Response":
        sock = self._take(url.key(), BLOCKING)
        while True:
            reused = sock is not None
            if sock is None:
                sock = connect_blocking(url.host, url.port, self.timeout_ms, self.tls_for(url))
            job = _Job(url, make(), None)
            try:
                resp = _steps_blocking(sock, job)
            except _RETRY as exc:
                sock.close()
                if reused and not job.started:
                    # A kept-alive connection that the server had closed:
                    # once more on a new one (RFC 9112 §9.3.1).
                    sock = None
                    continue
                raise exc
            except BaseException:
                sock.close()
                raise
            return self._finish(url, sock, resp)

    # -- the task driver (the dispatcher) --------------------------------------------

    async def _run_in_task(self, flow: "Any") -> "Response":
        resp = None  # type: Any
        while True:
            try:
                url, steps = flow.send(resp)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            sock = self._take(url.key(), COSOCKET)
            while True:
                reused = sock is not None
                if sock is None:
                    sock = Socket()
                job = _Job(url, steps(), None)
                sock.event(_exchange_task, self, job, mode=COSOCKET)
                await job.done.wait()
                error = job.error
                if error is None:
                    break
                if reused and not job.started and isinstance(error, _RETRY):
                    sock = None  # a kept-alive connection the server had closed
                    continue
                raise error
            resp = job.result

    def _finish(self, url: "URL", sock: "Any", resp: "Response") -> "Response":
        # After an exchange: a 101 hands the connection to the caller, a
        # reusable one is kept, the rest close.
        if resp.status == 101:
            resp.sock = sock
        elif resp.reusable and self.keep:
            self._put(url.key(), sock)
        else:
            sock.close()
        return resp

    def tls_for(self, url: "URL") -> "Any":
        """The tls argument of the connect for url: None for http:// and
        ws://, else the client's context (True: the system's CAs)."""
        if not url.secure:
            return None
        return True if self.tls is None else self.tls

    # -- kept-alive connections ----------------------------------------------------

    def _take(self, key: str, mode: str) -> "Any":
        with self.lock:
            for i in range(len(self.idle)):
                entry = self.idle[i]
                if entry[0] == key and entry[1].mode() == mode:
                    self.idle.pop(i)
                    return entry[1]
        return None

    def _put(self, key: str, sock: "Any") -> None:
        with self.lock:
            self.idle.append((key, sock))
            old = self.idle.pop(0)[1] if len(self.idle) > self.keep else None
        if old is not None:
            old.close()


class _Steps:
    # Makes an exchange's steps, again for a retry on a new connection.
    def __init__(self, *args: "Any") -> None:
        self.args = args

    def __call__(self) -> "Any":
        return exchange(*self.args)


def _steps_blocking(sock: "Any", job: "_Job") -> "Response":
    # An exchange on a worker thread: blocking reads and writes.
    steps = job.steps
    value = None  # type: Any
    while True:
        try:
            op, arg = steps.send(value)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if op == READ:
            value = sock.read(arg) or b""
            if value:
                job.started = True  # a byte of the response came: no retry
        else:
            sock.write(arg)
            value = None


async def _exchange_task(sock: "Any", client: "Client", job: "_Job") -> None:
    # A cosocket task bound to the connection: connect if new, run the
    # exchange's steps, then keep the socket (hand_off) or let it close.
    try:
        url = job.url
        if sock.state() == UNCONNECTED:
            await sock.connect(url.host, url.port, client.timeout_ms, client.tls_for(url))
        steps = job.steps
        value = None  # type: Any
        while True:
            try:
                op, arg = steps.send(value)
            except StopIteration as stop:
                resp = stop.value
                break
            if op == READ:
                value = (await sock.read(arg)) or b""
                if value:
                    job.started = True
            else:
                await sock.write(arg)
                value = None
        if resp.status == 101 or (resp.reusable and client.keep):
            sock.hand_off()  # the socket outlives this task
        job.result = client._finish(url, sock, resp)
    except BaseException as exc:  # handed to the awaiting task
        job.error = exc
        sock.close()
    finally:
        job.done.set()


_BODY_FIELDS = ("content-type", "content-length", "transfer-encoding")


def _replayable(body: "Any") -> bool:
    return body is None or isinstance(body, (bytes, bytearray, memoryview, str))


def _pairs(headers: "Any") -> "List[Tuple[str, str]]":
    if not headers:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(k), str(v)) for k, v in items]
