# Strict incremental UTF-8 of the WebSocket core (remora.proto.ws.utf8), in
# each of its modes (the runtime's decoder strict, structural, or unused),
# against an independent reference; then through the Connection: code points
# split between frames and between reads, invalid text failing with 1007.
# Runs on both runtimes.
from remora.proto.ws import utf8
from remora.proto.ws.connection import Connection
from remora.proto.ws.events import DONE, NEED_DATA, Close, Data
from remora.proto.ws.frames import frame
from remora.proto.ws.state import CLIENT, ERROR, SERVER


def ref_valid(data):
    """RFC 3629 by arithmetic: decode each code point, then judge it."""
    i = 0
    n = len(data)
    while i < n:
        c = data[i]
        if c < 0x80:
            i += 1
            continue
        if c & 0xE0 == 0xC0:
            size, cp, least = 2, c & 0x1F, 0x80
        elif c & 0xF0 == 0xE0:
            size, cp, least = 3, c & 0x0F, 0x800
        elif c & 0xF8 == 0xF0:
            size, cp, least = 4, c & 0x07, 0x10000
        else:
            return False
        if i + size > n:
            return False
        for j in range(i + 1, i + size):
            if data[j] & 0xC0 != 0x80:
                return False
            cp = cp << 6 | data[j] & 0x3F
        if cp < least or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            return False
        i += size
    return True


def pieces_valid(parts):
    """utf8.check over the pieces, the last one final."""
    carry = b""
    for k in range(len(parts)):
        carry = utf8.check(carry, parts[k], k == len(parts) - 1)
        if carry is None:
            return False
    assert carry == b""
    return True


VALID = [
    b"",
    b"a",
    b"hello world",
    bytes((0xC2, 0x80)),  # U+0080
    bytes((0xC3, 0xA9)),  # é
    bytes((0xDF, 0xBF)),  # U+07FF
    bytes((0xE0, 0xA0, 0x80)),  # U+0800
    bytes((0xE2, 0x82, 0xAC)),  # €
    bytes((0xED, 0x9F, 0xBF)),  # U+D7FF
    bytes((0xEE, 0x80, 0x80)),  # U+E000
    bytes((0xEF, 0xBF, 0xBF)),  # U+FFFF
    bytes((0xF0, 0x90, 0x80, 0x80)),  # U+10000
    bytes((0xF0, 0x9D, 0x84, 0x9E)),  # U+1D11E
    bytes((0xF4, 0x8F, 0xBF, 0xBF)),  # U+10FFFF
    "κόσμε, 世界, héllo wörld €𝄞!".encode(),
]
INVALID = [
    bytes((0x80,)),  # a lone continuation byte
    bytes((0xBF,)),
    bytes((0xC3, 0xA9, 0xA9)),  # one continuation too many
    bytes((0xC0, 0x80)),  # overlong NUL
    bytes((0xC1, 0xBF)),  # overlong U+007F
    bytes((0xE0, 0x80, 0x80)),  # overlong 3-byte
    bytes((0xE0, 0x9F, 0xBF)),  # overlong U+07FF
    bytes((0xF0, 0x80, 0x80, 0x80)),  # overlong 4-byte
    bytes((0xF0, 0x8F, 0xBF, 0xBF)),  # overlong U+FFFF
    bytes((0xED, 0xA0, 0x80)),  # U+D800
    bytes((0xED, 0xBF, 0xBF)),  # U+DFFF
    bytes((0xED, 0xA0, 0xBD, 0xED, 0xB2, 0xA9)),  # a CESU-8 surrogate pair
    bytes((0xF4, 0x90, 0x80, 0x80)),  # U+110000
    bytes((0xF5, 0x80, 0x80, 0x80)),
    bytes((0xF7, 0xBF, 0xBF, 0xBF)),
    bytes((0xF8, 0x88, 0x80, 0x80, 0x80)),  # 5-byte form
    bytes((0xFC, 0x84, 0x80, 0x80, 0x80, 0x80)),
    bytes((0xFE,)),
    bytes((0xFF,)),
    bytes((0xC3, 0x28)),  # a lead byte without its continuation
    bytes((0xE2, 0x28, 0xA1)),
    bytes((0xE2, 0x82, 0x28)),
    bytes((0xF0, 0x28, 0x8C, 0xBC)),
    bytes((0xF0, 0x90, 0x28, 0xBC)),
    bytes((0xF0, 0x90, 0x8C, 0x28)),
    bytes((0xC3,)),  # truncated at the end
    bytes((0xE2, 0x82)),
    bytes((0xF0, 0x9F, 0x98)),
]

# The runtime's decoder: CPython's is strict; MicroPython's may be
# structural only (mode 1) or absent (mode 0).
MODES = [0, 1, 2] if utf8._MODE == 2 else [0, 1] if utf8._MODE == 1 else [0]
PROBED = utf8._MODE

for mode in MODES:
    utf8._MODE = mode
    for sample in VALID:
        assert ref_valid(sample), sample
        for text in (sample, b"abc" + sample + b"xyz", sample * 3):
            assert utf8.valid(text), (mode, text)
            # Split at every position, in two and in three pieces.
            for i in range(len(text) + 1):
                assert pieces_valid([text[:i], text[i:]]), (mode, text, i)
                for j in range(i, len(text) + 1):
                    assert pieces_valid([text[:i], text[i:j], text[j:]]), (mode, text, i, j)
            # Byte by byte, and with empty pieces between.
            assert pieces_valid([text[i : i + 1] for i in range(len(text))] + [b""])
            parts = []
            for i in range(len(text)):
                parts.append(text[i : i + 1])
                parts.append(b"")
            assert pieces_valid(parts + [b""])
    for sample in INVALID:
        assert not ref_valid(sample), sample
        for text in (sample, b"abc" + sample, b"abc" + sample + b"xyz", "é€".encode() + sample):
            assert not utf8.valid(text), (mode, text)
            for i in range(len(text) + 1):
                assert not pieces_valid([text[:i], text[i:]]), (mode, text, i)
            assert not pieces_valid([text[i : i + 1] for i in range(len(text))] + [b""])
    # A piece may be a bytearray (the core's unmasked pieces) or a memoryview.
    assert utf8.check(b"", bytearray("é€".encode()), True) == b""
    assert utf8.check(b"", memoryview("é€".encode()), True) == b""
    assert utf8.check(b"", memoryview(b"a" + bytes((0xED, 0xA0, 0x80))), True) is None
    assert utf8.check(b"", memoryview(b"a" + bytes((0xC0, 0x80))), True) is None
    assert utf8.check(b"", bytearray(bytes((0xE2, 0x82))), False) == bytes((0xE2, 0x82))
    assert utf8.check(b"", bytearray(bytes((0xED, 0xA0, 0x80))), False) is None
    # Fail fast: an impossible prefix fails before its code point ends.
    assert utf8.check(b"", bytes((0x61, 0xED, 0xA0)), False) is None
    assert utf8.check(b"", bytes((0xF4, 0x90)), False) is None
    assert utf8.check(b"", bytes((0xE0, 0x80)), False) is None
    assert utf8.check(bytes((0xF0,)), bytes((0x8F,)), False) is None
    assert utf8.check(bytes((0xF0, 0x9D)), bytes((0x84,)), False) == bytes((0xF0, 0x9D, 0x84))
    assert utf8.check(bytes((0xF0, 0x9D, 0x84)), bytes((0x9E, 0x41)), True) == b""
    assert utf8.check(bytes((0xF0, 0x9D, 0x84)), b"", True) is None
    assert utf8.check(bytes((0xF0, 0x9D)), bytes((0x84,)), True) is None

    # Exhaustive: every 1- and 2-byte text, and the boundary bytes of every
    # 3- and 4-byte lead, against the reference.
    for a in range(256):
        one = bytes((a,))
        assert utf8.valid(one) == ref_valid(one), (mode, one)
        for b in range(256):
            two = bytes((a, b))
            assert utf8.valid(two) == ref_valid(two), (mode, two)
    EDGES = (0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF)
    for a in range(0xE0, 0x100):
        for b in EDGES:
            for c in EDGES:
                three = bytes((a, b, c))
                assert utf8.valid(three) == ref_valid(three), (mode, three)
                if a >= 0xF0:
                    for d in EDGES:
                        four = bytes((a, b, c, d))
                        assert utf8.valid(four) == ref_valid(four), (mode, four)
                        split = [four[:1], four[1:3], four[3:]]
                        assert pieces_valid(split) == ref_valid(four), (mode, four)
utf8._MODE = PROBED

# -- through the Connection ------------------------------------------------------------
KEY = bytes((1, 2, 3, 4))


def drain(conn):
    out = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA or event is DONE:
            return out
        out.append(event)


def text_of(events):
    return b"".join(bytes(e.data) for e in events if type(e) is Data)


def message(parts, role=SERVER):
    """The frames of one text message made of `parts` (bytes each)."""
    wire = b""
    for k in range(len(parts)):
        first = (0x80 if k == len(parts) - 1 else 0) | (0x01 if k == 0 else 0x00)
        wire += bytes(frame(first, parts[k], KEY if role == SERVER else None))
    return wire


TEXT = "a€b𝄞cé".encode()
for role in (SERVER, CLIENT):
    # Split between frames at every position (and into single bytes).
    for i in range(len(TEXT) + 1):
        for wire in (message([TEXT[:i], TEXT[i:]], role), message([TEXT[i:i]] + [TEXT], role)):
            conn = Connection(role)
            conn.receive_data(wire)
            events = drain(conn)
            assert text_of(events) == TEXT and conn.state == 0, (role, i, events)
    wire = message([TEXT[i : i + 1] for i in range(len(TEXT))], role)
    conn = Connection(role)
    conn.receive_data(wire)
    assert text_of(drain(conn)) == TEXT
    # Split between reads at every position, in one frame.
    wire = message([TEXT], role)
    for i in range(len(wire) + 1):
        conn = Connection(role)
        events = []
        for part in (wire[:i], wire[i:]):
            if part:  # b"" would be EOF
                conn.receive_data(part)
                events += drain(conn)
        assert text_of(events) == TEXT, (role, i)
    # Invalid text fails with 1007, wherever the split.
    for bad in (
        bytes((0xED, 0xA0, 0x80)),
        bytes((0xC0, 0xAF)),
        bytes((0xF4, 0x90, 0x80, 0x80)),
        bytes((0xFF,)),
        bytes((0xE2, 0x28, 0xA1)),
    ):
        text = b"ok " + bad + b" ok"
        for i in range(len(text) + 1):
            for wire in (message([text[:i], text[i:]], role), message([text], role)):
                conn = Connection(role)
                if i % 2:
                    conn.receive_data(wire)
                    events = drain(conn)
                else:
                    events = []
                    for k in range(len(wire)):
                        conn.receive_data(wire[k : k + 1])
                        events += drain(conn)
                assert events[-1] == Close(1007, "", False), (role, bad, i, events)
                assert conn.state == ERROR
                out = conn.data_to_send()
                assert out[0] == 0x88 and out[-2:] == bytes((0x03, 0xEF)) or role == CLIENT
                # What was delivered before the failure is valid text so far
                # (it may end inside a code point), and never the bad bytes.
                assert utf8.check(b"", text_of(events), False) is not None
    # Truncated at the end of the message (FIN mid code point): 1007.
    for cut in (bytes((0xC3,)), bytes((0xE2, 0x82)), bytes((0xF0, 0x9D, 0x84))):
        for wire in (message([b"x" + cut], role), message([b"x", cut], role)):
            conn = Connection(role)
            conn.receive_data(wire)
            assert drain(conn)[-1] == Close(1007, "", False), (role, cut)
        # ... but fine when the next fragment completes it.
        conn = Connection(role)
        whole = {
            1: bytes((0xC3, 0xA9)),
            2: bytes((0xE2, 0x82, 0xAC)),
            3: bytes((0xF0, 0x9D, 0x84, 0x9E)),
        }
        conn.receive_data(message([b"x" + cut, whole[len(cut)][len(cut) :]], role))
        assert text_of(drain(conn)) == b"x" + whole[len(cut)], cut
    # Binary messages are not checked.
    conn = Connection(role)
    raw = bytes((0xFF, 0xC0, 0xED, 0xA0))
    conn.receive_data(bytes(frame(0x82, raw, KEY if role == SERVER else None)))
    assert drain(conn)[0].data == raw

print("PASS")
