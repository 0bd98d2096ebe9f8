"""How many idle HTTP connections fit the ESP32 profile in 100 KiB while /hello still answers.

    .venv/bin/python -m bench.http_idle [--http-idle-cap 400]

MicroPython, the bench's firmware, ``-X heapsize=102400``; remora with the esp32 profile
without its connection cap (a bench profile: the limit measured is the heap's), microdot
with the same heap.  The ramp opens idle connections one by one and after each checks that
``GET /hello`` on a new connection still answers 200 ``Hello, world!``; it stops at the first
failure (or the cap).  Then every held connection must answer a ``GET /hello`` of its own,
one after another, and a new connection too: if so, N is what the ramp held; if not (the
overload broke some), N is found on fresh servers never pushed past n, n walking down.

Idle means: for remora, a keep-alive connection that completed one ``GET /hello`` (and, in a
second row, one that sent nothing yet); for microdot, which answers HTTP/1.0 and closes
every connection after its response, only the second kind exists.

remora closes a connection that stays silent for ``http_idle_ms`` (15 s on the esp32 board),
by design: a ramp of a hundred connections takes longer than that, and connections the
server had already closed were counted as held (a run held 89, of which 43 still answered,
and the fresh servers' walk down from 88 then found none).  So remora's profile here also
sets ``http_idle_ms`` to 10 minutes, past any ramp.  A connection that sent nothing is
checked with ``Connection: close``: answering it as keep-alive would turn it into the other
row's kind, which holds more, and the check would then measure that row again.  On fresh
servers n is bisected between what held and what failed.
"""

import argparse
import os
import socket
from typing import List, Tuple

from . import harness, servers
from .client import close_all, connect, hello_ok, http_request, wait_accepted
from .harness import Run, Server, Spec

NAME = "http_idle"
HEAP_100K = 100 * 1024
HTTP_HELLO = os.path.join(servers.PROGRAMS, "http_hello.py")
WHERE = ("micropython (board esp32 without its connection cap, http_idle_ms 600 s instead of "
         "15 s, heap 100 KiB)")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--http-idle-cap", type=int, default=400,
                    help="most idle HTTP connections the ramp opens (400)")


def open_idle(port: int, request: bool) -> socket.socket:
    """One idle connection: after a keep-alive GET /hello (request), or accepted only."""
    s = connect(port)
    try:
        if request:
            if not hello_ok(port, s, close=False):
                raise ConnectionError("GET /hello on the new idle connection failed")
        else:
            wait_accepted(port)
    except BaseException:
        s.close()
        raise
    return s


def ramp(srv: Server, n: int, request: bool) -> Tuple[List[socket.socket], str]:
    """Up to n idle connections, /hello checked on a new connection after each; stops at a
    failure (the connection that failed is closed, not held)."""
    held: List[socket.socket] = []
    while len(held) < n:
        try:
            s = open_idle(srv.port, request)
        except Exception as exc:
            return held, "idle connection %d failed (%s: %s)" % (len(held) + 1,
                                                                  type(exc).__name__, exc)
        if not hello_ok(srv.port):
            s.close()
            return held, "with %d idle, GET /hello on a new connection failed" % (len(held) + 1)
        held.append(s)
    return held, ""


def all_answer(srv: Server, held: List[socket.socket], request: bool) -> Tuple[int, bool]:
    """(how many held connections answer a GET /hello of their own, one after another;
    whether a new connection's GET /hello answers after them).  A connection that sent
    nothing yet asks with Connection: close (see the module doc)."""
    ok = 0
    for s in held:
        try:
            status, _, body, _ = http_request(srv.port, "/hello", s, close=not request)
            ok += status == 200 and body == b"Hello, world!"
        except (OSError, ValueError, IndexError):
            pass
    return ok, hello_ok(srv.port)


def trial(run: Run, spec: Spec, n: int, request: bool) -> Tuple[bool, str]:
    with run.server(spec) as srv:
        held, why = ramp(srv, n, request)
        try:
            if why:
                return False, "n=%d: %s FAIL" % (n, why)
            ok, new = all_answer(srv, held, request)
            good = ok == n and new
            return good, "n=%d: %d answer%s" % (n, ok, "" if good else " FAIL")
        finally:
            close_all(held)


def max_idle(run: Run, spec: Spec, cap: int, request: bool) -> Tuple[str, int, str]:
    with run.server(spec) as srv:
        command = srv.command
        held, why = ramp(srv, cap, request)
        try:
            k = len(held)
            ok, new = all_answer(srv, held, request)
            notes = ("ramp: %d idle held, then %s; afterwards %d of %d answer GET /hello one "
                     "after another, a new connection's GET /hello %s; %s"
                     % (k, why or "the cap", ok, k, "answers" if new else "FAILS", srv.state()))
        finally:
            close_all(held)
    if ok == k and new:
        return command, k, notes
    # Bisected on fresh servers: good holds (0 always does), bad failed.
    steps: List[str] = []
    good_n, bad_n = 0, k
    while bad_n - good_n > 1:
        n = (good_n + bad_n) // 2
        good, text = trial(run, spec, n, request)
        steps.append(text)
        if good:
            good_n = n
        else:
            bad_n = n
    return command, good_n, notes + ". Fresh servers: " + ", ".join(steps)


def measure(run: Run) -> None:
    # No connection cap, and an idle clock longer than any ramp (see the module doc).
    board = servers.bench_board("esp32", max_connections=100000, http_idle_ms=600000)
    remora = servers.remora_spec(run, HTTP_HELLO, "micropython", board, HEAP_100K)
    microdot = servers.microdot_spec(run, "micropython", HEAP_100K)
    for what, where, spec, request in (
        ("idle keep-alive HTTP connections (after one GET /hello), remora App (http_hello)",
         WHERE, remora, True),
        ("idle HTTP connections that sent nothing yet, remora App (http_hello)",
         WHERE, remora, False),
        ("idle HTTP connections that sent nothing yet, %s (microdot_hello)"
         % servers.microdot_name(), "micropython (heap 100 KiB)", microdot, False),
    ):
        bench = "%s while /hello answers" % what
        try:
            command, n, notes = max_idle(run, spec, run.opts.http_idle_cap, request)
        except Exception as exc:
            run.error(bench, where, "(see the error)", exc)
            continue
        run.row(bench, where, str(n), "connections", command, notes)


if __name__ == "__main__":
    harness.main(__name__)
