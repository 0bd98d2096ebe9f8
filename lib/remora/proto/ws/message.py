"""Whole messages from the core's payload pieces: the seed's ``wsread``
(which assembles one frame), done per message as RFC 6455 §5.4 defines
them (a message is one frame or several fragments).

The core delivers :class:`~.events.Data` pieces as the bytes arrive, so
that memory stays bounded by what the driver reads at a time; an
application that wants whole messages feeds each piece to an
:class:`Assembler`::

    assembler = Assembler()
    ...
    if type(event) is Data:
        message = assembler.add(event)
        if message is not None:
            data, text = message
            handle(str(data, "utf-8") if text else data)
    elif type(event) is Close:
        assembler.reset()

The Connection's ``max_message`` bounds what it holds: the core fails a
frame or a message over the limit (1009) before any of its payload arrives.
A message in one piece (a small one, read at once) is handed on as the
core made it, with no copy.  Otherwise the message is one buffer: the
first frame's length is allocated at once and filled in place, later
frames (a fragmented message, RFC 6455 §5.4) are appended to it.  At most
the message and the piece being added are held: never a list of frames
plus their join (twice the message, which a board's heap may not have).
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

    from .events import Data


class Assembler:
    """Collects the pieces of one message at a time."""

    def __init__(self) -> None:
        self._buf = None  # type: Any  # the message so far (a bytearray), or None
        self._at = 0  # bytes of _buf filled

    def add(self, event: "Data") -> "Optional[Tuple[Any, bool]]":
        """Add a piece; returns ``(data, text)`` when it ends a message (data
        bytes-like, valid UTF-8 when ``text``), else None."""
        piece = event.data
        buf = self._buf
        last = event.fin and event.received == event.length
        if buf is None:
            if last and event.received == len(piece):
                return piece, event.text  # a whole message at once
            buf = self._buf = bytearray(event.length)  # the first frame's room
            self._at = 0
        at = self._at
        end = at + len(piece)
        if end <= len(buf):
            buf[at:end] = piece
        else:
            buf += piece  # a later frame: the buffer grows (filled up to its end)
        self._at = end
        if not last:
            return None
        self._buf = None
        return buf, event.text

    def reset(self) -> None:
        """Drop a message in progress (the connection closed)."""
        self._buf = None
