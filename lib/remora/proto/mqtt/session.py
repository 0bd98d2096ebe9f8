"""The client's session state (5.0 §4.1, 3.1.1 §4.1): what outlives a network
connection, and the QoS 1 and 2 flows that move it (5.0 §4.3, §4.4, §4.9).

The client's session state is "QoS 1 and QoS 2 messages which have been sent
to the Server, but have not been completely acknowledged" and "QoS 2
messages which have been received from the Server, but have not been
completely acknowledged" (§4.1).  Here:

* ``out``: our unfinished QoS 1/2 publishes, in the order first sent (the
  order resends keep, §4.6).  Each entry is a list [packet id, flags, topic,
  payload, property bytes]; flags hold the PUBLISH header flags (RETAIN 1,
  QoS << 1, DUP 8) and the entry's stage bits below.  Once PUBREC arrives
  only the packet id is needed: the message itself is dropped, so a QoS 2
  message waiting for its PUBCOMP costs a few words.
* ``qos2_in``: packet ids of their QoS 2 messages delivered, whose PUBREL
  has not come: a PUBLISH with one of them is a duplicate, not delivered
  again (§4.3.3, method B of 3.1.1 §4.3.3).
* ``requests``: our SUBSCRIBE/UNSUBSCRIBE waiting for their ack (not session
  state; kept here so that packet ids are allocated in one place, §2.2.1).
* ``events``: events the session made itself, for ``next_event()``: the
  end of a flow whose message could not be re-sent (see ``_drop``).

Every list is None while empty (an empty list costs a board ~50 bytes), and
each is bounded: ``out`` and ``requests`` by ``max_inflight``, ``qos2_in``
by ``receive_max`` (the Receive Maximum we announce, §3.1.2.11.3).
"""

from .encode import ack, publish
from .events import PubAck, PubComp, RemoteProtocolError
from .wire import PT_PUBACK, PT_PUBREC, PT_PUBREL, PT_PUBCOMP

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional

# Entry flags above the PUBLISH header flags.
_RELEASED = const(0x10)  # PUBREC came and PUBREL went: waiting for PUBCOMP
_COUNTED = const(0x20)  # its PUBLISH went out on this connection: takes send quota (§4.9)
_PENDING = const(0x40)  # to send again on this connection (after a reconnect)
_DUP = const(0x08)

_PROTOCOL_ERROR = const(0x82)


class Session:
    """The session state of one client; see the module docstring."""

    def __init__(self, max_inflight: int, receive_max: int) -> None:
        self.max_inflight = max_inflight
        self.receive_max = receive_max
        self.out = None  # type: Optional[List[Any]]
        self.qos2_in = None  # type: Optional[List[int]]
        self.requests = None  # type: Optional[List[int]]  # id | kind << 16 | count << 17
        self.events = None  # type: Optional[List[Any]]  # made here, for next_event()
        self._last_id = 0

    # -- packet identifiers -------------------------------------------------------------

    def _find(self, pid: int) -> int:
        out = self.out
        if out is not None:
            for i in range(len(out)):
                if out[i][0] == pid:
                    return i
        return -1

    def _request(self, pid: int) -> int:
        requests = self.requests
        if requests is not None:
            for i in range(len(requests)):
                if requests[i] & 0xFFFF == pid:
                    return i
        return -1

    def next_id(self) -> int:
        """A packet identifier not in use (§2.2.1: non-zero, "currently unused"
        [MQTT-2.2.1-3]).  Counts on from the last one, so an id comes back
        only after 65,535 others: a late ack cannot be taken for a new one."""
        pid = self._last_id
        while True:
            pid = pid % 0xFFFF + 1  # 1..65535
            if self._find(pid) < 0 and self._request(pid) < 0:
                return pid  # taken by add() or add_request()

    # -- our publishes ------------------------------------------------------------------

    def inflight(self) -> int:
        """How many QoS 1/2 publishes are unfinished."""
        return 0 if self.out is None else len(self.out)

    def quota_left(self, quota: int) -> int:
        """The send quota left (5.0 §4.9): ``quota`` (the server's Receive
        Maximum) less the publishes sent on this connection and unfinished."""
        out = self.out
        if out is not None:
            for entry in out:
                if entry[1] & _COUNTED:
                    quota -= 1
        return quota

    def room(self, quota: int) -> int:
        """How many more new QoS 1/2 publishes may go out now: the table's
        bound (``max_inflight``) and the send quota left."""
        return min(self.max_inflight - self.inflight(), self.quota_left(quota))

    def add(self, pid: int, flags: int, topic: str, payload: bytes, props: "Any") -> None:
        """Record a QoS 1/2 publish just sent."""
        self._last_id = pid
        entry = [pid, flags | _COUNTED, topic, payload, props]
        if self.out is None:
            self.out = [entry]
        else:
            self.out.append(entry)

    def _done(self, i: int) -> None:
        out = self.out
        if out is not None:
            out.pop(i)
            if not out:
                self.out = None

    def on_ack(self, conn: "Any", ptype: int, pid: int, reason: int, props: "Any") -> "Any":
        """PUBACK, PUBREC or PUBCOMP for one of our publishes: the event for
        the driver, or None.  An ack for an id we do not hold is ignored (it
        can only be late); an ack that does not fit the message's QoS or stage
        is a Protocol Error."""
        i = self._find(pid)
        if i < 0:
            if ptype == PT_PUBREC:
                # 5.0 §3.6.2.1: PUBREL 0x92 answers a PUBREC for an unknown
                # id; 3.1.1 §4.3.3 answers every PUBREC with a PUBREL.
                conn.queue_out(ack(conn.version, PT_PUBREL, pid, 0x92))
            return None
        out = self.out
        assert out is not None  # _find found it there
        entry = out[i]
        flags = entry[1]
        qos = flags >> 1 & 3
        if ptype == PT_PUBACK:
            if qos != 1:
                raise RemoteProtocolError("PUBACK for a QoS 2 message", _PROTOCOL_ERROR)
            event = PubAck(pid, reason, props)  # type: Any
        elif qos != 2:
            raise RemoteProtocolError("PUBREC/PUBCOMP for a QoS 1 message", _PROTOCOL_ERROR)
        elif ptype == PT_PUBREC:
            if reason < 0x80:
                # §4.3.3: answer with PUBREL; the message is the server's now,
                # only its id is kept.  A second PUBREC (after a resend) gets
                # a second PUBREL.
                entry[1] = flags | _RELEASED
                entry[2] = entry[3] = entry[4] = None
                conn.queue_out(ack(conn.version, PT_PUBREL, pid))
                return None
            # §4.3.3: a PUBREC failure ends the flow [MQTT-4.4.0-2], and
            # returns the quota (§4.9).
            event = PubComp(pid, reason, props)
        elif not flags & _RELEASED:
            raise RemoteProtocolError("PUBCOMP before PUBREC", _PROTOCOL_ERROR)
        else:
            event = PubComp(pid, reason, props)
        self._done(i)
        # A slot of send quota came back: a message waiting to be re-sent
        # after a reconnect takes it first (§4.6: in their original order).
        self._send_pending(conn, self.quota_left(conn.their_receive_max))
        return event

    # -- their QoS 2 publishes ----------------------------------------------------------

    def receive_qos2(self, pid: int) -> bool:
        """Note their QoS 2 PUBLISH ``pid``; False if it is a duplicate (still
        noted: its PUBREL has not come).  More than our Receive Maximum at
        once is 0x93 Receive Maximum exceeded (5.0 §4.9 [MQTT-3.3.4-9])."""
        ids = self.qos2_in
        if ids is None:
            ids = self.qos2_in = []
        elif pid in ids:
            return False
        if len(ids) >= self.receive_max:
            raise RemoteProtocolError("more QoS 2 messages than our Receive Maximum", 0x93)
        ids.append(pid)
        return True

    def on_pubrel(self, version: int, pid: int) -> bytes:
        """Their PUBREL: forget the id; the PUBCOMP that answers it (§4.3.3),
        with 0x92 under 5.0 when we do not know it (§3.7.2.1)."""
        ids = self.qos2_in
        known = ids is not None and pid in ids
        if known:
            assert ids is not None
            ids.remove(pid)
            if not ids:
                self.qos2_in = None
        return ack(version, PT_PUBCOMP, pid, 0 if known else 0x92)

    # -- SUBSCRIBE and UNSUBSCRIBE ------------------------------------------------------

    def add_request(self, pid: int, unsubscribe: int, count: int) -> None:
        """Record a SUBSCRIBE (0) or UNSUBSCRIBE (1) of ``count`` filters."""
        self._last_id = pid
        entry = pid | unsubscribe << 16 | count << 17
        if self.requests is None:
            self.requests = [entry]
        else:
            self.requests.append(entry)

    def requests_full(self) -> bool:
        """Whether as many (UN)SUBSCRIBEs as ``max_inflight`` wait for an ack."""
        return self.requests is not None and len(self.requests) >= self.max_inflight

    def take_request(self, pid: int, unsubscribe: int, count: int) -> bool:
        """Match a SUBACK (0) or UNSUBACK (1) with ``count`` codes (-1: 3.1.1's
        UNSUBACK, which has none) to its request; False for an unknown id.
        §3.9.3: one code per filter [MQTT-3.9.3-1]; §3.11.3 likewise."""
        i = self._request(pid)
        requests = self.requests
        if i < 0 or requests is None:
            return False
        entry = requests[i]
        if entry >> 16 & 1 != unsubscribe:
            raise RemoteProtocolError("SUBACK/UNSUBACK for the other request", _PROTOCOL_ERROR)
        if count >= 0 and entry >> 17 != count:
            raise RemoteProtocolError("not one reason code per filter", _PROTOCOL_ERROR)
        requests.pop(i)
        if not requests:
            self.requests = None
        return True

    # -- reconnecting -------------------------------------------------------------------

    def new_connection(self) -> None:
        """A CONNECT goes out on a new network connection: unanswered
        (UN)SUBSCRIBEs are lost with the old one (their acks will not come)."""
        self.requests = None

    def clear(self) -> "List[int]":
        """Discard the session state: our unfinished publishes and their QoS 2
        ids; the packet ids dropped, for the driver to fail their waiters.

        For a driver that takes a clean start as the specification words it
        ("the Client and Server MUST discard any existing Session", 5.0
        [MQTT-3.1.2-4], 3.1.1 [MQTT-3.1.2-6]): call it before ``connect(clean=
        True)``.  Otherwise the messages are published anew (see resume).
        """
        ids = [entry[0] for entry in self.out] if self.out else []
        self.out = self.qos2_in = None
        return ids

    def resume(self, present: bool) -> bool:
        """The CONNACK accepted us: mark every unfinished publish for sending
        again; True if there is any.

        Session present: the server kept the session, so PUBLISHes go again
        with DUP set and their ids, and PUBRELs likewise (5.0 §4.4
        [MQTT-4.4.0-1], 3.1.1 §4.4 [MQTT-4.4.0-1]).  No session (a clean
        start, or the server lost it): the session state is discarded (5.0
        [MQTT-3.2.2-5]), so their QoS 2 ids are forgotten, and our messages
        are published anew (DUP 0; the ids are free in a new session, so they
        keep theirs and the driver's waiters still match).  A message past
        PUBREC had reached the server: its PUBREL goes again and the server
        answers PUBCOMP (under 5.0 with 0x92, "not an error during
        recovery", §3.7.2.1), which ends the flow as the driver expects.
        """
        if not present:
            self.qos2_in = None
        out = self.out
        if out is None:
            return False
        for entry in out:
            flags = (entry[1] & ~_COUNTED & ~_DUP) | _PENDING
            if present and not flags & _RELEASED:
                flags |= _DUP
            entry[1] = flags
        return True

    def resend(self, conn: "Any", quota: int) -> "List[bytes]":
        """The packets to send again after ``resume``, in their original order:
        every PUBREL, and the PUBLISHes the send quota lets go now (§4.9: a
        re-sent PUBLISH takes quota; a PUBREL does not, its PUBLISH went on
        the old connection).  PUBLISHes held back go out as acks bring quota
        back, through ``data_to_send()``."""
        packets = []  # type: List[bytes]
        out = self.out
        if out is None:
            return packets
        room = self.quota_left(quota)
        dropped = None
        for entry in out:
            flags = entry[1]
            if not flags & _PENDING:
                continue
            if flags & _RELEASED:
                entry[1] = flags & ~_PENDING
                packets.append(ack(conn.version, PT_PUBREL, entry[0]))
            elif room > 0:
                data = self._encode(conn, entry)
                if data is None:
                    dropped = [entry] if dropped is None else dropped + [entry]
                else:
                    packets.append(data)
                    room -= 1
        self._drop(conn, dropped)
        return packets

    def _send_pending(self, conn: "Any", room: int) -> None:
        # Up to ``room`` PUBLISHes still waiting since the reconnect.
        out = self.out
        if out is None:
            return
        dropped = None
        for entry in out:
            if room <= 0:
                break
            if entry[1] & _PENDING and not entry[1] & _RELEASED:
                data = self._encode(conn, entry)
                if data is None:
                    dropped = [entry] if dropped is None else dropped + [entry]
                else:
                    conn.queue_out(data)
                    room -= 1
        self._drop(conn, dropped)

    def _encode(self, conn: "Any", entry: "Any") -> "Optional[bytes]":
        # An entry's PUBLISH, whole: the full topic, never a Topic Alias
        # (aliases die with the connection, 5.0 §3.3.2.3.4); it takes its
        # send quota.  None if it is over the server's Maximum Packet Size
        # (a new server may allow less than the last).
        flags = entry[1]
        props = entry[4] if conn.version == 5 else None
        data = publish(entry[2], entry[3], flags & 0x0F, entry[0], props)
        if len(data) > conn.their_max_packet:
            return None
        entry[1] = (flags & ~_PENDING) | _COUNTED
        return data

    def _drop(self, conn: "Any", dropped: "Any") -> None:
        # Messages never to be sent ([MQTT-3.2.2-15]: nothing over the
        # server's Maximum Packet Size): as a server does with a message too
        # large for its client (§3.1.2.11.4), each is dropped and its flow
        # ends, with 0x95 (Packet too large) in its PubAck or PubComp.
        if dropped is None:
            return
        for entry in dropped:
            self._done(self._find(entry[0]))
            kind = PubAck if entry[1] & 6 == 2 else PubComp
            event = kind(entry[0], 0x95)
            if self.events is None:
                self.events = [event]
            else:
                self.events.append(event)

    def next_event(self) -> "Any":
        """The oldest event the session made itself (Connection.next_event
        returns these first)."""
        events = self.events
        assert events  # the caller checked
        event = events.pop(0)
        if not events:
            self.events = None
        return event
