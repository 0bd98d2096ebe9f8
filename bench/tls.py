"""TLS on the simulated board: the heap one connection takes, during its handshake and at
rest, what lowers it, and the handshake rate.

    .venv/bin/python -m bench.tls [--tls-k 4] [--tls-handshakes 30] [--tls-no-variant]

MicroPython rows run the bench's firmware, whose Mbed TLS allocates on the MicroPython heap
(``firmware/cmodules/tlsheap``, as the Pico W's rp2 port does; the ESP32 port gives it
ESP-IDF's heap instead), with the esp32 profile and a 256 KiB heap so that K connections
fit (a figure per connection does not depend on the heap's size; ``tls_max`` raised to 32).
The server is ``bench/programs/tls_heap.py``: a TLS echo server that answers ``HEAP``
(``gc.mem_alloc()`` after ``gc.collect()``) and opens client connections on ``CLIENTS``.
Certificates: ``remora cert`` (ECDSA P-256) into bench/build/tls.

- Context: the heap ``tls.server(cert, key)`` took.
- Server, at rest: HEAP on a first TLS connection; K more handshaken (CPython's ssl; TLS 1.2
  on the board), one echo each, idle; HEAP again; the difference / K.
- Server, during the handshake: K connections that sent a real ClientHello and read the
  server's first flight, then nothing (the server holds the handshake's state, waiting for
  their second flight); HEAP; the difference from the first figure / K.
- Client, at rest: ``CLIENTS`` to an ssl echo server of the bench (CPython): K TLS client
  connections from the board, idle; the difference / K.
- Handshakes per second: ``--tls-handshakes`` sequential connections (TCP connect, full
  handshake, one echo, close) from CPython's ssl, against the board and against the same
  program on CPython, alternated; medians of 3 rounds.
- Smaller records (unless ``--tls-no-variant``): a firmware variant built here from the
  same recipe, whose Mbed TLS configuration sets ``MBEDTLS_SSL_IN_CONTENT_LEN`` 4096 and
  ``MBEDTLS_SSL_MAX_FRAGMENT_LENGTH`` (RFC 6066 §4): heap per connection at rest, and
  whether 16 KiB written at once by a client arrive, from CPython's ssl (which cannot ask
  for max_fragment_length) and from ``openssl s_client -maxfraglen 4096`` (which does).
  MicroPython v1.28's ``tls`` module exposes neither the record size nor sessions (no
  ticket or cache setting, no ``session`` on a socket): both are firmware choices.
"""

import argparse
import fcntl
import hashlib
import os
import select
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from typing import List, Tuple

from remora_tools import cert, firmware, paths

from . import harness, servers
from .harness import Run, Server

NAME = "tls"
BOARD = "esp32"
HEAP = 262144
PROGRAM = os.path.join(servers.PROGRAMS, "tls_heap.py")
VARIANT_CONFIG = """\
// bench/tls.py: the simulated board's Mbed TLS configuration with 4 KiB incoming records
// and the max_fragment_length extension (RFC 6066 section 4).
#include "mbedtls/mbedtls_config_port.h"
#undef MBEDTLS_SSL_IN_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN (4096)
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
"""


def options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--tls-k", type=int, default=4, help="connections per heap figure")
    ap.add_argument("--tls-handshakes", type=int, default=30,
                    help="handshakes per round of the rate row")
    ap.add_argument("--tls-no-variant", action="store_true",
                    help="skip the 4 KiB-record firmware variant (a build of about a minute)")


def certs() -> str:
    folder = os.path.join(paths.build_dir(), "tls")
    if not os.path.exists(os.path.join(folder, "localhost-key.der")):
        cert.make(folder)
    return folder


def context(folder: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=os.path.join(folder, "localhost.pem"))


def line(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed while waiting for an answer to %r" % request[:20])
        buf += chunk
    return buf


def heap(sock: socket.socket) -> int:
    words = line(sock, b"HEAP\n").split()
    if words[0] != b"HEAP":
        raise ValueError("bad answer %r" % b" ".join(words))
    return int(words[1])


def tls_connect(port: int, ctx: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection((harness.HOST, port), 10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def client_hello() -> bytes:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class EchoPeer(threading.Thread):
    """A TLS echo server of CPython's ssl for the board's client connections."""

    def __init__(self, folder: str) -> None:
        super().__init__(daemon=True)
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(os.path.join(folder, "localhost.pem"),
                                 os.path.join(folder, "localhost-key.pem"))
        self.listener = socket.socket()
        self.listener.bind((harness.HOST, 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: List[socket.socket] = []
        self.start()

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                self.held.append(self.ctx.wrap_socket(conn, server_side=True))
            except (OSError, ssl.SSLError):
                conn.close()

    def stop(self) -> None:
        self.listener.close()
        for s in self.held:
            s.close()


def heap_rows(run: Run, srv: Server, folder: str, where: str, variant: str = "") -> None:
    k = run.opts.tls_k
    ctx = context(folder)
    control = tls_connect(srv.port, ctx)
    held: List[ssl.SSLSocket] = []
    try:
        base = heap(control)
        for _ in range(k):
            conn = tls_connect(srv.port, ctx)
            line(conn, b"hello\n")
            held.append(conn)
        at_rest = (heap(control) - base) / k
        what = "heap per TLS connection at rest, server" + variant
        run.row(what, where, "%.0f" % at_rest, "B", srv.command,
                "K=%d connections handshaken (CPython's ssl, %s) and idle; (HEAP after - "
                "before) / K" % (k, held[0].version()))
        if variant:
            return
        for conn in held:
            conn.close()
        held = []
        stalled: List[socket.socket] = []
        hello = client_hello()
        for _ in range(k):
            raw = socket.create_connection((harness.HOST, srv.port), 10)
            raw.sendall(hello)
            raw.recv(4096)  # the server's first flight began: it holds the handshake's state
            stalled.append(raw)
        during = (heap(control) - base) / k
        for raw in stalled:
            raw.close()
        run.row("heap per TLS connection during its handshake, server", where, "%.0f" % during,
                "B", srv.command, "K=%d connections that sent a ClientHello and read the "
                "server's first flight, then nothing; (HEAP - HEAP with none) / K" % k)
        peer = EchoPeer(folder)
        try:
            before = heap(control)
            answer = line(control, b"CLIENTS %d %d\n" % (peer.port, k))
            if not answer.startswith(b"HEAP"):
                raise RuntimeError(answer.decode(errors="replace").strip())
            client = (int(answer.split()[1]) - before) / k
        finally:
            peer.stop()
        run.row("heap per TLS client connection at rest", where, "%.0f" % client, "B",
                srv.command, "K=%d connections from the board to CPython's ssl, verified "
                "against the CA file, idle; (HEAP after - before) / K" % k)
    finally:
        for conn in held:
            conn.close()
        control.close()


def handshake_rate(port: int, ctx: ssl.SSLContext, n: int) -> float:
    start = time.monotonic()
    for _ in range(n):
        with tls_connect(port, ctx) as s:
            line(s, b"x\n")
    return n / (time.monotonic() - start)


def rate_rows(run: Run, folder: str, board: str) -> None:
    specs = [(servers.label("micropython", BOARD, HEAP),
              servers.remora_spec(run, PROGRAM, "micropython", board, HEAP, [folder])),
             (servers.label("cpython", BOARD),
              servers.remora_spec(run, PROGRAM, "cpython", board, None, [folder]))]
    started: List[Tuple[str, Server]] = []
    try:
        for where, spec in specs:
            started.append((where, run.server(spec)))
        ctx = context(folder)
        rates: List[List[float]] = [[] for _ in started]
        for _round in range(3):
            for i, (_where, srv) in enumerate(started):
                rates[i].append(handshake_rate(srv.port, ctx, run.opts.tls_handshakes))
        for i, (where, srv) in enumerate(started):
            run.row("TLS handshakes per second (ECDSA P-256, one echo each)", where,
                    "%.0f" % harness.median(rates[i]), "handshakes/s", srv.command,
                    "%d sequential connections from CPython's ssl per round, median of 3; "
                    "spread %s" % (run.opts.tls_handshakes, harness.spread(rates[i])))
    except Exception as exc:
        run.error("TLS handshakes per second", "", "", exc)
    finally:
        for _where, srv in started:
            srv.stop()


def variant_firmware(run: Run) -> str:
    """The bench's 4 KiB-record firmware (see the module doc), built when missing."""
    src = firmware.source_dir()
    h = hashlib.sha256((firmware.unix_digest(src) + VARIANT_CONFIG).encode()).hexdigest()[:16]
    out = firmware.firmware_dir()
    binary = os.path.join(out, "bin", "micropython-tls4k-unix32-" + h)
    if os.path.exists(binary):
        return binary
    os.makedirs(os.path.join(out, "bin"), exist_ok=True)
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the recipe's lock: the same mpy-cross folder
        if os.path.exists(binary):
            return binary
        # The recipe's user C modules (simflash, tlsheap...) and one more whose make file
        # points Mbed TLS at the variant's configuration (read before extmod.mk's default).
        mods = os.path.join(out, "tls4k-cmodules")
        shutil.rmtree(mods, ignore_errors=True)
        cmodules = os.path.join(paths.repo_root(), "firmware", "cmodules")
        os.makedirs(os.path.join(mods, "tls4k"))
        for name in os.listdir(cmodules):
            os.symlink(os.path.join(cmodules, name), os.path.join(mods, name))
        config = os.path.join(mods, "tls4k", "tls4k_config.h")
        with open(config, "w") as f:
            f.write(VARIANT_CONFIG)
        with open(os.path.join(mods, "tls4k", "micropython.mk"), "w") as f:
            f.write('MBEDTLS_CONFIG_FILE := \\"%s\\"\n' % config)
        build = os.path.join(out, "unix32-tls4k")
        shutil.rmtree(build, ignore_errors=True)  # flags changed: everything compiled again
        manifest = os.path.join(paths.repo_root(), "firmware", "unix", "manifest.py")
        log = build + ".log"
        print("bench tls: building the 4 KiB-record firmware variant, log %s" % log, flush=True)
        with open(log, "w") as logf:
            for argv in firmware.unix_make_argv(src, manifest, build):
                argv = ["USER_C_MODULES=" + mods if a.startswith("USER_C_MODULES=") else a
                        for a in argv]
                subprocess.run(argv, stdout=logf, stderr=subprocess.STDOUT, check=True,
                               stdin=subprocess.DEVNULL)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(binary), prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(os.path.join(build, "micropython"), tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, binary)
    run.note("TLS variant rows: `%s`, the simulated board's firmware recipe with Mbed TLS's "
             "MBEDTLS_SSL_IN_CONTENT_LEN 4096 and MBEDTLS_SSL_MAX_FRAGMENT_LENGTH (bench/tls.py)"
             % os.path.relpath(binary, paths.repo_root()))
    return binary


def sixteen_k(port: int, folder: str) -> Tuple[str, str]:
    """Whether 16 KiB written at once come back: from CPython's ssl, from s_client."""
    data = b"0123456789abcdef" * 1024
    try:
        with tls_connect(port, context(folder)) as s:
            s.sendall(data + b"\n")
            got = b""
            while not got.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        python = "echoed" if got == data + b"\n" else "cut off after %d bytes" % len(got)
    except (OSError, ssl.SSLError) as exc:
        python = "failed (%s)" % type(exc).__name__
    # s_client keeps the connection until the server ends it (the echo server does not):
    # read its output until the echo is whole, with a deadline, then stop it.
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", "%s:%d" % (harness.HOST, port), "-quiet",
         "-maxfraglen", "4096", "-CAfile", os.path.join(folder, "localhost.pem")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = b""
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(data + b"\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while data not in out and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
    finally:
        proc.kill()
        proc.wait(5)
    openssl = "echoed" if data in out else "failed (%d bytes back)" % len(out)
    return python, openssl


def variant_rows(run: Run, folder: str, board: str) -> None:
    what = "heap per TLS connection at rest, server, 4 KiB incoming records"
    try:
        binary = variant_firmware(run)
    except Exception as exc:
        run.error(what, "", "", exc)
        return
    saved = firmware.unix_binary
    firmware.unix_binary = lambda quiet=False: binary  # runtimes.command asks it
    where = servers.label("micropython", BOARD, HEAP) + " (4 KiB-record variant)"
    try:
        with run.server(servers.remora_spec(run, PROGRAM, "micropython", board, HEAP,
                                            [folder])) as srv:
            heap_rows(run, srv, folder, where, ", 4 KiB incoming records")
            python, openssl = sixteen_k(srv.port, folder)
            run.row("16 KiB written at once by a client that cannot ask for "
                    "max_fragment_length (CPython's ssl)", where, python, "", srv.command)
            run.row("16 KiB written at once by openssl s_client -maxfraglen 4096", where,
                    openssl, "", srv.command)
    except Exception as exc:
        run.error("TLS with 4 KiB incoming records", where, "", exc)
    finally:
        firmware.unix_binary = saved


def measure(run: Run) -> None:
    folder = certs()
    board = servers.bench_board(BOARD, tls_max=32)
    spec = servers.remora_spec(run, PROGRAM, "micropython", board, HEAP, [folder])
    where = servers.label("micropython", BOARD, HEAP)
    try:
        srv = run.server(spec)
    except Exception as exc:
        run.error("heap per TLS connection", where, "(did not start)", exc)
        return
    with srv:
        context_bytes = next((ln.split()[1] for ln in srv.out if ln.startswith("CONTEXT")), "")
        run.row("TLS server context (certificate and key loaded)", where, context_bytes, "B",
                srv.command, "heap tls.server() took (ECDSA P-256 certificate and key, DER)")
        try:
            heap_rows(run, srv, folder, where)
        except Exception as exc:
            run.error("heap per TLS connection", where, srv.command, exc)
    rate_rows(run, folder, board)
    if not run.opts.tls_no_variant:
        variant_rows(run, folder, board)


if __name__ == "__main__":
    harness.main(__name__)
