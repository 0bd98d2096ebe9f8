# StaticFiles, mimetypes and httpdate; runs on both runtimes (cwd is the repo root).
import os
import time

from remora.http import httpdate, mimetypes
from remora.http.request import Request
from remora.http.static import StaticFiles, accepts_gzip, parse_range

ROOT = "host_tests/apps/static"
files = StaticFiles(ROOT, chunk_size=1024)


def req(target, method="GET", **headers):
    fields = [("host", "a")]
    for name in headers:
        fields.append((name.replace("_", "-"), headers[name]))
    return Request(method, target, "HTTP/1.1", fields)


def get(target, method="GET", **headers):
    return files.serve(req(target, method, **headers))


def body(resp):
    b = resp.body
    if isinstance(b, (bytes, str)):
        return b.encode() if isinstance(b, str) else b
    return b"".join(b)


def read(name):
    with open(ROOT + "/" + name, "rb") as f:
        return f.read()


def etag(name, gz=False):
    st = os.stat(ROOT + "/" + name)
    return '"%x-%x%s"' % (st[6], int(st[8]), "-gz" if gz else "")


HELLO = read("hello.txt")
DATA = read("data.bin")

# -- mimetypes ---------------------------------------------------------------
assert mimetypes.guess("a/index.html") == "text/html; charset=utf-8"
assert mimetypes.guess("x.CSS") == "text/css; charset=utf-8"
assert mimetypes.guess("x.js") == "text/javascript; charset=utf-8"
assert mimetypes.guess("x.json") == "application/json"
assert mimetypes.guess("x.woff2") == "font/woff2"
assert mimetypes.guess("x.tar.gz") == "application/gzip"
assert mimetypes.guess("noext") == mimetypes.DEFAULT == "application/octet-stream"
assert mimetypes.guess("dir.d/noext") == mimetypes.DEFAULT
assert mimetypes.guess(".profile") == mimetypes.DEFAULT
assert mimetypes.guess("x.unknown") == mimetypes.DEFAULT
assert mimetypes.guess("x.md") == "text/markdown; charset=utf-8"
assert mimetypes.guess("x.woff") == "font/woff"  # not woff2's type: whole extensions only
for odd in ("x.", "x.htm l", "x.html\nhtm", "x.text/html;", "x.ml"):
    assert mimetypes.guess(odd) == mimetypes.DEFAULT, odd
for ext in ("htm", "mjs", "txt", "xml", "svg", "png", "jpg", "jpeg", "gif", "ico", "webp",
            "wasm", "pdf", "zip", "mp3", "mp4", "woff", "ttf", "csv", "md"):
    assert mimetypes.guess("f." + ext) != mimetypes.DEFAULT, ext
mimetypes.add(".bin2", "application/x-two")
assert mimetypes.guess("f.bin2") == "application/x-two"

# -- httpdate ----------------------------------------------------------------
EXAMPLE = (1994, 11, 6, 8, 49, 37)
assert httpdate.parse_date("Sun, 06 Nov 1994 08:49:37 GMT") == EXAMPLE
assert httpdate.parse_date("Sunday, 06-Nov-94 08:49:37 GMT") == EXAMPLE
assert httpdate.parse_date("Sun Nov  6 08:49:37 1994") == EXAMPLE
for bad in ("", "yesterday", "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT"):
    assert httpdate.parse_date(bad) is None, bad
now = int(time.time())
assert httpdate.parse_date(httpdate.format_date(now)) == httpdate.utc_tuple(now)
text = httpdate.format_date(now)
assert len(text) == 29 and text.endswith(" GMT") and text[3:5] == ", ", text
# A known instant, whatever the port's epoch: format what gmtime says back.
t = time.gmtime(now)
assert text[5:7] == "%02d" % t[2] and text[12:16] == "%04d" % t[0]

# -- plain GET / HEAD --------------------------------------------------------
r = get("/hello.txt")
assert r.status == 200
assert r.get_header("content-type") == "text/plain; charset=utf-8"
assert r.get_header("accept-ranges") == "bytes"
assert r.get_header("etag") == etag("hello.txt")
assert r.get_header("cache-control") is None
assert r.get_header("vary") is None and r.get_header("content-encoding") is None
lm = r.get_header("last-modified")
assert httpdate.parse_date(lm) == httpdate.utc_tuple(os.stat(ROOT + "/hello.txt")[8])
assert r.length == len(HELLO) and body(r) == HELLO

r = get("/hello.txt", "HEAD")
assert r.status == 200 and r.length == len(HELLO) and r.body == b""
assert r.get_header("etag") == etag("hello.txt")

# Chunked reading: 3000 bytes in 1024-byte pieces.
r = get("/data.bin")
assert r.get_header("content-type") == "application/octet-stream"
chunks = list(r.body)
assert [len(c) for c in chunks] == [1024, 1024, 952], [len(c) for c in chunks]
assert b"".join(chunks) == DATA

# Early stop closes the file (generator close runs the finally).
r = get("/data.bin")
gen = r.body
assert next(gen) == DATA[:1024]
gen.close()
# Not started: nothing was opened, closing is harmless.
get("/data.bin").body.close()

r = get("/empty.txt")
assert r.status == 200 and r.length == 0 and body(r) == b""

# Other methods on an existing file: 405 with Allow.
for m in ("POST", "PUT", "DELETE"):
    r = get("/hello.txt", m)
    assert r.status == 405 and r.get_header("allow") == "GET, HEAD", m
assert get("/sub", "POST").status == 405
# ...but a missing file is not ours whatever the method.
assert get("/missing.txt", "POST") is None
assert get("/missing.txt") is None

# -- directories -------------------------------------------------------------
r = get("/")
assert r.status == 200 and r.get_header("content-type") == "text/html; charset=utf-8"
assert body(r) == read("index.html")
r = get("/sub")
assert r.status == 301 and r.get_header("location") == "/sub/"
r = get("/sub?x=1")
assert r.status == 301 and r.get_header("location") == "/sub/?x=1"
assert body(get("/sub/")) == read("sub/index.html")
assert body(get("/sub/page.txt")) == read("sub/page.txt")
assert get("/noindex/") is None  # no index, no listing
assert get("/noindex/file.txt").status == 200
assert get("/hello.txt/") is None  # a file is not a folder

# -- path safety: all of these are None (404) --------------------------------
for target in ("/../x", "/a/../../x", "/%2e%2e/x", "/%2E%2E%2Fx", "/..%2fx", "/..\\x",
               "/%5c..%5cx", "/%252e%252e/x", "/%252e%252e%252fhello.txt", "/./x",
               "/./hello.txt", "//etc/passwd", "/sub//page.txt", "/sub/../hello.txt",
               "/%2e/hello.txt", "/hello.txt%00", "/a%5chello.txt", "/%00", "/..",
               "/sub/.."):
    assert get(target) is None, target
    assert get(target, "HEAD") is None, target
assert get("/hello%2etxt").status == 200  # one harmless encoded dot is fine
# Not UTF-8: the request keeps the raw path; it matches nothing.
assert get("/%ff%fe") is None

# A prefix mount.
mounted = StaticFiles(ROOT, prefix="/static/")
assert body(mounted.serve(req("/static/hello.txt"))) == HELLO
assert mounted.serve(req("/hello.txt")) is None
assert mounted.serve(req("/statichello.txt")) is None
assert mounted.serve(req("/static/../hello.txt")) is None
assert mounted.serve(req("/static/sub")).get_header("location") == "/static/sub/"

# -- conditionals (RFC 9110 §13) ----------------------------------------------
tag = etag("hello.txt")
for inm in (tag, "W/" + tag, '"other", ' + tag, "*", ' "x" ,W/%s ' % tag):
    r = get("/hello.txt", if_none_match=inm)
    assert r.status == 304 and r.get_header("etag") == tag and body(r) == b"", inm
    assert r.length is None
assert get("/hello.txt", "HEAD", if_none_match=tag).status == 304
assert get("/hello.txt", if_none_match='"nope"').status == 200
future = httpdate.format_date(time.time() + 3600)
past = "Sun, 06 Nov 1994 08:49:37 GMT"
assert get("/hello.txt", if_modified_since=future).status == 304
assert get("/hello.txt", if_modified_since=lm).status == 304  # equal: not modified
assert get("/hello.txt", if_modified_since=past).status == 200
assert get("/hello.txt", if_modified_since="garbage").status == 200
# If-None-Match present: If-Modified-Since is not looked at (§13.1.3).
assert get("/hello.txt", if_none_match='"nope"', if_modified_since=future).status == 200
assert get("/hello.txt", if_none_match=tag, if_modified_since=past).status == 304

# -- ranges (RFC 9110 §14) ----------------------------------------------------
assert parse_range("bytes=0-4", 10) == (0, 4)
assert parse_range("bytes=5-", 10) == (5, 9)
assert parse_range("bytes=-3", 10) == (7, 9)
assert parse_range("bytes=-30", 10) == (0, 9)
assert parse_range("bytes=3-100", 10) == (3, 9)
assert parse_range("Bytes = 1-2", 10) is None
assert parse_range("BYTES=1-2", 10) == (1, 2)
assert parse_range("bytes=10-", 10) == (-1, -1)
assert parse_range("bytes=-0", 10) == (-1, -1)
assert parse_range("bytes=0-0", 0) == (-1, -1)
for bad in ("bytes=5-2", "bytes=a-b", "bytes=-", "bytes=1", "items=0-1", "bytes=+1-2",
            "bytes=1_0-20", "bytes=0-1,3-4", ""):
    assert parse_range(bad, 10) is None, bad

r = get("/data.bin", range="bytes=10-19")
assert r.status == 206 and r.get_header("content-range") == "bytes 10-19/3000"
assert r.length == 10 and body(r) == DATA[10:20]
assert r.get_header("accept-ranges") is None
r = get("/data.bin", range="bytes=2990-")
assert r.status == 206 and body(r) == DATA[2990:]
r = get("/data.bin", range="bytes=-5")
assert r.get_header("content-range") == "bytes 2995-2999/3000" and body(r) == DATA[-5:]
r = get("/data.bin", range="bytes=1000-2500")  # spans chunks
assert [len(c) for c in r.body] == [1024, 477]
r = get("/data.bin", range="bytes=3000-")
assert r.status == 416 and r.get_header("content-range") == "bytes */3000" and r.length == 0
assert get("/empty.txt", range="bytes=0-").status == 416
r = get("/data.bin", range="bytes=0-1,5-6")  # several ranges: whole file
assert r.status == 200 and r.length == 3000
assert get("/data.bin", range="bytes=9-3").status == 200  # malformed: ignored
assert get("/data.bin", range="bytes=x").status == 200
r = get("/data.bin", "HEAD", range="bytes=0-1")  # Range is for GET only
assert r.status == 200 and r.length == 3000 and r.body == b""
# If-Range: strong match honours the range, anything else sends it all.
tag = etag("data.bin")
assert get("/data.bin", range="bytes=0-1", if_range=tag).status == 206
assert get("/data.bin", range="bytes=0-1", if_range='"old"').status == 200
assert get("/data.bin", range="bytes=0-1", if_range="W/" + tag).status == 200
dlm = get("/data.bin").get_header("last-modified")
assert get("/data.bin", range="bytes=0-1", if_range=dlm).status == 206
assert get("/data.bin", range="bytes=0-1", if_range=past).status == 200

# -- precompressed twins ------------------------------------------------------
assert accepts_gzip("gzip") and accepts_gzip("deflate, gzip;q=0.5") and accepts_gzip("*")
assert accepts_gzip("GZIP ; q=1.0") and accepts_gzip("x-gzip")
for no in (None, "", "identity", "gzip;q=0", "gzip; q=0.000", "br, gzip;q=0.0",
           "*;q=0", "*, gzip;q=0", "deflate"):
    assert not accepts_gzip(no), no
assert accepts_gzip("gzip;q=0.001")

CSS, CSSGZ = read("style.css"), read("style.css.gz")
r = get("/style.css", accept_encoding="gzip, deflate, br")
assert r.status == 200 and r.get_header("content-encoding") == "gzip"
assert r.get_header("content-type") == "text/css; charset=utf-8"
assert r.get_header("vary") == "Accept-Encoding"
assert r.get_header("etag") == etag("style.css.gz", True)
assert r.length == len(CSSGZ) and body(r) == CSSGZ
r = get("/style.css")  # no Accept-Encoding: plain, still Vary
assert r.get_header("content-encoding") is None and body(r) == CSS
assert r.get_header("vary") == "Accept-Encoding" and r.get_header("etag") == etag("style.css")
assert get("/style.css", accept_encoding="gzip;q=0").get_header("content-encoding") is None
# A range is taken from the plain file (our choice).
r = get("/style.css", accept_encoding="gzip", range="bytes=0-3")
assert r.status == 206 and r.get_header("content-encoding") is None and body(r) == CSS[:4]
# The twin's validator gives 304 to the gzip client only.
gtag = etag("style.css.gz", True)
assert get("/style.css", accept_encoding="gzip", if_none_match=gtag).status == 304
assert get("/style.css", if_none_match=gtag).status == 200
# Only the .gz exists: it is sent gzip-encoded, with the original's type.
JSGZ = read("only.js.gz")
for ae in ("gzip", None):
    r = get("/only.js", accept_encoding=ae) if ae else get("/only.js")
    assert r.status == 200 and r.get_header("content-encoding") == "gzip"
    assert r.get_header("content-type") == "text/javascript; charset=utf-8"
    assert body(r) == JSGZ
r = get("/only.js", range="bytes=0-1")  # ranges count compressed bytes here
assert r.status == 206 and body(r) == JSGZ[:2]
# The .gz itself, by its own name, is a gzip file.
r = get("/style.css.gz")
assert r.get_header("content-type") == "application/gzip"
assert r.get_header("content-encoding") is None and body(r) == CSSGZ

print("PASS")
