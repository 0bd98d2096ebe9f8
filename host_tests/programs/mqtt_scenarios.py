"""MQTT client scenarios, run by host_tests/test_mqtt.py on both runtimes
against a real mosquitto (and paho-mqtt on the test's side).

    remora run host_tests/programs/mqtt_scenarios.py NAME BROKER_PORT [args...]

Each scenario prints ``READY 0`` once the test may act, and lines the test
reads: ``MSG name topic qos retain payload``, ``RESULT key value``.
"""

import remora
from remora.mqtt import Client, Will


def url(port):
    return "mqtt://127.0.0.1:%d" % port


def result(key, value):
    print("RESULT", key, value)


def show(name, msg):
    payload = msg.payload.decode() if len(msg.payload) < 64 else "<%d bytes>" % len(msg.payload)
    print("MSG", name, msg.topic, msg.qos, 1 if msg.retain else 0, payload)


# -- QoS 0, 1 and 2 both ways, retained messages ---------------------------------------


async def roundtrip(port, args):
    version = int(args[0])
    c = Client(url(port), client_id="rt-%d" % version, version=version, clean=True)
    c.start()
    await c.connected(10000)
    # The test published a retained message before: it comes with RETAIN set.
    result("suback", await c.subscribe([("rt/in/#", 2)]))
    print("READY 0")
    for qos in (0, 1, 2):
        reason = await c.publish("rt/out/q%d" % qos, "from remora %d" % qos, qos, wait=True)
        result("published%d" % qos, reason)
    await c.publish("rt/out/retained", b"kept", 1, retain=True, wait=True)
    result("published", "all")
    async for msg in c.messages():
        show("rt", msg)
        if msg.topic == "rt/in/end":
            break
    await c.disconnect()
    result("done", version)


# -- the will -------------------------------------------------------------------------


async def will(port, args):
    # c2 says goodbye (no will); c1 dies with the process (the test kills it).
    c1 = Client(url(port), client_id="will-1", will=Will("will/1", b"gone 1", 1, False))
    c2 = Client(url(port), client_id="will-2", will=Will("will/2", b"gone 2", 1, False),
                version=4)
    c1.start()
    c2.start()
    await c1.connected(10000)
    await c2.connected(10000)
    await c2.disconnect()
    print("READY 0")
    await remora.wait_stopped()


# -- the broker stopped and restarted while publishing ----------------------------------


async def restart(port, args):
    half = int(args[0])
    seen = []
    dups = [0, 0]  # copies again with DUP clear, with DUP set

    def handler(msg):
        n = int(msg.payload)
        if n in seen:
            dups[1 if msg.dup else 0] += 1
        else:
            seen.append(n)

    c = Client(url(port), client_id="restart-pub", reconnect_ms=(100, 1000), handler=handler)
    c.start()
    await c.connected(10000)
    # Our own QoS 2 messages come back: none may be delivered twice.
    await c.subscribe("rs/q2", 2)
    print("READY 0")
    n = 0
    while n < half:
        await c.publish("rs/q1", str(n), 1)
        await c.publish("rs/q2", str(n), 2)
        n += 1
    print("HALF", n)
    # Go on publishing through the restart, and for a while after it.
    after = 0
    while n < 2 * half or after < 20:
        await c.publish("rs/q1", str(n), 1)
        await c.publish("rs/q2", str(n), 2)
        n += 1
        if c.reconnects:
            after += 1
        await remora.sleep_ms(5)  # a pace, so that the restart falls mid-stream
    deadline = remora.ticks_add(remora.ticks_ms(), 20000)
    while c.core.session.inflight() or len(c.outbox) or len(seen) < n:
        if remora.ticks_diff(deadline, remora.ticks_ms()) < 0:
            break
        await remora.sleep_ms(50)
    result("reconnects", c.reconnects)
    result("inflight", c.core.session.inflight() + len(c.outbox))
    result("own_q2", "%d distinct %d new copies" % (len(seen), dups[0]))
    result("own_q2_resent", dups[1])
    if len(seen) < n:
        result("own_q2_missing", [i for i in range(n) if i not in seen])
    result("total", n)


# -- a subscriber slower than its publisher --------------------------------------------


async def slow(port, args):
    count = int(args[0])
    got = []

    async def handler(msg):
        got.append(int(msg.payload))
        await remora.sleep_ms(3)  # slower than paho publishes

    c = Client(url(port), client_id="slow-sub", clean=True, handler=handler)
    c.start()
    await c.connected(10000)
    await c.subscribe("slow/t", 1)
    print("READY 0")
    deadline = remora.ticks_add(remora.ticks_ms(), 60000)
    while len(got) < count and remora.ticks_diff(deadline, remora.ticks_ms()) > 0:
        await remora.sleep_ms(50)
    result("received", len(got))
    result("in_order", got == list(range(count)))
    result("reconnects", c.reconnects)


# -- a message larger than the board's limit -------------------------------------------


async def oversize(port, args):
    # big/big (over mqtt_max_packet) then big/after: a 5.0 client is never
    # sent the big one (the broker knows our Maximum Packet Size); a 3.1.1
    # client closes on it with 0x95 and reconnects.
    clients = {}
    for version in (5, 4):
        name = "v%d" % version

        def handler(msg, name=name):
            show(name, msg)
            if msg.topic == "big/after":
                c = clients[name]
                result(name, "reconnects %d error %s" % (c.reconnects, c.last_error))

        c = Client(url(port), client_id="big-%d" % version, version=version,
                   reconnect_ms=(100, 500), handler=handler)
        c.start()
        await c.connected(10000)
        await c.subscribe([("big/#", 1)])
        clients[name] = c
    result("max_packet", clients["v5"].core.max_packet)
    print("READY 0")
    await remora.wait_stopped()


# -- the outgoing queue: full while the broker is down ---------------------------------


def _worker(c):
    # A worker thread: its publishes are queued or refused, never suspended.
    queued = 0
    try:
        while True:
            c.publish("q/w", b"w" * 100, 1)
            queued += 1
    except remora.QueueFull as exc:
        result("worker_full", "%d queued %d bytes" % (queued, exc.queued))
    return queued


def _worker_blocking(c):
    # The blocking forms: they wait for the broker, then answer.
    codes = c.subscribe("q/blocking", 1)
    reason = c.publish("q/blocking", b"from a worker", 1, wait=True)
    return codes, reason


async def queue(port, args):
    got = []

    def handler(msg):
        got.append(msg.topic)

    c = Client(url(port), client_id="queue", clean=True, reconnect_ms=(100, 400), handler=handler)
    c.start()  # no broker yet: the client keeps trying
    pending = remora.dispatcher.spawn(c.subscribe("q/#", 1))
    queued = await remora.thread_call(_worker, c)
    # A task's publish into the full queue is suspended, not refused.
    task_done = []

    async def task_publish():
        await c.publish("q/t", b"t" * 100, 1)
        task_done.append(1)

    remora.dispatcher.spawn(task_publish())
    await remora.sleep_ms(300)  # the broker is not up: it cannot have gone on
    result("task_suspended", not task_done)
    answers = []

    async def blocking():
        answers.append(await remora.thread_call(_worker_blocking, c))

    remora.dispatcher.spawn(blocking())
    print("READY 0")  # the test starts the broker now
    deadline = remora.ticks_add(remora.ticks_ms(), 20000)
    while not answers and remora.ticks_diff(deadline, remora.ticks_ms()) > 0:
        await remora.sleep_ms(50)
    codes, reason = answers[0] if answers else (None, None)
    result("worker_subscribe", codes)
    result("worker_publish", reason)
    deadline = remora.ticks_add(remora.ticks_ms(), 20000)
    while got.count("q/w") < queued or "q/t" not in got:
        if remora.ticks_diff(deadline, remora.ticks_ms()) < 0:
            break
        await remora.sleep_ms(50)
    result("task_published", bool(task_done))
    result("delivered", "%d of %d, task %s" % (got.count("q/w"), queued, "q/t" in got))
    del pending


# -- resubscribing when the broker kept no session --------------------------------------


async def resubscribe(port, args):
    # A clean start on every connection: after the broker's restart the client
    # has no session there, and makes its subscription again by itself.
    def handler(msg):
        show("rs", msg)

    c = Client(url(port), client_id="resub", clean=True, reconnect_ms=(100, 400),
               handler=handler)
    c.start()
    await c.connected(10000)
    result("suback", await c.subscribe("resub/#", 1))
    print("READY 0")
    while not c.reconnects or not c.is_connected:
        await remora.sleep_ms(20)
    await c.publish("resub/self", b"after", 1, wait=True)  # the SUBSCRIBE went before it
    result("reconnected", c.reconnects)
    await remora.wait_stopped()


# -- a broker that breaks the protocol -----------------------------------------------


async def garbage(port, args):
    # The test's fake broker answers the first CONNECT with a malformed
    # CONNACK, the second properly; a QoS 1 publish then goes through.
    c = Client(url(port), client_id="garbage", clean=True, reconnect_ms=(100, 200))
    c.start()
    print("READY 0")
    reason = await c.publish("g/t", b"still here", 1, wait=True, timeout_ms=20000)
    result("published", reason)
    result("reconnects", c.reconnects)
    result("last_error", c.last_error)
    await c.disconnect()


# -- QoS 0 bursts: gathered sends in order with everything else --------------------------


def burst_plan():
    """(topic, payload, qos, retain) of the burst, in publish order: QoS 0 messages
    gathered past several segments, topics and sizes changing, str and bytearray
    payloads, a QoS 1 message now and then, one payload too large to gather."""
    plan = []
    for i in range(400):
        topic = "burst/a" if i % 7 else "burst/b"
        payload = b"m%d" % i + b"." * (i % 13)
        if i % 50 == 25:
            plan.append((topic, payload, 1, False))
        elif i % 50 == 30:
            plan.append((topic, payload.decode(), 0, False))
        elif i % 50 == 35:
            plan.append((topic, bytearray(payload), 0, False))
        else:
            plan.append((topic, payload, 0, False))
    plan.insert(200, ("burst/big", b"B" * 700, 0, False))
    plan.append(("burst/keep", b"kept at QoS 0", 0, True))
    return plan


async def burst(port, args):
    c = Client(url(port), client_id="burst", clean=True)
    c.start()
    await c.connected(10000)
    await c.subscribe("burst/go", 0)
    print("READY 0")
    async for _msg in c.messages():
        break  # the test's subscriber is ready
    plan = burst_plan()
    for i in range(len(plan)):
        topic, payload, qos, retain = plan[i]
        await c.publish(topic, payload, qos, retain)
        if i == 150:
            await remora.sleep_ms(0)  # the gathered ones go at the end of the turn
        if i == 100:  # mid-burst, a head kept: bad calls are still refused
            for bad in (("burst/#", b"x", 0), ("burst/a", b"x", 3), (7, b"x", 0)):
                try:
                    await c.publish(*bad)
                    result("bad_accepted", bad)
                except ValueError:
                    pass
    result("published", await c.publish("burst/end", b"end", 1, wait=True))
    await c.disconnect()


# -- MQTT over TLS (mqtts://) --------------------------------------------------------


async def secure(port, args):
    # args: the broker's certificate (its own CA), a certificate that is not.
    from remora import tls

    c = Client("mqtts://localhost:%d" % port, client_id="tls-1", clean=True,
               tls=tls.client(ca=args[0]))
    c.start()
    await c.connected(20000)
    result("suback", await c.subscribe([("tls/in", 1)]))
    print("READY 0")
    result("published", await c.publish("tls/out", "over TLS", 1, wait=True))
    async for msg in c.messages():
        show("tls", msg)
        break
    await c.disconnect()
    # A broker whose certificate the client does not trust: never connected.
    untrusted = Client("mqtts://localhost:%d" % port, client_id="tls-2", clean=True,
                       tls=tls.client(ca=args[1]), reconnect_ms=(200, 400))
    untrusted.start()
    try:
        await untrusted.connected(3000)
        result("untrusted", "connected")
    except remora.Timeout:
        result("untrusted", type(untrusted.last_error).__name__)
    await untrusted.disconnect()
    result("done", 1)


SCENARIOS = {
    "secure": secure,
    "burst": burst,
    "resubscribe": resubscribe,
    "garbage": garbage,
    "roundtrip": roundtrip,
    "will": will,
    "restart": restart,
    "slow": slow,
    "oversize": oversize,
    "queue": queue,
}


async def main(args):
    await SCENARIOS[args[0]](int(args[1]), args[2:])
