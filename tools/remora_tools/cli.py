"""The ``remora`` command.

    remora run PROGRAM.py [--runtime micropython|micropython64|cpython] [--board NAME] [args...]
    remora serve APPDIR [--port N] [--runtime R] [--board NAME] [--dev] [--quiet] [args...]
    remora boards
    remora compile APPDIR [--out DIR] [--mpy]
    remora sim [--board NAME] [--flash DIR] [--flash-size BYTES] [--link PATH] [--quiet]
    remora deploy [--port DEVICE] [--board NAME] [--http-port N] [...] APPDIR
    remora flash --board NAME --port DEVICE [--erase] [--baud N] [--dry-run] FIRMWARE
    remora cert [--out DIR] [--name NAME] [--host NAME ...] [--days N]

``--runtime``/``--board`` (and ``--port``, ``--dev``, ``--quiet`` for serve) are ours
wherever they appear after the program; every other argument goes to the program, in
order.  ``remora COMMAND --help`` tells each command's options, defaults and an example.  Everything after ``--`` goes to
the program untouched.  The child replaces this process (exec), so signals and the exit code
are the program's own.
"""

import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from . import boards, runtimes

USAGE = __doc__.split("\n\n")[1]
DEFAULTS = {"runtime": "micropython", "board": "unix"}

# ``remora COMMAND --help`` for the commands parsed here (the others use argparse).
HELP = {
    "run": """usage: remora run PROGRAM.py [--runtime R] [--board NAME] [args...]

Run a remora program (a file with ``async def main(args)``) as a board would.

options:
  --runtime R    micropython (default: the simulated board, 32-bit firmware with
                 remora frozen in, with the board's heap), micropython64 (the 64-bit
                 unix port from PyPI), or cpython
  --board NAME   board profile from boards/ (default: unix); `remora boards` lists them
  --             everything after it goes to the program untouched

example:
  remora run examples/ex09_cosocket_echo.py --board esp32 9000""",
    "serve": """usage: remora serve APPDIR [--port N] [--runtime R] [--board NAME] [--dev] [--quiet] [args...]

Serve an application folder (main.py with ``async def main(args)``, pages in www/;
a folder without main.py is served as plain pages and files).

options:
  --port N       TCP port (default: 8080)
  --runtime R    micropython (default), micropython64 or cpython (as for `remora run`)
  --board NAME   board profile (default: unix)
  --dev          development mode: error details in the browser (REMORA_DEV=1),
                 changed pages recompiled, the server restarted when a module changes
  --quiet        no access line per request (on by default)
  --             everything after it goes to the application's main(args)

example:
  remora serve examples/demo --board esp32 --port 8080 --dev""",
    "boards": """usage: remora boards

List the board profiles (boards/*.py): heap, worker threads, connection cap,
read buffer, largest buffered request body, cosocket write queue.  Every key
of a profile is described in boards/README.md.

example:
  remora boards""",
}


class UsageError(Exception):
    pass


def split_args(
    argv: Sequence[str], ours: Sequence[str]
) -> Tuple[Dict[str, str], List[str]]:
    """Pick ``--NAME VALUE`` / ``--NAME=VALUE`` for NAME in ours; the rest pass through."""
    opts: Dict[str, str] = {}
    rest: List[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i + 1 :])
            break
        name, eq, value = arg.partition("=")
        if name.startswith("--") and name[2:] in ours:
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError("%s needs a value" % name)
                i += 1
                value = argv[i]
            opts[name[2:]] = value
        else:
            rest.append(arg)
        i += 1
    return opts, rest


def _first_positional(
    argv: Sequence[str], ours: Sequence[str], flags: Sequence[str] = ()
) -> Tuple[Dict[str, str], str, List[str]]:
    """Our options before the positional argument, the positional, and what
    follows it.  A valueless flag of ``flags`` is noted with the value "1"."""
    opts: Dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        name, eq, value = argv[i].partition("=")
        if name.startswith("--") and name[2:] in flags and not eq:
            opts[name[2:]] = "1"
            i += 1
            continue
        if not name.startswith("--") or name[2:] not in ours:
            raise UsageError("unknown option %s" % argv[i])
        if not eq:
            if i + 1 >= len(argv):
                raise UsageError("%s needs a value" % name)
            i += 1
            value = argv[i]
        opts[name[2:]] = value
        i += 1
    if i >= len(argv):
        raise UsageError("missing argument")
    return opts, argv[i], list(argv[i + 1 :])


def _exec(runtime: str, program: str, board: str, args: List[str]) -> None:
    argv, env = runtimes.command(runtime, program, board, args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)


def cmd_run(argv: Sequence[str]) -> int:
    ours = ("runtime", "board")
    pre, program, after = _first_positional(argv, ours)
    opts, args = split_args(after, ours)
    o = dict(DEFAULTS)
    o.update(pre)
    o.update(opts)
    _exec(o["runtime"], program, o["board"], args)
    return 0  # not reached


def _flags(args: List[str], names: Sequence[str]) -> Tuple[Dict[str, bool], List[str]]:
    """Pick valueless ``--NAME`` flags (before a ``--``); the rest pass through."""
    found = {name: False for name in names}
    rest = []
    for i, arg in enumerate(args):
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg.startswith("--") and arg[2:] in found:
            found[arg[2:]] = True
        else:
            rest.append(arg)
    return found, rest


def _port_number(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError("--port must be a number from 1 to 65535, not %r" % text)
    return int(text)


def _check_free(port: int) -> None:
    """Fail early, in one line, when the port is taken (a server still running?)."""
    import errno
    import socket

    probe = socket.socket()
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("0.0.0.0", port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError("port %d is in use (is another server running there?); "
                             "pick another with --port N" % port)
        raise UsageError("cannot listen on port %d: %s" % (port, exc.strerror))
    finally:
        probe.close()


def cmd_serve(argv: Sequence[str]) -> int:
    from . import serve

    ours = ("runtime", "board", "port")
    pre, appdir, after = _first_positional(argv, ours, ("dev", "quiet"))
    opts, args = split_args(after, ours)
    flags, args = _flags(args, ("dev", "quiet"))
    for name in ("dev", "quiet"):
        flags[name] = flags[name] or pre.pop(name, None) is not None
    o = dict(DEFAULTS, port="8080")
    o.update(pre)
    o.update(opts)
    port = _port_number(o["port"])
    if not os.path.isdir(appdir):
        raise UsageError("no such folder: %s" % appdir)
    boards.board_file(o["board"])  # an unknown board: one line naming the known ones
    _check_free(port)
    if flags["dev"]:
        return serve.supervise(o["runtime"], appdir, o["board"], port, args,
                               access_log=not flags["quiet"])
    argv2, env = serve.command(o["runtime"], appdir, o["board"], port, args,
                               dev=flags["dev"], access_log=not flags["quiet"])
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv2[0], argv2, env)
    return 0  # not reached


def _kib(n: int) -> str:
    return "%d KiB" % (n // 1024) if n % 1024 == 0 or n >= 10240 else "%d B" % n


def cmd_boards(argv: Sequence[str]) -> int:
    columns = ("board", "heap", "workers", "connections", "read buffer", "max body", "queue")
    rows = [columns]
    for name in boards.names():
        p = boards.load(name)
        rows.append((name, _kib(p["heap_bytes"]), str(p["workers"]),
                     str(p["max_connections"]), _kib(p["recv_size"]),
                     _kib(p.get("http_max_body", 1048576)), _kib(p["queuelen"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    for row in rows:
        # The name left-aligned, the figures right-aligned, as tables of numbers are.
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, len(row))]
        print("  ".join(cells))
    return 0


def cmd_compile(argv: Sequence[str]) -> int:
    from . import compile_pages  # loads remora.pages only when asked

    return compile_pages.main(list(argv))


def cmd_sim(argv: Sequence[str]) -> int:
    from . import sim

    return sim.main(list(argv))


def cmd_deploy(argv: Sequence[str]) -> int:
    from . import deploy

    return deploy.main(list(argv))


def cmd_flash(argv: Sequence[str]) -> int:
    from . import flash

    return flash.main(list(argv))


def cmd_cert(argv: Sequence[str]) -> int:
    from . import cert

    return cert.main(list(argv))


COMMANDS = {
    "cert": cmd_cert,
    "run": cmd_run,
    "serve": cmd_serve,
    "boards": cmd_boards,
    "compile": cmd_compile,
    "sim": cmd_sim,
    "deploy": cmd_deploy,
    "flash": cmd_flash,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print("usage:\n" + USAGE)
        return 0 if args else 2
    cmd = COMMANDS.get(args[0])
    if cmd is None:
        print("remora: unknown command %r (one of: %s; see: remora --help)"
              % (args[0], ", ".join(sorted(COMMANDS))), file=sys.stderr)
        return 2
    if args[0] in HELP and ("--help" in args[1:2] or "-h" in args[1:2]):
        print(HELP[args[0]])
        return 0
    try:
        return cmd(args[1:])
    except UsageError as e:
        print("remora %s: %s (see: remora %s --help)" % (args[0], e, args[0]), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
