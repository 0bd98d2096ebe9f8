# MicroPython side of the port layer: what a server's own path never calls,
# loaded at the first use of one of its names (port/__init__.py): a worker
# thread's start and its blocking waits, a client's name resolution and
# connect, the frame an exception came from (error pages).  On a board each
# function takes heap once loaded; a server that starts no worker and
# connects nowhere never loads these.

import errno
import select
import sys

import _thread

from .micropython import getaddrinfo
from .rawsock import errno_of

_EISCONN = getattr(errno, "EISCONN", 106)  # 106 on Linux and in lwIP

# Its names are listed in port/__init__.py (_EXTRA).


def innermost_frame(exc):
    """(file name, line) where exc was raised, or None.  MicroPython keeps
    no traceback objects: its printed traceback's last "File" line says it."""
    import io

    buf = io.StringIO()
    sys.print_exception(exc, buf)
    found = None
    for text in buf.getvalue().split("\n"):
        text = text.strip()
        if text.startswith('File "'):
            end = text.find('"', 6)
            at = text.find("line ", end)
            if end > 0 and at > 0:
                digits = text[at + 5 :].split(",")[0].strip()
                if digits.isdigit():
                    found = (text[6:end], int(digits))
    return found


# On the unix port a worker thread also runs libc code (the resolver needs
# tens of KiB of stack), so a board's small stack size would crash it there.
_UNIX = sys.platform in ("linux", "darwin")


def start_thread(fn, args, stack_bytes=0):
    if stack_bytes and not _UNIX:
        _thread.stack_size(stack_bytes)
    _thread.start_new_thread(fn, args)


# ---------------------------------------------------------------------------
# Blocking waits for worker threads: a private poll object per call.


def poll_wait(sock, writing, timeout_ms):
    p = select.poll()
    p.register(sock, select.POLLOUT if writing else select.POLLIN)
    try:
        return bool(p.poll(-1 if timeout_ms is None else timeout_ms))
    finally:
        p.unregister(sock)


async def resolve(host, port, udp):
    # No asynchronous resolver here: a name blocks the dispatcher (see
    # micropython.getaddrinfo).
    return getaddrinfo(host, port, udp)


def connect_error(sock, addr):
    """After a non-blocking connect reports writable: 0 when connected,
    EINPROGRESS when still pending, else the errno of the failure.  There is
    no getsockopt(SO_ERROR) here, so connect again: the kernel (or lwIP)
    answers EISCONN once connected, else the pending error."""
    try:
        sock.connect(addr)
        return 0
    except OSError as exc:
        code = errno_of(exc)
        if code == _EISCONN:
            return 0
        if code in (errno.EINPROGRESS, errno.EALREADY):
            return errno.EINPROGRESS
        return code or errno.ECONNREFUSED
