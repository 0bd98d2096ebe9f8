# MicroPython side of the port's TLS: the firmware's own ``tls`` module
# (modtls_mbedtls.c: Mbed TLS, TLS 1.2 in MicroPython's configuration).
# See port/tls.py for what the socket layer expects of a Context and a Stream.
#
# The module has no do_handshake(): with do_handshake_on_connect=False the
# handshake advances inside readinto/write, which return None both while it
# waits and after it is done, and cipher() must not be called before it is
# done (mbedtls_ssl_get_ciphersuite returns NULL until then).  So Mbed TLS
# does not talk to the socket directly here: it talks to a _Wire, a Python
# stream between it and the socket, which sees every record go by.  From
# those it knows exactly when the handshake is over (both Finished messages
# have passed, RFC 5246 §7.4.9) and which way a step waits, and it keeps the
# application data that follows in the kernel until the handshake step has
# returned, so none is lost inside a step.
#
# The Stream the socket layer polls is pollable on the socket's descriptor
# (MP_STREAM_GET_FILENO), so the unix port's poller sleeps in poll(2) as for
# a plain socket; the native SSL object has no descriptor and would be
# polled every millisecond.

import errno
import io
import select

import _thread

from .rawsock import errno_of
from .tlscommon import HANDSHAKE, LIVE, NOT_TRUSTED, OUT_OF_MEMORY, WANT_READ, WANT_WRITE
from .tlscommon import WRONG_NAME, is_pem, pem_blocks

try:
    import tls
except ImportError:  # firmware older than v1.22: the module was called ssl
    import ssl as tls  # type: ignore[no-redef]

from micropython import const

TYPE_CHECKING = const(0)
if TYPE_CHECKING:
    from typing import Any

_GET_FILENO = const(10)  # py/stream.h MP_STREAM_GET_FILENO
_POLL = const(3)  # MP_STREAM_POLL
_EINVAL = const(22)
_EAGAIN = errno.EAGAIN
_ENOMEM = const(12)
_CONN_EOF = const(-0x7280)  # MBEDTLS_ERR_SSL_CONN_EOF
_VERIFY_FAILED = const(-0x2700)  # MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
_CCS = const(20)  # ContentType change_cipher_spec (RFC 5246 §6.2.1)
_ONE = bytearray(1)  # a handshake step's read: it never gets data (_Wire.hold)


class Context:
    """A TLS configuration: a server's certificate and key, or a client's
    trusted CAs and whether it verifies the server."""

    def __init__(self, server_side: bool, verify: bool = True) -> None:
        self.server_side = server_side
        self.verify = verify and not server_side
        self.ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER if server_side else tls.PROTOCOL_TLS_CLIENT)
        self.ctx.verify_mode = tls.CERT_REQUIRED if self.verify else tls.CERT_NONE

    def load_cert_chain(self, cert: bytes, key: bytes) -> None:
        # Mbed TLS reads one DER certificate per call here, and a second call
        # would parse the key again: the leaf only.
        if is_pem(cert):
            cert = pem_blocks(cert, b"CERTIFICATE")[0]
        if is_pem(key):
            key = pem_blocks(key, b"PRIVATE KEY")[0]
        self.ctx.load_cert_chain(cert, key)

    def load_ca(self, data: bytes) -> None:
        for der in pem_blocks(data, b"CERTIFICATE") if is_pem(data) else (data,):
            self.ctx.load_verify_locations(der)

    def load_default_ca(self) -> None:
        raise ValueError("no CA store on this runtime: give a CA file, or verify=False")

    def wrap(self, raw: "Any", server_hostname: "Any" = None) -> "Stream":
        """A Stream over the connected non-blocking socket raw; its
        handshake has not begun.  Raises MemoryError without the heap for
        Mbed TLS's record buffers."""
        return Stream(self, raw, server_hostname)


class _Wire(io.IOBase):
    # Mbed TLS's side of the socket (it calls readinto and write through the
    # stream protocol, with a buffer on the C stack: no heap per call).
    # While the handshake runs it follows the records each way: a record
    # header is 5 bytes (type, version, length, RFC 5246 §6.2.1), and each
    # direction is done once a change_cipher_spec record and the next one,
    # the encrypted Finished, have passed whole.

    def __init__(self, raw: "Any") -> None:
        self.raw = raw
        self.want = WANT_READ
        self.hold = False  # in a handshake step: keep application data in the kernel
        self.eof = False
        # per direction: [header bytes seen, body bytes left, type, length's
        # high byte, 0/1/2: before the CCS, after it, after the Finished]
        self.seen = ([0, 0, 0, 0, 0], [0, 0, 0, 0, 0])  # type: Any

    def done(self) -> bool:
        seen = self.seen
        return seen is None or (seen[0][4] == 2 and seen[1][4] == 2)

    def readinto(self, buf: "Any") -> "Any":
        if self.hold and self.done():
            return None  # the step is over: what follows is the application's
        try:
            n = self.raw.readinto(buf)
        except OSError as exc:
            return -(errno_of(exc) or errno.ECONNRESET)  # an error code, never a raise
        if n is None:
            self.want = WANT_READ
            return None
        if not n:
            # An end of stream is "no data yet" to Mbed TLS: otherwise the
            # stream layer drops the bytes a read already had (py/stream.c
            # raises the error and the count is lost).  Stream sees eof.
            self.eof = True
            return None
        if self.seen is not None:
            self._follow(self.seen[0], buf, n)
        return n

    def write(self, buf: "Any") -> "Any":
        try:
            n = self.raw.write(buf)
        except OSError as exc:
            return -(errno_of(exc) or errno.EPIPE)
        if n is None or n < len(buf):
            self.want = WANT_WRITE
        if n and self.seen is not None:
            self._follow(self.seen[1], buf, n)
        return n

    def ioctl(self, req: int, arg: int) -> int:
        return 0 if req == 4 else -_EINVAL  # CLOSE: the Stream closes the socket itself

    @staticmethod
    def _follow(st: "Any", buf: "Any", n: int) -> None:
        i = 0
        while i < n:
            if st[0] < 5:
                b = buf[i]
                i += 1
                if st[0] == 0:
                    st[2] = b
                elif st[0] == 3:
                    st[3] = b
                elif st[0] == 4:
                    st[1] = (st[3] << 8) | b
                st[0] += 1
                if st[0] < 5 or st[1]:
                    continue
            else:
                take = min(st[1], n - i)
                st[1] -= take
                i += take
                if st[1]:
                    continue
            st[0] = 0  # a whole record has passed
            if st[2] == _CCS:
                st[4] = 1
            elif st[4] == 1:
                st[4] = 2


class Stream(io.IOBase):
    """A TLS connection that looks like a non-blocking socket to the socket
    layer: readinto/recv/send, fileno, close; pollable on the socket's
    descriptor.  One lock orders every call into Mbed TLS (a worker's write
    and the task's read may meet: a context is not safe for two threads)."""

    poller = None  # type: Any  # a port that polls by ioctl only (see ioctl)
    open = False

    def __init__(self, context: Context, raw: "Any", hostname: "Any") -> None:
        self.raw = raw
        self.wire = _Wire(raw)
        self.lock = _thread.allocate_lock()
        try:
            self.tls = context.ctx.wrap_socket(
                self.wire,
                server_side=context.server_side,
                do_handshake_on_connect=False,
                server_hostname=hostname,
            )
        except OSError as exc:
            if errno_of(exc) == _ENOMEM:  # MBEDTLS_ERR_SSL_ALLOC_FAILED
                raise MemoryError("no heap for TLS buffers")
            raise
        LIVE[0] += 1
        self.open = True

    # -- the handshake -------------------------------------------------------

    def handshake(self) -> int:
        """One step: 0 once the handshake is done, else WANT_READ or
        WANT_WRITE (wait for that, then step again).  Raises what Mbed TLS
        raises (see failure_kind)."""
        wire = self.wire
        if wire.seen is None:
            return 0
        wire.hold = True
        try:
            with self.lock:
                self.tls.readinto(_ONE)
        finally:
            wire.hold = False
        if wire.done():
            wire.seen = None  # no more following: the records are the application's
            return 0
        if wire.eof:
            raise OSError(_CONN_EOF, "connection closed during the TLS handshake")
        return wire.want

    # -- I/O, as a non-blocking socket ---------------------------------------

    def readinto(self, buf: "Any", size: int = 0) -> "Any":
        """Up to size bytes into buf: the count, 0 at the end, None when
        nothing is there yet."""
        with self.lock:
            try:
                n = self.tls.readinto(buf, size) if size else self.tls.readinto(buf)
            except OSError as exc:
                raise _broken(exc)
        if not n and self.wire.eof:
            return 0  # the peer closed (Mbed TLS saw "no data yet", see _Wire)
        return n

    def recv(self, size: int) -> bytes:
        buf = bytearray(size)
        n = self.readinto(buf)
        if n is None:
            raise OSError(_EAGAIN)
        return bytes(buf[:n]) if n < size else bytes(buf)

    def send(self, data: "Any") -> int:
        """What Mbed TLS took of data (a record is up to 4 KiB of it here);
        raises OSError(EAGAIN) when the socket's buffer is full.  After
        EAGAIN, send the same bytes again: Mbed TLS has already sealed the
        record and sends it then (mbedtls_ssl_write's rule)."""
        with self.lock:
            try:
                n = self.tls.write(data)
            except OSError as exc:
                raise _broken(exc)
        if not n:
            raise OSError(_EAGAIN)
        return n

    def fileno(self) -> int:
        return self.raw.fileno() if self.open else -1

    def setsockopt(self, *args: "Any") -> None:
        self.raw.setsockopt(*args)

    def setblocking(self, flag: bool) -> None:
        self.raw.setblocking(flag)

    def close(self) -> None:
        with self.lock:
            if not self.open:
                return
            self.open = False
            LIVE[0] -= 1
            try:
                self.tls.close()  # frees Mbed TLS's buffers (no close_notify is sent)
            finally:
                self.raw.close()

    def ioctl(self, req: int, arg: int) -> int:
        # The poller asks once per registration for a descriptor (the unix
        # port then polls it with poll(2)); a port without descriptors asks
        # for readiness on every pass instead, answered from the socket's own
        # through a poller of ours.
        if req == _GET_FILENO and self.open:
            try:
                return self.raw.fileno()
            except AttributeError:
                return -_EINVAL
        if req == _POLL and self.open:
            p = self.poller
            if p is None:
                p = self.poller = select.poll()
            p.register(self.raw, arg)
            for _obj, ready in p.ipoll(0):
                return ready & (arg | 0x18)  # POLLERR, POLLHUP always
            return 0
        return -_EINVAL


def _broken(exc: BaseException) -> BaseException:
    # After the handshake an Mbed TLS error (a bad record, an alert) ends the
    # connection: to the socket layer that is a reset.  A socket's own error
    # (positive errno) stays as it is.
    code = errno_of(exc)
    if code < 0:
        return OSError(errno.ECONNRESET)
    return exc


def failure_kind(exc: BaseException) -> int:
    """What a handshake's exception means: NOT_TRUSTED, WRONG_NAME,
    HANDSHAKE, OUT_OF_MEMORY, or 0 (a socket error, not TLS's)."""
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY
    if isinstance(exc, ValueError):
        # modtls raises the verify result's text (mbedtls_x509_crt_verify_info)
        text = str(exc)
        if "CN" in text and "trusted" not in text and "signed" not in text:
            return WRONG_NAME  # "... Common Name (CN) does not match with the expected CN"
        return NOT_TRUSTED
    code = errno_of(exc)
    if code == _ENOMEM:
        return OUT_OF_MEMORY
    if code == _VERIFY_FAILED:
        return NOT_TRUSTED
    if code <= -256:
        return HANDSHAKE  # an Mbed TLS error code
    return 0


def default_client() -> Context:
    """A client context that verifies servers against the system's CAs:
    there is no CA store on a board."""
    context = Context(False)
    context.load_default_ca()
    return context
