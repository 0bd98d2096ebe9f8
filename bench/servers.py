"""How the bench starts its servers: remora programs, the peers, the bench's firmware.

- remora programs start exactly as ``remora run`` starts them, through
  ``remora_tools.runtimes.command`` (CPython: ``python -m remora.launch``; MicroPython: the
  32-bit firmware, remora frozen in, the program in the simulated flash, the board's heap).
- Every MicroPython server runs on one binary, the bench's firmware: the simulated board's
  firmware (``firmware/unix/manifest.py``, as ``make setup`` builds it) with microdot from
  the venv's site-packages frozen next to remora (``remora_tools.firmware.unix_variant``,
  built under bench/build/firmware).  So remora and microdot are both frozen, as a board
  would ship them, and every MicroPython row runs the same interpreter.  The programs and
  the peers' own files (asyncio echo, microdot's app) are .mpy in the simulated flash image,
  run by the firmware's ``remora_rom --module NAME``.
- The CPython peers (aiohttp, microdot, asyncio) run as plain ``python FILE PORT``.
"""

import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from remora_tools import boards, firmware, paths, romfs, runtimes

from .harness import HERE, Run, Spec

PROGRAMS = os.path.join(HERE, "programs")
PEERS = os.path.join(HERE, "peers")
# The microdot files the peer imports (__init__ imports .microdot and .helpers; the peer
# imports .websocket): what the bench's firmware freezes.
MICRODOT_FILES = ("__init__.py", "microdot.py", "helpers.py", "websocket.py")


def microdot_source() -> Tuple[str, str]:
    """(folder of the installed microdot package, its version), from the venv."""
    try:
        import microdot  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError("microdot is not installed in the venv: `make bench` installs "
                           "bench/requirements.txt")
    folder = os.path.dirname(os.path.abspath(microdot.__file__))
    return folder, str(getattr(microdot, "__version__", "?"))


def microdot_name() -> str:
    try:
        return "microdot %s" % microdot_source()[1]
    except RuntimeError:
        return "microdot (not installed)"


def use_bench_firmware(run: Run) -> str:
    """Build (once, then when an input changes) and select the bench's firmware: every
    ``runtimes.command("micropython", ...)`` of this process then runs on it."""
    if run.firmware:
        return run.firmware
    src, version = microdot_source()
    site = os.path.dirname(src)
    lines = ["package(%r, files=%r, base_path=%r)" % ("microdot", list(MICRODOT_FILES), site)]
    inputs = [os.path.join(src, name) for name in MICRODOT_FILES]
    binary = firmware.unix_variant("bench", lines, inputs, firmware.firmware_dir())
    # runtimes.command asks firmware.unix_binary() for the simulated board's binary: this
    # process answers with the bench's, which freezes the same remora plus microdot.
    firmware.unix_binary = lambda quiet=False: binary
    run.firmware = binary
    run.note("MicroPython rows: the 32-bit simulated board's firmware with remora and microdot "
             "%s (%s) frozen in, `%s` (remora_tools.firmware.unix_variant; the same recipe as "
             "`make setup`'s firmware plus microdot)"
             % (version, ", ".join(MICRODOT_FILES), os.path.relpath(binary, paths.repo_root())))
    return binary


def heap_of(board: str) -> int:
    return int(boards.load(board)["heap_bytes"])


def label(runtime: str, board: str, heap: Optional[int] = None) -> str:
    """The runtime column: which interpreter, board profile and heap."""
    if runtime == "cpython":
        return "cpython %d.%d (board %s)" % (sys.version_info[0], sys.version_info[1], board)
    hb = heap if heap is not None else heap_of(board)
    return "%s (board %s, heap %d KiB)" % (runtime, board, hb // 1024)


def set_heap(argv: List[str], heap: int) -> List[str]:
    """argv with its ``heapsize=`` replaced: a board profile run in a smaller heap."""
    out = list(argv)
    for i, a in enumerate(out):
        if a.startswith("heapsize="):
            out[i] = "heapsize=%d" % heap
            return out
    raise ValueError("no -X heapsize= in %r" % (argv,))


def bench_board(board: str, **changes: object) -> str:
    """A bench-only board profile: boards/BOARD.py with some keys changed, written to
    bench/build/boards/BOARD-KEYVALUE.py; returns its name."""
    prof = dict(boards.load(board))
    prof.update(changes)
    name = "-".join([board] + ["%s%s" % (k.replace("_", ""), v)
                               for k, v in sorted(changes.items())])
    prof["name"] = name
    text = ("# Bench-only profile (bench/servers.py bench_board): boards/%s.py with %s.\n"
            "PROFILE = %r\n" % (board, changes, prof))
    write_if_changed(os.path.join(boards_folder(), name + ".py"), text)
    return name


def write_if_changed(path: str, text: str) -> None:
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)


def boards_folder() -> str:
    """bench/build/boards: copies of boards/ and the bench's own profiles, made the board
    folder of this process (REMORA_BOARDS), so runtimes.command finds both."""
    folder = os.path.join(paths.build_dir(), "boards")
    if os.environ.get("REMORA_BOARDS") != folder:
        os.makedirs(folder, exist_ok=True)
        for name in boards.names():
            with open(boards.board_file(name)) as f:
                write_if_changed(os.path.join(folder, name + ".py"), f.read())
        os.environ["REMORA_BOARDS"] = folder
    return folder


def remora_spec(run: Run, program: str, runtime: str, board: str, heap: Optional[int] = None,
                args: Sequence[str] = (), flash: Optional[Dict[str, str]] = None) -> Spec:
    """A remora program, started as ``remora run`` starts it; heap replaces the board's
    heap (MicroPython)."""
    boards_folder()

    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        if runtime == "micropython":
            use_bench_firmware(run)
        argv, env = runtimes.command(runtime, program, board, [str(port)] + list(args), flash)
        if heap is not None and runtimes.is_micropython(runtime):
            argv = set_heap(argv, heap)
        return argv, env

    return Spec(os.path.basename(program), build)


def compiled(path: str) -> str:
    """The .mpy of a single-file program or peer (``runtimes.compile_program``)."""
    name = os.path.basename(path)[:-3]
    return os.path.join(runtimes.compile_program(path), name + ".mpy")


def rom_argv(run: Run, path: str, heap: int, args: Sequence[str] = ()
             ) -> Tuple[List[str], Dict[str, str]]:
    """(argv, env) that runs the file ``path`` as the main program on the bench's firmware:
    its .mpy as /rom/lib/NAME.mpy in a flash image, ``-m remora_rom --module NAME``."""
    name = os.path.basename(path)[:-3]
    env = dict(os.environ)
    env["MICROPYPATH"] = ".frozen"
    env["REMORA_ROMFS_IMAGE"] = romfs.image({"lib/%s.mpy" % name: compiled(path)})
    argv = [use_bench_firmware(run), "-X", "heapsize=%d" % heap, "-m", "remora_rom",
            "--module", name]
    return argv + list(args), env


def peer_spec(run: Run, path: str, runtime: str, heap: int = 0,
              args: Sequence[str] = ()) -> Spec:
    """A peer file (bench/peers/NAME.py): ``python FILE PORT ARGS`` on CPython, on
    MicroPython from the flash image of the bench's firmware with the given heap."""

    def build(port: int) -> Tuple[List[str], Dict[str, str]]:
        if runtime == "cpython":
            env = dict(os.environ)
            env["PYTHONUNBUFFERED"] = "1"
            return [sys.executable, path, str(port)] + list(args), env
        return rom_argv(run, path, heap, [str(port)] + list(args))

    return Spec(os.path.basename(path), build)


def echo_peer_spec(run: Run, runtime: str, board: str, heap: Optional[int] = None) -> Spec:
    """peers/asyncio_echo.py with the board's read size and backlog (and heap)."""
    prof = boards.load(board)
    return peer_spec(run, os.path.join(PEERS, "asyncio_echo.py"), runtime,
                     heap if heap is not None else heap_of(board),
                     [str(prof["recv_size"]), str(prof["backlog"])])


def microdot_spec(run: Run, runtime: str, heap: int = 0, args: Sequence[str] = ()) -> Spec:
    microdot_source()  # a clear error when it is missing
    return peer_spec(run, os.path.join(PEERS, "microdot_hello.py"), runtime, heap, args)
