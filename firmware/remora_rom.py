"""Start-up of the simulated board: mount its ROMFS, then run a remora program.

    micropython -X heapsize=N -m remora_rom [remora.launch arguments]
    micropython -X heapsize=N -m remora_rom --module NAME [its arguments]

The second form runs any module from the image as the main program (the
benchmarks' peers), with sys.argv[1:] its arguments.

What a board's firmware does before main.py when it has a ROMFS partition
(MicroPython 1.25 and later): mount the partition at /rom and put /rom/lib
on sys.path, so imports run bytecode in place from flash.  On the unix port
``python -m remora_tools.romfs`` maps the image and names it in
REMORA_ROMFS ("address:length").  Without REMORA_ROMFS (a real board, whose
firmware has mounted /rom already) this only starts the program.
"""

import os
import sys


def _mount():
    where = os.getenv("REMORA_ROMFS")
    if not where:
        return
    import uctypes
    import vfs

    address, length = where.split(":")
    flash = uctypes.bytearray_at(int(address), int(length))
    vfs.mount(vfs.VfsRom(flash), "/rom")
    sys.path.append("/rom/lib")


_mount()
del _mount

if sys.argv[1:2] == ["--module"]:
    name = sys.argv[2]
    sys.argv[1:] = sys.argv[3:]
    __import__(name)
else:
    import remora.launch  # noqa: E402  (only importable once /rom is mounted)

    remora.launch.main(sys.argv[1:])
