"""The sending half of :class:`~.websocket.WebSocket`: messages, fragments
and pings, in the caller's mode (the Socket's write: awaited in a task,
blocking on a worker thread).  Large messages go out without a copy of the
whole: a server writes the head and then the caller's buffer, a client
(which must mask, RFC 6455 §5.3: a copy) sends masked fragments.
"""

from .. import dispatcher
from ..errors import Closed
from ..proto.ws.state import OPEN, SERVER

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any

# MicroPython's str exposes its UTF-8 bytes as a buffer: a text message is
# sent from the str itself, with no encoded copy (a large one may not fit
# twice in a board's heap).  CPython's str has no buffer: encode.
try:
    memoryview("")  # type: ignore[arg-type]
    _STR_VIEW = True
except TypeError:
    _STR_VIEW = False

# A server's payload over this is written after its head, not copied into one
# frame with it.
_JOIN_MAX = const(512)
# A client's message over this goes out in fragments of this size.
_FRAGMENT = const(4096)


class _Sent:
    # An awaitable that is already done: one object for every write that
    # went out at once (STYLE.md point 4: reuse singleton awaitables).
    def __iter__(self) -> "Any":  # MicroPython awaits through __iter__
        return iter(())

    def __await__(self) -> "Any":  # CPython through __await__
        return iter(())


SENT = _Sent()


class Sending:
    """The sending half of a WebSocket (a base class of it)."""

    if TYPE_CHECKING:
        # The core (remora.proto.ws.connection) and websocket.py provide
        # what these methods call.
        def __getattr__(self, name: str) -> "Any": ...

    def write(self, data: "Any", text: bool = False, fin: bool = True) -> "Any":
        """Send one message: binary by default, text when ``text`` is True
        or ``data`` is a str (the seed's ``write(data, utf8)``).

        ``fin`` False sends a fragment (§5.4): the message goes on with the
        next writes (continuation frames) until one with ``fin`` True; the
        first fragment sets its type.  Streaming a large message this way
        holds one fragment in memory, not the message.  A client's write in
        a task over 4 KiB goes out as 4 KiB fragments on its own (masking
        copies the payload: a fragment's copy, not the message's).

        In a task ``await ws.write(...)`` (cosocket: suspends while the
        socket's queue is full); on a worker thread it blocks (or queues, on
        a cosocket).  Raises Closed once the connection is closing.
        """
        if self.state != OPEN:
            raise Closed("WebSocket closed")
        if type(data) is str:
            data = memoryview(data) if _STR_VIEW else data.encode()  # type: ignore[arg-type]
            text = True
        size = len(data)
        if not dispatcher.on_dispatcher():
            return self.sock.write(self.send_frame(data, text, fin))
        if size > _JOIN_MAX:
            if self.our_role == SERVER:
                return self._write_apart(data, text, fin)
            if size > _FRAGMENT:
                return self._write_fragments(data, text, fin)
        # A task's small message: what TCP takes now goes with no coroutine
        # (the common case, and a coroutine is a heap object per message on
        # a board); only a rest, or a frame behind queued ones, is awaited.
        sock = self.sock
        out = self.send_frame(data, text, fin)
        sent = sock.send_now(out)
        if sent == len(out):
            return SENT
        return sock.write(memoryview(out)[sent:] if sent else out)

    async def _write_fragments(self, data: "Any", text: bool, fin: bool) -> bool:
        # A large message from a client's task: a client masks its payload,
        # which takes a copy, so it goes out as fragments of _FRAGMENT bytes
        # (§5.4), each masked into a frame of its own: memory stays one
        # fragment, whatever the message's size.
        view = memoryview(data)
        size = len(data)
        at = 0
        while at < size:
            end = at + _FRAGMENT
            if end > size:
                end = size
            await self.sock.write(self.send_frame(view[at:end], text, fin and end == size))
            at = end
        return True

    async def _write_apart(self, data: "Any", text: bool, fin: bool) -> bool:
        # A large message from a server's task: its head, then the caller's
        # buffer itself, with no copy joined to the head (a board may have no
        # second block of that size).  Both go into the socket's FIFO with no
        # suspension in between, so no other task's frame can come between.
        sock = self.sock
        head = self.send_head(len(data), text, fin)
        sent = sock.send_now(head) if sock.queued() == 0 else 0
        if sent < len(head):
            # TCP is backed up: one joined write keeps the frame whole.
            return await sock.write(head[sent:] + data)  # type: ignore[no-any-return]
        return await sock.write(data)  # type: ignore[no-any-return]

    def ping(self, payload: "Any" = b"") -> "Any":
        """Send a Ping (the pong is read by read()/receive())."""
        if self.state != OPEN:
            raise Closed("WebSocket closed")
        return self.sock.write(self.send_ping(payload))
