"""Percent-decoding and form/query parsing (RFC 3986 §2.1, WHATWG urlencoded).

Small and allocation-aware: the common case (nothing to decode) returns the
input unchanged.
"""

try:
    from typing import Dict
except ImportError:
    pass

_HEX = "0123456789abcdefABCDEF"


def unquote_bytes(text: str, plus: bool = False) -> bytes:
    """Percent-decode text to bytes; '+' becomes a space when plus is True.

    A '%' not followed by two hex digits stays as it is (browsers do the same).
    """
    raw = text.encode()
    if plus:
        raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        j = raw.find(b"%", i)
        if j < 0:
            out += raw[i:]
            break
        out += raw[i:j]
        pair = raw[j + 1 : j + 3]
        if len(pair) == 2 and chr(pair[0]) in _HEX and chr(pair[1]) in _HEX:
            out.append(int(pair, 16))
            i = j + 3
        else:
            out.append(0x25)  # a lone '%'
            i = j + 1
    return bytes(out)


def unquote(text: str, plus: bool = False) -> str:
    """Percent-decode text as UTF-8 (invalid sequences raise UnicodeError)."""
    if "%" not in text and not (plus and "+" in text):
        return text
    return unquote_bytes(text, plus).decode()


def parse_qs(text: str) -> "Dict[str, str]":
    """``a=1&b=x%20y`` to a dict; a repeated name keeps its last value."""
    result = {}  # type: Dict[str, str]
    if not text:
        return result
    for part in text.split("&"):
        if not part:
            continue
        eq = part.find("=")
        if eq < 0:
            name, value = part, ""
        else:
            name, value = part[:eq], part[eq + 1 :]
        try:
            result[unquote(name, True)] = unquote(value, True)
        except UnicodeError:
            continue  # a field that is not UTF-8 is dropped, not fatal
    return result


def quote(text: str) -> str:
    """Percent-encode everything but unreserved characters (RFC 3986 §2.3)."""
    out = []
    for byte in text.encode():
        c = chr(byte)
        if c.isalpha() and byte < 128 or c.isdigit() or c in "-._~":
            out.append(c)
        else:
            out.append("%%%02X" % byte)
    return "".join(out)
