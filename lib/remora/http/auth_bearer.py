"""Bearer-token authentication for APIs (RFC 6750).

::

    from remora.http import BearerAuth
    app.protect("/api/", BearerAuth({"s3cr3t-token": "sensor-gateway"}))   # token -> user
    app.protect("/api/", BearerAuth(lambda token: lookup(token)))         # or a function

A request must carry ``Authorization: Bearer <token>``.  Without one the
answer is 401 with ``WWW-Authenticate: Bearer realm="..."`` (RFC 6750 §3);
with a wrong one the challenge adds ``error="invalid_token"``.  Tokens are
compared in constant time, and failures are throttled per client like the
other authenticators (auth.py).
"""

from .auth import Authenticator, Users, equal, quote_param
from .response import Response

try:
    from typing import Any, Callable, Dict, Optional, Union

    from .request import Request
except ImportError:
    pass

# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"


def bearer_token(header: "Optional[str]") -> "Optional[str]":
    """The token of ``Bearer <token>``, None when absent or malformed."""
    if header is None or header[:7].lower() != "bearer ":
        return None
    token = header[7:].strip()
    if not token or len(token) > 4096 or token.rstrip("=").strip(_B64TOKEN):
        return None
    return token


class BearerAuth(Authenticator):
    def __init__(self, tokens: "Union[Dict[str, str], Callable[[str], Optional[str]]]",
                 realm: str = "api", throttle: "Any" = None) -> None:
        Authenticator.__init__(self, Users({}), throttle)
        self.tokens = tokens
        self.realm = realm

    def user_of(self, token: str) -> "Optional[str]":
        """The user a token stands for, or None."""
        tokens = self.tokens
        if callable(tokens):
            return tokens(token)
        found = None
        sent = token.encode()
        for known, user in tokens.items():  # every one compared: no early exit
            if equal(sent, known.encode()):
                found = user
        return found

    def check(self, request: "Request") -> "Optional[str]":
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            request.user = None
            return None
        if self.throttle.blocked(request):
            return None
        user = self.user_of(token)
        if user is None:
            self._failed(request)
            return None
        return self._passed(request, user)

    def challenge(self, request: "Request") -> Response:
        value = "Bearer realm=%s" % quote_param(self.realm)
        if "authorization" in request.headers:
            value += ', error="invalid_token"'  # RFC 6750 §3.1
        resp = Response("401 Unauthorized\n", 401, None, "text/plain; charset=utf-8")
        resp.set_header("www-authenticate", value)
        return resp
