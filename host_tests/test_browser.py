"""The demo in a real browser: headless Chromium (Debian's ``chromium``, driven by
npm's ``playwright-core``, both installed by ``make setup``) loads the demo from
remora on the simulated ESP32 board (MicroPython, the ``esp32`` profile's 110 KiB
heap) and exchanges text, binary and a 100 KB message over ``/ws/echo``, reads
the live figures ``/ws/live`` pushes and passes a chat message; the outcome is
read from the page (host_tests/browser/demo_ws.mjs).
"""

import json
import os
import shutil
import subprocess
import tempfile

from httpserver import Server

import harness

HERE = os.path.join(harness.REPO, "host_tests", "browser")
DEMO = os.path.join(harness.REPO, "examples", "demo")
CHROMIUM = "/usr/bin/chromium"


def test_demo_websockets_in_chromium(board_firmware):
    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: run make setup"
    assert os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")), (
        "playwright-core is missing: run make setup")
    srv = Server("micropython", "--ntp", "127.0.0.1:1", app=DEMO, board="esp32")
    profile = tempfile.mkdtemp(prefix="remora-chromium-")  # a fresh --user-data-dir
    try:
        proc = subprocess.run(["node", "demo_ws.mjs", "http://127.0.0.1:%d" % srv.port, profile],
                              cwd=HERE, capture_output=True, text=True, timeout=150)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert lines, (proc.stdout, proc.stderr, srv.output())
        out = json.loads(lines[-1])
        assert "error" not in out, (out, srv.output())
        assert out["echo"] == "ok text:7 binary:4 big:100000", (out, srv.output())
        assert int(out["live"]) >= 1 and out["uptime"].endswith(" s")
        assert "hello from chromium" in out["chat"]
        assert srv.returncode is None, srv.output()
    finally:
        srv.stop()
        shutil.rmtree(profile, ignore_errors=True)


def test_demo_ws_echo_and_stats(runtime):
    # The demo on the ESP32 profile, both runtimes, with the websockets library:
    # /ws/echo keeps each message's type, a message over 64 KiB included, and
    # /stats counts the open WebSockets.
    import asyncio
    import urllib.request

    import websockets

    srv = Server(runtime, "--ntp", "127.0.0.1:1", app=DEMO, board="esp32")

    def stats():
        with urllib.request.urlopen("http://127.0.0.1:%d/stats" % srv.port, timeout=20) as f:
            return json.loads(f.read())

    async def go():
        url = "ws://127.0.0.1:%d" % srv.port
        async with websockets.connect(url + "/ws/echo", max_size=None) as echo, \
                websockets.connect(url + "/ws/live") as live:
            assert json.loads(await live.recv())["websockets"] == 2
            await echo.send("text ☃")
            assert await echo.recv() == "text ☃"
            await echo.send(b"\x00\xff")
            assert await echo.recv() == b"\x00\xff"
            big = os.urandom(70000)
            await echo.send(big)
            assert await echo.recv() == big
            assert (await asyncio.get_running_loop().run_in_executor(None, stats))["websockets"] == 2

    try:
        asyncio.run(asyncio.wait_for(go(), 60))
        assert srv.returncode is None, srv.output()
    finally:
        srv.stop()
