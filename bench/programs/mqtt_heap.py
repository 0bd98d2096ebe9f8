"""Bench program: the heap one connected remora.mqtt client takes at rest.

    remora run bench/programs/mqtt_heap.py BROKER_PORT COUNT

A first client connects, subscribes and has one QoS 1 message go round (so
that every class and first-use buffer is made); then, after a collection,
COUNT more do the same.  Prints ``READY 0``, then ``HEAP <before> <after>
<count>``: ``gc.mem_alloc()`` after ``gc.collect()`` with the first client
only and with all of them, each connected, subscribed and idle.
"""

import remora
from remora.mqtt import Client


async def one(port, i):
    got = []
    c = Client("127.0.0.1", port, client_id="heap-%d" % i, clean=True,
               handler=lambda msg: got.append(1))
    c.start()
    await c.connected(10000)
    await c.subscribe("heap/%d" % i, 1)
    await c.publish("heap/%d" % i, b"ping", 1, wait=True)
    while not got:
        await remora.sleep_ms(5)
    return c


async def main(args):
    port, count = int(args[0]), int(args[1])
    clients = [await one(port, 0)]
    await remora.sleep_ms(50)
    print("READY 0")
    before = remora.heap()[0]
    for i in range(count):
        clients.append(await one(port, i + 1))
    await remora.sleep_ms(50)  # every timer task back in its sleep
    after = remora.heap()[0]
    print("HEAP %s %s %d" % (before, after, count))
    remora.stop()
