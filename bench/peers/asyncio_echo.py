"""Benchmark peer: a plain asyncio echo server built on ``asyncio.start_server`` streams.

The same file runs on both runtimes, without remora:

    python bench/peers/asyncio_echo.py PORT [READ_SIZE] [BACKLOG]           # CPython
    MICROPYPATH=.frozen REMORA_ROMFS_IMAGE=IMAGE FIRMWARE \\
        -X heapsize=N -m remora_rom --module asyncio_echo PORT [READ_SIZE] [BACKLOG]  # MicroPython

On MicroPython (FIRMWARE: the bench's, bench/servers.py) it runs as remora programs do: from
``asyncio_echo.mpy`` (``/rom/lib``) in the simulated flash image, in place as from a board's
flash (``servers.rom_argv``).

It prints ``READY <port>`` once listening.  Like the remora bench program
(``bench/programs/heap_echo.py``) it echoes everything, except a read that is
exactly ``HEAP\\n``: that one is answered with ``HEAP <alloc> <free> <rss_kib>``
(the GC heap after a collection on MicroPython, ``None`` on CPython; the
process's VmRSS in KiB, -1 where there is no /proc).
"""

import gc
import sys

import asyncio

_SIZE = [1024]


def _heap():
    gc.collect()
    try:
        return gc.mem_alloc(), gc.mem_free()
    except AttributeError:  # CPython
        return None, None


def _rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


async def _echo(reader, writer):
    try:
        while True:
            data = await reader.read(_SIZE[0])
            if not data:
                break
            if data == b"HEAP\n":
                alloc, free = _heap()
                data = ("HEAP %s %s %d\n" % (alloc, free, _rss_kib())).encode()
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        try:
            writer.close()
            await writer.wait_closed()
        except OSError:
            pass


async def _main(port, backlog):
    await asyncio.start_server(_echo, "0.0.0.0", port, backlog=backlog)
    print("READY", port)
    while True:
        await asyncio.sleep(3600)


def main(argv):
    port = int(argv[0])
    if len(argv) > 1:
        _SIZE[0] = int(argv[1])
    backlog = int(argv[2]) if len(argv) > 2 else 5
    try:
        asyncio.run(_main(port, backlog))
    except KeyboardInterrupt:
        pass


main(sys.argv[1:])
