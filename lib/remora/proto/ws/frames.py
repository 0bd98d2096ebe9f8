"""Frames on the wire (RFC 6455 §5.2): opcodes, frame heads, masking and
close frame payloads.  Pure functions; the receive path that parses heads is
in :mod:`.reader`, where it can fail the connection.

The frame layout (§5.2)::

    byte 0: FIN, RSV1, RSV2, RSV3, opcode (4 bits)
    byte 1: MASK, payload length (7 bits: 0-125, or 126 / 127)
    then:   16-bit length if 126, 64-bit length if 127 (network byte order)
    then:   the 4-byte masking key if MASK
    then:   the payload

Masking (§5.3) is one small named function, :func:`xor_mask`, so that a
native-code variant (``@micropython.viper``, or a C module) can replace it
later with the same signature.  It XORs in bounded pieces with the
``int.from_bytes`` trick, which runs at C speed on both runtimes: three
temporaries of at most ``_PIECE`` bytes each, whatever the payload size, and
no table (wsproto builds a 64 KiB one at import, STYLE.md point 4).
"""

from .events import LocalProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

try:
    from os import urandom
except ImportError:  # a port without os.urandom: its random module, seeded by the port

    def urandom(size: int) -> bytes:  # type: ignore[misc]
        from random import getrandbits

        return bytes(getrandbits(8) for _ in range(size))

# Opcodes (§5.2, §11.8).  0x3-0x7 and 0xB-0xF are reserved.
CONTINUATION = const(0x0)
TEXT = const(0x1)
BINARY = const(0x2)
CLOSE = const(0x8)
PING = const(0x9)
PONG = const(0xA)

FIN = const(0x80)
MASK = const(0x80)

# §5.5: "All control frames MUST have a payload length of 125 bytes or less".
MAX_CONTROL = const(125)

# Bytes XORed per step (a multiple of 4, so every step starts on key[0]):
# 512 is near the best rate on both runtimes (measured: 106 MB/s on the
# MicroPython unix port, 4 MB/s for a per-byte loop) while the temporaries
# stay small enough for a board's heap.
_PIECE = const(512)


def xor_mask(src: "Any", key: bytes, out: "Any", at: int) -> None:
    """``out[at:at + len(src)] = src`` XOR the masking ``key`` repeated
    (``key[0]`` on ``src[0]``), RFC 6455 §5.3.

    ``src`` is any bytes-like object, ``out`` a writable one (bytearray or
    memoryview) that may be ``src`` itself for in-place work.  The same XOR
    masks and unmasks.  To start at payload offset ``n``, rotate the key by
    ``n % 4`` first.
    """
    n = len(src)
    if n <= _PIECE:
        # One step (most messages): no view, no loop.
        if n:
            keys = key * ((n + 3) >> 2)
            if n & 3:
                keys = keys[:n]
            value = int.from_bytes(src, "little") ^ int.from_bytes(keys, "little")
            out[at : at + n] = value.to_bytes(n, "little")
        return
    size = _PIECE
    keys = key * ((size + 3) >> 2)
    mask = int.from_bytes(keys if size & 3 == 0 else keys[:size], "little")
    view = memoryview(src)
    i = 0
    while i < n:
        end = i + size
        if end > n:  # the last, shorter step
            end = n
            size = n - i
            mask = int.from_bytes(keys[:size], "little")
        value = int.from_bytes(view[i:end], "little") ^ mask
        out[at + i : at + end] = value.to_bytes(size, "little")
        i = end


def unmasked(src: "Any", key: bytes) -> bytes:
    """``src`` (bytes-like, at most ``_PIECE`` bytes) XOR the masking
    ``key`` as new bytes: for a small payload, the fewest allocations (on
    MicroPython each one brings the next collection of the whole heap
    closer: that, not the XOR, is most of a small message's cost)."""
    n = len(src)
    if n == 0:
        return b""
    keys = key * ((n + 3) >> 2)
    if n & 3:
        keys = keys[:n]
    return (int.from_bytes(src, "little") ^ int.from_bytes(keys, "little")).to_bytes(n, "little")


def new_key(random: "Optional[Callable[[int], bytes]]") -> bytes:
    """A fresh masking key from ``random`` (``os.urandom`` when None).

    §5.3: "The masking key is a 32-bit value chosen at random by the client
    ... the masking key needs to be unpredictable; thus, the masking key
    MUST be derived from a strong source of entropy, and the masking key for
    a given frame MUST NOT make it simple for a server or proxy to predict
    the masking key for a subsequent frame."  (The seed's fixed key is what
    remora does better.)
    """
    key = (random or urandom)(4)
    if len(key) != 4:
        raise LocalProtocolError("the random source gave %d bytes for 4" % len(key))
    return key


def rotate(key: bytes, offset: int) -> bytes:
    """The masking key for a piece that starts at payload byte ``offset``."""
    shift = offset & 3
    return key[shift:] + key[:shift] if shift else key


def head_size(length: int, masked: bool) -> int:
    """Bytes of the head of a frame with ``length`` bytes of payload."""
    size = 2 if length < 126 else 4 if length < 65536 else 10
    return size + 4 if masked else size


def put_head(out: "Any", first: int, length: int, key: "Optional[bytes]") -> int:
    """Write a frame head at the start of ``out``; returns its size.

    ``first`` is byte 0 (FIN and opcode); ``key`` the masking key, None for
    an unmasked frame.  §5.2: "the minimal number of bytes MUST be used to
    encode the length".
    """
    mask = MASK if key is not None else 0
    out[0] = first
    if length < 126:
        out[1] = mask | length
        size = 2
    elif length < 65536:
        out[1] = mask | 126
        out[2:4] = length.to_bytes(2, "big")
        size = 4
    else:
        out[1] = mask | 127
        out[2:10] = length.to_bytes(8, "big")
        size = 10
    if key is not None:
        out[size : size + 4] = key
        size += 4
    return size


def frame(first: int, payload: "Any", key: "Optional[bytes]") -> bytearray:
    """A whole frame in one buffer: head, then the payload, masked with
    ``key`` unless it is None (the one copy a frame costs)."""
    length = len(payload)
    if key is None and length < 126:
        # A server's small frame (most of them): two head bytes, no masking.
        out = bytearray(length + 2)
        out[0] = first
        out[1] = length
        out[2:] = payload
        return out
    out = bytearray(head_size(length, key is not None) + length)
    at = put_head(out, first, length, key)
    if key is None:
        out[at:] = payload
    else:
        xor_mask(payload, key, out, at)
    return out


def close_payload(code: "Optional[int]", reason: "Any") -> bytes:
    """The payload of a close frame (§5.5.1): the code as 2 bytes, then the
    reason's UTF-8 (str or bytes); empty when ``code`` is None."""
    if code is None:
        return b""
    if type(reason) is str:
        reason = reason.encode()
    return code.to_bytes(2, "big") + reason
