"""The server's end of an HTTP/1.1 connection: reading requests, sending
responses (RFC 9110, RFC 9112), sans-IO.

:class:`ServerConnection` adds to :class:`~.connection.Connection` what only
a server does: parse a request head and decide its framing, keep-alive,
``Expect: 100-continue`` and proposed protocol switches; build response
heads (with their framing, and a Date from the server's clock when given);
and frame an error response that ends the connection, for a request it
cannot serve.
"""

# The leaves first: an import nested in an import costs C stack, of which a
# board has little (16 KiB on an ESP32), so the chain is kept shallow.
from .events import LocalProtocolError, RemoteProtocolError, RequestHead
from .fields import CONNECTION, CONTENT_LENGTH, DATE, EXPECT, HOST, HOST_COUNT
from .fields import NO_FIELDS, TRANSFER_ENCODING, UPGRADE, field_tokens, framing_fields, scan_fields
from .fields import valid_host
from .state import INFORMATIONAL, REQUEST, RESPONSE, SERVER, SWITCH_CONNECT, SWITCH_UPGRADE
from .state import fail, move, no_keep_alive
from .writers import BAD_HEAD, build_head, response_framing, write_head
from .connection import Connection  # noqa: E402  (after its leaves, above)

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

    from .readers import Reader


# "content-length: N\r\n" for the last few sizes sent (see _length_line).
_LENGTH_LINES = {}  # type: Dict[int, str]


def _length_line(length: int) -> str:
    # The Content-Length line of a response of this size: a server sends
    # the same sizes again and again, and a new str costs MicroPython an
    # allocation and a search of its interned strings (a linear one in the
    # pools of loaded code).  At most 8 kept; a full memo starts again.
    line = _LENGTH_LINES.get(length)
    if line is None:
        line = "content-length: %d\r\n" % length
        if len(_LENGTH_LINES) >= 8:
            _LENGTH_LINES.clear()
        _LENGTH_LINES[length] = line
    return line


def _check_host(found: "Any", http10: bool, limits: "Any") -> None:
    # RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any
    # request with more than one, or with an invalid one.  The last valid
    # Host is kept in the limits: a client names the same one every time.
    hosts = found[HOST_COUNT]
    if hosts > 1 or (hosts == 0 and not http10):
        raise RemoteProtocolError("missing or repeated Host")
    host = found[HOST]
    if host is not None and host != limits.valid_host:
        if not valid_host(host):
            raise RemoteProtocolError("invalid Host")
        limits.valid_host = host


class ServerConnection(Connection):
    """One HTTP/1.1 connection seen from the server."""

    our_role = SERVER
    # What next_event makes of a request head: a class taking (method,
    # target, version, headers) with those attributes.  A driver may
    # subclass to build its own (the server makes its handlers' Request
    # directly, not an event and then a copy).
    request_type = RequestHead  # type: Any

    def _their_head(self, rb: "Reader") -> "Any":
        # (Few locals, shallow expressions, the rare fields in functions of
        # their own: this frame stays within the 11 words MicroPython keeps
        # on the C stack; a larger one is a heap block per call.)
        found = list(NO_FIELDS)  # type: Any  # this request's framing fields, by fields' slots
        event = rb.request_head(self.request_type, found)
        if event is None:
            return None
        http10 = event.version == "HTTP/1.0"
        # One Host, the one this connection's last request named: nothing to check.
        if found[HOST_COUNT] != 1 or found[HOST] != rb.limits.valid_host:
            _check_host(found, http10, rb.limits)
        # RFC 9112 §6.3 rule 7: a request without framing headers has no body.
        rb.frame(found[CONTENT_LENGTH], found[TRANSFER_ENCODING], http10, False)
        self.content_length = None if found[CONTENT_LENGTH] is None else rb.left
        self._method = event.method
        self.their_http_version = event.version
        # Connection, Expect, Upgrade, CONNECT, HTTP/1.0: see _options, whose
        # answer (close after this exchange) http10 holds from here on.
        if http10 or found[CONNECTION] is not None or found[EXPECT] is not None:
            http10 = _options(self, found, http10, event.method)
        elif event.method == "CONNECT":
            http10 = _options(self, found, http10, event.method)
        self._receive(REQUEST, event)
        if http10:
            no_keep_alive(self)
        return event

    def send_response_head(
        self,
        status: int,
        headers: "Any",
        reason: "Optional[str]" = None,
        length: "Optional[int]" = None,
        date: "Optional[str]" = None,
    ) -> bytes:
        """The bytes of a response head, 1xx included.

        Framing of a final response: its Content-Length if given, or
        ``length`` (then sent as Content-Length); else chunked to an HTTP/1.1
        client (the header is added); else close-delimited, and
        ``keep_alive`` becomes False.  HEAD, 204 and 304 have no body.
        ``date`` (the server's clock, RFC 9110 §6.6.1) is sent as a Date
        field unless the headers have one: both save the caller a copy of
        its header list.
        """
        # The common case here: a final response with its body's size known,
        # none of the fields that matter to framing among the headers, a
        # keep-alive HTTP/1.1 peer, not CONNECT.  No try block (an illegal
        # move fails our side itself; _head catches the head's errors), and
        # no local beyond the arguments: this frame stays within the 11 words
        # MicroPython keeps on the C stack (a larger one is a heap block per
        # response).  Everything else in _send_head, the arguments in a tuple.
        if (
            length is None
            or not 200 <= status <= 999
            or self._method == "CONNECT"
            or not self.keep_alive
            or self.their_http_version != "HTTP/1.1"
            or framing_fields(headers) is not None
        ):
            headers = (headers, reason, length, date, self._rb.limits)
            return _send_head(self, status, headers)
        self.client_is_waiting_for_100_continue = False
        reason = self._rb.limits.start_line(status, reason)
        # RFC 9110 §6.4.1, RFC 9112 §6.3 rule 1: no body for HEAD, 204, 304;
        # the Content-Length is the would-be body's.
        self._left = 0 if self._method == "HEAD" or status == 204 or status == 304 else length
        move(self, SERVER, RESPONSE)
        headers = build_head(reason, headers, _length_line(length), date)
        if headers is None:
            # Our misuse (CR or LF in a field, say): our side goes to ERROR.
            fail(self, SERVER)
            raise LocalProtocolError(BAD_HEAD)
        return headers

    def send_error_response(
        self, status: int, detail: str = "", date: "Optional[str]" = None
    ) -> bytes:
        """A whole plain-text error response that ends the connection.

        For a request this server cannot serve: the peer's violation (the
        status of its RemoteProtocolError), a timeout (408), our own failure
        (500) or overload (503, with Retry-After: the overload passes, RFC
        9110 §10.2.3).  It may be sent whatever state the peer's side is in,
        before any response of ours has begun; nothing follows it, and the
        driver closes the connection once it is sent (RFC 9112 §9.6).
        ``detail`` is a line for development only: never an exception's
        text in production (STYLE.md point 6).
        """
        line = self._rb.limits.start_line(status, None)
        text = line[9:-2]  # "404 Not Found"
        if text.endswith(" "):
            text += "Error"  # a status with no standard reason
        body = (text + "\n" + detail + "\n" if detail else text + "\n").encode()
        extra = "retry-after: 1\r\n" if status == 503 else ""
        extra += "content-length: %d\r\nconnection: close\r\n" % len(body)
        head = write_head(line, [("content-type", "text/plain; charset=utf-8")], extra, date)
        self.keep_alive = False
        fail(self, SERVER)  # nothing may be sent after it
        return head + body


def _options(conn: "ServerConnection", found: "Any", http10: bool, method: str) -> bool:
    # What a request's Connection, Expect and Upgrade fields, its version
    # and its method ask of the connection; whether it closes after.
    tokens = field_tokens(found[CONNECTION])
    if not http10:
        # RFC 9110 §10.1.1: Expect is ignored in HTTP/1.0 requests.  The
        # one expectation defined is 100-continue; a server MAY answer 417
        # to any other, which we do (the client learns at once that the
        # expectation went unmet, rather than from a response it must
        # then second-guess).  Empty list elements are ignored (§5.6.1).
        if found[EXPECT] is not None:
            _expect(conn, found[EXPECT])
        # RFC 9110 §7.8: Upgrade counts only when Connection lists it,
        # and a server must ignore it in an HTTP/1.0 request.
        if found[UPGRADE] and "upgrade" in tokens:
            conn.switch |= 1 << SWITCH_UPGRADE
    if method == "CONNECT":
        conn.switch |= 1 << SWITCH_CONNECT
    # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only
    # with "keep-alive".
    return "close" in tokens or (http10 and "keep-alive" not in tokens)


def _expect(conn: "ServerConnection", expect: str) -> None:
    for token in field_tokens(expect):
        if token == "100-continue":
            conn.client_is_waiting_for_100_continue = True
        elif token:
            raise RemoteProtocolError("unsupported expectation", 417)


def _send_head(conn: "ServerConnection", status: int, args: "Any") -> bytes:
    # send_response_head's other cases: 1xx, no length, fields of the
    # application's own that matter to framing, an HTTP/1.0 peer, a
    # connection that closes after, CONNECT.
    headers, reason, length, date, limits = args
    try:
        if not 100 <= status <= 999:
            raise LocalProtocolError("invalid status %r" % (status,))
        start = limits.start_line(status, reason)
        peer11 = conn.their_http_version == "HTTP/1.1"
        conn.client_is_waiting_for_100_continue = False
        if status < 200:
            # RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
            if not peer11:
                raise LocalProtocolError("1xx response to a non-HTTP/1.1 client")
            move(conn, SERVER, SWITCH_UPGRADE if status == 101 else INFORMATIONAL)
            return write_head(start, headers, None, date)
        method = conn._method
        switch = method == "CONNECT" and status < 300 and conn.switch != 0
        no_body = switch or method == "HEAD" or status == 204 or status == 304
        found = scan_fields(headers)
        if found[DATE] is not None:
            date = None  # the application's own Date
        conn._left, extra, close, headers = response_framing(
            found, headers, no_body, peer11, conn.keep_alive, length
        )
        move(conn, SERVER, SWITCH_CONNECT if switch else RESPONSE)
        if close:
            no_keep_alive(conn)
        return write_head(start, headers, extra, date)
    except LocalProtocolError:
        fail(conn, SERVER)
        raise
