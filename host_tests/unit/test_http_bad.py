# The sans-IO HTTP/1.1 core, server role: the bad-input corpus, each case with the
# exact status hint of its RemoteProtocolError.  Runs on both runtimes.
from remora.proto.http import state as core
from remora.proto.http.state import CLIENT, SERVER
from remora.proto.http.client import ClientConnection
from remora.proto.http.server import ServerConnection


def Connection(role, limits=None):
    """The core's connection for role (the tests were written for one class)."""
    return (ServerConnection if role == SERVER else ClientConnection)(limits)
from remora.proto.http.events import ProtocolError, RemoteProtocolError
from remora.proto.http.events import NEED_DATA, PAUSED, ConnectionClosed, Data, EndOfMessage, ResponseHead
from remora.proto.http.limits import Limits


def status_of(data, limits=None, eof=False, split=False):
    """The status of the RemoteProtocolError that data provokes (0: none)."""
    conn = Connection(SERVER, limits)
    pieces = [data[i : i + 1] for i in range(len(data))] if split else [data]
    if eof:
        pieces.append(b"")
    try:
        for piece in pieces:
            conn.receive_data(piece)
            while True:
                event = conn.next_event()
                if event is NEED_DATA or event is PAUSED or type(event) is ConnectionClosed:
                    break
    except RemoteProtocolError as exc:
        assert isinstance(exc, ProtocolError) and str(exc)
        assert conn.their_state == core.ERROR and not conn.keep_alive
        # The connection stays broken, and we may still answer.
        try:
            conn.next_event()
        except RemoteProtocolError:
            pass
        else:
            raise AssertionError("ERROR state did not stick")
        reply = conn.send_response_head(exc.status, [("content-length", "0")])
        assert reply.endswith(b"connection: close\r\n\r\n"), reply
        return exc.status
    return 0


H = b"Host: h\r\n"


def req(head_lines, body=b"", line=b"POST / HTTP/1.1"):
    return line + b"\r\n" + head_lines + b"\r\n" + body


CASES = [
    # -- request line (RFC 9112 §3) --
    (b"GET / HTTP/1.1\nHost: h\n\n", 400),  # bare LF line endings
    (b"GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
    (b"\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET / HTTP/1.1\rX: y\r\nHost: h\r\n\r\n", 400),  # bare CR
    (b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # two spaces
    (b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
    (b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # space in target
    (b"GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # CTL in target
    (b"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # method not a token
    (b"G\x00T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET /\r\nHost: h\r\n\r\n", 400),  # HTTP/0.9 style
    (b"GET / http/1.1\r\nHost: h\r\n\r\n", 400),  # case-sensitive version
    (b"GET / HTTP/1\r\nHost: h\r\n\r\n", 400),
    (b"GET / HTTP/1.1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET / HTTP/x.y\r\nHost: h\r\n\r\n", 400),
    (b"GET / FOO\r\nHost: h\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
    (b"GET / HTTP/2\r\nHost: h\r\n\r\n", 400),  # not DIGIT "." DIGIT
    (b"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505),
    (b"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505),
    # -- header fields (RFC 9112 §5) --
    (req(H + b"X-A : b\r\n"), 400),  # whitespace before the colon
    (req(H + b"X-A\t: b\r\n"), 400),
    (req(H + b" X-A: b\r\n"), 400),
    (req(H + b"X-A: b\r\n continued\r\n"), 400),  # obs-fold
    (req(H + b"X-A: b\r\n\tcontinued\r\n"), 400),
    (req(H + b"NoColon\r\n"), 400),
    (req(H + b": empty name\r\n"), 400),
    (req(H + b"X(A): b\r\n"), 400),
    (req(H + b"X-A: a\x01b\r\n"), 400),  # CTL in a value
    (req(H + b"X-A: a\x00b\r\n"), 400),  # NUL
    (req(H + b"X-A: a\x1bb\r\n"), 400),
    (req(H + b"X-A: a\x7fb\r\n"), 400),
    (req(H + b"X-A: a\rb\r\n"), 400),
    # -- Host (RFC 9112 §3.2) --
    (b"GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400),
    # -- body framing (RFC 9112 §6) --
    (req(H + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"), 400),
    (req(H + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), 400),
    (req(H + b"Transfer-Encoding: gzip, chunked\r\n"), 501),
    # RFC 9112 §6.3 rule 4: chunked not final (or absent): 400; §7.1: applied once
    (req(H + b"Transfer-Encoding: identity\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked, chunked\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400),
    (req(H + b"Transfer-Encoding: gzip\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked, gzip\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked;a=b\r\n"), 400),
    (req(H + b"Transfer-Encoding: g(z, chunked\r\n"), 400),
    (req(H + b"Transfer-Encoding:\r\n"), 400),
    (req(H + b"Transfer-Encoding: ,\r\n"), 400),
    (req(H + b"Transfer-Encoding: gzip;level=1, chunked\r\n"), 501),
    (req(H + b"Transfer-Encoding: , Chunked,\r\n", b"0\r\n\r\n"), 0),  # empty elements
    (req(b"Transfer-Encoding: chunked\r\n", line=b"POST / HTTP/1.0"), 400),
    (req(H + b"Content-Length: 3\r\nContent-Length: 4\r\n"), 400),
    (req(H + b"Content-Length: 3, 4\r\n"), 400),
    (req(H + b"Content-Length: 3,\r\n"), 400),
    (req(H + b"Content-Length: +5\r\n"), 400),
    (req(H + b"Content-Length: -1\r\n"), 400),
    (req(H + b"Content-Length:  5x\r\n"), 400),
    (req(H + b"Content-Length: 0x10\r\n"), 400),
    (req(H + b"Content-Length: 1_0\r\n"), 400),
    (req(H + b"Content-Length: 1 0\r\n"), 400),
    (req(H + b"Content-Length:\r\n"), 400),
    (req(H + b"Content-Length: \xb2\r\n"), 400),  # a latin-1 "superscript two"
    (req(H + b"Content-Length: 1048577\r\n"), 413),  # over max_body, no body sent
    (req(H + b"Content-Length: 99999999999999999999999\r\n"), 400),  # overflow
    (req(H + b"Content-Length: 1000000000000000000\r\n"), 400),  # 19 digits
    (req(H + b"Content-Length: 999999999999999999\r\n"), 413),  # 18: only too large
    (req(H + b"Content-Length: 0000000000000000000005\r\n", b"hello"), 0),
    # -- chunked coding (RFC 9112 §7.1) --
    (req(H + b"Transfer-Encoding: chunked\r\n", b"0x5\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"-5\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b" 5\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"g\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"\r\n"), 400),  # empty size
    (req(H + b"Transfer-Encoding: chunked\r\n", b"1" * 17 + b"\r\nx\r\n"), 400),  # overflow
    (req(H + b"Transfer-Encoding: chunked\r\n", b"0" * 17 + b"1\r\nx\r\n0\r\n\r\n"), 0),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5 \r\nhello\r\n0\r\n\r\n"), 400),
    # RFC 9112 §7.1.1: chunk extensions, to the grammar
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;=b\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a=\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a=b c\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a b\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a=\"b\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a=\"b\\\"\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n",
         b"5 ;a;b = c; d=\"x;\\\"\xff\" \r\nhello\r\n0;z\r\n\r\n"), 0),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5\r\nhelloXX0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;a\nb\r\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5\nhello\r\n0\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;" + b"e" * 1100 + b"\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"5;" + b"e" * 1100), 400),  # still coming
    (req(H + b"Transfer-Encoding: chunked\r\n", b"100001\r\n"), 413),  # > max_body
    (req(H + b"Transfer-Encoding: chunked\r\n", b"80000\r\n" + b"x" * 20), 0),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"0\r\nX-A : b\r\n\r\n"), 400),  # trailer
    (req(H + b"Transfer-Encoding: chunked\r\n", b"0\r\nX: \x01\r\n\r\n"), 400),
    (req(H + b"Transfer-Encoding: chunked\r\n", b"0\r\nX: a\n\r\n"), 400),
    # -- request-target forms (RFC 9112 §3.2) --
    (b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # not ASCII
    (b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # a fragment is never sent
    (b"GET a HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # no form at all
    (b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # asterisk-form: OPTIONS only
    (b"GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # scheme starts with a letter
    (b"GET ht_tp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0),
    (b"GET http://h/a?b HTTP/1.1\r\nHost: h\r\n\r\n", 0),  # absolute-form
    (b"GET coap+tcp://h HTTP/1.1\r\nHost: h\r\n\r\n", 0),
    (b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 0),  # authority-form
    (b"CONNECT [::1]:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 0),
    (b"CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # CONNECT: authority-form only
    (b"CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # RFC 9110 §9.3.6: a port
    (b"CONNECT h: HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"CONNECT u@h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"CONNECT http://h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400),  # authority-form: CONNECT only
    # RFC 9110 §4.2.1, §4.2.4: an http URI has a host, and no userinfo
    (b"GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET http://u@h/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET http://h:x/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET http://[::1/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET HTTPS://h?a HTTP/1.1\r\nHost: h\r\n\r\n", 0),
    (b"GET http://[::1]:8/a HTTP/1.1\r\nHost: h\r\n\r\n", 0),
    (b"GET file:///a HTTP/1.1\r\nHost: h\r\n\r\n", 0),  # no host needed there
    # RFC 9110 §10.1.1: 417 for an expectation other than 100-continue
    (b"GET / HTTP/1.1\r\nHost: h\r\nExpect: x\r\n\r\n", 417),
    (b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nExpect: x\r\n\r\n", 417),
    (b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue;a=b\r\n\r\n", 417),
    (b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n", 0),
    (b"GET / HTTP/1.1\r\nHost: h\r\nExpect:\r\n\r\n", 0),
    (b"GET / HTTP/1.0\r\nExpect: x\r\n\r\n", 0),  # ignored in HTTP/1.0
    (b"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 0),  # RFC 9110 §2.5: as 1.1
    (b"GET / HTTP/1.2\r\n\r\n", 400),  # ...so Host is due
    (b"GET / HTTP/01.1\r\nHost: h\r\n\r\n", 400),
    (b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 0),  # RFC 9112 §2.2
    # -- the Host value (RFC 9112 §3.2, RFC 9110 §7.2) --
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a]\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: caf\xe9\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost:\r\n\r\n", 0),  # empty: a URI without authority
    (b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 0),
    (b"GET / HTTP/1.1\r\nHost: h:\r\n\r\n", 0),  # port = *DIGIT
    (b"GET / HTTP/1.1\r\nHost: xn--d1acufc.xn--p1ai:8080\r\n\r\n", 0),
    (b"GET / HTTP/1.1\r\nHost: %41b\r\n\r\n", 0),
]

for data, status in CASES:
    got = status_of(data)
    assert got == status, (data, got, status)
    got = status_of(data, split=True)  # the same verdict, byte by byte
    assert got == status, ("split", data, got, status)

# The validated Content-Length: "5, 5" is one length (RFC 9110 §8.6).
conn = Connection(SERVER)
conn.receive_data(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello")
assert conn.next_event().method == "POST" and conn.content_length == 5
assert conn.next_event() == Data(b"hello") and conn.next_event() == EndOfMessage()

# A chunked body whose chunks add up past max_body: 413 at the size line that
# crosses it, after the earlier chunks were delivered.
lim = Limits(max_body=10)
body = b"6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"
assert status_of(req(H + b"Transfer-Encoding: chunked\r\n", body), lim) == 413
assert status_of(req(H + b"Content-Length: 11\r\n"), lim) == 413
assert status_of(req(H + b"Content-Length: 10\r\n", b"0123456789"), lim) == 0

# -- sizes: 414, 431 -----------------------------------------------------------------
lim = Limits(max_request_line=40, max_header_bytes=100, max_headers=3)
line40 = b"GET /" + b"a" * 26 + b" HTTP/1.1"
assert len(line40) == 40
assert status_of(line40 + b"\r\nHost: h\r\n\r\n", lim) == 0
assert status_of(line40[:-9] + b"a HTTP/1.1\r\nHost: h\r\n\r\n", lim) == 414  # 41 bytes
# Detected while still receiving: no CRLF within max_request_line bytes.
assert status_of(line40 + b"a", lim) == 414
assert status_of(line40[:-9] + b"a HTTP/1.1\r", lim) == 414
assert status_of(line40 + b"\r", lim) == 0  # could still be fine
assert status_of(b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", lim) == 0
assert status_of(b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim) == 431
# The head counts request line, fields and their CRLFs: exactly 100 bytes pass.
head = b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"v" * 70 + b"\r\n"
assert len(head) == 100 and status_of(head + b"\r\n", lim) == 0
assert status_of(head[:-2] + b"v\r\n\r\n", lim) == 431
assert status_of(head[:-2] + b"vvvv", lim) == 431  # still receiving, already too big
assert status_of(head + b"\r", lim) == 0
# Trailers are bounded like a head.
trailer = b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"  # 4 fields > 3
assert status_of(req(H + b"Transfer-Encoding: chunked\r\n", trailer), lim) == 431
assert status_of(req(H + b"Transfer-Encoding: chunked\r\n", b"0\r\nA: " + b"x" * 99), lim) == 431
assert status_of(req(H + b"Transfer-Encoding: chunked\r\n", trailer[:-8] + b"\r\n"), lim) == 0  # 3 fields

# -- EOF (RFC 9112 §8: an incomplete message) -------------------------------------------
assert status_of(b"GET / HTTP/1.1\r\nHost: h\r\n", eof=True) == 400  # mid-head
assert status_of(b"G", eof=True) == 400
assert status_of(req(H + b"Content-Length: 5\r\n", b"abc"), eof=True) == 400  # mid-body
assert status_of(req(H + b"Transfer-Encoding: chunked\r\n", b"5\r\nab"), eof=True) == 400
assert status_of(req(H + b"Transfer-Encoding: chunked\r\n", b"0\r\n"), eof=True) == 400
assert status_of(req(H + b"Content-Length: 3\r\n", b"abc"), eof=True) == 0  # complete
assert status_of(b"\r\n\r\n", eof=True) == 0  # only empty lines: a clean close
# A request without framing headers has no body: the rest waits, even at EOF.
conn = Connection(SERVER)
conn.receive_data(b"POST / HTTP/1.1\r\nHost: h\r\n\r\nstray")
conn.receive_data(b"")
assert conn.next_event().method == "POST" and conn.next_event() == EndOfMessage()
assert conn.next_event() is PAUSED and conn.trailing_data == (b"stray", True)

# The first bytes after an error still get a well-formed answer, without keep-alive.
conn = Connection(SERVER)
conn.receive_data(b"BAD\r\n\r\n")
try:
    conn.next_event()
except RemoteProtocolError as exc:
    assert exc.status == 400
else:
    raise AssertionError("accepted a bad request line")
head = conn.send(ResponseHead(400, [("content-length", "3")]))
assert head == b"HTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\nconnection: close\r\n\r\n"
assert conn.send(Data(b"bad")) == b"bad" and conn.send(EndOfMessage()) == b""
assert conn.our_state == core.MUST_CLOSE

# The byte sets, reordered for MicroPython's strip, still hold exactly the
# bytes of their RFC definitions.
from remora.proto.http import fields as events

assert sorted(set(events.TCHAR)) == sorted(
    set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
) and len(events.TCHAR) == 77
assert sorted(events._ALLOWED) == [9, 10, 13] + list(range(32, 127)) + list(range(128, 256))
shared = Limits()  # one server's limits, with its memo of the lines it parsed
for b in range(256):
    ctl = b < 32 and b not in (9, 10, 13) or b == 127
    assert events.has_ctl(bytes([b])) == ctl, b
    if b not in (10, 13):  # split lines hold no CR or LF
        line = b"X: a" + bytes([b]) + b"b"
        head = b"GET / HTTP/1.1\r\nHost: h\r\n" + line + b"\r\n\r\n"
        assert (status_of(head, shared) == 400) == ctl, b
        assert (status_of(head, shared) == 400) == ctl, b  # again: the line memo's verdict

print("PASS")
