"""Where a program's code lives, run by host_tests/test_flash.py on both runtimes.

    remora run host_tests/programs/flash_probe.py SCRATCH_DIR

Prints ``RESULT key value`` lines:

- ``remora_from``: the file remora was imported from (``/rom/lib/...`` on
  MicroPython: the board's flash);
- ``heap_flash`` / ``heap_file``: the heap one module takes when imported in
  place from the flash image, and when the same ``.mpy`` is imported from a
  file (copied to SCRATCH_DIR), after a collection (MicroPython only).
"""

import gc
import sys

import remora


def result(key, value):
    print("RESULT", key, value)


def _heap_of_import(name):
    gc.collect()
    before = gc.mem_alloc()
    module = __import__(name, None, None, ["_"])
    gc.collect()
    return gc.mem_alloc() - before, module


async def main(args):
    result("remora_from", remora.__file__)
    if sys.implementation.name != "micropython":
        result("heap_flash", "none")
        return
    # The same bytecode twice: in place from flash, then copied from a file.
    # reasons holds a long str constant and a function, no imports.
    scratch = args[0]
    with open("/rom/lib/remora/http/reasons.mpy", "rb") as src:
        data = src.read()
    with open(scratch + "/flash_probe_copy.mpy", "wb") as dst:
        dst.write(data)
    # A first import interns the module's names (qstrs, which both share),
    # so the two measured imports below differ only in where the code is.
    __import__("remora.http.reasons")
    del sys.modules["remora.http.reasons"]
    flash, module = _heap_of_import("remora.http.reasons")
    sys.path.insert(0, scratch)
    copied, copy = _heap_of_import("flash_probe_copy")
    result("same_code", module.reason(404) == copy.reason(404) == "Not Found")
    result("heap_flash", flash)
    result("heap_file", copied)
