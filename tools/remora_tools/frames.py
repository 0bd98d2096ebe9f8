"""Which functions MicroPython calls in a frame taken from the heap.

A call to a bytecode function keeps its frame (its locals, its value stack,
3 words for each try block it may have open, 4 stack words for each loop over
an iterator) on the C stack when that is at most 11 words; a larger frame is a
block taken from the heap for the call and given back after it (py/objfun.c,
``VM_MAX_STATE_ON_STACK``).  On the paths the dispatcher runs for every
readiness and wake-up, each such call is one more allocation, and the
allocator's search and the collections it brings cost more than the call
itself on a board's heap.  Generators and coroutines always live on the heap
and are not counted here.

::

    .venv/bin/python -m remora_tools.frames lib/remora/port/mpio.py lib/remora/sock.py

prints the functions of those files whose frame is over the limit.  The sizes
are read from the ``.mpy`` that mpy-cross makes, with the MicroPython source
tree's ``tools/mpy-tool.py`` (remora_tools.firmware.source_dir()).
"""

import os
import re
import subprocess
import sys
import tempfile
from typing import List, Tuple

from . import firmware, mpy

# Words of a frame that MicroPython keeps on the C stack (py/objfun.c).
STACK_FRAME_WORDS = 11
# Words per exception-stack entry (py/bc.h: handler, val_sp, prev_exc).
_EXC_WORDS = 3
_GENERATOR = 0x01  # MP_SCOPE_FLAG_GENERATOR

# (function name, n_state, n_exc_stack, frame words, is a generator)
Frame = Tuple[str, int, int, int, bool]


def frames(path: str) -> List[Frame]:
    """Every function of the Python file at path, with its frame's size."""
    tool = os.path.join(firmware.source_dir(), "tools", "mpy-tool.py")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "x.mpy")
        subprocess.run([mpy.mpy_cross(), "-o", out, path], check=True,
                       capture_output=True)
        text = subprocess.run([sys.executable, tool, "-d", out], check=True,
                              capture_output=True, text=True).stdout
    found = []
    name = None
    for line in text.splitlines():
        named = re.match(r"simple_name: (.*)", line)
        if named:
            name = named.group(1)
            continue
        prelude = re.match(r"\s*prelude: \((\d+), (\d+), (\d+),", line)
        if prelude and name is not None:
            n_state, n_exc, flags = (int(prelude.group(i)) for i in (1, 2, 3))
            found.append((name, n_state, n_exc, n_state + _EXC_WORDS * n_exc,
                          bool(flags & _GENERATOR)))
            name = None
    return found


def on_heap(path: str) -> List[Frame]:
    """The functions (not generators) of path whose calls take a heap block."""
    return [f for f in frames(path) if f[3] > STACK_FRAME_WORDS and not f[4]]


def main(argv: List[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    for path in argv:
        for name, n_state, n_exc, words, _gen in on_heap(path):
            print("%s: %s: %d words (n_state %d, %d try blocks)"
                  % (path, name, words, n_state, n_exc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
