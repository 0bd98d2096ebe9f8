"""Is one revision of remora slower than another?  The echo and HTTP rows, side by side.

    .venv/bin/python -m bench.compare --base 52a9049 [--head HEAD] [--rounds 8]

Not a part of ``make bench``: a check to run after a change that should not cost speed.
Each revision is a ``git worktree`` in /tmp (made once, detached; ``--head .`` takes this
working tree as it is), with a build folder of its own.  The servers of both start the way
that revision's ``remora run`` starts them (its own ``remora_tools.runtimes.command``, its own
lib/remora), run the same program files (this tree's examples/ex09_cosocket_echo.py and
bench/programs/http_hello.py) with the same board profiles (this tree's boards/), and are
measured by the same client (bench/echo.py, bench/http_rate.py).  Both servers of a
workload run at once and the rounds alternate between them, base-head then head-base, so
load from elsewhere and drift hit both alike.  Two rows per workload: the rate, and the
server's CPU time per round trip or request (user + system, /proc), which load from other
processes disturbs less; each figure is the ratio head/base of the medians, and the notes
give every round's ratio, the spread that says what is noise.

Runtimes: CPython, and MicroPython's 64-bit unix port from PyPI, the one MicroPython both
sides have (``micropython64`` where a revision has it, else its ``micropython``: before the
32-bit firmware, that name meant the 64-bit port).
"""

import argparse
import json
import os
import subprocess
import sys
from typing import Dict, List, Tuple

from . import echo, harness, http_rate
from .client import cpu_seconds
from .harness import REPO, Run, Server, Spec

NAME = "compare"
HELPER = r"""
import json, sys
from remora_tools import runtimes
runtime, program, board = sys.argv[1:4]
if runtime == "micropython64" and "micropython64" not in runtimes.RUNTIMES:
    runtime = "micropython"  # before the 32-bit firmware: the 64-bit port's name
argv, env = runtimes.command(runtime, program, board, sys.argv[4:])
print(json.dumps([argv, env]))
"""
# (workload, runtime, board, program, what is measured)
WORKLOADS = (
    ("echo 1 conn", "cpython", "unix", echo.EX09),
    ("echo 8 conns", "cpython", "unix", echo.EX09),
    ("HTTP keep-alive", "cpython", "unix", http_rate.HTTP_HELLO),
    ("HTTP Connection: close", "cpython", "unix", http_rate.HTTP_HELLO),
    ("echo 1 conn", "micropython64", "esp32s3", echo.EX09),
    ("echo 8 conns", "micropython64", "esp32s3", echo.EX09),
    ("HTTP keep-alive", "micropython64", "esp32s3", http_rate.HTTP_HELLO),
    ("HTTP Connection: close", "micropython64", "esp32s3", http_rate.HTTP_HELLO),
)


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--base", required=True, help="the revision to compare against")
    ap.add_argument("--head", default="HEAD", help="the revision under test (. : this tree)")
    ap.add_argument("--rounds", type=int, default=8, help="rounds per workload (8)")
    ap.add_argument("--echo-seconds", type=float, default=1.0, help="seconds per echo run (1)")
    ap.add_argument("--http-seconds", type=int, default=2, help="seconds per wrk run (2)")
    ap.add_argument("--runtime", action="append", choices=("cpython", "micropython64"),
                    help="only this runtime's workloads (repeatable; default: both)")


def worktree(rev: str) -> Tuple[str, str]:
    """(tree, its commit): this tree for ".", else a detached worktree in /tmp."""
    if rev == ".":
        return REPO, "working tree"
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    tree = "/tmp/remora-bench-%s" % commit
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", REPO, "worktree", "add", "--detach", "-q", tree, commit],
                       check=True)
    return tree, commit


def tree_spec(tree: str, runtime: str, program: str, board: str) -> Spec:
    """A server of that tree, started by its own runtimes.command."""
    build = "/tmp/remora-bench-build-%s" % os.path.basename(tree)

    def command(port: int) -> Tuple[List[str], Dict[str, str]]:
        env = dict(os.environ, REMORA_BUILD=build, REMORA_BOARDS=os.path.join(REPO, "boards"),
                   PYTHONPATH=os.path.join(tree, "tools"))
        out = subprocess.run([sys.executable, "-c", HELPER, runtime, program, board, str(port)],
                             env=env, cwd=tree, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("%s: runtimes.command failed: %s" % (tree, out.stderr[-500:]))
        argv, child_env = json.loads(out.stdout.splitlines()[-1])
        # The child's own tools (the 64-bit port's launcher) are that tree's too.
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (os.path.join(tree, "tools"), child_env.get("PYTHONPATH", "")) if p)
        return argv, child_env

    return Spec(os.path.basename(program), command, cwd=tree)


def once(run: Run, srv: Server, workload: str) -> Tuple[float, float]:
    """(rate, the server's CPU microseconds per round trip or request) of one run."""
    if workload.startswith("echo"):
        nconn = 1 if "1 conn" in workload else 8
        rate, count, cpu = echo.round_trips(srv.port, nconn, run.opts.echo_seconds, srv.pid)
        return rate, 1e6 * cpu / max(count, 1)
    close = "close" in workload
    cpu0 = cpu_seconds(srv.pid)
    res = http_rate.wrk(srv.port, run.opts.http_seconds, close, run.pinned)
    cpu = cpu_seconds(srv.pid) - cpu0
    return float(str(res["rps"])), 1e6 * cpu / max(int(str(res["requests"])), 1)


def measure(run: Run) -> None:
    trees = [worktree(run.opts.base), worktree(run.opts.head)]
    run.note("base %s (%s), head %s (%s); %d rounds per workload, alternating base-head and "
             "head-base" % (run.opts.base, trees[0][1], run.opts.head, trees[1][1],
                            run.opts.rounds))
    for workload, runtime, board, program in WORKLOADS:
        if run.opts.runtime and runtime not in run.opts.runtime:
            continue
        where = "%s (board %s)" % (runtime, board)
        live: List[Server] = []
        try:
            for tree, _ in trees:
                live.append(run.server(tree_spec(tree, runtime, program, board), 120.0))
            if "HTTP" in workload:
                for srv in live:
                    http_rate.curl_check(srv.port)
            rates: List[List[float]] = [[], []]
            cpus: List[List[float]] = [[], []]
            for rnd in range(run.opts.rounds):
                for i in ((0, 1) if rnd % 2 == 0 else (1, 0)):
                    rate, cpu = once(run, live[i], workload)
                    rates[i].append(rate)
                    cpus[i].append(cpu)
        except Exception as exc:
            run.error("%s, head/base" % workload, where, "", exc)
            continue
        finally:
            for srv in live:
                srv.stop()
        op = "round trip" if workload.startswith("echo") else "request"
        for what, xs, unit in (("%ss per second" % op, rates, "%ss/s" % op),
                               ("server CPU per %s" % op, cpus, "us")):
            ratios = [h / b for b, h in zip(*xs)]
            run.row("%s, %s, head/base" % (workload, what), where,
                    "%.3f" % (harness.median(xs[1]) / harness.median(xs[0])), "x",
                    "ratio of the medians (base %.1f, head %.1f %s)" % (
                        harness.median(xs[0]), harness.median(xs[1]), unit),
                    "per-round ratios %s: %s; base %s; head %s" % (
                        harness.spread(ratios, "%.3f"), " ".join("%.3f" % r for r in ratios),
                        harness.spread(xs[0], "%.1f"), harness.spread(xs[1], "%.1f")))


if __name__ == "__main__":
    harness.main(__name__)
