"""The response a handler returns or a page writes.

``body`` is bytes or str (sent with Content-Length), or a stream: an
iterator of bytes/str chunks, or an async iterator (``__aiter__``), sent
chunked to HTTP/1.1 clients unless ``length`` gives its size.  Pages write
into the response with ``write``.
"""

try:
    from typing import Any, List, Optional
except ImportError:
    pass

_BYTES = (bytes, bytearray)  # made once: a tuple in a call would be built every time


class Response:
    # Class-level defaults, set on an instance only when used: a smaller
    # instance dict is less heap per request on a board.
    length = None  # type: Optional[int]  # a stream's size, when known
    _parts = None  # type: Optional[List[Any]]
    _lease = None  # type: Any  # a page's output block (outbuf.Lease), until sent
    _blocks = None  # type: Any  # where that block comes from at the first write

    def __init__(
        self,
        body: "Any" = b"",
        status: int = 200,
        headers: "Optional[List[List[str]]]" = None,
        content_type: "Optional[str]" = None,
    ) -> None:
        self.status = status
        self.headers = headers if headers is not None else []  # type: List[List[str]]
        self.body = body
        if content_type is not None:
            self.headers.append(["content-type", content_type])

    def get_header(self, name: str) -> "Optional[str]":
        name = name.lower()
        for pair in self.headers:
            if pair[0] == name:
                return pair[1]
        return None

    def set_header(self, name: str, value: str) -> None:
        """Set a header, replacing any of the same name."""
        name = name.lower()
        for pair in self.headers:
            if pair[0] == name:
                pair[1] = value
                return
        self.headers.append([name, value])

    def add_header(self, name: str, value: str) -> None:
        self.headers.append([name.lower(), value])

    def set_cookie(
        self,
        name: str,
        value: str,
        max_age: "Optional[int]" = None,
        path: str = "/",
        http_only: bool = True,
        same_site: str = "Lax",
        secure: bool = False,
    ) -> None:
        """Add a Set-Cookie header (RFC 6265 §4.1); HttpOnly and SameSite=Lax by default."""
        parts = [name + "=" + value, "Path=" + path]
        if max_age is not None:
            parts.append("Max-Age=%d" % max_age)
        if http_only:
            parts.append("HttpOnly")
        if same_site:
            parts.append("SameSite=" + same_site)
        if secure:
            parts.append("Secure")
        self.add_header("set-cookie", "; ".join(parts))

    def set_signed_cookie(self, name: str, value: str, secret: "Any", **options: "Any") -> None:
        """set_cookie with the value signed (signing.py): readable, not forgeable."""
        from .signing import sign

        self.set_cookie(name, sign(value, secret, name), **options)

    def write(self, *items: "Any") -> None:
        """Append text or bytes to the body (what a page's output does)."""
        parts = self._parts  # type: Any
        if parts is None:
            lease = self._lease
            if lease is None and self._blocks is not None:
                lease = self._lease = self._blocks.take()  # None: collected instead
                self._blocks = None
            if lease is not None:
                # A page's output block (outbuf.py): copied in, no pieces.
                items = _into_block(self, lease, items)
                if not items:
                    return
                parts = self._parts
            else:
                parts = self._parts = []
                if self.body:
                    parts.append(self.body)
        parts.extend(items)

    def write_into(self, blocks: "Any") -> None:
        """Write the output into a block of blocks (outbuf.OutputBlocks),
        taken at the first write; sent() gives it back."""
        self._blocks = blocks
        if self.body:
            body = self.body
            self.body = b""
            self.write(body)

    def sent(self, whole: bool = True) -> None:
        """The response has gone out (or never will): the page's output
        block goes back.  The server calls it; safe to call more than once.
        whole=False: sending failed midway and a write may still hold the
        block, so it is let go instead (made again when next needed)."""
        self._blocks = None
        lease = self._lease
        if lease is not None:
            self._lease = None
            if whole:
                lease.give_back()
            else:
                lease.drop()

    def mark(self) -> "Any":
        """Where the output stands now, for reset() (a page's forward)."""
        parts = self._parts
        lease = self._lease
        return self.body, (-1 if parts is None else len(parts)), (lease.used if lease else 0)

    def reset(self, where: "Any") -> None:
        """Drop what was written since mark() returned where."""
        lease = self._lease
        if lease is not None:
            lease.used = where[2]
        if where[1] < 0:
            self._parts = None
            self.body = where[0]
        else:
            del self._parts[where[1] :]  # type: ignore[union-attr]

    def finish(self) -> None:
        """Join what write() collected into the body (a page's output
        block, when it held everything, is the body as it is)."""
        parts = self._parts
        if parts is not None:
            self._parts = None
            self.body = b"".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)
        elif self._lease is not None:
            self.body = self._lease.view()

    @staticmethod
    def redirect(location: str, status: int = 302) -> "Response":
        resp = Response(b"", status)
        resp.set_header("location", location)
        return resp

    @staticmethod
    def json(obj: "Any", status: int = 200) -> "Response":
        import json

        return Response(json.dumps(obj), status, None, "application/json")

    @staticmethod
    def text(text: str, status: int = 200) -> "Response":
        return Response(text, status, None, "text/plain; charset=utf-8")

    def __repr__(self) -> str:
        return "<Response %d>" % self.status


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


def _into_block(resp: "Response", lease: "Any", items: "Any") -> "Any":
    # The items copied into the page's output block; when it is outgrown,
    # what it holds is copied out, the block goes back, and the items
    # not copied are returned (to be collected as pieces).
    # (Apart from write: both frames stay on MicroPython's C stack.)
    for i in range(len(items)):
        item = items[i]
        if not isinstance(item, _BYTES):
            item = str(item).encode()
        if not lease.add(item):
            resp._parts = [bytes(lease.view())]
            resp.sent()
            return items[i:]
    return ()
