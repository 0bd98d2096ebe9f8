# CPython side of the port's TLS: the standard ssl module (OpenSSL).
# See port/tls.py for what the socket layer expects of a Context and a Stream.
#
# A Stream wraps an SSLSocket made with do_handshake_on_connect=False on the
# non-blocking socket: do_handshake() is one step, raising SSLWantReadError
# or SSLWantWriteError while it waits, and the socket-like calls turn those
# into what a non-blocking socket says (None from recv_into, EAGAIN from
# send), so the socket layer's loops work on it unchanged.

import errno
import os
import shutil
import socket
import ssl
import tempfile
import threading
from typing import Any, Optional

from .tlscommon import HANDSHAKE, LIVE, NOT_TRUSTED, OUT_OF_MEMORY, WANT_READ, WANT_WRITE
from .tlscommon import WRONG_NAME, der_to_pem, is_pem

# OpenSSL's verify results that say "not for this name" (X509_V_ERR_*).
_NAME_MISMATCH = (62, 63, 64)  # HOSTNAME_, EMAIL_, IP_ADDRESS_MISMATCH
_WANT = (ssl.SSLWantReadError, ssl.SSLWantWriteError)


class Context:
    """A TLS configuration: a server's certificate and key, or a client's
    trusted CAs and whether it verifies the server."""

    def __init__(self, server_side: bool, verify: bool = True) -> None:
        self.server_side = server_side
        self.verify = verify and not server_side
        self.ctx = ssl.SSLContext(
            ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT
        )
        if not server_side and not verify:
            self.ctx.check_hostname = False
            self.ctx.verify_mode = ssl.CERT_NONE

    def load_cert_chain(self, cert: bytes, key: bytes) -> None:
        # ssl loads a chain and key from files only: PEM in a private
        # folder, gone once loaded.
        if not is_pem(cert):
            cert = der_to_pem(cert, b"CERTIFICATE")
        folder = tempfile.mkdtemp(prefix="remora-tls-")
        try:
            cert_path = os.path.join(folder, "cert.pem")
            with open(cert_path, "wb") as f:
                f.write(cert)
            key_path = os.path.join(folder, "key.pem")
            labels = (None,) if is_pem(key) else (b"PRIVATE KEY", b"EC PRIVATE KEY",
                                                   b"RSA PRIVATE KEY")
            for label in labels:
                with open(key_path, "wb") as f:
                    f.write(key if label is None else der_to_pem(key, label))
                try:
                    self.ctx.load_cert_chain(cert_path, key_path)
                    return
                except ssl.SSLError:
                    if label == labels[-1]:
                        raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def load_ca(self, data: bytes) -> None:
        if is_pem(data):
            self.ctx.load_verify_locations(cadata=data.decode("ascii"))
        else:
            self.ctx.load_verify_locations(cadata=data)

    def load_default_ca(self) -> None:
        self.ctx.load_default_certs()

    def wrap(self, raw: socket.socket, server_hostname: Optional[str] = None) -> "Stream":
        """A Stream over the connected non-blocking socket raw (raw is
        detached: use the Stream); its handshake has not begun."""
        return Stream(self, raw, server_hostname)


class Stream:
    """A TLS connection that looks like a non-blocking socket to the socket
    layer.  One lock orders every call into OpenSSL: an SSL object is not
    safe for two threads (a worker's write and the task's read)."""

    def __init__(self, context: Context, raw: socket.socket, hostname: Optional[str]) -> None:
        self.lock = threading.Lock()
        self.tls = context.ctx.wrap_socket(
            raw,
            server_side=context.server_side,
            do_handshake_on_connect=False,
            server_hostname=None if context.server_side else hostname,
        )
        self.done = False
        self.open = True
        LIVE[0] += 1

    def handshake(self) -> int:
        """One step: 0 once done, else WANT_READ or WANT_WRITE."""
        if self.done:
            return 0
        with self.lock:
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                return WANT_READ
            except ssl.SSLWantWriteError:
                return WANT_WRITE
        self.done = True
        return 0

    def recv_into(self, buf: Any, size: int = 0) -> Optional[int]:
        """Up to size bytes into buf: the count, 0 at the end (a missing
        close_notify too: MicroPython's servers send none), None when
        nothing is there yet."""
        with self.lock:
            try:
                return self.tls.recv_into(buf, size)
            except _WANT:
                return None
            except ssl.SSLZeroReturnError:
                return 0
            except ssl.SSLError:
                raise ConnectionResetError(errno.ECONNRESET, "TLS record error")

    def recv(self, size: int) -> bytes:
        buf = bytearray(size)
        n = self.recv_into(buf, size)
        if n is None:
            raise BlockingIOError(errno.EAGAIN, "no data yet")
        return bytes(buf[:n])

    def send(self, data: Any) -> int:
        with self.lock:
            try:
                return self.tls.send(data)
            except _WANT:
                raise BlockingIOError(errno.EAGAIN, "TLS send would block")
            except ssl.SSLError:
                raise ConnectionResetError(errno.ECONNRESET, "TLS record error")

    def fileno(self) -> int:
        return self.tls.fileno()

    def setsockopt(self, *args: Any) -> None:
        self.tls.setsockopt(*args)

    def setblocking(self, flag: bool) -> None:
        self.tls.setblocking(flag)

    def close(self) -> None:
        with self.lock:
            if not self.open:
                return
            self.open = False
            LIVE[0] -= 1
            self.tls.close()


def failure_kind(exc: BaseException) -> int:
    """What a handshake's exception means: NOT_TRUSTED, WRONG_NAME,
    HANDSHAKE, OUT_OF_MEMORY, or 0 (a socket error, not TLS's)."""
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY
    if isinstance(exc, ssl.SSLCertVerificationError):
        return WRONG_NAME if exc.verify_code in _NAME_MISMATCH else NOT_TRUSTED
    if isinstance(exc, ssl.SSLError):
        return HANDSHAKE
    return 0


def default_client() -> Context:
    """A client context that verifies servers against the system's CAs."""
    context = Context(False)
    context.load_default_ca()
    return context
