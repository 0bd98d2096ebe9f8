"""RFC 6455 conformance cases, in the Autobahn|Testsuite's categories, for a raw-socket
peer of remora's WebSocket server (test_ws_conformance.py: frames masked, as a client's)
and of its client (frames unmasked, as a server's).

Written from RFC 6455 (and RFC 3629 for UTF-8), independently of remora's core; the case
numbers name the Autobahn category a case belongs to.  The peer under test echoes every
message with its type (remora's ``/ws/echo``, or the client program
``programs/ws_conformance_client.py``).

A case is ``(name, steps, expect, code)``:

``steps``
    the byte strings the raw peer sends, each with its own ``sendall`` (so that pieces
    of a frame arrive apart); after the last step the peer reads.
``expect``
    what must come back before the close frame, in order: ``("text", payload)``,
    ``("binary", payload)`` (a message, its fragments joined) or ``("pong", payload)``.
``code``
    the status code of the close frame that must follow (1005: a close frame with no
    code), after which the connection must end.  A case whose peer must stay open ends
    its steps with a close frame of ours (1000) that must be echoed.

"Fail fast" cases (§8.1, Autobahn 6.4) send a text frame's payload only up to its first
invalid byte and never the rest: the close (1007) must come without it.
"""

import os
import socket
import struct
import time

from wsframes import frame

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


def head(opcode, size, mask=True):
    """Only the head of a frame announcing ``size`` bytes (a limit is judged on it)."""
    bit = 0x80 if mask else 0
    if size < 65536:
        return bytes([0x80 | opcode, bit | 126]) + struct.pack("!H", size) + b"k" * (4 if mask else 0)
    return bytes([0x80 | opcode, bit | 127]) + struct.pack("!Q", size) + b"k" * (4 if mask else 0)


def close(code=None, reason=b"", mask=True):
    return frame(CLOSE, b"" if code is None else struct.pack("!H", code) + reason, mask=mask)


def chops(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


KOSME = "κόσμε".encode()

# RFC 3629 §4 valid boundaries: the first and last code point of each length, around the
# surrogates, the noncharacters (valid UTF-8: Autobahn 6.23), and Markus Kuhn's samples.
VALID_UTF8 = [
    b"\x00", b"\x7f", b"\xc2\x80", b"\xdf\xbf", b"\xe0\xa0\x80", b"\xef\xbf\xbf",
    b"\xf0\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xed\x9f\xbf", b"\xee\x80\x80",
    b"\xef\xbf\xbd", b"\xef\xbf\xbe", b"\xf4\x8f\xbf\xbe", KOSME,
    "Hello-µ@ßöäüàá-UTF-8!!".encode(), "\U0001f600 ☃ €".encode(),
]

# Invalid: overlong forms, surrogates (lone and paired), past U+10FFFF, the bytes that
# never occur, stray continuation bytes, lone lead bytes, sequences missing their end
# (Markus Kuhn's UTF-8 decoder stress test, sections 3 to 5).
INVALID_UTF8 = [
    b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
    b"\xfc\x80\x80\x80\x80\xaf", b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf",
    b"\xc0\x80", b"\xe0\x80\x80",
    b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf", b"\xed\xb0\x80",
    b"\xed\xbe\x80", b"\xed\xbf\xbf", b"\xed\xa0\x80\xed\xb0\x80", b"\xed\xaf\xbf\xed\xbf\xbf",
    b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf7\xbf\xbf\xbf", b"\xf8\x88\x80\x80\x80",
    b"\xfc\x84\x80\x80\x80\x80", b"\xfe", b"\xff", b"\xfe\xfe\xff\xff",
    b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80\xbf", bytes(range(0x80, 0xc0)),
    b"\xc0 ", b"\xe0 ", b"\xf0 ", b"\xc2", b"\xe0\xa0", b"\xf0\x90\x80", b"\xdf", b"\xef\xbf",
    b"\xf4\x8f\xbf", b"\xc2\xe0\xa0\xf0\x90\x80", KOSME + b"\xed\xa0\x80edited",
    b"\xce\xba\xe1\xbd",  # truncated at the end of the message
]


def server_cases(mask=True):
    """Every case; ``mask`` False builds them for testing a client (unmasked frames)."""
    def f(opcode, payload=b"", fin=True, rsv=0):
        return frame(opcode, payload, fin, mask, rsv)

    bye = close(1000, mask=mask)
    out = []

    def case(name, steps, expect, code=1000):
        out.append((name, steps, expect, code))

    # 1.*: text and binary messages of every length form (7, 16, 64 bits), whole and in
    # pieces (997-byte chops; a small frame byte by byte).
    for kind, opcode in (("text", TEXT), ("binary", BINARY)):
        for n in (0, 125, 126, 127, 128, 65535, 65536):
            payload = (b"*" if opcode == TEXT else b"\xfe") * n
            case("1 %s %d" % (kind, n), [f(opcode, payload), bye], [(kind, payload)])
        payload = (b"*" if opcode == TEXT else b"\xfe") * 65536
        case("1 %s 65536 chopped 997" % kind, chops(f(opcode, payload), 997) + [bye],
             [(kind, payload)])
        payload = b"x" * 130
        case("1 %s 130 byte by byte" % kind, chops(f(opcode, payload), 1) + [bye],
             [(kind, payload)])

    # 2.*: pings answered with their payload (§5.5.2), control payloads at most 125
    # bytes (§5.5), unsolicited pongs ignored (§5.5.3), nothing after a close.
    for payload in (b"", b"Hello, world!", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", b"*" * 125):
        case("2 ping %d" % len(payload), [f(PING, payload), bye], [("pong", payload)])
    case("2 ping 126", [f(PING, b"*" * 126), f(TEXT, b"after")], [], 1002)
    case("2 ping byte by byte", chops(f(PING, b"Hello, world!"), 1) + [bye],
         [("pong", b"Hello, world!")])
    case("2 unsolicited pong", [f(PONG, b"unsolicited"), f(TEXT, b"still"), bye],
         [("text", b"still")])
    case("2 unsolicited pong then ping", [f(PONG, b"u"), f(PING, b"p"), bye], [("pong", b"p")])
    case("2 ten pings", [b"".join(f(PING, b"p%d" % i) for i in range(10)), bye],
         [("pong", b"p%d" % i) for i in range(10)])
    case("2 ping after close", [bye, f(PING, b"late")], [], 1000)

    # 3.*: reserved bits without an extension (§5.2) fail with 1002, whatever came before.
    for rsv in range(1, 8):
        case("3 text rsv %d" % rsv, [f(TEXT, b"x", rsv=rsv)], [], 1002)
    case("3 rsv after an echo", [f(TEXT, b"Hello"), f(TEXT, b"Hello", rsv=2), f(PING)],
         [("text", b"Hello")], 1002)
    case("3 rsv together", [f(TEXT, b"Hello") + f(TEXT, b"Hello", rsv=3) + f(PING)],
         [("text", b"Hello")], 1002)
    case("3 rsv mid-message", [f(TEXT, b"frag", fin=False), f(0, b"x", rsv=4)], [], 1002)
    case("3 rsv binary", [f(BINARY, b"\xff", rsv=5)], [], 1002)
    case("3 rsv ping", [f(PING, b"p", rsv=6)], [], 1002)
    case("3 rsv close", [frame(CLOSE, b"\x03\xe8", True, mask, 7)], [], 1002)

    # 4.*: reserved opcodes (§5.2: 3-7 data, 11-15 control) fail with 1002.
    for opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        case("4 opcode %d" % opcode, [f(opcode, b"reserved")], [], 1002)
    case("4 opcode after an echo", [f(TEXT, b"Hello"), f(5, b"x"), f(PING)],
         [("text", b"Hello")], 1002)
    case("4 opcode mid-message", [f(TEXT, b"a", fin=False) + f(11) + f(0, b"b")], [], 1002)

    # 5.*: fragmentation (§5.4).
    case("5 fragmented ping", [f(PING, b"frag1", fin=False), f(0, b"frag2")], [], 1002)
    case("5 fragmented pong", [f(PONG, b"frag1", fin=False), f(0, b"frag2")], [], 1002)
    case("5 fragmented close", [frame(CLOSE, b"\x03", False, mask), f(0, b"\xe8")], [], 1002)
    case("5 two fragments", [f(TEXT, b"frag1", fin=False), f(0, b"frag2"), bye],
         [("text", b"frag1frag2")])
    case("5 two fragments together", [f(BINARY, b"a", fin=False) + f(0, b"b") + bye],
         [("binary", b"ab")])
    case("5 fragments chopped", chops(f(TEXT, b"frag1", fin=False) + f(0, b"frag2"), 1) + [bye],
         [("text", b"frag1frag2")])
    case("5 ping between fragments",
         [f(TEXT, b"one ", fin=False), f(PING, b"p"), f(0, b"two ", fin=False),
          f(PONG, b"u"), f(PING, b"q"), f(0, b"three"), bye],
         [("pong", b"p"), ("pong", b"q"), ("text", b"one two three")])
    case("5 ping between fragments chopped",
         chops(f(TEXT, b"one ", fin=False) + f(PING, b"p") + f(0, b"two"), 1) + [bye],
         [("pong", b"p"), ("text", b"one two")])
    case("5 continuation first", [f(0, b"x")], [], 1002)
    case("5 continuation first, not fin", [f(0, b"x", fin=False), f(TEXT, b"y")], [], 1002)
    case("5 continuation first, then a message",
         [f(0, b"x", fin=False), f(TEXT, b"a", fin=False), f(0, b"b")], [], 1002)
    case("5 continuation after a message", [f(TEXT, b"a"), f(0, b"b")], [("text", b"a")], 1002)
    case("5 new message mid-message", [f(TEXT, b"f1", fin=False), f(TEXT, b"f2")], [], 1002)
    case("5 binary mid-message", [f(TEXT, b"f1", fin=False), f(BINARY, b"f2")], [], 1002)
    case("5 empty fragments", [f(TEXT, b"", fin=False), f(0, b"a", fin=False), f(0, b""), bye],
         [("text", b"a")])
    case("5 many 1-byte fragments",
         [b"".join(f(TEXT if i == 0 else 0, b"a", fin=False) for i in range(200))
          + f(0, b"z"), bye],
         [("text", b"a" * 200 + b"z")])

    # 6.*: UTF-8 (§5.6, §8.1; RFC 3629): valid text echoed whole, in fragments of one
    # byte, split in two at every byte; invalid text fails with 1007, also when it is
    # cut off at the end or split between fragments; and as soon as the prefix is
    # invalid (fail fast).
    for i, sample in enumerate(VALID_UTF8):
        case("6 valid %d" % i, [f(TEXT, sample), bye], [("text", sample)])
        frags = [f(TEXT if j == 0 else 0, sample[j:j + 1], fin=j == len(sample) - 1)
                 for j in range(len(sample))]
        case("6 valid %d in 1-byte fragments" % i, [b"".join(frags), bye], [("text", sample)])
    sample = "\U0001f600€".encode()
    for cut in range(1, len(sample)):
        case("6 valid split at %d" % cut,
             [f(TEXT, sample[:cut], fin=False), f(0, sample[cut:]), bye], [("text", sample)])
    case("6 valid chopped", chops(f(TEXT, KOSME * 10), 1) + [bye], [("text", KOSME * 10)])
    for i, bad in enumerate(INVALID_UTF8):
        case("6 invalid %d" % i, [f(TEXT, bad)], [], 1007)
        case("6 invalid %d after valid" % i, [f(TEXT, b"ok " + bad + b" end")], [], 1007)
    case("6 invalid split between fragments",
         [f(TEXT, b"\xce", fin=False), f(0, b"\xba\xed", fin=False), f(0, b"\xa0\x80")], [], 1007)
    case("6 truncated across fragments", [f(TEXT, KOSME + b"\xf0\x9f", fin=False), f(0, b"\x98")],
         [], 1007)
    case("6 invalid in 1-byte fragments",
         [b"".join(f(TEXT if j == 0 else 0, bytes([c]), fin=j == 3)
                   for j, c in enumerate(b"\xed\xa0\x80a"))], [], 1007)
    whole = f(TEXT, KOSME + b"\xf4\x90\x80\x80edited")
    at = len(whole) - len(b"\xf4\x90\x80\x80edited")
    case("6 fail fast in a frame", [whole[:at], whole[at:at + 4]], [], 1007)
    case("6 fail fast at one byte", [whole[:at], whole[at:at + 1], whole[at + 1:at + 2]], [], 1007)
    case("6 fail fast between fragments",
         [f(TEXT, KOSME + b"\xf4", fin=False), f(0, b"\x90\x80\x80", fin=False)], [], 1007)
    case("6 fail fast, message not ended", [f(TEXT, b"ok\xff", fin=False)], [], 1007)
    case("6 binary is not UTF-8", [f(BINARY, b"\xff\xfe\xed\xa0\x80"), bye],
         [("binary", b"\xff\xfe\xed\xa0\x80")])

    # 7.*: the close handshake (§5.5.1, §7.1, §7.4).
    case("7 echo then close", [f(TEXT, b"Hello"), bye], [("text", b"Hello")])
    case("7 close twice", [bye, bye], [], 1000)
    case("7 close then text", [bye, f(TEXT, b"late")], [], 1000)
    case("7 close mid-message", [f(TEXT, b"frag", fin=False), bye, f(0, b"late")], [], 1000)
    case("7 big message, close, ping",
         [f(TEXT, b"*" * 10000) + bye + f(PING, b"late")], [("text", b"*" * 10000)], 1000)
    case("7 empty close", [close(mask=mask)], [], 1005)
    case("7 close with 1 byte", [frame(CLOSE, b"\x03", True, mask)], [], 1002)
    case("7 close code only", [close(1000, mask=mask)], [], 1000)
    case("7 close with reason", [close(1000, "bye ☃".encode(), mask)], [], 1000)
    case("7 close with 123-byte reason", [close(1000, b"r" * 123, mask)], [], 1000)
    case("7 close with 124-byte reason", [close(1000, b"r" * 124, mask)], [], 1002)
    case("7 close reason not UTF-8", [close(1000, b"\xce\xba\xed\xa0\x80", mask)], [], 1007)
    case("7 close reason truncated", [close(1000, b"ok\xe2\x82", mask)], [], 1007)
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                 3000, 3999, 4000, 4999):
        case("7 valid code %d" % code, [close(code, mask=mask)], [], code)
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        case("7 invalid code %d" % code, [close(code, mask=mask)], [], 1002)

    # Masking (§5.1): a client's frames are masked, a server's are not.
    case("mask wrong", [frame(TEXT, b"wrong", True, not mask)], [], 1002)
    case("mask wrong after an echo", [f(TEXT, b"a"), frame(PING, b"", True, not mask)],
         [("text", b"a")], 1002)

    # 9.*: many small messages at once, and a message of 64 KiB in several frames.
    case("9 200 messages", [b"".join(f(TEXT, b"m%03d" % i) for i in range(200)), bye],
         [("text", b"m%03d" % i) for i in range(200)])
    big = bytes(range(256)) * 256
    case("9 64 KiB in 1 KiB fragments",
         [b"".join(f(BINARY if i == 0 else 0, big[i:i + 1024], fin=i + 1024 >= len(big))
                   for i in range(0, len(big), 1024)), bye], [("binary", big)])
    return out


def limit_cases(limit, mask=True):
    """9.*: messages up to ``limit`` bytes are echoed (10.*: however they come back
    fragmented); one byte more, in one frame or over fragments, fails with 1009
    (§7.4.1: "a message that is too big for it to process")."""
    def f(opcode, payload=b"", fin=True):
        return frame(opcode, payload, fin, mask)

    bye = close(1000, mask=mask)
    text = b"\xe2\x82\xac" * (limit // 3) + b"*" * (limit % 3)
    binary = os.urandom(limit)
    half = limit // 2
    return [
        ("9 text at the limit", chops(f(TEXT, text), 65536) + [bye], [("text", text)], 1000),
        ("9 binary at the limit in 2 fragments",
         [f(BINARY, binary[:half], fin=False), f(0, binary[half:]), bye],
         [("binary", binary)], 1000),
        ("9 one byte over", [head(BINARY, limit + 1, mask)], [], 1009),
        ("9 one byte over in fragments",
         [f(BINARY, b"x" * half, fin=False), f(0, b"x" * (limit - half + 1))], [], 1009),
    ]


class Peer:
    """One raw connection after its handshake: sends steps, reads frames back."""

    def __init__(self, sock, buf=b"", masked=False):
        self.sock = sock
        self.buf = buf
        self.masked = masked  # whether the peer's frames must be masked
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(262144)
            if not data:
                raise EOFError("ended with %d of %d bytes" % (len(self.buf), n))
            self.buf += data

    def frame(self):
        """(fin, opcode, payload) of the next frame, unmasked."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        if bool(b1 & 0x80) != self.masked:
            raise AssertionError("a frame %s" % ("unmasked" if self.masked else "masked"))
        size = b1 & 0x7F
        at = 2
        if size == 126:
            self._need(4)
            size, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif size == 127:
            self._need(10)
            size, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        key = b""
        if self.masked:
            self._need(at + 4)
            key, at = self.buf[at:at + 4], at + 4
        self._need(at + size)
        payload = self.buf[at:at + size]
        self.buf = self.buf[at + size:]
        if key:
            keys = int.from_bytes((key * (size // 4 + 1))[:size], "little")
            payload = (int.from_bytes(payload, "little") ^ keys).to_bytes(size, "little")
        if b0 & 0x70:
            raise AssertionError("reserved bits set")
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def play(self, steps):
        """Send the steps, then what came back: (events, close code or an error)."""
        for step in steps:
            try:
                self.sock.sendall(step)
            except OSError:
                break  # the peer may close before the last steps (after a failure)
        events = []
        parts = []
        kind = None
        while True:
            try:
                fin, opcode, payload = self.frame()
            except (EOFError, OSError) as exc:
                return events, "no close frame (%s)" % exc
            if opcode == PONG:
                events.append(("pong", payload))
            elif opcode == CLOSE:
                return events, struct.unpack("!H", payload[:2])[0] if payload else 1005
            elif opcode in (TEXT, BINARY, 0):
                if opcode:
                    kind = "text" if opcode == TEXT else "binary"
                parts.append(payload)
                if fin:
                    events.append((kind, b"".join(parts)))
                    parts = []
            else:
                return events, "unexpected opcode %d" % opcode

    def ends(self, timeout=10):
        """Whether the connection ends (EOF or reset) within timeout, once we are done
        sending (our half closed, as a peer does after the close frames)."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return True
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except OSError:
                return True


def short(value):
    """A case's outcome for a failure message, long payloads cut."""
    if isinstance(value, list):
        return [(k, p if len(p) < 40 else p[:20] + b"...(%d)" % len(p)) for k, p in value]
    return value
