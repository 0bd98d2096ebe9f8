"""Shared fixtures: the two runtimes, the board, and the program factory.

Every test that takes ``runtime`` (directly or through ``program``) runs twice, with ids
``[cpython]`` and ``[micropython]``.  ``micropython`` is the simulated board: the 32-bit
firmware with remora frozen in (tools/remora_tools/firmware.py), built or rebuilt before
the first MicroPython test of a session when lib/remora, firmware/ or its recipe changed.
A test that needs the 64-bit unix port from PyPI names ``micropython64`` itself.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
for _p in (os.path.join(REPO, "tools"), os.path.join(REPO, "lib"), HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import harness  # noqa: E402

harness.install_test_boards()

RUNTIMES = ("cpython", "micropython")


@pytest.fixture(params=RUNTIMES, ids=RUNTIMES)
def runtime(request):
    """The runtime a test's programs run on: "cpython" or "micropython"."""
    if request.param == "micropython":
        request.getfixturevalue("board_firmware")
    return request.param


@pytest.fixture(scope="session")
def board_firmware():
    """The simulated board's firmware, current with lib/remora (built once per session)."""
    return harness.firmware()


@pytest.fixture
def board():
    """Board profile for scenario tests.  Its limits apply on both runtimes; MicroPython also
    gets its heap.  Override in a test module with its own ``board`` fixture."""
    return harness.DEFAULT_BOARD


@pytest.fixture(scope="session")
def mpy_lib():
    """lib/remora compiled to .mpy once per session; the folder to put on MICROPYPATH
    (the ``micropython64`` runtime, whose firmware has no remora frozen in)."""
    return harness.compile_lib()


@pytest.fixture
def program(runtime, board):
    """Factory: ``program(path, *args, board=None) -> harness.Program`` (started).

    Every program started through it is stopped at teardown.
    """
    started = []

    def start(path, *args, board=board, **kw):
        prog = harness.Program(runtime, path, *args, board=board, **kw)
        started.append(prog)
        return prog

    yield start
    for prog in started:
        prog.stop()

# Unit scripts run as subprocesses on both runtimes (test_units.py); apps and
# programs are what the tests start.  None of them is a pytest module.
collect_ignore = ["unit", "apps", "programs"]
