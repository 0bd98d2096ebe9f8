"""Network bring-up (remora.wifi, remora.start) on both runtimes, with a board's network
module played by ``programs/fake_network.py``: station retries with back-off, the setup
page on the access point (a real HTTP client fills in the form), the application started
after the bring-up, and a half-installed deploy refused.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from harness import LIB, REPO, Program, free_port

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
APP_MAIN = """async def main(args):
    print("APP STARTED", " ".join(args))
"""


def board(runtime, tmp_path, wifi, creds, networks, hang_first=0, state="ok"):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(APP_MAIN)
    cred_file = tmp_path / "wifi.json"
    if creds:
        cred_file.write_text(json.dumps(creds))
    wifi = dict(wifi, credentials=str(cred_file))
    config = tmp_path / "remora.json"
    config.write_text(json.dumps({"state": state, "app": str(app), "module": "main",
                                  "args": ["--port", "8080"], "http_port": 8080,
                                  "wifi": wifi}))
    script = os.path.join(PROGRAMS, "wifi_board.py")
    args = [str(config), json.dumps(networks), str(hang_first)]
    env = dict(os.environ)
    if runtime == "cpython":
        argv = [sys.executable, script] + args
        env["PYTHONPATH"] = LIB
    else:
        from harness import firmware

        argv = [firmware(), "-X", "heapsize=256k", script] + args
        env["MICROPYPATH"] = ".frozen"
    return Program(runtime, script, command=(argv, env)), cred_file


def test_station_retries_with_back_off_then_starts_the_app(runtime, tmp_path):
    wifi = {"attempts": 3, "connect_ms": 200, "backoff_ms": 50}
    prog, _ = board(runtime, tmp_path, wifi, {"ssid": "home", "password": "right-pass"},
                    {"home": "right-pass"}, hang_first=2)
    with prog:
        w = "remora: wifi: "
        prog.wait_for_line(w + "connecting to 'home' (attempt 1 of 3)")
        prog.wait_for_line(w + "attempt 1 failed: no answer in time")
        prog.wait_for_line(w + "trying again in 50 ms")
        prog.wait_for_line(w + "attempt 2 failed: no answer in time")
        prog.wait_for_line(w + "trying again in 100 ms")  # doubled
        prog.wait_for_line(w + "connected to 'home' as 192.0.2.7")
        prog.wait_for_line("remora: starting %s on http://192.0.2.7:8080/" % (tmp_path / "app"))
        prog.wait_for_line("APP STARTED --port 8080")


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _post(url, fields):
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(url, data, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_wrong_password_opens_the_setup_page_and_new_credentials_are_used(runtime, tmp_path):
    port = free_port()
    wifi = {"attempts": 2, "connect_ms": 2000, "backoff_ms": 20, "setup_port": port}
    prog, cred_file = board(runtime, tmp_path, wifi, {"ssid": "home", "password": "old-pass"},
                            {"home": "new-password"})
    with prog:
        w = "remora: wifi: "
        prog.wait_for_line(w + "attempt 1 failed: wrong password")
        prog.wait_for_line(w + "attempt 2 failed: wrong password")
        prog.wait_for_line("FAKE access point on")
        prog.wait_for_line(w + "setup: join the access point 'remora-a1b2' (open) and open "
                           "http://127.0.0.1:%d/" % port)
        prog.wait_for_line("READY %d" % port)
        url = "http://127.0.0.1:%d/" % port
        status, page = _get(url)
        assert status == 200, "%s %s\n%s" % (status, page, prog.output())
        assert "Wi-Fi setup" in page and "<option value='home'>" in page
        status, body = _post(url + "save", {"ssid": "home", "password": "short"})
        assert status == 400 and "8 to 63 characters" in body
        status, body = _post(url + "save", {"ssid": "", "password": ""})
        assert status == 400 and "1 to 32 bytes" in body
        status, body = _post(url + "save", {"ssid": "home", "password": "new-password"})
        assert status == 200 and "now joins <b>home</b>" in body
        prog.wait_for_line(w + "credentials for 'home' saved")
        prog.wait_for_line("FAKE access point off")
        prog.wait_for_line(w + "connecting to 'home' (attempt 1 of 2)")
        prog.wait_for_line(w + "connected to 'home' as 192.0.2.7")
        prog.wait_for_line("APP STARTED --port 8080")
    assert json.loads(cred_file.read_text()) == {"ssid": "home", "password": "new-password"}


def test_a_half_installed_app_is_not_started(runtime, tmp_path):
    prog, _ = board(runtime, tmp_path, {}, {"ssid": "home", "password": "x" * 8},
                    {"home": "x" * 8}, state="installing")
    with prog:
        prog.wait_for_line("remora: the last deploy did not finish (installing): run "
                           "`remora deploy` again")
        assert prog.wait() == 0
    assert not any(line.startswith("APP STARTED") for line in prog.lines())


def test_the_simulated_board_is_always_connected(runtime, tmp_path):
    """Without a network module (the simulated board, CPython) the bring-up is immediate."""
    code = ("import remora\nfrom remora import wifi\n"
            "print('ADDRESS', remora.run(wifi.bring_up, None))\n")
    script = tmp_path / "sim_wifi.py"
    script.write_text(code)
    from harness import run_script

    proc = run_script(runtime, str(script))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "remora: wifi: simulated board: always connected, as 127.0.0.1",
        "ADDRESS 127.0.0.1",
    ], proc.stdout
    assert REPO  # the harness's root: scripts run from there
