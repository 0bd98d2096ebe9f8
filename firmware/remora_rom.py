"""Start-up of the simulated board: mount its ROMFS, then run a remora program.

    micropython -X heapsize=N -m remora_rom [remora.launch arguments]
    micropython -X heapsize=N -m remora_rom --module NAME [its arguments]

The second form runs any module from the image as the main program (the
benchmarks' peers), with sys.argv[1:] its arguments.

What a board's firmware does before main.py when it has a ROMFS partition
(MicroPython 1.25 and later): mount the partition at /rom and put /rom/lib
on sys.path, so imports run bytecode in place from flash.  The simulated
board has two ways to be handed its flash:

- REMORA_ROMFS_IMAGE=PATH: the 32-bit firmware (``firmware/unix``), where
  this module is frozen in, maps the image file itself with ``simflash``
  (``firmware/cmodules/simflash``), read-only and outside the heap;
- REMORA_ROMFS=address:length: the 64-bit unix port from PyPI, run inside a
  CPython process by ``python -m remora_tools.romfs``, which has mapped the
  image there; ``uctypes`` turns the address back into a buffer.

With neither (a real board, whose firmware has mounted /rom already) this
only starts the program.
"""

import os
import sys


def _flash():
    path = os.getenv("REMORA_ROMFS_IMAGE")
    if path:
        import simflash

        return simflash.map(path)
    where = os.getenv("REMORA_ROMFS")
    if where:
        import uctypes

        address, length = where.split(":")
        return uctypes.bytearray_at(int(address), int(length))
    return None


def _mount():
    flash = _flash()
    if flash is None:
        return
    import vfs

    vfs.mount(vfs.VfsRom(flash), "/rom")
    sys.path.append("/rom/lib")


_mount()
del _mount, _flash

if sys.argv[1:2] == ["--module"]:
    name = sys.argv[2]
    sys.argv[1:] = sys.argv[3:]
    __import__(name)
else:
    import remora.launch  # noqa: E402  (frozen, or in /rom/lib once /rom is mounted)

    remora.launch.main(sys.argv[1:])
