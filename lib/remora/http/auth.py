"""Authenticators: the common interface, failure throttling, users, Basic.

Every authenticator (``BasicAuth`` here, ``DigestAuth`` in auth_digest,
``FormAuth`` in auth_form; the last two also load lazily from this module)
offers:

- ``check(request) -> Optional[str]``: the user name when the request carries
  valid credentials, else None; it also sets ``request.user``.
- ``challenge(request) -> Response``: what to send when check failed.
- ``delay_ms(request) -> int``: how long the server should wait before it
  sends that challenge (``await port.sleep_ms(auth.delay_ms(request))``).

Throttling: a client (by address) that failed ``max_failures`` times within
``window_s`` of its previous failure is delayed ``delay_ms``, doubling with
each further failure up to ``cap_ms``.  While that delay runs from its last
failure, its attempts are refused *without checking the password*, so
parallel connections gain an attacker nothing even on a server that does
not wait.  A success clears the client's record.
"""

import binascii

from .. import port
from .response import Response
from .signing import equal  # noqa: F401  (auth_digest, auth_bearer take it from here)

try:
    from typing import Any, Callable, Dict, List, Optional, Tuple

    from .request import Request
except ImportError:
    pass


class Users:
    """A user table: name to password (plain text, needed by Digest's HA1)."""

    def __init__(self, passwords: "Dict[str, str]") -> None:
        self._passwords = passwords

    def password(self, name: str) -> "Optional[str]":
        return self._passwords.get(name)

    def verify(self, name: str, password: str) -> bool:
        """Check a password in constant time; an unknown user costs the same."""
        secret = self._passwords.get(name)
        given = password.encode()
        if secret is None:
            equal(given, given)  # same work as a real comparison
            return False
        return equal(given, secret.encode())


class Throttle:
    """Failure counts per client address, bounded to ``max_entries``.

    Clients are keyed by ``request.peer``'s host (a request without a peer
    shares one bucket).  When the table is full, expired records go first,
    then the one idle longest.  ``clock`` (ms) is injectable for tests.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_s: int = 60,
        delay_ms: int = 1000,
        max_entries: int = 32,
        cap_ms: int = 8000,
        clock: "Optional[Callable[[], int]]" = None,
    ) -> None:
        self.max_failures = max_failures
        self.window_ms = window_s * 1000
        self.base_ms = delay_ms
        self.max_entries = max_entries
        self.cap_ms = cap_ms
        self._clock = clock if clock is not None else port.ticks_ms
        self._table = {}  # type: Dict[str, List[int]]  # key -> [failures, last_ms]
        self._lock = port.allocate_lock()

    @staticmethod
    def _key(request: "Request") -> str:
        peer = request.peer
        if isinstance(peer, (tuple, list)) and peer:
            return str(peer[0])  # the host; the port changes per connection
        if isinstance(peer, (bytes, bytearray, memoryview)):
            # A raw struct sockaddr (MicroPython's unix port): the port sits
            # at bytes 2-3 in sockaddr_in and sockaddr_in6 alike; drop it.
            # Keys are all str: MicroPython warns when it compares a bytes
            # key with a str key in one dict.
            raw = bytes(peer)
            if len(raw) >= 8:
                raw = raw[:2] + raw[4:]
            return "".join("%02x" % b for b in raw)
        return str(peer) if peer is not None else ""

    def _entry(self, request: "Request", now_ms: int) -> "Optional[List[int]]":
        # Lock held.  The client's live record; one past its window is dropped.
        key = self._key(request)
        entry = self._table.get(key)
        if entry is not None and port.ticks_diff(now_ms, entry[1]) >= self.window_ms:
            del self._table[key]
            return None
        return entry

    def _delay(self, entry: "Optional[List[int]]") -> int:
        if entry is None or entry[0] < self.max_failures:
            return 0
        shift = entry[0] - self.max_failures
        return min(self.cap_ms, self.base_ms << (shift if shift < 16 else 16))

    def failure(self, request: "Request") -> None:
        """Count a failed attempt."""
        with self._lock:
            now_ms = self._clock()
            entry = self._entry(request, now_ms)
            if entry is None:
                table = self._table
                if len(table) >= self.max_entries:
                    for k in [k for k in table if port.ticks_diff(now_ms, table[k][1])
                              >= self.window_ms]:
                        del table[k]
                if len(table) >= self.max_entries:
                    idlest = None  # type: Any
                    for k in table:
                        if idlest is None or port.ticks_diff(table[k][1], table[idlest][1]) < 0:
                            idlest = k
                    del table[idlest]
                entry = table[self._key(request)] = [0, now_ms]
            entry[0] += 1
            entry[1] = now_ms

    def success(self, request: "Request") -> None:
        """Forget the client's failures."""
        with self._lock:
            self._table.pop(self._key(request), None)

    def delay_ms(self, request: "Request") -> int:
        """0 below max_failures, then base doubling per failure, at most cap_ms."""
        with self._lock:
            return self._delay(self._entry(request, self._clock()))

    def blocked(self, request: "Request") -> bool:
        """True while the client's delay since its last failure still runs."""
        with self._lock:
            now_ms = self._clock()
            entry = self._entry(request, now_ms)
            delay = self._delay(entry)
            return entry is not None and delay > 0 and port.ticks_diff(now_ms, entry[1]) < delay


class Authenticator:
    """Base of the authenticators: throttle bookkeeping around check()."""

    def __init__(self, users: Users, throttle: "Optional[Throttle]" = None) -> None:
        self.users = users
        self.throttle = throttle if throttle is not None else Throttle()

    def check(self, request: "Request") -> "Optional[str]":
        raise NotImplementedError

    def challenge(self, request: "Request") -> Response:
        raise NotImplementedError

    def delay_ms(self, request: "Request") -> int:
        """How long to wait before sending this client a challenge."""
        return self.throttle.delay_ms(request)

    def _passed(self, request: "Request", user: str) -> str:
        self.throttle.success(request)
        request.user = user
        return user

    def _failed(self, request: "Request") -> None:
        self.throttle.failure(request)
        request.user = None


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64decode(text: str) -> "Optional[bytes]":
    # Both runtimes' a2b_base64 skip stray characters; RFC 7617 §2 wants a
    # token68 of base64 (RFC 4648 §4), so validate first, strictly.
    body = text.rstrip("=")
    if len(text) % 4 or len(text) - len(body) > 2 or len(text) > 1024:
        return None
    for c in body:
        if c not in _B64:
            return None
    try:
        return binascii.a2b_base64(text)
    except ValueError:
        return None


def parse_basic(header: str) -> "Optional[Tuple[str, str]]":
    """``Basic dXNlcjpwYXNz`` to ("user", "pass"), None when malformed.

    RFC 7617 §2: user-id and password are split at the first colon; with
    ``charset="UTF-8"`` announced (§2.1) both are UTF-8, and bytes that are
    not UTF-8 make the credentials invalid.
    """
    header = header.strip()
    if header[:6].lower() != "basic ":
        return None
    raw = _b64decode(header[6:].strip())
    if raw is None:
        return None
    colon = raw.find(b":")
    if colon < 0:
        return None
    try:
        return raw[:colon].decode(), raw[colon + 1 :].decode()
    except UnicodeError:
        return None


def quote_param(value: str) -> str:
    """A quoted-string (RFC 9110 §5.6.4), escaping quote and backslash."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BasicAuth(Authenticator):
    """HTTP Basic (RFC 7617).  Use it over TLS: the password travels in clear."""

    def __init__(
        self, users: Users, realm: str = "remora", throttle: "Optional[Throttle]" = None
    ) -> None:
        Authenticator.__init__(self, users, throttle)
        self.realm = realm

    def check(self, request: "Request") -> "Optional[str]":
        header = request.header("authorization")
        request.user = None
        if header is None or header.strip()[:6].lower() != "basic ":
            return None  # no Basic credentials: not a failure, just a challenge
        if self.throttle.blocked(request):
            return None
        creds = parse_basic(header)
        if creds is not None and self.users.verify(creds[0], creds[1]):
            return self._passed(request, creds[0])
        self._failed(request)
        return None

    def challenge(self, request: "Request") -> Response:
        # RFC 7617 §2.1: charset="UTF-8" is the only value allowed.
        resp = Response("Authentication required\n", 401, None, "text/plain; charset=utf-8")
        resp.set_header(
            "www-authenticate", "Basic realm=%s, charset=\"UTF-8\"" % quote_param(self.realm)
        )
        return resp
