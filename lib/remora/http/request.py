"""The request a handler, page or authenticator sees.

Built by the server from the sans-IO core's Request event.  Everything that
costs work (query and form parsing, cookies, the session) is computed on
first use, so the fast path (``GET /hello``) allocates little.
"""

from .router import NO_PARAMS
from .urlcoding import parse_qs, unquote

try:
    from typing import Any, Dict, List, Optional, Tuple
except ImportError:
    pass


def _combined(headers: "List[Tuple[str, str]]") -> "Dict[str, str]":
    # RFC 9110 §5.3: repeated fields combine with commas; cookies with "; "
    # (RFC 6265 §5.4).
    fields = {}  # type: Dict[str, str]
    for name, value in headers:
        if name in fields:
            fields[name] = fields[name] + ("; " if name == "cookie" else ", ") + value
        else:
            fields[name] = value
    return fields


def _cookie_jar(text: str) -> "Dict[str, str]":
    # A Cookie field's name=value pairs (RFC 6265 §5.4).  (Functions of their
    # own, _cookie for each pair: the frames stay on MicroPython's C stack.)
    jar = {}  # type: Dict[str, str]
    for part in text.split(";"):
        _cookie(jar, part)
    return jar


def _cookie(jar: "Dict[str, str]", part: str) -> None:
    eq = part.find("=")
    if eq > 0:
        jar[part[:eq].strip()] = part[eq + 1 :].strip()


def _decoded(raw: str) -> str:
    # The decoded path; a path that is not UTF-8 keeps its raw form and then
    # matches no route, page or file (a 404, not a crash).
    try:
        return unquote(raw)
    except UnicodeError:
        return raw


class Request:
    # Class-level defaults: the server sets a few per request; the rest stay
    # unset on most requests, and a small instance dict is less heap to
    # allocate and collect per request on a board.
    body = b""  # type: Any
    user = None  # type: Optional[str]
    app = None  # type: Any
    peer = None  # type: Any
    conn = None  # type: Any  # the core connection (None once req2sock took it)
    sock = None  # type: Any  # the connection's socket
    response = None  # type: Any  # set for pages: the Response they write
    # A streaming route's body as it arrives (a body.BodyStream), else None.
    stream = None  # type: Any
    # The route found for this request before its body was read (a
    # streaming route's), so that App.handle does not look it up again.
    matched = None  # type: Any
    _raw_path = None  # type: Optional[str]
    _query = ""
    _args = None  # type: Optional[Dict[str, str]]
    _form = None  # type: Optional[Dict[str, str]]
    _cookies = None  # type: Optional[Dict[str, str]]
    # The session attached to this request (req.session attaches one on
    # first use); the session store reads and sets it.
    current_session = None  # type: Any
    params = NO_PARAMS  # type: Dict[str, Any]  # a route's path parameters

    def __init__(
        self, method: str, target: str, version: str, headers: "List[Tuple[str, str]]"
    ) -> None:
        # (Few locals, no try block, the rare forms in functions of their
        # own: this frame stays within the 11 words MicroPython keeps on the
        # C stack; a larger one is a heap block for every request.)
        self.method = method
        self.target = target
        self.version = version
        # (Not dict(headers): on MicroPython that allocates an iterator per
        # field.)  A repeated field: see _combined.
        fields = {}  # type: Dict[str, str]
        # (q: the fields left here, counted down by negative indices with one
        # len() call, the query's "?" below: one local less.)
        q = len(headers)
        while q:
            if headers[-q][0] in fields:
                fields = _combined(headers)
                break
            fields[headers[-q][0]] = headers[-q][1]
            q -= 1
        self.headers = fields
        if not target.startswith("/") and "://" in target:
            _absolute(self, target)
            return
        q = target.find("?")
        if q >= 0:
            # Kept only when they differ from what the class defaults derive
            # (a smaller instance dict per request on a board).
            self._query = target[q + 1 :]
            target = self._raw_path = target[:q]
        # The decoded path (see _decoded).
        self.path = target if "%" not in target else _decoded(target)

    @property
    def raw_path(self) -> str:
        """The path as sent, without the query (still percent-encoded)."""
        return self._raw_path if self._raw_path is not None else self.target

    @property
    def query(self) -> str:
        """The query string, without its "?" ("" when there is none)."""
        return self._query

    def header(self, name: str, default: "Optional[str]" = None) -> "Optional[str]":
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    @property
    def args(self) -> "Dict[str, str]":
        """The query string's fields."""
        if self._args is None:
            self._args = parse_qs(self.query)
        return self._args

    @property
    def form(self) -> "Dict[str, str]":
        """The fields of an application/x-www-form-urlencoded body."""
        if self._form is None:
            ctype = self.headers.get("content-type", "")
            if ctype.lower().startswith("application/x-www-form-urlencoded"):
                try:
                    self._form = parse_qs(self.body.decode())
                except UnicodeError:
                    self._form = {}
            else:
                self._form = {}
        return self._form

    @property
    def cookies(self) -> "Dict[str, str]":
        """Cookies sent by the client (RFC 6265 §5.4)."""
        if self._cookies is None:
            self._cookies = _cookie_jar(self.headers.get("cookie", ""))
        return self._cookies

    def signed_cookie(self, name: str, secret: "Any") -> "Optional[str]":
        """A cookie set with Response.set_signed_cookie, None when absent or forged."""
        from .signing import unsign

        return unsign(self.cookies.get(name), secret, name)

    def json(self) -> "Any":
        import json

        return json.loads(self.body)

    @property
    def session(self) -> "Any":
        """The client's server-side session, created on first use (needs sessions on the app)."""
        if self.current_session is None and self.app is not None and self.app.sessions is not None:
            self.current_session = self.app.sessions.attach(self)
        return self.current_session

    @property
    def keep_alive(self) -> bool:
        conn = self.conn
        return bool(conn is not None and conn.keep_alive)

    def __repr__(self) -> str:
        return "<Request %s %s>" % (self.method, self.target)


def _absolute(req: "Request", target: str) -> None:
    # RFC 9112 §3.2.2: absolute-form.  Its authority replaces Host,
    # and what follows it is the path and query.
    rest = target[target.find("://") + 3 :]
    cut = len(rest)
    for c in "/?":
        i = rest.find(c)
        if 0 <= i < cut:
            cut = i
    req.headers["host"] = rest[:cut]
    target = rest[cut:]
    if target[:1] != "/":
        target = "/" + target
    q = target.find("?")
    raw = target if q < 0 else target[:q]
    req._raw_path = raw
    req._query = "" if q < 0 else target[q + 1 :]
    req.path = _decoded(raw)
