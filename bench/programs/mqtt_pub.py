"""Bench program: remora.mqtt publishing through a broker as fast as it may.

    remora run bench/programs/mqtt_pub.py BROKER_PORT COUNT0 COUNT1 [SIZE] [MODE]

One client (MQTT 5.0, the board profile's window and queue) connects and prints
``READY 0``; then ``RATE 0 <count> <seconds>``: COUNT0 messages of SIZE bytes
(32) at QoS 0, timed until a QoS 1 message published after them is
acknowledged (the broker has handled them all); then ``RATE 1 <count>
<seconds>``: COUNT1 at QoS 1, timed until the last is acknowledged and none is
in flight.  MODE ``window`` (the default) lets the inflight window fill;
``one`` waits for each PUBACK before the next publish (``wait=True``), as a
client that blocks on every QoS 1 publish does.  Then ``HEAP <alloc>`` (None
on CPython) and it stops.
"""

import remora
from remora.mqtt import Client


async def main(args):
    port, count0, count1 = int(args[0]), int(args[1]), int(args[2])
    size = int(args[3]) if len(args) > 3 else 32
    one = len(args) > 4 and args[4] == "one"
    payload = b"x" * size
    c = Client("127.0.0.1", port, client_id="bench-remora", clean=True)
    c.start()
    await c.connected(10000)
    print("READY 0")
    t0 = remora.ticks_ms()
    for _ in range(count0):
        await c.publish("bench/t", payload, 0)
    await c.publish("bench/t", b"end", 1, wait=True)
    print("RATE 0 %d %.3f" % (count0, remora.ticks_diff(remora.ticks_ms(), t0) / 1000))
    t0 = remora.ticks_ms()
    for i in range(count1 - 1):
        await c.publish("bench/t", payload, 1, wait=one)
    await c.publish("bench/t", payload, 1, wait=True)
    while c.core.session.inflight():
        await remora.sleep_ms(1)
    print("RATE 1 %d %.3f" % (count1, remora.ticks_diff(remora.ticks_ms(), t0) / 1000))
    print("HEAP %s" % (remora.heap()[0],))
    await c.disconnect()
