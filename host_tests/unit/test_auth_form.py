# FormAuth: login and logout through a session; runs on both runtimes.
from remora.http.auth import Throttle, Users
from remora.http.auth_form import FormAuth, escape, safe_next
from remora.http.request import Request
from remora.http.response import Response
from remora.http.session import SessionStore
from remora.http.urlcoding import quote

NOW = [1000]


def clock():
    return NOW[0]


def req(method, target, cookie=None, form=None, peer=("10.0.0.1", 1)):
    fields = [("host", "a")]
    if cookie:
        fields.append(("cookie", cookie))
    if form is not None:
        fields.append(("content-type", "application/x-www-form-urlencoded"))
    r = Request(method, target, "HTTP/1.1", fields)
    if form is not None:
        r.body = "&".join(quote(k) + "=" + quote(form[k]) for k in form).encode()
    r.peer = peer
    return r


def run(handler, r):
    # What the server does: the handler, then the session's finish.
    resp = handler(r)
    sessions.finish(r, resp)
    return resp


def cookie(resp):
    got = [v for k, v in resp.headers if k == "set-cookie"]
    assert len(got) == 1, resp.headers
    return got[0].split(";")[0]


def text(resp):
    b = resp.body
    return b if isinstance(b, str) else b.decode()


# -- helpers ------------------------------------------------------------------------
assert escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
for good in ("/", "/a", "/a/b?c=1&d=%2F", "/x#frag"):
    assert safe_next(good) == good, good
for bad in (None, "", "//evil.example", "/\\evil.example", "http://evil.example/",
            "https:/x", "javascript:alert(1)", "evil", "/a\r\nSet-Cookie: x=1", "/a b",
            "/\t/evil", "/caf\u00e9", "/a\\b", "/" + "a" * 300):
    assert safe_next(bad) == "/", bad

users = Users({"ann": "pw1", "bob": "x"})
sessions = SessionStore(max_sessions=8, clock=clock)
fa = FormAuth(users, sessions, throttle=Throttle(max_failures=3, delay_ms=1000, clock=clock))

# -- not logged in: challenge redirects to the login page with next -------------------
r = req("GET", "/admin/page?x=1&y=2")
assert fa.check(r) is None and r.user is None and r.current_session is None  # no session made
ch = fa.challenge(r)
assert ch.status == 302
assert ch.get_header("location") == "/login?next=" + quote("/admin/page?x=1&y=2")
assert fa.challenge(req("POST", "/admin/save")).status == 303

# -- GET /login: the form, with next escaped ------------------------------------------
r = req("GET", "/login?next=" + quote('/admin/"><script>'))
resp = run(fa.handle_login, r)
assert resp.status == 200 and resp.get_header("content-type") == "text/html; charset=utf-8"
html = text(resp)
assert 'method="POST"' in html and 'name="username"' in html and 'name="password"' in html
assert 'name="next" value="/admin/&quot;&gt;&lt;script&gt;"' in html, html
assert "<script>" not in html
# An off-site next never reaches the form.
html = text(fa.handle_login(req("GET", "/login?next=" + quote("//evil.example/"))))
assert 'name="next" value="/"' in html

# -- a visitor with an anonymous session logs in -------------------------------------------
r = req("GET", "/")
anon = sessions.attach(r)
anon["cart"] = 3
c_anon = cookie(run(lambda q: Response(), r))
r = req("POST", "/login", c_anon, {"username": "ann", "password": "pw1",
                                   "next": "/admin/page?x=1"})
resp = run(fa.handle_login, r)
assert resp.status == 303 and resp.get_header("location") == "/admin/page?x=1"
c_user = cookie(resp)
assert c_user != c_anon  # fixation defence: a new id
assert not anon.valid and sessions.get(req("GET", "/", c_anon)) is None
r = req("GET", "/admin/page", c_user)
assert fa.check(r) == "ann" and r.user == "ann"
assert sessions.get(req("GET", "/", c_user))["cart"] == 3  # data moved along
assert fa.throttle.delay_ms(r) == 0

# Open redirect refused on POST too.
for nxt in ("https://evil.example/", "//evil.example", "/\\evil.example"):
    resp = run(fa.handle_login, req("POST", "/login", None,
                                    {"username": "bob", "password": "x", "next": nxt}))
    assert resp.status == 303 and resp.get_header("location") == "/", nxt

# -- logout ---------------------------------------------------------------------------------
r = req("GET", "/logout", c_user)
resp = run(fa.handle_logout, r)
assert resp.status == 303 and resp.get_header("location") == "/"
got = [v for k, v in resp.headers if k == "set-cookie"]
assert got and "Max-Age=0" in got[0], got
assert fa.check(req("GET", "/admin/", c_user)) is None
# Logout without a session is harmless.
assert run(fa.handle_logout, req("GET", "/logout")).status == 303

# -- failures: 401 with the form and an escaped message; delays grow ----------------------
delays = []
for i in range(5):
    r = req("POST", "/login", None, {"username": "ann<b>", "password": "no", "next": "/a"})
    resp = run(fa.handle_login, r)
    assert resp.status == 401 and 'name="next" value="/a"' in text(resp)
    assert "Wrong user name or password." in text(resp) and "ann<b>" not in text(resp)
    assert [v for k, v in resp.headers if k == "set-cookie"] == []  # no session for failures
    delays.append(fa.delay_ms(r))
    if i < 4:
        NOW[0] += delays[-1]  # the server waits this long before answering
assert delays == [0, 0, 1000, 2000, 4000], delays
# While the delay runs even the right password is refused, unchecked.
r = req("POST", "/login", None, {"username": "ann", "password": "pw1"})
resp = run(fa.handle_login, r)
assert resp.status == 401 and "Too many attempts" in text(resp)
NOW[0] += 4000
resp = run(fa.handle_login, req("POST", "/login", None, {"username": "ann", "password": "pw1"}))
assert resp.status == 303 and resp.get_header("location") == "/"
assert fa.delay_ms(req("GET", "/")) == 0
# Another client is not affected by someone else's failures.
for i in range(3):
    run(fa.handle_login, req("POST", "/login", None, {"username": "x", "password": "y"}))
assert fa.delay_ms(req("GET", "/", peer=("10.0.0.2", 5))) == 0
# Empty or oversized fields fail without a crash.
for form in ({}, {"username": "", "password": ""}, {"username": "ann", "password": "p" * 999}):
    NOW[0] += 10000
    assert run(fa.handle_login, req("POST", "/login", None, form)).status == 401
NOW[0] += 100000


# -- an application's own login page -------------------------------------------------------
def page(request, target, error):
    return Response("custom next=%s error=%s" % (target, error), 200)


fb = FormAuth(users, sessions, login_path="/signin", logout_path="/signout", page=page)
assert fb.challenge(req("GET", "/p")).get_header("location") == "/signin?next=%2Fp"
assert text(fb.handle_login(req("GET", "/signin?next=/p"))) == "custom next=/p error="
resp = fb.handle_login(req("POST", "/signin", None, {"username": "ann", "password": "x"}))
assert resp.status == 401 and text(resp).startswith("custom next=/ error=Wrong")

print("PASS")
