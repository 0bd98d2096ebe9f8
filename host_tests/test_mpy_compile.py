"""Every module of lib/remora compiles with mpy-cross (a board runs nothing else)."""

import os

import pytest

from harness import LIB
from remora_tools import mpy

SOURCES = mpy.sources(os.path.join(LIB, "remora"))


@pytest.mark.parametrize("rel", SOURCES, ids=["remora/" + s for s in SOURCES])
def test_compiles(rel, tmp_path):
    src = os.path.join(LIB, "remora", rel)
    out = mpy.compile_file(src, str(tmp_path / "out.mpy"), "remora/" + rel)
    assert os.path.getsize(out) > 0
