"""Where the heap of remora's HTTP server goes: what each import and step adds.

    .venv/bin/python -m bench.imports

MicroPython, the bench's firmware (remora frozen), board esp32.  ``programs/import_map.py``
runs the scenario of the heap-after-import row (``remora.http.app``, ``App()``,
``app.pages()``, three routes) plus what ``App.serve()`` imports (``remora.net``,
``remora.sock``): once to learn the order in which the modules load, then in a fresh process
importing them one at a time in that order, ``gc.collect(); gc.mem_alloc()`` after each.  A
row sums a group of modules; its notes give each module's share.  The launcher row is the
heap when the program's ``main`` starts (``remora_rom``, ``remora.launch``, the profile, the
dispatcher running), to compare with the bare baseline of the http_heap part.
"""

import os
import subprocess
from typing import Dict, List, Tuple

from . import harness, servers
from .harness import Run
from .http_heap import pages_mpy

NAME = "imports"
BOARD = "esp32"
IMPORT_MAP = os.path.join(servers.PROGRAMS, "import_map.py")
# (group, module-name prefixes it takes), the first match wins.
GROUPS = (
    ("the pages engine and its mount (remora.pages, remora.http.pagemount)",
     ("remora.pages", "remora.http.pagemount")),
    ("static files (remora.http.static, remora.http.mimetypes)",
     ("remora.http.static", "remora.http.mimetypes")),
    ("the sans-IO HTTP core (remora.proto.http)", ("remora.proto",)),
    ("the HTTP server and app (remora.http)", ("remora.http",)),
    ("the socket layer (remora.net, remora.sock, ..., imported by App.serve)",
     ("remora.net", "remora.sock", "remora.listener", "remora.rawio", "remora.writequeue",
      "remora.pool")),
    ("remora's base (remora.port, remora.errors, remora.dispatcher, ...)", ("remora",)),
    ("other modules (asyncio's, ...)", ("",)),
)


def lines(run: Run, args: List[str]) -> List[str]:
    spec = servers.remora_spec(run, IMPORT_MAP, "micropython", BOARD, args=args,
                               flash={"pages": pages_mpy()})
    argv, env = spec.build(0)
    out = subprocess.run(argv, env=env, cwd=spec.cwd, capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0 or not out.stdout.strip():
        text = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise RuntimeError("import_map %s exited %d: %s" % (
            " ".join(args), out.returncode, text[-1] if text else "(no output)"))
    return out.stdout.splitlines()


def measure(run: Run) -> None:
    where = servers.label("micropython", BOARD)
    try:
        order = [w.split()[1] for w in lines(run, ["--order"]) if w.startswith("ORDER ")]
        out = lines(run, order)
        command = harness.show_command(*servers.remora_spec(
            run, IMPORT_MAP, "micropython", BOARD, args=["MODULE..."],
            flash={"pages": pages_mpy()}).build(0))
    except Exception as exc:
        run.error("heap per import", where, "", exc)
        return
    steps: List[Tuple[str, int]] = []
    loaded = ""
    for line in out:
        w = line.split()
        if w[:1] == ["STEP"]:
            steps.append((w[1], int(w[2])))
        elif w[:1] == ["LOADED"]:
            loaded = " ".join(w[1:])
    if [name for name, _ in steps[:2]] != ["launcher", "dispatcher"]:
        raise RuntimeError("import_map printed %r" % out[:4])
    run.row("heap as the program is imported: the launcher (remora_rom, remora.launch, the "
            "profile, remora.port)", where, str(steps[0][1]), "bytes", command,
            "gc.mem_alloc() after gc.collect() at the program's import")
    run.row("heap the dispatcher adds by the time main() runs", where, str(steps[1][1]),
            "bytes", command, "modules loaded as main() starts: %s" % loaded)
    total = sum(n for _, n in steps[2:])
    groups: Dict[str, List[Tuple[str, int]]] = {}
    for name, n in steps[2:]:
        if name in ("App()", "app.pages()", "routes"):
            run.row("heap of the step %s" % name, where, str(n), "bytes", command,
                    "what the step adds, after gc.collect()")
            continue
        for group, prefixes in GROUPS:
            if name.startswith(prefixes):
                groups.setdefault(group, []).append((name, n))
                break
    for group, _ in GROUPS:
        mods = groups.get(group)
        if mods:
            run.row("heap of importing %s" % group, where, str(sum(n for _, n in mods)),
                    "bytes", command, "%d modules: %s" % (len(mods), ", ".join(
                        "%s %d" % (name, n) for name, n in mods)))
    run.row("heap of the scenario once main() runs (the sum of the imports and steps above)",
            where, str(total), "bytes", command, "%d steps" % (len(steps) - 2))


if __name__ == "__main__":
    harness.main(__name__)
