"""Where the repository's folders are, seen from the installed tools.

With the editable install ``remora_tools`` sits in ``tools/``, so the repository root is two
levels up.  Environment overrides: ``REMORA_BOARDS`` (board profiles folder), ``REMORA_BUILD``
(build output folder).
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def repo_root() -> str:
    return REPO


def lib_dir() -> str:
    """The folder that holds the ``remora`` package (``lib/``)."""
    cand = os.path.join(REPO, "lib")
    if os.path.isdir(os.path.join(cand, "remora")):
        return cand
    # Not a checkout: fall back to wherever remora is importable from.
    import importlib.util

    spec = importlib.util.find_spec("remora")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("remora: cannot find the remora package (lib/remora)")
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def boards_dir() -> str:
    return os.environ.get("REMORA_BOARDS") or os.path.join(REPO, "boards")


def build_dir() -> str:
    return os.environ.get("REMORA_BUILD") or os.path.join(REPO, "build")


def find_tool(name: str) -> str:
    """A command from the venv's bin folder first (next to sys.executable), then PATH."""
    cand = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(cand) and os.access(cand, os.X_OK):
        return cand
    found = shutil.which(name)
    if found is None:
        raise SystemExit("remora: %r not found; run `make setup`" % name)
    return found
