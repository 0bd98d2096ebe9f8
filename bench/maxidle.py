"""How many idle cosockets stay working in a 100 KiB heap: remora beside asyncio streams.

    .venv/bin/python -m bench.maxidle [--maxidle-cap 400]

MicroPython, ``-X heapsize=102400``, the esp32 profile without its connection cap (a bench
profile: the limit measured is the heap's).  The ramp opens connections one by one, each
confirmed by a one-byte echo, until one fails (or the cap); then every held connection is
sent a byte, one after another.  If all k echo, N = k.  If not (overload broke connections
that worked: remora closes the socket of a task that hits MemoryError), N is found on fresh
servers never pushed past n: n walks down from k - 1 until a server with n idle connections
has all n echoing.  The notes give the ramp, the trials and the heap at N.
"""

import argparse
import os
import socket
from typing import List, Sequence, Tuple

from . import harness, servers
from .client import close_all, connect_confirmed, echo_all, echo_once, heap_query
from .harness import Run, Server, Spec

NAME = "maxidle"
HEAP_100K = 100 * 1024
HEAP_ECHO = os.path.join(servers.PROGRAMS, "heap_echo.py")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--maxidle-cap", type=int, default=400,
                    help="most connections the ramp opens (400)")


def open_confirmed(srv: Server, n: int) -> Tuple[List[socket.socket], str]:
    """Up to n connections one by one, each confirmed by an echo; stops at a failure."""
    conns: List[socket.socket] = []
    while len(conns) < n:
        try:
            conns.append(connect_confirmed(srv.port, 3.0))
        except Exception as exc:
            return conns, "connection %d failed (%s: %s)" % (len(conns) + 1,
                                                              type(exc).__name__, exc)
        if not srv.alive():
            return conns, "server exited after connection %d" % len(conns)
    return conns, ""


def check_each(srv: Server, conns: Sequence[socket.socket]) -> List[bool]:
    """One byte echoed on each connection in turn; stops early when the server is gone or
    two in a row time out (the rest count as failed)."""
    ok: List[bool] = []
    for s in conns:
        try:
            echo_once(s, b"?", 3.0)
            ok.append(True)
        except socket.timeout:
            ok.append(False)
            if not srv.alive() or len(ok) >= 2 and not ok[-2]:
                break
        except OSError:
            ok.append(False)
            if not srv.alive():
                break
    return ok + [False] * (len(conns) - len(ok))


def heap_note(s: socket.socket) -> str:
    try:
        alloc, free, _ = heap_query(s, 5.0)
        return "heap %s B allocated, %s B free" % (alloc, free)
    except Exception as exc:
        return "HEAP query failed (%s)" % exc


def trial(run: Run, spec: Spec, n: int) -> Tuple[bool, str]:
    """A fresh server with exactly n idle connections, never more: do all n echo?"""
    with run.server(spec) as srv:
        conns, why = open_confirmed(srv, n)
        try:
            if why:
                return False, "n=%d: %s" % (n, why)
            ok = check_each(srv, conns)
            if not all(ok):
                return False, "n=%d: %d echo" % (n, sum(ok))
            both = echo_all(conns, b"*", 5.0)
            return True, "n=%d: all echo one by one, %d of %d all at once; %s" % (
                n, sum(both), n, heap_note(conns[0]))
        finally:
            close_all(conns)


def max_idle(run: Run, spec: Spec, cap: int) -> Tuple[str, int, str]:
    """(command, N, notes): the ramp, then fresh-server trials if the ramp broke some."""
    with run.server(spec) as srv:
        command = srv.command
        conns, why = open_confirmed(srv, cap)
        try:
            k = len(conns)
            ok = check_each(srv, conns)
            notes = "ramp: %d held, then %s; afterwards %d of %d echo one by one" % (
                k, why or "the cap of %d" % cap, sum(ok), k)
            if all(ok):
                notes += ", %d all at once" % sum(echo_all(conns, b"*", 5.0))
            notes += "; %s; %s" % (heap_note(conns[ok.index(True)]) if any(ok) else
                                   "no connection left to ask HEAP", srv.state())
        finally:
            close_all(conns)
    if all(ok):
        return command, k, notes
    # Fragmentation need not be monotonic in n: walk down from k - 1 (a fresh server each,
    # under a second), then bisect what is left far below k.
    steps: List[str] = []
    floor = max(0, k - 26)
    lo, hi = 0, floor + 1  # lo: holds (0 trivially); hi: the lowest known not to
    for n in range(k - 1, floor, -1):
        good, text = trial(run, spec, n)
        steps.append(text if good else text + " FAIL")
        if good:
            return command, n, notes + ". Fresh servers: " + ", ".join(steps)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        good, text = trial(run, spec, mid)
        steps.append(text if good else text + " FAIL")
        lo, hi = (mid, hi) if good else (lo, mid)
    return command, lo, notes + ". Fresh servers: " + ", ".join(steps)


def measure(run: Run) -> None:
    board = servers.bench_board("esp32", max_connections=100000)
    where = "micropython (board esp32 without its connection cap, heap 100 KiB)"
    for what, spec in (
        ("remora cosocket echo (heap_echo)",
         servers.remora_spec(run, HEAP_ECHO, "micropython", board, HEAP_100K)),
        ("asyncio start_server echo (asyncio_echo)",
         servers.echo_peer_spec(run, "micropython", "esp32", HEAP_100K)),
    ):
        bench = "idle connections that all still echo, %s" % what
        try:
            command, n, notes = max_idle(run, spec, run.opts.maxidle_cap)
        except Exception as exc:
            run.error(bench, where, "(see the error)", exc)
            continue
        run.row(bench, where, str(n), "connections", command, notes)


if __name__ == "__main__":
    harness.main(__name__)
