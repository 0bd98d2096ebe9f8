"""Signed cookies: values a client can read but not change (HMAC-SHA256, RFC 2104).

::

    from remora.http.signing import sign, unsign
    resp.set_cookie("prefs", sign("dark", SECRET))           # "dark.<signature>"
    value = unsign(req.cookies.get("prefs"), SECRET)          # "dark", or None if forged

``Response.set_signed_cookie`` and ``Request.signed_cookie`` do the same.
A signature is the URL-safe base64 of HMAC-SHA256(secret, name + "=" +
value), so a value signed for one cookie is refused in another; the check
compares in constant time.  The value itself is not hidden: sign, do not
encrypt, and never put a password in a cookie.
"""

import binascii
import hashlib

try:
    from typing import Optional, Union
except ImportError:
    pass

_BLOCK = 64  # SHA-256's block size


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison: a is what the client sent, b the secret.

    The time depends on len(a) only (known to the client anyway): a length
    mismatch compares a with itself and still fails, with no early return.
    """
    diff = len(a) ^ len(b)
    if diff:
        b = a
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC (RFC 2104) with SHA-256: H((K ^ opad) || H((K ^ ipad) || m))."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + bytes(_BLOCK - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(message)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def _signature(value: str, secret: "Union[str, bytes]", name: str) -> str:
    if isinstance(secret, str):
        secret = secret.encode()
    mac = hmac_sha256(secret, (name + "=" + value).encode())
    text = binascii.b2a_base64(mac).decode().strip()
    return text.replace("+", "-").replace("/", "_").rstrip("=")


def sign(value: str, secret: "Union[str, bytes]", name: str = "") -> str:
    """value with its signature appended: ``value.signature``."""
    return value + "." + _signature(value, secret, name)


def unsign(signed: "Optional[str]", secret: "Union[str, bytes]", name: str = "") -> "Optional[str]":
    """The value of a signed string, or None when absent or its signature is wrong."""
    if not signed:
        return None
    dot = signed.rfind(".")
    if dot < 0:
        return None
    value = signed[:dot]
    sent = signed[dot + 1 :].encode()
    return value if equal(sent, _signature(value, secret, name).encode()) else None
