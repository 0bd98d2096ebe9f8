"""The application: routes, pages, static files, sessions and guards on one port.

::

    app = App("examples/demo")
    app.pages("/", "www")                  # .rsp pages and the files beside them

    @app.route("/hello")
    async def hello(req):                  # async def: runs on the dispatcher
        return "Hello, world!"

    @app.route("/users/<int:uid>", methods=("GET", "POST"))
    def user(req, uid):                    # plain def: runs on the dispatcher too
        return {"id": uid}                 # (it must not block)

    @app.route("/report", worker=True)
    def report(req):                       # worker=True: runs on the worker pool,
        return slow_blocking_query()       # where blocking calls are fine

    app.protect("/admin/", remora.http.auth.BasicAuth(users))
    await app.serve(8080)

Handlers run on the dispatcher unless the route says ``worker=True``; an
``async def`` handler is awaited.  A handler returns a Response, bytes or str (text/html when it starts with
``<``, else text/plain), a dict or list (JSON), None (204), or a tuple
``(body, status)`` / ``(body, status, headers)``.  A streaming body is
returned wrapped, ``Response(generator)``: a bare generator would look like a
coroutine on MicroPython.
"""

from .. import dispatcher, port, profile
from ..errors import QueueFull, Shutdown, WrongMode
from ..proto.http.limits import Limits
from .response import Response
from .router import Router
from .server import IDLE, OVERLOADED, refuse, serve_connection, sweep

try:
    from typing import Any, Callable, Dict, List, Optional, Tuple
except ImportError:
    pass


# The methods of RFC 9110 §9 and RFC 5789 (PATCH): anything else is 501
# unless a route names it.
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
_METHODS_ALLOWED = "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH"


class App:
    def __init__(self, root: str = ".", dev: bool = False) -> None:
        self.root = root.rstrip("/") or "."
        self.dev = dev
        self.state = {}  # type: Dict[str, Any]  # the application state pages see as `app`
        self.router = Router()
        self.mounts = []  # type: List[Tuple[str, Any, bool]]  # prefix, server, async
        self.guards = []  # type: List[Tuple[str, Any]]
        self.sessions = None  # type: Any
        self.limits = Limits.from_profile(profile.current())
        self.idle_ms = profile.get("http_idle_ms")
        self.head_ms = profile.get("http_head_ms")
        self.body_ms = profile.get("http_body_ms")
        self.max_connections = profile.get("max_connections")
        self.connections = 0
        self.live = {}  # type: Dict[int, Any]  # id(sock): its server.Watch
        self.draining = False
        self.started_ms = port.ticks_ms()
        self._listener = None  # type: Any
        self._reserve = None  # type: Any
        self._reserve_tried = port.ticks_add(self.started_ms, -1000)

    # -- building the application -------------------------------------------

    def route(
        self, path: str, methods: "Tuple[str, ...]" = ("GET",), worker: bool = False
    ) -> "Callable[..., Any]":
        """Decorator: handle requests for path (with ``<name>`` parameters).

        worker=True runs the handler on the worker pool (503 when its queue
        is full), where blocking calls are allowed.
        """

        def register(handler: "Callable[..., Any]") -> "Callable[..., Any]":
            self.router.add(path, handler, tuple(methods), worker)
            return handler

        return register

    def websocket(
        self,
        path: str,
        mode: str = "cosocket",
        subprotocols: "Tuple[str, ...]" = (),
        session: bool = False,
        origins: "Any" = None,
        max_message: "Optional[int]" = None,
    ) -> "Callable[..., Any]":
        """Decorator: requests for path upgrade to a WebSocket that runs the
        decorated ``async def fn(ws)`` as its own task (remora.ws.server).
        Nothing of remora.ws is loaded before the first upgrade."""
        options = {"mode": mode, "subprotocols": subprotocols, "session": session,
                   "origins": origins, "max_message": max_message}

        def register(fn: "Callable[..., Any]") -> "Callable[..., Any]":
            def handler(req: "Any") -> "Any":
                from ..ws.server import upgrade

                return upgrade(req, fn, **options)

            self.router.add(path, handler, ("GET",), False)
            return fn

        return register

    def _path(self, directory: str) -> str:
        return directory if directory.startswith("/") else self.root + "/" + directory

    def static(self, prefix: str, directory: str) -> None:
        """Serve the files under directory at prefix."""
        from .static import StaticFiles

        prefix = prefix.rstrip("/") + "/"
        files = StaticFiles(self._path(directory), prefix=prefix[:-1])
        self.mounts.append((prefix, files, False))

    def pages(self, prefix: str, directory: str, compiled: "Optional[str]" = None) -> None:
        """Serve .rsp pages, and the static files beside them, at prefix."""
        from ..pages.engine import PageEngine
        from .pagemount import PageMount
        from .static import StaticFiles

        path = self._path(directory)
        prefix = prefix.rstrip("/") + "/"
        engine = PageEngine(path, self.dev, compiled, self.state, profile.get("page_cache"))
        files = StaticFiles(path, prefix=prefix[:-1])
        self.mounts.append((prefix, PageMount(self, engine, files, prefix[:-1]), True))

    def enable_sessions(self, max_sessions: "Optional[int]" = None, ttl_s: int = 1800) -> "Any":
        from .session import SessionStore

        if self.sessions is None:
            size = max_sessions or profile.get("max_sessions")
            self.sessions = SessionStore(size, ttl_s)
        return self.sessions

    def protect(self, prefix: str, authenticator: "Any") -> None:
        """Require authenticator's credentials for every path under prefix."""
        self.guards.append((prefix, authenticator))
        login = getattr(authenticator, "login_path", None)
        if login is not None:
            # Form login: its own pages stay reachable without credentials.
            self.router.add(login, authenticator.handle_login, ("GET", "POST"))
            self.router.add(authenticator.logout_path, authenticator.handle_logout, ("GET", "POST"))

    # -- handling one request ------------------------------------------------

    async def handle(self, req: "Any") -> "Response":
        """The response to req: guards, then routes, then mounts (one
        coroutine for the common case: on MicroPython each nested coroutine
        is a heap object per request)."""
        try:
            path = req.path
            resp = (await self._guard(req, path)) if self.guards else None
            if resp is None:
                route, params = self.router.match(req.method, path)
                if route is not None:
                    if params:
                        req.params = params
                    if route.worker:
                        from .. import pool

                        result = await pool.call(route.handler, req, **params)
                    else:
                        # Without parameters, no kwargs dict to build.
                        result = route.handler(req, **params) if params else route.handler(req)
                        if hasattr(result, "send"):  # a coroutine: async def handler
                            result = await result
                    resp = make_response(result)
                else:
                    resp = await self._mounted(req, path, params)
        except QueueFull:
            resp = Response.text("503 Service Unavailable: server busy\n", 503)
            resp.set_header("retry-after", "1")
        except MemoryError:
            # Short of heap: refuse this request (503 from the server, which
            # then closes the connection to free its memory), not a 500.
            raise
        except Exception as exc:
            resp = self.error_response(exc)
        if req.current_session is not None and self.sessions is not None:
            self.sessions.finish(req, resp)
        return resp

    async def _guard(self, req: "Any", path: str) -> "Optional[Response]":
        """The challenge when a guard refuses req, else None."""
        for prefix, auth in self.guards:
            if path.startswith(prefix) or path + "/" == prefix:
                if auth.check(req) is None:
                    delay = auth.delay_ms(req)
                    if delay:
                        await port.sleep_ms(delay)
                    resp = auth.challenge(req)
                    if resp.status < 400 and "upgrade" in req.headers:
                        # A form login's redirect means nothing to a
                        # WebSocket client: refuse the upgrade plainly.
                        resp = Response.text("403 Forbidden\n", 403)
                    return resp
        return None

    async def _mounted(self, req: "Any", path: str, allowed: "Any") -> "Response":
        """What the mounts (pages, static files) answer; else 405 or 404."""
        for prefix, mount, is_async in self.mounts:
            if path.startswith(prefix) or path + "/" == prefix:
                resp = (await mount.serve(req)) if is_async else mount.serve(req)
                if resp is not None:
                    return resp
        method = req.method
        if method not in _METHODS or method == "CONNECT":
            # RFC 9110 §9.1: a method outside the standard ones that no
            # route here matched is 501; so is CONNECT (§9.3.6: a tunnel,
            # which only a route that names CONNECT would open).
            return Response.text("501 Not Implemented\n", 501)
        if req.target == "*":
            # RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole.
            resp = Response(b"", 200)
            resp.set_header("allow", _METHODS_ALLOWED)
            return resp
        if allowed is not None:  # the path exists, with other methods
            resp = Response.text("405 Method Not Allowed\n", 405)
            resp.set_header("allow", ", ".join(allowed))
            return resp
        return Response.text("404 Not Found\n", 404)

    def error_response(self, exc: BaseException) -> "Response":
        """500; with the details in development mode only (never to the peer otherwise)."""
        dispatcher.log_exception(exc, "request failed")
        if self.dev:
            fmt = getattr(exc, "format", None)
            detail = fmt() if fmt is not None else repr(exc)
            return Response.text("500 Internal Server Error\n\n" + detail + "\n", 500)
        return Response.text("500 Internal Server Error\n", 500)

    # -- memory for request bodies ----------------------------------------------

    def keep_reserve(self) -> None:
        """Hold one block of the body limit's size while the heap still has it.

        A long-running board heap fragments into small holes; a body needs
        one contiguous block.  The reserve keeps such a block for the next
        body (body_buffer frees it just before allocating).
        """
        if self._reserve is None:
            now = port.ticks_ms()
            if port.ticks_diff(now, self._reserve_tried) < 1000:
                return  # a failed try costs a full collection: at most one a second
            self._reserve_tried = now
            try:
                self._reserve = bytearray(self.limits.max_body)
            except MemoryError:
                pass  # no block that big now: try again later

    def body_buffer(self, size: int) -> "Any":
        try:
            return bytearray(size)
        except MemoryError:
            if self._reserve is None:
                raise
        self._reserve = None  # give the reserved block back, then take it
        port.collect()
        return bytearray(size)

    # -- serving ---------------------------------------------------------------

    async def serve(self, port_number: int, host: str = "0.0.0.0") -> None:
        """Accept connections until the server stops (or shutdown() drains it)."""
        from .. import net, sock

        # Room above the cap for answering 503 to the connections beyond it.
        listener = net.bind(port_number, host, None, self.max_connections + 8)
        listener.refusal = OVERLOADED  # a connection with no heap for its task
        self._listener = listener
        accepting = listener.listener()  # type: Any
        dispatcher.spawn(self._sweep())
        self.keep_reserve()  # after every import: the heap is as full as it will be
        port.settle_heap()
        print("READY", port_number)
        try:
            while not self.draining:
                try:
                    conn = await listener.accept()
                except WrongMode:
                    if self.draining:
                        break  # shutdown() closed the listener
                    raise
                except MemoryError:
                    # Not even the accept's own coroutine fitted: the next
                    # client waits in the backlog while the connections that
                    # hold the heap finish (on MicroPython the pause itself
                    # allocates nothing).
                    port.collect()
                    await port.sleep_ms(10)
                    continue
                try:
                    # Counted by the listener as they are accepted (this one
                    # included): a burst is judged before any task has run.
                    if accepting.accepted > self.max_connections:
                        refuse(conn)  # over the cap: 503, and close
                        continue
                    conn.event(serve_connection, self, mode=sock.COSOCKET)
                except MemoryError:
                    # This connection did not fit; the accept loop must go on.
                    # The client still learns why: the listener's refusal (the
                    # constant 503) goes out the way that needs no heap.
                    port.collect()
                    if conn.state() != sock.CLOSED:  # not refused already
                        conn.refuse()
                        conn.close()
        except Shutdown:
            return
        finally:
            listener.close()  # the refused connections that linger close too
        # Draining: in-flight responses finish, then shutdown() stops the
        # server; returning now would stop it at once.
        await dispatcher.wait_stopped()

    async def _sweep(self) -> None:
        # One timer for every connection's time limits (idle, head, body),
        # checked a few times per shortest limit: no timer per read.
        accepting = self._listener.listener()  # type: Any
        tick = max(50, min(1000, min(self.idle_ms, self.head_ms, self.body_ms) // 4))
        while not self.draining:
            await port.sleep_ms(tick)
            try:
                sweep(self)
                accepting.reap()  # refused connections whose time is up
            except MemoryError:
                port.collect()  # the sweeper must outlive a shortage: next tick

    async def shutdown(self, grace_ms: int = 5000) -> None:
        """Stop accepting, let in-flight responses finish, then stop the server."""
        self.draining = True
        if self._listener is not None:
            self._listener.close()
        for watch in list(self.live.values()):
            if watch.kind == IDLE:
                watch.sock.close()  # between requests: nothing in flight
        waited = 0
        while self.connections and waited < grace_ms:
            await port.sleep_ms(20)
            waited += 20
        dispatcher.stop()

    def run(self, port_number: int = 8080, host: str = "0.0.0.0") -> None:
        dispatcher.run(self.serve, port_number, host)


def make_response(result: "Any") -> "Response":
    """A handler's return value as a Response (see the module doc)."""
    if isinstance(result, Response):
        return result
    status = 200
    headers = None
    if isinstance(result, tuple):
        if len(result) == 3:
            result, status, extra = result
            headers = [[k.lower(), v] for k, v in extra.items()]
        else:
            result, status = result
    if result is None:
        return Response(b"", 204 if status == 200 else status, headers)
    if isinstance(result, (dict, list)):
        resp = Response.json(result, status)
        if headers:
            resp.headers.extend(headers)
        return resp
    if isinstance(result, str):
        ctype = "text/html; charset=utf-8" if result[:1] == "<" else "text/plain; charset=utf-8"
        resp = Response(result, status, headers)
    else:
        ctype = "application/octet-stream"
        resp = Response(result, status, headers)
    if resp.get_header("content-type") is None:
        resp.set_header("content-type", ctype)
    return resp
