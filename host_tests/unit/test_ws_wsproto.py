# The WebSocket core (remora.proto.ws) against another implementation, the
# wsproto library, on CPython: the handshake both ways (with h11 for the HTTP
# around it), messages, fragments, pings and closes both ways, and the same
# verdict (messages, control frames, close code) on a few thousand malformed
# frame streams.  MicroPython has no wsproto: it prints SKIP, then PASS.
try:
    import h11
    import wsproto
    from wsproto import ConnectionType
    from wsproto import connection as wsp_connection
    from wsproto import events as wsp
except ImportError:
    wsproto = None

if wsproto is None:
    print("SKIP: wsproto is not installed on this runtime")
    print("PASS")
    raise SystemExit(0)

from remora.proto.ws.connection import Connection
from remora.proto.ws.events import DONE, NEED_DATA, Close, Data, Ping, Pong
from remora.proto.ws.frames import frame
from remora.proto.ws.handshake import check_response, request_headers, server_handshake
from remora.proto.ws.state import CLIENT, CLOSED, ERROR, SERVER


def drain(conn):
    out = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA or event is DONE:
            return out
        out.append(event)


def h11_events(conn):
    out = []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA or event is h11.PAUSED:
            return out
        out.append(event)


def text(headers):
    return [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in headers]


# -- the handshake: a wsproto client, our server ------------------------------------------
theirs = wsproto.WSConnection(ConnectionType.CLIENT)
request = theirs.send(wsp.Request(host="example.com", target="/chat", subprotocols=["v2", "chat"]))
http = h11.Connection(h11.SERVER)
http.receive_data(request)
req = h11_events(http)[0]
status, fields, upgrade = server_handshake(
    req.method.decode(), "HTTP/" + req.http_version.decode(), text(req.headers), ("chat",)
)
assert status == 101 and upgrade.subprotocols == ["v2", "chat"], (status, fields)
theirs.receive_data(http.send(h11.InformationalResponse(status_code=101, headers=fields)))
accepted = list(theirs.events())
assert len(accepted) == 1 and type(accepted[0]) is wsp.AcceptConnection, accepted
assert accepted[0].subprotocol == "chat"
server = Connection(SERVER)
theirs.receive_data(server.send_message("hello from remora"))
got = list(theirs.events())
assert got == [wsp.TextMessage(data="hello from remora", frame_finished=True, message_finished=True)]
server.receive_data(theirs.send(wsp.TextMessage(data="and from wsproto")))
assert drain(server) == [Data(b"and from wsproto", True, 16, 16, True)]

# -- the handshake: our client, a wsproto server ------------------------------------------
fields, key = request_headers("example.com", ("chat", "v2"))
http = h11.Connection(h11.CLIENT)
theirs = wsproto.WSConnection(ConnectionType.SERVER)
theirs.receive_data(http.send(h11.Request(method="GET", target="/chat", headers=fields)))
req = list(theirs.events())
assert type(req[0]) is wsp.Request and req[0].subprotocols == ["chat", "v2"], req
http.receive_data(theirs.send(wsp.AcceptConnection(subprotocol="v2")))
resp = h11_events(http)[0]
assert check_response(resp.status_code, text(resp.headers), key, ("chat", "v2")) == "v2"
client = Connection(CLIENT)
theirs.receive_data(client.send_message(b"\x00\x01binary"))
assert list(theirs.events()) == [
    wsp.BytesMessage(data=b"\x00\x01binary", frame_finished=True, message_finished=True)
]

# -- conversations, both roles --------------------------------------------------------------


class Rand:
    def __init__(self, seed):
        self.x = seed

    def below(self, n):
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.x >> 8) % n

    def bytes(self, n):
        return bytes(self.below(256) for _ in range(n))


ALPHABET = "aé€𝄞 z\u07ff\u0800\ud7ff\ue000\uffff\U00010000\U0010ffff"


def their_messages(events):
    """(kind, data) per whole message or control frame from wsproto events."""
    out = []
    pending = None
    for event in events:
        if isinstance(event, wsp.Message):
            pending = event.data if pending is None else pending + event.data
            if event.message_finished:
                out.append(("text" if isinstance(event, wsp.TextMessage) else "binary", pending))
                pending = None
        elif type(event) is wsp.Ping:
            out.append(("ping", bytes(event.payload)))
        elif type(event) is wsp.Pong:
            out.append(("pong", bytes(event.payload)))
        elif type(event) is wsp.CloseConnection:
            out.append(("close", event.code))
    return out


def our_messages(events):
    out = []
    pending = b""
    for event in events:
        if type(event) is Data:
            pending += bytes(event.data)
            if event.message_end:
                out.append(("text", pending.decode()) if event.text else ("binary", pending))
                pending = b""
        elif type(event) is Ping:
            out.append(("ping", event.payload))
        elif type(event) is Pong:
            out.append(("pong", event.payload))
        elif type(event) is Close:
            out.append(("close", event.code))
    return out


for seed in range(40):
    rand = Rand(seed)
    for our_role in (SERVER, CLIENT):
        ours = Connection(our_role, max_message=1 << 20)
        theirs = wsp_connection.Connection(
            ConnectionType.CLIENT if our_role == SERVER else ConnectionType.SERVER
        )
        # They send: messages (some fragmented), pings, then a close.
        wire = b""
        expected = []
        for m in range(1 + rand.below(5)):
            is_text = rand.below(2) == 1
            parts = 1 + rand.below(4)
            whole = "" if is_text else b""
            for k in range(parts):
                if is_text:
                    piece = "".join(ALPHABET[rand.below(len(ALPHABET))] for _ in range(rand.below(30)))
                    event = wsp.TextMessage(data=piece, message_finished=k == parts - 1)
                else:
                    piece = rand.bytes(rand.below(70000) if rand.below(8) == 0 else rand.below(200))
                    event = wsp.BytesMessage(data=piece, message_finished=k == parts - 1)
                whole += piece
                wire += theirs.send(event)
                if k == parts - 1:
                    expected.append(("text" if is_text else "binary", whole))
                if rand.below(4) == 0:
                    payload = rand.bytes(rand.below(126))
                    wire += theirs.send(wsp.Ping(payload=payload))
                    expected.append(("ping", payload))
        wire += theirs.send(wsp.CloseConnection(code=1000 + rand.below(4), reason="bye"))
        # Fed in random pieces.
        events = []
        i = 0
        while i < len(wire):
            step = 1 + rand.below(3000)
            ours.receive_data(wire[i : i + step])
            i += step
            events += drain(ours)
        got = our_messages(events)
        # Our pings come out in order, their messages between them.
        assert [g for g in got if g[0] != "close"] == expected, seed
        assert got[-1][0] == "close" and ours.state == CLOSED
        # Our replies (pongs, the close echo) are what wsproto expects.
        theirs.receive_data(ours.data_to_send())
        replies = their_messages(theirs.events())
        pings = [e for e in expected if e[0] == "ping"]
        assert replies[-1] == ("close", got[-1][1]), replies
        if pings:
            assert ("pong", pings[-1][1]) in replies, (seed, replies)

        # We send: the same kind of traffic, wsproto reads it.
        ours = Connection(our_role)
        theirs = wsp_connection.Connection(
            ConnectionType.CLIENT if our_role == SERVER else ConnectionType.SERVER
        )
        wire = b""
        expected = []
        for m in range(1 + rand.below(5)):
            is_text = rand.below(2) == 1
            parts = 1 + rand.below(4)
            whole = "" if is_text else b""
            for k in range(parts):
                if is_text:
                    piece = "".join(ALPHABET[rand.below(len(ALPHABET))] for _ in range(rand.below(30)))
                else:
                    piece = rand.bytes(rand.below(300))
                whole += piece
                wire += ours.send_frame(piece, is_text, k == parts - 1)
                if k == parts - 1:
                    expected.append(("text" if is_text else "binary", whole))
                if rand.below(4) == 0:
                    wire += ours.send_pong(b"beat")
                    expected.append(("pong", b"beat"))
        wire += ours.send_close(4000 + seed, "done")
        theirs.receive_data(wire)
        got = their_messages(theirs.events())
        assert got == expected + [("close", 4000 + seed)], (seed, got)
        # Their echo completes our closing handshake.
        ours.receive_data(theirs.send(wsp.CloseConnection(code=4000 + seed)))
        assert drain(ours) == [Close(4000 + seed, "", True)] and ours.state == CLOSED

# -- the same verdict on malformed streams ----------------------------------------------------
# Each case: bytes a client sends a server (masked), given to wsproto's
# server connection and to ours.  Known, deliberate differences: 1012-1014
# are accepted here (registered after the RFC; wsproto knows 1012 and 1013
# only), and we limit a message (max_message) where wsproto does not, so
# the limit is set beyond every case.
KEY = bytes((0xA1, 0xB2, 0xC3, 0xD4))


def verdict_ours(wire, role=SERVER):
    conn = Connection(role, max_message=1 << 30)
    conn.receive_data(wire)
    events = drain(conn)
    close = None
    if events and type(events[-1]) is Close:
        close = events[-1].code
    complete = [m for m in our_messages(events) if m[0] != "close"]
    return complete, close


def verdict_theirs(wire, role=SERVER):
    conn = wsp_connection.Connection(
        ConnectionType.SERVER if role == SERVER else ConnectionType.CLIENT
    )
    conn.receive_data(wire)
    messages = their_messages(conn.events())
    close = None
    if messages and messages[-1][0] == "close":
        close = messages[-1][1]
    return [m for m in messages if m[0] != "close"], close


def check(wire, role=SERVER, note=""):
    ours = verdict_ours(wire, role)
    theirs = verdict_theirs(wire, role)
    assert ours == theirs, (note, wire[:40], ours, theirs)


def masked(first, payload, key=KEY):
    return bytes(frame(first, payload, key))


# Close codes, all of them.
for code in range(0, 5200):
    if code in (1014,):
        assert verdict_ours(masked(0x88, code.to_bytes(2, "big")))[1] == 1014
        continue
    check(masked(0x88, code.to_bytes(2, "big") + b"r"), SERVER, code)
check(masked(0x88, code.to_bytes(2, "big") + b"\xff"), SERVER, "reason")
# Every first byte, with a small payload, each way.
for first in range(256):
    check(masked(first, b"abc"), SERVER, first)
    check(bytes(frame(first, b"abc", None)), CLIENT, first)
    check(masked(first & 0x7F, b"abc") + masked(0x80, b"d"), SERVER, first)
# UTF-8: wsproto decodes with CPython's strict incremental decoder.
rand = Rand(99)
for n in range(3000):
    body = rand.bytes(1 + rand.below(12))
    cut = rand.below(len(body) + 1)
    check(masked(0x01, body[:cut]) + masked(0x80, body[cut:]), SERVER, body)
    check(masked(0x81, body), SERVER, body)
# Random corruption of a valid stream (a byte changed), each way.
base_server = (
    masked(0x01, "héllo".encode())
    + masked(0x89, b"ping")
    + masked(0x80, " wörld".encode())
    + masked(0x82, bytes(range(200)))
    + masked(0x88, (1000).to_bytes(2, "big") + b"ok")
)
base_client = b"".join(
    bytes(frame(first, payload, None))
    for first, payload in ((0x01, "héllo".encode()), (0x89, b"p"), (0x80, b"!"), (0x82, bytes(300)))
)
for n in range(3000):
    for role, base in ((SERVER, base_server), (CLIENT, base_client)):
        wire = bytearray(base)
        at = rand.below(len(wire))
        wire[at] = rand.below(256)
        wire = bytes(wire)
        ours = verdict_ours(wire, role)
        theirs = verdict_theirs(wire, role)
        if ours != theirs and ours[1] == 1009:
            continue  # a corrupted length beyond max_message: only we limit
        if ours != theirs and theirs[1] == 1002 and ours[1] == 1014:
            continue
        assert ours == theirs, (role, at, wire[at], ours, theirs)

print("PASS")
