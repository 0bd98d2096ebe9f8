"""A board of the fleet: remora.mqtt on the simulated ESP32, publishing the demo's figures.

    remora run examples/fleet/board.py --board esp32 BROKER_PORT NAME

Every second it publishes its figures (the demo's ``/stats``: heap in use and free, open
sockets, uptime) to ``fleet/NAME/figures`` at QoS 0; it says ``online`` on
``fleet/NAME/status`` (retained) after every connection, and the broker says ``offline``
for it (its will) when it dies.  Commands come on ``fleet/NAME/cmd`` and ``fleet/all/cmd``
(QoS 1); each is answered on ``fleet/NAME/ack`` (QoS 1) with the command's text.  The
session persists (the client id is NAME): a board that restarts keeps its subscriptions,
and commands sent meanwhile come when it is back.
"""

import json

import remora
from remora.mqtt import Client, Will


async def main(args):
    port, name = int(args[0]), args[1]
    base = "fleet/" + name
    started = remora.ticks_ms()
    commands = []  # received, not answered yet

    def on_message(msg):
        # On the dispatcher, in the client's reading: note it and return at once (a
        # handler that published at QoS 1 and waited for the window would wait for its
        # own reading).
        commands.append(msg.payload.decode())

    client = Client("127.0.0.1", port, client_id=name, keepalive_s=10,
                    reconnect_ms=(200, 5000), handler=on_message,
                    will=Will(base + "/status", b"offline", 1, True))
    client.start()
    await client.subscribe([(base + "/cmd", 1), ("fleet/all/cmd", 1)])
    announced = -1  # the connection count "online" was said for
    tick = 0
    while True:
        if client.is_connected and announced != client.reconnects:
            announced = client.reconnects
            await client.publish(base + "/status", "online", 1, retain=True)
        while commands:
            await client.publish(base + "/ack", commands.pop(0), 1)
        if tick % 4 == 0:
            alloc, free = remora.heap()
            figures = {
                "runtime": remora.RUNTIME,
                "heap_alloc": alloc,
                "heap_free": free,
                "sockets": remora.dispatcher.open_sockets(),
                "uptime_s": remora.ticks_diff(remora.ticks_ms(), started) // 1000,
                "reconnects": client.reconnects,
            }
            await client.publish(base + "/figures", json.dumps(figures), 0)
        tick += 1
        await remora.sleep_ms(250)
