"""remora serve --dev on both runtimes: a saved page is served at the next
request, a page that does not compile answers with its error (file, line,
source) while the rest serves, and a changed module restarts the server."""

import os
import shutil
import subprocess
import sys
import time

import pytest

import harness
from httpserver import raw_exchange, status_of

REMORA = os.path.join(os.path.dirname(sys.executable), "remora")

MAIN = '''
from remora.http import App


async def main(args):
    app = App(args[args.index("--root") + 1])
    app.pages("/", "www", args[args.index("--pages") + 1] if "--pages" in args else None)

    @app.route("/version")
    def version(req):
        return "%s"

    await app.serve(int(args[args.index("--port") + 1]))
'''


def get(port, target):
    raw = raw_exchange(port, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n", timeout=10)
    return status_of(raw), raw.partition(b"\r\n\r\n")[2].decode(errors="replace")


def until(port, target, check, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = get(port, target)
            if check(got):
                return got
        except OSError:
            got = None  # restarting
        assert time.monotonic() < deadline, got
        time.sleep(0.2)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    # A second apart from the last save: the watch compares times and sizes.
    os.utime(path, (time.time() + 2, time.time() + 2))


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_dev_mode_picks_up_changes(runtime, tmp_path):
    app = tmp_path / "app"
    (app / "www").mkdir(parents=True)
    write(str(app / "main.py"), MAIN % "one")
    write(str(app / "www" / "page.rsp"), "<p>first <?= 1 + 1 ?></p>\n")
    write(str(app / "www" / "other.rsp"), "<p>other</p>\n")
    port = harness.free_port()
    proc = subprocess.Popen([REMORA, "serve", str(app), "--dev", "--runtime", runtime,
                             "--board", "esp32", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, cwd=harness.REPO)
    try:
        assert until(port, "/page.rsp", lambda g: g[0] == 200) == (200, "<p>first 2</p>\n")
        write(str(app / "www" / "page.rsp"), "<p>second</p>\n")
        until(port, "/page.rsp", lambda g: g == (200, "<p>second</p>\n"))
        # A page that does not compile: its error, in the browser; the rest serves.
        write(str(app / "www" / "page.rsp"), "<p>ok</p>\n<?py x = = 1 ?>\n")
        status, body = until(port, "/page.rsp", lambda g: g[0] == 500)
        assert "/page.rsp line 2" in body and "SyntaxError" in body and "x = = 1" in body, body
        assert get(port, "/other.rsp") == (200, "<p>other</p>\n")
        # A module changed: the server restarts with it.
        assert get(port, "/version") == (200, "one")
        write(str(app / "main.py"), MAIN % "two")
        until(port, "/version", lambda g: g == (200, "two"))
    finally:
        os.killpg(proc.pid, 15)
        out = proc.communicate(timeout=20)[0]
    assert "Traceback" not in out.split("request failed")[0], out
