"""URLs for the HTTP client: split, resolve a redirect's Location, add a query.

Only what a client needs (RFC 3986): ``scheme://[user:pass@]host[:port]
[/path][?query]``, with the schemes ``http``, ``https``, ``ws`` and ``wss``.
"""

from ..http.urlcoding import quote

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Tuple

# scheme -> (default port, secure)
_SCHEMES = {"http": (80, False), "https": (443, True), "ws": (80, False), "wss": (443, True)}


class URL:
    """A split URL: ``scheme``, ``host``, ``port``, ``target`` (path and
    query, as sent in the request line), ``secure`` (https, wss),
    ``userinfo`` ("user:password" or None)."""

    def __init__(self, text: str) -> None:
        colon = text.find("://")
        if colon < 0:
            raise ValueError("not an absolute URL: %r" % (text,))
        scheme = text[:colon].lower()
        if scheme not in _SCHEMES:
            raise ValueError("unsupported scheme %r" % (scheme,))
        default, self.secure = _SCHEMES[scheme]
        self.scheme = scheme
        rest = text[colon + 3 :]
        cut = len(rest)
        for c in "/?#":
            i = rest.find(c)
            if 0 <= i < cut:
                cut = i
        authority, target = rest[:cut], rest[cut:]
        hash_at = target.find("#")
        if hash_at >= 0:
            target = target[:hash_at]  # RFC 9110 §4.2.1: the fragment stays with the client
        if not target.startswith("/"):
            target = "/" + target
        self.target = target
        at = authority.rfind("@")
        self.userinfo = authority[:at] if at >= 0 else None  # "user:password"
        if at >= 0:
            authority = authority[at + 1 :]
        port = default
        if authority.startswith("["):  # an IPv6 literal (RFC 3986 §3.2.2)
            end = authority.find("]")
            host = authority[1:end]
            if authority[end + 1 : end + 2] == ":":
                port = int(authority[end + 2 :])
        elif ":" in authority:
            host, _, digits = authority.partition(":")
            port = int(digits) if digits else default
        else:
            host = authority
        if not host:
            raise ValueError("no host in %r" % (text,))
        self.host = host
        self.port = port
        self.default_port = port == default

    @property
    def authority(self) -> str:
        """The Host field's value (RFC 9110 §7.2): the port only when not the
        scheme's default."""
        host = "[" + self.host + "]" if ":" in self.host else self.host
        return host if self.default_port else "%s:%d" % (host, self.port)

    def key(self) -> str:
        """What a kept-alive connection is reused for."""
        return "%s:%s:%d" % ("s" if self.secure else "", self.host, self.port)

    def resolve(self, location: str) -> "URL":
        """The URL a redirect's Location names (RFC 9110 §10.2.2: it may be
        relative, RFC 3986 §5)."""
        if "://" in location[:16]:
            return URL(location)
        base = self.scheme + "://" + self.authority
        if location.startswith("//"):
            return URL(self.scheme + ":" + location)
        if location.startswith("/"):
            return URL(base + location)
        path = self.target.split("?", 1)[0]
        return URL(base + path[: path.rfind("/") + 1] + location)


def with_query(target: str, query: "Any") -> str:
    """target with ``query`` (a dict or a list of pairs) appended, each name
    and value percent-encoded (RFC 3986 §3.4)."""
    if not query:
        return target
    pairs = query.items() if hasattr(query, "items") else query
    text = "&".join(quote(str(k)) + "=" + quote(str(v)) for k, v in pairs)
    return target + ("&" if "?" in target else "?") + text


def split_userinfo(userinfo: str) -> "Tuple[str, str]":
    from ..http.urlcoding import unquote

    user, _, password = userinfo.partition(":")
    return unquote(user), unquote(password)
