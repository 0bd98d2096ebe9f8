# equal, Users, Throttle and BasicAuth (RFC 7617); runs on both runtimes.
import binascii

from remora.http import auth
from remora.http.auth import BasicAuth, Throttle, Users, equal, parse_basic
from remora.http.request import Request

NOW = [5000]


def clock():
    return NOW[0]


def req(authz=None, peer=("10.0.0.1", 40000), target="/admin/"):
    fields = [("host", "a")]
    if authz is not None:
        fields.append(("authorization", authz))
    r = Request("GET", target, "HTTP/1.1", fields)
    r.peer = peer
    return r


def basic(user, password):
    raw = user + b":" + password if isinstance(user, bytes) else (user + ":" + password).encode()
    return "Basic " + binascii.b2a_base64(raw).decode().strip()


# -- equal ----------------------------------------------------------------------
assert equal(b"secret", b"secret") and equal(b"", b"")
assert not equal(b"secret", b"secreT") and not equal(b"secret", b"secret!")
assert not equal(b"", b"x") and not equal(b"x", b"") and not equal(b"\x00", b"")
assert not equal(b"abc", b"ab")

# -- Users ------------------------------------------------------------------------
users = Users({"ann": "pw1", "bob": "Circle of Life", "zoë": "pässwörd"})
assert users.password("ann") == "pw1" and users.password("nobody") is None
assert users.verify("ann", "pw1") and not users.verify("ann", "pw2")
assert not users.verify("nobody", "pw1") and not users.verify("ann", "")

# -- parse_basic ------------------------------------------------------------------
assert parse_basic(basic("ann", "pw1")) == ("ann", "pw1")
assert parse_basic("basic " + basic("ann", "a:b:c")[6:]) == ("ann", "a:b:c")  # first colon
assert parse_basic(basic("", "")) == ("", "")
assert parse_basic(basic("zoë", "pässwörd")) == ("zoë", "pässwörd")
assert parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == ("Aladdin", "open sesame")  # RFC
for bad in ("Basic", "Basic ", "Basic !!!!", "Basic QWxh ZGRp", "Basic YWJj=", "Basic YW==x",
            "Basic YWJj", "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Basic " + "QUFB" * 300,
            basic(b"\xff\xfe", b"pw"), basic(b"ann", b"\xc3")):
    assert parse_basic(bad) is None, bad

# -- BasicAuth --------------------------------------------------------------------
ba = BasicAuth(users, realm="admin area", throttle=Throttle(clock=clock))
r = req()
assert ba.check(r) is None and r.user is None
assert ba.delay_ms(r) == 0
ch = ba.challenge(r)
assert ch.status == 401
assert ch.get_header("www-authenticate") == 'Basic realm="admin area", charset="UTF-8"'
r = req(basic("ann", "pw1"))
assert ba.check(r) == "ann" and r.user == "ann"
r = req(basic("zoë", "pässwörd"))
assert ba.check(r) == "zoë"
assert ba.check(req(basic("ann", "wrong"))) is None
assert ba.check(req(basic("nobody", "pw1"))) is None
assert ba.check(req("Basic %%%")) is None  # malformed
assert ba.check(req(basic(b"ann", b"pw1\xff"))) is None  # not UTF-8
assert ba.check(req("Digest username=ann")) is None  # another scheme: not a failure
assert BasicAuth(users, realm='say "hi"\\').challenge(req()).get_header(
    "www-authenticate") == 'Basic realm="say \\"hi\\"\\\\", charset="UTF-8"'

# -- Throttle -----------------------------------------------------------------------
t = Throttle(max_failures=3, window_s=60, delay_ms=1000, max_entries=4, cap_ms=8000,
             clock=clock)
a, b = req(peer=("10.0.0.1", 1)), req(peer=("10.0.0.1", 2))  # same host, other port
delays = []
for i in range(8):
    t.failure(a)
    delays.append(t.delay_ms(b))
assert delays == [0, 0, 1000, 2000, 4000, 8000, 8000, 8000], delays
assert t.blocked(a)
NOW[0] += 7999
assert t.blocked(a)
NOW[0] += 1
assert not t.blocked(a) and t.delay_ms(a) == 8000
other = req(peer=("10.0.0.2", 1))
assert t.delay_ms(other) == 0 and not t.blocked(other)
t.success(a)
assert t.delay_ms(a) == 0
# The window: failures older than window_s (since the last one) are forgotten.
for i in range(3):
    t.failure(a)
assert t.delay_ms(a) == 1000
NOW[0] += 60000
assert t.delay_ms(a) == 0
# No peer: one shared bucket; string peers work too.
for i in range(3):
    t.failure(req(peer=None))
assert t.delay_ms(req(peer=None)) == 1000 and t.delay_ms(req(peer="x")) == 0
# A raw sockaddr_in (what MicroPython's unix port gives): keyed without the port.
sa1 = bytearray(b"\x02\x00\x9c\x40\x0a\x00\x00\x07" + bytes(8))
sa2 = bytearray(b"\x02\x00\x9c\x41\x0a\x00\x00\x07" + bytes(8))
sa3 = bytearray(b"\x02\x00\x9c\x41\x0a\x00\x00\x08" + bytes(8))
for i in range(3):
    t.failure(req(peer=sa1))
assert t.delay_ms(req(peer=sa2)) == 1000 and t.delay_ms(req(peer=sa3)) == 0
# Bounded: never more than max_entries clients; the idlest is dropped.
t = Throttle(max_failures=1, max_entries=4, clock=clock)
for i in range(10):
    NOW[0] += 1
    t.failure(req(peer=("10.1.0.%d" % i, 1)))
    assert len(t._table) <= 4
assert t.delay_ms(req(peer=("10.1.0.9", 1))) == 1000
assert t.delay_ms(req(peer=("10.1.0.0", 1))) == 0

# BasicAuth with a throttle: failures delay, and while blocked even the right
# password is not checked; a success afterwards clears the record.
ba = BasicAuth(users, throttle=Throttle(max_failures=2, delay_ms=500, clock=clock))
for i in range(2):
    assert ba.check(req(basic("ann", "bad"))) is None
assert ba.delay_ms(req()) == 500
assert ba.check(req(basic("ann", "pw1"))) is None  # blocked
assert ba.check(req(basic("ann", "bad"), peer=("10.9.9.9", 1))) is None
NOW[0] += 500
assert ba.check(req(basic("ann", "bad"))) is None
assert ba.delay_ms(req()) == 1000
NOW[0] += 1000
assert ba.check(req(basic("ann", "pw1"))) == "ann"
assert ba.delay_ms(req()) == 0
# A request without credentials is no failure.
for i in range(5):
    ba.check(req())
assert ba.delay_ms(req()) == 0

# Lazy names: the package loads each authenticator's module on first use.
import remora.http

assert remora.http.DigestAuth.__name__ == "DigestAuth" and remora.http.FormAuth.__name__ == "FormAuth"
try:
    remora.http.Nothing
except AttributeError:
    pass
else:
    raise AssertionError("AttributeError expected")

print("PASS")
