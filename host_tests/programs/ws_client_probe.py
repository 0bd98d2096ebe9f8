"""Drive remora's WebSocket client against test servers (host_tests/test_ws_client.py).

    remora run host_tests/programs/ws_client_probe.py ECHO_URL BAD_URL

ECHO_URL is an echo server (the ``websockets`` or ``wsproto`` library);
BAD_URL answers each path with a violation (see the test).  Prints
``RESULT name value`` lines (value as JSON), then ``DONE``.
"""

import json

import remora
from remora import ws as rws


def report(name, value):
    print("RESULT", name, json.dumps(value))


async def in_task(url):
    ws = await rws.connect(url, subprotocols=("chat",))
    report("task_subprotocol", ws.subprotocol)
    await ws.write("héllo")
    report("task_text", await ws.receive())
    await ws.write(b"\x00\x01\x02")
    got = await ws.receive()
    report("task_binary", [type(got).__name__ in ("bytes", "bytearray"), list(got)])
    await ws.write("frag", fin=False)
    await ws.write("ment", fin=False)
    await ws.write("ed", fin=True)
    report("task_fragments", await ws.receive())
    big = bytes(range(256)) * 300  # 76,800 bytes: over 64 KiB, several reads
    await ws.write(big)
    pieces = 0
    total = 0
    while True:
        piece = await ws.read()
        pieces += 1
        total += len(piece.data)
        if piece.message_end:
            break
    report("task_big", [total, piece.length, pieces > 1])
    await ws.ping(b"hi")
    await ws.write("after ping")
    report("task_after_ping", await ws.receive())
    await ws.close(1000, "bye")
    report("task_close", [ws.closed.code, ws.closed.clean, ws.sock.state()])


async def echo_cosocket(ws, done):
    # Example 14's second half: the WebSocket the worker opened, now a cosocket.
    await ws.write("from the cosocket")
    done.append(await ws.receive())
    await ws.close()
    done.append(ws.closed.code)


def on_worker(url):
    ws = rws.connect(url, subprotocols=("chat",))
    ws.write("blocking")
    first = ws.receive()
    done = []
    ws.event(echo_cosocket, done)
    return first, done


async def violations(bad):
    out = {}
    for path in ("masked", "utf8", "toobig", "refuse", "badaccept"):
        try:
            ws = await rws.connect(bad + "/" + path, max_message=1000)
            await ws.write("go")
            got = await ws.receive()
            out[path] = [got, ws.closed.code if ws.closed else None]
        except Exception as exc:
            out[path] = "error %s %s" % (type(exc).__name__, getattr(exc, "status", ""))
    return out


async def main(args):
    url, bad = args[0], args[1]
    await in_task(url)
    first, done = await remora.thread_call(on_worker, url)
    report("worker_blocking", first)
    for _ in range(200):
        if len(done) == 2:
            break
        await remora.sleep_ms(20)
    report("worker_cosocket", done)
    report("violations", await violations(bad))
    print("DONE")
