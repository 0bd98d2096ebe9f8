"""Content-Type from a file name's extension: a small fixed table.

CPython's ``mimetypes`` reads system files at import and MicroPython has no
such module, so remora carries the handful of types an embedded web UI
serves.  Text types carry ``; charset=utf-8`` (RFC 9110 §8.3.1, §8.3.2) so
browsers do not guess the encoding; anything unknown is
``application/octet-stream`` (RFC 9110 §8.3: a recipient may then treat it
as opaque data, which is the safe reading for an unknown file).
"""

try:
    from typing import Dict
except ImportError:
    pass

DEFAULT = "application/octet-stream"

_UTF8 = "; charset=utf-8"

# Extension (lower case, no dot) to media type, as one string searched with
# find(): on a board a dict of 26 str pairs costs about 3 KB of heap, this
# string none (it stays in flash).  Each entry is "\n" ext " " type; a type
# ending in ";" gets _UTF8.  Bounded by construction: 26 entries.
_TABLE = (
    "\nhtml text/html;\nhtm text/html;\ncss text/css;"
    "\njs text/javascript;\nmjs text/javascript;"  # RFC 9239 §6: text/javascript
    "\njson application/json"  # RFC 8259 §11: no charset parameter
    "\ntxt text/plain;\nxml application/xml\nsvg image/svg+xml"
    "\npng image/png\njpg image/jpeg\njpeg image/jpeg\ngif image/gif"
    "\nico image/x-icon\nwebp image/webp\nwasm application/wasm"
    "\npdf application/pdf\nzip application/zip"
    "\ngz application/gzip"  # RFC 6713
    "\nmp3 audio/mpeg\nmp4 video/mp4"
    "\nwoff font/woff\nwoff2 font/woff2\nttf font/ttf"  # RFC 8081
    "\ncsv text/csv;"  # RFC 7111
    "\nmd text/markdown;"  # RFC 7763
    "\n"
)

_added = {}  # type: Dict[str, str]  # add(): an app's own extensions


def _lookup(ext: str) -> str:
    media_type = _added.get(ext)
    if media_type is not None:
        return media_type
    if not ext or "\n" in ext:
        return DEFAULT
    start = _TABLE.find("\n" + ext + " ")
    if start < 0:
        return DEFAULT
    start += len(ext) + 2
    media_type = _TABLE[start : _TABLE.find("\n", start)]
    return media_type[:-1] + _UTF8 if media_type.endswith(";") else media_type


def guess(name: str) -> str:
    """The media type for a file name or path, by its last extension.

    ``guess("a/b/style.css")`` is ``"text/css; charset=utf-8"``;
    ``guess("x.tar.gz")`` is ``"application/gzip"``; no or an unknown
    extension gives ``DEFAULT``.
    """
    slash = name.rfind("/")
    dot = name.rfind(".")
    if dot <= slash + 1:
        # No dot in the last segment, or a dot file such as ".profile".
        return DEFAULT
    return _lookup(name[dot + 1 :].lower())


def add(extension: str, media_type: str) -> None:
    """Register or replace one extension's type (an app's extra files).

    The table stays bounded: at most 32 added extensions, beyond that ValueError.
    """
    ext = extension.lstrip(".").lower()
    if ext not in _added and len(_added) >= 32:
        raise ValueError("mimetypes: table full")
    _added[ext] = media_type
