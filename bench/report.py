"""The bench's table: results.md, from the rows of one run and the machine they ran on."""

import datetime
import os
import platform
import subprocess
import time
from typing import List

from .harness import CLIENT_CPU, REPO, SERVER_CPU, Run


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(run: Run) -> str:
    lines = [
        "| benchmark | runtime | figure | unit | command | notes |",
        "|---|---|---:|---|---|---|",
    ]
    for r in run.rows:
        # A server's command in backquotes; "ratio of ...", "(did not start)" as words.
        cmd = r.command
        if cmd and not cmd.startswith(("ratio", "(")):
            cmd = "`%s`" % cmd
        lines.append("| %s |" % " | ".join(
            cell(x) for x in (r.bench, r.runtime, r.figure, r.unit, cmd, r.notes)))
    return "\n".join(lines)


def firmware_version(binary: str) -> str:
    """What sys.version says on the MicroPython binary of the run (empty: none was used)."""
    if not binary:
        return ""
    try:
        out = subprocess.run([binary, "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, timeout=10,
                             env=dict(os.environ, MICROPYPATH=".frozen"))
        return out.stdout.strip().split("; ")[-1]  # "3.4.0; MicroPython v1.28.0 on ..."
    except OSError as exc:
        return "unknown (%s)" % exc


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "lib"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + (" (lib/ has uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    try:
        return "load average %s when the table was written" % " ".join(
            "%.2f" % x for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def render(run: Run) -> str:
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    head: List[str] = [
        "# remora benchmarks",
        "",
        "Written by `python -m bench` (`make bench`) on %s; took %.0f s. Parts run: %s."
        % (now, time.time() - run.started, ", ".join(run.parts)),
        "",
        "- machine: %s, %d CPUs online; %s; %s" % (
            cpu_model(), os.cpu_count() or 0,
            "servers pinned to CPU %d, the client (the bench process, wrk) to CPU %d"
            % (SERVER_CPU, CLIENT_CPU) if run.pinned else "servers and client NOT pinned apart",
            load()),
        "- CPython %s%s" % (platform.python_version(),
                            "; MicroPython: %s" % firmware_version(run.firmware)
                            if run.firmware else ""),
        "- remora at git %s" % git_rev(),
        "- commands run from the repository root (paths relative to it); ports are free ports "
        "picked per run",
    ]
    head += ["- " + n for n in run.notes]
    head += [
        "",
        "The bench measures and asserts nothing; every figure below was measured in this run. "
        "Rates on a shared 2-core machine vary from run to run: compare rows of one run, and "
        "see each row's spread. bench/README.md says what each row means.",
        "",
    ]
    return "\n".join(head) + "\n" + table(run) + "\n"
