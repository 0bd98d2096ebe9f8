"""The HTTP/1.1 connection state machine, as data (STYLE.md point 2).

Each connection tracks two small state machines, one per role: the CLIENT
(who sends requests) and the SERVER (who sends responses).  An event one side
sends moves that side along the tables below; a few moves are then triggered
by the joint state (keep-alive lost, a protocol switch accepted, one side
closed).  Any event not in a table is illegal and raises
LocalProtocolError; the core turns peer violations into RemoteProtocolError
before they get here.

The idea is h11's ``_state.py``; the machinery is smaller: states, roles and
event kinds are small ints, and each table is a dict keyed by one int.

Event kinds: REQUEST, INFORMATIONAL (a 1xx response), RESPONSE (a final
response), DATA, EOM (end of message), CLOSED (EOF or our close), and two
pseudo-events the server sends instead of a plain response when it accepts a
protocol switch: SWITCH_UPGRADE (101 to an ``Upgrade`` request) and
SWITCH_CONNECT (2xx to ``CONNECT``), RFC 9110 §7.8 and §9.3.6.
"""

from .errors import LocalProtocolError

try:
    from micropython import const
except ImportError:

    def const(value: int) -> int:  # type: ignore[no-redef,misc]
        return value


try:
    from typing import Dict, List
except ImportError:
    pass

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

# Event kinds.
REQUEST = const(0)
INFORMATIONAL = const(1)
RESPONSE = const(2)
DATA = const(3)
EOM = const(4)
CLOSED_EVENT = const(5)
SWITCH_UPGRADE = const(6)
SWITCH_CONNECT = const(7)


def _key(role: int, state: int, kind: int) -> int:
    return (role << 8) | (state << 4) | kind


# (role, state, kind) -> next state, for the role that sends the event.
_T = {}  # type: Dict[int, int]
for _role, _state, _kind, _next in (
    (CLIENT, IDLE, REQUEST, SEND_BODY),
    (CLIENT, IDLE, CLOSED_EVENT, CLOSED),
    (CLIENT, SEND_BODY, DATA, SEND_BODY),
    (CLIENT, SEND_BODY, EOM, DONE),
    (CLIENT, DONE, CLOSED_EVENT, CLOSED),
    (CLIENT, MUST_CLOSE, CLOSED_EVENT, CLOSED),
    (CLIENT, CLOSED, CLOSED_EVENT, CLOSED),
    # A server may answer before any request arrives (a 408, or a 400 for a
    # request it could not parse): IDLE -> SEND_BODY directly.
    (SERVER, IDLE, RESPONSE, SEND_BODY),
    (SERVER, IDLE, CLOSED_EVENT, CLOSED),
    (SERVER, SEND_RESPONSE, INFORMATIONAL, SEND_RESPONSE),
    (SERVER, SEND_RESPONSE, RESPONSE, SEND_BODY),
    (SERVER, SEND_RESPONSE, SWITCH_UPGRADE, SWITCHED_PROTOCOL),
    (SERVER, SEND_RESPONSE, SWITCH_CONNECT, SWITCHED_PROTOCOL),
    (SERVER, SEND_BODY, DATA, SEND_BODY),
    (SERVER, SEND_BODY, EOM, DONE),
    (SERVER, DONE, CLOSED_EVENT, CLOSED),
    (SERVER, MUST_CLOSE, CLOSED_EVENT, CLOSED),
    (SERVER, CLOSED, CLOSED_EVENT, CLOSED),
):
    _T[_key(_role, _state, _kind)] = _next

# (client state, server state) -> (role to move, its new state), applied after
# every event until nothing changes.
_JOINT = {
    # The server accepted the switch: the client's bytes are no longer HTTP.
    (MIGHT_SWITCH_PROTOCOL << 4) | SWITCHED_PROTOCOL: (CLIENT, SWITCHED_PROTOCOL),
    # One side is gone or broken: the other may finish its message, but the
    # connection cannot carry another one (RFC 9112 §9.6).
    (CLOSED << 4) | DONE: (SERVER, MUST_CLOSE),
    (CLOSED << 4) | IDLE: (SERVER, MUST_CLOSE),
    (ERROR << 4) | DONE: (SERVER, MUST_CLOSE),
    (DONE << 4) | CLOSED: (CLIENT, MUST_CLOSE),
    (IDLE << 4) | CLOSED: (CLIENT, MUST_CLOSE),
    (DONE << 4) | ERROR: (CLIENT, MUST_CLOSE),
}


class ConnectionState:
    """Both roles' states, keep-alive, and the pending protocol switch."""

    __slots__ = ("states", "keep_alive", "pending_switch")

    def __init__(self) -> None:
        self.states = [IDLE, IDLE]  # type: List[int]  # indexed by role
        self.keep_alive = True
        self.pending_switch = 0  # bit (1 << kind) per proposed switch

    def process_error(self, role: int) -> None:
        self.states[role] = ERROR
        self._fire_state_triggered()

    def process_keep_alive_disabled(self) -> None:
        self.keep_alive = False
        self._fire_state_triggered()

    def process_client_switch_proposal(self, kind: int) -> None:
        self.pending_switch |= 1 << kind

    def process_event(self, role: int, kind: int) -> None:
        """Move ``role`` along the table for event ``kind``; raise if illegal."""
        if kind == SWITCH_UPGRADE or kind == SWITCH_CONNECT:
            if role != SERVER or not self.pending_switch & (1 << kind):
                raise LocalProtocolError("protocol switch that the client did not propose")
            if self.states[CLIENT] != MIGHT_SWITCH_PROTOCOL:
                raise LocalProtocolError("protocol switch before the request was complete")
        state = self.states[role]
        new = _T.get(_key(role, state, kind), -1)
        if new < 0:
            raise LocalProtocolError(
                "can't send event kind %d in state %s" % (kind, STATE_NAMES[state])
            )
        self.states[role] = new
        if role == SERVER and kind == RESPONSE:
            # A final response that is not a switch refuses any proposal.
            self.pending_switch = 0
        elif role == CLIENT and kind == REQUEST and self.states[SERVER] == IDLE:
            # The peer's request is what the server's SEND_RESPONSE waits for.
            self.states[SERVER] = SEND_RESPONSE
        self._fire_state_triggered()

    def _fire_state_triggered(self) -> None:
        states = self.states
        while True:
            before = (states[CLIENT] << 4) | states[SERVER]
            if self.pending_switch and states[CLIENT] == DONE:
                states[CLIENT] = MIGHT_SWITCH_PROTOCOL
            if not self.pending_switch and states[CLIENT] == MIGHT_SWITCH_PROTOCOL:
                states[CLIENT] = DONE
            if not self.keep_alive:
                for role in (CLIENT, SERVER):
                    if states[role] == DONE:
                        states[role] = MUST_CLOSE
            move = _JOINT.get((states[CLIENT] << 4) | states[SERVER])
            if move is not None:
                states[move[0]] = move[1]
            if (states[CLIENT] << 4) | states[SERVER] == before:
                return

    def start_next_cycle(self) -> None:
        """Both sides finished a keep-alive exchange: back to IDLE for the next one."""
        if self.states[CLIENT] != DONE or self.states[SERVER] != DONE:
            raise LocalProtocolError(
                "not in a reusable state (client %s, server %s)"
                % (STATE_NAMES[self.states[CLIENT]], STATE_NAMES[self.states[SERVER]])
            )
        self.states[CLIENT] = IDLE
        self.states[SERVER] = IDLE
        self.pending_switch = 0
