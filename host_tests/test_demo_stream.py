"""The demo's streamed bodies (issue 16), as ``make run`` serves it, on both runtimes.

``POST /echo`` returns 100 KB and 1 MB unchanged, with Content-Length and chunked, on the
ESP32 profile, the heap in use sampled while it runs (``/stats``, after a collection);
the upload page saves a file to the flash; the firmware page and its route behind the
admin login.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest
from test_demo import DEMO, make_run_board
from test_http_stream import request, wait_until

import harness
from remora_tools import serve


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def demo(request):
    if request.param == "micropython":
        request.getfixturevalue("board_firmware")
    folder = tempfile.mkdtemp(prefix="remora-demo-")
    os.makedirs(os.path.join(folder, "ota"))
    port = harness.free_port()
    argv, env = serve.command(request.param, DEMO, make_run_board(), port,
                              ["--uploads", os.path.join(folder, "uploads"), "--ntp", "127.0.0.1:9"])
    env["REMORA_OTA_DIR"] = os.path.join(folder, "ota")
    prog = harness.Program(request.param, DEMO, command=(argv, env))
    prog.port, prog.folder = port, folder
    prog.ready(30)
    yield prog
    prog.stop()
    shutil.rmtree(folder, ignore_errors=True)


def heap_alloc(port):
    return json.loads(request(port, "GET", "/stats")[2])["heap_alloc"]


@pytest.mark.parametrize("size", [100_000, 1 << 20], ids=["100KB", "1MB"])
@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_echo_streams_100KB_and_1MB_on_the_board_heap(demo, size, chunked):
    body = os.urandom(size)
    src, out = os.path.join(demo.folder, "in.bin"), os.path.join(demo.folder, "out.bin")
    with open(src, "wb") as f:
        f.write(body)
    argv = ["curl", "-s", "-o", out, "-w", "%{http_code}", "--max-time", "60",
            "--data-binary", "@" + src]
    if chunked:
        argv += ["-H", "Transfer-Encoding: chunked"]
    rest = heap_alloc(demo.port)
    proc = subprocess.Popen(argv + ["http://127.0.0.1:%d/echo" % demo.port], stdout=subprocess.PIPE)
    peak = rest
    while proc.poll() is None:
        now = heap_alloc(demo.port)
        if now is not None:
            peak = max(peak, now)
    assert proc.communicate(timeout=60)[0] == b"200"
    with open(out, "rb") as f:
        assert f.read() == body
    if rest is not None:
        print("demo heap at rest %d B, peak while echoing %d B: %d B" % (rest, size, peak))
        assert peak - rest < 24 * 1024


def test_upload_page_saves_to_the_flash(demo):
    data = os.urandom(50_000)
    src = os.path.join(demo.folder, "notes.bin")
    with open(src, "wb") as f:
        f.write(data)
    url = "http://127.0.0.1:%d" % demo.port
    code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-F",
                           "file=@" + src, url + "/upload"], capture_output=True, timeout=30).stdout
    assert code == b"303"
    with open(os.path.join(demo.folder, "uploads", "notes.bin"), "rb") as f:
        assert f.read() == data
    page = request(demo.port, "GET", "/upload.rsp")[2]
    assert b"<td>notes.bin</td><td>50000</td>" in page


def test_firmware_route_and_page_behind_the_admin_login(demo):
    fw = b"\xe9" + os.urandom(20_000)
    digest = "sha-256=:%s:" % base64.b64encode(hashlib.sha256(fw).digest()).decode()
    assert request(demo.port, "POST", "/admin/firmware", fw, {"Content-Digest": digest})[0] == 401
    auth = {"Authorization": "Basic " + base64.b64encode(b"admin:remora").decode()}
    status, _, body = request(demo.port, "POST", "/admin/firmware", fw,
                              dict(auth, **{"Content-Digest": digest}))
    assert status == 200 and json.loads(body)["partition"] == "ota_1", (body, demo.output())
    page = request(demo.port, "GET", "/admin/firmware.rsp", headers=auth)[2]
    assert b'<p id="ota-state">Running ota_0, next boot ota_1' in page, page
