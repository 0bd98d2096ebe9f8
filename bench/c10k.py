"""10,000 idle cosockets on CPython: how many are held, and the memory each costs.

    .venv/bin/python -m bench.c10k [--c10k 10000]

This process raises its RLIMIT_NOFILE soft limit to the hard limit before it starts the
server, which inherits it.  Server: programs/heap_echo.py on CPython with a bench profile
(the unix board with max_connections 16384: the limit measured is the runtime's, not the
profile's), beside the asyncio echo peer.  The client opens the connections with one
non-blocking epoll loop, at most 100 in progress at once, each confirmed by a one-byte echo,
and stops at the first failure; then every 100th must echo once more (all at once).
Figures: connections held, and (VmRSS after - VmRSS before) / connections.
"""

import argparse
import errno
import os
import resource
import selectors
import socket
import time
from typing import Dict, List, Tuple

from . import harness, servers
from .client import close_all, connect_confirmed, echo_all, heap_query
from .harness import HOST, Run, Spec

NAME = "c10k"
HEAP_ECHO = os.path.join(servers.PROGRAMS, "heap_echo.py")


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--c10k", type=int, default=10000, help="connections to open (10000)")


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard or hard == resource.RLIM_INFINITY:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_many(port: int, n: int, window: int = 100, timeout: float = 10.0
              ) -> Tuple[List[socket.socket], str, float]:
    """n connections, at most `window` in progress (within the listen backlog), each
    confirmed by an echo; stops at the first failure: (held, why it stopped, seconds)."""
    sel = selectors.DefaultSelector()
    held: List[socket.socket] = []
    pending: Dict[socket.socket, float] = {}  # socket -> deadline
    started, why, t0 = 0, "", time.monotonic()
    try:
        while len(held) < n and not why:
            while len(pending) < window and started < n:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                code = s.connect_ex((HOST, port))
                if code not in (0, errno.EINPROGRESS, errno.EAGAIN):
                    s.close()
                    return held, "connect %d: %s" % (started + 1, os.strerror(code)), 0.0
                pending[s] = time.monotonic() + timeout
                sel.register(s, selectors.EVENT_WRITE)
                started += 1
            for key, mask in sel.select(0.5):
                s = key.fileobj  # type: ignore[assignment]
                if mask & selectors.EVENT_WRITE:
                    code = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code:
                        why = "connect %d: %s" % (len(held) + 1, os.strerror(code))
                        break
                    s.send(b"x")
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                try:
                    data = s.recv(16)
                except OSError as exc:
                    why = "connection %d: %s" % (len(held) + 1, exc)
                    break
                if data != b"x":
                    why = "connection %d: %s" % (len(held) + 1,
                                                 "closed" if not data else repr(data))
                    break
                sel.unregister(s)
                del pending[s]
                held.append(s)
            now = time.monotonic()
            if any(now > d for d in pending.values()):
                why = "a connection got no echo within %.0f s" % timeout
    finally:
        for s in pending:
            sel.unregister(s)
            s.close()
        sel.close()
    return held, why or "all %d open" % n, time.monotonic() - t0


def one(run: Run, what: str, spec: Spec, where: str, n: int, limit: int) -> None:
    bench = "idle connections held (of %d), %s" % (n, what)
    held: List[socket.socket] = []
    try:
        srv = run.server(spec)  # inherits this process's RLIMIT_NOFILE
    except Exception as exc:
        run.error(bench, where, "(did not start)", exc)
        return
    try:
        ctl = connect_confirmed(srv.port)
        held.append(ctl)
        rss0 = heap_query(ctl)[2]
        socks, why, secs = open_many(srv.port, n)
        held.extend(socks)
        rss1 = heap_query(ctl, 30.0)[2]
        sample = echo_all(socks[::100], b"s", 20.0)
        run.row(bench, where, str(len(socks)), "connections", srv.command,
                "%s in %.1f s, each confirmed by an echo; RLIMIT_NOFILE %d; every 100th "
                "still echoes: %d of %d; %s" % (why, secs, limit, sum(sample), len(sample),
                                                srv.state()))
        if rss0 is None or rss1 is None or not socks:
            raise RuntimeError("no VmRSS figure from the server")
        run.row("memory per idle connection (VmRSS delta / connections), %s" % what, where,
                "%.2f" % ((rss1 - rss0) / len(socks)), "KiB/connection", srv.command,
                "server VmRSS %d KiB with 1 connection, %d KiB with %d more"
                % (rss0, rss1, len(socks)))
    except Exception as exc:
        run.error(bench, where, srv.command, exc)
    finally:
        srv.stop()  # first, so that closing the sockets makes no storm of resets to log
        close_all(held)


def measure(run: Run) -> None:
    n = run.opts.c10k
    limit = raise_nofile()
    board = servers.bench_board("unix", max_connections=16384)
    one(run, "remora cosocket echo (heap_echo)",
        servers.remora_spec(run, HEAP_ECHO, "cpython", board),
        "cpython (board unix, max_connections 16384)", n, limit)
    one(run, "asyncio start_server echo (asyncio_echo)",
        servers.echo_peer_spec(run, "cpython", "unix"), servers.label("cpython", "unix"),
        n, limit)


if __name__ == "__main__":
    harness.main(__name__)
