"""remora: an embedded application server for MicroPython boards and CPython.

The names below load their module on first use, so ``import remora`` costs
almost nothing on a board (the pattern of MicroPython's own asyncio package).

Sockets (the seed's ``ba.socket``)::

    remora.run(main, args)          run main on the dispatcher
    remora.bind(port)               a listening Socket; ``await s.accept()``
    remora.connect(host, port)      blocking connect (worker threads)
    remora.Socket().connect(...)    ``await``-able connect (tasks)
    remora.event(fn, *args)         a task on a new unconnected cosocket
    remora.udpcon(host, port)       a connected UDP socket
    remora.getsock()                the socket bound to the current task
    remora.thread_run(fn, *args)    run fn on the worker pool (ba.thread.run)
    remora.n2h / remora.h2n         big-endian integers in bytes
"""

__version__ = "0.1.0"

_lazy = {
    "run": ("dispatcher", "run"),
    "stop": ("dispatcher", "stop"),
    "wait_stopped": ("dispatcher", "wait_stopped"),
    "getsock": ("dispatcher", "getsock"),
    "Socket": ("sock", "Socket"),
    "BLOCKING": ("sock", "BLOCKING"),
    "ASYNC": ("sock", "ASYNC"),
    "COSOCKET": ("sock", "COSOCKET"),
    "connect": ("net", "connect"),
    "bind": ("net", "bind"),
    "udpcon": ("net", "udpcon"),
    "event": ("net", "event"),
    "thread_run": ("pool", "run"),
    "thread_call": ("pool", "call"),
    "n2h": ("ints", "n2h"),
    "h2n": ("ints", "h2n"),
    "sleep_ms": ("port", "sleep_ms"),
    "ticks_ms": ("port", "ticks_ms"),
    "ticks_diff": ("port", "ticks_diff"),
    "heap": ("port", "heap"),
    "RUNTIME": ("port", "RUNTIME"),
    "SocketError": ("errors", "SocketError"),
    "Timeout": ("errors", "Timeout"),
    "Closed": ("errors", "Closed"),
    "CannotConnect": ("errors", "CannotConnect"),
    "CannotResolve": ("errors", "CannotResolve"),
    "Shutdown": ("errors", "Shutdown"),
    "QueueFull": ("errors", "QueueFull"),
    "WrongMode": ("errors", "WrongMode"),
    "DispatcherBlocked": ("errors", "DispatcherBlocked"),
}


def __getattr__(name):  # type: ignore[no-untyped-def]
    entry = _lazy.get(name)
    if entry is None:
        # MicroPython resolves ``from . import sub`` through this hook before
        # it imports the submodule, so load submodules here too.
        try:
            value = __import__("remora." + name, None, None, ["_"])
        except ImportError:
            raise AttributeError(name)
        globals()[name] = value
        return value
    module = __import__("remora." + entry[0], None, None, [entry[1]])
    value = getattr(module, entry[1])
    globals()[name] = value
    return value
