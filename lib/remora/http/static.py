"""Static files: a folder served with validators, ranges and precompressed twins.

``StaticFiles(root).serve(request)`` returns a Response, or None when no
file matches so the server goes on (to its 404).  What it does, with the
RFC that says why:

- Path safety: a path with a ``.`` or ``..`` segment, an empty interior
  segment (``//etc``), a backslash, NUL, an encoded ``/`` ``\\`` or NUL, or
  anything that would percent-decode a second time (``%252e``) matches no
  file: None, i.e. a 404 that tells a prober nothing.  Symbolic links inside
  root are followed (MicroPython cannot resolve them); keep root clean.
- A folder is only served through its index file, after a 301 from
  ``/dir`` to ``/dir/``; there is no listing.
- ETag ``"<size hex>-<mtime hex>"`` and Last-Modified, with If-None-Match and
  If-Modified-Since giving 304 (RFC 9110 §13.1.1, §13.1.3, §13.2.2).
- One byte range per request (RFC 9110 §14), with If-Range; several ranges
  are answered with the whole file, which §14.2 allows.
- ``name.gz`` beside ``name`` (or alone) is sent with ``Content-Encoding:
  gzip`` to clients that accept gzip.  Choice: a request carrying Range gets
  the plain file when there is one, so ranges always count plain bytes; with
  only ``name.gz`` a range counts the compressed bytes (the representation).
- No caching policy (Cache-Control) is set: that is the application's call.
"""

import os

from . import httpdate, mimetypes
from .response import Response

try:
    from typing import Iterator, List, Optional, Tuple

    from .request import Request
except ImportError:
    pass

_DIR_BIT = 0o040000  # S_IFDIR in st_mode
_TYPE_MASK = 0o170000
_DIGITS = "0123456789"
_FORBIDDEN_RAW = ("%2f", "%5c", "%00")  # encoded "/", "\" and NUL
_HEX = "0123456789abcdefABCDEF"


def _stat(path: str) -> "Optional[Tuple[bool, int, int]]":
    """(is_dir, size, mtime) of path, or None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st[0] & _TYPE_MASK) == _DIR_BIT, st[6], int(st[8])


def _decodes_again(path: str) -> bool:
    # A "%XX" left after the one decoding the request already did means the
    # client double-encoded (e.g. %252e%252e): refuse rather than guess which
    # layer of the stack would decode it next.
    i = path.find("%")
    while 0 <= i < len(path) - 2:
        if path[i + 1] in _HEX and path[i + 2] in _HEX:
            return True
        i = path.find("%", i + 1)
    return False


def safe_segments(raw_path: str, path: str) -> "Optional[List[str]]":
    """The path's segments when it is safe to map onto a folder, else None.

    A trailing slash gives a final empty segment (the folder marker).
    """
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    low = raw_path.lower()
    for bad in _FORBIDDEN_RAW:
        if bad in low:
            return None
    if _decodes_again(path):
        return None
    segs = path[1:].split("/")
    last = len(segs) - 1
    for i in range(len(segs)):
        seg = segs[i]
        # RFC 3986 §5.2.4: clients remove dot segments before sending, so a
        # "." or ".." that arrives here is an attempt to leave root.
        if seg == "." or seg == ".." or (seg == "" and i != last):
            return None
    return segs


def _etag_matches(header: str, etag: str) -> bool:
    # RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so "W/" on
    # either side is ignored; "*" matches any current representation.
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def _digits(text: str) -> int:
    # A non-negative decimal, -1 when empty or not all digits ("+1", "1_0").
    if not text or len(text) > 15:
        return -1
    for c in text:
        if c not in _DIGITS:
            return -1
    return int(text)


def parse_range(header: str, size: int) -> "Optional[Tuple[int, int]]":
    """A single byte range as (first, last) inclusive, (-1, -1) if unsatisfiable.

    None means "ignore Range and send 200": a malformed value, another unit
    or several ranges (RFC 9110 §14.2: a server MAY ignore the Range field).
    """
    header = header.strip()
    if header[:6].lower() != "bytes=":
        return None  # RFC 9110 §14.1: only the "bytes" unit is ours
    spec = header[6:].strip()
    if "," in spec:
        return None  # several ranges: we send the whole file instead
    dash = spec.find("-")
    if dash < 0:
        return None
    first, last = _digits(spec[:dash].strip()), spec[dash + 1 :].strip()
    if dash == 0:
        # RFC 9110 §14.1.1 suffix-range "-n": the last n bytes.
        n = _digits(last)
        if n < 0:
            return None
        if n == 0 or size == 0:
            return (-1, -1)
        return (max(0, size - n), size - 1)
    if first < 0:
        return None
    end = size - 1 if last == "" else _digits(last)
    if end < 0 and last != "":
        return None
    if last != "" and end < first:
        return None  # RFC 9110 §14.1.1: last < first is invalid, ignore
    # RFC 9110 §14.1.1: first-pos beyond the end is unsatisfiable; a last-pos
    # beyond the end means "to the end".
    if first >= size:
        return (-1, -1)
    return (first, min(end, size - 1))


def accepts_gzip(header: "Optional[str]") -> bool:
    """Whether an Accept-Encoding value accepts gzip (RFC 9110 §12.5.3).

    Only an explicit "gzip" (or "x-gzip", or "*") with a non-zero q counts:
    with no header at all we send identity, so tools like curl that send
    none get readable bytes.
    """
    if not header:
        return False
    star = False
    for item in header.split(","):
        parts = item.split(";")
        coding = parts[0].strip().lower()
        zero = False
        for param in parts[1:]:
            param = param.strip().lower()
            if param.startswith("q="):
                # qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" ... ) (§12.4.2)
                zero = param[2:].strip().rstrip("0") in ("", ".", "0.")
        if coding == "gzip" or coding == "x-gzip":
            return not zero  # an explicit entry wins over "*"
        if coding == "*":
            star = not zero
    return star


def _read_now(path: str, start: int, count: int) -> bytes:
    with open(path, "rb") as f:
        if start:
            f.seek(start)
        return f.read(count)


def _read(path: str, start: int, count: int, chunk: int) -> "Iterator[bytes]":
    # Opened on the first next(), closed at the end, on an error, and when
    # the consumer stops early (close() raises GeneratorExit in here).
    f = open(path, "rb")
    try:
        if start:
            f.seek(start)
        while count > 0:
            data = f.read(chunk if chunk < count else count)
            if not data:
                break  # the file shrank: the server sees a short body
            count -= len(data)
            yield data
    finally:
        f.close()


class StaticFiles:
    """Serve the files under ``root`` for GET and HEAD.

    ``prefix`` (e.g. ``"/static"``) mounts root below a URL path; requests
    outside it are not ours (None).
    """

    def __init__(
        self,
        root: str,
        index: "Tuple[str, ...]" = ("index.html",),
        chunk_size: int = 1024,
        prefix: str = "",
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.root = root.rstrip("/") if root != "/" else ""
        self.index = index
        self.chunk_size = chunk_size
        self.prefix = prefix.rstrip("/")

    def serve(self, request: "Request") -> "Optional[Response]":
        """The response for request, or None when no file matches."""
        path, raw = request.path, request.raw_path
        if self.prefix:
            n = len(self.prefix)
            if not path.startswith(self.prefix) or path[n : n + 1] != "/":
                return None
            path = path[n:]
        segs = safe_segments(raw, path)
        if segs is None:
            return None
        full = self.root + "/" + "/".join(segs)
        # Belt and braces: what we built must still lie under root.
        if not full.startswith(self.root + "/") or "/../" in full + "/":
            return None
        if segs[-1] == "":
            full = full[:-1]
            found = _stat(full) if full != self.root else (True, 0, 0)
            if found is None or not found[0]:
                return None  # "/file.txt/" is not a folder
            for name in self.index:
                resp = self._file(request, full + "/" + name)
                if resp is not None:
                    return resp
            return None  # no index: no listing
        found = _stat(full)
        if found is not None and found[0]:
            if not self._method_ok(request):
                return self._not_allowed()
            # A folder's relative links only work below "dir/": 301 there.
            loc = raw + "/" + ("?" + request.query if request.query else "")
            return Response.redirect(loc, 301)
        return self._file(request, full)

    @staticmethod
    def _method_ok(request: "Request") -> bool:
        return request.method == "GET" or request.method == "HEAD"

    @staticmethod
    def _not_allowed() -> Response:
        # RFC 9110 §15.5.6: a 405 MUST carry Allow.
        resp = Response(b"", 405)
        resp.set_header("allow", "GET, HEAD")
        return resp

    def _file(self, request: "Request", full: str) -> "Optional[Response]":
        plain = _stat(full)
        gz = _stat(full + ".gz")
        if plain is not None and plain[0]:
            plain = None
        if gz is not None and gz[0]:
            gz = None
        if plain is None and gz is None:
            return None
        if not self._method_ok(request):
            return self._not_allowed()
        ranged = request.header("range") is not None and request.method == "GET"
        # Send the .gz twin when the client takes gzip and, if it asked for a
        # range, there is no plain file to take it from; with only the twin
        # we send it even to a client that did not ask (RFC 9110 §12.5.3
        # lets us ignore Accept-Encoding rather than fail).
        use_gz = gz is not None and (
            plain is None or (accepts_gzip(request.header("accept-encoding")) and not ranged)
        )
        info = gz if use_gz else plain
        if info is None:  # never: one of them exists (keeps mypy sure)
            return None
        size, mtime = info[1], info[2]
        etag = '"%x-%x%s"' % (size, mtime, "-gz" if use_gz else "")
        modified = httpdate.utc_tuple(mtime)
        resp = Response(b"", 200)
        resp.set_header("etag", etag)
        if gz is not None:
            # RFC 9110 §12.5.5: the choice depended on Accept-Encoding.
            resp.set_header("vary", "Accept-Encoding")
        if self._not_modified(request, etag, modified):
            resp.status = 304  # RFC 9110 §15.4.5: ETag and Vary, no body
            return resp
        resp.set_header("last-modified", httpdate.format_date(mtime))
        resp.set_header("content-type", mimetypes.guess(full))
        if use_gz:
            resp.set_header("content-encoding", "gzip")
        first, last = 0, size - 1
        span = None
        if ranged and self._if_range(request, etag, modified):
            span = parse_range(request.header("range") or "", size)
        if span is not None:
            if span[0] < 0:
                # RFC 9110 §15.5.17: 416 says the current length.
                resp.status = 416
                resp.set_header("content-range", "bytes */%d" % size)
                resp.length = 0
                return resp
            first, last = span
            resp.status = 206
            resp.set_header("content-range", "bytes %d-%d/%d" % (first, last, size))
        else:
            resp.set_header("accept-ranges", "bytes")  # RFC 9110 §14.3
        resp.length = last - first + 1
        if request.method == "GET" and resp.length > 0:
            path = full + (".gz" if use_gz else "")
            if resp.length <= self.chunk_size:
                # Read now, before the head goes out: a file this small is
                # sent whole, or (short of heap) refused with a 503, never
                # cut off after its head.
                resp.body = _read_now(path, first, resp.length)
            else:
                resp.body = _read(path, first, resp.length, self.chunk_size)
        return resp

    @staticmethod
    def _not_modified(request: "Request", etag: str, modified: "Tuple[int, ...]") -> bool:
        # RFC 9110 §13.2.2 order: If-None-Match first; when it is present,
        # If-Modified-Since is not evaluated (§13.1.3).
        inm = request.header("if-none-match")
        if inm is not None:
            return _etag_matches(inm, etag)
        ims = request.header("if-modified-since")
        if ims is None:
            return False
        since = httpdate.parse_date(ims)
        # An invalid date is ignored (§13.1.3); otherwise 304 unless changed
        # after it, at the one-second resolution HTTP dates have.
        return since is not None and modified <= since

    @staticmethod
    def _if_range(request: "Request", etag: str, modified: "Tuple[int, ...]") -> bool:
        # RFC 9110 §13.1.5: honour Range only when the validator still
        # matches; an entity-tag uses the strong comparison (so never "W/"),
        # a date must equal Last-Modified exactly.  No If-Range: honour.
        cond = request.header("if-range")
        if cond is None:
            return True
        cond = cond.strip()
        if cond.startswith('"'):
            return cond == etag
        return httpdate.parse_date(cond) == modified
