"""Read board profiles (``boards/NAME.py``) without executing them."""

import ast
import os
from typing import Any, Dict, List

from . import paths


def board_file(name: str) -> str:
    path = os.path.join(paths.boards_dir(), name + ".py")
    if not os.path.isfile(path):
        raise SystemExit(
            "remora: unknown board %r (have: %s)" % (name, ", ".join(names()) or "none")
        )
    return path


def names() -> List[str]:
    d = paths.boards_dir()
    if not os.path.isdir(d):
        return []
    return sorted(f[:-3] for f in os.listdir(d) if f.endswith(".py") and not f.startswith("_"))


def load(name: str) -> Dict[str, Any]:
    """The PROFILE dict of board ``name``, read with ast.literal_eval."""
    path = board_file(name)
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "PROFILE"
        ):
            profile = ast.literal_eval(node.value)
            if not isinstance(profile, dict):
                break
            return profile
    raise SystemExit("remora: %s has no `PROFILE = {...}` dict literal" % path)
