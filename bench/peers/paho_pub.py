"""Benchmark peer: paho-mqtt publishing through a broker as fast as it may (CPython).

    python bench/peers/paho_pub.py BROKER_PORT COUNT0 COUNT1 [SIZE] [INFLIGHT]

The workload of bench/programs/mqtt_pub.py: one MQTT 5.0 client (paho's network thread,
``loop_start``, its inflight window set to INFLIGHT, by default remora's on the unix
profile); ``READY 0``, ``RATE 0 <count> <seconds>`` (QoS 0, timed until a QoS 1 message
after them is acknowledged), ``RATE 1 <count> <seconds>`` (QoS 1, until every message is
acknowledged).
"""

import sys
import time

import paho.mqtt.client as mqtt


def main(argv):
    port, count0, count1 = int(argv[0]), int(argv[1]), int(argv[2])
    size = int(argv[3]) if len(argv) > 3 else 32
    inflight = int(argv[4]) if len(argv) > 4 else 32
    payload = b"x" * size
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-paho",
                    protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(inflight)
    c.connect("127.0.0.1", port, 60)
    c.loop_start()
    deadline = time.monotonic() + 10
    while not c.is_connected():
        if time.monotonic() > deadline:
            raise SystemExit("paho: not connected")
        time.sleep(0.01)
    print("READY 0", flush=True)
    t0 = time.perf_counter()
    for _ in range(count0):
        c.publish("bench/t", payload, 0)
    c.publish("bench/t", b"end", 1).wait_for_publish(60)
    print("RATE 0 %d %.3f" % (count0, time.perf_counter() - t0), flush=True)
    t0 = time.perf_counter()
    infos = [c.publish("bench/t", payload, 1) for _ in range(count1)]
    for info in infos:
        info.wait_for_publish(60)
    print("RATE 1 %d %.3f" % (count1, time.perf_counter() - t0), flush=True)
    c.disconnect()
    c.loop_stop()


if __name__ == "__main__":
    main(sys.argv[1:])
