# A page's output block (http/outbuf.py, issue 20 point 2): a page writes into a
# block made once and its response is sent from it, so a page that fits its
# block needs no large piece of the heap, however cut up the heap is after a
# flood.  The checks: output, forward (mark/reset), outgrowing the block, the
# blocks being lent and given back; then, on MicroPython, a heap cut into
# holes of about 500 bytes, where a page of 1.6 KB still finishes from its
# block while the same page collected and joined finds no room.
from remora.http.outbuf import OutputBlocks
from remora.http.response import Response

try:
    import gc

    mem_free = gc.mem_free
except AttributeError:
    mem_free = None

ROW = b"<tr><td>row</td><td>filler to weigh what the demo's index page does</td></tr>\n"


def page(resp, rows):
    resp.write(b"<!doctype html><table>\n")
    for i in range(rows):
        resp.write(ROW, str(i), "\n")
    resp.write("</table>")


def expected(rows):
    out = [b"<!doctype html><table>\n"]
    for i in range(rows):
        out.append(ROW + str(i).encode() + b"\n")
    out.append(b"</table>")
    return b"".join(out)


blocks = OutputBlocks(2, 2048)
assert blocks.made == 2 and len(blocks.free) == 2

# Written into a block, sent from it: the body is a view of the block.
resp = Response(b"", 200)
resp.write_into(blocks)
page(resp, 10)
resp.finish()
assert isinstance(resp.body, memoryview)
assert bytes(resp.body) == expected(10)
assert len(blocks.free) == 1  # lent until sent
resp.sent()
resp.sent()  # twice: given back once
assert len(blocks.free) == 2

# A forward drops what was written since the mark.
resp = Response(b"", 200)
resp.write_into(blocks)
where = resp.mark()
resp.write("discarded")
resp.reset(where)
resp.write("kept")
resp.finish()
assert bytes(resp.body) == b"kept"
resp.sent()

# Outgrowing the block: collected and joined as before; the block goes back at once.
resp = Response(b"", 200)
resp.write_into(blocks)
page(resp, 40)
assert len(blocks.free) == 2
resp.finish()
assert resp.body == expected(40)
resp.sent()

# Every block lent: the third page is collected instead.
a, b, c = Response(), Response(), Response()
for r in (a, b, c):
    r.write_into(blocks)
    page(r, 3)
    r.finish()
assert isinstance(a.body, memoryview) and isinstance(b.body, memoryview)
assert c.body == expected(3)
a.sent()
b.sent()
c.sent()
assert len(blocks.free) == 2

# A failed send lets its block go; the next page gets a new one.
resp = Response()
resp.write_into(blocks)
page(resp, 3)
resp.finish()
resp.sent(False)
assert blocks.made == 1
r2, r3 = Response(), Response()
for r in (r2, r3):
    r.write_into(blocks)
    page(r, 3)
    r.finish()
assert isinstance(r3.body, memoryview) and blocks.made == 2
r2.sent()
r3.sent()

if mem_free is not None:
    # The heap cut into holes: fill the free heap with 504-byte tuples (one
    # block of 512 bytes each on a 32-bit heap), then let every other go.
    gc.collect()
    held = []
    try:
        while True:
            held.append((None,) * 124)
    except MemoryError:
        pass
    for i in range(0, len(held), 2):
        held[i] = None
    gc.collect()
    rows = 19  # about 1.6 KB of output: the demo's index page
    resp = Response(b"", 200)
    resp.write_into(blocks)
    page(resp, rows)
    resp.finish()
    ok = isinstance(resp.body, memoryview) and len(resp.body) > 1500
    resp.sent()
    collected = Response(b"", 200)
    page(collected, rows)
    try:
        collected.finish()  # one piece of the page's size: none is left
        joined = True
    except MemoryError:
        joined = False
    collected = None
    del held[:]
    gc.collect()
    assert ok
    assert not joined, "the heap was not cut up: the check proves nothing"

print("PASS")
