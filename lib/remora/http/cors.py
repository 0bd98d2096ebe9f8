"""Cross-Origin Resource Sharing (the Fetch standard's CORS protocol).

::

    from remora.http.cors import CORS
    app.cors(CORS(origins=("https://dash.example",), credentials=True), "/api/")

    @app.route("/status", cors=CORS())       # one route: any origin
    def status(req): ...

A browser's preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) is answered 204 before any guard or
route runs, since it carries no credentials; an allowed origin's actual
request gets its ``Access-Control-Allow-*`` fields added to the response.
A request from an origin not allowed gets no CORS fields: the browser then
keeps the response from the page.  Both are App hooks (hooks.py): an App
that uses no CORS pays nothing for it.
"""

try:
    from typing import Any, Optional, Sequence
except ImportError:
    pass


class CORS:
    """What cross-origin requests may do (defaults: any origin, simple
    methods, no credentials, preflight answers cached 10 minutes)."""

    def __init__(
        self,
        origins: "Sequence[str]" = ("*",),
        methods: "Sequence[str]" = ("GET", "HEAD", "POST"),
        headers: "Sequence[str]" = (),
        expose: "Sequence[str]" = (),
        credentials: bool = False,
        max_age_s: int = 600,
    ) -> None:
        self.origins = tuple(origins)
        self.methods = ", ".join(methods)
        self.headers = ", ".join(headers)
        self.expose = ", ".join(expose)
        self.credentials = credentials
        self.max_age_s = max_age_s

    def allowed(self, origin: "Optional[str]") -> "Optional[str]":
        """The Access-Control-Allow-Origin value for origin, None when not allowed.

        With credentials the origin itself is sent, never "*" (Fetch: a
        credentialed response's allow-origin cannot be the wildcard)."""
        if origin is None:
            return None
        if "*" in self.origins:
            return origin if self.credentials else "*"
        return origin if origin in self.origins else None

    def preflight(self, req: "Any") -> "Any":
        """The 204 answer to a preflight request, or None for other requests."""
        if req.method != "OPTIONS":
            return None
        wanted = req.headers.get("access-control-request-method")
        if wanted is None:
            return None  # a plain OPTIONS: the application's
        from .response import Response

        resp = Response(b"", 204)
        allow = self.allowed(req.headers.get("origin"))
        if allow is not None:
            self._common(resp, allow)
            resp.set_header("access-control-allow-methods", self.methods)
            asked = req.headers.get("access-control-request-headers")
            if self.headers:
                resp.set_header("access-control-allow-headers", self.headers)
            elif asked:
                resp.set_header("access-control-allow-headers", asked)  # whatever was asked
            resp.set_header("access-control-max-age", str(self.max_age_s))
        return resp

    def decorate(self, req: "Any", resp: "Any") -> "Any":
        """resp with the CORS fields an allowed origin's request gets."""
        allow = self.allowed(req.headers.get("origin"))
        if allow is not None and resp.get_header("access-control-allow-origin") is None:
            self._common(resp, allow)
            if self.expose:
                resp.set_header("access-control-expose-headers", self.expose)
        return resp

    def _common(self, resp: "Any", allow: str) -> None:
        resp.set_header("access-control-allow-origin", allow)
        if allow != "*":
            resp.add_header("vary", "Origin")  # the answer depends on Origin
        if self.credentials:
            resp.set_header("access-control-allow-credentials", "true")


def install(app: "Any", cors: CORS, prefix: str = "/", exact: bool = False) -> None:
    """Apply cors to the paths under prefix (or to exactly prefix): a
    before_request hook answers preflights, an after_request hook adds the
    fields."""

    def covers(path: str) -> bool:
        return path == prefix if exact else path.startswith(prefix) or path + "/" == prefix

    def preflight(req: "Any") -> "Any":
        return cors.preflight(req) if covers(req.path) else None

    def decorate(req: "Any", resp: "Any") -> "Any":
        return cors.decorate(req, resp) if covers(req.path) else resp

    app.before_request(preflight)
    app.after_request(decorate)
