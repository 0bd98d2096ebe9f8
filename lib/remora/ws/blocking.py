"""The blocking half of :class:`~.websocket.WebSocket`: its reads, whole
messages and close handshake on a worker thread (a page, the seed's
blocking client), where every socket call blocks that thread only.  The
same steps as the task's half in ``websocket.py``, with plain calls for
awaits; the decisions (how long to wait, what a quiet line means, how the
connection ends) are the shared methods there.
"""

from .. import port, profile
from ..errors import Closed, SocketError, Timeout
from ..proto.ws.events import DONE, NEED_DATA, Data, Ping, Pong
from ..proto.ws.state import OPEN

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional


def option(key: str, default: int) -> int:
    """A WebSocket key of the board profile (``ws_*``), with its default."""
    return profile.current().get(key, default)  # type: ignore[no-any-return]


class Blocking:
    """The worker-thread half of a WebSocket (a base class of it)."""

    if TYPE_CHECKING:
        # The core (remora.proto.ws.connection) and the task's half
        # (websocket.py) provide what these methods call.
        def __getattr__(self, name: str) -> "Any": ...

    def _receive_blocking(self, timeout_ms: "Optional[int]") -> "Any":
        while True:
            message = self._assemble(self._read_blocking(timeout_ms))
            if message is not self:
                return message

    def _read_blocking(self, timeout_ms: "Optional[int]") -> "Any":
        deadline = None if timeout_ms is None else port.ticks_add(port.ticks_ms(), timeout_ms)
        while True:
            event = self.next_event()
            out = self.data_to_send()
            if out:
                try:
                    self.sock.write(out)
                except SocketError:
                    pass
            if event is NEED_DATA:
                wait = self._wait_ms(deadline)
                try:
                    data = self.sock.read(wait)
                except Timeout:
                    data = self._quiet(deadline)
                    if data is None:
                        try:
                            self.sock.write(self.send_ping(b""))
                        except SocketError:
                            pass
                        continue
                except Closed:
                    data = b""
                self.receive_data(data or b"")
                continue
            kind = type(event)
            if kind is Data:
                return event
            if kind is Pong:
                self._pinged = False
            elif kind is not Ping:  # Close, or DONE
                self._finish_blocking(event)
                return None

    def _finish_blocking(self, event: "Any") -> None:
        self._ended(event)
        sock = self.sock
        quiet = self._drain_ms(event)
        if quiet:
            deadline = port.ticks_add(port.ticks_ms(), option("ws_close_ms", 3000))
            try:
                while sock.read(self._drain_wait(deadline, quiet)):
                    pass  # dropped unread (see WebSocket._drain_ms)
            except SocketError:
                pass
        sock.close()

    def _close_blocking(self, code: "Optional[int]", reason: "Any") -> None:
        if self.state == OPEN:
            try:
                self.sock.write(self.send_close(code, reason))
            except SocketError:
                pass
        try:
            while self._read_blocking(None) is not None:
                pass
        except SocketError:
            pass
        self._ended(DONE)
        self.sock.close()
