"""The receive half of the WebSocket connection: bytes in, events out
(RFC 6455 §5, §7).  :class:`~remora.proto.ws.connection.Connection` adds the
sending half; drivers use that class, never this one.

The contract, h11's: ``receive_data`` adds bytes, ``next_event`` turns them
into one event at a time, NEED_DATA when it needs more.  A frame head (and
a control frame, at most 125 bytes of payload) is parsed only once it is
whole and consumed in one go, so a head split between reads waits intact.
A data frame's payload is not buffered: each call hands over what has
arrived of it as a :class:`~.events.Data` piece, unmasked into the piece's
own buffer.

Memory: the core keeps a reference to the bytes the driver fed (no copy)
and the position parsed up to; the only copy on the way in is the unmasked
piece (a server) or the slice of a larger feed (a client).  Once a feed is
consumed the reference is dropped, so an idle connection holds no buffer.
Drain ``next_event()`` to NEED_DATA before feeding more: that bounds what
is held to one feed.  When a feed must be joined to an unparsed rest (a
head split between reads), the rest is at most a head and a control frame
(139 bytes) if the driver drains.

A peer's violation fails the connection (§7.1.7): the state becomes ERROR,
our close frame with the code is queued (unless ours already went), the
unparsed bytes are dropped, and ``next_event`` returns a
:class:`~.events.Close` with ``clean`` False.  Nothing is raised.
"""

from . import utf8
from .events import DONE, NEED_DATA, Close, Data, LocalProtocolError, Ping, Pong
from .frames import BINARY, CLOSE, CONTINUATION, FIN, MASK, MAX_CONTROL, PING, PONG, TEXT
from .frames import close_payload, frame, new_key, rotate, unmasked, xor_mask
from .state import CLOSED, EOF, FAIL, OPEN, RECV_CLOSE, SERVER, move, valid_close_code

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

# The bits of Reader._flags.  One int instead of four attributes: every
# attribute costs an idle connection a slot of its instance dict.
_FRAME = const(0xFF)  # byte 0 (FIN, opcode) of the data frame being read
_RX_TEXT = const(0x100)  # their text message is in progress
_RX_BINARY = const(0x200)  # their binary message is in progress
_RX_MESSAGE = const(0x300)
TX_MESSAGE = const(0x400)  # our fragmented message is in progress (see Connection)
_EOF = const(0x800)  # receive_data(b"") was called

# A payload up to this size is unmasked in one step into new bytes.
_ONE_STEP = const(512)

# Close codes we fail the connection with (§7.4.1).
_PROTOCOL_ERROR = const(1002)
_NO_STATUS = const(1005)
_ABNORMAL = const(1006)
_INVALID_DATA = const(1007)
_TOO_BIG = const(1009)


class Reader:
    """The receive half and the shared state of one connection."""

    # Every attribute has its default here, on the class: an instance
    # stores one only once it differs (or once the receive path sets it),
    # and every attribute stored costs an idle connection a slot of its
    # instance dict (on MicroPython the dict's table grows from 12 slots to
    # 17 at the 13th attribute: 48 bytes more per connection on a board).
    our_role = SERVER  # type: int
    state = OPEN  # type: int
    max_message = 65535  # type: int
    _random = None  # type: Optional[Callable[[int], bytes]]
    _buf = b""  # type: Any  # the bytes fed and not yet consumed from _pos
    _pos = 0
    _flags = 0
    # The data frame being read: payload bytes left (-1 between frames),
    # its length, its masking key.
    _left = -1
    _length = 0
    _key = None  # type: Optional[bytes]
    _size = 0  # payload bytes of their message in progress so far
    _carry = b""  # an incomplete UTF-8 sequence of their text (utf8.check)
    _out = b""  # type: Any  # queued replies: a pong, then our close

    def __init__(self, role: int) -> None:
        if role != SERVER:
            self.our_role = role

    def receive_data(self, data: "Any") -> None:
        """Add bytes read from the peer; ``b""`` means EOF.

        ``data`` is any bytes-like object.  The core keeps a reference to
        it (no copy) until ``next_event()`` returns NEED_DATA, and then
        holds none to a mutable buffer: a driver that reads into one reused
        buffer drains the events before it reads again.  After the
        connection ended (CLOSED, ERROR) data is dropped; after EOF it is
        our bug.
        """
        flags = self._flags
        if flags & _EOF:
            raise LocalProtocolError("data received after EOF")
        if not data:
            self._flags = flags | _EOF
            return
        if self.state >= CLOSED:
            return  # §7.1.1: nothing more is read once the connection ended
        buf = self._buf
        pos = self._pos
        if pos < len(buf):
            # Join the unparsed rest (after a drain: at most a frame head and
            # a control frame, 139 bytes) and the new bytes.
            self._buf = bytes(memoryview(buf)[pos:]) + data
        else:
            self._buf = data
        self._pos = 0

    def next_event(self) -> "Any":
        """The next event (Data, Ping, Pong, Close), NEED_DATA, or DONE."""
        if self.state >= CLOSED:
            return DONE
        if self._left >= 0:
            return self._payload()
        return self._head()

    def data_to_send(self) -> bytes:
        """The replies the core queued, to write now: the pong to their
        latest ping, the echo of their close, or our close when their bytes
        failed the connection.  Empty when there are none."""
        out = self._out
        if out:
            self._out = b""
        return out

    # -- the receive path -------------------------------------------------------

    def _head(self) -> "Any":
        # The head of the next frame (§5.2).  Each rule is judged as soon as
        # the bytes it needs are here ("fail fast").
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        if avail < 2:
            return self._starved()
        first = buf[pos]
        second = buf[pos + 1]
        opcode = first & 0x0F
        flags = self._flags
        # §5.2: "RSV1, RSV2, RSV3: MUST be 0 unless an extension is
        # negotiated"; we negotiate none.
        if first & 0x70:
            return self._fail(_PROTOCOL_ERROR)
        if opcode >= CLOSE:
            # §5.2: 0xB-0xF are reserved control opcodes.  §5.5: "All
            # control frames MUST have a payload length of 125 bytes or less
            # and MUST NOT be fragmented."  They may come between the
            # fragments of a message (§5.4).
            if opcode > PONG or not first & FIN or second & 0x7F > MAX_CONTROL:
                return self._fail(_PROTOCOL_ERROR)
        elif opcode == CONTINUATION:
            if not flags & _RX_MESSAGE:
                return self._fail(_PROTOCOL_ERROR)  # §5.4: no message to continue
        elif opcode > BINARY or flags & _RX_MESSAGE:
            # 0x3-0x7 are reserved; §5.4: the fragments of one message are
            # not interleaved with another message.
            return self._fail(_PROTOCOL_ERROR)
        # §5.1: "a client MUST mask all frames that it sends to the server"
        # and "a server MUST NOT mask any frames that it sends to the
        # client"; either side fails the connection on the other's frame.
        masked = second & MASK
        if (masked == 0) == (self.our_role == SERVER):
            return self._fail(_PROTOCOL_ERROR)
        length = second & 0x7F
        size = 2 if length < 126 else 4 if length == 126 else 10
        if masked:
            size += 4
        if avail < size:
            return self._starved()
        # §5.2: "the minimal number of bytes MUST be used to encode the
        # length", and a 64-bit length has its most significant bit 0.
        if length == 126:
            length = buf[pos + 2] << 8 | buf[pos + 3]
            if length < 126:
                return self._fail(_PROTOCOL_ERROR)
        elif length == 127:
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            if length < 65536 or length >> 63:
                return self._fail(_PROTOCOL_ERROR)
        key = bytes(buf[pos + size - 4 : pos + size]) if masked else None
        if opcode >= CLOSE:
            end = pos + size + length
            if len(buf) < end:
                return self._starved()  # wait for the whole control frame
            self._pos = end
            payload = buf[pos + size : end]
            if type(payload) is not bytes:
                payload = bytes(payload)
            if key is not None:
                payload = unmasked(payload, key)  # at most 125 bytes
            return self._control(opcode, payload)
        # The message size limit, judged on the head, before any payload is
        # read (§10.4: limits protect against memory exhaustion).
        total = self._size + length if opcode == CONTINUATION else length
        if total > self.max_message:
            return self._fail(_TOO_BIG)
        end = pos + size + length
        if first & FIN and opcode != CONTINUATION and len(buf) >= end:
            # The common case: a whole unfragmented message, already here.
            # It is one piece, and no per-frame state is stored (as if its
            # frame were read and ended at once): fewer steps per message.
            self._pos = end
            if key is None:
                piece = buf[pos + size : end]  # type: Any  # a copy, bytes or bytearray
            elif length <= _ONE_STEP:
                piece = unmasked(buf[pos + size : end], key)  # the fewest allocations
            else:
                piece = bytearray(length)
                xor_mask(memoryview(buf)[pos + size : end], key, piece, 0)
            text = opcode == TEXT
            # §8.1: a text message must be valid UTF-8, and end whole.
            if text and utf8.check(b"", piece, True) is None:
                return self._fail(_INVALID_DATA)
            return Data(piece, text, length, length, True)
        if opcode == TEXT:
            flags |= _RX_TEXT
            self._carry = b""
        elif opcode == BINARY:
            flags |= _RX_BINARY
        self._flags = (flags & ~_FRAME) | first
        self._pos = pos + size
        self._left = self._length = length
        self._key = key
        self._size = total
        return self._payload()

    def _payload(self) -> "Any":
        # What has arrived of the current data frame's payload, as one piece.
        buf = self._buf
        pos = self._pos
        left = self._left
        take = len(buf) - pos
        if take >= left:
            take = left
        elif take == 0:
            return self._starved()
        end = pos + take
        key = self._key
        if key is not None:
            piece = bytearray(take)  # type: Any
            xor_mask(memoryview(buf)[pos:end], rotate(key, self._length - left), piece, 0)
        elif type(buf) is bytes:
            # The whole feed, immutable, is the piece itself: no copy.
            piece = buf if pos == 0 and end == len(buf) else buf[pos:end]
        else:
            piece = bytes(memoryview(buf)[pos:end])  # one copy, not two
        self._pos = end
        left -= take
        flags = self._flags
        fin = flags & FIN != 0
        text = flags & _RX_TEXT != 0
        if text:
            # §8.1: a text message must be valid UTF-8; a code point may be
            # split between frames and between pieces.
            carry = utf8.check(self._carry, piece, fin and left == 0)
            if carry is None:
                return self._fail(_INVALID_DATA)
            self._carry = carry
        if left:
            self._left = left
        else:
            self._left = -1
            self._key = None
            if fin:
                self._flags = flags & ~_RX_MESSAGE
                self._size = 0
        return Data(piece, text, self._length - left, self._length, fin)

    def _control(self, opcode: int, payload: bytes) -> "Any":
        # A whole control frame (§5.5).
        if opcode == PING:
            # §5.5.2: answer with a Pong carrying the same payload "unless it
            # already received a Close frame"; §5.5.3: only the latest ping
            # needs its pong, so a queued one is replaced (a ping flood
            # cannot grow the queue).  Nothing goes out after our close.
            if self.state == OPEN:
                self._out = bytes(frame(FIN | PONG, payload, self._new_key()))
            return Ping(payload)
        if opcode == PONG:
            return Pong(payload)
        # §5.5.1: the body, if any, starts with a 2-byte status code, then
        # UTF-8 text; §7.4: codes outside the registry are a protocol error.
        size = len(payload)
        code = _NO_STATUS
        reason = ""
        if size:
            if size == 1:
                return self._fail(_PROTOCOL_ERROR)
            code = payload[0] << 8 | payload[1]
            if not valid_close_code(code):
                return self._fail(_PROTOCOL_ERROR)
            if size > 2:
                raw = payload[2:]
                if not utf8.valid(raw):
                    return self._fail(_INVALID_DATA)
                reason = str(raw, "utf-8")
        if self.state == OPEN:
            # §5.5.1: "If an endpoint receives a Close frame and did not
            # previously send a Close frame, the endpoint MUST send a Close
            # frame in response.  ...  it typically echos the status code it
            # received."  Their reason is not echoed; no code, no code back.
            echo = close_payload(None if code == _NO_STATUS else code, b"")
            self._out = self._out + frame(FIN | CLOSE, echo, self._new_key())
        self.state = move(self.state, RECV_CLOSE)
        self._drop()
        return Close(code, reason, True)

    def _starved(self) -> "Any":
        # The bytes ran out: NEED_DATA, or the end of the connection at EOF.
        buf = self._buf
        if self._pos >= len(buf):
            self._buf = b""  # let the consumed feed go
            self._pos = 0
        elif type(buf) is not bytes:
            # A part of a head or control frame waits in the driver's buffer,
            # which it may reuse for its next read: keep a copy instead.
            self._buf = bytes(memoryview(buf)[self._pos :])
            self._pos = 0
        if not self._flags & _EOF:
            return NEED_DATA
        # §7.1.5: the bytes ended with no close frame (a frame cut short
        # included): the close code is 1006, and no close frame is sent.
        self.state = move(self.state, EOF)
        self._drop()
        return Close(_ABNORMAL, "", False)

    def _fail(self, code: int) -> "Any":
        # §7.1.7, _Fail the WebSocket Connection_: send our close with the
        # code if ours has not gone yet, and read nothing more.  No reason
        # text: never tell the peer more than the code.
        if self.state == OPEN:
            self._out = self._out + frame(FIN | CLOSE, close_payload(code, b""), self._new_key())
        self.state = move(self.state, FAIL)
        self._drop()
        return Close(code, "", False)

    def _drop(self) -> None:
        # Nothing more is read: let go of what is held for reading.
        self._buf = b""
        self._pos = 0
        self._left = -1
        self._key = None
        self._carry = b""

    def _new_key(self) -> "Optional[bytes]":
        # §5.3: a client masks every frame with a fresh, unpredictable key;
        # a server masks nothing.
        return None if self.our_role == SERVER else new_key(self._random)
