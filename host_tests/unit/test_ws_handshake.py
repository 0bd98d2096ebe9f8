# The WebSocket opening handshake (remora.proto.ws.handshake), both sides:
# the RFC 6455 §1.3 example, every reason a server refuses (400, 426), the
# subprotocol choice, and every check a client makes on the 101 response.
# Runs on both runtimes.
from remora.proto.ws import handshake
from remora.proto.ws.events import HandshakeError, LocalProtocolError
from remora.proto.ws.handshake import (
    Upgrade,
    accept_value,
    check_response,
    read_request,
    request_headers,
    server_handshake,
)


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


# §1.3 and §4.2.2: the example key and its accept value.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
assert accept_value(KEY) == ACCEPT
# §1.2's example request.
REQUEST = [
    ("host", "server.example.com"),
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-key", KEY),
    ("origin", "http://example.com"),
    ("sec-websocket-protocol", "chat, superchat"),
    ("sec-websocket-version", "13"),
]

# -- the server side -------------------------------------------------------------------------
upgrade = read_request("GET", "HTTP/1.1", REQUEST)
assert type(upgrade) is Upgrade
assert upgrade.key == KEY and upgrade.origin == "http://example.com"
assert upgrade.subprotocols == ["chat", "superchat"]
assert upgrade.choose(("superchat", "chat")) == "chat"  # the client's preference first
assert upgrade.choose(["superchat"]) == "superchat"
assert upgrade.choose(("Chat", "other")) is None  # names are case-sensitive
assert upgrade.accept() == [
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-accept", ACCEPT),
]
assert upgrade.accept("chat")[-1] == ("sec-websocket-protocol", "chat")
raises(LocalProtocolError, upgrade.accept, "v2")  # one the client did not ask for
status, fields, up = server_handshake("GET", "HTTP/1.1", REQUEST, ("superchat",))
assert status == 101 and up.origin == "http://example.com"
assert ("sec-websocket-accept", ACCEPT) in fields
assert ("sec-websocket-protocol", "superchat") in fields
status, fields, up = server_handshake("GET", "HTTP/1.1", REQUEST)
assert status == 101 and len(fields) == 3  # no subprotocol when we offer none
status, fields, up = server_handshake("GET", "HTTP/1.1", REQUEST, ("mqtt",))
assert status == 101 and len(fields) == 3

# Field names in any case, values with their tokens in lists and in any case.
loose = [
    ("Host", "h"),
    ("UPGRADE", "h2c, WebSocket"),
    ("Connection", "keep-alive, Upgrade"),
    ("Sec-WebSocket-Key", " " + KEY + " "),
    ("Sec-WebSocket-Version", "13"),
    ("sec-websocket-protocol", "a"),
    ("sec-websocket-protocol", " b ,c"),
]
upgrade = read_request("GET", "HTTP/1.1", loose)
assert upgrade.key == KEY and upgrade.origin is None
assert upgrade.subprotocols == ["a", "b", "c"]
# Firefox's Connection field, and a request with no subprotocol.
upgrade = read_request(
    "GET",
    "HTTP/1.1",
    [
        ("upgrade", "websocket"),
        ("connection", "keep-alive, Upgrade"),
        ("sec-websocket-key", KEY),
        ("sec-websocket-version", "13"),
    ],
)
assert upgrade.subprotocols == []


def without(name, headers=REQUEST):
    return [(n, v) for n, v in headers if n != name]


def replaced(name, value, headers=REQUEST):
    return without(name, headers) + [(name, value)]


def refused(status, method, version, headers):
    exc = raises(HandshakeError, read_request, method, version, headers)
    assert exc.status == status, (exc.status, str(exc))
    got = server_handshake(method, version, headers)
    assert got == (status, exc.headers, None)
    return exc


# 400: not a WebSocket upgrade.
refused(400, "POST", "HTTP/1.1", REQUEST)
refused(400, "get", "HTTP/1.1", REQUEST)
refused(400, "GET", "HTTP/1.0", REQUEST)
refused(400, "GET", "HTTP/1.1", without("upgrade"))
refused(400, "GET", "HTTP/1.1", replaced("upgrade", "h2c"))
refused(400, "GET", "HTTP/1.1", replaced("upgrade", "websocket2"))
refused(400, "GET", "HTTP/1.1", without("connection"))
refused(400, "GET", "HTTP/1.1", replaced("connection", "keep-alive"))
refused(400, "GET", "HTTP/1.1", replaced("connection", "upgrades"))
# 400: a bad key.
refused(400, "GET", "HTTP/1.1", without("sec-websocket-key"))
for key in (
    "",
    "dGhlIHNhbXBsZSBub25jZQ",  # no padding
    "dGhlIHNhbXBsZSBub25jZQ=",
    "dGhlIHNhbXBsZSBub25jZQ===",
    "dGhlIHNhbXBsZSBub25j",  # 15 bytes
    "dGhlIHNhbXBsZSBub25jZQo=",  # 17 bytes
    "dGhlIHNhbXBsZSBub25jZ!==",  # outside the alphabet
    "dGhlIHNhbXBsZSBub25j ZQ==",
    "dGhlIHNhbXBsZSBub25jZQ==x",
    "dGhlIHNhbXBsZSBub2=jZQ==",
):
    refused(400, "GET", "HTTP/1.1", replaced("sec-websocket-key", key))
refused(400, "GET", "HTTP/1.1", REQUEST + [("sec-websocket-key", KEY)])  # sent twice
# 426 with the version we speak.
for headers in (
    without("sec-websocket-version"),
    replaced("sec-websocket-version", "8"),
    replaced("sec-websocket-version", "14"),
    replaced("sec-websocket-version", "13, 8"),
    REQUEST + [("sec-websocket-version", "13")],
):
    exc = refused(426, "GET", "HTTP/1.1", headers)
    assert ("sec-websocket-version", "13") in exc.headers
    assert ("upgrade", "websocket") in exc.headers
# The checks come in order: a bad upgrade is 400 whatever its version.
refused(400, "GET", "HTTP/1.1", replaced("sec-websocket-version", "8", without("upgrade")))
# Other keys: any 16 bytes.
for nonce in (bytes(16), bytes(range(16)), bytes(range(240, 256))):
    fields, key = request_headers(random=nonce)
    assert read_request("GET", "HTTP/1.1", fields).key == key

# -- the client side --------------------------------------------------------------------------
fields, key = request_headers("example.com", ("chat", "superchat"), "http://example.com",
                              bytes(range(16)))
assert key == "AAECAwQFBgcICQoLDA0ODw=="
assert fields == [
    ("host", "example.com"),
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-key", key),
    ("sec-websocket-version", "13"),
    ("sec-websocket-protocol", "chat, superchat"),
    ("origin", "http://example.com"),
], fields
fields, key = request_headers(random=lambda n: bytes(range(n)))
assert key == "AAECAwQFBgcICQoLDA0ODw==" and fields[0] == ("upgrade", "websocket")
assert len(fields) == 4
# The default source is os.urandom: keys differ.
keys = [request_headers()[1] for _ in range(4)]
assert len(set(keys)) == 4 and all(len(k) == 24 for k in keys)
raises(LocalProtocolError, request_headers, None, (), None, bytes(15))
raises(LocalProtocolError, request_headers, None, (), None, lambda n: bytes(n + 1))

# The server's answer, as our own server side makes it, is accepted.
fields, key = request_headers("h", ("chat", "superchat"))
status, answer, up = server_handshake("GET", "HTTP/1.1", fields, ("superchat",))
assert check_response(status, answer, key, ("chat", "superchat")) == "superchat"
status, answer, up = server_handshake("GET", "HTTP/1.1", fields)
assert check_response(status, answer, key, ("chat", "superchat")) is None

GOOD = [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", ACCEPT)]
assert check_response(101, GOOD, KEY) is None
assert check_response(101, [(n.upper(), v.upper() if n != "sec-websocket-accept" else v)
                            for n, v in GOOD], KEY) is None
assert check_response(101, GOOD + [("sec-websocket-protocol", "chat")], KEY, ("chat",)) == "chat"


def rejected(status, headers, subprotocols=()):
    exc = raises(HandshakeError, check_response, status, headers, KEY, subprotocols)
    assert exc.status == status and exc.headers == []


rejected(200, GOOD)
rejected(400, [])
rejected(426, [("sec-websocket-version", "13")])
rejected(101, GOOD[1:])  # no Upgrade
rejected(101, [("upgrade", "h2c")] + GOOD[1:])
rejected(101, GOOD[:1] + GOOD[2:])  # no Connection
rejected(101, GOOD[:2])  # no accept
rejected(101, GOOD[:2] + [("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo")])
rejected(101, GOOD[:2] + [("sec-websocket-accept", ACCEPT.lower())])
rejected(101, GOOD + [("sec-websocket-accept", ACCEPT)])  # twice
rejected(101, GOOD + [("sec-websocket-extensions", "permessage-deflate")])  # not asked for
rejected(101, GOOD + [("sec-websocket-protocol", "chat")])  # not offered
rejected(101, GOOD + [("sec-websocket-protocol", "chat")], ("superchat",))
rejected(101, GOOD + [("sec-websocket-protocol", "chat, superchat")], ("chat", "superchat"))
rejected(101, GOOD + [("sec-websocket-protocol", "Chat")], ("chat",))
# An empty extensions field names none.
assert check_response(101, GOOD + [("sec-websocket-extensions", "")], KEY) is None

assert handshake.GUID == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
print("PASS")
