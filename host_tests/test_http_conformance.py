"""HTTP/1.1 conformance of the running server (RFC 9112, RFC 9110), as strict
suites and request-smuggling corpora check it: raw bytes on a socket, the
status line that comes back, and how the connection ends.

Every refused request must get its status with ``Connection: close``, then
a clean close (FIN, no reset), and the server must go on serving others.
The accepted oddities (leading CRLFs, absolute-form, HTTP/1.2 as 1.1, lists
of equal Content-Length values, chunk extensions with quoted strings) must
be answered like the plain request.  The cases run a few at a time on one
server per runtime (host_tests/apps/httpapp, the ESP32-S3 test board).
"""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from httpserver import PROFILE, Server, raw_exchange, status_of


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request):
    if request.param == "micropython":
        request.getfixturevalue("board_firmware")
    srv = Server(request.param)
    yield srv
    srv.stop()


def exchange(port, data, timeout=5.0):
    """(everything the server sent until it closed, how it closed: "fin",
    "reset" or "open" when it did not close within timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = []
    how = "open"
    try:
        s.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                how = "reset"
                break
            except socket.timeout:
                break
            if not chunk:
                how = "fin"
                break
            got.append(chunk)
    finally:
        s.close()
    return b"".join(got), how


def statuses(out, bodiless=()):
    """The status codes of the responses in out, in order (bodies skipped
    by their Content-Length, but for the responses numbered in bodiless)."""
    codes = []
    while out.startswith(b"HTTP/1.1 "):
        end = out.find(b"\r\n\r\n")
        if end < 0:
            break
        head = out[:end].lower()
        codes.append(int(out[9:12]))
        size = 0
        i = head.find(b"\r\ncontent-length: ")
        if i >= 0 and len(codes) - 1 not in bodiless:
            size = int(head[i + 18 :].split(b"\r\n", 1)[0])
        out = out[end + 4 + size :]
    return codes


H = b"Host: a\r\n"
GET = b"GET /hello HTTP/1.1\r\n"
CLOSE = b"Connection: close\r\n"


def post(fields, body=b"", line=b"POST /echo HTTP/1.1\r\n"):
    return line + H + fields + b"\r\n" + body


def te(body, value=b"chunked"):
    return post(b"Transfer-Encoding: " + value + b"\r\n", body)


LONG = b"a" * (PROFILE["http_max_request_line"] + 10)
BIG = b"b" * (PROFILE["http_max_header_bytes"] + 10)
MANY = b"".join(b"X-%d: v\r\n" % i for i in range(PROFILE["http_max_headers"] + 2))
MAX_BODY = PROFILE["http_max_body"]

# (what is sent, the status that must come back).  Each is refused and the
# connection closed: the status, "connection: close", then FIN.
REFUSED = [
    # RFC 9112 §3: request-line = method SP request-target SP HTTP-version
    (b"GET  /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET /hello  HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b" GET /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET\t/hello\tHTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/1.1 \r\n" + H + b"\r\n", 400),
    (b"GET /hello\r\n" + H + b"\r\n", 400),  # HTTP/0.9's form
    (b"GARBAGE\r\n\r\n", 400),
    # RFC 9110 §9.1, §5.6.2: method = token
    (b"G@T /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GE\x00T /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET\x7f /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    # RFC 9112 §3.2: the four request-target forms, visible ASCII
    (b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET /a\x01b HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET /caf\xc3\xa9 HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET /hello#x HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400),  # asterisk-form: OPTIONS only
    (b"GET a:80 HTTP/1.1\r\n" + H + b"\r\n", 400),  # authority-form: CONNECT only
    (b"CONNECT / HTTP/1.1\r\n" + H + b"\r\n", 400),  # CONNECT: authority-form only
    (b"CONNECT http://a/ HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"CONNECT a HTTP/1.1\r\n" + H + b"\r\n", 400),  # no port
    (b"CONNECT a:x HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"CONNECT * HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"OPTIONS *x HTTP/1.1\r\n" + H + b"\r\n", 400),
    # RFC 9110 §4.2.1, §4.2.4: an http URI has a host and no userinfo
    (b"GET http:///hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET http://u@a/hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET http://a:x/hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"GET http://[::1/hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    # RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive
    (b"GET /hello HTTP/2.0\r\n" + H + b"\r\n", 505),
    (b"GET /hello HTTP/3.0\r\n" + H + b"\r\n", 505),
    (b"GET /hello HTTP/2\r\n" + H + b"\r\n", 400),
    (b"GET /hello http/1.1\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/1.1.1\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/01.1\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/1.10\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/1.x\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/\r\n" + H + b"\r\n", 400),
    (b"GET /hello HTTP/1.9\r\n\r\n", 400),  # a 1.x request is 1.1's: Host is due
    # RFC 9112 §2.2: bare CR anywhere; LF without CR is refused just as consistently
    (GET + b"Host: a\rX: y\r\n\r\n", 400),
    (GET + H + b"X: a\rb\r\n\r\n", 400),
    (GET + H + b"\r\r\n", 400),
    (b"GET /hello HTTP/1.1\r" + H + b"\r\n", 400),
    (b"GET /hello HTTP/1.1\nHost: a\n\n", 400),
    (GET + H + b"X: y\n\r\n", 400),
    (b"\nGET /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    (b"\r\n\nGET /hello HTTP/1.1\r\n" + H + b"\r\n", 400),
    # RFC 9112 §5.1: no whitespace between field name and colon; §5.2: obs-fold;
    # RFC 9110 §5.1: field-name = token; §5.5: no CTL or NUL in a value
    (GET + b"Host : a\r\n\r\n", 400),
    (GET + H + b"X-A\t: b\r\n\r\n", 400),
    (GET + b" X: b\r\n" + H + b"\r\n", 400),
    (GET + H + b"X: a\r\n b\r\n\r\n", 400),
    (GET + H + b"X: a\r\n\tb\r\n\r\n", 400),
    (GET + H + b"X(A): b\r\n\r\n", 400),
    (GET + H + b"X\x80: b\r\n\r\n", 400),
    (GET + H + b"X\"A: b\r\n\r\n", 400),
    (GET + H + b": b\r\n\r\n", 400),
    (GET + H + b"NoColon\r\n\r\n", 400),
    (GET + H + b"X: a\x00b\r\n\r\n", 400),
    (GET + H + b"X: a\x01b\r\n\r\n", 400),
    (GET + H + b"X: a\x1fb\r\n\r\n", 400),
    (GET + H + b"X: a\x7fb\r\n\r\n", 400),
    # RFC 9112 §3.2: Host exactly once in HTTP/1.1, at most once, and valid
    (GET + b"\r\n", 400),
    (GET + b"Host: a\r\nHost: a\r\n\r\n", 400),
    (GET + b"Host: a\r\nHost: b\r\n\r\n", 400),
    (b"GET /hello HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (GET + b"Host: a b\r\n\r\n", 400),
    (GET + b"Host: a/b\r\n\r\n", 400),
    (GET + b"Host: u@a\r\n\r\n", 400),
    (GET + b"Host: a:8x\r\n\r\n", 400),
    (GET + b"Host: a:1:2\r\n\r\n", 400),
    (GET + b"Host: [::1\r\n\r\n", 400),
    (GET + b"Host: a, b\r\n\r\n", 400),
    # RFC 9110 §8.6, RFC 9112 §6.3 rule 5: Content-Length = 1*DIGIT, one value
    (post(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello"), 400),
    (post(b"Content-Length: 5, 6\r\n", b"hello"), 400),
    (post(b"Content-Length: 5,\r\n", b"hello"), 400),
    (post(b"Content-Length: +5\r\n", b"hello"), 400),
    (post(b"Content-Length: -5\r\n", b"hello"), 400),
    (post(b"Content-Length: 0x5\r\n", b"hello"), 400),
    (post(b"Content-Length: 5.0\r\n", b"hello"), 400),
    (post(b"Content-Length: 5 5\r\n", b"hello"), 400),
    (post(b"Content-Length: 1e1\r\n", b"hello"), 400),
    (post(b"Content-Length:\r\n", b"hello"), 400),
    (post(b"Content-Length: 99999999999999999999999\r\n", b"hello"), 400),  # overflow
    (post(b"Content-Length: 18446744073709551621\r\n", b"hello"), 400),  # 2**64 + 5
    (post(b"Content-Length: %d\r\n" % (MAX_BODY + 1)), 413),
    # RFC 9112 §6.3 rule 3: Transfer-Encoding with Content-Length
    (post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"), 400),
    (post(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n"), 400),
    # RFC 9112 §6.3 rule 4: chunked must be the final coding, applied once (§7.1)
    (te(b"0\r\n\r\n", b"chunked, gzip"), 400),
    (te(b"0\r\n\r\n", b"gzip"), 400),
    (te(b"0\r\n\r\n", b"identity"), 400),
    (te(b"0\r\n\r\n", b"chunked, chunked"), 400),
    (post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"), 400),
    (te(b"0\r\n\r\n", b"xchunked"), 400),
    (te(b"0\r\n\r\n", b"chunked;x=1"), 400),
    (te(b"0\r\n\r\n", b"\"chunked\""), 400),
    (te(b"0\r\n\r\n", b""), 400),
    (te(b"0\r\n\r\n", b"chunked\x0b"), 400),
    (te(b"0\r\n\r\n", b"g(zip, chunked"), 400),
    # RFC 9112 §6.1: a coding we do not implement before chunked
    (te(b"0\r\n\r\n", b"gzip, chunked"), 501),
    # RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing
    (post(b"Transfer-Encoding: chunked\r\n", b"0\r\n\r\n", b"POST /echo HTTP/1.0\r\n"), 400),
    # RFC 9112 §7.1: chunk-size = 1*HEXDIG, then CRLF; data then CRLF
    (te(b"0x5\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"+5\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"-5\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b" 5\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5 \r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"g\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"1" * 20 + b"\r\nhello\r\n0\r\n\r\n"), 400),  # overflow
    (te(b"10000000000000005\r\nhello\r\n0\r\n\r\n"), 400),  # 2**64 + 5
    (te(b"%x\r\n" % (MAX_BODY + 1)), 413),
    (te(b"5\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5\r\nhello\n0\r\n\r\n"), 400),  # bare LF after the data
    (te(b"5\r\nhello\r0\r\n\r\n"), 400),
    (te(b"5\r\nhelloXX0\r\n\r\n"), 400),  # no CRLF after the data
    (te(b"5\r\nhello0\r\n\r\n"), 400),
    (te(b"3\r\nhello\r\n0\r\n\r\n"), 400),  # more data than the size
    # RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
    (te(b"5;\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;=x\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a=\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a=b c\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a=\"b\r\nhello\r\n0\r\n\r\n"), 400),  # unterminated quoted-string
    (te(b"5;a=\"b\x01\"\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a\x00\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a\nb\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a\rb\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"), 400),
    (te(b"5;" + b"a" * 2000 + b"\r\nhello\r\n0\r\n\r\n"), 400),  # bounded
    # RFC 9112 §7.1.2: trailer fields are field lines, bounded like a head
    (te(b"0\r\nX : y\r\n\r\n"), 400),
    (te(b"0\r\nX: y\n\r\n"), 400),
    (te(b"0\r\nX: \x00\r\n\r\n"), 400),
    (te(b"0\r\nX: " + BIG + b"\r\n\r\n"), 431),
    (te(b"0\r\n" + MANY + b"\r\n"), 431),
    # RFC 9110 §10.1.1: an expectation we cannot meet
    (post(b"Expect: follow-me\r\nContent-Length: 5\r\n", b"hello"), 417),
    (post(b"Expect: 100-continue, x\r\nContent-Length: 5\r\n", b"hello"), 417),
    # RFC 9112 §3: 414 for a target longer than we parse; RFC 6585 §5: 431
    (b"GET /" + LONG + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    (GET + H + b"X-Big: " + BIG + b"\r\n\r\n", 431),
    (GET + H + MANY + b"\r\n", 431),
]


def check_refused(port, data, status):
    """What is wrong with the answer to a refused request ("" when right)."""
    out, how = exchange(port, data)
    head = out.split(b"\r\n\r\n", 1)[0].lower()
    if status_of(out) != status:
        return "status %r, not %d: %r" % (status_of(out), status, out[:80])
    if b"\r\nconnection: close" not in head:
        return "no connection: close: %r" % out[:200]
    if how != "fin":
        return "connection %s after the answer" % how
    if len(statuses(out)) != 1:
        return "more than one answer: %r" % out
    return ""


def test_refused_requests_get_their_status_and_a_clean_close(server):
    with ThreadPoolExecutor(6) as pool:
        verdicts = list(pool.map(lambda case: check_refused(server.port, *case), REFUSED))
    wrong = ["%d %r: %s" % (i, REFUSED[i][0][:70], v) for i, v in enumerate(verdicts) if v]
    assert not wrong, "\n".join(wrong)
    alive(server)


def alive(srv):
    assert srv.returncode is None, srv.output()
    out = raw_exchange(srv.port, GET + H + CLOSE + b"\r\n")
    assert out.endswith(b"Hello, world!"), (out, srv.output())


def answers(port, data, bodiless=()):
    """What the server answers to requests sent at once on one connection:
    (the bytes, their statuses, how the connection ended)."""
    out, how = exchange(port, data)
    return out, statuses(out, bodiless), how


ECHO = b"POST /echo HTTP/1.1\r\n" + H + CLOSE


def test_accepted_oddities_are_answered_normally(server):
    port = server.port
    ok = []
    # (request sent with Connection: close, what the body must be)
    cases = [
        # RFC 9112 §2.2: empty lines before the request-line are ignored
        (b"\r\n" + GET + H + CLOSE + b"\r\n", b"Hello, world!"),
        (b"\r\n\r\n\r\n" + GET + H + CLOSE + b"\r\n", b"Hello, world!"),
        # RFC 9112 §3.2.2: absolute-form, for any host; it replaces Host
        (b"GET http://elsewhere.example/hello HTTP/1.1\r\n" + H + CLOSE + b"\r\n",
         b"Hello, world!"),
        (b"GET HTTP://[::1]:99/hello?x=1 HTTP/1.1\r\n" + H + CLOSE + b"\r\n", b"Hello, world!"),
        # RFC 9110 §2.5: a higher 1.x minor version is answered as HTTP/1.1
        (b"GET /hello HTTP/1.2\r\n" + H + CLOSE + b"\r\n", b"Hello, world!"),
        # HTTP/1.0 needs no Host; RFC 9110 §10.1.1: its Expect is ignored
        (b"GET /hello HTTP/1.0\r\nExpect: follow-me\r\n\r\n", b"Hello, world!"),
        # RFC 9110 §5.5: HTAB and obs-text in a value
        (GET + H + b"X: a\tb\x80\xff\r\n" + CLOSE + b"\r\n", b"Hello, world!"),
        # RFC 9110 §8.6: a list of equal Content-Length values is one length
        (ECHO + b"Content-Length: 5, 5\r\n\r\nhello", b"hello"),
        (ECHO + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
        (ECHO + b"Content-Length: 005\r\n\r\nhello", b"hello"),
        # RFC 9112 §7.1: chunked, case-insensitive, with empty list elements
        # (RFC 9110 §5.6.1), extensions (§7.1.1) and trailers (§7.1.2)
        (ECHO + b"Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", b"hello"),
        (ECHO + b"Transfer-Encoding: , chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", b"hello"),
        (ECHO + b"Transfer-Encoding: chunked\r\n\r\n"
         b"2;a=b;c\r\nhe\r\n3 ; q = \"x;\\\"y\" \r\nllo\r\n000;z\r\nX-T: 1\r\n\r\n", b"hello"),
        (ECHO + b"Transfer-Encoding: chunked\r\n\r\n000000000000000000005\r\nhello\r\n0\r\n\r\n",
         b"hello"),
    ]
    for data, body in cases:
        out, how = exchange(port, data)
        if not (status_of(out) == 200 and out.endswith(body) and how == "fin"):
            ok.append("%r: %r (%s)" % (data[:60], out[:120], how))
    assert not ok, "\n".join(ok)
    alive(server)


def test_expect_100_continue(server):
    # RFC 9110 §10.1.1: 100 Continue once the server wants the body, none
    # when the request is refused from its head (its body never comes).
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        s.sendall(ECHO + b"Expect: 100-Continue\r\nContent-Length: 5\r\n\r\n")
        got = b""
        while not got.endswith(b"\r\n\r\n"):
            got += s.recv(4096)
        assert got == b"HTTP/1.1 100 Continue\r\n\r\n", got
        s.sendall(b"hello")
        out = got
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
        assert statuses(out[len(got):]) == [200] and out.endswith(b"hello"), out
    finally:
        s.close()
    out, how = exchange(server.port, post(b"Expect: 100-continue\r\nContent-Length: %d\r\n"
                                          % (MAX_BODY + 1)))
    assert statuses(out) == [413] and how == "fin", (out, how)


def test_methods_head_options_405_501(server):
    port = server.port
    # RFC 9110 §9.3.2: HEAD is GET's head (its Content-Length), without the
    # body; the next pipelined request is still read right after it.
    out, codes, how = answers(port, b"HEAD /hello HTTP/1.1\r\n" + H + b"\r\n"
                              + GET + H + CLOSE + b"\r\n", (0,))
    assert codes == [200, 200] and how == "fin", out
    first = out.split(b"\r\n\r\n", 1)
    assert b"\r\ncontent-length: 13" in first[0].lower(), out
    assert first[1].startswith(b"HTTP/1.1 200") and out.endswith(b"Hello, world!"), out
    # RFC 9110 §9.3.7: OPTIONS * is about the server; §15.5.6: 405 with Allow;
    # §15.6.2: 501 for a method the server does not implement.  None of
    # these closes the connection: the last request is answered too.
    out, codes, how = answers(port, b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n"
                              b"PUT /hello HTTP/1.1\r\n" + H + b"Content-Length: 0\r\n\r\n"
                              b"BREW /hello HTTP/1.1\r\n" + H + b"\r\n"
                              b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"
                              + GET + H + CLOSE + b"\r\n")
    assert codes == [200, 405, 501, 501, 200] and how == "fin", out
    heads = [h.lower() for h in out.split(b"\r\n\r\n")]
    assert b"\r\nallow: " in heads[0] and b"\r\nallow: get, head" in heads[1], out


def test_persistence_and_pipelining(server):
    port = server.port
    # RFC 9112 §9.3: pipelined requests are answered in order; after a
    # request with Connection: close nothing more is read (§9.6).
    pipeline = b"".join(b"GET /items/%d HTTP/1.1\r\n" % i + H + b"\r\n" for i in range(3))
    out, codes, how = answers(port, pipeline + GET + H + CLOSE + b"\r\n" + GET + H + b"\r\n")
    assert codes == [200] * 4 and how == "fin", out
    assert [out.find(b'"item": %d' % i) > 0 or out.find(b'"item":%d' % i) > 0
            for i in range(3)] == [True] * 3
    assert out.endswith(b"Hello, world!") and b"connection: close" in out.lower(), out
    # HTTP/1.0: the connection persists only with Connection: keep-alive.
    out, codes, how = answers(port, b"GET /hello HTTP/1.0\r\n\r\n" + GET + H + b"\r\n")
    assert codes == [200] and how == "fin", out
    out, codes, how = answers(port, b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                              + GET + H + CLOSE + b"\r\n")
    assert codes == [200, 200] and how == "fin", out
    # A refused request in a pipeline: the ones before it are answered, then
    # its status, and the close.
    out, codes, how = answers(port, GET + H + b"\r\n" + b"GET /x HTTP/1.1\r\nHost : a\r\n\r\n"
                              + GET + H + b"\r\n")
    assert codes == [200, 400] and how == "fin", out
    alive(server)
