"""Big-endian integers in byte strings (seed: ba.socket.n2h and h2n).

Network protocols put integers in network byte order.  Offsets here are
0-based, as Python slices are; the seed's Lua offsets are 1-based, so the
seed's ``n2h(4, d, 41)`` is ``n2h(4, d, 40)``.
"""

try:
    from circuitpython_typing import ReadableBuffer
except ImportError:
    pass


def n2h(size: int, data: "ReadableBuffer", offset: int = 0) -> int:
    """The unsigned big-endian integer of size bytes at data[offset]."""
    if size < 1 or size > 8:
        raise ValueError("size must be 1..8")
    if offset < 0 or offset + size > len(data):
        raise ValueError("data too short")
    value = 0
    for i in range(offset, offset + size):
        value = (value << 8) | data[i]
    return value


def h2n(size: int, value: int) -> bytes:
    """value as size bytes in network (big-endian) byte order."""
    if size < 1 or size > 8:
        raise ValueError("size must be 1..8")
    if value < 0 or value >> (8 * size):
        raise ValueError("value does not fit")
    return value.to_bytes(size, "big")
