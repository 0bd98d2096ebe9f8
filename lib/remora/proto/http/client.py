"""The client's end of an HTTP/1.1 connection: sending requests, reading
responses (RFC 9110, RFC 9112), sans-IO.

A server never needs it, so a board serving HTTP never loads it (STYLE.md
point 4: load submodules lazily).  :class:`ClientConnection` adds to
:class:`~.connection.Connection` what only a client does: build a request
head with its framing, and judge the response: its framing (HEAD, 204 and
304 have no body; a body without a length runs until the server closes),
keep-alive, and the protocol switches it accepts (101 to an Upgrade we
proposed, 2xx to CONNECT).
"""

# The leaves first (see .server: nested imports cost a board's C stack).
from .events import LocalProtocolError, RemoteProtocolError, ResponseHead
from .fields import CONNECTION, CONTENT_LENGTH, EXPECT, HOST_COUNT, TRANSFER_ENCODING, UPGRADE
from .fields import decode_latin1, field_tokens, has_ctl, parse_fields, parse_version, scan_fields
from .state import CLIENT, INFORMATIONAL, REQUEST, RESPONSE, SWITCH_CONNECT, SWITCH_UPGRADE
from .state import fail, move, no_keep_alive
from .writers import CHUNKED, write_head
from .connection import Connection  # noqa: E402  (after its leaves, above)

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Tuple

    from .readers import Reader


class ClientConnection(Connection):
    """One HTTP/1.1 connection seen from the client."""

    our_role = CLIENT

    def _their_head(self, rb: "Reader") -> "Any":
        lines = rb.head_lines()
        if lines is None:
            return None
        return self._on_response(_response_head(lines), rb)

    def _on_response(self, event: "ResponseHead", rb: "Reader") -> "ResponseHead":
        # Their response head arrived: framing, keep-alive, protocol switches.
        status = event.status
        self.client_is_waiting_for_100_continue = False  # any response ends the wait
        if status < 200:
            if status == 101:
                if not self.switch & (1 << SWITCH_UPGRADE):
                    raise RemoteProtocolError("101 without an Upgrade request")
                return self._receive(SWITCH_UPGRADE, event)
            return self._receive(INFORMATIONAL, event)
        self.their_http_version = event.version
        method = self._method
        if method == "CONNECT" and status < 300 and self.switch:
            # RFC 9110 §9.3.6: a 2xx to CONNECT makes the connection a tunnel.
            return self._receive(SWITCH_CONNECT, event)
        found = scan_fields(event.headers)
        http10 = event.version == "HTTP/1.0"
        tokens = field_tokens(found[CONNECTION])
        # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
        # "keep-alive".
        close = "close" in tokens or (http10 and "keep-alive" not in tokens)
        if method == "HEAD" or status == 204 or status == 304:
            # RFC 9112 §6.3 rule 1: never a body, whatever the headers say.
            rb.frame(None, None, False, False)
        elif rb.frame(found[CONTENT_LENGTH], found[TRANSFER_ENCODING], http10, True):
            close = True  # rule 8: the body runs until the server closes
        self._receive(RESPONSE, event)
        if close:
            no_keep_alive(self)
        return event

    def send_request_head(self, method: str, target: str, headers: "Any") -> bytes:
        """The bytes of a request head; we always speak HTTP/1.1.

        Framing: the headers' Content-Length, else chunked when they name
        Transfer-Encoding, or for POST, PUT and PATCH (the header is added:
        a streamed body needs no length up front); else no body (RFC 9112
        §6.3 rule 7).  A request needs exactly one Host (RFC 9112 §3.2).
        """
        try:
            if not method or " " in method or not target or " " in target:
                raise LocalProtocolError("invalid method or target")
            found = scan_fields(headers)
            if found[HOST_COUNT] != 1:
                raise LocalProtocolError("a request needs exactly one Host header")
            left, extra = _framing(method, found[CONTENT_LENGTH], found[TRANSFER_ENCODING])
            tokens = field_tokens(found[CONNECTION])
            # RFC 9110 §7.8: a switch is proposed by Upgrade listed in Connection.
            if found[UPGRADE] and "upgrade" in tokens:
                self.switch |= 1 << SWITCH_UPGRADE
            if method == "CONNECT":
                self.switch |= 1 << SWITCH_CONNECT
            move(self, CLIENT, REQUEST)
            self._method = method
            self._left = left
            expect = found[EXPECT]
            if expect is not None and expect.lower() == "100-continue":
                self.client_is_waiting_for_100_continue = True
            if "close" in tokens:
                no_keep_alive(self)
            return write_head("%s %s HTTP/1.1\r\n" % (method, target), headers, extra)
        except LocalProtocolError:
            fail(self, CLIENT)
            raise


def _framing(method: str, cl: "Any", te: "Any") -> "Tuple[int, str]":
    # (framing, extra header lines) of a request (see send_request_head).
    if cl is not None:
        if not cl or cl.strip("0123456789"):
            raise LocalProtocolError("invalid Content-Length %r" % (cl,))
        return int(cl), ""
    if te is not None:
        if te.lower() != "chunked":
            raise LocalProtocolError("we only send the chunked transfer coding")
        return CHUNKED, ""
    if method in ("POST", "PUT", "PATCH"):
        return CHUNKED, "transfer-encoding: chunked\r\n"
    return 0, ""


def _response_head(lines: "Any") -> "ResponseHead":
    # The ResponseHead (1xx included) of a complete head's lines.
    # RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ];
    # some servers omit the second SP when the reason is empty: accept that.
    line = lines[0]
    if line and min(line) < 32 and has_ctl(line):
        raise RemoteProtocolError("control character in head")
    parts = line.split(b" ", 2)
    if len(parts) < 2:
        raise RemoteProtocolError("invalid status line")
    http = parse_version(parts[0])
    code = parts[1]
    if len(code) != 3 or not code.isdigit():
        raise RemoteProtocolError("invalid status code")
    reason = decode_latin1(parts[2]) if len(parts) == 3 else ""
    return ResponseHead(int(code), parse_fields(lines, 1), reason, http)
