"""Shared fixtures: the two runtimes, the board, and the program factory.

Every test that takes ``runtime`` (directly or through ``program``) runs twice, with ids
``[cpython]`` and ``[micropython]``.
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
    return request.param


@pytest.fixture
def board():
    """Board profile for scenario tests.  Its limits apply on both runtimes; MicroPython also
    gets its heap.  Override in a test module with its own ``board`` fixture."""
    return harness.DEFAULT_BOARD


@pytest.fixture(scope="session")
def mpy_lib():
    """lib/remora compiled to .mpy once per session; the folder to put on MICROPYPATH."""
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
