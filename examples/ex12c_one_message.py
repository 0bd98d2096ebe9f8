"""Example 12c: a server that receives one message and then stops reading.

Use with example 12b.  disable() parks the cosocket: it reads no more, so
the client's data backs up until its write queue is full.

    remora run examples/ex12c_one_message.py PORT
"""

import remora


async def rec(sock):
    await sock.read()
    print("received first message; now stop")
    await sock.disable()  # parked until the server stops


async def main(args):
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(rec, mode=remora.COSOCKET)
