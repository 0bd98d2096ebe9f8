"""MQTT: a client on cosockets that reconnects by itself (MQTT 5.0 and 3.1.1).

Names load their module on first use, as in the top-level package::

    from remora.mqtt import Client, Will

    client = Client("mqtt://127.0.0.1:1883", client_id="board-7",
                    will=Will("boards/board-7/status", b"gone", 1, True))
    client.start()                                    # connects in the background
    await client.subscribe("boards/board-7/cmd/#", 1) # -> [granted QoS]
    await client.publish("boards/board-7/temp", b"21.5", qos=1)
    async for msg in client.messages():               # or Client(..., handler=fn)
        print(msg.topic, msg.payload)

* ``client``: :class:`Client`, the API (publish, subscribe, unsubscribe,
  messages, connected, disconnect), each call awaitable in a task and
  blocking on a worker thread.
* ``link``: the connection task: connect, read, keep alive, reconnect with
  back-off and jitter, resubscribe, resend; ``subscribing``: (UN)SUBSCRIBE
  requests and their answers; ``writer``: every packet written, the QoS 0
  fast path (gathered sends), the outgoing queue's drainer.
* ``outbox``: the bounded outgoing queue; ``waiter``: waiting for answers,
  from tasks and threads.
* ``Will`` and ``Message`` are the sans-IO core's (``remora.proto.mqtt``).
"""

from remora import lazy as _lazy

_WHERE = "client:Client parse_server|outbox:Outbox|waiter:Waiter"
_CORE = "remora.proto.mqtt"


def __getattr__(name):  # type: ignore[no-untyped-def]
    if name == "Will" or name == "Message":
        return _lazy(_CORE, "events:Will Message", None, name, globals())
    return _lazy("remora.mqtt", _WHERE, None, name, globals())
