"""``remora deploy`` of the demo application to the simulated board, through real mpremote.

The board is ``remora sim`` (ESP32 profile: 110 KiB heap, remora frozen into its firmware);
its flash is a folder here, so the tests also look at what the deploy left in it: every
file the manifest names is there with that hash, and no ``.new`` file or ``/remora.todo``
is left over.  MicroPython only (the board is the simulated board's firmware).
"""

import hashlib
import json
import os
import shutil

import pytest

from harness import REPO, free_port
from simboard import copied, deploy, fetch, mpremote, start_sim

DEMO = os.path.join(REPO, "examples", "demo")


@pytest.fixture
def app(tmp_path):
    """A copy of the demo to edit (examples/demo itself is never touched)."""
    dst = tmp_path / "demo"
    shutil.copytree(DEMO, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def board_is_consistent(flash):
    """Every file the manifest names is on the flash whole; nothing half-done is left."""
    sums = json.loads((flash / "remora.sums").read_text())
    for path, sha in sums.items():
        data = (flash / path.lstrip("/")).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha, path
    leftovers = [str(p) for p in flash.rglob("*.new")]
    assert not leftovers and not (flash / "remora.todo").exists(), leftovers
    assert json.loads((flash / "remora.json").read_text())["state"] == "ok"
    return sums


def start(tmp_path, *extra):
    flash = tmp_path / "flash"
    flash.mkdir()
    prog, port = start_sim(str(flash), "esp32", *extra)
    return prog, port, flash


def test_deploy_the_demo_reset_then_only_the_edited_page(tmp_path, app, board_firmware):
    http = free_port()
    prog, port, flash = start(tmp_path)
    try:
        first = deploy(port, str(app), "--board", "esp32", "--http-port", str(http))
        assert first.returncode == 0, first.stdout + first.stderr
        assert "the application answers: 200 OK at http://127.0.0.1:%d/" % http in first.stdout
        names = copied(first.stdout)
        assert "/app/main.mpy" in names and "/app/pages/rsp_index.mpy" in names
        assert "/lib/remora_board.mpy" in names and "/main.py" in names
        assert not any(n.startswith("/lib/remora/") for n in names)  # frozen in the firmware
        sums = board_is_consistent(flash)
        assert set(names) == set(sums)
        status, body = fetch("http://127.0.0.1:%d/" % http)
        assert status == 200 and b"remora" in body

        # A hard reset: main.py brings the application up again.
        proc = mpremote(port, "reset")
        assert proc.returncode == 0, proc.stderr
        prog.wait_for_line("remora sim: hard reset")
        prog.wait_for_line("READY %d" % http, 30)
        assert fetch("http://127.0.0.1:%d/" % http)[0] == 200

        # One page edited: the second deploy copies that page and nothing else.
        index = app / "www" / "index.rsp"
        index.write_text(index.read_text().replace("</body>", "<p>EDITED-PAGE</p></body>"))
        second = deploy(port, str(app), "--board", "esp32")
        assert second.returncode == 0, second.stdout + second.stderr
        assert copied(second.stdout) == ["/app/pages/rsp_index.mpy"], second.stdout
        assert "1 changed, 0 to remove" in second.stdout
        board_is_consistent(flash)
        status, body = fetch("http://127.0.0.1:%d/" % http)
        assert status == 200 and b"EDITED-PAGE" in body
    finally:
        prog.stop()


@pytest.mark.parametrize("cut", ["upload:3", "install:0"])
def test_an_interrupted_deploy_is_finished_by_the_next(tmp_path, app, board_firmware, cut):
    http = free_port()
    prog, port, flash = start(tmp_path)
    try:
        assert deploy(port, str(app), "--board", "esp32", "--http-port", str(http)).returncode == 0
        for name in ("index.rsp", "ntp.rsp"):  # two pages and a new file change
            page = app / "www" / name
            page.write_text(page.read_text() + "\n<!-- v2 -->\n")
        (app / "www" / "static" / "new.txt").write_text("NEW-FILE\n")
        cut_off = deploy(port, str(app), env={"REMORA_DEPLOY_KILL": cut})
        assert cut_off.returncode == -9, cut_off.stdout + cut_off.stderr  # killed mid-way
        if cut == "install:0":
            # The board was left mid-install: after a reset main.py does not start a
            # half-replaced application, and says why.
            assert mpremote(port, "reset").returncode == 0
            prog.wait_for_line("remora: the last deploy did not finish (installing)", 30)
        again = deploy(port, str(app))
        assert again.returncode == 0, again.stdout + again.stderr
        sums = board_is_consistent(flash)
        assert "/app/www/static/new.txt" in sums
        status, body = fetch("http://127.0.0.1:%d/static/new.txt" % http)
        assert status == 200 and body == b"NEW-FILE\n"
    finally:
        prog.stop()


def test_a_full_flash_gets_a_clear_error_and_the_app_keeps_running(tmp_path, app,
                                                                  board_firmware):
    http = free_port()
    prog, port, flash = start(tmp_path, "--flash-size", "160K")
    try:
        first = deploy(port, str(app), "--board", "esp32", "--http-port", str(http))
        assert first.returncode == 0, first.stdout + first.stderr
        before = board_is_consistent(flash)
        index = app / "www" / "index.rsp"
        index.write_text(index.read_text().replace("</body>", "<p>EDITED-PAGE</p></body>"))
        (app / "www" / "static" / "big.bin").write_bytes(os.urandom(96 * 1024))
        second = deploy(port, str(app))
        assert second.returncode == 1, second.stdout + second.stderr
        assert "not enough room on the board's flash" in second.stdout
        assert "nothing was changed" in second.stdout
        assert board_is_consistent(flash) == before
        status, body = fetch("http://127.0.0.1:%d/" % http)  # the old application answers
        assert status == 200 and b"EDITED-PAGE" not in body
    finally:
        prog.stop()


def test_remora_itself_is_deployed_as_mpy_when_asked(tmp_path, app, board_firmware):
    """Where the firmware has no remora frozen in, the deploy copies remora's .mpy to
    /lib/remora; --include-remora does it here, and the board imports them from there."""
    http = free_port()
    prog, port, flash = start(tmp_path)
    try:
        proc = deploy(port, str(app), "--board", "esp32", "--http-port", str(http),
                      "--include-remora")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "(remora's .mpy included)" in proc.stdout
        sums = board_is_consistent(flash)
        lib = [p for p in sums if p.startswith("/lib/remora/")]
        assert "/lib/remora/__init__.mpy" in lib and "/lib/remora/http/app.mpy" in lib
        # The copies load on the board (its .mpy version) when /lib comes first.
        # (Leaf modules first: a deep import chain runs out of the board's C stack.)
        code = ("import sys\nsys.path[:] = ['/lib', '.frozen']\nimport asyncio\n"
                "import remora.port\nimport remora.dispatcher\nimport remora.http.app\n"
                "print(remora.__file__, remora.http.app.__file__)")
        out = mpremote(port, "exec", code)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["/lib/remora/__init__.mpy", "/lib/remora/http/app.mpy"]
    finally:
        prog.stop()
