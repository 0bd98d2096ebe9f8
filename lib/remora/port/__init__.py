"""The one place that knows which runtime remora is on.

Everything that differs between MicroPython and CPython lives behind this
module: clocks, the event loop glue (waiting for a socket to become readable
or writable, waking a waiting task, thread-safe hand-off into the dispatcher),
threads, errno sets and heap figures.  Every other module imports from here
and never asks the runtime itself.

The implementation is picked once, from the interpreter's own name, never
from a version string.
"""

import sys

if sys.implementation.name == "micropython":
    from .micropython import *  # noqa: F401,F403
else:
    from .cpython import *  # noqa: F401,F403
from .rawsock import EINPROGRESS, IN_USE, NO_DESCRIPTORS, OTHER, REFUSED, RESET, TIMED_OUT  # noqa: F401
from .rawsock import address_text, datagram, errno_of, error_kind, listen, start_connect  # noqa: F401
from .rawsock import would_block  # noqa: F401
