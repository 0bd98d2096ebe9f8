"""One request and its response on one connection, as a generator of I/O
steps: the HTTP/1.1 client core (``remora.proto.http.ClientConnection``)
says what the bytes mean, this module what to send and when to read, and
the client's two drivers (``client.py``: blocking on a worker thread, a
cosocket task on the dispatcher) do the I/O.  Writing the exchange once as a
generator keeps the two modes to one logic (STYLE.md point 1: thin drivers).

The generator yields ``(WRITE, data)`` and ``(READ, timeout_ms)``; the driver
sends back None after a write and the bytes read (b"" at EOF) after a read;
it returns the :class:`Response`.
"""

# The leaves first: an import nested in an import costs C stack, of which a
# worker thread on a board has little (8 KiB on the ESP32 profile), and the
# client is often first loaded there (a page, example 14).
from ..proto.http.events import NEED_DATA, Data, EndOfMessage, ResponseHead
from ..proto.http.limits import Limits
from ..proto.http.state import DONE
from ..proto.http import fields, writers  # noqa: F401  (leaves of the two below)
from ..proto.http import readers  # noqa: F401
from ..proto.http import connection  # noqa: F401
from ..proto.http.client import ClientConnection

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, Generator, List, Optional, Tuple

WRITE = const(0)
READ = const(1)

_BYTES = (bytes, bytearray, memoryview)


class Response:
    """An HTTP response as the client received it.

    ``status``, ``reason``, ``headers`` (a dict, lower-case names, repeated
    fields joined with ", "), ``body`` (bytes; empty when a ``sink`` took
    it), ``url`` (the final URL, after redirects), ``history`` (the statuses
    of the redirects followed).  For a 101 (a protocol switch, such as a
    WebSocket's opening handshake), ``sock`` is the connection and
    ``trailing`` the bytes the server sent past the head: the seed's
    ``http2sock`` takes both.
    """

    body = b""  # type: Any
    sock = None  # type: Any
    trailing = b""  # type: Any
    key = None  # type: Any  # our Sec-WebSocket-Key, for a ws:// request
    url = None  # type: Any
    history = ()  # type: Any
    reusable = False

    def __init__(self, status: int, reason: str, headers: "Dict[str, str]") -> None:
        self.status = status
        self.reason = reason
        self.headers = headers

    def header(self, name: str, default: "Optional[str]" = None) -> "Optional[str]":
        """A header by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    def text(self) -> str:
        """The body decoded as UTF-8."""
        return str(self.body, "utf-8")

    def json(self) -> "Any":
        import json

        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        """2xx."""
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        return "<Response %d %s>" % (self.status, self.reason)


def _fields(pairs: "List[Tuple[str, str]]") -> "Dict[str, str]":
    out = {}  # type: Dict[str, str]
    for name, value in pairs:
        if name in out:
            out[name] = out[name] + ", " + value  # RFC 9110 §5.3
        else:
            out[name] = value
    return out


def exchange(
    method: str,
    target: str,
    headers: "List[Tuple[str, str]]",
    body: "Any",
    timeout_ms: "Optional[int]",
    max_body: int,
    sink: "Any" = None,
) -> "Generator[Tuple[int, Any], Any, Response]":
    """The steps of one request/response (see the module doc).

    ``body``: None, bytes-like (sent with Content-Length), or an iterable of
    bytes/str chunks (sent chunked).  ``sink(piece)``, when given, takes the
    response body as it arrives instead of collecting it (no limit then).
    """
    limits = Limits(max_body=max_body)
    conn = ClientConnection(limits)
    if body is not None and isinstance(body, (str,) + _BYTES):
        if type(body) is str:
            body = body.encode()
        headers = headers + [("content-length", str(len(body)))]
    yield WRITE, conn.send_request_head(method, target, headers)
    if body is not None:
        if isinstance(body, _BYTES):
            if body:
                yield WRITE, conn.send_data(body)
        else:
            for chunk in body:
                if type(chunk) is str:
                    chunk = chunk.encode()
                if chunk:
                    yield WRITE, conn.send_data(chunk)
    end = conn.send_end()
    if end:
        yield WRITE, end
    # The response head; 1xx before it are skipped (RFC 9110 §15.2: a client
    # must be able to parse them), but a 101 is the answer to our Upgrade.
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            conn.receive_data((yield READ, timeout_ms))
            continue
        if type(event) is ResponseHead and (event.status >= 200 or event.status == 101):
            break
    resp = Response(event.status, event.reason, _fields(event.headers))
    if event.status == 101:
        resp.trailing = conn.trailing_data[0]
        return resp
    parts = []  # type: List[Any]
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            conn.receive_data((yield READ, timeout_ms))
        elif type(event) is Data:
            if sink is not None:
                sink(event.data)
            else:
                parts.append(event.data)
        elif type(event) is EndOfMessage:
            break
    if parts:
        resp.body = parts[0] if len(parts) == 1 else b"".join(parts)
    # Kept alive when both messages are complete and neither side closes
    # (RFC 9112 §9.3).
    resp.reusable = conn.our_state == DONE and conn.their_state == DONE
    return resp
