"""Baseline of the heap-after-import rows: the interpreter with only asyncio imported.

Not a remora program: the driver runs it from a ROMFS image of its own, the way it runs the
peers (``-m remora_rom --module bare_heap``), so the figure includes what the launcher and
the mounted image cost.  Prints ``HEAP <alloc> <free>`` (after ``gc.collect()``) and exits.
"""

import gc

import asyncio  # noqa: F401  (the module is the point: every server imports it)

gc.collect()
print("HEAP", gc.mem_alloc(), gc.mem_free())
