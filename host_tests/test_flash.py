"""The simulated board's flash (tools/remora_tools/romfs.py, firmware/remora_rom.py).

On MicroPython every program runs from a ROMFS image mapped outside the
heap, as code in a board's flash: imports run the bytecode in place, so
the heap holds only what the code creates.  On the simulated board
(``micropython``) remora itself is frozen into the firmware and the image
holds the application; on the 64-bit port (``micropython64``) the image
holds remora too.
"""

import os

import pytest

from remora_tools import romfs

PROBE = "host_tests/programs/flash_probe.py"


def results(prog):
    out = {}
    prog.wait(30)
    for line in prog.lines():
        if line.startswith("RESULT "):
            _, key, value = line.split(" ", 2)
            out[key] = value
    return out


@pytest.mark.parametrize("runtime", ["cpython", "micropython", "micropython64"])
def test_programs_run_from_flash_in_place(program, runtime, tmp_path):
    got = results(program(PROBE, str(tmp_path)))
    if runtime == "cpython":
        # CPython imports the source tree, and has no board heap.
        assert got["remora_from"].endswith(os.path.join("lib", "remora", "__init__.py")), got
        assert got["heap_flash"] == "none", got
        return
    if runtime == "micropython":
        assert got["remora_from"] == "remora/__init__.py", got  # frozen into the firmware
    else:
        assert got["remora_from"].startswith("/rom/lib/remora/"), got
    assert got["prog_from"] == "/rom/prog/flash_probe_blob.mpy", got
    assert got["same_code"] == "True", got
    flash, copied = int(got["heap_flash"]), int(got["heap_file"])
    # From a file the bytecode and the 1.5 KB string constant are copied into
    # the heap; in place they stay in flash.
    assert flash + 1000 <= copied, got


def test_image_holds_the_tree_it_was_given(tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "x.mpy").write_bytes(b"x" * 10)
    (src / "a" / "y.mpy").write_bytes(b"y" * 3)
    (src / "a" / "skip.py").write_text("not in the image")
    tree = romfs.folder(str(src), "lib")
    assert sorted(tree) == ["lib/a/b/x.mpy", "lib/a/y.mpy"]
    first = romfs.image(tree)
    assert romfs.image(tree) == first  # the same contents: the same image, reused
    with open(first, "rb") as f:
        data = f.read()
    assert data[:3] == b"\xd2\xcd\x31"  # the ROMFS header (MicroPython's vfs_rom.c)
    assert b"x" * 10 in data and b"y" * 3 in data
    (src / "a" / "y.mpy").write_bytes(b"z" * 3)
    assert romfs.image(tree) != first
