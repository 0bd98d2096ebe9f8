"""HTTP Digest authentication (RFC 7616), qop=auth, SHA-256 and MD5.

The password never travels: the client proves it knows it by hashing it
with a server nonce.  Nonces are random, kept in a table of at most
``max_nonces`` entries for ``nonce_ttl_s`` seconds each, with the last
nonce-count seen: a request whose nc is not greater than the last accepted
one for its nonce is a replay and fails.  A flood of challenges can push
out older nonces; their clients then get ``stale=true`` and retry without
asking the user again (RFC 7616 §3.3).

Not offered: ``-sess`` algorithms, ``qop=auth-int`` and ``userhash``.
``username*`` (RFC 8187 encoding, for non-ASCII names) is accepted.
"""

import hashlib

from .. import port
from .auth import Authenticator, Throttle, Users, equal, quote_param
from .response import Response
from .urlcoding import unquote

try:
    from typing import Any, Callable, Dict, List, Optional, Tuple

    from .request import Request
except ImportError:
    pass

_HASHES = {"SHA-256": "sha256", "MD5": "md5"}
_HEXDIGITS = "0123456789abcdefABCDEF"
_MAX_PARAMS = 16
_MAX_HEADER = 2048


def parse_params(text: str) -> "Optional[Dict[str, str]]":
    """Comma-separated auth-params (RFC 9110 §11.2) to a dict, None if malformed.

    ``name=token`` or ``name="quoted, \\"string\\""``; names are lower-cased,
    quoted-pairs unescaped (RFC 9110 §5.6.4), a repeated name is malformed
    ("each parameter name MUST only occur once").
    """
    if len(text) > _MAX_HEADER:
        return None
    out = {}  # type: Dict[str, str]
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            return out
        eq = text.find("=", i)
        if eq < 0:
            return None
        name = text[i:eq].strip().lower()
        if not name or " " in name or "," in name or name in out or len(out) >= _MAX_PARAMS:
            return None
        i = eq + 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            chars = []
            i += 1
            while True:
                if i >= n:
                    return None  # no closing quote
                c = text[i]
                if c == "\\" and i + 1 < n:
                    i += 1
                    c = text[i]
                elif c == '"':
                    i += 1
                    break
                chars.append(c)
                i += 1
            value = "".join(chars)
        else:
            start = i
            while i < n and text[i] not in " \t,":
                i += 1
            value = text[start:i]
        out[name] = value
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] != ",":
            return None  # junk after a value


def _ext_value(value: str) -> "Optional[str]":
    # RFC 8187 §3.2: charset'language'pct-encoded; we take UTF-8 only.
    if value[:7].lower() != "utf-8''":
        return None
    try:
        return unquote(value[7:])
    except UnicodeError:
        return None


def _h(algorithm: str, text: str) -> str:
    name = _HASHES[algorithm]
    digest = (hashlib.sha256 if name == "sha256" else hashlib.md5)(text.encode()).digest()
    return "".join("%02x" % b for b in digest)


def response_for(
    algorithm: str, user: str, realm: str, password: str, method: str, uri: str,
    nonce: str, nc: str, cnonce: str, qop: str = "auth",
) -> str:
    """The request-digest a client computes (RFC 7616 §3.4.1, §3.4.2, §3.4.3)."""
    ha1 = _h(algorithm, user + ":" + realm + ":" + password)
    ha2 = _h(algorithm, method + ":" + uri)
    return _h(algorithm, ":".join((ha1, nonce, nc, cnonce, qop, ha2)))


class DigestAuth(Authenticator):
    """Digest authenticator; ``opaque`` is public so tests can pin it."""

    def __init__(
        self,
        users: Users,
        realm: str = "remora",
        algorithms: "Tuple[str, ...]" = ("SHA-256", "MD5"),
        nonce_ttl_s: int = 300,
        max_nonces: int = 32,
        throttle: "Optional[Throttle]" = None,
        clock: "Optional[Callable[[], int]]" = None,
    ) -> None:
        Authenticator.__init__(self, users, throttle)
        algs = tuple(a.upper() for a in algorithms)
        for alg in algs:
            if alg not in _HASHES:
                raise ValueError("unsupported digest algorithm: " + alg)
        if not algs or max_nonces < 1:
            raise ValueError("need an algorithm and room for a nonce")
        self.realm = realm
        self.algorithms = algs
        self.nonce_ttl_ms = nonce_ttl_s * 1000
        self.max_nonces = max_nonces
        self._clock = clock if clock is not None else port.ticks_ms
        self._nonces = {}  # type: Dict[str, List[int]]  # nonce -> [issued_ms, last nc]
        self._lock = port.allocate_lock()
        self.opaque = _random_hex()

    def issue_nonce(self, nonce: "Optional[str]" = None) -> str:
        """Remember a new nonce (random unless given: tests) and return it."""
        if nonce is None:
            nonce = _random_hex()
        with self._lock:
            now_ms = self._clock()
            table = self._nonces
            if len(table) >= self.max_nonces:
                for k in [k for k in table if self._expired(table[k], now_ms)]:
                    del table[k]
            if len(table) >= self.max_nonces:
                oldest = None  # type: Any
                for k in table:
                    if oldest is None or port.ticks_diff(table[k][0], table[oldest][0]) < 0:
                        oldest = k
                del table[oldest]
            table[nonce] = [now_ms, 0]
        return nonce

    def _expired(self, entry: "List[int]", now_ms: int) -> bool:
        return port.ticks_diff(now_ms, entry[0]) >= self.nonce_ttl_ms

    def check(self, request: "Request") -> "Optional[str]":
        request.user = None
        header = request.header("authorization")
        if header is None or header.strip()[:7].lower() != "digest ":
            return None  # no Digest credentials: challenge, not a failure
        if self.throttle.blocked(request):
            return None
        result = self._verify(request, parse_params(header.strip()[7:]))
        if result is None:
            self._failed(request)
            return None
        if result == "":
            # A valid digest for an old nonce: no failure, just stale=true.
            setattr(request, "_digest_stale", True)
            return None
        return self._passed(request, result)

    def _verify(self, request: "Request", p: "Optional[Dict[str, str]]") -> "Optional[str]":
        # The user name; "" for a stale nonce; None for bad credentials.
        if p is None:
            return None
        user = p.get("username")
        if user is None and "username*" in p:
            user = _ext_value(p["username*"])
        alg = p.get("algorithm", "MD5").upper()  # RFC 7616 §3.3: absent means MD5
        nonce, uri, got = p.get("nonce"), p.get("uri"), p.get("response")
        nc, cnonce = p.get("nc", ""), p.get("cnonce")
        if (user is None or nonce is None or uri is None or got is None or cnonce is None
                or p.get("realm") != self.realm or alg not in self.algorithms
                or p.get("qop", "").lower() != "auth"
                or p.get("userhash", "false").lower() != "false"
                or len(nc) != 8 or any(c not in _HEXDIGITS for c in nc)):
            return None
        # RFC 7616 §3.4.6: the uri parameter must name the request target, so
        # a digest captured for one resource opens no other.
        if uri != request.target:
            return None
        opaque = p.get("opaque")
        if opaque is not None and opaque != self.opaque:
            return None  # §3.3: opaque comes back unchanged
        password = self.users.password(user)
        expected = response_for(alg, user, self.realm, password or "", request.method, uri,
                                nonce, nc, cnonce)
        ok = equal(got.lower().encode(), expected.encode()) and password is not None
        if not ok:
            return None
        count = int(nc, 16)
        with self._lock:
            now_ms = self._clock()
            entry = self._nonces.get(nonce)
            if entry is None or self._expired(entry, now_ms):
                # §3.3 stale: the nonce is unknown or old but the digest valid.
                if entry is not None:
                    del self._nonces[nonce]
                return ""
            if count <= entry[1]:
                return None  # §3.4.5 nonce count not increasing: a replay
            entry[1] = count
        return user

    def challenge(self, request: "Request") -> Response:
        """401 with one WWW-Authenticate per algorithm, strongest first (§3.7)."""
        nonce = self.issue_nonce()
        stale = ", stale=true" if getattr(request, "_digest_stale", False) else ""
        resp = Response("Authentication required\n", 401, None, "text/plain; charset=utf-8")
        for alg in self.algorithms:
            resp.add_header(
                "www-authenticate",
                'Digest realm=%s, qop="auth", algorithm=%s, nonce="%s", opaque="%s", '
                "charset=UTF-8%s" % (quote_param(self.realm), alg, nonce, self.opaque, stale),
            )
        return resp


def _random_hex() -> str:
    return "".join("%02x" % b for b in port.random_bytes(16))
