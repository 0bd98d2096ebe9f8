# SessionStore and Session; runs on both runtimes.  Time comes from a fake clock.
from remora.http.request import Request
from remora.http.response import Response
from remora.http.session import Session, SessionStore

NOW = [1000]


def clock():
    return NOW[0]


def req(cookie=None):
    fields = [("host", "a")]
    if cookie is not None:
        fields.append(("cookie", cookie))
    return Request("GET", "/", "HTTP/1.1", fields)


def finish(store, request):
    resp = Response()
    store.finish(request, resp)
    return [v for k, v in resp.headers if k == "set-cookie"]


def cookie_of(headers):
    assert len(headers) == 1, headers
    return headers[0].split(";")[0]


store = SessionStore(max_sessions=3, ttl_s=10, clock=clock)

# A new session: random 32-hex id, cookie set once with the default attributes.
r = req()
assert store.get(r) is None  # get never creates
s = store.attach(r)
assert isinstance(s, Session) and len(s.id) == 32 and s.user is None and s.valid
assert store.attach(r) is s and store.get(r) is s  # same request, same session
assert r.current_session is s
hdrs = finish(store, r)
assert hdrs == ["rsid=%s; Path=/; HttpOnly; SameSite=Lax" % s.id], hdrs
assert finish(store, r) == []  # sent once
assert len(store) == 1

# Dict-like.
s["n"] = 1
s["name"] = "x"
assert s["n"] == 1 and "n" in s and "zz" not in s and s.get("zz", 5) == 5 and len(s) == 2
assert s.pop("name") == "x" and s.pop("name", None) is None
del s["n"]
assert len(s) == 0
try:
    s["missing"]
except KeyError:
    pass
else:
    raise AssertionError("KeyError expected")

# Reuse: the next request with the cookie finds it and sets no cookie.
s["k"] = "v"
r2 = req(cookie_of(hdrs))
assert store.attach(r2) is s
assert finish(store, r2) == []
r3 = req("other=1; " + cookie_of(hdrs) + "; x=y")
assert store.get(r3) is s

# Unknown, malformed and foreign ids are ignored: a new session.
for bad in ("rsid=" + "0" * 32, "rsid=short", "rsid=", "RSID=" + s.id, "rsid=%s0" % s.id):
    rb = req(bad)
    assert store.get(rb) is None, bad
store2 = SessionStore(clock=clock)
rb = req("rsid=" + "f" * 32)
n = store2.attach(rb)
assert n.id != "f" * 32 and len(finish(store2, rb)) == 1

# Idle expiry: 10 s of no use.
NOW[0] += 9999
assert store.get(req(cookie_of(hdrs))) is s  # touched: the clock restarts
NOW[0] += 9999
assert store.get(req(cookie_of(hdrs))) is s
NOW[0] += 10000
assert store.get(req(cookie_of(hdrs))) is None and not s.valid
r4 = req(cookie_of(hdrs))
s4 = store.attach(r4)
assert s4 is not s and s4.id != s.id and "k" not in s4
assert len(finish(store, r4)) == 1

# Bound + LRU eviction: 3 sessions; a 4th evicts the least recently used.
store = SessionStore(max_sessions=3, ttl_s=10, clock=clock)
ids = []
for i in range(3):
    NOW[0] += 10
    ri = req()
    store.attach(ri)
    ids.append(cookie_of(finish(store, ri)))
NOW[0] += 10
assert store.get(req(ids[0])) is not None  # touch the oldest: now #1 is the LRU
NOW[0] += 10
new = store.attach(req())
assert len(store) == 3
assert store.get(req(ids[1])) is None  # evicted
assert store.get(req(ids[0])) is not None and store.get(req(ids[2])) is not None
# When full, expired sessions go first (not the LRU live one).
NOW[0] += 5000
live = store.attach(req())  # evicts one LRU (table full, none expired)
NOW[0] += 6000  # all but `live` (5-6 s older) are now past 10 s
keep = store.get(req("rsid=" + live.id))
assert keep is live
x = store.attach(req())
y = store.attach(req())
assert live.valid and x.valid and y.valid and len(store) == 3
for i in range(10):  # never more than max_sessions
    store.attach(req())
    assert len(store) <= 3

# Invalidate: removed; cookie cleared with Max-Age=0; next attach is new.
store = SessionStore(clock=clock, secure=True)
r = req()
s = store.attach(r)
c = cookie_of(finish(store, r))
assert finish(store, r) == []
r = req(c)
assert store.attach(r) is s
s.invalidate()
assert not s.valid and store.get(req(c)) is None and len(store) == 0
hdrs = finish(store, r)
assert hdrs == ["rsid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"], hdrs
r = req(c)
s2 = store.attach(r)
assert s2 is not s and s2.id != s.id
assert finish(store, r) == ["rsid=%s; Path=/; HttpOnly; SameSite=Lax; Secure" % s2.id]
# Invalidated then re-attached in one request: the new cookie replaces the old.
r = req("rsid=" + s2.id)
store.attach(r).invalidate()
s3 = store.attach(r)
assert finish(store, r) == ["rsid=%s; Path=/; HttpOnly; SameSite=Lax; Secure" % s3.id]

# Regenerate (login): data and user move to a new id; the old id is dead.
r = req("rsid=" + s3.id)
s3["cart"] = [1, 2]
s3.user = "ann"
s4 = store.regenerate(r)
assert s4.id != s3.id and s4["cart"] == [1, 2] and s4.user == "ann"
assert not s3.valid and store.get(req("rsid=" + s3.id)) is None
assert store.get(req("rsid=" + s4.id)) is s4
assert cookie_of(finish(store, r)) == "rsid=" + s4.id

# Each session is bounded too.
store = SessionStore(max_items=2, clock=clock)
s = store.attach(req())
s["a"] = 1
s["b"] = 2
s["a"] = 3  # replacing is fine
try:
    s["c"] = 3
except ValueError:
    pass
else:
    raise AssertionError("session grew past max_items")

# The Request.session property goes through app.sessions.attach.
class _App:
    sessions = SessionStore(clock=clock)


r = req()
r.app = _App()
assert r.session is r.session and r.session.valid
assert len(finish(_App.sessions, r)) == 1
# finish ignores requests whose session belongs to another store.
assert finish(SessionStore(clock=clock), r) == []

# The real clock works too.
store = SessionStore()
s = store.attach(req())
assert store.get(req("rsid=" + s.id)) is s

try:
    SessionStore(max_sessions=0)
except ValueError:
    pass
else:
    raise AssertionError("max_sessions=0 accepted")

print("PASS")
