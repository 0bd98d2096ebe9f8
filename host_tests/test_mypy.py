"""mypy over lib/remora (configuration in pyproject.toml, [tool.mypy])."""

import subprocess
import sys

from harness import REPO


def test_mypy():
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout
