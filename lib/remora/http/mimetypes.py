"""Content-Type from a file name's extension: a small fixed table.

CPython's ``mimetypes`` reads system files at import and MicroPython has no
such module, so remora carries the handful of types an embedded web UI
serves.  Text types carry ``; charset=utf-8`` (RFC 9110 §8.3.1, §8.3.2) so
browsers do not guess the encoding; anything unknown is
``application/octet-stream`` (RFC 9110 §8.3: a recipient may then treat it
as opaque data, which is the safe reading for an unknown file).
"""

try:
    from typing import Dict, Optional
except ImportError:
    pass

DEFAULT = "application/octet-stream"

_UTF8 = "; charset=utf-8"

# Extension (lower case, no dot) to media type.  A tuple of pairs, not a
# dict literal, only so the table is one constant object in the .mpy; it is
# turned into a dict on first lookup.  Bounded by construction: 26 entries.
_TABLE = (
    ("html", "text/html" + _UTF8),
    ("htm", "text/html" + _UTF8),
    ("css", "text/css" + _UTF8),
    ("js", "text/javascript" + _UTF8),  # RFC 9239 §6: text/javascript
    ("mjs", "text/javascript" + _UTF8),
    ("json", "application/json"),  # RFC 8259 §11: no charset parameter
    ("txt", "text/plain" + _UTF8),
    ("xml", "application/xml"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("ico", "image/x-icon"),
    ("webp", "image/webp"),
    ("wasm", "application/wasm"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),  # RFC 6713
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("woff", "font/woff"),  # RFC 8081
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("csv", "text/csv" + _UTF8),  # RFC 7111
    ("md", "text/markdown" + _UTF8),  # RFC 7763
)

_types = None  # type: Optional[Dict[str, str]]


def guess(name: str) -> str:
    """The media type for a file name or path, by its last extension.

    ``guess("a/b/style.css")`` is ``"text/css; charset=utf-8"``;
    ``guess("x.tar.gz")`` is ``"application/gzip"``; no or an unknown
    extension gives ``DEFAULT``.
    """
    global _types
    slash = name.rfind("/")
    dot = name.rfind(".")
    if dot <= slash + 1:
        # No dot in the last segment, or a dot file such as ".profile".
        return DEFAULT
    if _types is None:
        _types = dict(_TABLE)
    return _types.get(name[dot + 1 :].lower(), DEFAULT)


def add(extension: str, media_type: str) -> None:
    """Register or replace one extension's type (an app's extra files).

    The table stays bounded: at most 64 entries, beyond that ValueError.
    """
    global _types
    if _types is None:
        _types = dict(_TABLE)
    ext = extension.lstrip(".").lower()
    if ext not in _types and len(_types) >= 64:
        raise ValueError("mimetypes: table full")
    _types[ext] = media_type
