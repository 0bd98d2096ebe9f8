"""The client's outgoing queue: messages published while they cannot go out.

A message goes straight to the socket when the client is connected, nothing
waits before it, and (QoS 1 and 2) the inflight window has room.  Otherwise
it waits here, in the order published, until the connection task sends it:
while the client connects or reconnects, while the window is full (the
broker has not acknowledged ``mqtt_inflight`` messages yet), and always for
a worker thread's message (a worker never touches the connection).

The queue is bounded in bytes (topic and payload), by the board profile's
``mqtt_queue``, as a cosocket's write queue is by ``queuelen``: when it is
full a task's publish is suspended until there is room, and a worker's is
refused with :class:`~remora.errors.QueueFull` (its ``queued`` is the byte
count waiting).  A single message larger than the whole queue is taken only
from a task and only into an empty queue (the cosocket's rule for a write
larger than its queue); a worker's is refused at once.

Each entry is a list ``[topic, payload, flags, properties, waiter]``, flags
being the PUBLISH flags (QoS << 1 | RETAIN).  Workers and the dispatcher
share the queue, so every change is made under one lock (the MicroPython
unix port has no GIL); none is held across a wait.
"""

from .. import port

try:
    from typing import Any, List, Optional  # noqa: F401  (type comments)
except ImportError:
    pass


class Outbox:
    """A bounded FIFO of messages waiting to be published (see the module doc)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items = None  # type: Optional[List[Any]]  # None while empty: no list at rest
        self.queued = 0  # bytes of topics and payloads waiting
        self.lock = port.allocate_lock()

    @staticmethod
    def size(entry: "Any") -> int:
        """What an entry counts against the limit."""
        return len(entry[0]) + len(entry[1])

    def put(self, entry: "Any", from_task: bool) -> bool:
        """Queue ``entry`` behind the others; False when it does not fit."""
        size = self.size(entry)
        with self.lock:
            items = self.items
            if items is None:
                if size > self.limit and not from_task:
                    return False
                self.items = [entry]
            elif self.queued + size > self.limit:
                return False
            else:
                items.append(entry)
            self.queued += size
        return True

    def peek(self) -> "Any":
        """The oldest entry, or None."""
        with self.lock:
            items = self.items
            return items[0] if items else None

    def pop(self) -> "Any":
        """Take the oldest entry (the caller peeked it); None when empty."""
        with self.lock:
            items = self.items
            if not items:
                return None
            entry = items.pop(0)
            if not items:
                self.items = None
            self.queued -= self.size(entry)
            return entry

    def take_all(self) -> "List[Any]":
        """Empty the queue: the entries it held, for their waiters to be failed."""
        with self.lock:
            items = self.items or []
            self.items = None
            self.queued = 0
            return items

    def __len__(self) -> int:
        items = self.items
        return 0 if items is None else len(items)
