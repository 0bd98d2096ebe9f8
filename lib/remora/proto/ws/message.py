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
core made it, with no copy; otherwise each frame gets one buffer of its
length, filled in place, and the frames of a fragmented message are joined
once at its end.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

    from .events import Data


class Assembler:
    """Collects the pieces of one message at a time."""

    def __init__(self) -> None:
        self._frame = None  # type: Any  # the buffer of the frame being filled
        self._frames = None  # type: Optional[List[Any]]  # earlier frames of the message

    def add(self, event: "Data") -> "Optional[Tuple[Any, bool]]":
        """Add a piece; returns ``(data, text)`` when it ends a message (data
        bytes-like, valid UTF-8 when ``text``), else None."""
        piece = event.data
        received = event.received
        length = event.length
        if received == len(piece):  # the first piece of a frame
            if received == length and event.fin and self._frames is None:
                return piece, event.text  # a whole message at once
            self._frame = bytearray(length)
        frame = self._frame
        frame[received - len(piece) : received] = piece
        if received < length:
            return None
        self._frame = None
        frames = self._frames
        if not event.fin:
            if frames is None:
                self._frames = [frame]
            else:
                frames.append(frame)
            return None
        if frames is not None:
            frames.append(frame)
            frame = b"".join(frames)
            self._frames = None
        return frame, event.text

    def reset(self) -> None:
        """Drop a message in progress (the connection closed)."""
        self._frame = None
        self._frames = None
