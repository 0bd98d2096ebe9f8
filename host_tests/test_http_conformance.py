"""HTTP/1.1 conformance of the running server (RFC 9112, RFC 9110), as strict
suites and request-smuggling corpora check it: raw bytes on a socket, the
status line that comes back, and how the connection ends.

Every refused request must get its status with ``Connection: close``, then
a clean close (FIN, no reset), and the server must go on serving others.
The accepted oddities (leading CRLFs, absolute-form, HTTP/1.2 as 1.1, lists
of equal Content-Length values, chunk extensions with quoted strings) must
be answered like the plain request.  The refused cases (h1cases.py) run a
few at a time on one server per runtime (host_tests/apps/httpapp, the
ESP32-S3 test board).
"""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from h1cases import CLOSE, GET, H, MAX_BODY, REFUSED, post
from httpserver import Server, raw_exchange, status_of


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
    # The same for a streamed answer, a static file and a page: a head only.
    for target in (b"/stream?n=3", b"/plain.txt", b"/index.rsp"):
        out, how = exchange(port, b"HEAD " + target + b" HTTP/1.1\r\n" + H + b"\r\n"
                            + GET + H + CLOSE + b"\r\n")
        first = out.split(b"\r\n\r\n", 1)
        assert first[0].startswith(b"HTTP/1.1 200") and how == "fin", (target, out)
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
    # ...to a page or a static file too (pages are mounted at "/"): 501 for
    # an unknown method, 405 with Allow from a file for a known one.
    out, codes, how = answers(port, b"BREW / HTTP/1.1\r\n" + H + b"\r\n"
                              b"BREW /index.rsp HTTP/1.1\r\n" + H + b"\r\n"
                              b"DELETE /plain.txt HTTP/1.1\r\n" + H + b"\r\n"
                              + GET + H + CLOSE + b"\r\n")
    assert codes == [501, 501, 405, 200] and how == "fin", out
    assert b"\r\nallow: get, head" in out.lower().split(b"\r\n\r\n")[2], out


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
