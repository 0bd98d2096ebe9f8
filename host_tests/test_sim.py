"""The simulated board (``remora sim``) behaves like a board for real mpremote.

Its console is a pseudo-terminal: mpremote's raw REPL and raw-paste work, Ctrl-C stops
running code, Ctrl-D (a soft reset) restarts the board with ``MPY: soft reboot`` and keeps
the terminal, ``machine.reset()`` is a hard reset that runs main.py again, and boot.py and
main.py run at boot, on files in the flash folder.  MicroPython only: the board is the
simulated board's firmware (ESP32 profile: 110 KiB heap).
"""

import os
import time

import pytest

from simboard import mpremote, start_sim

MAIN_PY = """print("MAIN RAN")
while True:
    pass  # busy: only a KeyboardInterrupt at the VM's checks stops this
"""


@pytest.fixture
def sim(tmp_path, board_firmware):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "boot.py").write_text('print("BOOT RAN")\n')
    (flash / "main.py").write_text(MAIN_PY)
    prog, port = start_sim(str(flash))
    yield prog, port, flash
    prog.stop()


def test_boot_and_main_run_at_boot_and_mpremote_stops_main(sim):
    prog, port, flash = sim
    prog.wait_for_line("BOOT RAN")
    prog.wait_for_line("MAIN RAN")
    # mpremote's Ctrl-C stops the busy main.py, its raw REPL runs the command (raw-paste),
    # and its soft reset in the raw REPL does not start main.py again.
    proc = mpremote(port, "exec", "print(6 * 7)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "42"
    prog.wait_for_line("BOOT RAN")  # boot.py ran again after the soft reset ...
    assert prog.lines().count("MAIN RAN") == 1  # ... main.py did not


def test_files_through_mpremote_land_in_the_flash_folder(sim, tmp_path):
    prog, port, flash = sim
    data = bytes(range(256)) * 20  # every byte value, 5 KiB: many raw-paste windows
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    proc = mpremote(port, "fs", "cp", str(src), ":blob.bin", "+", "fs", "ls", ":")
    assert proc.returncode == 0, proc.stderr
    assert "blob.bin" in proc.stdout
    assert (flash / "blob.bin").read_bytes() == data
    back = tmp_path / "back.bin"
    proc = mpremote(port, "fs", "cp", ":blob.bin", str(back))
    assert proc.returncode == 0, proc.stderr
    assert back.read_bytes() == data


def test_raw_paste_is_used_and_ctrl_c_interrupts(sim):
    from mpremote.transport_serial import SerialTransport

    prog, port, flash = sim
    prog.wait_for_line("MAIN RAN")
    t = SerialTransport(port, 115200)
    try:
        t.enter_raw_repl(soft_reset=True)
        script = "x = 0\n" + "x += 1\n" * 2000 + "print(x)\n"  # 14 KB: flow-controlled
        assert t.exec(script).strip() == b"2000"
        assert t.use_raw_paste  # the board answered raw-paste's R\x01
        # Code that never ends, stopped by Ctrl-C as on a board.
        # (Ctrl-C during the compile is a byte for the REPL, as on a board: wait first.)
        t.exec_raw_no_follow("print('looping')\nwhile True:\n    pass\n")
        assert t.read_until(1, b"looping", timeout=10).endswith(b"looping")
        t.serial.write(b"\x03")
        out, err = t.follow(timeout=10)
        assert b"KeyboardInterrupt" in err
        assert t.exec("print('still here')").strip() == b"still here"
        t.exit_raw_repl()
    finally:
        t.close()


def test_soft_reset_from_the_friendly_repl_reboots_and_keeps_the_terminal(sim):
    import serial

    prog, port, flash = sim
    prog.wait_for_line("MAIN RAN")
    with serial.Serial(port, 115200, timeout=0.2) as s:
        s.write(b"\x03")  # stop main.py: the friendly REPL
        _read_until(s, b">>> ")
        s.write(b"\x04")  # Ctrl-D: soft reset
        seen = _read_until(s, b"MAIN RAN")
        assert b"MPY: soft reboot\r\n" in seen
        assert b"BOOT RAN" in seen
        s.write(b"\x03")
        _read_until(s, b">>> ")
        s.write(b"1 + 1\r")
        assert b"2" in _read_until(s, b">>> ")
    assert prog.returncode is None  # the simulator went on


def test_machine_reset_is_a_hard_reset_that_runs_main(sim):
    prog, port, flash = sim
    prog.wait_for_line("MAIN RAN")
    proc = mpremote(port, "reset")  # exec machine.reset() in the raw REPL
    assert proc.returncode == 0, proc.stderr
    prog.wait_for_line("remora sim: hard reset")
    prog.wait_for_line("BOOT RAN")
    prog.wait_for_line("MAIN RAN")  # after a hard reset main.py runs, raw REPL or not


def test_a_full_flash_says_enospc(tmp_path, board_firmware):
    flash = tmp_path / "flash"
    flash.mkdir()
    prog, port = start_sim(str(flash), "esp32", "--flash-size", "64K")
    try:
        code = (
            "import os\nprint(os.statvfs('/')[2])\n"
            "try:\n with open('big', 'wb') as f:\n  f.write(bytes(70000))\n"
            "except OSError as e:\n print('ERR', e.errno)\n"
        )
        proc = mpremote(port, "exec", code)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["16", "ERR", "28"]  # 16 blocks of 4 KiB; ENOSPC
    finally:
        prog.stop()


def _read_until(s, marker: bytes, timeout: float = 10) -> bytes:
    deadline = time.monotonic() + timeout
    seen = b""
    while marker not in seen:
        assert time.monotonic() < deadline, "no %r in %r" % (marker, seen)
        seen += s.read(256)
    return seen


def test_sim_refuses_an_unknown_board(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "remora_tools.sim", "--board", "nosuch",
                           "--flash", str(tmp_path)], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode != 0
    assert "unknown board 'nosuch'" in proc.stderr + proc.stdout
    assert not os.listdir(tmp_path)
