"""Where the time of one keep-alive ``GET /hello`` goes, in process (issue 16).

    .venv/bin/python -m bench.http_cost [--cost-iterations 4000]

``programs/http_cost.py`` run as ``remora run`` runs it (no socket, no event loop: its
docstring says what each stage holds), on MicroPython with board esp32 (the bench's
firmware) and on CPython, with and without the speedups (the mypyc-compiled core).  Each
figure is the best per-iteration time of 20 batches, pinned to CPU 0; on MicroPython also
the heap allocated per iteration, and the collector's share per request (one full
collection of the heap at rest, times the driver's bytes per request over the heap free).
What the socket layer, the event loop and the kernel add is the rest of the server's CPU
time per request in ``http_rate`` (its fixed-answer floor rows measure it alone).
"""

import argparse
import os
import subprocess
from typing import Dict, Tuple

from . import harness, servers
from .harness import Run, Spec

NAME = "http_cost"
PROGRAM = os.path.join(servers.PROGRAMS, "http_cost.py")
STAGES = (
    ("core", "the HTTP core: request head parsed (the handler's Request), answer framed"),
    ("parse", "the HTTP core, the request only (with the least answer)"),
    ("handle", "App.handle: route, handler, its Response"),
    ("driver", "the connection driver around them (serve_connection, in memory)"),
)


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--cost-iterations", type=int, default=4000,
                    help="iterations per stage and round (4000)")


def run_program(spec: Spec, iterations: int, pinned: bool) -> Tuple[Dict[str, Tuple[float, int]], str]:
    argv, env = spec.build(0)
    argv = argv + [str(iterations)]
    if pinned:
        argv = ["taskset", "-c", str(harness.SERVER_CPU)] + argv
    out = subprocess.run(argv, env=env, cwd=spec.cwd, capture_output=True, text=True,
                         timeout=600)
    found = {}
    for line in out.stdout.splitlines():
        words = line.split()
        if len(words) == 4 and words[0] == "COST" and words[1] != "runtime":
            found[words[1]] = (float(words[2]), int(words[3]))
    if "driver" not in found:
        raise RuntimeError("exit %d: %s %s" % (out.returncode, out.stdout[-300:], out.stderr[-300:]))
    return found, harness.show_command(argv, env)


def measure(run: Run) -> None:
    from .http_stream import speedups_spec

    iterations = run.opts.cost_iterations
    targets = [
        (servers.label("micropython", "esp32"),
         servers.remora_spec(run, PROGRAM, "micropython", "esp32")),
        (servers.label("cpython", "unix"), servers.remora_spec(run, PROGRAM, "cpython", "unix")),
        (servers.label("cpython", "unix") + ", compiled core + uvloop", speedups_spec(run, PROGRAM)),
    ]
    # Three rounds, the targets in turn (a busy machine hits them alike); each stage's
    # figure is its best of the rounds.
    results = {}  # type: Dict[str, Tuple[Dict[str, Tuple[float, int]], str]]
    failed = {}  # type: Dict[str, Exception]
    for _round in range(3):
        for where, spec in targets:
            if where in failed:
                continue
            try:
                found, command = run_program(spec, iterations, run.pinned)
            except Exception as exc:
                failed[where] = exc
                continue
            if where in results:
                best = results[where][0]
                for stage, (us, nbytes) in found.items():
                    if stage in best and stage != "gc_us" and best[stage][0] < us:
                        found[stage] = best[stage]
            results[where] = (found, command)
    for where, spec in targets:
        if where in failed:
            run.error("in-process cost of a keep-alive GET /hello", where, "(did not run)",
                      failed[where])
            continue
        found, command = results[where]
        for stage, what in STAGES:
            us, nbytes = found[stage]
            run.row("in-process cost of a keep-alive GET /hello: %s" % what, where,
                    "%.1f" % us, "us", command,
                    "best of 20 batches in each of 3 rounds" +
                    ("; %d bytes allocated" % nbytes if nbytes >= 0 else ""))
        if "gc_us" in found:
            gc_us, free = found["gc_us"]
            per = found["driver"][1]
            run.row("in-process cost of a keep-alive GET /hello: the collector's share", where,
                    "%.1f" % (gc_us * per / free), "us", command,
                    "one collection of the heap at rest %.0f us, %d bytes free after it, %d bytes "
                    "allocated per request by the driver" % (gc_us, free, per))


if __name__ == "__main__":
    harness.main(__name__)
