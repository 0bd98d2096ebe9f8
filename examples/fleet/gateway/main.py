"""The fleet's gateway: remora on CPython, between the broker and the dashboard.

    remora serve examples/fleet/gateway --runtime cpython --port 8080 -- --broker 1883

It subscribes to every board's status, figures and acknowledgements
(``fleet/+/...``), keeps the last of each, and serves the dashboard
(``www/index.html``): a WebSocket (``/ws/fleet``) that sends the whole fleet when it
opens and then what changed, four times a second; the dashboard sends commands back on
it (``{"to": "all" or a board, "cmd": text}``), which the gateway publishes on
``fleet/all/cmd`` or ``fleet/NAME/cmd`` at QoS 1.  ``/boards`` is the same state as JSON.
"""

import json
import os

import remora
from remora import dispatcher
from remora.http import App
from remora.mqtt import Client


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


async def main(args):
    root = option(args, "--root", None) or os.getenv("REMORA_APP_DIR") or "."
    port = int(option(args, "--port", "8080"))
    broker = int(option(args, "--broker", "1883"))
    boards = {}  # name -> {"status", "figures", "ack"}
    changed = set()
    dashboards = []

    def on_message(msg):
        parts = msg.topic.split("/")
        if len(parts) != 3:
            return
        name, kind = parts[1], parts[2]
        board = boards.setdefault(name, {"status": "?", "figures": {}, "ack": ""})
        text = msg.payload.decode()
        if kind == "figures":
            try:
                board["figures"] = json.loads(text)
            except ValueError:
                return
        elif kind in ("status", "ack"):
            board[kind] = text
        changed.add(name)

    client = Client("127.0.0.1", broker, client_id="fleet-gateway", clean=True,
                    handler=on_message, reconnect_ms=(200, 2000))
    client.start()

    async def subscribe():
        await client.subscribe([("fleet/+/status", 1), ("fleet/+/figures", 0),
                                ("fleet/+/ack", 1)])

    async def push():
        # What changed, to every dashboard, four times a second.
        while True:
            await remora.sleep_ms(250)
            if not changed or not dashboards:
                changed.clear()
                continue
            text = json.dumps({"update": {name: boards[name] for name in changed}})
            changed.clear()
            for ws in list(dashboards):
                try:
                    await ws.write(text)
                except remora.SocketError:
                    pass  # that one is leaving: its own task ends it

    dispatcher.spawn(subscribe())
    dispatcher.spawn(push())

    app = App(root)
    app.static("/", "www")

    @app.route("/boards")
    async def all_boards(req):
        return boards

    @app.websocket("/ws/fleet")
    async def fleet(ws):
        dashboards.append(ws)
        try:
            await ws.write(json.dumps({"boards": boards}))
            while True:
                message = await ws.receive()
                if message is None:
                    return
                try:
                    order = json.loads(message)
                    to, cmd = str(order["to"]), str(order["cmd"])
                except (ValueError, KeyError, TypeError):
                    await ws.write(json.dumps({"error": "send {\"to\": ..., \"cmd\": ...}"}))
                    continue
                if to != "all" and to not in boards:
                    await ws.write(json.dumps({"error": "no board %s" % to}))
                    continue
                await client.publish("fleet/%s/cmd" % to, cmd, 1)
        finally:
            dashboards.remove(ws)

    await app.serve(port)
