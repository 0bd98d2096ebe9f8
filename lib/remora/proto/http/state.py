"""The HTTP/1.1 connection state machine, as data (STYLE.md point 2).

Each connection tracks two small state machines, one per role: the CLIENT
(who sends requests) and the SERVER (who sends responses).  An event one side
sends moves that side along the table below; a few moves are then triggered
by the joint state (keep-alive lost, a protocol switch accepted, one side
closed).  Any event not in the table is illegal and raises
LocalProtocolError; the core turns peer violations into RemoteProtocolError.

The idea is h11's ``_state.py``; the machinery is smaller: states, roles and
event kinds are small ints, each table is one bytes constant (no dict,
nothing built at import: on a board a dict of tuples costs kilobytes), and
the functions below work on the :class:`~remora.proto.http.connection.Connection`'s
attributes ``states`` (indexed by role), ``keep_alive`` and ``switch`` (bit
``1 << kind`` per switch the client proposed) rather than on an object of
their own.

Event kinds: REQUEST, INFORMATIONAL (a 1xx response), RESPONSE (a final
response), DATA, EOM (end of message), CLOSED (EOF or our close), and two
pseudo-events the server sends instead of a plain response when it accepts a
protocol switch: SWITCH_UPGRADE (101 to an ``Upgrade`` request) and
SWITCH_CONNECT (2xx to ``CONNECT``), RFC 9110 §7.8 and §9.3.6.
"""

from .events import LocalProtocolError, RemoteProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any

# Roles.
CLIENT = const(0)
SERVER = const(1)

# States (both roles use the same numbering).
IDLE = const(0)
SEND_RESPONSE = const(1)  # server only: a request arrived, no final response yet
SEND_BODY = const(2)
DONE = const(3)
MUST_CLOSE = const(4)  # done, but the connection cannot be reused
CLOSED = const(5)
ERROR = const(6)
MIGHT_SWITCH_PROTOCOL = const(7)  # client only: asked to switch, waiting for the answer
SWITCHED_PROTOCOL = const(8)  # the bytes are no longer HTTP

STATE_NAMES = (
    "IDLE",
    "SEND_RESPONSE",
    "SEND_BODY",
    "DONE",
    "MUST_CLOSE",
    "CLOSED",
    "ERROR",
    "MIGHT_SWITCH_PROTOCOL",
    "SWITCHED_PROTOCOL",
)

# Event kinds: the columns of the tables below, and what move() takes.
REQUEST = const(0)
INFORMATIONAL = const(1)  # a 1xx response
RESPONSE = const(2)  # a final response
DATA = const(3)
END = const(4)  # end of message
CLOSE = const(5)  # EOF from the peer, or our ConnectionClosed
SWITCH_UPGRADE = const(6)  # 101 to an Upgrade request (RFC 9110 §7.8)
SWITCH_CONNECT = const(7)  # 2xx to CONNECT (RFC 9110 §9.3.6)

# (role, state, kind) -> the next state of the role that sends the event, at
# offset role * 72 + state * 8 + kind: one row per state, one column per event
# kind, a digit for the next state and "-" where the event is illegal.
#
#    kind: REQUEST INFORMATIONAL RESPONSE DATA EOM CLOSED SWITCH_UPGRADE SWITCH_CONNECT
_TABLE = const(
    # CLIENT
    b"2----5--"  # IDLE: REQUEST -> SEND_BODY, CLOSED -> CLOSED
    b"--------"  # SEND_RESPONSE
    b"---23---"  # SEND_BODY: DATA -> SEND_BODY, EOM -> DONE
    b"-----5--"  # DONE
    b"-----5--"  # MUST_CLOSE
    b"-----5--"  # CLOSED
    b"--------"  # ERROR
    b"--------"  # MIGHT_SWITCH_PROTOCOL
    b"--------"  # SWITCHED_PROTOCOL
    # SERVER.  A server may answer before any request arrives (a 408, or a
    # 400 for a request it could not parse): IDLE -> SEND_BODY directly.
    b"--2--5--"  # IDLE
    b"-12---88"  # SEND_RESPONSE: 1xx stays; a final response, or a switch
    b"---23---"  # SEND_BODY
    b"-----5--"  # DONE
    b"-----5--"  # MUST_CLOSE
    b"-----5--"  # CLOSED
    b"--------"  # ERROR
    b"--------"  # MIGHT_SWITCH_PROTOCOL
    b"--------"  # SWITCHED_PROTOCOL
)

# (client state, server state) -> the move it triggers, applied after every
# event until nothing changes; at offset client * 9 + server.  "c": the client
# becomes MUST_CLOSE, "s": the server does, "w": the client becomes
# SWITCHED_PROTOCOL (the server accepted the switch: the client's bytes are no
# longer HTTP).  One side gone or broken lets the other finish its message,
# but the connection cannot carry another one (RFC 9112 §9.6).
#
#   server: IDLE SEND_RESPONSE SEND_BODY DONE MUST_CLOSE CLOSED ERROR MIGHT.. SWITCHED..
_JOINT = const(
    b".....c..."  # client IDLE: server CLOSED
    b"........."  # SEND_RESPONSE
    b"........."  # SEND_BODY
    b".....cc.."  # DONE: server CLOSED or ERROR
    b"........."  # MUST_CLOSE
    b"s..s....."  # CLOSED: server IDLE or DONE
    b"...s....."  # ERROR: server DONE
    b"........w"  # MIGHT_SWITCH_PROTOCOL: server SWITCHED_PROTOCOL
    b"........."  # SWITCHED_PROTOCOL
)


def fail(conn: "Any", role: int) -> None:
    """``role`` broke the protocol (or we did, misusing the API)."""
    conn.states[role] = ERROR
    settle(conn)


def no_keep_alive(conn: "Any") -> None:
    """The connection will close after this exchange."""
    conn.keep_alive = False
    settle(conn)


def move(conn: "Any", role: int, kind: int) -> None:
    """Move ``role`` along the table for event ``kind``; raise if illegal."""
    # (Kept to a frame of at most 11 words, which MicroPython keeps on the C
    # stack: a larger one is a heap block per call, and a move is made four
    # times a request.  The rare checks are functions of their own.)
    states = conn.states
    if kind >= SWITCH_UPGRADE:
        # A protocol switch (SWITCH_UPGRADE, SWITCH_CONNECT): the client's proposal.
        if role != SERVER or not conn.switch & (1 << kind):
            _refuse(conn, role, "protocol switch that the client did not propose")
        if states[CLIENT] != MIGHT_SWITCH_PROTOCOL:
            _refuse(conn, role, "protocol switch before the request was complete")
    new = _TABLE[role * 72 + states[role] * 8 + kind] - 48  # "-" is -3
    if new < 0:
        _illegal(conn, role, kind)
    states[role] = new
    # (Only a server sends a RESPONSE and only a client a REQUEST: the table
    # refused the others above.)
    if kind == RESPONSE:
        # A final response that is not a switch refuses any proposal.
        conn.switch = 0
    elif kind == REQUEST and states[SERVER] == IDLE:
        # The peer's request is what the server's SEND_RESPONSE waits for.
        states[SERVER] = SEND_RESPONSE
    # settle's common case, inline.
    new = states[CLIENT]
    kind = states[SERVER]
    if (
        not conn.switch
        and conn.keep_alive
        and new != MIGHT_SWITCH_PROTOCOL
        and _JOINT[new * 9 + kind] == 46  # "."
    ):
        if conn.our_role == SERVER:
            conn.our_state = kind
            conn.their_state = new
        else:
            conn.our_state = new
            conn.their_state = kind
        return
    settle(conn)


def _illegal(conn: "Any", role: int, kind: int) -> None:
    _refuse(conn, role, "can't send event kind %d in state %s"
            % (kind, STATE_NAMES[conn.states[role]]))


def _refuse(conn: "Any", role: int, message: str) -> None:
    # A move the tables refuse breaks the protocol: the role that made it
    # goes to ERROR here (so that its callers need no try block, which
    # would cost their frames 7 words), and the error says whose it is:
    # ours (LocalProtocolError) or the peer's (RemoteProtocolError, and
    # the connection will not be kept alive).
    if role == conn.our_role:
        fail(conn, role)
        raise LocalProtocolError(message)
    conn.keep_alive = False
    fail(conn, role)
    raise RemoteProtocolError(message)


def settle(conn: "Any") -> None:
    """Apply the moves the joint state triggers, then mirror ``states`` in
    ``our_state`` and ``their_state`` (plain attributes: cheaper than properties)."""
    states = conn.states
    client, server = states
    if (
        not conn.switch
        and conn.keep_alive
        and client != MIGHT_SWITCH_PROTOCOL
        and _JOINT[client * 9 + server] == 46  # "."
    ):
        # The common case: nothing to apply, only the mirrors to update.
        if conn.our_role == SERVER:
            conn.our_state = server
            conn.their_state = client
        else:
            conn.our_state = client
            conn.their_state = server
        return
    while True:
        if conn.switch:
            if client == DONE:
                client = MIGHT_SWITCH_PROTOCOL
        elif client == MIGHT_SWITCH_PROTOCOL:
            client = DONE
        if not conn.keep_alive:
            if client == DONE:
                client = MUST_CLOSE
            if server == DONE:
                server = MUST_CLOSE
        joint = _JOINT[client * 9 + server]
        if joint == 99:  # "c"
            client = MUST_CLOSE
        elif joint == 115:  # "s"
            server = MUST_CLOSE
        elif joint == 119:  # "w"
            client = SWITCHED_PROTOCOL
        if client == states[CLIENT] and server == states[SERVER]:
            break
        states[CLIENT] = client
        states[SERVER] = server
    conn.our_state = states[conn.our_role]
    conn.their_state = states[1 - conn.our_role]


def next_cycle(conn: "Any") -> None:
    """Both sides finished a keep-alive exchange: back to IDLE for the next one."""
    client, server = conn.states
    if client != DONE or server != DONE:
        raise LocalProtocolError(
            "not in a reusable state (client %s, server %s)"
            % (STATE_NAMES[client], STATE_NAMES[server])
        )
    conn.states[CLIENT] = conn.states[SERVER] = IDLE
    conn.our_state = conn.their_state = IDLE
    conn.switch = 0
