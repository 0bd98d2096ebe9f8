"""The client's SUBSCRIBE and UNSUBSCRIBE requests, from the call to the
broker's answer, across reconnects.

:class:`Requests` is a base class of :class:`~.client.Client` (see .link).
A request is a list ``[kind, items, waiter, packet id]``: kind SUBSCRIBE or
UNSUBSCRIBE, items the (filter, options) pairs or the filters, the Waiter of
the caller (None for a resubscribe the client makes itself), and the packet
id it went out with on this connection (0: not sent yet).  Requests wait in
``_requests`` in the order made; on a new connection every one is sent again
(its answer cannot come on the next connection).  At most ``mqtt_inflight``
are unanswered at once (the core's limit); the rest go as answers come.

Filters the broker granted (5.0 §3.9.3: a reason code under 0x80) are kept in
``_subs``, so that .link can subscribe again when a broker kept no session.
"""

from ..proto.mqtt.events import InflightFull, LocalProtocolError
from .writer import Writer

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython
if TYPE_CHECKING:
    from typing import Any, List, Optional  # noqa: F401  (type comments)

SUBSCRIBE = const(0)  # request kinds, in [kind, items, waiter, packet id]
UNSUBSCRIBE = const(1)


class Requests(Writer):
    """(UN)SUBSCRIBE bookkeeping of a Client (a base class, never made alone)."""

    _requests = None  # type: Optional[List[Any]]  # [kind, items, waiter, pid]
    _subs = None  # type: Any  # {filter: options} the broker granted

    def _request(self, req: "Any", first: bool = False) -> None:
        if self._requests is None:
            self._requests = [req]
        elif first:
            self._requests.insert(0, req)
        else:
            self._requests.append(req)

    async def _send_requests(self, sock: "Any") -> None:
        # The requests not sent on this connection yet, while the core lets
        # them go (at most max_inflight unanswered), in one write.
        if not self._ready or self._requests is None:
            return
        conn = self.core
        out = None  # type: Any
        for req in list(self._requests):
            if req[3]:
                continue
            try:
                if req[0] == SUBSCRIBE:
                    pid, data = conn.subscribe(req[1])
                else:
                    pid, data = conn.unsubscribe(req[1])
            except InflightFull:
                break
            except LocalProtocolError as exc:  # a packet too large for this broker
                self._requests.remove(req)
                if req[2] is not None:
                    req[2].done(None, exc)
                continue
            req[3] = pid
            out = data if out is None else out + data
        if self._requests is not None and not self._requests:
            self._requests = None
        if out is not None:
            await self._send(sock, out)

    async def _answered(self, sock: "Any", ev: "Any") -> None:
        # A SUBACK or UNSUBACK: its request is done; granted filters are
        # remembered for a resubscribe (5.0 §3.9.3: a code under 0x80 grants).
        requests = self._requests
        if requests is None:
            return
        for i in range(len(requests)):
            req = requests[i]
            if req[3] == ev.packet_id:
                requests.pop(i)
                if not requests:
                    self._requests = None
                if req[0] == SUBSCRIBE:
                    items = req[1]
                    for j in range(len(items)):
                        if j < len(ev.reasons) and ev.reasons[j] < 0x80:
                            if self._subs is None:
                                self._subs = {}
                            self._subs[items[j][0]] = items[j][1]
                if req[2] is not None:
                    req[2].done(ev.reasons)
                break
        await self._send_requests(sock)

    def _unsent(self) -> None:
        # The connection ended: requests sent on it go again on the next.
        requests = self._requests
        if requests is not None:
            for req in requests:
                req[3] = 0

    def _fail_requests(self, error: BaseException) -> None:
        # The client stops: every waiting caller gets error.
        requests = self._requests
        self._requests = None
        for req in requests or ():
            if req[2] is not None:
                req[2].done(None, error)
