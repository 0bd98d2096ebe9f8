"""Raw WebSocket frames for tests that must send what a library refuses to send
(unmasked frames, invalid UTF-8, lying lengths) or read exactly what came back.

Written from RFC 6455 §5.2, independently of remora's core.
"""

import base64
import os
import socket
import struct
import time


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """One frame's bytes; ``length`` overrides the length field (a lie)."""
    size = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    n = len(payload)  # masked as one integer: quick for the large messages too
    keys = int.from_bytes((key * (n // 4 + 1))[:n], "little")
    return head + key + (int.from_bytes(payload, "little") ^ keys).to_bytes(n, "little")


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class RawClient:
    """A WebSocket client over a plain socket: the handshake, then frames."""

    def __init__(self, port, path="/ws/echo", headers=(), timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key,
                 "Sec-WebSocket-Version: 13"] + list(headers)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                break
            self.buf += data
        self.head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(self.head.split()[1]) if self.head else None

    def send(self, data):
        self.sock.sendall(data)

    def _need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("closed with %d of %d bytes" % (len(self.buf), n))
            self.buf += data

    def recv_frame(self):
        """(fin, opcode, payload) of the next frame; raises EOFError at the end."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        size = b1 & 0x7F
        at = 2
        if size == 126:
            self._need(4)
            size = struct.unpack("!H", self.buf[2:4])[0]
            at = 4
        elif size == 127:
            self._need(10)
            size = struct.unpack("!Q", self.buf[2:10])[0]
            at = 10
        assert not b1 & 0x80, "a server's frame is never masked"
        self._need(at + size)
        payload = self.buf[at:at + size]
        self.buf = self.buf[at + size:]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv_close_code(self):
        """The status code of the next close frame, skipping other frames."""
        while True:
            _fin, opcode, payload = self.recv_frame()
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0] if payload else 1005

    def at_eof(self, timeout=10):
        """True once the server closed TCP (within timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(65536):
                    return True
            except ConnectionResetError:
                return True
            except socket.timeout:
                continue
        return False

    def close(self):
        self.sock.close()
