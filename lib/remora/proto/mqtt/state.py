"""The client connection's state machine, as data (STYLE.md point 2).

One machine per network connection, seen from the client:

* IDLE: no network connection yet; the only move is our CONNECT.
* CONNECTING: our CONNECT went out; the server may send only CONNACK (or,
  under 5.0, AUTH during enhanced authentication, §4.12).  We may send only
  DISCONNECT and AUTH: the server's limits come with its CONNACK, and
  resends must go before new messages (5.0 §4.4).  3.1.1 §3.1.4 lets a
  client send before the CONNACK; this core waits, as 5.0 advises.
* CONNECTED: the CONNACK accepted us.
* CLOSED: the connection is over (a DISCONNECT either way, a refused CONNACK,
  EOF, a protocol violation, or the driver's ``close()``).  A new CONNECT,
  on a new network connection, starts over; the session lives on (.session).

Each table is one bytes constant, one row per packet type (5.0 §2.1.2), one
column per state (IDLE, CONNECTING, CONNECTED, CLOSED): the next state as a
digit, "-" where the packet is illegal.  The functions raise where a packet
is illegal: LocalProtocolError for ours, RemoteProtocolError for theirs.
"""

from .events import LocalProtocolError, RemoteProtocolError
from .wire import PT_DISCONNECT, PT_AUTH

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


IDLE = const(0)
CONNECTING = const(1)
CONNECTED = const(2)
CLOSED = const(3)

STATE_NAMES = ("IDLE", "CONNECTING", "CONNECTED", "CLOSED")

# Packets we send: the next state, by packet type and state.  The replies
# (PUBACK, PUBREC, PUBREL, PUBCOMP) are the core's and follow the packets
# they answer, so they have no row of their own here.
#
#    state: IDLE CONNECTING CONNECTED CLOSED
_SEND = const(
    b"----"  # 0 reserved
    b"1--1"  # CONNECT: starts a connection (§3.1: the first packet, once)
    b"----"  # CONNACK: the server's
    b"--2-"  # PUBLISH
    b"----"  # PUBACK
    b"----"  # PUBREC
    b"----"  # PUBREL
    b"----"  # PUBCOMP
    b"--2-"  # SUBSCRIBE
    b"----"  # SUBACK: the server's
    b"--2-"  # UNSUBSCRIBE
    b"----"  # UNSUBACK: the server's
    b"--2-"  # PINGREQ
    b"----"  # PINGRESP: the server's
    b"-33-"  # DISCONNECT: the last packet; the network connection closes (§3.14.4)
    b"-12-"  # AUTH (5.0): during enhanced authentication or re-authentication (§4.12)
)

# Packets the server sends: the next state, by packet type and state; "-": a
# Protocol Error, "m": a reserved packet type, Malformed (5.0 §2.1.2).
#
#    state: IDLE CONNECTING CONNECTED CLOSED
_RECEIVE = const(
    b"mmmm"  # 0 reserved
    b"----"  # CONNECT: a client's packet
    b"-2--"  # CONNACK: once, first (5.0 §3.2 [MQTT-3.2.0-1, -2])
    b"--2-"  # PUBLISH
    b"--2-"  # PUBACK
    b"--2-"  # PUBREC
    b"--2-"  # PUBREL
    b"--2-"  # PUBCOMP
    b"----"  # SUBSCRIBE: a client's packet
    b"--2-"  # SUBACK
    b"----"  # UNSUBSCRIBE: a client's packet
    b"--2-"  # UNSUBACK
    b"----"  # PINGREQ: a client's packet
    b"--2-"  # PINGRESP
    b"--3-"  # DISCONNECT (5.0; 3.1.1 servers never send one, see receive())
    b"-12-"  # AUTH (5.0; reserved type in 3.1.1, see receive())
)

_DASH = const(45)  # ord("-")
_M = const(109)  # ord("m")


def send(state: int, ptype: int) -> int:
    """The state after we send a packet of type ``ptype`` in ``state``."""
    code = _SEND[ptype * 4 + state]
    if code == _DASH:
        raise LocalProtocolError(
            "can't send packet type %d in state %s" % (ptype, STATE_NAMES[state])
        )
    return code - 48


def receive(state: int, ptype: int, version: int) -> int:
    """The state after the server's packet of type ``ptype`` in ``state``."""
    if version == 4:
        # 3.1.1 §2.2.1: 15 is reserved (Malformed); DISCONNECT is a client's
        # packet only (3.1.1 §3.14: "sent from the Client to the Server").
        if ptype == PT_AUTH:
            ptype = 0
        elif ptype == PT_DISCONNECT:
            raise RemoteProtocolError("DISCONNECT from a 3.1.1 server", 0x82)
    code = _RECEIVE[ptype * 4 + state]
    if code == _M:
        raise RemoteProtocolError("reserved packet type", 0x81)
    if code == _DASH:
        raise RemoteProtocolError(
            "packet type %d not allowed in state %s" % (ptype, STATE_NAMES[state]), 0x82
        )
    return code - 48
