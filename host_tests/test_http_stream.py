"""Request bodies larger than the heap (issue 16), on both runtimes, the ESP32 profile.

host_tests/apps/streamapp on the esp32test board (the ESP32's 110 KiB heap and limits,
HTTP timeouts of 1.5 s): streamed echo of 100 KB and 1 MB (Content-Length and chunked,
curl), its heap while it runs, a body read on a worker thread and in small reads, the
route's own limit (413) beside http_max_body's, the pace of a slow body (408 for one that
stops, none for a slow one that moves), multipart uploads to files (limits, a cut
connection), and firmware updates to the file-backed OTA partitions (a good image, a wrong
hash, a cut connection, the guard, the boot that follows and its rollback).  CPython runs
twice: as it is, and with the optional speedups (the mypyc-compiled core and uvloop).
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from httpserver import raw_exchange, status_of

import harness
from remora_tools import serve

APP = os.path.join(harness.REPO, "host_tests", "apps", "streamapp")
BOARD = "esp32test"
PROFILE = harness.test_board_profile(BOARD)


class StreamServer(harness.Program):
    """The stream app on a runtime; "cpython-speedups" is CPython with the compiled core
    and uvloop (remora_tools.speedups) first on its path."""

    def __init__(self, runtime, uploads, ota_dir, *extra, board=BOARD):
        self.port = harness.free_port()
        speedups = runtime == "cpython-speedups"
        if speedups:
            runtime = "cpython"
        argv, env = serve.command(runtime, APP, board, self.port, ["--uploads", uploads] + list(extra))
        if speedups:
            from remora_tools import speedups as built

            env["PYTHONPATH"] = os.pathsep.join(built.build() + [env["PYTHONPATH"]])
        env["REMORA_OTA_DIR"] = ota_dir
        env["REMORA_OTA_BYTES"] = str(256 << 10)
        super().__init__(runtime, APP, command=(argv, env))
        self.ready(30)


@pytest.fixture(scope="module", params=["cpython", "micropython", "cpython-speedups"])
def server(request):
    if request.param == "micropython":
        request.getfixturevalue("board_firmware")
    folder = tempfile.mkdtemp(prefix="remora-stream-")
    uploads = os.path.join(folder, "uploads")
    ota_dir = os.path.join(folder, "ota")
    os.makedirs(ota_dir)
    srv = StreamServer(request.param, uploads, ota_dir)
    srv.uploads, srv.ota_dir, srv.folder = uploads, ota_dir, folder
    srv.speedup = request.param == "cpython-speedups"
    yield srv
    srv.stop()
    shutil.rmtree(folder, ignore_errors=True)


def request(port, method, path, body=None, headers=None, timeout=30):
    """(status, headers dict, body) over one connection; body may be an iterable (chunked)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        chunked = body is not None and not isinstance(body, (bytes, bytearray))
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def heap(port):
    alloc, _free = request(port, "GET", "/heap")[2].split()
    return None if alloc == b"None" else int(alloc)


def wait_until(check, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


# -- the streamed echo --------------------------------------------------------------------


@pytest.mark.parametrize("size", [100_000, 1 << 20], ids=["100KB", "1MB"])
@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_echo_streams_any_body_unchanged_with_the_heap_bounded(server, size, chunked):
    path = os.path.join(server.folder, "body.bin")
    body = os.urandom(size)
    with open(path, "wb") as f:
        f.write(body)
    out = os.path.join(server.folder, "echo.bin")
    rest = heap(server.port)
    argv = ["curl", "-s", "-o", out, "-w", "%{http_code}", "--max-time", "60",
            "--data-binary", "@" + path, "-H", "Content-Type: application/octet-stream"]
    if chunked:
        argv += ["-H", "Transfer-Encoding: chunked"]
    else:
        argv += ["-H", "Expect: 100-continue"]  # the 100 comes before the streamed answer
    proc = subprocess.Popen(argv + ["http://127.0.0.1:%d/echo" % server.port],
                            stdout=subprocess.PIPE)
    peak = rest
    while proc.poll() is None:  # the heap in use while the body passes, after collections
        now = heap(server.port)
        if now is not None:
            peak = max(peak, now)
    assert proc.communicate(timeout=60)[0] == b"200"
    with open(out, "rb") as f:
        assert f.read() == body
    if rest is not None:
        # Bounded: a few pieces of recv_size and the write queue, never the body.
        print("heap at rest %d, peak while echoing %d bytes: %d" % (rest, size, peak))
        assert peak - rest < 24 * 1024, (rest, peak)


def test_the_runtime_in_use(server):
    about = json.loads(request(server.port, "GET", "/about")[2])
    if server.speedup:
        # The compiled core and uvloop are what serves (test_http_speedups.py compares the
        # compiled core with the Python one).
        assert about == {"loop": "Loop", "core": "compiled"}, about
    else:
        assert about["core"] == "python" and about["loop"] != "Loop", about


def test_body_read_on_a_worker_and_in_small_reads(server):
    body = os.urandom(50_000)
    want = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    for path in ("/digest", "/pieces"):
        status, _, out = request(server.port, "POST", path, body)
        assert status == 200 and json.loads(out) == want, (path, out)
        pieces = (body[i : i + 7000] for i in range(0, len(body), 7000))
        status, _, out = request(server.port, "POST", path, pieces)  # chunked
        assert status == 200 and json.loads(out) == want, (path, out)
    status, _, out = request(server.port, "POST", "/digest", b"")
    assert status == 200 and json.loads(out)["size"] == 0


def test_the_routes_own_limit_and_http_max_body(server):
    limit = PROFILE["http_max_body"]
    # A streaming route takes more than http_max_body; a buffered one does not.
    assert request(server.port, "POST", "/digest", b"x" * (limit * 4))[0] == 200
    assert request(server.port, "POST", "/small", b"x" * limit)[0] == 200
    out = raw_exchange(server.port, b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                       % (limit + 1))
    assert status_of(out) == 413
    # Over the route's own limit: 413 from the head, before any body byte...
    out = raw_exchange(server.port, b"POST /digest HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 65537\r\n\r\n")
    assert status_of(out) == 413
    # ...or where the chunks cross it; the server serves on.
    pieces = (b"y" * 8192 for _ in range(9))
    try:
        status = request(server.port, "POST", "/digest", pieces)[0]
    except (ConnectionError, http.client.HTTPException):
        status = 413  # the answer came, and the close, while we still sent
    assert status == 413
    assert request(server.port, "POST", "/pieces", b"z" * 10)[0] == 200


def test_a_body_that_stops_gets_408_and_a_slow_one_that_moves_does_not(server):
    head = b"POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 6000\r\n\r\n"
    out = raw_exchange(server.port, head + b"a" * 100, timeout=10)  # then nothing
    assert status_of(out) == 408
    # 6 KiB at 2 KiB/s: three seconds, twice http_body_ms, in time since every KiB
    # winds the body clock back.
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        s.sendall(head)
        for _ in range(6):
            time.sleep(0.5)  # the client's pace, not a synchronisation
            s.sendall(b"b" * 1000)
        s.sendall(b"b" * 0)
        data = b""
        while b"}" not in data:
            more = s.recv(4096)
            if not more:
                break
            data += more
    finally:
        s.close()
    assert status_of(data) == 200 and b'"size": 6000' in data, data


def test_keep_alive_after_a_streamed_body(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for size in (3000, 20000, 0):
            conn.request("POST", "/pieces", body=b"k" * size)
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read())["size"] == size
    finally:
        conn.close()


# -- uploads ------------------------------------------------------------------------------


def curl_form(port, path, *fields):
    argv = ["curl", "-s", "-w", "\n%{http_code}", "--max-time", "30"]
    for field in fields:
        argv += ["-F", field]
    out = subprocess.run(argv + ["http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, timeout=40).stdout
    body, _, code = out.rpartition(b"\n")
    return int(code), body


@pytest.mark.parametrize("path", ["/upload", "/upload-worker"])
def test_upload_saves_files_to_the_flash(server, path):
    data = os.urandom(100_000)
    src = os.path.join(server.folder, "photo one.jpg")
    with open(src, "wb") as f:
        f.write(data)
    code, body = curl_form(server.port, path, "title=Holiday", "photo=@" + src,
                           "notes=@" + src + ";filename=../../etc/notes.txt")
    assert code == 200, body
    form = json.loads(body)
    assert form["fields"] == {"title": "Holiday"}
    names = sorted(os.path.basename(f["path"]) for f in form["files"])
    assert names == ["notes.txt", "photo_one.jpg"]
    for name in names:
        with open(os.path.join(server.uploads, name), "rb") as f:
            assert f.read() == data
    assert not [n for n in os.listdir(server.uploads) if n.endswith(".part")]


def test_upload_limits_and_bad_forms(server):
    big = os.path.join(server.folder, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom((128 << 10) + 1))
    code, _ = curl_form(server.port, "/upload", "f=@" + big + ";filename=big.bin")
    assert code == 413
    assert not os.path.exists(os.path.join(server.uploads, "big.bin"))
    wait_until(lambda: not os.path.exists(os.path.join(server.uploads, "big.bin.part")),
               what="the half-written file to go")
    assert request(server.port, "POST", "/upload", b"a=b",
                   {"Content-Type": "application/x-www-form-urlencoded"})[0] == 415
    bad = b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n"
    assert request(server.port, "POST", "/upload", bad,
                   {"Content-Type": "multipart/form-data; boundary=B"})[0] == 400
    assert request(server.port, "POST", "/upload", b"--B", {
        "Content-Type": "multipart/form-data; boundary=B"})[0] == 400


def test_upload_cut_off_leaves_no_file(server):
    head = (b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 90000\r\n"
            b"Content-Type: multipart/form-data; boundary=B\r\n\r\n")
    part = b'--B\r\nContent-Disposition: form-data; name="f"; filename="cut.bin"\r\n\r\n'
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(head + part + b"c" * 30000)
    partial = os.path.join(server.uploads, "cut.bin.part")
    wait_until(lambda: os.path.exists(partial), what="the upload to start")
    s.close()  # the client goes away mid-file
    wait_until(lambda: not os.path.exists(partial), what="the half-written file to go")
    assert not os.path.exists(os.path.join(server.uploads, "cut.bin"))
    assert request(server.port, "GET", "/heap")[0] == 200


# -- firmware updates ------------------------------------------------------------------------

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()}


def image(size):
    return b"\xe9" + os.urandom(size - 1)  # the ESP32 image magic, then anything


def digest_field(data):
    return "sha-256=:%s:" % base64.b64encode(hashlib.sha256(data).digest()).decode()


def slot(server, label):
    with open(os.path.join(server.ota_dir, label + ".bin"), "rb") as f:
        return f.read()


def ota(server):
    return json.loads(request(server.port, "GET", "/ota")[2])


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def ota_server(request):
    # Its own server, on a board whose body clock is long: the test holds one
    # update's body stalled while a second is refused, and a loaded machine
    # must not end the first with a 408 meanwhile.
    if request.param == "micropython":
        request.getfixturevalue("board_firmware")
    folder = tempfile.mkdtemp(prefix="remora-ota-")
    ota_dir = os.path.join(folder, "ota")
    os.makedirs(ota_dir)
    srv = StreamServer(request.param, os.path.join(folder, "uploads"), ota_dir,
                       board="esp32testbody")
    srv.ota_dir, srv.folder = ota_dir, folder
    yield srv
    srv.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_firmware_update_checks_its_hash_and_never_leaves_half_an_image(ota_server):
    server = ota_server
    state = ota(server)
    assert state["running"] == state["boot"] == "ota_0"
    fw = image(150_000)
    # The guard first, and the hash is required.
    assert request(server.port, "POST", "/admin/firmware", fw,
                   {"Content-Digest": digest_field(fw)})[0] == 401
    assert request(server.port, "POST", "/admin/firmware", fw, AUTH)[0] == 400
    # A wrong hash: all written but the header's first 16 bytes, and nothing set to boot.
    wrong = dict(AUTH, **{"Content-Digest": digest_field(fw + b"x")})
    status, _, body = request(server.port, "POST", "/admin/firmware", fw, wrong)
    assert status == 400 and b"mismatch" in body
    assert slot(server, "ota_1")[:16] == b"\xff" * 16 and ota(server)["boot"] == "ota_0"
    # Not an image at all; an image larger than the partition (256 KiB here).
    not_fw = b"\x00" + fw[1:]
    assert request(server.port, "POST", "/admin/firmware", not_fw,
                   dict(AUTH, **{"Content-Digest": digest_field(not_fw)}))[0] == 400
    out = raw_exchange(server.port, b"POST /admin/firmware HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: " + AUTH["Authorization"].encode() +
                       b"\r\nContent-Length: %d\r\n\r\n" % ((256 << 10) + 1))
    assert status_of(out) == 413
    # A cut connection: the header's first bytes stay erased.  Another image than the
    # wrong-hash one, whose blocks are in the partition already: waiting for these
    # blocks waits for this update.
    cut = image(150_000)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"POST /admin/firmware HTTP/1.1\r\nHost: x\r\nAuthorization: "
              + AUTH["Authorization"].encode() + b"\r\nContent-Digest: "
              + digest_field(cut).encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(cut)
              + cut[:60000])
    wait_until(lambda: slot(server, "ota_1")[4096:8192] == cut[4096:8192], what="blocks written")
    # Meanwhile a second update is refused: one partition, one writer.  (The first
    # stays stalled: this board's body clock is 30 s.)
    good = dict(AUTH, **{"Content-Digest": digest_field(fw)})
    assert ota(server)["updating"]
    assert request(server.port, "POST", "/admin/firmware", fw, good)[0] == 409
    s.close()
    wait_until(lambda: not ota(server)["updating"], what="the cut update to end")
    assert slot(server, "ota_1")[:16] == b"\xff" * 16 and ota(server)["boot"] == "ota_0"
    # A good image, chunked: installed whole, and set to boot (pending verification).
    pieces = (fw[i : i + 10000] for i in range(0, len(fw), 10000))
    status, _, body = request(server.port, "POST", "/admin/firmware", pieces, good)
    assert status == 200, (body, server.output())
    answer = json.loads(body)
    assert answer["written"] == len(fw) and answer["partition"] == "ota_1"
    assert answer["sha256"] == hashlib.sha256(fw).hexdigest()
    assert slot(server, "ota_1")[: len(fw)] == fw
    assert ota(server) == {"running": "ota_0", "boot": "ota_1", "state": "new", "updating": False}


def test_the_new_firmware_boots_once_and_rolls_back_unless_confirmed(runtime, tmp_path):
    # The stand-in's boot: a process start.  Unconfirmed, the next boot rolls back.
    folder = str(tmp_path)
    with open(os.path.join(folder, "otadata"), "w") as f:
        f.write("ota_1 new\n")
    uploads = os.path.join(folder, "uploads")
    for confirm, want in ((False, ("ota_1", "pending")), (False, ("ota_0", "valid")),
                          (True, ("ota_0", "valid"))):
        srv = StreamServer(runtime, uploads, folder, *(["--confirm"] if confirm else []))
        try:
            state = ota(srv)
        finally:
            srv.stop()
        assert (state["running"], state["state"]) == want, state
    with open(os.path.join(folder, "otadata"), "w") as f:
        f.write("ota_1 new\n")
    srv = StreamServer(runtime, uploads, folder, "--confirm")  # confirmed on its first boot
    try:
        state = ota(srv)
    finally:
        srv.stop()
    assert (state["running"], state["boot"], state["state"]) == ("ota_1", "ota_1", "valid")
    with open(os.path.join(folder, "otadata")) as f:
        assert f.read().split() == ["ota_1", "valid"]  # so the next boot keeps it


def test_many_clients_stream_at_once(server):
    # Eight bodies of 50 KB at once on the ESP32 heap: each read whole or refused (503),
    # and the server serves on.
    results = []
    body = os.urandom(50_000)

    def one():
        try:
            results.append(request(server.port, "POST", "/pieces", body)[0])
        except OSError as exc:
            results.append(repr(exc))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count(200) + results.count(503) == 8 and 200 in results, results
    assert request(server.port, "GET", "/heap")[0] == 200
