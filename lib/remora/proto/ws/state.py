"""The WebSocket connection's state machine and close-code rules, as data
(STYLE.md point 2).

The core starts once the opening handshake is done (RFC 6455 §4: the
connection is then OPEN); the handshake itself is pure functions
(:mod:`.handshake`) and needs no state here.  The closing handshake
(§5.5.1, §7) is what the states track::

    OPEN ----send close------------> CLOSING ----their close-----> CLOSED
    OPEN ----their close (echoed)--------------------------------> CLOSED
    OPEN, CLOSING ----their violation, or EOF--------------------> ERROR

* OPEN: both ways carry frames.
* CLOSING: we sent our close; we send nothing more (§5.5.1: "MUST NOT send
  any more data frames"; remora sends no control frame either) and read on
  until their close arrives.  Their data still arrives as events.
* CLOSED: both close frames went (theirs arrived, ours is sent or queued):
  the closing handshake is complete; the socket may close (§7.1.1).
* ERROR: the connection failed (§7.1.7): their violation (our close frame
  with 1002, 1007 or 1009 is queued if we had not sent one yet), or EOF
  before their close frame (close code 1006, §7.1.5).

The core answers their close itself (the echo), so "they closed, we have not
answered" is never a state an application sees.

States and event kinds are small ints; the table is one bytes constant.
An event not in the table is illegal: :func:`move` raises
LocalProtocolError, and the caller's state is left as it was.
"""

from .events import LocalProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


# Roles, numbered as in the HTTP core.
CLIENT = const(0)
SERVER = const(1)

# States.
OPEN = const(0)
CLOSING = const(1)
CLOSED = const(2)
ERROR = const(3)

STATE_NAMES = ("OPEN", "CLOSING", "CLOSED", "ERROR")

# Event kinds.
SEND = const(0)  # we send a data frame, a ping or a pong
SEND_CLOSE = const(1)  # we send our close frame
RECV_CLOSE = const(2)  # their close frame arrived
FAIL = const(3)  # their violation: we fail the connection
EOF = const(4)  # the bytes ended

_KIND_NAMES = ("send a frame", "send a close", "receive a close", "fail", "EOF")

# state -> the next state per event kind, at offset state * 5 + kind: one
# row per state, a digit for the next state, "-" where the event is illegal.
#
#    kind: SEND SEND_CLOSE RECV_CLOSE FAIL EOF
_TABLE = const(
    b"01233"  # OPEN
    b"--233"  # CLOSING: nothing more goes out
    b"----2"  # CLOSED: the EOF that follows a clean close changes nothing
    b"----3"  # ERROR
)


def move(state: int, kind: int) -> int:
    """The state after event ``kind`` in ``state``; raise if illegal."""
    new = _TABLE[state * 5 + kind] - 48  # "-" is -3
    if new < 0:
        raise LocalProtocolError("can't %s in state %s" % (_KIND_NAMES[kind], STATE_NAMES[state]))
    return new


# RFC 6455 §7.4.1 and the IANA registry (§11.7): the close codes a close
# frame may carry.  1000-1003 and 1007-1011 are defined by the RFC; 1012-1014
# (service restart, try again later, bad gateway) were registered after it
# and are in common use.  1004 is reserved; 1005, 1006 and 1015 are for
# reporting only and "MUST NOT be set as a status code in a Close control
# frame"; 1016-2999 are reserved for future RFCs; 3000-3999 are registered
# for libraries and frameworks, 4000-4999 are private use; the rest (below
# 1000, 5000 and up) is not used (§7.4.2).
def valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a close frame (either direction)."""
    if code < 1000:
        return False
    if code < 1004:
        return True
    if code < 1007:
        return False
    if code < 1015:
        return True
    return 3000 <= code <= 4999
