# The HTTP client's URLs and its answers to a 401 (remora.httpc.url, .auth), on both
# runtimes: no sockets.  Digest vectors from RFC 7616 §3.9.1.
from remora.httpc.auth import authorization, basic, digest
from remora.httpc.url import URL, with_query


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type:
        return
    raise AssertionError("%s not raised" % exc_type.__name__)


u = URL("http://example.com/a/b?x=1#frag")
assert (u.scheme, u.host, u.port, u.target, u.secure) == ("http", "example.com", 80, "/a/b?x=1", False)
assert u.authority == "example.com" and u.userinfo is None
u = URL("HTTP://user:p%40ss@Host:8080")
assert (u.host, u.port, u.target, u.userinfo, u.authority) == ("Host", 8080, "/", "user:p%40ss", "Host:8080")
u = URL("wss://[::1]:9443/ws")
assert (u.host, u.port, u.secure, u.authority) == ("::1", 9443, True, "[::1]:9443")
assert URL("https://h/").port == 443 and URL("ws://h?q").target == "/?q"
raises(ValueError, URL, "ftp://h/")
raises(ValueError, URL, "/relative")
raises(ValueError, URL, "http:///nohost")
assert URL("http://h").key() != URL("https://h").key()

base = URL("http://h:81/dir/page?x")
assert base.resolve("other").target == "/dir/other"
assert base.resolve("/root?y=2").target == "/root?y=2"
r = base.resolve("//elsewhere/p")
assert (r.host, r.port, r.target) == ("elsewhere", 80, "/p")
r = base.resolve("https://s.example/")
assert (r.scheme, r.host, r.port) == ("https", "s.example", 443)

assert with_query("/p", {"q": "a b&c"}) == "/p?q=a%20b%26c"
assert with_query("/p?x=1", [("k", "é")]) == "/p?x=1&k=%C3%A9"
assert with_query("/p", None) == "/p"

assert basic("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="

params = {"realm": "http-auth@example.org", "qop": "auth, auth-int", "algorithm": "SHA-256",
          "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
          "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"}
cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
value = digest(params, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce)
assert 'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"' in value, value
assert "qop=auth" in value and "nc=00000001" in value and 'opaque="FQhe' in value
md5 = dict(params, algorithm="MD5")
value = digest(md5, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce)
if value is not None:  # MD5 only where the runtime's hashlib has it
    assert 'response="8ca523f5e9506fed4657c9700eebdbec"' in value, value

# Several challenges in one header: Digest (SHA-256 first) over Basic; Basic alone.
header = ('Basic realm="x", Digest realm="r", algorithm=MD5, nonce="n", qop="auth", '
          'Digest realm="r", algorithm=SHA-256, nonce="n", qop="auth"')
assert "algorithm=SHA-256" in authorization(header, ("u", "p"), "GET", "/")
assert authorization('Basic realm="x"', ("u", "p"), "GET", "/") == basic("u", "p")
assert authorization('Bearer realm="x"', ("u", "p"), "GET", "/") is None
assert authorization(None, ("u", "p"), "GET", "/") is None
assert authorization('Digest realm="r", algorithm=SHA-512-256, nonce="n"', ("u", "p"), "GET", "/") is None
print("PASS")
