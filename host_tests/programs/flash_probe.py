"""Where a program's code lives, run by host_tests/test_flash.py on every runtime.

    remora run host_tests/programs/flash_probe.py SCRATCH_DIR

Prints ``RESULT key value`` lines:

- ``remora_from``: the file remora was imported from (frozen into the
  firmware, ``remora/__init__.py``, on the simulated board; ``/rom/lib/...``,
  the board's flash, on the 64-bit port; lib/ on CPython);
- ``prog_from``: the file the program's own module came from (``/rom/prog``
  on MicroPython: the application lives in the board's flash);
- ``heap_flash`` / ``heap_file``: the heap that module takes when imported in
  place from the flash image, and when the same ``.mpy`` is imported from a
  file (copied to SCRATCH_DIR), after a collection (MicroPython only).
"""

import gc
import sys

import flash_probe_blob  # the program's own module (compiled into its flash image)
import remora


def result(key, value):
    print("RESULT", key, value)


def _heap_of_import(name):
    gc.collect()
    before = gc.mem_alloc()
    module = __import__(name)
    gc.collect()
    return gc.mem_alloc() - before, module


async def main(args):
    result("remora_from", remora.__file__)
    result("prog_from", flash_probe_blob.__file__)
    if sys.implementation.name != "micropython":
        result("heap_flash", "none")
        return
    # The same bytecode twice: in place from flash, then copied from a file.
    scratch = args[0]
    with open(flash_probe_blob.__file__, "rb") as src:
        data = src.read()
    with open(scratch + "/flash_probe_copy.mpy", "wb") as dst:
        dst.write(data)
    # The first import (above) interned the module's names (qstrs, which both
    # share), so the two measured imports differ only in where the code is.
    del sys.modules["flash_probe_blob"]
    flash, module = _heap_of_import("flash_probe_blob")
    sys.path.insert(0, scratch)
    copied, copy = _heap_of_import("flash_probe_copy")
    result("same_code", module.reason(404) == copy.reason(404) == "Not Found")
    result("heap_flash", flash)
    result("heap_file", copied)
