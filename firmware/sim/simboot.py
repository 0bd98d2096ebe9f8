"""The simulated board's reset sequence (``remora sim``), frozen into the unix firmware.

    REMORA_SIM_FLASH=DIR [REMORA_SIM_FLASH_BYTES=N] [REMORA_SIM_RAW=1] MICROPYPATH=.frozen:/lib \\
        micropython-unix32-HASH -X heapsize=HEAP -m simboot

What a board's firmware does after every reset (MicroPython's ports/esp32/main.c and
ports/rp2/main.c): mount the flash filesystem at ``/``, run ``boot.py``, then ``main.py``
unless the REPL was in raw mode (a soft reset from mpremote's raw REPL must not start the
application), then the REPL until a soft reset.  The board's console is the simulator's pipe
(``simboard``, firmware/cmodules/simboard).

The unix port cannot reset itself, so a reset ends this process and the simulator
(tools/remora_tools/sim.py) starts it again.  The exit status says how:

- SOFT (64) or SOFT_RAW (65): a soft reset (Ctrl-D at the REPL, ``sys.exit()``,
  ``machine.soft_reset()``), with the REPL mode to come back in;
- simboard.HARD_RESET (66): ``machine.reset()`` (the simulator starts the board as after
  power-on: friendly REPL, ``main.py`` runs).
"""

import os
import sys

import simboard

SOFT = 64
SOFT_RAW = 65


def _mount(root, size):
    """Make the host folder root the board's filesystem at ``/``, as its flash would be."""
    import simflashfs
    import vfs

    fs = simflashfs.Flash(root, int(size) if size else None)
    vfs.umount("/")
    vfs.mount(fs, "/")
    os.chdir("/")


def _run(path):
    try:
        return simboard.run(path)
    except KeyboardInterrupt:  # a Ctrl-C meant for code that had just ended
        return simboard.NORMAL_EXIT


def _reset_sequence():
    _mount(os.getenv("REMORA_SIM_FLASH") or ".", os.getenv("REMORA_SIM_FLASH_BYTES"))
    import simmachine

    # machine.reset() and friends on this board (the built-in machine module of the unix
    # port has no reset); only this process sees the substitute.
    sys.modules["machine"] = simmachine
    simboard.console()
    raw = os.getenv("REMORA_SIM_RAW") == "1"
    forced = simboard.FORCED_EXIT
    if _run("boot.py") & forced:
        return raw
    if not raw and _run("main.py") & forced:
        return raw
    return simboard.repl(raw)


sys.exit(SOFT_RAW if _reset_sequence() else SOFT)
