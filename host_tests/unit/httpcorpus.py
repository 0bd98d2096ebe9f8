# The HTTP core's fuzz corpus (not a test itself: test_units.py runs only test_*.py).
#
# Valid messages mutated (bytes flipped, dropped, doubled, and HTTP's own tokens inserted)
# by a fixed xorshift, so every runtime and every build sees the same cases:
# test_http_fuzz.py (whole and in pieces, the same verdict) and the differential test of the
# compiled core (host_tests/programs/http_trace.py: the same events and verdicts from the
# Python and the mypyc-compiled core).
from remora.proto.http import state as core
from remora.proto.http.state import CLIENT, SERVER
from remora.proto.http.client import ClientConnection
from remora.proto.http.server import ServerConnection
from remora.proto.http.events import NEED_DATA, PAUSED, ConnectionClosed, Data, EndOfMessage
from remora.proto.http.limits import Limits
from remora.proto.http.events import ProtocolError, RequestHead, ResponseHead


def Connection(role, limits=None):
    """The core's connection for role."""
    return (ServerConnection if role == SERVER else ClientConnection)(limits)

REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /a?b=c HTTP/1.1\r\nHost: example.com:80\r\nAccept: */*\r\nCookie: a=b\r\n\r\n"
    b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    b"PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET http://h:8/p?q HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nRAW",
    # The strict grammar's corners: quoted chunk extensions, authority-form,
    # expectations, a 1.x minor version, empty lines before the request.
    b"\r\nPOST /q HTTP/1.2\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n"
    b"3 ; a = \"x;\\\"y\" ;b\r\nabc\r\n0\r\n\r\n",
    b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nExpect: 100-continue, x\r\n\r\n",
]
RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
]
TOKENS = [
    b"\r\n", b"\n", b"\r", b" ", b"\t", b":", b";", b",", b"0", b"-1", b"chunked",
    b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n", b"Host: x\r\n",
    b"\x00", b"\x7f", b"\xff", b"HTTP/1.1", b"ffffffffffffffffffff", b"\r\n\r\n", b"%", b"?", b"/",
    b'"', b"=", b"\\", b"@",
]

_state = [0x2545F491]


def rand(n):
    """0 <= rand(n) < n, from a 32-bit xorshift."""
    x = _state[0]
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    _state[0] = x
    return x % n


def mutate(data):
    b = data
    for _ in range(1 + rand(3)):
        i = rand(len(b) + 1)
        op = rand(5)
        if op == 0 and b:
            i = min(i, len(b) - 1)
            b = b[:i] + bytes([rand(256)]) + b[i + 1 :]
        elif op == 1:
            b = b[:i] + TOKENS[rand(len(TOKENS))] + b[i:]
        elif op == 2 and b:
            b = b[:i] + b[i + 1 + rand(5) :]
        elif op == 3 and b:
            b = b[:i] + b[i : i + 1 + rand(9)] + b[i:]
        else:
            b = b[:i] + b"\r\n :;,0aZ\t"[rand(11) :][:1] + b[i:]
    return b


def pieces(data):
    cuts = sorted(rand(len(data) + 1) for _ in range(1 + rand(7)))
    out = []
    last = 0
    for c in cuts + [len(data)]:
        if c > last:
            out.append(data[last:c])
            last = c
    return out


def events_of(role, chunks, limits=None):
    """What the core makes of chunks: events (Data merged), then ("error", status) if it
    refused.  A server answers each request at once (so pipelined ones continue).  limits:
    one server's (its memo of lines seen), else fresh ones."""
    conn = Connection(role, limits or Limits())
    if role == CLIENT:
        conn.send_request_head("GET", "/", [("host", "h")])
        conn.send_end()
    out = []
    try:
        for chunk in chunks:
            conn.receive_data(chunk)
            while True:
                event = conn.next_event()
                if event is NEED_DATA:
                    break
                if event is PAUSED:
                    if role == SERVER and conn.our_state == core.SEND_RESPONSE:
                        conn.send_response_head(200, [("content-length", "0")])
                        conn.send_end()
                        if conn.our_state == core.DONE and conn.their_state == core.DONE:
                            conn.start_next_cycle()
                            continue
                    out.append("paused")
                    return out
                kind = type(event)
                if kind is Data:
                    if out and out[-1][0] == "data":
                        out[-1] = ("data", out[-1][1] + bytes(event.data))
                    else:
                        out.append(("data", bytes(event.data)))
                elif kind is RequestHead:
                    out.append(("request", event.method, event.target, event.version, repr(event.headers)))
                elif kind is ResponseHead:
                    out.append(("response", event.status, repr(event.headers)))
                elif kind is EndOfMessage:
                    out.append(("end",))
                elif kind is ConnectionClosed:
                    out.append(("closed",))
                    return out
                else:
                    raise AssertionError("unknown event %r" % (event,))
    except ProtocolError as exc:
        status = getattr(exc, "status", None)
        if role == SERVER:
            assert status is not None and 400 <= status < 600, (status, exc)
        out.append(("error", status))
    return out



def cases(count):
    """(role, data, eof, [two splits of data]) for count cases, in a fixed order."""
    for _case in range(count):
        role = SERVER if rand(4) else CLIENT
        seeds = REQUESTS if role == SERVER else RESPONSES
        data = seeds[rand(len(seeds))]
        if rand(10):
            data = mutate(data)
        eof = [b""] if rand(3) == 0 else []
        yield role, data, eof, [pieces(data), pieces(data)]
