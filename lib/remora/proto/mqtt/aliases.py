"""Topic Aliases (MQTT 5.0 §3.3.2.3.4): a two-byte number standing for a topic
name within one network connection, in each direction.

"A Topic Alias is an integer value that is used to identify the Topic
instead of using the Topic Name.  This reduces the size of the PUBLISH
packet"; the sender sets a mapping by sending the topic with the alias, and
then may send an empty topic with the alias alone.  Mappings "exist only
within a Network Connection": both tables are dropped by ``connect()``, and
a message re-sent after a reconnect always carries its full topic.

Ours (towards the server): at most ``aliases_out`` of them, within the
server's Topic Alias Maximum (§3.2.2.3.8; "A Client MUST NOT send a Topic
Alias greater than" it [MQTT-3.3.2-9]).  The first topics published take
them in turn and keep them; later topics go out in full (no eviction: a
board publishes to a handful of topics, and a fixed mapping costs nothing to
decide).

Theirs (from the server): at most our Topic Alias Maximum
(``topic_alias_max``, §3.1.2.11.5), a table of that many slots made on the
first alias received.  An alias of 0 or above our maximum is 0x94 Topic
Alias invalid [MQTT-3.3.2-8, -10]; an empty topic with an alias not set yet
is a Protocol Error.

Each table is a list of topic strings, alias n at index n - 1, held by
:class:`Aliases`, a base class of the Connection (``_aliases`` ours,
``_alias_in`` theirs); None until the first alias.
"""

from . import encode
from .events import RemoteProtocolError
from .wire import u16

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional  # noqa: F401  (type comments)

_TOPIC_ALIAS = const(0x23)  # the property (.props), also written as its byte below


class Aliases:
    """The Topic Alias tables of a Connection (a base class, never made alone)."""

    if TYPE_CHECKING:
        # What the Connection (core.py) sets and has; named for the type checker.
        aliases_out = 0
        topic_alias_max = 0
        their_alias_max = 0

        def _check_size(self, data: bytes) -> None: ...

    def _fresh_aliases(self) -> None:
        # 5.0 §3.3.2.3.4: mappings "exist only within a Network Connection".
        self._aliases = None  # type: Optional[List[str]]  # ours: alias n is [n - 1]
        self._alias_in = None  # type: Optional[List[Any]]  # theirs, likewise

    def _alias_publish(
        self, topic: str, payload: bytes, flags: int, pid: int, body: "Any"
    ) -> bytes:
        # Our PUBLISH of ``topic`` (see .encode.publish), with a Topic Alias
        # where one applies; a new alias is noted once the packet passed
        # ``_check_size`` (the server's Maximum Packet Size), the last check
        # before it is sure to go.
        alias = self._choose_alias(topic)
        send_topic = topic
        if alias < 0:
            send_topic = ""  # known: the alias alone stands for the topic
            alias = -alias
        if alias:
            body = (body or b"") + b"\x23" + u16(alias)
        data = encode.publish(send_topic, payload, flags, pid, body)
        self._check_size(data)
        if alias and send_topic:
            # A new alias: the server learns it from this packet.
            if self._aliases is None:
                self._aliases = [topic]
            else:
                self._aliases.append(topic)
        return data

    def _choose_alias(self, topic: str) -> int:
        # Our Topic Alias for ``topic``: negative when the server knows it
        # already (send the alias alone), positive for a new one (send the
        # topic with it), 0 for none.
        limit = min(self.aliases_out, self.their_alias_max)
        if not limit:
            return 0
        table = self._aliases
        if table is None:
            return 1
        for i in range(len(table)):
            if table[i] == topic:
                return -(i + 1)
        return len(table) + 1 if len(table) < limit else 0

    def _resolve_alias(self, msg: "Any") -> None:
        # Apply a received PUBLISH's Topic Alias: note the mapping it sets,
        # or put the topic it stands for into ``msg.topic``.
        alias = msg.properties.get(_TOPIC_ALIAS)
        if alias is None:
            return
        if not 0 < alias <= self.topic_alias_max:
            raise RemoteProtocolError("invalid topic alias %d" % alias, 0x94)
        table = self._alias_in
        if table is None:
            table = self._alias_in = [None] * self.topic_alias_max
        if msg.topic:
            table[alias - 1] = msg.topic
        elif table[alias - 1] is None:
            raise RemoteProtocolError("topic alias %d not set" % alias, 0x82)
        else:
            msg.topic = table[alias - 1]
