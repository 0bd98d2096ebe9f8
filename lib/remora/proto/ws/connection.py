"""The sans-IO WebSocket connection (RFC 6455), both roles: bytes in, events
out (:class:`~.reader.Reader`, its receive half); calls in, bytes out (the
send methods here).  No sockets, clocks or threads (STYLE.md point 1); the
package docstring (``remora/proto/ws/__init__.py``) shows a driver.

The connection starts OPEN, after the opening handshake (:mod:`.handshake`).

Sending: each ``send_*`` method returns the bytes of one frame for the
driver to write, in call order, whole (frames must not interleave on the
wire).  The replies the core makes itself (pongs, the echo of their close,
our close on their violation) are queued instead, and ``data_to_send()``
hands them over: call it after every ``next_event()`` that returns an event
or NEED_DATA.  ``send_close`` returns a queued pong ahead of the close, so
nothing of ours ever follows our close frame.

Misuse (a data frame after our close, a continuation with no message begun,
a close code that may not be sent, a control payload over 125 bytes) raises
LocalProtocolError, and the call has no effect.  Check ``state`` first where
a race is expected (the peer may close at any time): only OPEN sends.
"""

from .events import LocalProtocolError
from .frames import BINARY, CLOSE, CONTINUATION, FIN, MAX_CONTROL, PING, PONG, TEXT
from .frames import close_payload, frame, put_head
from .reader import TX_MESSAGE, Reader
from .state import CLIENT, OPEN, SEND, SEND_CLOSE, SERVER, move, valid_close_code

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


class Connection(Reader):
    """One WebSocket connection seen from ``role`` (SERVER or CLIENT).

    ``max_message`` bounds the payload of one message, whatever its frames,
    and so of one frame (RFC 6455 §10.4); more fails the connection with
    1009.  The default is the seed's frame limit; a board profile sets its
    own.  ``random(n)`` gives n unpredictable bytes for a client's masking
    keys (§5.3); the default is ``os.urandom``.

    Public attributes: ``our_role``, ``state`` (see :mod:`.state`),
    ``max_message``.
    """

    def __init__(
        self,
        role: int,
        max_message: int = 65535,
        random: "Optional[Callable[[int], bytes]]" = None,
    ) -> None:
        if role != SERVER and role != CLIENT:
            raise ValueError("role must be SERVER or CLIENT")
        Reader.__init__(self, role)
        if max_message != 65535:
            self.max_message = max_message
        if random is not None:
            self._random = random

    def send_message(self, data: "Any", text: bool = False) -> bytearray:
        """The frame of a whole message: ``data`` bytes-like (binary unless
        ``text``, then the caller's bytes must be UTF-8), or a str (a text
        message, encoded here)."""
        if self._flags & TX_MESSAGE:
            raise LocalProtocolError("a fragmented message is in progress")
        return self.send_frame(data, text, True)

    def send_frame(self, data: "Any", text: bool = False, fin: bool = True) -> bytearray:
        """One frame of a message (§5.4): the first frame of a message sets
        its type from ``text``, later frames are continuations (``text`` is
        then ignored), ``fin`` ends the message.  Control frames may be sent
        between the frames (``send_ping``, ``send_pong``); no other message
        may begin until this one ends.  A str is sent as UTF-8."""
        if type(data) is str:
            data = data.encode()
            text = True
        key = self._new_key()  # first: a failing random source changes nothing
        return frame(self._data_head(text, fin), data, key)

    def send_head(self, length: int, text: bool = False, fin: bool = True) -> bytes:
        """Only the head of a data frame, as :meth:`send_frame` would make it,
        for a server to write its payload of ``length`` bytes itself, right
        after, with no copy (a large buffer on a board).  A client must mask
        its payload, so it uses send_frame."""
        if self.our_role != SERVER:
            raise LocalProtocolError("a client masks its frames: use send_frame")
        if length < 0:
            raise LocalProtocolError("negative length")
        head = bytearray(10)
        return bytes(head[: put_head(head, self._data_head(text, fin), length, None)])

    def _data_head(self, text: bool, fin: bool) -> int:
        # Byte 0 of our next data frame, the message state moved along.
        if self.state != OPEN:
            move(self.state, SEND)  # raises: only OPEN sends (and sending changes no state)
        flags = self._flags
        if flags & TX_MESSAGE:
            opcode = CONTINUATION
        else:
            opcode = TEXT if text else BINARY
        if fin:
            if flags & TX_MESSAGE:
                self._flags = flags & ~TX_MESSAGE
            return FIN | opcode
        self._flags = flags | TX_MESSAGE
        return opcode

    def send_ping(self, payload: "Any" = b"") -> bytearray:
        """A Ping frame (§5.5.2).  The peer answers with a Pong event carrying
        the same payload; a driver's keep-alive sends one when the line has
        been quiet, and fails the connection if no Pong comes in time."""
        return self._send_control(PING, payload)

    def send_pong(self, payload: "Any" = b"") -> bytearray:
        """An unsolicited Pong frame (§5.5.3: "a unidirectional heartbeat";
        the core answers pings itself)."""
        return self._send_control(PONG, payload)

    def _send_control(self, opcode: int, payload: "Any") -> bytearray:
        if type(payload) is str:
            payload = payload.encode()
        if len(payload) > MAX_CONTROL:
            raise LocalProtocolError("control frame payload over 125 bytes")
        move(self.state, SEND)  # raises unless OPEN; sending changes no state
        return frame(FIN | opcode, payload, self._new_key())

    def send_close(self, code: "Optional[int]" = 1000, reason: "Any" = "") -> bytes:
        """Our close frame (§5.5.1, §7.1.2), ahead of it any queued pong; the
        state becomes CLOSING.  ``code`` None sends a close with no status
        (then no ``reason`` either).  ``reason`` is a str or UTF-8 bytes of
        at most 123 bytes (§5.5: a control payload is at most 125 bytes).

        Then wait for their close (a Close event, the state CLOSED) while
        reading on, at most a close timeout (see the package docstring).
        """
        if code is None:
            if reason:
                raise LocalProtocolError("a close reason needs a code")
        elif not valid_close_code(code):
            # §7.4.1: 1005, 1006 and 1015 are never sent.
            raise LocalProtocolError("close code %r may not be sent" % (code,))
        payload = close_payload(code, reason)
        if len(payload) > MAX_CONTROL:
            raise LocalProtocolError("close reason over 123 bytes")
        self.state = move(self.state, SEND_CLOSE)
        out = frame(FIN | CLOSE, payload, self._new_key())
        queued = self._out
        self._out = b""
        return queued + out if queued else bytes(out)
