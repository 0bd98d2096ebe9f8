# n2h / h2n (the seed's ba.socket.n2h and h2n); runs on both runtimes.
from remora.ints import h2n, n2h

# The seed's NTP example reads 4 bytes at (1-based) 41: 0-based 40.
packet = bytes(40) + b"\xe9\x5a\x1b\x00" + bytes(4)
assert n2h(4, packet, 40) == 0xE95A1B00
assert n2h(1, b"\xff") == 255
assert n2h(2, b"\x01\x02") == 0x0102
assert n2h(8, b"\x80" + bytes(7)) == 1 << 63

for size, value in ((1, 0), (1, 255), (2, 0x1234), (4, 0xDEADBEEF), (8, (1 << 64) - 1)):
    data = h2n(size, value)
    assert len(data) == size
    assert n2h(size, data) == value

for bad in ((0, b"x", 0), (9, bytes(9), 0), (4, b"abc", 0), (2, b"abc", 2), (1, b"a", -1)):
    try:
        n2h(*bad)
    except ValueError:
        pass
    else:
        raise AssertionError("n2h accepted %r" % (bad,))

for bad in ((1, 256), (2, -1), (0, 0), (9, 1)):
    try:
        h2n(*bad)
    except ValueError:
        pass
    else:
        raise AssertionError("h2n accepted %r" % (bad,))

print("PASS")
