# The WebSocket core's closing handshake, state machine, pings and our
# misuse (remora.proto.ws): every close-code rule both ways, the echo, what
# may be sent in which state, and LocalProtocolError leaving things as they
# were.  Runs on both runtimes.
from remora.proto.ws import state
from remora.proto.ws.connection import Connection
from remora.proto.ws.events import DONE, NEED_DATA, Close, Data, LocalProtocolError, Ping, Pong
from remora.proto.ws.frames import frame, xor_mask
from remora.proto.ws.state import CLIENT, CLOSED, CLOSING, ERROR, OPEN, SERVER

KEY = bytes((9, 8, 7, 6))


def drain(conn):
    out = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA or event is DONE:
            return out
        out.append(event)


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


def close_frame(payload, role=SERVER):
    """Their close frame with `payload`, as it reaches `role`."""
    return bytes(frame(0x88, payload, KEY if role == SERVER else None))


def code_bytes(code):
    return bytes((code >> 8, code & 0xFF))


def unmask_frame(wire):
    """(byte 0, payload) of one frame a client sent (masked)."""
    assert wire[1] & 0x80
    n = wire[1] & 0x7F
    payload = bytearray(n)
    xor_mask(wire[6 : 6 + n], wire[2:6], payload, 0)
    assert len(wire) == 6 + n
    return wire[0], bytes(payload)


# -- close codes they may send (§7.4) ----------------------------------------------------
ALLOWED = set(range(1000, 1004)) | set(range(1007, 1015)) | set(range(3000, 5000))
for code in (0, 1, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011,
             1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 3000, 3001, 3999, 4000, 4500, 4999,
             5000, 0x7FFF, 0xFFFF):
    for role in (SERVER, CLIENT):
        conn = Connection(role)
        conn.receive_data(close_frame(code_bytes(code) + b"why", role))
        events = drain(conn)
        if code in ALLOWED:
            assert events == [Close(code, "why", True)], (code, events)
            assert conn.state == CLOSED
            out = conn.data_to_send()
            echo = close_frame(code_bytes(code), SERVER if role == CLIENT else CLIENT)
            if role == SERVER:
                assert out == echo, (code, out)  # the code, not their reason
            else:
                assert unmask_frame(out) == (0x88, code_bytes(code))
        else:
            assert events == [Close(1002, "", False)], (code, events)
            assert conn.state == ERROR
        assert state.valid_close_code(code) == (code in ALLOWED)
        # Our own close: the same rule.
        conn = Connection(role)
        if code in ALLOWED:
            out = conn.send_close(code)
            assert conn.state == CLOSING
        else:
            raises(LocalProtocolError, conn.send_close, code)
            assert conn.state == OPEN

# No payload: code 1005 for the application, and an empty close back.
conn = Connection(SERVER)
conn.receive_data(close_frame(b""))
assert drain(conn) == [Close(1005, "", True)] and conn.state == CLOSED
assert conn.data_to_send() == bytes((0x88, 0x00))
# A 1-byte payload is a protocol error.
conn = Connection(SERVER)
conn.receive_data(close_frame(b"\x03"))
assert drain(conn) == [Close(1002, "", False)]
assert conn.data_to_send() == bytes((0x88, 0x02, 0x03, 0xEA))
# The reason is UTF-8, and at most 123 bytes.
conn = Connection(SERVER)
conn.receive_data(close_frame(code_bytes(1000) + "ünïcödé €".encode()))
assert drain(conn) == [Close(1000, "ünïcödé €", True)]
for bad in (bytes((0xFF,)), bytes((0xED, 0xA0, 0x80)), bytes((0xC0, 0x80)), b"ok" + bytes((0xE2, 0x82))):
    conn = Connection(SERVER)
    conn.receive_data(close_frame(code_bytes(1000) + bad))
    assert drain(conn) == [Close(1007, "", False)], bad
    assert conn.data_to_send() == bytes((0x88, 0x02, 0x03, 0xEF))
conn = Connection(SERVER)
conn.receive_data(close_frame(code_bytes(1001) + b"r" * 123))
assert drain(conn) == [Close(1001, "r" * 123, True)]
conn = Connection(SERVER)
raises(LocalProtocolError, conn.send_close, 1000, "r" * 124)
assert conn.state == OPEN
assert conn.send_close(1000, "r" * 123) == bytes((0x88, 125)) + code_bytes(1000) + b"r" * 123

# -- sending our close ----------------------------------------------------------------------
conn = Connection(SERVER)
assert conn.send_close() == bytes((0x88, 2, 0x03, 0xE8))
conn = Connection(SERVER)
assert conn.send_close(None) == bytes((0x88, 0))
conn = Connection(SERVER)
raises(LocalProtocolError, conn.send_close, None, "reason without a code")
assert conn.send_close(4000, "bye".encode()) == bytes((0x88, 5, 0x0F, 0xA0)) + b"bye"
conn = Connection(CLIENT)
assert unmask_frame(conn.send_close(1001, "gone")) == (0x88, code_bytes(1001) + b"gone")

# After our close: nothing more goes out, but we read on.
conn = Connection(SERVER)
conn.send_close(1000)
assert conn.state == CLOSING
for send in (
    lambda: conn.send_message(b"x"),
    lambda: conn.send_frame(b"x", False, False),
    lambda: conn.send_head(3),
    lambda: conn.send_ping(),
    lambda: conn.send_pong(),
    lambda: conn.send_close(),
):
    raises(LocalProtocolError, send)
    assert conn.state == CLOSING
conn.receive_data(bytes(frame(0x81, b"late", KEY)) + bytes(frame(0x89, b"p", KEY)))
assert drain(conn) == [Data(b"late", True, 4, 4, True), Ping(b"p")]
assert conn.data_to_send() == b""  # no pong after our close
conn.receive_data(close_frame(code_bytes(1000)))
assert drain(conn) == [Close(1000, "", True)] and conn.state == CLOSED
assert conn.data_to_send() == b""  # no echo: ours went first
assert conn.next_event() is DONE
conn.receive_data(b"anything after the close is dropped")
assert conn.next_event() is DONE
conn.receive_data(b"")  # their EOF: the clean end
assert conn.state == CLOSED and conn.next_event() is DONE
raises(LocalProtocolError, conn.receive_data, b"x")  # after EOF: our bug

# Their violation after our close: ERROR, and no second close frame.
conn = Connection(SERVER)
conn.send_close(1000)
conn.receive_data(bytes(frame(0x83, b"", KEY)))
assert drain(conn) == [Close(1002, "", False)] and conn.state == ERROR
assert conn.data_to_send() == b""
# EOF while closing: 1006.
conn = Connection(CLIENT)
conn.send_close(1000)
conn.receive_data(b"")
assert drain(conn) == [Close(1006, "", False)] and conn.state == ERROR

# send_close puts a queued pong ahead of the close, so nothing follows it.
conn = Connection(SERVER)
conn.receive_data(bytes(frame(0x89, b"ab", KEY)))
assert drain(conn) == [Ping(b"ab")]
assert conn.send_close(1000) == bytes((0x8A, 2)) + b"ab" + bytes((0x88, 2, 3, 0xE8))
assert conn.data_to_send() == b""
# Their close after a ping: the pong goes first, then the echo.
conn = Connection(SERVER)
conn.receive_data(bytes(frame(0x89, b"ab", KEY)) + close_frame(code_bytes(1001)))
assert drain(conn) == [Ping(b"ab"), Close(1001, "", True)]
assert conn.data_to_send() == bytes((0x8A, 2)) + b"ab" + bytes((0x88, 2, 3, 0xE9))
# After their close, nothing more goes out either.
raises(LocalProtocolError, conn.send_message, b"x")
raises(LocalProtocolError, conn.send_close)
raises(LocalProtocolError, conn.send_ping)
assert conn.state == CLOSED

# -- pings and pongs -------------------------------------------------------------------------
conn = Connection(SERVER)
assert conn.send_ping(b"keepalive") == bytes((0x89, 9)) + b"keepalive"
assert conn.send_ping("t") == bytes((0x89, 1)) + b"t"
assert conn.send_pong(b"") == bytes((0x8A, 0))
raises(LocalProtocolError, conn.send_ping, b"x" * 126)
raises(LocalProtocolError, conn.send_pong, b"x" * 126)
assert conn.send_ping(b"x" * 125)[:2] == bytes((0x89, 125))
conn.receive_data(bytes(frame(0x8A, b"keepalive", KEY)))
assert drain(conn) == [Pong(b"keepalive")]
conn = Connection(CLIENT)
conn.receive_data(bytes(frame(0x89, b"hi", None)))
assert drain(conn) == [Ping(b"hi")]
assert unmask_frame(conn.data_to_send()) == (0x8A, b"hi")
# A ping flood queues one pong, the latest.
conn = Connection(SERVER)
for i in range(50):
    conn.receive_data(bytes(frame(0x89, b"%d" % i, KEY)))
assert len(drain(conn)) == 50
assert conn.data_to_send() == bytes((0x8A, 2)) + b"49"

# -- our misuse changes nothing --------------------------------------------------------------
conn = Connection(SERVER)
assert conn.send_frame(b"a", True, False)[:1] == b"\x01"
raises(LocalProtocolError, conn.send_message, b"b")  # a fragmented message is in progress
assert conn.send_frame(b"b", True, True)[:1] == b"\x80"
assert conn.send_message(b"c")[:1] == b"\x82"
raises(LocalProtocolError, Connection(CLIENT).send_head, 5)
raises(LocalProtocolError, conn.send_head, -1)
raises(ValueError, Connection, 2)
bad = Connection(CLIENT, random=lambda n: b"abc")
raises(LocalProtocolError, bad.send_message, b"x")
assert bad._flags == 0 and bad.state == OPEN
raises(LocalProtocolError, bad.send_frame, b"x", False, False)
assert bad._flags == 0  # no message was begun
assert Connection(CLIENT, random=lambda n: bytes(n)).send_message(b"x")[2:6] == bytes(4)

# -- the state table ---------------------------------------------------------------------------
LEGAL = {
    (OPEN, state.SEND): OPEN,
    (OPEN, state.SEND_CLOSE): CLOSING,
    (OPEN, state.RECV_CLOSE): CLOSED,
    (OPEN, state.FAIL): ERROR,
    (OPEN, state.EOF): ERROR,
    (CLOSING, state.RECV_CLOSE): CLOSED,
    (CLOSING, state.FAIL): ERROR,
    (CLOSING, state.EOF): ERROR,
    (CLOSED, state.EOF): CLOSED,
    (ERROR, state.EOF): ERROR,
}
for s in (OPEN, CLOSING, CLOSED, ERROR):
    for kind in range(5):
        if (s, kind) in LEGAL:
            assert state.move(s, kind) == LEGAL[(s, kind)]
        else:
            exc = raises(LocalProtocolError, state.move, s, kind)
            assert state.STATE_NAMES[s] in str(exc)

# A failed connection ends there: DONE, and their bytes are dropped.
conn = Connection(SERVER)
conn.receive_data(bytes(frame(0x81, b"x", None)))  # unmasked: 1002
assert drain(conn) == [Close(1002, "", False)]
conn.receive_data(bytes(frame(0x81, b"x", KEY)))
assert conn.next_event() is DONE and conn._buf == b""
raises(LocalProtocolError, conn.send_message, b"x")
raises(LocalProtocolError, conn.send_close)

print("PASS")
