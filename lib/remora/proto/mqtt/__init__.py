"""MQTT client core, sans-IO: MQTT 3.1.1 (OASIS standard, protocol level 4) and
MQTT 5.0 (protocol level 5).  Bytes in, events out; calls in, bytes out.  No
sockets, clocks or threads; nothing of remora outside this package.

Importing the package loads nothing: import the modules.

* ``core``: :class:`~.core.Connection`, the API below.
* ``events``: the events, NEED_DATA, the errors, Will.
* ``props``: property identifiers (``props.SESSION_EXPIRY_INTERVAL`` ...).
* ``encode``: subscription options (NO_LOCAL, RETAIN_AS_PUBLISHED,
  RETAIN_SEND_IF_NEW, RETAIN_DONT_SEND) and the packet encoders.
* ``topics``: ``matches(filter, name)``, ``valid_name``, ``valid_filter``,
  ``split_shared`` (§4.7, §4.8.2).
* ``reasons``: named reason codes and ``name(code)`` for logs (loaded only
  on demand).
* inside: ``wire`` (primitives), ``decode`` (packets in), ``receive``
  (reading and acting: ``Receiver``, a base class of Connection),
  ``session`` (inflight, QoS flows, resend), ``aliases`` (Topic Aliases:
  ``Aliases``, the other base class), ``state`` (the state machine).
  No module reads another's underscore names: the session queues its
  packets through ``conn.queue_out(data)``.

The API::

    conn = Connection(version=4, max_packet=4096, max_inflight=8,
                      receive_max=20, topic_alias_max=0, aliases_out=0)
    conn.connect(client_id, clean=True, keepalive_s=60, will=None,
                 username=None, password=None, properties=None) -> bytes
    conn.publish(topic, payload=b"", qos=0, retain=False,
                 properties=None) -> (packet_id or None, bytes)
    conn.subscribe([(filter, options), ...], properties=None) -> (packet_id, bytes)
    conn.unsubscribe([filter, ...], properties=None) -> (packet_id, bytes)
    conn.ping() -> bytes
    conn.keepalive_due(since_sent_ms, since_received_ms) -> KEEPALIVE_IDLE,
                                           KEEPALIVE_PING or KEEPALIVE_TIMEOUT
    conn.disconnect(reason=0, properties=None) -> bytes
    conn.auth(reason=0x18, properties=None) -> bytes          (5.0)
    conn.resend() -> [bytes, ...]         after every successful ConnAck
    conn.inflight_room() -> int           QoS 1/2 publishes allowed now
    conn.receive_data(data)               b"" at EOF
    conn.next_event() -> event or NEED_DATA
    conn.data_to_send() -> bytes          the core's own packets
    conn.close()                          the driver lost the connection
    conn.session.clear() -> [packet_id, ...]   discard the session (optional)

Read-only: ``conn.state`` (IDLE, CONNECTING, CONNECTED, CLOSED),
``conn.keepalive_s`` (in force), ``conn.their_max_packet``,
``conn.their_receive_max``, ``conn.their_alias_max`` (the server's limits
from its CONNACK), ``conn.session.inflight()``.

Events (``events``): ConnAck(session_present, reason, properties),
Message(topic, payload, qos, retain, dup, packet_id, properties),
PubAck(packet_id, reason, properties) for our QoS 1, PubComp(packet_id,
reason, properties) for our QoS 2, SubAck(packet_id, reasons, properties),
UnsubAck(packet_id, reasons, properties), PingResp(), Disconnect(reason,
properties) from a 5.0 server, Auth(reason, properties), and
ConnectionClosed(reason, message), which ends every connection.

Errors: LocalProtocolError (our misuse: nothing was sent, the connection
goes on) and its subclass InflightFull (the window is full).  Nothing the
server sends raises: a malformed packet, a protocol error, a packet over
``max_packet`` becomes ConnectionClosed with the reason (0x81, 0x82, 0x93,
0x94, 0x95), and under 5.0 the DISCONNECT saying so waits in
``data_to_send()``.

A cosocket driver's duty:

1. Connect: open the socket, send ``conn.connect(...)``.  Read and feed
   ``receive_data`` until ``next_event()`` gives the ConnAck.  ``reason`` != 0:
   refused, close.  Otherwise send every packet of ``conn.resend()`` (with a
   session present: unacknowledged PUBLISHes with DUP and PUBRELs, in their
   original order; without: the same messages published anew) before
   anything else.  ``conn.keepalive_s`` is the Keep Alive in force (a 5.0
   server may have replaced ours).
   A message the new server's Maximum Packet Size refuses is not re-sent:
   its PubAck/PubComp comes from ``next_event()`` with reason 0x95.  To
   discard the session instead (the letter of a clean start), call
   ``conn.session.clear()`` before ``connect()`` and fail the ids it returns.
2. Read loop: feed each read to ``receive_data`` (``b""`` at EOF), then call
   ``next_event()`` until NEED_DATA, and after each batch send
   ``data_to_send()`` (acknowledgements, PUBRELs, resends the window let go,
   a DISCONNECT on a violation).  Message: hand it to the application (its
   PUBACK/PUBREC is already queued; a duplicate QoS 2 is never returned).
   PubAck/PubComp: wake the publisher waiting on that packet id, and any
   writer waiting for room.  SubAck/UnsubAck: wake that subscriber.
   ConnectionClosed: send ``data_to_send()`` if any, close the socket, fail
   the waiters of subscribes (they are not resent), keep the publishers
   waiting (their messages are in the session), and reconnect if wanted.
3. Keep alive: on a timer (say a tenth of ``keepalive_s``), call
   ``keepalive_due(ms since the last send, ms since the last receive)``:
   KEEPALIVE_PING, send ``conn.ping()``; KEEPALIVE_TIMEOUT, close and
   reconnect (also said when no CONNACK came within a Keep Alive period).
   The clock is the driver's, never the core's.
4. Inflight window full: before a QoS 1/2 publish check
   ``inflight_room()``; at 0 (or on InflightFull) suspend the publishing task
   until a PubAck/PubComp (a cosocket write would block likewise), or refuse
   a non-task caller.  QoS 0 publishes never wait for the window.
5. Reconnect: on the same Connection, ``connect()`` on the new socket; the
   session carries over (use ``clean=False``, and under 5.0 a Session
   Expiry Interval, for the server to keep its side).
6. Disconnect: send ``conn.disconnect()``, then close the socket.

Heap: the core keeps ints and empty constants at rest (an idle connected
client is 240 bytes on a 32-bit board); every buffer and table is made when
needed, dropped when empty, and bounded by a limit given to the Connection
(the board profile's).  The modules cost about 8 KB once, frozen.
"""
