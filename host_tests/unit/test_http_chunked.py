# The chunked coding on receive (remora.proto.http.chunked, RFC 9112 §7.1): loaded
# only with the first chunked body; Transfer-Encoding judged (RFC 9112 §6.1, §6.3
# rule 4); chunk sizes and extensions held to the grammar, whole and byte by byte;
# the data, the trailers and the resumption at every byte.  Runs on both runtimes.
import sys

from remora.proto.http.events import NEED_DATA, PAUSED, Data, EndOfMessage, RemoteProtocolError
from remora.proto.http.limits import Limits
from remora.proto.http.server import ServerConnection

HEAD = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: %s\r\n\r\n"


def run(data, limits=None, split=False):
    """(the body's bytes, its trailers) that data gives, or the status it is refused with."""
    conn = ServerConnection(limits)
    pieces = [data[i : i + 1] for i in range(len(data))] if split else [data]
    body = b""
    trailers = None
    try:
        for piece in pieces:
            conn.receive_data(piece)
            while True:
                event = conn.next_event()
                if event is NEED_DATA or event is PAUSED:
                    break
                if type(event) is Data:
                    body += event.data
                elif type(event) is EndOfMessage:
                    trailers = event.trailers or []
    except RemoteProtocolError as exc:
        return exc.status
    return body, trailers


# -- loaded with the first chunked body, not before --------------------------------------
assert run(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi") == (b"hi", [])
assert "remora.proto.http.chunked" not in sys.modules
assert run(HEAD % b"chunked" + b"2\r\nhi\r\n0\r\n\r\n") == (b"hi", [])
assert "remora.proto.http.chunked" in sys.modules

# -- Transfer-Encoding ------------------------------------------------------------------
BODY = b"2\r\nhi\r\n0\r\n\r\n"
CODINGS = [
    (b"chunked", 0),
    (b"CHUNKED", 0),  # RFC 9110 §7.3: coding names are case-insensitive
    (b" ,chunked, ", 0),  # RFC 9110 §5.6.1: empty list elements are ignored
    (b"gzip, chunked", 501),  # RFC 9112 §6.1: a coding we do not implement
    (b"x-y;q=1, chunked", 501),
    (b"gzip", 400),  # RFC 9112 §6.3 rule 4: chunked is not final
    (b"chunked, gzip", 400),
    (b"chunked, chunked", 400),  # RFC 9112 §7.1: chunked once
    (b"chunked;a=1", 400),  # chunked has no parameters
    (b"", 400),
    (b",", 400),
    (b"g@zip, chunked", 400),  # not a coding at all
    (b";q=1, chunked", 400),
]
for value, status in CODINGS:
    got = run(HEAD % value + BODY)
    assert got == ((b"hi", []) if status == 0 else status), (value, got)
assert run(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + BODY) == 400

# -- chunk-size and chunk-ext ------------------------------------------------------------
SIZES = [
    (b"2", 0),
    (b"02", 0),
    (b"0" * 30 + b"2", 0),  # leading zeros do not count toward 64 bits
    (b"2 ;a", 0),  # BWS before ";"
    (b"2;a", 0),
    (b"2;a=b", 0),
    (b"2 ; a = b ; c", 0),
    (b'2;a="b"', 0),
    (b'2;a=""', 0),
    (b'2;a="x;y=z"', 0),  # ";" and "=" quoted
    (b'2;a="\\"\\\\"', 0),  # quoted-pairs
    (b'2;a="\t\xff"', 0),  # HTAB and obs-text are qdtext
    (b"2;a ", 0),
    (b"", 400),
    (b" 2", 400),
    (b"2 ", 400),
    (b"0x2", 400),
    (b"+2", 400),
    (b"2g", 400),
    (b"1" * 17, 400),  # 64 bits, overflowed
    (b"2;", 400),
    (b"2;;a", 400),
    (b"2;=b", 400),
    (b"2;a=", 400),
    (b"2;a b", 400),
    (b"2;a=b c", 400),
    (b"2;a=b;", 400),
    (b'2;a="b', 400),  # unterminated
    (b'2;a="b\\"', 400),  # the quote is quoted: unterminated
    (b'2;a="b"c', 400),
    (b'2;a=b"c"', 400),
    (b"2;a\x00", 400),
    (b'2;a="\x01"', 400),
    (b"2;a\x7f", 400),
    (b"2;a@b", 400),
]
for line, status in SIZES:
    data = HEAD % b"chunked" + line + b"\r\nhi\r\n0\r\n\r\n"
    want = (b"hi", []) if status == 0 else status
    assert run(data) == want, (line, run(data))
    assert run(data, split=True) == want, ("split", line)

# -- data, its CRLF, trailers ------------------------------------------------------------
GOOD = HEAD % b"chunked" + b"5\r\nhello\r\n1;x\r\n \r\n0\r\nA: 1\r\nB: 2\r\n\r\n"
for split in (False, True):
    assert run(GOOD, split=split) == (b"hello ", [("a", "1"), ("b", "2")])
BAD = [
    b"2\r\nhiX\r\n0\r\n\r\n",  # more data than the size
    b"2\r\nhi\n0\r\n\r\n",  # bare LF after the data
    b"2\r\nhi\r0\r\n\r\n",
    b"2\nhi\r\n0\r\n\r\n",
    b"0\r\nA : 1\r\n\r\n",  # a trailer is a field line
    b"0\r\nA: 1\n\r\n",
    b"0\r\n A: 1\r\n\r\n",
]
for body in BAD:
    assert run(HEAD % b"chunked" + body) == 400, body
    assert run(HEAD % b"chunked" + body, split=True) == 400, ("split", body)

# Bounds: the size line, the sum of the chunks, the trailers.
lim = Limits(max_body=10, max_header_bytes=60, max_headers=2)
lim.max_chunk_line = 8
assert run(HEAD % b"chunked" + b"2;abcdef\r\nhi\r\n0\r\n\r\n", lim) == (b"hi", [])
assert run(HEAD % b"chunked" + b"2;abcdefg\r\nhi\r\n0\r\n\r\n", lim) == 400
assert run(HEAD % b"chunked" + b"2;abcdefgh", lim) == 400  # refused before its CRLF
assert run(HEAD % b"chunked" + b"a\r\n0123456789\r\n0\r\n\r\n", lim) == (b"0123456789", [])
assert run(HEAD % b"chunked" + b"6\r\n012345\r\n5\r\n", lim) == 413
assert run(HEAD % b"chunked" + b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim) == 431
assert run(HEAD % b"chunked" + b"0\r\nA: " + b"x" * 60 + b"\r\n\r\n", lim) == 431

# A cut: the peer closes inside the body.
for cut in (b"2\r\nh", b"2\r\nhi", b"2\r\nhi\r\n", b"0\r\n", b"0\r\nA: 1\r\n"):
    conn = ServerConnection()
    conn.receive_data(HEAD % b"chunked" + cut)
    conn.receive_data(b"")
    try:
        while conn.next_event() is not NEED_DATA:
            pass
    except RemoteProtocolError as exc:
        assert exc.status == 400, cut
    else:
        raise AssertionError("a cut body was accepted: %r" % cut)

print("PASS")
