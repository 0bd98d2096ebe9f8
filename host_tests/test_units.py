"""Run each host_tests/unit/test_*.py as a standalone script on both runtimes.

A unit file is a plain script: plain asserts, and ``PASS`` as its last line of output.
CPython runs it from source with lib/ on PYTHONPATH; MicroPython runs it on the simulated
board's firmware (32-bit, remora frozen in) with a 256 KiB heap.
"""

import os

import pytest

from harness import run_script

UNIT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit")
UNITS = sorted(
    f for f in os.listdir(UNIT_DIR) if f.startswith("test_") and f.endswith(".py")
)


@pytest.mark.parametrize("unit", UNITS, ids=[u[:-3] for u in UNITS])
def test_unit(unit, runtime):
    proc = run_script(runtime, os.path.join(UNIT_DIR, unit))
    out_lines = proc.stdout.strip().splitlines()
    report = "exit %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        proc.returncode,
        proc.stdout,
        proc.stderr,
    )
    assert proc.returncode == 0, report
    assert out_lines and out_lines[-1].strip() == "PASS", report
