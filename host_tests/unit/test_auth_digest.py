# DigestAuth (RFC 7616); runs on both runtimes.  Expected digests are computed
# here with hashlib directly, and checked against the RFC's own example.
import binascii
import hashlib

from remora.http.auth import Throttle, Users
from remora.http.auth_digest import DigestAuth, parse_params, response_for
from remora.http.request import Request

NOW = [1000]


def clock():
    return NOW[0]


def H(alg, text):
    fn = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    return binascii.hexlify(fn(text.encode()).digest()).decode()


def client(alg, user, realm, password, method, uri, nonce, nc, cnonce):
    ha1 = H(alg, "%s:%s:%s" % (user, realm, password))
    ha2 = H(alg, "%s:%s" % (method, uri))
    return H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))


def req(authz=None, target="/dir/index.html", method="GET", peer=("10.0.0.1", 1)):
    fields = [("host", "a")]
    if authz is not None:
        fields.append(("authorization", authz))
    r = Request(method, target, "HTTP/1.1", fields)
    r.peer = peer
    return r


def header(alg, user, password, nonce, nc, cnonce, uri, realm, opaque, method="GET",
           digest=None, extra=""):
    if digest is None:
        digest = client(alg, user, realm, password, method, uri, nonce, nc, cnonce)
    return ('Digest username="%s", realm="%s", uri="%s", algorithm=%s, nonce="%s", '
            'nc=%s, cnonce="%s", qop=auth, response="%s", opaque="%s"%s'
            % (user, realm, uri, alg, nonce, nc, cnonce, digest, opaque, extra))


# -- parse_params ---------------------------------------------------------------
p = parse_params('a=1, b="x, y", c="q\\"uote\\\\", D = tok ,e=""')
assert p == {"a": "1", "b": "x, y", "c": 'q"uote\\', "d": "tok", "e": ""}, p
assert parse_params("") == {} and parse_params(" , ,") == {}
for bad in ('a="open', "a=1, a=2", "a b=1", "a=1 b=2", "novalue", "=x", 'a="x"y',
            ",".join("p%d=1" % i for i in range(17))):
    assert parse_params(bad) is None, bad

# -- RFC 7616 §3.9.1: Mufasa, both algorithms --------------------------------------
RFC = {
    "realm": "http-auth@example.org", "uri": "/dir/index.html",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
}
EXPECT = {"MD5": "8ca523f5e9506fed4657c9700eebdbec",
          "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"}
users = Users({"Mufasa": "Circle of Life", "ann": "pw"})
for alg in ("MD5", "SHA-256"):
    got = response_for(alg, "Mufasa", RFC["realm"], "Circle of Life", "GET", RFC["uri"],
                       RFC["nonce"], "00000001", RFC["cnonce"])
    assert got == EXPECT[alg] == client(alg, "Mufasa", RFC["realm"], "Circle of Life", "GET",
                                        RFC["uri"], RFC["nonce"], "00000001", RFC["cnonce"])
    da = DigestAuth(users, realm=RFC["realm"], clock=clock)
    da.opaque = RFC["opaque"]
    da.issue_nonce(RFC["nonce"])
    # The RFC's header, verbatim apart from line folding.
    authz = ('Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
             'algorithm=%s, nonce="%s", nc=00000001, cnonce="%s", qop=auth, response="%s", '
             'opaque="%s"' % (alg, RFC["nonce"], RFC["cnonce"], EXPECT[alg], RFC["opaque"]))
    r = req(authz)
    assert da.check(r) == "Mufasa" and r.user == "Mufasa", alg
    # Replay: the same nc again fails; a higher nc (fresh digest) passes.
    assert da.check(req(authz)) is None, alg
    h2 = header(alg, "Mufasa", "Circle of Life", RFC["nonce"], "00000002", "abc",
                RFC["uri"], RFC["realm"], RFC["opaque"])
    assert da.check(req(h2)) == "Mufasa"
    assert da.check(req(h2)) is None
    h1 = header(alg, "Mufasa", "Circle of Life", RFC["nonce"], "00000001", "new",
                RFC["uri"], RFC["realm"], RFC["opaque"])
    assert da.check(req(h1)) is None  # lower nc: replay

# -- challenge ------------------------------------------------------------------------
# A lenient throttle: the bad-credential cases below must really be checked.
da = DigestAuth(users, realm="remora", throttle=Throttle(max_failures=100, clock=clock),
                clock=clock, nonce_ttl_s=300, max_nonces=4)
r = req()
assert da.check(r) is None and da.delay_ms(r) == 0
ch = da.challenge(r)
assert ch.status == 401
wa = [v for k, v in ch.headers if k == "www-authenticate"]
assert len(wa) == 2 and "algorithm=SHA-256" in wa[0] and "algorithm=MD5" in wa[1], wa
assert "stale" not in wa[0]
params = [parse_params(v[7:]) for v in wa]
for v, pp in zip(wa, params):
    assert v.startswith("Digest ") and v.endswith("charset=UTF-8")
    assert pp["realm"] == "remora" and pp["qop"] == "auth" and pp["opaque"] == da.opaque
    assert len(pp["nonce"]) == 32
nonce = params[0]["nonce"]
assert params[1]["nonce"] == nonce
OP = da.opaque


def mk(alg="SHA-256", user="ann", pw="pw", nc="00000001", uri="/dir/index.html",
       realm="remora", opaque=OP, n=None, method="GET", digest=None, extra=""):
    return header(alg, user, pw, n or nonce, nc, "c1", uri, realm, opaque, method, digest, extra)


assert da.check(req(mk())) == "ann"
assert da.check(req(mk("MD5", nc="00000002"))) == "ann"  # both algorithms
# Method is part of HA2.
assert da.check(req(mk(nc="00000003", method="POST"), method="POST")) == "ann"
assert da.check(req(mk(nc="00000004", method="GET"), method="POST")) is None
# The uri parameter must name the request target.
assert da.check(req(mk(nc="00000005", uri="/other"))) is None
assert da.check(req(mk(nc="00000006", uri="/other"), target="/dir/index.html")) is None
assert da.check(req(mk(nc="00000007", uri="/q?a=1,b"), target="/q?a=1,b")) == "ann"
# Bad user, password, realm, opaque, qop, nc, algorithm, userhash: all None.
for bad in (mk(nc="00000010", pw="nope"), mk(nc="00000011", user="nobody"),
            mk(nc="00000012", realm="other"), mk(nc="00000013", opaque="x"),
            mk(nc="0000014"), mk(nc="0000001g"), mk(alg="SHA-512", nc="00000015"),
            mk(nc="00000016", extra=", userhash=true"),
            mk(nc="00000017").replace("qop=auth", "qop=auth-int"),
            mk(nc="00000018", digest="0" * 64), 'Digest username="ann', "Digest ",
            "Digest username=ann, realm=remora"):
    assert da.check(req(bad)) is None, bad
# Quoted commas and escapes in parameters (user name with a comma and a quote).
users2 = Users({'a,"b': "pw"})
d2 = DigestAuth(users2, realm="r, with comma", clock=clock)
n2 = d2.issue_nonce()
h = ('Digest username="a,\\"b", realm="r, with comma", uri="/dir/index.html", '
     'algorithm=MD5, nonce="%s", nc=00000001, cnonce="x,y", qop="auth", response="%s"'
     % (n2, client("MD5", 'a,"b', "r, with comma", "pw", "GET", "/dir/index.html", n2,
                   "00000001", "x,y")))
assert d2.check(req(h)) == 'a,"b'  # opaque omitted: accepted
assert 'realm="r, with comma"' in d2.challenge(req()).get_header("www-authenticate")
# username* (RFC 8187) for a non-ASCII user.
d3 = DigestAuth(Users({"zoë": "pw"}), clock=clock)
n3 = d3.issue_nonce()
dig = client("SHA-256", "zoë", "remora", "pw", "GET", "/dir/index.html", n3, "00000001", "c")
h = ("Digest username*=UTF-8''zo%%C3%%AB, realm=\"remora\", uri=\"/dir/index.html\", "
     'algorithm=SHA-256, nonce="%s", nc=00000001, cnonce="c", qop=auth, response="%s"'
     % (n3, dig))
assert d3.check(req(h)) == "zoë"
# Missing algorithm means MD5 (RFC 7616 §3.3).
n3 = d3.issue_nonce()
dig = client("MD5", "zoë", "remora", "pw", "GET", "/dir/index.html", n3, "00000001", "c")
h2 = ("Digest username*=UTF-8''zo%%C3%%AB, realm=\"remora\", uri=\"/dir/index.html\", "
      'nonce="%s", nc=00000001, cnonce="c", qop=auth, response="%s"' % (n3, dig))
assert d3.check(req(h2)) == "zoë"

# -- stale nonces ----------------------------------------------------------------------
NOW[0] += 300 * 1000
r = req(mk(nc="00000020"))
assert da.check(r) is None
ch = da.challenge(r)
wa = [v for k, v in ch.headers if k == "www-authenticate"]
assert all(v.endswith(", stale=true") for v in wa), wa
fresh = parse_params(wa[0][7:])["nonce"]
assert fresh != nonce
assert da.check(req(mk(n=fresh))) == "ann"
# An unknown nonce with a valid digest is stale too; with a bad digest it is not.
r = req(mk(n="f" * 32))
assert da.check(r) is None and "stale=true" in da.challenge(r).get_header("www-authenticate")
r = req(mk(n="f" * 32, pw="bad"))
assert da.check(r) is None and "stale" not in da.challenge(r).get_header("www-authenticate")

# -- bounded nonce table -------------------------------------------------------------------
for i in range(10):
    da.issue_nonce()
    assert len(da._nonces) <= 4

# -- throttling: failures delay, successes clear ----------------------------------------
dt = DigestAuth(users, throttle=Throttle(max_failures=2, delay_ms=100, clock=clock),
                clock=clock)
nt = dt.issue_nonce()
bad = header("MD5", "ann", "wrong", nt, "00000001", "c", "/dir/index.html", "remora",
             dt.opaque)
good = header("MD5", "ann", "pw", nt, "00000002", "c", "/dir/index.html", "remora",
              dt.opaque)
assert dt.check(req(bad)) is None and dt.delay_ms(req()) == 0
assert dt.check(req(bad)) is None and dt.delay_ms(req()) == 100
assert dt.check(req(good)) is None  # blocked: not even checked
NOW[0] += 100
assert dt.check(req(good)) == "ann" and dt.delay_ms(req()) == 0

try:
    DigestAuth(users, algorithms=("SHA-512",))
except ValueError:
    pass
else:
    raise AssertionError("SHA-512 accepted")
assert DigestAuth(users, algorithms=("md5",)).algorithms == ("MD5",)

print("PASS")
