"""Server-side sessions named by a cookie (RFC 6265).

``SessionStore`` keeps at most ``max_sessions`` sessions in memory.  A
session expires after ``ttl_s`` seconds without a request that used it.
When the table is full and a new session is needed, expired sessions are
purged first and then the least recently used one is evicted: on a board a
flood of new clients costs old idle sessions, never memory.

The server calls ``finish(request, response)`` after every handler; it adds
the Set-Cookie header for a session created during the request, or clears
the cookie of one invalidated during it.  Idle time is measured with the
port's ticks (``ticks_diff``), which never jump when the wall clock is set
by NTP; expired sessions are swept at least once a second while requests
arrive, well inside the ticks wrap-around period.
"""

from .. import port

try:
    from typing import Any, Callable, Dict, Iterator, Optional

    from .request import Request
    from .response import Response
except ImportError:
    pass

_ID_BYTES = 16  # 128 random bits (OWASP: at least 64 bits of entropy)
_HEX = "0123456789abcdef"
_SWEEP_MS = 1000


class Session:
    """One client's data: dict-like, plus ``id`` and ``user``.

    ``user`` is the logged-in user name (set by the form authenticator) or
    None.  At most ``max_items`` keys (the store's limit); one more raises
    ValueError, so a handler bug cannot grow the heap without bound.
    """

    def __init__(self, store: "SessionStore", sid: str, now_ms: int) -> None:
        self.id = sid
        self.user = None  # type: Optional[str]
        self._store = store
        self._data = {}  # type: Dict[str, Any]
        self._seen_ms = now_ms
        self._new = True  # the client does not know the id yet
        self._dead = False

    def __getitem__(self, key: str) -> "Any":
        return self._data[key]

    def __setitem__(self, key: str, value: "Any") -> None:
        data = self._data
        if key not in data and len(data) >= self._store.max_items:
            raise ValueError("session full")
        data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> "Iterator[str]":
        return iter(self._data)

    def get(self, key: str, default: "Any" = None) -> "Any":
        return self._data.get(key, default)

    def pop(self, key: str, *default: "Any") -> "Any":
        return self._data.pop(key, *default)

    def keys(self) -> "Any":
        return self._data.keys()

    def items(self) -> "Any":
        return self._data.items()

    @property
    def valid(self) -> bool:
        """False once invalidated, expired-and-purged or evicted."""
        return not self._dead

    def invalidate(self) -> None:
        """Forget this session; the response clears the client's cookie."""
        self._store._remove(self)

    def __repr__(self) -> str:
        return "<Session %s... user=%r>" % (self.id[:6], self.user)


class SessionStore:
    """A bounded table of sessions, keyed by the ``cookie`` named cookie.

    ``clock`` (milliseconds, default ``port.ticks_ms``) is injectable for
    tests.  ``secure=True`` adds the Secure cookie attribute (RFC 6265
    §4.1.2.5): use it when the server is reached over TLS only.
    """

    def __init__(
        self,
        max_sessions: int = 16,
        ttl_s: int = 1800,
        cookie: str = "rsid",
        secure: bool = False,
        max_items: int = 32,
        clock: "Optional[Callable[[], int]]" = None,
    ) -> None:
        if max_sessions < 1 or ttl_s < 1:
            raise ValueError("max_sessions and ttl_s must be positive")
        self.max_sessions = max_sessions
        self.ttl_ms = ttl_s * 1000
        self.cookie = cookie
        self.secure = secure
        self.max_items = max_items
        self._clock = clock if clock is not None else port.ticks_ms
        self._table = {}  # type: Dict[str, Session]
        # Pages run on worker threads: guard the table.
        self._lock = port.allocate_lock()
        self._swept_ms = self._clock()

    def __len__(self) -> int:
        return len(self._table)

    # -- lookup ------------------------------------------------------------

    def _expired(self, session: Session, now_ms: int) -> bool:
        return port.ticks_diff(now_ms, session._seen_ms) >= self.ttl_ms

    def _purge(self, now_ms: int) -> None:
        # Lock held.
        self._swept_ms = now_ms
        for sid in [s for s in self._table if self._expired(self._table[s], now_ms)]:
            self._table.pop(sid)._dead = True

    def _find(self, request: "Request", now_ms: int) -> "Optional[Session]":
        # Lock held.  The session this request already uses, else the one its
        # cookie names; unknown, malformed or expired ids are ignored.
        session = request.current_session  # type: Optional[Session]
        if session is not None and not session._dead:
            session._seen_ms = now_ms
            return session
        if port.ticks_diff(now_ms, self._swept_ms) >= _SWEEP_MS:
            self._purge(now_ms)
        sid = request.cookies.get(self.cookie)
        if sid is None or len(sid) != 2 * _ID_BYTES:
            return None
        session = self._table.get(sid)
        if session is None:
            return None
        if self._expired(session, now_ms):
            self._table.pop(sid)._dead = True
            return None
        session._seen_ms = now_ms
        request.current_session = session
        return session

    def get(self, request: "Request") -> "Optional[Session]":
        """The request's live session, or None; never creates one."""
        with self._lock:
            return self._find(request, self._clock())

    def attach(self, request: "Request") -> Session:
        """The request's session, created when the cookie names none alive."""
        with self._lock:
            now_ms = self._clock()
            session = self._find(request, now_ms)
            if session is None:
                session = self._create(now_ms)
                request.current_session = session
            return session

    def _create(self, now_ms: int) -> Session:
        # Lock held.
        table = self._table
        if len(table) >= self.max_sessions:
            self._purge(now_ms)
        if len(table) >= self.max_sessions:
            # Still full: evict the least recently used session.
            oldest = None  # type: Optional[Session]
            for s in table.values():
                if oldest is None or port.ticks_diff(s._seen_ms, oldest._seen_ms) < 0:
                    oldest = s
            if oldest is not None:
                table.pop(oldest.id)._dead = True
        while True:
            raw = port.random_bytes(_ID_BYTES)
            sid = "".join(_HEX[b >> 4] + _HEX[b & 15] for b in raw)
            if sid not in table:
                break
        session = Session(self, sid, now_ms)
        table[sid] = session
        return session

    def _remove(self, session: Session) -> None:
        with self._lock:
            if self._table.get(session.id) is session:
                del self._table[session.id]
            session._dead = True

    def regenerate(self, request: "Request") -> Session:
        """A new session id for the request's session (fixation defence).

        OWASP session management: after a privilege change (login) the old
        id, which an attacker may have planted, must stop working.  The data
        and user move to a fresh session; the old one is invalidated and the
        response carries the new cookie.
        """
        old = self.attach(request)
        with self._lock:
            new = self._create(self._clock())
        new._data = old._data
        new.user = old.user
        old._data = {}
        old.invalidate()
        request.current_session = new
        return new

    # -- response ----------------------------------------------------------

    def finish(self, request: "Request", response: "Response") -> None:
        """Add the session cookie to response; the server calls it after every handler.

        A session created during the request gets ``Set-Cookie: rsid=<id>;
        Path=/; HttpOnly; SameSite=Lax`` (no Max-Age: a browser-session
        cookie; the server-side ttl decides expiry).  An invalidated one gets
        the same name with ``Max-Age=0``, which RFC 6265 §5.2.2 turns into
        immediate deletion.
        """
        session = request.current_session
        if session is None or not isinstance(session, Session) or session._store is not self:
            return
        if session._dead:
            if self.cookie in request.cookies or not session._new:
                response.set_cookie(self.cookie, "", 0, secure=self.secure)
        elif session._new:
            session._new = False
            response.set_cookie(self.cookie, session.id, secure=self.secure)
