"""Bench program: the cosocket echo server of example 9, plus an in-band heap query.

    remora run bench/programs/heap_echo.py PORT

Every connection is accepted and bound to a cosocket task that echoes what it
reads (read and write both suspend), exactly as ``examples/ex09_cosocket_echo.py``.
One message is special: a read that is exactly ``HEAP\\n`` is answered with
``HEAP <alloc> <free> <rss_kib>``: ``remora.heap()`` (the GC heap after a
collection on MicroPython, ``None None`` on CPython) and the process's VmRSS in
KiB (-1 where there is no /proc).  The bench (bench/heap.py) asks on a
connection that is already open, so the query itself adds no connection.
"""

import remora


def _rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


async def echo(sock):
    while True:
        data = await sock.read()
        if not data:
            break
        if data == b"HEAP\n":
            alloc, free = remora.heap()
            data = ("HEAP %s %s %d\n" % (alloc, free, _rss_kib())).encode()
        await sock.write(data)


def _raise_nofile():
    # CPython: as many descriptors as the hard limit allows (the 10,000-connection row).
    try:
        import resource
    except ImportError:  # MicroPython
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main(args):
    _raise_nofile()
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(echo, mode=remora.COSOCKET)
