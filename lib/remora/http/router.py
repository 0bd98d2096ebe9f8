"""Routes for Python handlers: ``/users/<int:id>`` style patterns.

Static paths are looked up in a dict (the common case costs one hash);
patterns are tried in the order they were added.  Segment converters:
``<name>`` (one segment), ``<int:name>``, ``<path:name>`` (the rest).
"""

try:
    from typing import Any, Callable, Dict, List, Optional, Tuple
except ImportError:
    pass


# The parameters of a route without any: one shared dict, never written
# (a request of such a route has it as ``params``), so that the common
# static match makes no dict.
NO_PARAMS = {}  # type: Dict[str, Any]


class Route:
    def __init__(self, handler: "Callable[..., Any]", methods: "Tuple[str, ...]", worker: bool) -> None:
        self.handler = handler
        self.methods = methods
        # Declared, not guessed: MicroPython cannot tell an async closure
        # from a plain one, so blocking handlers say worker=True.
        self.worker = worker


class Router:
    def __init__(self) -> None:
        self._static = {}  # type: Dict[str, List[Route]]
        self._patterns = []  # type: List[Tuple[List[Tuple[str, str]], Route]]

    def add(
        self,
        pattern: str,
        handler: "Callable[..., Any]",
        methods: "Tuple[str, ...]",
        worker: bool = False,
    ) -> None:
        route = Route(handler, methods, worker)
        if "<" not in pattern:
            self._static.setdefault(pattern, []).append(route)
            return
        segments = []
        for part in pattern.strip("/").split("/"):
            if part.startswith("<") and part.endswith(">"):
                inner = part[1:-1]
                colon = inner.find(":")
                if colon < 0:
                    segments.append(("str", inner))
                else:
                    kind = inner[:colon]
                    if kind not in ("str", "int", "path"):
                        raise ValueError("unknown converter " + kind)
                    segments.append((kind, inner[colon + 1 :]))
            else:
                segments.append(("", part))
        self._patterns.append((segments, route))

    def match(self, method: str, path: str) -> "Tuple[Optional[Route], Any]":
        """(route, params) on a match; (None, allowed methods) when only the
        method is wrong; (None, None) when nothing matches."""
        # The common case, a static route that takes the method, with few
        # locals and an index loop: this frame stays within the 11 words
        # MicroPython keeps on the C stack (a larger one is a heap block per
        # request).  The rest in _search.
        routes = self._static.get(path, ())  # type: Any
        i = len(routes)  # counted down by negative indices: one len() call
        while i:
            route = routes[-i]
            if method in route.methods or (method == "HEAD" and "GET" in route.methods):
                return route, NO_PARAMS
            i -= 1
        return _search(self, method, path, routes)


def _search(router: "Router", method: str, path: str, routes: "Any") -> "Tuple[Optional[Route], Any]":
    # No static route took the method: the methods they take (for a
    # 405), then the patterns in the order they were added.
    allowed = None  # type: Optional[List[str]]  # made only for a 405
    for route in routes:
        if allowed is None:
            allowed = []
        allowed.extend(route.methods)
    if router._patterns:
        parts = path.strip("/").split("/")
        for segments, route in router._patterns:
            params = _match(segments, parts)
            if params is None:
                continue
            if method in route.methods or (method == "HEAD" and "GET" in route.methods):
                return route, params
            if allowed is None:
                allowed = []
            allowed.extend(route.methods)
    return None, allowed


def _match(segments: "List[Tuple[str, str]]", parts: "List[str]") -> "Optional[Dict[str, Any]]":
    # The parameters of a pattern's segments matched against the path's
    # parts, or None.  (An index loop, few locals: a frame on the C stack.)
    params = {}  # type: Dict[str, Any]
    i = 0
    while i < len(segments):
        if segments[i][0] == "path":
            if i >= len(parts):
                return None
            params[segments[i][1]] = "/".join(parts[i:])
            return params
        if i >= len(parts) or not _segment(segments[i], parts[i], params):
            return None
        i += 1
    return params if i == len(parts) else None


def _segment(segment: "Tuple[str, str]", part: str, params: "Dict[str, Any]") -> bool:
    # Whether one path part matches one (kind, name) segment; its value
    # goes into params.
    kind = segment[0]
    if kind == "":
        return part == segment[1]
    if kind == "int":
        if not part.isdigit():
            return False
        params[segment[1]] = int(part)
        return True
    if not part:
        return False
    params[segment[1]] = part
    return True
