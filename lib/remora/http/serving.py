"""An App's listening side: the accept loop and its connection cap, the
sweeper that keeps every connection's time limits, the drain on shutdown,
and the memory kept for request bodies.  ``App.serve``, ``App.shutdown``,
``App.keep_reserve`` and ``App.body_buffer`` are these functions.
"""

from .. import dispatcher, log, port
from ..errors import Shutdown, WrongMode
from .server import IDLE, OVERLOADED, refuse, serve_connection, sweep

try:
    from typing import Any
except ImportError:
    pass


def keep_reserve(app: "Any") -> None:
    """Hold one block of the body limit's size while the heap still has it.

    A long-running board heap fragments into small holes; a body needs
    one contiguous block.  The reserve keeps such a block for the next
    body (body_buffer frees it just before allocating).
    """
    if app.reserve is None:
        now = port.ticks_ms()
        if port.ticks_diff(now, app.reserve_tried) < 1000:
            return  # a failed try costs a full collection: at most one a second
        app.reserve_tried = now
        try:
            app.reserve = bytearray(app.limits.max_body)
        except MemoryError:
            pass  # no block that big now: try again later


def body_buffer(app: "Any", size: int) -> "Any":
    try:
        return bytearray(size)
    except MemoryError:
        if app.reserve is None:
            raise
    app.reserve = None  # give the reserved block back, then take it
    port.collect()
    return bytearray(size)


async def serve(app: "Any", port_number: int, host: str = "0.0.0.0", tls: "Any" = None) -> None:
    """Accept connections until the server stops (or shutdown() drains it);
    with tls (a server context), HTTPS: the listener hands out connections
    whose handshake is done (remora.tlssock)."""
    from .. import net, sock

    # Room above the cap for answering 503 to the connections beyond it.
    listener = net.bind(port_number, host, None, app.max_connections + 8, tls)
    listener.refusal = OVERLOADED  # a connection with no heap for its task
    app.listening = listener
    accepting = listener.listener()  # type: Any
    dispatcher.spawn(_sweep(app))
    app.keep_reserve()  # after every import: the heap is as full as it will be
    port.settle_heap()
    print("READY", port_number)
    try:
        while not app.draining:
            try:
                conn = await listener.accept()
            except WrongMode:
                if app.draining:
                    break  # shutdown() closed the listener
                raise
            except MemoryError:
                # Not even the accept's own coroutine fitted: the next
                # client waits in the backlog while the connections that
                # hold the heap finish (on MicroPython the pause itself
                # allocates nothing).
                port.collect()
                await port.sleep_ms(10)
                continue
            try:
                # Counted by the listener as they are accepted (this one
                # included): a burst is judged before any task has run.
                if accepting.accepted > app.max_connections:
                    refuse(conn)  # over the cap: 503, and close
                    log.refused(503, "connection cap", conn.peer)
                    continue
                # No guard: serve_connection is its own (one frame less
                # held by every connection).
                conn.event(serve_connection, app, mode=sock.COSOCKET, guard=False)
            except MemoryError:
                # This connection did not fit; the accept loop must go on.
                # The client still learns why: the listener's refusal (the
                # constant 503) goes out the way that needs no heap.
                port.collect()
                if conn.state() != sock.CLOSED:  # not refused already
                    conn.refuse()
                    conn.close()
    except Shutdown:
        return
    finally:
        listener.close()  # the refused connections that linger close too
    # Draining: in-flight responses finish, then shutdown() stops the
    # server; returning now would stop it at once.
    await dispatcher.wait_stopped()


async def _sweep(app: "Any") -> None:
    # One timer for every connection's time limits (idle, head, body),
    # checked a few times per shortest limit: no timer per read.
    accepting = app.listening.listener()  # type: Any
    tick = max(50, min(1000, min(app.idle_ms, app.head_ms, app.body_ms) // 4))
    while not app.draining:
        await port.sleep_ms(tick)
        try:
            sweep(app)
            accepting.reap()  # refused connections whose time is up
            log.flush()  # the count of refusals held back in a flood
        except MemoryError:
            port.collect()  # the sweeper must outlive a shortage: next tick


async def shutdown(app: "Any", grace_ms: int = 5000) -> None:
    """Stop accepting, let in-flight responses finish, then stop the server."""
    app.draining = True
    if app.listening is not None:
        app.listening.close()
    for watch in list(app.live.values()):
        if watch.kind == IDLE:
            watch.sock.close()  # between requests: nothing in flight
    waited = 0
    while app.connections and waited < grace_ms:
        await port.sleep_ms(20)
        waited += 20
    dispatcher.stop()
