"""A request body collected for its handler (``req.body``): the server's
slower path, loaded at the first request that has a body.

A ``GET`` has none, so the module of the path that reads one is imported
by the first ``POST`` (on a board a module's functions take heap once
loaded, and many servers never see a body).  A streaming route's body is
read by its handler instead (body.py).
"""

from ..proto.http.events import NEED_DATA, Data, EndOfMessage
from .body import CONTINUE

try:
    from typing import Any, List, Optional
except ImportError:
    pass

# The connection's clock (server.py's kinds).
_BODY = 2
_BUSY = 3


async def read_body(sock: "Any", conn: "Any", app: "Any", req: "Any", event: "Any") -> bool:
    """Collect the body into req.body within the board's limit (the core
    enforces it), starting from the core's first body event; False when the
    client left instead.  conn is the server's connection, and its clock."""
    if event is NEED_DATA and conn.client_is_waiting_for_100_continue:
        # RFC 9110 §10.1.1: tell the client to send the body it announced.
        await sock.write(conn.send(CONTINUE))
    # With a Content-Length it goes straight into one buffer of that size:
    # no list of pieces, no join, so the peak is the body once.  The size is
    # the core's, which validated the field (the raw field may be "5, 5").
    size = conn.content_length
    buf = None  # type: Any
    filled = 0
    parts = None  # type: Optional[List[bytes]]
    while True:
        while event is NEED_DATA:
            if conn.kind == _BUSY:
                # The body's time runs from the first wait for it: a body
                # that drips in (a slow POST) is cut off, whatever its pauses.
                conn.start(_BODY, app.body_ms)
            data = sock.read_now()
            if data is None:
                await sock.readable()
                continue
            conn.receive_data(data)
            event = conn.next_event()
        if type(event) is Data:
            data = event.data
            if buf is None and parts is None and size is not None and len(data) < size:
                buf = app.body_buffer(size)
            if buf is not None:
                buf[filled : filled + len(data)] = data
                filled += len(data)
            elif parts is None:
                parts = [data]
            else:
                parts.append(data)
        elif type(event) is EndOfMessage:
            break
        else:
            return False
        event = conn.next_event()
    conn.kind = _BUSY
    if buf is not None:
        req.body = buf
    elif parts is not None:
        req.body = parts[0] if len(parts) == 1 else b"".join(parts)
    return True
