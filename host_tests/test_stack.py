"""What importing remora costs a board's C stack.

Every nested import holds C stack (the import machinery's frames and a path
buffer, MICROPY_ALLOC_PATH_MAX bytes: 512 on a board and on the simulated
board, firmware/unix/board_config.h), and a board has little of it: an
ESP32's MicroPython task has 16 KiB, with a margin kept back.  A chain of
imports too deep for that fails with "maximum recursion depth exceeded",
on the board only if nowhere else.  Here each service's entry module is
imported from scratch with only BOARD_STACK bytes of the simulated board's
stack left over, and must load.
"""

import os
import subprocess

import pytest

import harness

BOARD_STACK = 14 * 1024  # an ESP32's 16 KiB task stack, less a margin and the REPL's frames
MAIN_STACK = 40000  # the unix port's stack limit on its main thread (32-bit: ports/unix/main.c)

PROBE = """
import sys, micropython
budget, name = int(sys.argv[1]), sys.argv[2]
def spend():
    # Recurse until only the budget is left, then import.
    if micropython.stack_use() < %d - budget:
        return spend()
    __import__(name)
    return micropython.stack_use()
print("imported", name, spend())
""" % MAIN_STACK


@pytest.mark.parametrize("module", [
    "remora.http.app", "remora.ws.websocket", "remora.httpc.client", "remora.mqtt.client",
])
def test_import_fits_a_boards_stack(module, tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    proc = subprocess.run(
        [harness.firmware(), "-X", "heapsize=2m", str(script), str(BOARD_STACK), module],
        cwd=str(tmp_path), env=dict(os.environ, MICROPYPATH=".frozen"),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("imported"), (
        "%s does not import in %d bytes of C stack:\n%s%s"
        % (module, BOARD_STACK, proc.stdout, proc.stderr))
