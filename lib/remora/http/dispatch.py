"""Where a request goes besides its route: the guards before the routes, and
after them the mounts (pages, static files) and the statuses of a request
nothing takes (RFC 9110 §9.1 501, §9.3.7 OPTIONS *, §15.5.6 405 with
Allow, 404).

Split out of :class:`~remora.http.app.App`, which loads this module with
the first request that a guard covers or that no route takes: a board
whose requests all find their route keeps none of it in its heap.  The
functions take the App; they read its public state only (``guards``,
``mounts``, ``dev``, ``state``, ``error``).
"""

from .. import port, profile
from .response import Response

try:
    from typing import Any, List, Optional
except ImportError:
    pass


# The methods of RFC 9110 §9 and RFC 5789 (PATCH): anything else is 501
# unless a route names it.
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
# What OPTIONS * answers (RFC 9110 §9.3.7): what this server can do for some
# resource (CONNECT and TRACE only when a route names them).
_METHODS_ALLOWED = "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH"


async def guard(app: "Any", req: "Any", path: str) -> "Optional[Response]":
    """The challenge when a guard (App.protect) refuses req, else None."""
    for prefix, auth in app.guards:
        if path.startswith(prefix) or path + "/" == prefix:
            if auth.check(req) is None:
                # Repeated failures are slowed down (auth.py), this task only.
                delay = auth.delay_ms(req)
                if delay:
                    await port.sleep_ms(delay)
                resp = auth.challenge(req)
                if resp.status < 400 and "upgrade" in req.headers:
                    # A form login's redirect means nothing to a
                    # WebSocket client: refuse the upgrade plainly.
                    resp = await app.error(req, 403)
                return resp
    return None


async def unrouted(app: "Any", req: "Any", path: str, allowed: "Any") -> "Response":
    """What the mounts (pages, static files) answer to a request no route
    took; else 501, the answer to OPTIONS *, 405 (``allowed``: the methods
    of the routes on this path, or None) or 404."""
    method = req.method
    if method not in _METHODS or method == "CONNECT":
        # RFC 9110 §9.1: a method outside the standard ones that no route
        # here names is 501, before any mount sees it (a page answers
        # whatever standard method it is asked with, but "BREW /" is no
        # request for it); so is CONNECT (§9.3.6: a tunnel, which only a
        # route that names CONNECT would open).
        return await app.error(req, 501)
    for entry in app.mounts:
        prefix = entry[0]
        if path.startswith(prefix) or path + "/" == prefix:
            mount = entry[1] or _mount(app, entry)
            resp = (await mount.serve(req)) if entry[2] else mount.serve(req)
            if resp is not None:
                return resp
    if req.target == "*":
        # RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole
        # (the core lets only OPTIONS have this target, RFC 9112 §3.2.4).
        resp = Response(b"", 200)
        resp.set_header("allow", _METHODS_ALLOWED)
        return resp
    if allowed is not None:  # the path exists, with other methods
        if "GET" in allowed and "HEAD" not in allowed:
            allowed.append("HEAD")  # a GET route answers HEAD too (RFC 9110 §9.3.2)
        resp = await app.error(req, 405)
        resp.set_header("allow", ", ".join(allowed))  # RFC 9110 §15.5.6
        return resp
    return await app.error(req, 404)


def _mount(app: "Any", entry: "List[Any]") -> "Any":
    """The server of a mount, made (and its modules loaded) at its first
    request: entry is [prefix, server or None, pages?, folder, compiled
    pages], as App.static and App.pages add it."""
    from .static import StaticFiles

    prefix, _server, pages, path, compiled = entry
    files = StaticFiles(path, prefix=prefix[:-1])  # type: Any
    if pages:
        from ..pages.engine import PageEngine
        from .pagemount import PageMount

        cache = profile.get("page_cache")
        engine = PageEngine(path, app.dev, compiled, app.state, cache)
        files = PageMount(app, engine, files, prefix[:-1])
    entry[1] = files
    return files
