"""``machine`` on the simulated board: the unix port's module plus the resets a board has.

``simboot`` puts this module in ``sys.modules["machine"]``; everything else is the built-in
``machine`` (imported with an empty ``sys.path``, which makes MicroPython skip the
filesystem and frozen modules and take the built-in: py/builtinimport.c).
"""

import sys

import simboard

_path = sys.path
sys.path = []
try:
    from machine import *  # noqa: F401,F403
finally:
    sys.path = _path
del _path


def reset():
    """Hard reset: the board restarts as after power-on (boot.py, then main.py)."""
    simboard.reset()


def soft_reset():
    """Soft reset: as Ctrl-D at the REPL."""
    raise SystemExit


def reset_cause():
    return 1  # PWRON_RESET: the simulator cannot tell one start from another
