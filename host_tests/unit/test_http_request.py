# The handlers' Request: target forms, path, query and headers, and the core
# building it directly for the server (request_type).  Runs on both runtimes.
from remora.proto.http.server import ServerConnection as CoreServerConnection
from remora.http.request import Request


def make(target, headers=(("host", "x"),)):
    return Request("GET", target, "HTTP/1.1", list(headers))


r = make("/a/b?x=1&y=2")
assert (r.raw_path, r.query, r.path) == ("/a/b", "x=1&y=2", "/a/b")
assert r.args == {"x": "1", "y": "2"}
r = make("/a%20b")
assert (r.raw_path, r.query, r.path) == ("/a%20b", "", "/a b")
r = make("/x?")
assert (r.raw_path, r.query) == ("/x", "")
# RFC 9112 §3.2.2: absolute-form; its authority replaces Host.
r = make("http://h.example:80/p?q=1")
assert (r.raw_path, r.query, r.path) == ("/p", "q=1", "/p")
assert r.headers["host"] == "h.example:80" and r.target == "http://h.example:80/p?q=1"
r = make("http://h.example")
assert (r.raw_path, r.path) == ("/", "/")
# A path that is not UTF-8 keeps its raw form (then matches nothing: a 404).
r = make("/%ff")
assert r.path == "/%ff"
# Repeated fields combine (RFC 9110 §5.3), cookies with "; " (RFC 6265 §5.4).
r = make("/", [("host", "x"), ("accept", "a"), ("accept", "b"), ("cookie", "c=1"), ("cookie", "d=2")])
assert r.headers["accept"] == "a, b" and r.cookies == {"c": "1", "d": "2"}
assert r.header("Accept") == "a, b" and r.header("missing", "z") == "z"

# The server's core makes this class, not an event then a copy.
class ServerConnection(CoreServerConnection):
    request_type = Request


from remora.proto.http.limits import Limits

limits = Limits()  # shared by a server's connections, with their memos
conn = ServerConnection(limits)
conn.receive_data(b"GET /hello?n=1 HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\n\r\n")
r = conn.next_event()
assert type(r) is Request and r.path == "/hello" and r.query == "n=1", r
assert r.headers == {"host": "example.com", "x-a": "1"}, r.headers
# The Host checked once is not checked again (the next request, any
# connection that shares these limits).
assert limits.valid_host == "example.com"
conn.next_event()  # EndOfMessage of the first request
conn.send_response_head(204, [])
conn.send_end()
conn.start_next_cycle()
conn.receive_data(b"GET / HTTP/1.1\r\nHost: bad host\r\n\r\n")
try:
    conn.next_event()
    raise AssertionError("an invalid Host passed")
except Exception as exc:
    assert getattr(exc, "status", None) == 400, exc
print("PASS")
