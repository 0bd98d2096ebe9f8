"""The opening handshake (RFC 6455 §4), both sides, as pure functions over
header lists: (lower-case name, value) ``str`` pairs, the HTTP core's
format.  The HTTP request and the 101 response themselves go through the
HTTP core; these functions only read and make their WebSocket fields.

Server::

    try:
        upgrade = read_request(req.method, req.version, req.headers)
    except HandshakeError as exc:
        ...answer exc.status with exc.headers, and stop...
    # upgrade.origin, upgrade.subprotocols: the application decides
    headers = upgrade.accept(upgrade.choose(("chat", "v2.chat")))
    ...answer 101 with headers; the connection is now a WebSocket...

or in one call, ``status, headers, upgrade = server_handshake(method,
version, headers, ("chat",))``.

Client::

    headers, key = request_headers("example.com", ("chat",))
    ...send GET with headers, read the response...
    subprotocol = check_response(resp.status, resp.headers, key, ("chat",))

We negotiate no extension (§9): a server never accepts one, a client offers
none and fails on a response that names one.
"""

from .events import HandshakeError, LocalProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Tuple, Union

# §1.3: the GUID a server appends to the client's key.
GUID = const("258EAFA5-E914-47DA-95CA-C5AB0DC85B11")

# The base64 alphabet (RFC 4648 §4), for checking a key's form.
_BASE64 = const("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def accept_value(key: str) -> str:
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (§4.2.2 item
    5.4): base64 of the SHA-1 of the key and the GUID."""
    from binascii import b2a_base64
    from hashlib import sha1

    return b2a_base64(sha1((key + GUID).encode()).digest())[:-1].decode()


def _tokens(value: "Optional[str]", lower: bool) -> "List[str]":
    # A comma-separated list (RFC 9110 §5.6.1) as a list of its elements.
    if not value:
        return []
    if lower:
        value = value.lower()
    out = []
    for token in value.split(","):
        token = token.strip(" \t")
        if token:
            out.append(token)
    return out


def _fields(headers: "Any") -> "List[Any]":
    # [upgrade, connection, key, key count, version, version count, protocol,
    # origin, extensions, accept] of a header list.  List fields that repeat
    # are joined with commas (RFC 9110 §5.3), and so is a repeated accept:
    # it then matches no key.
    found = [None, None, None, 0, None, 0, None, None, None, None]  # type: List[Any]
    for name, value in headers:
        name = name.lower()
        if not name.startswith("sec-websocket-"):
            if name == "upgrade":
                _join(found, 0, value)
            elif name == "connection":
                _join(found, 1, value)
            elif name == "origin":
                found[7] = value
            continue
        name = name[14:]
        if name == "key":
            found[2] = value.strip(" \t")
            found[3] += 1
        elif name == "version":
            found[4] = value.strip(" \t")
            found[5] += 1
        elif name == "protocol":
            _join(found, 6, value)
        elif name == "extensions":
            _join(found, 8, value)
        elif name == "accept":
            _join(found, 9, value.strip(" \t"))
    return found


def _join(found: "List[Any]", slot: int, value: str) -> None:
    old = found[slot]
    found[slot] = value if old is None else old + "," + value


# -- the server side -------------------------------------------------------------


class Upgrade:
    """A valid WebSocket upgrade request, as :func:`read_request` read it.

    ``key`` (Sec-WebSocket-Key), ``origin`` (the Origin field, None when
    absent: §10.2, a server checks it against the origins it serves to
    browsers), ``subprotocols`` (Sec-WebSocket-Protocol, in the client's
    order of preference, §11.3.4; may be empty).
    """

    def __init__(self, key: str, origin: "Optional[str]", subprotocols: "List[str]") -> None:
        self.key = key
        self.origin = origin
        self.subprotocols = subprotocols

    def choose(self, offered: "Any") -> "Optional[str]":
        """The first of the client's subprotocols that ``offered`` (ours)
        lists, or None.  Subprotocol names compare case-sensitively."""
        for name in self.subprotocols:
            if name in offered:
                return name
        return None

    def accept(self, subprotocol: "Optional[str]" = None) -> "List[Tuple[str, str]]":
        """The fields of the 101 (Switching Protocols) response (§4.2.2 item
        5), with ``subprotocol`` if given: it must be one the client asked
        for ("the server MUST either select one of the values or none")."""
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise LocalProtocolError("subprotocol %r was not requested" % (subprotocol,))
        fields = [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", accept_value(self.key)),
        ]
        if subprotocol is not None:
            fields.append(("sec-websocket-protocol", subprotocol))
        return fields


def read_request(method: str, version: str, headers: "Any") -> Upgrade:
    """Check an HTTP request as a WebSocket opening handshake (§4.2.1).

    ``version`` is the HTTP core's version string ("HTTP/1.1" stands for
    any 1.x from 1.1 on).  Raises HandshakeError with the status to answer:
    400 for a request that is not a valid upgrade to WebSocket, 426 (with
    ``Sec-WebSocket-Version: 13``) for one in a version we do not speak.
    """
    found = _fields(headers)
    # §4.2.1 items 1-4: "An HTTP/1.1 or higher GET request", with "An
    # |Upgrade| header field containing the value "websocket"" and "A
    # |Connection| header field that includes the token "Upgrade"", both
    # case-insensitive.  (Host, item 2, is the HTTP core's to check.)
    if method != "GET" or version != "HTTP/1.1":
        raise HandshakeError("a WebSocket upgrade is an HTTP/1.1 GET")
    if "websocket" not in _tokens(found[0], True):
        raise HandshakeError("no Upgrade: websocket")
    if "upgrade" not in _tokens(found[1], True):
        raise HandshakeError("no Connection: upgrade")
    # Item 6: "A |Sec-WebSocket-Version| header field, with a value of 13";
    # §4.2.2: otherwise "an appropriate HTTP error code (such as 426 Upgrade
    # Required) and a |Sec-WebSocket-Version| header field indicating the
    # version(s) the server is capable of understanding".  RFC 9110
    # §15.5.22: a 426 names the protocol to upgrade to.
    if found[5] != 1 or found[4] != "13":
        raise HandshakeError(
            "WebSocket version not supported",
            426,
            [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-version", "13")],
        )
    # Item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded
    # value that, when decoded, is 16 bytes in length", sent once (§11.3.1).
    key = found[2]
    if found[3] != 1 or not _valid_key(key):
        raise HandshakeError("invalid Sec-WebSocket-Key")
    return Upgrade(key, found[7], _tokens(found[6], False))


def _valid_key(key: str) -> bool:
    # 16 bytes are exactly 22 base64 characters and "==" (RFC 4648 §4), so
    # the form alone says the key decodes to 16 bytes; no need to decode it.
    # (Both runtimes' decoders would skip characters outside the alphabet
    # rather than refuse them, so the form is what must be checked.)
    return len(key) == 24 and key.endswith("==") and not key[:22].strip(_BASE64)


def server_handshake(
    method: str, version: str, headers: "Any", subprotocols: "Any" = ()
) -> "Tuple[int, List[Tuple[str, str]], Optional[Upgrade]]":
    """The whole server side in one call: ``(101, fields, upgrade)`` for a
    valid request, with the first of the client's subprotocols that
    ``subprotocols`` lists; ``(400 or 426, fields, None)`` otherwise.  An
    application that checks ``origin`` or picks the subprotocol itself uses
    :func:`read_request` and :meth:`Upgrade.accept` instead."""
    try:
        upgrade = read_request(method, version, headers)
    except HandshakeError as exc:
        return exc.status, exc.headers, None
    return 101, upgrade.accept(upgrade.choose(subprotocols)), upgrade


# -- the client side -------------------------------------------------------------


def request_headers(
    host: "Optional[str]" = None,
    subprotocols: "Any" = (),
    origin: "Optional[str]" = None,
    random: "Union[bytes, Callable[[int], bytes], None]" = None,
) -> "Tuple[List[Tuple[str, str]], str]":
    """The WebSocket fields of a client's opening request (§4.1), and the
    key to check the response with.

    ``host`` adds the Host field (the HTTP core wants one in every request);
    ``subprotocols`` are offered in order of preference; ``origin`` is for
    clients that act for a web origin.  ``random`` is the key's 16 random
    bytes, or a function giving n random bytes (default ``os.urandom``):
    §4.1 "a randomly selected 16-byte value".
    """
    if random is None or callable(random):
        from .frames import urandom

        nonce = (random or urandom)(16)  # type: ignore[operator]
    else:
        nonce = random
    if len(nonce) != 16:
        raise LocalProtocolError("a WebSocket key is 16 random bytes")
    from binascii import b2a_base64

    key = b2a_base64(nonce)[:-1].decode()
    fields = [] if host is None else [("host", host)]
    fields.append(("upgrade", "websocket"))
    fields.append(("connection", "Upgrade"))
    fields.append(("sec-websocket-key", key))
    fields.append(("sec-websocket-version", "13"))
    if subprotocols:
        fields.append(("sec-websocket-protocol", ", ".join(subprotocols)))
    if origin is not None:
        fields.append(("origin", origin))
    return fields, key


def check_response(
    status: int, headers: "Any", key: str, subprotocols: "Any" = ()
) -> "Optional[str]":
    """Check the server's answer to our opening request (§4.1, "the client
    MUST validate the server's response"); returns the subprotocol it chose,
    or None.  Raises HandshakeError (``status`` as received) when the client
    must fail the connection."""
    if status != 101:
        raise HandshakeError("the server did not switch protocols", status)
    found = _fields(headers)
    # §4.1 items 2-3: Upgrade "websocket" and Connection "upgrade", ASCII
    # case-insensitive.
    if "websocket" not in _tokens(found[0], True):
        raise HandshakeError("no Upgrade: websocket in the response", status)
    if "upgrade" not in _tokens(found[1], True):
        raise HandshakeError("no Connection: upgrade in the response", status)
    # Item 4: Sec-WebSocket-Accept must be the key's, compared as it is.
    if found[9] != accept_value(key):
        raise HandshakeError("wrong Sec-WebSocket-Accept", status)
    # Item 5: "an extension not present in the client's handshake" fails
    # the connection; we offered none.
    if _tokens(found[8], False):
        raise HandshakeError("the server chose an extension we did not offer", status)
    # Item 6: a subprotocol that "was not present in the client's handshake"
    # fails the connection; so does more than one.
    chosen = _tokens(found[6], False)
    if not chosen:
        return None
    if len(chosen) != 1 or chosen[0] not in subprotocols:
        raise HandshakeError("the server chose a subprotocol we did not offer", status)
    return chosen[0]
