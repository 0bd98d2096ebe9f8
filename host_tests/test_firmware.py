"""The firmware with remora frozen in (tools/remora_tools/firmware.py, firmware/).

The simulated board's firmware is what every ``[micropython]`` test runs on,
so a module of remora that cannot be frozen (mpy-cross refuses it, the build
fails, or it does not import from the firmware) fails here by name.
"""

import os
import shutil
import subprocess

import pytest

import harness
from remora_tools import firmware, mpy, paths

LIB_REMORA = os.path.join(harness.LIB, "remora")
SRC = firmware.source_dir()  # the MicroPython source tree, seen from the real repository


def remora_modules():
    """Every module of lib/remora as (dotted name, name in the frozen table)."""
    found = []
    for rel in mpy.sources(LIB_REMORA):
        frozen = "remora/" + rel[:-3].replace(os.sep, "/")
        dotted = frozen.replace("/", ".")
        if dotted.endswith(".__init__"):
            dotted = dotted[: -len(".__init__")]
        found.append((dotted, frozen))
    return found


def on_firmware(tmp_path, code, *args, heap="2m"):
    """Run code as a script on the simulated board's firmware, nothing but it on the path."""
    script = tmp_path / "probe.py"
    script.write_text(code)
    env = dict(os.environ, MICROPYPATH=".frozen")
    proc = subprocess.run(
        [harness.firmware(), "-X", "heapsize=" + heap, str(script)] + list(args),
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, "exit %s\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def test_firmware_is_a_32_bit_build_with_what_a_board_brings(tmp_path):
    out = on_firmware(tmp_path, "\n".join((
        "import sys, asyncio, ssl, _thread, simflash, vfs",
        "print(sys.implementation.name, sys.maxsize)",
    )))
    # 32-bit: a small int has 31 bits, as on an ESP32 or an RP2040.
    assert out.split() == ["micropython", str(2**31 - 1)], out


def test_every_module_of_remora_is_frozen(tmp_path):
    # help("modules") lists the firmware's built-in and frozen modules.
    listed = set(on_firmware(tmp_path, "help('modules')").split())
    missing = [frozen for _dotted, frozen in remora_modules() if frozen not in listed]
    assert not missing, "not frozen into the firmware: %s" % missing


def test_every_module_of_remora_imports_from_the_firmware(tmp_path):
    code = "\n".join((
        "import sys",
        "for name in sys.argv[1:]:",
        "    try:",
        "        m = __import__(name, None, None, ['_'])",
        "        print('OK', name, m.__file__)",
        "    except Exception as exc:",
        "        print('FAIL', name, repr(exc))",
    ))
    names = [dotted for dotted, _frozen in remora_modules()]
    out = on_firmware(tmp_path, code, *names)
    seen = {}
    for line in out.splitlines():
        verdict, name, rest = line.split(" ", 2)
        seen[name] = (verdict, rest)
    assert sorted(seen) == sorted(names), out
    bad = []
    for name, (verdict, rest) in seen.items():
        if verdict == "OK":
            # From the firmware itself: the cwd holds only this script.
            assert rest.startswith("remora/"), (name, rest)
        elif not ("cpython" in name.split(".")[-1] and rest.startswith("ImportError")):
            # Only the CPython side of the port may need what MicroPython lacks.
            bad.append((name, rest))
    assert not bad, bad


# -- the firmware's stamp: a content hash of what goes into it ---------------


@pytest.fixture
def fake_repo(tmp_path, monkeypatch):
    """A copy of lib/remora and firmware/ that paths.* point at."""
    repo = tmp_path / "repo"
    shutil.copytree(LIB_REMORA, str(repo / "lib" / "remora"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(os.path.join(harness.REPO, "firmware"), str(repo / "firmware"))
    monkeypatch.setattr(paths, "repo_root", lambda: str(repo))
    monkeypatch.setattr(paths, "lib_dir", lambda: str(repo / "lib"))
    return repo


def test_the_firmware_is_rebuilt_when_what_it_freezes_changes(fake_repo):
    src = SRC
    first = firmware.unix_digest(src)
    init = fake_repo / "lib" / "remora" / "__init__.py"
    os.utime(str(init), (1, 1))  # a new mtime alone (a fresh clone) changes nothing
    (fake_repo / "lib" / "remora" / "__pycache__").mkdir()
    (fake_repo / "lib" / "remora" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"x")
    (fake_repo / "firmware" / "README.md").write_text("words only")
    assert firmware.unix_digest(src) == first
    for path, text in (
        (init, init.read_text() + "\n# changed\n"),  # a module of remora
        (fake_repo / "lib" / "remora" / "proto" / "new.py", "X = 1\n"),  # a new module
        (fake_repo / "firmware" / "unix" / "manifest.py", "# another manifest\n"),
        (fake_repo / "firmware" / "cmodules" / "simflash" / "simflash.c", "// changed\n"),
    ):
        before = firmware.unix_digest(src)
        path.write_text(text)
        assert firmware.unix_digest(src) != before, path


def test_a_board_without_its_toolchain_gets_one_line_naming_what_is_missing(
    tmp_path, monkeypatch
):
    src = tmp_path / "micropython"  # a tree with only the unix port, like ../shared's
    (src / "py").mkdir(parents=True)
    (src / "py" / "mpconfig.h").write_text("")
    (src / "ports" / "unix").mkdir(parents=True)
    monkeypatch.setenv("MICROPY_SRC", str(src))
    monkeypatch.delenv("IDF_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    for board, needs in (("esp32", ("ports/esp32", "IDF_PATH", "idf.py")),
                         ("esp32s3", ("ports/esp32", "IDF_PATH", "idf.py")),
                         ("picow", ("ports/rp2", "pico-sdk", "arm-none-eabi-gcc"))):
        with pytest.raises(SystemExit) as info:
            firmware.build_board(board)
        message = str(info.value)
        assert "\n" not in message and board in message, message
        for what in needs:
            assert what in message, (what, message)
