# The sans-IO HTTP/1.1 core, server role: happy paths (bad input: test_http_bad.py,
# client role and client/server pairs: test_http_client.py).  Runs on both runtimes.
from remora.proto.http import state as core
from remora.proto.http.state import CLIENT, SERVER
from remora.proto.http.client import ClientConnection
from remora.proto.http.server import ServerConnection


def Connection(role, limits=None):
    """The core's connection for role (the tests were written for one class)."""
    return (ServerConnection if role == SERVER else ClientConnection)(limits)
from remora.proto.http.events import LocalProtocolError
from remora.proto.http.events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    RequestHead,
    ResponseHead,
)
from remora.proto.http.limits import Limits


def drain(conn):
    """Events until NEED_DATA or PAUSED (included), Data merged."""
    out = []
    while True:
        event = conn.next_event()
        if type(event) is Data and out and type(out[-1]) is Data:
            out[-1] = Data(out[-1].data + event.data)
        else:
            out.append(event)
        if event is NEED_DATA or event is PAUSED or type(event) is ConnectionClosed:
            return out


def serve(data):
    conn = Connection(SERVER)
    conn.receive_data(data)
    return conn


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


GET = b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n"

# -- a GET, its response, keep-alive --------------------------------------------
conn = serve(GET)
assert conn.our_state == core.IDLE and conn.their_state == core.IDLE
req = conn.next_event()
assert req == RequestHead(
    "GET", "/index.html?q=1", "HTTP/1.1", [("host", "example.com"), ("user-agent", "t")]
), req
assert conn.their_state == core.SEND_BODY and conn.our_state == core.SEND_RESPONSE
assert conn.next_event() == EndOfMessage()
assert conn.their_state == core.DONE
assert conn.next_event() is PAUSED and conn.next_event() is PAUSED
assert conn.their_http_version == "HTTP/1.1" and conn.keep_alive
head = conn.send(ResponseHead(200, [("content-type", "text/plain"), ("content-length", "5")]))
assert head == b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n", head
assert conn.our_state == core.SEND_BODY
assert conn.send(Data(b"hel")) == b"hel" and conn.send_data(b"lo") == b"lo"
raises(LocalProtocolError, conn.send_data, b"!")  # past the Content-Length
assert conn.our_state == core.ERROR
raises(LocalProtocolError, conn.start_next_cycle)

conn = serve(GET)
drain(conn)
conn.send_response_head(204, [])
assert conn.send(EndOfMessage()) == b""
assert conn.our_state == core.DONE and conn.their_state == core.DONE
conn.start_next_cycle()
assert conn.our_state == core.IDLE and conn.their_state == core.IDLE
assert conn.next_event() is NEED_DATA
conn.receive_data(b"")
assert conn.next_event() == ConnectionClosed()  # EOF between requests
assert conn.their_state == core.CLOSED and conn.our_state == core.MUST_CLOSE
assert conn.next_event() == ConnectionClosed()
assert conn.send(ConnectionClosed()) == b"" and conn.our_state == core.CLOSED

# Leading empty lines before a request are skipped (RFC 9112 §2.2).
conn = serve(b"\r\n\r\n" + GET)
assert conn.next_event().method == "GET"
conn = Connection(SERVER)
for piece in (b"\r", b"\n", b"\r\n", GET):
    conn.receive_data(piece)
    event = conn.next_event()
assert type(event) is RequestHead

# Header values: OWS trimmed, names lower-cased, empty values, latin-1, repeats kept.
conn = serve(
    b"GET / HTTP/1.1\r\nHOST:h\r\nX-A: \t a b \t\r\nX-Empty:\r\nx-a: 2\r\nX-L: caf\xe9\r\n\r\n"
)
req = conn.next_event()
assert req.headers == [
    ("host", "h"),
    ("x-a", "a b"),
    ("x-empty", ""),
    ("x-a", "2"),
    ("x-l", "caf\xe9"),
], req.headers

# -- POST with Content-Length, body bytes delivered as they arrive --------------
conn = serve(b"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123")
assert conn.next_event().method == "POST"
assert conn.next_event() == Data(b"0123")
assert conn.next_event() is NEED_DATA
conn.receive_data(b"456789GET")  # the tail is the next (pipelined) request
assert conn.next_event() == Data(b"456789")
assert conn.next_event() == EndOfMessage()
assert conn.next_event() is PAUSED
assert conn.trailing_data == (b"GET", False)

# Identical Content-Length values collapse to one (RFC 9110 §8.6).
for extra in (b"Content-Length: 3, 3\r\n", b"Content-Length: 3\r\nContent-Length: 3\r\n"):
    conn = serve(b"POST / HTTP/1.1\r\nHost: h\r\n" + extra + b"\r\nabc")
    assert drain(conn)[1:] == [Data(b"abc"), EndOfMessage(), PAUSED]

# -- chunked request, fed whole and byte by byte ----------------------------------
CHUNKED = (
    b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
    b"5\r\nhello\r\n1;name=value;x\r\n \r\n00a \t;ext\r\n0123456789\r\n"
    b"0\r\nX-Sum: 16\r\nX-Two:  b \r\n\r\n"
)
TRAILERS = [("x-sum", "16"), ("x-two", "b")]
conn = serve(CHUNKED)
out = drain(conn)
assert out[1:] == [Data(b"hello 0123456789"), EndOfMessage(TRAILERS), PAUSED], out
conn = Connection(SERVER)
got = []
for i in range(len(CHUNKED)):
    conn.receive_data(CHUNKED[i : i + 1])
    while True:
        event = conn.next_event()
        if event is NEED_DATA or event is PAUSED:
            break
        got.append(event)
assert event is PAUSED
assert type(got[0]) is RequestHead and got[-1] == EndOfMessage(TRAILERS)
assert b"".join([e.data for e in got[1:-1]]) == b"hello 0123456789"
assert all([len(e.data) == 1 for e in got[1:-1]])  # delivered as they arrived

# A chunked body split at every byte boundary into two receives.
for cut in range(len(CHUNKED) + 1):
    conn = Connection(SERVER)
    first = []
    if cut:
        conn.receive_data(CHUNKED[:cut])
        first = drain(conn)
    if cut < len(CHUNKED):
        conn.receive_data(CHUNKED[cut:])
    events = [e for e in first + drain(conn) if e is not NEED_DATA and e is not PAUSED]
    body = b"".join([e.data for e in events if type(e) is Data])
    assert body == b"hello 0123456789" and events[-1] == EndOfMessage(TRAILERS), cut

# Chunked without trailers: EndOfMessage() (trailers None).
conn = serve(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
assert drain(conn)[1:] == [EndOfMessage(), PAUSED]

# -- pipelining -------------------------------------------------------------------
conn = serve(GET + b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok" + GET[:10])
assert [type(e) for e in drain(conn)] == [RequestHead, EndOfMessage, type(PAUSED)]
conn.send_response_head(200, [("content-length", "0")])
conn.send(EndOfMessage())
conn.start_next_cycle()
out = drain(conn)
assert out[0].target == "/p" and out[1:] == [Data(b"ok"), EndOfMessage(), PAUSED]
conn.send_response_head(200, [("content-length", "0")])
conn.send(EndOfMessage())
conn.start_next_cycle()
assert conn.next_event() is NEED_DATA
conn.receive_data(GET[10:])
assert conn.next_event().target == "/index.html?q=1"

# -- Expect: 100-continue -----------------------------------------------------------
conn = serve(b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n")
conn.next_event()
assert conn.client_is_waiting_for_100_continue
assert conn.next_event() is NEED_DATA and conn.client_is_waiting_for_100_continue
assert conn.send(ResponseHead(100, [])) == b"HTTP/1.1 100 Continue\r\n\r\n"
assert not conn.client_is_waiting_for_100_continue and conn.our_state == core.SEND_RESPONSE
conn.receive_data(b"abc")
assert drain(conn) == [Data(b"abc"), EndOfMessage(), PAUSED]
conn = serve(b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\na")
conn.next_event()
assert conn.client_is_waiting_for_100_continue
conn.next_event()  # body data arrived: the client stopped waiting
assert not conn.client_is_waiting_for_100_continue
conn = serve(b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
conn.next_event()
conn.send_response_head(417, [("content-length", "0")])  # refuse: a final response
assert not conn.client_is_waiting_for_100_continue
conn = serve(b"PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
conn.next_event()
assert not conn.client_is_waiting_for_100_continue  # ignored in HTTP/1.0
raises(LocalProtocolError, conn.send_response_head, 100, [])  # no 1xx to HTTP/1.0

# -- HEAD: no body, whatever the framing headers say -----------------------------------
conn = serve(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
drain(conn)
head = conn.send_response_head(200, [("content-length", "1234")])
assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n"
raises(LocalProtocolError, conn.send_data, b"x")
conn = serve(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
drain(conn)
assert b"transfer-encoding" not in conn.send_response_head(200, [])
assert conn.send_data(b"") == b"" and conn.send_end() == b""
conn.start_next_cycle()
for status in (204, 304):
    conn = serve(GET)
    drain(conn)
    assert conn.send_response_head(status, []) == b"HTTP/1.1 %d %s\r\n\r\n" % (
        status,
        b"No Content" if status == 204 else b"Not Modified",
    )
    raises(LocalProtocolError, conn.send_data, b"x")

# -- response framing for HTTP/1.1 and HTTP/1.0 peers ------------------------------------
conn = serve(GET)
drain(conn)
assert conn.send_response_head(200, [("X-A", "1")], "Fine") == (
    b"HTTP/1.1 200 Fine\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n"
)
assert conn.send_data(b"") == b""  # never a zero-size chunk mid-body
assert conn.send_data(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
assert conn.send_data(memoryview(b"abc")) == b"3\r\nabc\r\n"
assert conn.send(EndOfMessage([("x-t", "1")])) == b"0\r\nx-t: 1\r\n\r\n"
assert conn.our_state == core.DONE and conn.keep_alive

conn = serve(b"GET / HTTP/1.0\r\n\r\n")  # HTTP/1.0, no keep-alive, no Host needed
assert conn.next_event().version == "HTTP/1.0" and not conn.keep_alive
drain(conn)
assert conn.their_state == core.MUST_CLOSE
head = conn.send_response_head(200, [("Transfer-Encoding", "chunked")])
assert head == b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", head  # close-delimited
assert conn.send_data(b"raw") == b"raw" and conn.send_end() == b""
assert conn.our_state == core.MUST_CLOSE
raises(LocalProtocolError, conn.start_next_cycle)

conn = serve(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
drain(conn)
assert conn.keep_alive
head = conn.send_response_head(200, [("content-length", "2")])
assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n", head
conn.send_data(b"hi")
conn.send_end()
assert conn.our_state == core.DONE and conn.keep_alive
conn.start_next_cycle()

conn = serve(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
drain(conn)
assert b"connection: close" in conn.send_response_head(200, [])  # no length: must close
assert not conn.keep_alive

# Connection: close from the client, or from us.
conn = serve(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: TE, Close\r\n\r\n")
drain(conn)
assert not conn.keep_alive and conn.their_state == core.MUST_CLOSE
assert b"connection: close\r\n" in conn.send_response_head(200, [("content-length", "0")])
conn.send_end()
assert conn.our_state == core.MUST_CLOSE
conn = serve(GET)
drain(conn)
head = conn.send_response_head(200, [("Connection", "close"), ("content-length", "0")])
assert head.count(b"close") == 1 and not conn.keep_alive
conn.send_end()
assert conn.our_state == core.MUST_CLOSE and conn.their_state == core.MUST_CLOSE

# Misuse: CR/LF in a header (response splitting), bad Content-Length, wrong role.
conn = serve(GET)
drain(conn)
raises(LocalProtocolError, conn.send_response_head, 200, [("x", "a\r\nSet-Cookie: x")])
assert conn.our_state == core.ERROR
conn = serve(GET)
drain(conn)
raises(LocalProtocolError, conn.send_response_head, 200, [("content-length", "-1")])
conn = serve(GET)
drain(conn)
raises(LocalProtocolError, conn.send, RequestHead("GET", "/", "HTTP/1.1", [("host", "h")]))
raises(LocalProtocolError, Connection(SERVER).send_data, b"x")
raises(LocalProtocolError, Connection(CLIENT).send_response_head, 200, [])
raises(LocalProtocolError, conn.send, "not an event")

# -- Upgrade and CONNECT -------------------------------------------------------------
WS = b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"
conn = serve(WS + b"\x81\x05hello")
assert [type(e) for e in drain(conn)] == [RequestHead, EndOfMessage, type(PAUSED)]
assert conn.their_state == core.MIGHT_SWITCH_PROTOCOL
head = conn.send_response_head(101, [("upgrade", "websocket"), ("connection", "Upgrade")])
assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
assert conn.our_state == core.SWITCHED_PROTOCOL and conn.their_state == core.SWITCHED_PROTOCOL
assert conn.next_event() is PAUSED
assert conn.trailing_data == (b"\x81\x05hello", False)

conn = serve(WS)
drain(conn)
conn.send_response_head(426, [("content-length", "0")])  # refused: go on normally
assert conn.their_state == core.DONE
conn.send_end()
conn.start_next_cycle()

conn = serve(GET)
drain(conn)
raises(LocalProtocolError, conn.send_response_head, 101, [])  # nobody asked to switch

conn = serve(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03")
drain(conn)
assert conn.send_response_head(200, []) == b"HTTP/1.1 200 OK\r\n\r\n"
assert conn.our_state == core.SWITCHED_PROTOCOL and conn.trailing_data == (b"\x16\x03", False)
conn = serve(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
drain(conn)
conn.send_response_head(403, [("content-length", "0")])
assert conn.our_state == core.SEND_BODY and conn.their_state == core.DONE

# -- the fields that matter to framing: one scan, a list only when one is there --------
from remora.proto.http.fields import NO_FIELDS, scan_fields

assert scan_fields([("content-type", "text/plain"), ("x-a", "1")]) is NO_FIELDS
found = scan_fields([("Content-Length", "5"), ("content-length", "5"), ("Host", "a"), ("date", "d")])
assert found[0] == "5,5" and found[3] == 1 and found[6] == "a" and found[7] == "d", found
assert NO_FIELDS == (None, None, None, 0, None, False, None, None)  # never modified

# -- the server's fast path: length and date given to send_response_head -----------
conn = serve(GET)
drain(conn)
head = conn.send_response_head(200, [("content-type", "text/plain")], None, 5, "Sun, 06 Nov 1994 08:49:37 GMT")
assert head == (b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n"
                b"date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"), head
assert conn.send_data(b"hello") == b"hello" and conn.send_end() == b""
raises(LocalProtocolError, conn.send_data, b"!")  # done: nothing more
conn = serve(GET)
drain(conn)
# The application's own Date wins over the clock's (and is not sent twice).
head = conn.send_response_head(200, [("Date", "Mon, 07 Nov 1994 08:49:37 GMT")], None, 0, "clock")
assert head == (b"HTTP/1.1 200 OK\r\nDate: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
                b"content-length: 0\r\n\r\n"), head
conn = serve(GET)
drain(conn)
# A Content-Length among the headers wins over length (and is not sent twice).
head = conn.send_response_head(200, [("content-length", "2")], None, 5)
assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n", head
assert conn.send_data(b"hi") == b"hi" and conn.send_end() == b""
conn = serve(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
drain(conn)
# HEAD: the would-be body's size goes out, no body does (RFC 9110 §9.3.2).
head = conn.send_response_head(200, [], None, 7)
assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n", head
assert conn.send_end() == b"" and conn.our_state == core.DONE
conn = serve(GET)
drain(conn)
raises(LocalProtocolError, conn.send_response_head, 200, [], None, 1, "a\r\nx: y")  # no splitting
conn = serve(GET)
drain(conn)
# A value that is not a str goes out as "%s" prints it.
assert conn.send_response_head(200, [("x-count", 5)], None, 0).endswith(
    b"x-count: 5\r\ncontent-length: 0\r\n\r\n")
# Standard and custom reasons, cached start lines or not.
for status, reason, line in ((200, None, b"HTTP/1.1 200 OK\r\n"), (200, "Fine", b"HTTP/1.1 200 Fine\r\n"),
                             (200, None, b"HTTP/1.1 200 OK\r\n"), (299, None, b"HTTP/1.1 299 \r\n")):
    conn = serve(GET)
    drain(conn)
    assert conn.send_response_head(status, [], reason, 0).startswith(line), (status, reason)

# -- Limits --------------------------------------------------------------------------
lim = Limits.from_profile({"http_max_body": 10, "http_max_headers": 3, "other": 1})
assert (lim.max_body, lim.max_headers, lim.max_request_line, lim.max_chunk_line) == (10, 3, 8190, 1024)
lim = Limits()
assert (lim.max_request_line, lim.max_header_bytes, lim.max_headers) == (8190, 8192, 64)
assert lim.max_body == 1024 * 1024 and lim.max_chunk_line == 1024

print("PASS")
