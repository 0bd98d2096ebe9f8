"""Heap per idle cosocket on the simulated ESP32: remora's cosocket echo beside asyncio's.

    .venv/bin/python -m bench.heap [--heap-k 9]

MicroPython, board esp32 (its 110 KiB heap, its cap of 10 connections).  The servers answer
``HEAP\\n`` with ``gc.mem_alloc()`` after ``gc.collect()`` (programs/heap_echo.py,
peers/asyncio_echo.py).  One connection comes and goes first (first-use allocations), then
on a control connection: the heap at rest, with K idle connections more (each confirmed by a
one-byte echo: accepted, served, back in its read), and after closing them (once the server
has closed its side of each); twice, so that what stays after closing shows whether it grows
(a leak) or not (capacity kept by a table that grew).
"""

import argparse
import os
import socket
from typing import Dict, List

from remora_tools import boards

from . import harness, servers
from .client import close_all, connect_confirmed, heap_query, wait_server_closed
from .harness import Run, Server

NAME = "heap"
BOARD = "esp32"
HEAP_ECHO = os.path.join(servers.PROGRAMS, "heap_echo.py")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--heap-k", type=int, default=0,
                    help="idle connections of the heap rows (default: the board's cap - 1)")


def alloc(s: socket.socket) -> int:
    a = heap_query(s)[0]
    if a is None:
        raise RuntimeError("the server reports no GC heap (not MicroPython?)")
    return a


def idle_heap(srv: Server, k: int) -> Dict[str, int]:
    """a0: at rest with the control connection; aN: with k idle more in cycle N; cN: after
    closing them; fN: free with them open."""
    warm = connect_confirmed(srv.port)
    heap_query(warm)
    warm.close()
    wait_server_closed(srv.port)
    ctl = connect_confirmed(srv.port)
    idle: List[socket.socket] = []
    fig: Dict[str, int] = {}
    try:
        heap_query(ctl)  # its own first answer's allocations
        fig["a0"] = alloc(ctl)
        for cycle in (1, 2):
            for i in range(k):
                try:
                    idle.append(connect_confirmed(srv.port))
                except Exception as exc:
                    raise RuntimeError("cycle %d: idle connection %d of %d failed: %s; %s"
                                       % (cycle, i + 1, k, exc, srv.state()))
            a, free, _ = heap_query(ctl)
            fig["a%d" % cycle], fig["f%d" % cycle] = a or 0, free or 0
            close_all(idle)
            idle = []
            wait_server_closed(srv.port)
            fig["c%d" % cycle] = alloc(ctl)
    finally:
        close_all(idle)
        ctl.close()
    return fig


def measure(run: Run) -> None:
    cap = int(boards.load(BOARD)["max_connections"])
    k = run.opts.heap_k or cap - 1
    where = servers.label("micropython", BOARD)
    for what, spec in (
        ("remora cosocket echo (heap_echo)",
         servers.remora_spec(run, HEAP_ECHO, "micropython", BOARD)),
        ("asyncio start_server echo (asyncio_echo)",
         servers.echo_peer_spec(run, "micropython", BOARD)),
    ):
        bench = "heap per idle connection, %s" % what
        try:
            srv = run.server(spec)
        except Exception as exc:
            run.error(bench, where, "(did not start)", exc)
            continue
        with srv:
            try:
                h = idle_heap(srv, k)
            except Exception as exc:
                run.error(bench, where, srv.command, exc)
                continue
        per = (h["a1"] - h["a0"]) / k
        run.row(bench, where, "%.0f" % per, "bytes/connection", srv.command,
                "gc.mem_alloc() after gc.collect(): %d B with the control connection, %d B "
                "with %d idle more (free then %d B); second cycle %+.0f B per connection; "
                "after closing them %+d B, after the second cycle %+d B"
                % (h["a0"], h["a1"], k, h["f1"], (h["a2"] - h["a1"]) / k,
                   h["c1"] - h["a0"], h["c2"] - h["a0"]))
        run.row("heap in use at rest (1 connection open), %s" % what, where, str(h["a0"]),
                "bytes", srv.command, "gc.mem_alloc() after gc.collect(), once a first "
                "connection came and went")


if __name__ == "__main__":
    harness.main(__name__)
