# What Microdot users expect of an App, through the in-process TestClient
# (the real connection driver and HTTP core, no sockets), on both runtimes:
# hooks and error handlers, the error page, development mode's 500, CORS,
# Server-Sent Events, bearer tokens, signed cookies, and the client itself.
from remora import sleep_ms
from remora.http import App, BearerAuth, Response, TestClient
from remora.http.cors import CORS
from remora.http.signing import sign, unsign
from remora.http.sse import sse

app = App()
seen = []


@app.before_request
def stamp(req):
    seen.append(req.path)
    if req.path == "/early":
        return "answered before routing", 202


@app.after_request
def server_name(req, resp):
    resp.set_header("x-served-by", "remora")
    return resp


@app.errorhandler(404)
def not_found(req):
    return {"missing": req.path}, 404


@app.errorhandler(KeyError)
async def key_error(req, exc):
    return "no such key: %s" % exc, 400


@app.route("/hello")
def hello(req):
    return "Hello"


@app.route("/key")
def key(req):
    return {}["absent"]


@app.route("/crash")
def crash(req):
    raise ValueError("on purpose")


@app.route("/json", methods=("POST",))
def echo_json(req):
    return {"got": req.json()}


@app.route("/remember")
def remember(req):
    resp = Response("set")
    resp.set_signed_cookie("prefs", "dark", "s3cret")
    resp.set_cookie("plain", "1")
    return resp


@app.route("/recall")
def recall(req):
    return "%s %s" % (req.signed_cookie("prefs", "s3cret"), req.cookies.get("plain"))


@app.route("/events")
@sse
async def events(req, stream):
    for i in range(3):
        await stream.send({"n": i}, event="tick", id=str(i))
        await sleep_ms(1)
    await stream.send("two\nlines")


app.cors(CORS(origins=("https://dash.example",), methods=("GET", "PUT"), credentials=True), "/api/")


@app.route("/api/item", methods=("GET", "PUT"))
def item(req):
    return {"item": 1}


@app.route("/open", cors=CORS())
def open_route(req):
    return "open"


app.protect("/secure/", BearerAuth({"t0ken": "gateway"}, realm="sensors"))


@app.route("/secure/data")
def secure(req):
    return {"user": req.user}


client = TestClient(app)

# -- the client, routes, JSON, HEAD ------------------------------------------
r = client.get("/hello")
assert r.status == 200 and r.text == "Hello" and r.headers["x-served-by"] == "remora", r
assert r.headers["content-length"] == "5" and "date" in r.headers
r = client.post("/json", json={"a": [1, 2]})
assert r.status == 200 and r.json() == {"got": {"a": [1, 2]}}, r.body
r = client.head("/hello")
assert r.status == 200 and r.body == b"" and r.headers["content-length"] == "5"

# -- hooks and error handlers ---------------------------------------------------
r = client.get("/early")
assert r.status == 202 and r.text == "answered before routing", r
assert seen[-1] == "/early"
r = client.get("/nowhere")
assert r.status == 404 and r.json() == {"missing": "/nowhere"}, r
assert r.headers["x-served-by"] == "remora"  # after_request sees error answers too
r = client.get("/key")
assert r.status == 400 and r.text.startswith("no such key"), r
r = client.get("/crash")
assert r.status == 500 and r.text == "500 Internal Server Error\n", r  # no detail in production
r = client.put("/hello")
assert r.status == 405 and r.headers["allow"] == "GET, HEAD", r


@app.error_page
def page(req, status, reason, detail):
    return Response("<h1>%d %s</h1><pre>%s</pre>" % (status, reason, detail), status, None,
                    "text/html; charset=utf-8")


r = client.put("/hello")
assert r.status == 405 and r.text == "<h1>405 Method Not Allowed</h1><pre></pre>", r
assert r.headers["allow"] == "GET, HEAD"

# Development mode: the 500 shows the exception and where it was raised.
app.dev = True
r = client.get("/crash")
assert r.status == 500 and "ValueError: on purpose" in r.text, r.text
assert "test_http_features" in r.text and "line" in r.text, r.text
app.dev = False

# -- CORS -----------------------------------------------------------------------------
origin = {"origin": "https://dash.example"}
r = client.options("/api/item", headers={"origin": "https://dash.example",
                                         "access-control-request-method": "PUT",
                                         "access-control-request-headers": "x-token"})
assert r.status == 204, r
assert r.headers["access-control-allow-origin"] == "https://dash.example"
assert r.headers["access-control-allow-methods"] == "GET, PUT"
assert r.headers["access-control-allow-headers"] == "x-token"
assert r.headers["access-control-allow-credentials"] == "true" and r.headers["vary"] == "Origin"
r = client.get("/api/item", headers=origin)
assert r.status == 200 and r.headers["access-control-allow-origin"] == "https://dash.example"
r = client.get("/api/item", headers={"origin": "https://evil.example"})
assert r.status == 200 and "access-control-allow-origin" not in r.headers
r = client.get("/hello", headers=origin)
assert "access-control-allow-origin" not in r.headers  # not under /api/
r = client.get("/open", headers={"origin": "https://any.example"})
assert r.headers["access-control-allow-origin"] == "*", r.headers

# -- Server-Sent Events -----------------------------------------------------------------
r = client.get("/events")
assert r.status == 200 and r.headers["content-type"] == "text/event-stream", r
assert r.headers["transfer-encoding"] == "chunked"
assert r.text == (
    'event: tick\nid: 0\ndata: {"n": 0}\n\n'
    'event: tick\nid: 1\ndata: {"n": 1}\n\n'
    'event: tick\nid: 2\ndata: {"n": 2}\n\n'
    "data: two\ndata: lines\n\n"
), r.text

# -- bearer tokens (RFC 6750) ------------------------------------------------------------
r = client.get("/secure/data")
assert r.status == 401 and r.headers["www-authenticate"] == 'Bearer realm="sensors"', r
r = client.get("/secure/data", headers={"authorization": "Bearer wrong"})
assert r.status == 401
assert r.headers["www-authenticate"] == 'Bearer realm="sensors", error="invalid_token"'
r = client.get("/secure/data", headers={"authorization": "Bearer t0ken"})
assert r.status == 200 and r.json() == {"user": "gateway"}, r

# -- signed cookies ------------------------------------------------------------------------
r = client.get("/remember")
assert client.cookies["plain"] == "1" and client.cookies["prefs"].startswith("dark."), client.cookies
r = client.get("/recall")
assert r.text == "dark 1", r
client.cookies["prefs"] = "light." + client.cookies["prefs"].split(".")[1]  # forged
assert client.get("/recall").text == "None 1"
assert unsign(sign("v", "k"), "k") == "v" and unsign(sign("v", "k"), "other") is None
assert unsign(sign("v", "k", "a"), "k", "b") is None  # signed for another cookie
assert unsign("no-signature", "k") is None and unsign(None, "k") is None

print("PASS")
