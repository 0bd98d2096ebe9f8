"""The compiled HTTP core against the Python one: one source of truth (issue 16 point 2).

remora_tools.speedups compiles the core's leaf modules with mypyc from the same sources
(built by ``make setup``, or here when the sources changed since).  The fuzz corpus
(host_tests/unit/httpcorpus.py) goes through both, whole and in pieces, with fresh limits
and with one server's memo of lines kept across cases (host_tests/programs/http_trace.py):
the events and verdicts must be the same, line for line.  The servers of
test_http_stream.py run on the compiled core and uvloop too (its ``cpython-speedups``
runtime); the Python core stays the reference everywhere else.
"""

import os
import subprocess
import sys

import harness
from remora_tools import speedups

TRACE = os.path.join(harness.REPO, "host_tests", "programs", "http_trace.py")
UNIT = os.path.join(harness.REPO, "host_tests", "unit")


def trace(path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([path, UNIT]))
    proc = subprocess.run([sys.executable, TRACE], env=env, capture_output=True, text=True,
                          timeout=300, cwd=harness.REPO)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    modules = [line for line in lines if line.startswith("module ")]
    return modules, [line for line in lines if not line.startswith("module ")]


def test_compiled_core_gives_the_same_events_and_verdicts():
    compiled, _site = speedups.build()
    plain_modules, plain = trace(harness.LIB)
    fast_modules, fast = trace(compiled)
    assert all(m.endswith(" python") for m in plain_modules), plain_modules
    for name in speedups.COMPILED:
        assert "module remora.proto.http.%s compiled" % name in fast_modules, fast_modules
    assert len(plain) == 3 * 4000
    # Both verdicts occur (the corpus refuses about three cases in four), and every line,
    # events and verdict, is the same.
    assert any("'error'" in line for line in plain) and any("'end'" in line for line in plain)
    diff = [(a, b) for a, b in zip(plain, fast) if a != b]
    assert not diff and len(plain) == len(fast), diff[:3]
