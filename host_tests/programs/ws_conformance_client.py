"""remora's WebSocket client as the echo peer of the conformance cases
(host_tests/test_ws_conformance.py, host_tests/wscases.py).

    remora run host_tests/programs/ws_conformance_client.py BASE_URL N M

Opens BASE_URL/case/I for I in 0..N+M-1, one after the other, and echoes every
message with its type: whole messages (``receive``) for the first N cases,
pieces as they arrive (``read``, as fragments) for the M cases at the message
size limit.  Prints ``CASE I CODE CLEAN`` per case (the Close event), then
``DONE``.
"""

from remora import ws as rws


async def run_case(url, stream):
    ws = await rws.connect(url)
    while True:
        if stream:
            piece = await ws.read()
            if piece is None:
                break
            await ws.write(piece.data, piece.text, piece.message_end)
        else:
            msg = await ws.receive()
            if msg is None:
                break
            await ws.write(msg)
    return ws.closed


async def main(args):
    base, whole, stream = args[0], int(args[1]), int(args[2])
    for i in range(whole + stream):
        try:
            closed = await run_case("%s/case/%d" % (base, i), i >= whole)
            print("CASE", i, closed.code if closed else None, closed.clean if closed else None)
        except Exception as exc:
            print("CASE", i, "error", type(exc).__name__, exc)
    print("DONE")
