"""The client half of the HTTP/1.1 connection: sending requests, reading
responses.

A server never needs it, so :class:`~remora.http.core.Connection` imports it
on first use (STYLE.md point 4: load submodules lazily): on a board the
server's heap holds only the server's code.  These functions are the
Connection's methods, moved out; they use its state as the core does.
"""

from .events import LocalProtocolError, RemoteProtocolError, field_tokens, scan_fields
from .state import CLIENT, fail, move, no_keep_alive
from .writers import write_head

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any

    from .events import Response

# Event kinds, as numbered in the tables of .state.
_REQUEST = const(0)
_INFORMATIONAL = const(1)
_RESPONSE = const(2)
_SWITCH_UPGRADE = const(6)
_SWITCH_CONNECT = const(7)

# Our body framing, as in .core (else bytes left of a Content-Length).
_CHUNKED = const(-1)


def on_response(conn: "Any", event: "Response") -> "Response":
    """Their response head arrived: framing, keep-alive, protocol switches."""
    status = event.status
    conn.client_is_waiting_for_100_continue = False  # any response ends the wait
    if status < 200:
        if status == 101:
            if not conn.switch & (1 << _SWITCH_UPGRADE):
                raise RemoteProtocolError("101 without an Upgrade request")
            return conn._receive(_SWITCH_UPGRADE, event)
        return conn._receive(_INFORMATIONAL, event)
    conn.their_http_version = event.version
    method = conn._method
    if method == "CONNECT" and status < 300 and conn.switch:
        # RFC 9110 §9.3.6: a 2xx to CONNECT makes the connection a tunnel.
        return conn._receive(_SWITCH_CONNECT, event)
    cl, te, connection = scan_fields(event.headers)[:3]
    http10 = event.version == "HTTP/1.0"
    tokens = field_tokens(connection)
    # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
    # "keep-alive".
    close = "close" in tokens or (http10 and "keep-alive" not in tokens)
    if method == "HEAD" or status == 204 or status == 304:
        # RFC 9112 §6.3 rule 1: never a body, whatever the headers say.
        conn._rb.frame(None, None, False, False)
    elif conn._rb.frame(cl, te, http10, True):
        close = True  # rule 8: the body runs until the server closes
    conn._receive(_RESPONSE, event)
    if close:
        no_keep_alive(conn)
    return event


def _framing(method: str, cl: "Any", te: "Any") -> "Any":
    # (framing, extra header lines) of a request: Content-Length if given;
    # else chunked if Transfer-Encoding is given, or for POST, PUT and PATCH
    # (the header is added); else no body (RFC 9112 §6.3 rule 7).
    if cl is not None:
        if not cl or cl.strip("0123456789"):
            raise LocalProtocolError("invalid Content-Length %r" % (cl,))
        return int(cl), ""
    if te is not None:
        if te.lower() != "chunked":
            raise LocalProtocolError("we only send the chunked transfer coding")
        return _CHUNKED, ""
    # Methods that carry content by definition get chunked framing, so a
    # streamed body needs no length up front; the rest send none.
    if method in ("POST", "PUT", "PATCH"):
        return _CHUNKED, "transfer-encoding: chunked\r\n"
    return 0, ""


def send_request_head(conn: "Any", method: str, target: str, headers: "Any") -> bytes:
    """The bytes of a request head: Connection.send_request_head."""
    try:
        if conn.our_role != CLIENT:
            raise LocalProtocolError("only a client sends requests")
        if not method or " " in method or not target or " " in target:
            raise LocalProtocolError("invalid method or target")
        cl, te, connection, hosts, expect, upgrade = scan_fields(headers)[:6]
        # RFC 9112 §3.2: a client MUST send Host in every HTTP/1.1 request.
        if hosts != 1:
            raise LocalProtocolError("a request needs exactly one Host header")
        left, extra = _framing(method, cl, te)
        tokens = field_tokens(connection)
        # RFC 9110 §7.8: a switch is proposed by Upgrade listed in Connection.
        if upgrade and "upgrade" in tokens:
            conn.switch |= 1 << _SWITCH_UPGRADE
        if method == "CONNECT":
            conn.switch |= 1 << _SWITCH_CONNECT
        move(conn, CLIENT, _REQUEST)
        conn._method = method
        conn._left = left
        if expect is not None and expect.lower() == "100-continue":
            conn.client_is_waiting_for_100_continue = True
        if "close" in tokens:
            no_keep_alive(conn)
        return write_head("%s %s HTTP/1.1\r\n" % (method, target), headers, extra)
    except LocalProtocolError:
        fail(conn, conn.our_role)
        raise
