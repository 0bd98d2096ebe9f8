"""The bad-input corpus of host_tests/test_http_conformance.py: requests a
strict HTTP/1.1 server refuses, each with its status and the RFC section
that says so (RFC 9112, RFC 9110), sized to the test board's limits.
"""

from httpserver import PROFILE

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
    (b"GET http://a/hello HTTP/1.1\r\n\r\n", 400),  # absolute-form needs Host too
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
    # ...and with that body sent all the same: read and dropped, then the close
    (post(b"Content-Length: %d\r\n" % (MAX_BODY + 1), b"x" * (MAX_BODY + 1)), 413),
    (te(b"%x\r\n" % MAX_BODY + b"x" * MAX_BODY + b"\r\n1\r\nx\r\n0\r\n\r\n"), 413),
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
