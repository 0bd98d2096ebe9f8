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

# The deepest chain first (the core, then the driver): an import nested in
# an import costs C stack, of which a board has little (16 KiB on an ESP32).
from ..proto.http.server import ServerConnection  # noqa: F401
from .. import dispatcher, log, port, profile
from ..errors import QueueFull
from ..proto.http.limits import Limits
from .response import Response, make_response
from .router import Router
from .serving import body_buffer, keep_reserve, serve, shutdown

try:
    from typing import Any, Callable, Dict, List, Optional, Tuple
except ImportError:
    pass



class App:
    def __init__(self, root: str = ".", dev: "Optional[bool]" = None) -> None:
        self.root = root.rstrip("/") or "."
        # Development mode: error details in the browser, pages recompiled
        # when they change.  Unset, it follows REMORA_DEV=1 (remora serve --dev).
        self.dev = port.getenv("REMORA_DEV") == "1" if dev is None else dev
        self.state = {}  # type: Dict[str, Any]  # the application state pages see as `app`
        self.router = Router()
        # The handlers of streaming routes, and each one's body limit.
        self.streaming = {}  # type: Dict[Any, int]
        self.mounts = []  # type: List[List[Any]]  # see dispatch._mount
        self.guards = []  # type: List[Tuple[str, Any]]
        self.sessions = None  # type: Any
        self.hooks = None  # type: Any  # hooks.Hooks, made on first registration
        self.limits = Limits.from_profile(profile.current())
        self.idle_ms = profile.get("http_idle_ms")
        self.head_ms = profile.get("http_head_ms")
        self.body_ms = profile.get("http_body_ms")
        self.max_connections = profile.get("max_connections")
        self.connections = 0
        self.live = {}  # type: Dict[int, Any]  # id(sock): its server.Watch
        self.draining = False
        self.started_ms = port.ticks_ms()
        self.listening = None  # type: Any  # the listening Socket, once serving
        self.reserve = None  # type: Any  # a body-sized block kept (serving.keep_reserve)
        self.reserve_tried = port.ticks_add(self.started_ms, -1000)

    # -- building the application -------------------------------------------

    def route(
        self,
        path: str,
        methods: "Tuple[str, ...]" = ("GET",),
        worker: bool = False,
        cors: "Any" = None,
        stream: bool = False,
        max_body: "Optional[int]" = None,
    ) -> "Callable[..., Any]":
        """Decorator: handle requests for path (with ``<name>`` parameters).

        worker=True runs the handler on the worker pool (503 when its queue
        is full), where blocking calls are allowed.  cors: a cors.CORS for
        this route's cross-origin requests (see App.cors).  stream=True
        leaves the body unread for the handler, which reads it as it
        arrives from ``req.stream`` (body.py), up to max_body bytes (413
        beyond; by default 1 MiB) whatever the board's http_max_body.
        """
        if cors is not None:
            cut = path.find("<")
            self.cors(cors, path if cut < 0 else path[:cut], exact=cut < 0)

        def register(handler: "Callable[..., Any]") -> "Callable[..., Any]":
            self.router.add(path, handler, tuple(methods), worker)
            if stream:
                self.streaming[handler] = max_body if max_body is not None else 1 << 20
            return handler

        return register

    def cors(self, rules: "Any" = None, prefix: str = "/", exact: bool = False) -> None:
        """Allow cross-origin requests to the paths under prefix, as rules
        (a cors.CORS; the default allows any origin) say: preflights are
        answered, allowed responses get their CORS fields (cors.py)."""
        from .cors import CORS, install

        install(self, rules if rules is not None else CORS(), prefix, exact)

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
        prefix = prefix.rstrip("/") + "/"
        self.mounts.append([prefix, None, False, self._path(directory), None])

    def pages(self, prefix: str, directory: str, compiled: "Optional[str]" = None) -> None:
        """Serve .rsp pages, and the static files beside them, at prefix.

        The page engine and the file server are made, and their modules
        loaded, at the first request under prefix: a board that serves no
        page keeps their heap (about 3.5 KB)."""
        prefix = prefix.rstrip("/") + "/"
        self.mounts.append([prefix, None, True, self._path(directory), compiled])

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

    def streams(self, req: "Any", conn: "Any") -> bool:
        """Whether req's route reads its body as a stream; if so, conn's
        body limit becomes the route's (the match is kept for handle)."""
        matched = self.router.match(req.method, req.path)
        route = matched[0]
        if route is None:
            return False
        req.matched = matched
        limit = self.streaming.get(route.handler)
        if limit is None:
            return False
        conn.limit_body(limit)
        return True

    # -- hooks and error handlers (see hooks.py) --------------------------------

    def _hooks(self) -> "Any":
        if self.hooks is None:
            from .hooks import Hooks

            self.hooks = Hooks()
        return self.hooks

    def before_request(self, fn: "Callable[..., Any]") -> "Callable[..., Any]":
        """Decorator: fn(req) runs before every request; a value it returns
        (a response, as a handler would return it) is the answer."""
        self._hooks().before.append(fn)
        return fn

    def after_request(self, fn: "Callable[..., Any]") -> "Callable[..., Any]":
        """Decorator: fn(req, resp) runs after every request and returns the
        response to send (resp itself, changed or not, or another)."""
        self._hooks().after.append(fn)
        return fn

    def errorhandler(self, key: "Any") -> "Callable[..., Any]":
        """Decorator: fn(req) answers the errors of status key (an int) the
        App makes itself, or fn(req, exc) the exceptions of class key that
        handlers and pages raise."""

        def register(fn: "Callable[..., Any]") -> "Callable[..., Any]":
            hooks = self._hooks()
            if isinstance(key, int):
                hooks.by_status[key] = fn
            else:
                hooks.by_class.append((key, fn))
            return fn

        return register

    def error_page(self, fn: "Callable[..., Any]") -> "Callable[..., Any]":
        """Decorator: fn(req, status, reason, detail) makes every error the
        App answers itself (the application's error page style)."""
        self._hooks().page = fn
        return fn

    async def error(self, req: "Any", status: int, detail: str = "") -> "Response":
        """The App's own answer of an error status: its handler's, else the
        error page's, else plain text (detail only in development mode)."""
        hooks = self.hooks
        if not self.dev:
            detail = ""
        if hooks is not None:
            from .hooks import call
            from ..proto.http.reasons import reason

            handler = hooks.by_status.get(status)
            if handler is not None:
                return make_response(await call(handler, req))
            if hooks.page is not None:
                text = reason(status) or "Error"
                return make_response(await call(hooks.page, req, status, text, detail))
        from .hooks import plain_error

        return plain_error(status, detail)

    async def failure(self, req: "Any", exc: BaseException) -> "Response":
        """The answer to an exception a handler or page raised: its class
        handler's, else 500 (logged; the details in development mode only,
        never to the peer otherwise)."""
        hooks = self.hooks
        if hooks is not None:
            handler = hooks.class_handler(exc)
            if handler is not None:
                from .hooks import call

                return make_response(await call(handler, req, exc))
        dispatcher.log_exception(exc, "request failed")
        detail = ""
        if self.dev:
            from .hooks import describe

            detail = describe(exc, self.root)
        return await self.error(req, 500, detail)

    # -- handling one request ------------------------------------------------

    async def handle(self, req: "Any") -> "Response":
        """The response to req: guards, then routes, then mounts (one
        coroutine for the common case: on MicroPython each nested coroutine
        is a heap object per request)."""
        hooks = self.hooks
        try:
            path = req.path
            resp = None
            if hooks is not None and hooks.before:
                resp = await self._before(req, hooks)
            if resp is None and self.guards:
                from .dispatch import guard

                resp = await guard(self, req, path)
            if resp is None:
                matched = req.matched
                route, params = matched if matched else self.router.match(req.method, path)
                if route is not None:
                    if params:
                        req.params = params
                    if route.worker:
                        if req.stream is not None:
                            # The worker's body reads are this task's to do.
                            result = await req.stream.call(route.handler, req, **params)
                        else:
                            from .. import pool

                            result = await pool.call(route.handler, req, **params)
                    else:
                        # Without parameters, no kwargs dict to build.
                        result = route.handler(req, **params) if params else route.handler(req)
                        if hasattr(result, "send"):  # a coroutine: async def handler
                            result = await result
                    resp = make_response(result)
                else:
                    # The mounts, else 404, 405, 501 (dispatch.py, loaded
                    # with the first request no route takes).
                    from .dispatch import unrouted

                    resp = await unrouted(self, req, path, params)
        except QueueFull:
            log.refused(503, "worker queue full", req.peer)
            resp = await self.error(req, 503, "every worker is busy")
            resp.set_header("retry-after", "1")  # RFC 9110 §10.2.3: overload passes
        except MemoryError:
            # Short of heap: refuse this request (503 from the server, which
            # then closes the connection to free its memory), not a 500.
            raise
        except Exception as exc:
            stream = req.stream
            if stream is not None and exc is stream.error:
                raise  # the body failed, not the handler: the server answers (413, 408, ...)
            resp = await self.failure(req, exc)
        if hooks is not None and hooks.after:
            resp = await self._after(req, resp, hooks)
        if req.current_session is not None and self.sessions is not None:
            self.sessions.finish(req, resp)
        return resp

    async def _before(self, req: "Any", hooks: "Any") -> "Optional[Response]":
        from .hooks import call

        for fn in hooks.before:
            result = await call(fn, req)
            if result is not None:
                return make_response(result)
        return None

    async def _after(self, req: "Any", resp: "Response", hooks: "Any") -> "Response":
        from .hooks import call

        try:
            for fn in hooks.after:
                resp = make_response(await call(fn, req, resp))
        except Exception as exc:
            resp = await self.failure(req, exc)
        return resp

    # -- serving (serving.py) ----------------------------------------------------

    # The methods are serving.py's functions (the names inside these bodies
    # are that module's, imported above).

    def keep_reserve(self) -> None:
        """Hold one block of the body limit's size while the heap has it."""
        keep_reserve(self)

    def body_buffer(self, size: int) -> "Any":
        """A buffer of size bytes for a request body (the reserve, if need be)."""
        return body_buffer(self, size)

    async def serve(self, port_number: int, host: str = "0.0.0.0", tls: "Any" = None) -> None:
        """Accept connections until the server stops (or shutdown() drains it);
        tls (remora.tls.server(cert, key)) serves HTTPS."""
        await serve(self, port_number, host, tls)

    async def shutdown(self, grace_ms: int = 5000) -> None:
        """Stop accepting, let in-flight responses finish, then stop the server."""
        await shutdown(self, grace_ms)

    def run(self, port_number: int = 8080, host: str = "0.0.0.0", tls: "Any" = None) -> None:
        dispatcher.run(self.serve, port_number, host, tls)
