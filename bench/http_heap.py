"""HTTP server heap on the simulated ESP32: after import, at rest, per idle connection.

    .venv/bin/python -m bench.http_heap [--http-k 9]

MicroPython, the bench's firmware (remora and microdot both frozen), board esp32's heap.

- After import: ``http_hello.py 0 --import-only --pages /rom/pages`` run as ``remora run``
  runs it (the compiled pages in the flash image, as ``remora serve`` puts them): remora's
  HTTP server, ``App()`` with ``app.pages()`` and the three routes; beside it
  ``microdot_hello.py 0 --import-only``: microdot, ``microdot.websocket``, ``Microdot()`` and
  the same three routes; and the baseline, the firmware with only asyncio imported
  (``programs/bare_heap.py``, run like the peer).  Each prints ``gc.mem_alloc()`` after
  ``gc.collect()``.
- Serving (3 routes, no pages): ``GET /heap`` (answered after ``gc.collect()``), each on a
  connection of its own, at rest after a first ``GET /hello``; then with K keep-alive
  connections that each completed a ``GET /hello`` and stay open (remora only: microdot
  answers HTTP/1.0 and closes every connection); then with K connections that sent nothing
  yet (each accepted before the next opens).  Figure: the difference / K.
"""

import argparse
import os
import subprocess
from typing import Dict, Tuple

from remora_tools import boards
from remora_tools.compile_pages import compile_app

from . import harness, servers
from .client import close_all, heap_http, hello_ok, open_idle_http, wait_server_closed
from .harness import Run, Server, Spec

NAME = "http_heap"
BOARD = "esp32"
HTTP_HELLO = os.path.join(servers.PROGRAMS, "http_hello.py")
BARE_HEAP = os.path.join(servers.PROGRAMS, "bare_heap.py")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--http-k", type=int, default=0,
                    help="idle connections of the HTTP heap rows (default: the cap - 1)")


def pages_mpy() -> str:
    """bench/programs/www compiled (`remora compile --mpy`) into bench/build/pages."""
    from remora_tools import paths

    out = compile_app(os.path.join(servers.PROGRAMS, "www"),
                      os.path.join(paths.build_dir(), "pages", "http_hello"), True)
    return os.path.join(out, "mpy")


def import_heap(spec: Spec) -> Tuple[int, int, str]:
    """Run an --import-only program: (alloc, free, its command)."""
    argv, env = spec.build(0)
    command = harness.show_command(argv, env)
    out = subprocess.run(argv, env=env, cwd=spec.cwd, capture_output=True, text=True,
                         timeout=60)
    for line in out.stdout.splitlines():
        if line.startswith("HEAP "):
            w = line.split()
            return int(w[1]), int(w[2]), command
    text = (out.stderr.strip() or out.stdout.strip()).splitlines()
    raise RuntimeError("%s exited %d: %s" % (command, out.returncode,
                                             text[-1] if text else "(no output)"))


def after_import(run: Run) -> None:
    heap = servers.heap_of(BOARD)
    where = servers.label("micropython", BOARD)
    try:
        base, _, base_cmd = import_heap(servers.peer_spec(run, BARE_HEAP, "micropython", heap))
        run.row("heap after import, baseline: the firmware with asyncio imported (bare_heap)",
                where, str(base), "bytes", base_cmd, "gc.mem_alloc() after gc.collect()")
    except Exception as exc:
        run.error("heap after import, baseline (bare_heap)", where, "", exc)
        base = 0
    for what, spec, how in (
        ("remora HTTP server + pages + 3 routes (http_hello --import-only --pages)",
         servers.remora_spec(run, HTTP_HELLO, "micropython", BOARD,
                             args=["--import-only", "--pages", "/rom/pages"],
                             flash={"pages": pages_mpy()}),
         "in main(), under remora.launch with the dispatcher running (the imports part "
         "splits it)"),
        ("microdot + microdot.websocket + 3 routes (microdot_hello --import-only)",
         servers.microdot_spec(run, "micropython", heap, ["--import-only"]),
         "at the module's end, before asyncio.run"),
    ):
        bench = "heap after import, %s" % what
        try:
            alloc, free, command = import_heap(spec)
        except Exception as exc:
            run.error(bench, where, "", exc)
            continue
        run.row(bench, where, str(alloc), "bytes", command,
                "gc.mem_alloc() after gc.collect() %s; %s B over the baseline; free %d B"
                % (how, "%+d" % (alloc - base) if base else "?", free))


def idle_heap(srv: Server, k: int, keepalive: bool) -> Dict[str, int]:
    """a0 at rest; ka / fresh: with k idle keep-alive / not-yet-requested connections; _n:
    the server's count of open connections; _closed: after they closed; again: how many
    keep-alive ones answered a second request."""
    fig: Dict[str, int] = {}
    if not hello_ok(srv.port):
        raise RuntimeError("GET /hello failed; %s" % srv.state())
    heap_http(srv.port)  # its own first answer's allocations
    fig["a0"], _, _ = heap_http(srv.port)  # type: ignore[assignment]
    for phase, request in (("ka", True), ("fresh", False)):
        if request and not keepalive:
            continue
        socks = open_idle_http(srv.port, k, request)
        try:
            a, free, n = heap_http(srv.port)
            fig[phase], fig[phase + "_free"], fig[phase + "_n"] = a or 0, free or 0, n
            if request:
                fig["again"] = sum(hello_ok(srv.port, s, close=False) for s in socks)
        finally:
            close_all(socks)
        wait_server_closed(srv.port)
        fig[phase + "_closed"] = heap_http(srv.port)[0] or 0
    if fig["a0"] is None:
        raise RuntimeError("the server reports no GC heap (not MicroPython?)")
    return fig


def serving(run: Run) -> None:
    where = servers.label("micropython", BOARD)
    k = run.opts.http_k or int(boards.load(BOARD)["max_connections"]) - 1
    for what, spec, keepalive in (
        ("remora App (http_hello)", servers.remora_spec(run, HTTP_HELLO, "micropython", BOARD),
         True),
        ("%s (microdot_hello)" % servers.microdot_name(),
         servers.microdot_spec(run, "micropython", servers.heap_of(BOARD)), False),
    ):
        bench = "heap per idle HTTP connection, %s" % what
        try:
            srv = run.server(spec)
        except Exception as exc:
            run.error(bench, where, "(did not start)", exc)
            continue
        with srv:
            try:
                h = idle_heap(srv, k, keepalive)
            except Exception as exc:
                run.error(bench, where, srv.command, exc)
                continue
        n = "" if h["fresh_n"] < 0 else " (the server counted %d open)" % h["fresh_n"]
        if keepalive:
            run.row("heap per idle keep-alive HTTP connection (after one request), %s" % what,
                    where, "%.0f" % ((h["ka"] - h["a0"]) / k), "bytes/connection", srv.command,
                    "GET /heap: %d B at rest, %d B with %d keep-alive connections idle after a "
                    "GET /hello (the server counted %d open; free then %d B); a second "
                    "GET /hello answered on %d of %d; after closing them %+d B"
                    % (h["a0"], h["ka"], k, h["ka_n"], h["ka_free"], h["again"], k,
                       h["ka_closed"] - h["a0"]))
        run.row("heap per HTTP connection before its first request, %s" % what, where,
                "%.0f" % ((h["fresh"] - h["a0"]) / k), "bytes/connection", srv.command,
                "GET /heap: %d B at rest, %d B with %d connections accepted that sent nothing "
                "yet%s; after closing them %+d B"
                % (h["a0"], h["fresh"], k, n, h["fresh_closed"] - h["a0"]))
        run.row("HTTP server heap in use at rest (3 routes, no pages), %s" % what, where,
                str(h["a0"]), "bytes", srv.command,
                "gc.mem_alloc() after gc.collect() in GET /heap, once GET /hello was served")


def measure(run: Run) -> None:
    after_import(run)
    serving(run)


if __name__ == "__main__":
    harness.main(__name__)
