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
    remora.tls                      TLS contexts: bind/connect(..., tls=ctx), upgrade
    remora.getsock()                the socket bound to the current task
    remora.failures()               what tasks raised that remora caught, counted
    remora.thread_run(fn, *args)    run fn on the worker pool (ba.thread.run)
    remora.n2h / remora.h2n         big-endian integers in bytes
"""

__version__ = "0.1.0"

# Where each public name lives: "module:name name ...", one string, because
# a table of tuples would cost a board a few KiB of heap for nothing.
_WHERE = (
    "dispatcher:run stop wait_stopped getsock failures|"
    "sock:Socket BLOCKING ASYNC COSOCKET|"
    "net:connect bind udpcon event|"
    "pool:thread_run thread_call|"
    "ints:n2h h2n|"
    "port:sleep_ms ticks_ms ticks_diff ticks_add heap RUNTIME|"
    "errors:SocketError Timeout Closed CannotConnect CannotResolve Shutdown QueueFull "
    "WrongMode DispatcherBlocked TLSError NotTrusted WrongName HandshakeFailed"
)
_RENAMED = {"thread_run": "run", "thread_call": "call"}


def lazy(package, where, renamed, name, namespace):  # type: ignore[no-untyped-def]
    """Load the public name ``name`` of package on first use (module __getattr__).

    where is "module:name name|module:name ..."; renamed maps a public name
    to its name in the module.  Shared by remora, remora.http, remora.pages.
    """
    for group in where.split("|"):
        colon = group.find(":")
        if name in group[colon + 1 :].split():
            module = __import__(package + "." + group[:colon], None, None, ["_"])
            value = getattr(module, renamed.get(name, name) if renamed else name)
            namespace[name] = value
            return value
    # MicroPython resolves ``from . import sub`` through this hook before it
    # imports the submodule, so load submodules here too.
    try:
        value = __import__(package + "." + name, None, None, ["_"])
    except ImportError as exc:
        if name not in str(exc):
            raise  # the submodule exists but an import inside it failed
        raise AttributeError(name)
    namespace[name] = value
    return value


def __getattr__(name):  # type: ignore[no-untyped-def]
    return lazy("remora", _WHERE, _RENAMED, name, globals())
