"""The ``remora`` command.

    remora run PROGRAM.py [--runtime micropython|micropython64|cpython] [--board NAME] [args...]
    remora serve APPDIR [--port N] [--runtime R] [--board NAME] [args...]
    remora boards
    remora compile APPDIR [--out DIR] [--mpy]
    remora sim [--board NAME] [--flash DIR] [--flash-size BYTES] [--link PATH] [--quiet]
    remora deploy [--port DEVICE] [--board NAME] [--http-port N] [...] APPDIR
    remora flash --board NAME --port DEVICE [--erase] [--baud N] [--dry-run] FIRMWARE
    remora cert [--out DIR] [--name NAME] [--host NAME ...] [--days N]

``--runtime``/``--board`` (and ``--port`` for serve) are ours wherever they appear after the
program; every other argument goes to the program, in order.  Everything after ``--`` goes to
the program untouched.  The child replaces this process (exec), so signals and the exit code
are the program's own.
"""

import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from . import boards, runtimes

USAGE = __doc__.split("\n\n")[1]
DEFAULTS = {"runtime": "micropython", "board": "unix"}


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
    argv: Sequence[str], ours: Sequence[str]
) -> Tuple[Dict[str, str], str, List[str]]:
    """Our options before the positional argument, the positional, and what follows it."""
    opts: Dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        name, eq, value = argv[i].partition("=")
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


def cmd_serve(argv: Sequence[str]) -> int:
    from . import serve

    ours = ("runtime", "board", "port")
    pre, appdir, after = _first_positional(argv, ours)
    opts, args = split_args(after, ours)
    o = dict(DEFAULTS, port="8080")
    o.update(pre)
    o.update(opts)
    argv2, env = serve.command(o["runtime"], appdir, o["board"], int(o["port"]), args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv2[0], argv2, env)
    return 0  # not reached


def cmd_boards(argv: Sequence[str]) -> int:
    for name in boards.names():
        p = boards.load(name)
        print("%-10s heap %7d  workers %d  max_connections %d" % (
            name, p["heap_bytes"], p["workers"], p["max_connections"]))
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
        print("remora: unknown command %r\nusage:\n%s" % (args[0], USAGE), file=sys.stderr)
        return 2
    try:
        return cmd(args[1:])
    except UsageError as e:
        print("remora %s: %s\nusage:\n%s" % (args[0], e, USAGE), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
