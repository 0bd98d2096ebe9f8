"""The one place that knows which runtime remora is on.

Everything that differs between MicroPython and CPython lives behind this
module: clocks, the event loop glue (waiting for a socket to become readable
or writable, waking a waiting task, thread-safe hand-off into the dispatcher),
threads, errno sets and heap figures.  Every other module imports from here
and never asks the runtime itself.

The implementation is picked once, from the interpreter's own name, never
from a version string.

On MicroPython the names are not copied in here at import (a
``from .micropython import *`` made a second table of some 70 names, about
0.6 KB of a board's heap): each is looked up in the implementation the
first time it is asked for, then kept, so only the names in use take room.
"""

import sys

TYPE_CHECKING = False  # mypy reads the CPython branch only

if not TYPE_CHECKING and sys.implementation.name == "micropython":
    from . import micropython as _impl
    from . import rawsock as _rawsock

    # mpextra.NAMES, without loading it.
    _EXTRA = ("innermost_frame", "start_thread", "poll_wait", "resolve", "connect_error")

    def __getattr__(name):  # type: ignore[no-untyped-def]
        # Also how MicroPython resolves ``from .port import tls`` before it
        # imports the submodule: so submodules load here too.
        try:
            value = getattr(_impl, name)
        except AttributeError:
            try:
                value = getattr(_rawsock, name)
            except AttributeError:
                if name in _EXTRA:
                    from . import mpextra  # off a server's path: loaded when first asked

                    value = getattr(mpextra, name)
                else:
                    try:
                        value = __import__("remora.port." + name, None, None, ["_"])
                    except ImportError as exc:
                        if name not in str(exc):
                            raise  # the submodule exists but an import inside it failed
                        raise AttributeError(name)
        try:
            globals()[name] = value
        except MemoryError:
            # No room to keep it (the first close of a flood may ask for a
            # name): looked up again next time, and the caller goes on.
            pass
        return value

else:
    from .cpython import *  # noqa: F401,F403
    from .rawsock import EINPROGRESS, IN_USE, NO_DESCRIPTORS, OTHER, REFUSED  # noqa: F401
    from .rawsock import RESET, TIMED_OUT, address_text, datagram, errno_of  # noqa: F401
    from .rawsock import error_kind, listen, start_connect, would_block  # noqa: F401
