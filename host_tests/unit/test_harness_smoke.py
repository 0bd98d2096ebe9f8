# Smoke test of the unit runner itself: plain asserts, then PASS.  Runs on both runtimes.
import sys

b = bytearray(b"remora")
mv = memoryview(b)
mv[0:1] = b"R"
assert bytes(b) == b"Remora"
assert b"ab" + b"cd" == b"abcd"
assert int.from_bytes(b"\x01\x02", "big") == 258
assert (258).to_bytes(2, "big") == b"\x01\x02"
assert sys.implementation.name in ("cpython", "micropython")

print("PASS")
