"""The client's answer to a 401 challenge: HTTP Basic (RFC 7617) or Digest
(RFC 7616: SHA-256, or MD5 where the runtime's hashlib has it; qop "auth",
or none for an RFC 2069 server).  The server side is ``remora.http.auth``."""

import binascii

from .. import port
from ..http.auth_digest import parse_params

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple


def basic(user: str, password: str) -> str:
    """The Authorization value for Basic (RFC 7617 §2: UTF-8, base64)."""
    raw = (user + ":" + password).encode()
    return "Basic " + binascii.b2a_base64(raw)[:-1].decode()


def _hash(algorithm: str, text: str) -> "Optional[str]":
    import hashlib

    # MD5 is not in every MicroPython build: a challenge with it is then
    # skipped, not failed.
    fn = getattr(hashlib, {"SHA-256": "sha256", "MD5": "md5"}.get(algorithm, "-"), None)
    if fn is None:
        return None
    return "".join("%02x" % b for b in fn(text.encode()).digest())


def _challenges(header: str) -> "List[Tuple[str, str]]":
    # (scheme, its parameters) of each challenge (RFC 9110 §11.6.1): a
    # header may hold several, joined with commas, each starting with its
    # scheme, a token followed by a space.
    out = []  # type: List[Tuple[str, str]]
    for word in ("Digest ", "Basic "):
        at = 0
        lower = header.lower()
        key = word.lower()
        while True:
            at = lower.find(key, at)
            if at < 0:
                break
            if at == 0 or header[at - 1] in ", \t":
                end = len(header)
                for other in ("digest ", "basic ", "bearer "):
                    nxt = lower.find(other, at + len(key))
                    if 0 <= nxt < end:
                        end = nxt
                out.append((word.strip(), header[at + len(key) : end].strip(" ,\t")))
            at += len(key)
    return out


def digest(
    params: "Dict[str, str]", user: str, password: str, method: str, uri: str,
    cnonce: "Optional[str]" = None,
) -> "Optional[str]":
    """The Authorization value answering one Digest challenge's parameters
    (RFC 7616 §3.4), or None for an algorithm we cannot compute.
    ``cnonce``: our nonce (random unless given, for tests)."""
    algorithm = params.get("algorithm", "MD5").upper()
    realm = params.get("realm", "")
    nonce = params.get("nonce", "")
    ha1 = _hash(algorithm, user + ":" + realm + ":" + password)
    ha2 = _hash(algorithm, method + ":" + uri)
    if ha1 is None or ha2 is None:
        return None
    qops = [q.strip() for q in params.get("qop", "").split(",")]
    fields = [
        'username="%s"' % user,
        'realm="%s"' % realm,
        'nonce="%s"' % nonce,
        'uri="%s"' % uri,
        "algorithm=" + algorithm,
    ]
    if "auth" in qops:
        # §3.4.1: with qop, the client's own nonce and a count go in too.
        if cnonce is None:
            cnonce = binascii.hexlify(port.random_bytes(8)).decode()
        nc = "00000001"
        response = _hash(algorithm, ":".join((ha1, nonce, nc, cnonce, "auth", ha2)))
        fields.append('cnonce="%s", nc=%s, qop=auth' % (cnonce, nc))
    else:
        response = _hash(algorithm, ha1 + ":" + nonce + ":" + ha2)  # RFC 2069
    fields.append('response="%s"' % response)
    if "opaque" in params:
        fields.append('opaque="%s"' % params["opaque"])
    return "Digest " + ", ".join(fields)


def authorization(
    header: "Optional[str]", creds: "Tuple[str, str]", method: str, uri: str
) -> "Optional[str]":
    """The Authorization value answering a WWW-Authenticate header with
    ``creds`` (user, password): Digest when offered (SHA-256 first), else
    Basic; None when no challenge can be answered."""
    if not header:
        return None
    user, password = creds
    found = _challenges(header)
    best = None  # type: Optional[str]
    for scheme, text in found:
        if scheme == "Digest":
            params = parse_params(text)
            if params is None:
                continue
            if params.get("algorithm", "MD5").upper() == "SHA-256" or best is None:
                value = digest(params, user, password, method, uri)
                if value is not None:
                    best = value
    if best is not None:
        return best
    for scheme, _text in found:
        if scheme == "Basic":
            return basic(user, password)
    return None
