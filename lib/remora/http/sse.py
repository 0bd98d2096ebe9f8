"""Server-Sent Events (the HTML standard's text/event-stream) as a streaming response.

::

    from remora.http.sse import sse

    @app.route("/events")
    @sse
    async def events(req, stream):
        while True:
            await stream.send({"heap": remora.heap()[1]}, event="figures")
            await remora.sleep_ms(1000)

The decorated handler runs as its own task while the response streams; a
dict or list is sent as JSON, anything else as text.  ``send`` waits until
the previous event has gone to the socket (one event in hand at a time, so
a slow client holds one event, not a growing queue), and raises
``remora.Closed`` once the client has gone, which ends the handler.  In the
browser: ``new EventSource("/events")``.
"""

from .. import dispatcher, port
from ..errors import Closed

try:
    from typing import Any, Callable, Optional
except ImportError:
    pass


def encode(data: "Any", event: "Optional[str]" = None, id: "Optional[str]" = None,
           retry_ms: "Optional[int]" = None) -> bytes:
    """One event's bytes: ``event:``, ``id:``, ``retry:`` and a ``data:`` line
    per line of data, then the empty line that dispatches it."""
    if isinstance(data, (dict, list)):
        import json

        data = json.dumps(data)
    elif isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode()
    else:
        data = str(data)
    out = ""
    if event is not None:
        out += "event: %s\n" % event
    if id is not None:
        out += "id: %s\n" % id
    if retry_ms is not None:
        out += "retry: %d\n" % retry_ms
    for line in data.split("\n"):
        out += "data: %s\n" % line
    return (out + "\n").encode()


class EventStream:
    """A response body that a task fills with events (an async iterator)."""

    def __init__(self) -> None:
        self.item = None  # type: Optional[bytes]
        self.closed = False
        self.changed = port.Event()

    async def send(self, data: "Any", event: "Optional[str]" = None,
                   id: "Optional[str]" = None, retry_ms: "Optional[int]" = None) -> None:
        """Send one event; raises Closed once the client has gone."""
        chunk = encode(data, event, id, retry_ms)
        while self.item is not None and not self.closed:
            self.changed.clear()
            await self.changed.wait()
        if self.closed:
            raise Closed("event stream closed")
        self.item = chunk
        self.changed.set()

    def close(self) -> None:
        """No more events (the server calls it when the client goes)."""
        self.closed = True
        self.changed.set()

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> bytes:
        while self.item is None:
            if self.closed:
                raise StopAsyncIteration
            self.changed.clear()
            await self.changed.wait()
        chunk = self.item
        self.item = None
        self.changed.set()  # room for the sender's next event
        return chunk


def sse(handler: "Callable[..., Any]") -> "Callable[..., Any]":
    """Decorator: handler(req, stream, **params) becomes a route answering
    with an event stream that handler fills."""

    async def route(req: "Any", **params: "Any") -> "Any":
        from .response import Response

        stream = EventStream()

        async def run() -> None:
            try:
                await handler(req, stream, **params)
            finally:
                stream.close()

        dispatcher.spawn(run())
        return Response(stream, 200, [["content-type", "text/event-stream"],
                                      ["cache-control", "no-cache"]])

    return route
