"""Benchmark peer: micropython-lib's umqtt.simple publishing through a broker (MicroPython).

    FIRMWARE -X heapsize=N -m remora_rom --module umqtt_pub BROKER_PORT COUNT0 COUNT1 [SIZE] [nodelay]
    FIRMWARE -X heapsize=N -m remora_rom --module umqtt_pub BROKER_PORT heap COUNT

The workload of bench/programs/mqtt_pub.py with ``umqtt.simple.MQTTClient`` (MQTT 3.1.1,
a blocking socket): QoS 0 publishes are written one after another; a QoS 1 publish blocks
until its PUBACK.  umqtt.simple writes a PUBLISH in several small writes and leaves
Nagle's algorithm on, so each QoS 1 publish also waits for the broker's delayed ACK;
``nodelay`` sets TCP_NODELAY on its socket after the connect (remora sets it on all
of its sockets) to show the client without that wait.  ``heap COUNT``: ``HEAP <before> <after> <count>`` as
bench/programs/mqtt_heap.py, for COUNT connected clients.  The umqtt package is not part
of the repository: the bench puts it in the flash image from where it is installed.
"""

import gc
import sys
import time

from umqtt.simple import MQTTClient


def heap():
    gc.collect()
    return gc.mem_alloc()


def main(argv):
    port = int(argv[0])
    if argv[1] == "heap":
        count = int(argv[2])
        clients = [MQTTClient("uheap-0", "127.0.0.1", port)]
        clients[0].connect()
        print("READY 0")
        before = heap()
        for i in range(count):
            c = MQTTClient("uheap-%d" % (i + 1), "127.0.0.1", port)
            c.set_callback(lambda topic, msg: None)  # subscribe() asserts one is set
            c.connect()
            c.subscribe(b"heap/%d" % (i + 1), 1)
            clients.append(c)
        print("HEAP %d %d %d" % (before, heap(), count))
        return
    count0, count1 = int(argv[1]), int(argv[2])
    size = int(argv[3]) if len(argv) > 3 and argv[3].isdigit() else 32
    payload = b"x" * size
    c = MQTTClient("bench-umqtt", "127.0.0.1", port)
    c.connect()
    if "nodelay" in argv:
        c.sock.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY (Linux and lwIP values)
    print("READY 0")
    t0 = time.ticks_ms()
    for _ in range(count0):
        c.publish(b"bench/t", payload, False, 0)
    c.publish(b"bench/t", b"end", False, 1)
    print("RATE 0 %d %.3f" % (count0, time.ticks_diff(time.ticks_ms(), t0) / 1000))
    t0 = time.ticks_ms()
    for _ in range(count1):
        c.publish(b"bench/t", payload, False, 1)
    print("RATE 1 %d %.3f" % (count1, time.ticks_diff(time.ticks_ms(), t0) / 1000))
    c.disconnect()


main(sys.argv[1:])
