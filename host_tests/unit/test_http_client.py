# The sans-IO HTTP/1.1 core, client role, and a client talking to a server with bytes
# passed between them (h11's ConnectionPair).  Runs on both runtimes.
from remora.proto.http import state as core
from remora.proto.http.state import CLIENT, SERVER
from remora.proto.http.client import ClientConnection
from remora.proto.http.server import ServerConnection


def Connection(role, limits=None):
    """The core's connection for role (the tests were written for one class)."""
    return (ServerConnection if role == SERVER else ClientConnection)(limits)
from remora.proto.http.events import LocalProtocolError, RemoteProtocolError
from remora.proto.http.events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    RequestHead,
    ResponseHead,
)


def drain(conn, merge=True):
    out = []
    while True:
        event = conn.next_event()
        if merge and type(event) is Data and out and type(out[-1]) is Data:
            out[-1] = Data(out[-1].data + event.data)
        else:
            out.append(event)
        if event is NEED_DATA or event is PAUSED or type(event) is ConnectionClosed:
            return out


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


def client(method="GET", headers=None):
    conn = Connection(CLIENT)
    head = conn.send(RequestHead(method, "/p", "HTTP/1.1", headers or [("Host", "h")]))
    if method not in ("POST", "PUT", "PATCH"):
        assert conn.send(EndOfMessage()) == b""
    return conn, head


# -- requests we send ------------------------------------------------------------------
conn, head = client()
assert head == b"GET /p HTTP/1.1\r\nHost: h\r\n\r\n"
assert conn.our_state == core.DONE and conn.their_state == core.SEND_RESPONSE
conn = Connection(CLIENT)
conn.send(RequestHead("GET", "/", "HTTP/1.1", [("host", "h")]))
raises(LocalProtocolError, conn.send_data, b"x")  # no framing: no body
conn = Connection(CLIENT)
head = conn.send(RequestHead("POST", "/up", "HTTP/1.1", [("host", "h")]))
assert head == b"POST /up HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n"
assert conn.send(Data(b"abc")) == b"3\r\nabc\r\n" and conn.send_end() == b"0\r\n\r\n"
conn = Connection(CLIENT)
conn.send(RequestHead("PUT", "/", "HTTP/1.1", [("host", "h"), ("content-length", "2")]))
assert conn.send_data(b"ok") == b"ok"
raises(LocalProtocolError, conn.send_data, b"!")
raises(LocalProtocolError, Connection(CLIENT).send, RequestHead("GET", "/", "HTTP/1.1", []))
raises(LocalProtocolError, Connection(CLIENT).send_request_head, "GET", "/a b", [("host", "h")])
raises(LocalProtocolError, Connection(SERVER).send_request_head, "GET", "/", [("host", "h")])

# -- responses we receive: framing (RFC 9112 §6.3) ---------------------------------------
conn, _ = client()
conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello")
out = drain(conn)
assert out == [
    ResponseHead(200, [("content-length", "5"), ("server", "x")], "OK", "HTTP/1.1"),
    Data(b"hello"),
    EndOfMessage(),
    PAUSED,
], out
assert conn.keep_alive and conn.their_http_version == "HTTP/1.1"
conn.start_next_cycle()
assert conn.our_state == core.IDLE and conn.their_state == core.IDLE

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"
conn, _ = client()
for i in range(len(CHUNKED)):
    conn.receive_data(CHUNKED[i : i + 1])
    out = drain(conn)
assert out == [EndOfMessage(), PAUSED] and conn.their_state == core.DONE
conn, _ = client()
conn.receive_data(CHUNKED)
assert drain(conn)[1:] == [Data(b"wikipedia"), EndOfMessage(), PAUSED]

# No length: the body runs until the server closes.
conn, _ = client()
conn.receive_data(b"HTTP/1.1 200 OK\r\nX: y\r\n\r\nsome")
assert drain(conn)[1:] == [Data(b"some"), NEED_DATA]
assert not conn.keep_alive
conn.receive_data(b" more")
conn.receive_data(b"")
assert drain(conn) == [Data(b" more"), EndOfMessage(), PAUSED]
assert conn.their_state == core.MUST_CLOSE and conn.our_state == core.MUST_CLOSE

# 1xx responses come first, then the final one.
conn, _ = client()
conn.receive_data(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n")
conn.receive_data(b"HTTP/1.1 204 No Content\r\n\r\n")
out = drain(conn)
assert [e.status for e in out[:3]] == [100, 103, 204] and out[3:] == [EndOfMessage(), PAUSED]

# HEAD, 204 and 304 have no body, whatever they announce; an empty reason is fine.
conn, _ = client("HEAD")
conn.receive_data(b"HTTP/1.1 200 \r\nContent-Length: 99\r\n\r\n")
out = drain(conn)
assert out[0].reason == "" and out[1:] == [EndOfMessage(), PAUSED]
for line in (b"HTTP/1.1 304 Not Modified", b"HTTP/1.1 204"):
    conn, _ = client()
    conn.receive_data(line + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert drain(conn)[1:] == [EndOfMessage(), PAUSED]

# HTTP/1.0 servers: keep-alive only when they say so.
conn, _ = client()
conn.receive_data(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
assert drain(conn)[0].version == "HTTP/1.0" and not conn.keep_alive
conn, _ = client()
conn.receive_data(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
drain(conn)
assert conn.keep_alive
conn, _ = client()
conn.receive_data(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
drain(conn)
assert not conn.keep_alive and conn.our_state == core.MUST_CLOSE

# A protocol switch, seen from the client.
UP = [("host", "h"), ("connection", "Upgrade"), ("upgrade", "websocket")]
conn, _ = client("GET", UP)
assert conn.our_state == core.MIGHT_SWITCH_PROTOCOL
conn.receive_data(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00")
assert drain(conn)[1:] == [PAUSED]
assert conn.our_state == core.SWITCHED_PROTOCOL and conn.trailing_data == (b"\x81\x00", False)
conn, _ = client("GET", UP)
conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")  # refused
drain(conn)
assert conn.our_state == core.DONE and conn.their_state == core.DONE
conn, _ = client("CONNECT", [("host", "h:443")])
conn.receive_data(b"HTTP/1.1 200 Connection established\r\n\r\nTLS")
drain(conn)
assert conn.their_state == core.SWITCHED_PROTOCOL and conn.trailing_data[0] == b"TLS"

# Bad responses.
for data in (
    b"HTTP/1.1 2000 OK\r\n\r\n",
    b"HTTP/1.1 20x OK\r\n\r\n",
    b"HTTP/1.1\r\n\r\n",
    b"HTTP/1.1 200 OK\nX: y\n\n",
    b"ICY 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\n\r\n",  # we did not ask
):
    conn, _ = client()
    conn.receive_data(data)
    raises(RemoteProtocolError, drain, conn)
    assert conn.their_state == core.ERROR
conn, _ = client()
conn.receive_data(b"")
assert raises(RemoteProtocolError, conn.next_event).status == 502  # closed, no answer
conn = Connection(CLIENT)
conn.receive_data(b"")
assert conn.next_event() == ConnectionClosed()  # idle client: a clean close


# -- a client and a server, bytes passed between them ----------------------------------------
class ConnectionPair:
    def __init__(self):
        self.conn = {CLIENT: Connection(CLIENT), SERVER: Connection(SERVER)}
        self.other = {CLIENT: SERVER, SERVER: CLIENT}

    def send(self, role, send_events, expect="match"):
        """Send events from role; check the peer receives them (or expect)."""
        if not isinstance(send_events, list):
            send_events = [send_events]
        data = b"".join([self.conn[role].send(e) for e in send_events])
        peer = self.conn[self.other[role]]
        if data:
            peer.receive_data(data)
        got = [e for e in drain(peer, False) if e is not NEED_DATA and e is not PAUSED]
        if expect == "match":
            expect = send_events
        assert got == expect, (got, expect)
        return data


p = ConnectionPair()
for cycle in range(3):  # three requests on one connection
    req = RequestHead("GET", "/%d" % cycle, "HTTP/1.1", [("host", "h")])
    p.send(CLIENT, [req, EndOfMessage()])
    resp = ResponseHead(200, [("content-type", "text/plain")], "OK")
    sent = [Data(b"chunk one "), Data(b"chunk two")]
    expect = [ResponseHead(200, resp.headers + [("transfer-encoding", "chunked")], "OK")]
    p.send(SERVER, resp, expect)
    p.send(SERVER, sent + [EndOfMessage()])
    for role in (CLIENT, SERVER):
        assert p.conn[role].our_state == core.DONE
        p.conn[role].start_next_cycle()

# POST with Expect: 100-continue, chunked body with trailers, Connection: close.
p = ConnectionPair()
headers = [("host", "h"), ("expect", "100-continue"), ("connection", "close")]
p.send(CLIENT, RequestHead("POST", "/up", "HTTP/1.1", headers), [
    RequestHead("POST", "/up", "HTTP/1.1", headers + [("transfer-encoding", "chunked")])
])
assert p.conn[SERVER].client_is_waiting_for_100_continue
assert p.conn[CLIENT].client_is_waiting_for_100_continue
p.send(SERVER, ResponseHead(100, [], "Continue"))
assert not p.conn[CLIENT].client_is_waiting_for_100_continue
p.send(CLIENT, [Data(b"x" * 100), Data(b"y"), EndOfMessage([("x-check", "ok")])], [
    Data(b"x" * 100),
    Data(b"y"),
    EndOfMessage([("x-check", "ok")]),
])
p.send(SERVER, ResponseHead(201, [("content-length", "4")], "Created"), [
    ResponseHead(201, [("content-length", "4"), ("connection", "close")], "Created")
])
p.send(SERVER, [Data(b"done"), EndOfMessage()])
assert p.conn[SERVER].our_state == core.MUST_CLOSE
assert p.conn[CLIENT].their_state == core.MUST_CLOSE
p.send(SERVER, ConnectionClosed(), [])  # we close: the client reads EOF
p.conn[CLIENT].receive_data(b"")
assert p.conn[CLIENT].next_event() is PAUSED  # the response was complete

# Upgrade through the pair: both sides end SWITCHED_PROTOCOL.
p = ConnectionPair()
p.send(CLIENT, [RequestHead("GET", "/ws", "HTTP/1.1", UP), EndOfMessage()])
p.send(SERVER, ResponseHead(101, [("upgrade", "websocket")], "Switching Protocols"))
for role in (CLIENT, SERVER):
    assert p.conn[role].our_state == core.SWITCHED_PROTOCOL
    assert p.conn[role].their_state == core.SWITCHED_PROTOCOL

print("PASS")
