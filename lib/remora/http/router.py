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
        allowed = None  # type: Optional[List[str]]  # made only for a 405
        for route in self._static.get(path, ()):
            if method in route.methods or (method == "HEAD" and "GET" in route.methods):
                return route, NO_PARAMS
            if allowed is None:
                allowed = []
            allowed.extend(route.methods)
        if self._patterns:
            parts = path.strip("/").split("/")
            for segments, route in self._patterns:
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
    params = {}  # type: Dict[str, Any]
    i = 0
    for kind, name in segments:
        if kind == "path":
            if i >= len(parts):
                return None
            params[name] = "/".join(parts[i:])
            return params
        if i >= len(parts):
            return None
        part = parts[i]
        if kind == "":
            if part != name:
                return None
        elif kind == "int":
            if not part.isdigit():
                return None
            params[name] = int(part)
        else:
            if not part:
                return None
            params[name] = part
        i += 1
    return params if i == len(parts) else None
