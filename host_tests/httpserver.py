"""Start the HTTP test application (host_tests/apps/httpapp) on a runtime.

The board is ``esp32s3`` with shorter HTTP timeouts (a profile written to
build/test-boards as ``esp32s3test``), so the slow-client tests stay quick
while every size limit is the ESP32-S3's.
"""

import os
import socket
import tempfile
import time

import harness
from remora_tools import serve

APP = os.path.join(harness.REPO, "host_tests", "apps", "httpapp")
# harness.TEST_BOARDS: the ESP32-S3 (256 KiB heap) with short HTTP timeouts.
# (The test app uses every service at once: pages, static files, sessions,
# three authenticators: more than the ESP32's 110 KiB heap holds on the
# 64-bit unix port, even with the code in flash.)
TEST_BOARD = "esp32s3test"
PROFILE = harness.test_board_profile(TEST_BOARD)


class Server(harness.Program):
    """The test app as a harness.Program, started like ``remora serve``."""

    def __init__(self, runtime, *extra, app=APP, board=TEST_BOARD):
        self.port = harness.free_port()
        argv, env = serve.command(runtime, app, board, self.port, list(extra))
        super().__init__(runtime, app, command=(argv, env))
        self.ready(30)


def raw_exchange(port, data, timeout=5.0, shut=False):
    """Send raw bytes; return everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                d = s.recv(65536)
            except ConnectionResetError:
                break
            if not d:
                break
            chunks.append(d)
        return b"".join(chunks)
    finally:
        s.close()


def status_of(raw):
    line = raw.split(b"\r\n", 1)[0]
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def tmp_dir():
    return tempfile.mkdtemp(prefix="remora-http-")
