# The sans-IO HTTP/1.1 core under mutated input, both roles.  Runs on both runtimes.
#
# Valid messages are mutated (bytes flipped, dropped, doubled, and HTTP's own tokens
# inserted), then fed whole and in random pieces.  Two properties must hold for every case:
#
# - the core raises nothing but a ProtocolError (a server answers its status, a 4xx or 5xx),
#   never IndexError, ValueError, UnicodeError or the like;
# - the verdict does not depend on how the bytes arrived: the events (Data merged) and the
#   error, if any, are the same whole and in pieces (a request line or a field cut in the
#   middle, a CRLF split in two, a chunk size cut before its digits end).
#
# The generator is a fixed xorshift, not `random`: the same cases on both runtimes, and a
# failure names its case number.
from httpcorpus import SERVER, cases, events_of

CASES = 4000
refused = 0
for case, (role, data, eof, splits) in enumerate(cases(CASES)):
    try:
        whole = events_of(role, [data] + eof)
        if whole and whole[-1][0] == "error":
            refused += 1
        for split in splits:
            got = events_of(role, split + eof)
            assert got == whole, (case, data, split, whole, got)
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError("case %d: %r escaped on %r" % (case, exc, data))

# Both kinds must be common, or the properties were checked on too little.
print("refused", refused, "of", CASES)
assert CASES // 10 < refused < CASES * 9 // 10, refused
print("PASS")
