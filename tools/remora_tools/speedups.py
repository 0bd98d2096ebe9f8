"""The optional CPython speedups: the HTTP core compiled with mypyc, and uvloop.

    python -m remora_tools.speedups          # build (or find) them; prints their PYTHONPATH

Both are optional and change nothing unless they are on the path:

- ``build/speedups/compiled-HASH``: a copy of ``lib/remora`` in which the HTTP core's leaf modules
  (``remora.proto.http``: fields, state, writers, readers, chunked) are compiled with mypyc
  from the same sources (:data:`COMPILED`); put it first on ``PYTHONPATH`` and CPython imports the
  compiled modules (the rest of the copy runs as Python).  Nothing else is compiled: the
  connection classes are subclassed by drivers, which mypyc's native classes forbid.
- ``build/speedups/site-HASH``: uvloop (``requirements-speedups.txt``, pinned), installed
  there rather than in the venv, so that the test suite and everything else keep asyncio's own loop;
  remora's port uses uvloop wherever it is importable (unless ``REMORA_UVLOOP=0``).

``make setup`` builds them (the compiled copy's hash covers lib/remora and mypy's version,
uvloop's its requirements), seconds each; the differential test
(host_tests/test_http_speedups.py) and the bench build what is missing and put them on the
path.  A plain
``pip install uvloop`` in an application's environment is enough for uvloop alone.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from typing import List

from . import paths

COMPILED = ("fields", "state", "writers", "readers", "chunked")  # remora/proto/http/<name>.py
REQUIREMENTS = "requirements-speedups.txt"


class SpeedupsError(Exception):
    """The build failed; the message says where its log is."""


def _digest(parts: List[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part + b"\0")
    return h.hexdigest()[:16]


def _lib_parts() -> List[bytes]:
    parts = []
    lib = os.path.join(paths.lib_dir(), "remora")
    for dirpath, dirnames, filenames in os.walk(lib):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                parts.append(os.path.relpath(path, lib).encode())
                with open(path, "rb") as f:
                    parts.append(f.read())
    try:
        import mypy.version

        parts.append(mypy.version.__version__.encode())
    except ImportError:
        pass
    return parts + [sys.version.encode()]


def compiled_path() -> str:
    """Where the compiled copy of the current sources is (built or not)."""
    return os.path.join(paths.build_dir(), "speedups", "compiled-" + _digest(_lib_parts()))


def site_path() -> str:
    """Where uvloop is installed (built or not): it follows its requirements only, so a
    change to lib/remora needs no download."""
    with open(os.path.join(paths.repo_root(), REQUIREMENTS), "rb") as f:
        text = f.read()
    return os.path.join(paths.build_dir(), "speedups", "site-" + _digest([text, sys.version.encode()]))


def _run(argv: List[str], log: str, cwd: str) -> None:
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(argv))
        f.flush()
        proc = subprocess.run(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SpeedupsError("remora speedups: %s failed; log %s" % (" ".join(argv[1:4]), log))


def build(quiet: bool = True) -> "List[str]":
    """Build what is missing; [compiled copy, uvloop's folder] (PYTHONPATH order)."""
    out = [compiled_path(), site_path()]
    for target, make in zip(out, (_compile, _install)):
        if os.path.isfile(os.path.join(target, ".done")):
            continue
        root = os.path.dirname(target)
        os.makedirs(root, exist_ok=True)
        log = os.path.join(root, "build.log")
        if not quiet:
            print("remora: building %s, log %s" % (target, log), file=sys.stderr, flush=True)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=root)
        try:
            with open(log, "w") as f:
                f.write("remora speedups: %s\n" % target)
            make(tmp, log)
            with open(os.path.join(tmp, ".done"), "w") as f:
                f.write("ok\n")
            try:
                os.rename(tmp, target)
            except OSError:
                if not os.path.isfile(os.path.join(target, ".done")):
                    raise  # not a concurrent build that finished first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _prune(root, target)
    return out


def _compile(tmp: str, log: str) -> None:
    shutil.copytree(os.path.join(paths.lib_dir(), "remora"), os.path.join(tmp, "remora"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.mpy", "*.so"))
    # mypyc writes the extension modules next to their sources, its runtime
    # library at the top (on the path with the copy), its C files under build/.
    sources = ["remora/proto/http/%s.py" % name for name in COMPILED]
    _run([sys.executable, "-m", "mypyc"] + sources, log, tmp)
    shutil.rmtree(os.path.join(tmp, "build"), ignore_errors=True)


def _install(tmp: str, log: str) -> None:
    _run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
          "--no-compile", "--target", tmp, "-r", os.path.join(paths.repo_root(), REQUIREMENTS)],
         log, tmp)


def _prune(root: str, keep: str) -> None:
    # Older builds of the same kind go, but the newest few: a test session may use one.
    kind = os.path.basename(keep).split("-")[0] + "-"
    old = sorted((os.path.join(root, d) for d in os.listdir(root)
                  if d.startswith(kind) and os.path.join(root, d) != keep),
                 key=os.path.getmtime, reverse=True)
    for path in old[2:]:
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    try:
        print(os.pathsep.join(build(quiet=False)))
    except SpeedupsError as exc:
        raise SystemExit(str(exc))


if __name__ == "__main__":
    main()
