# The port's TLS (lib/remora/port/tls*.py) with no server around it, on both runtimes:
# PEM and DER; a handshake between a server Stream and a client Stream over loopback,
# stepped by hand, each step's wait in the direction it asked for; records both ways
# (16 KiB, several records); the end of the stream; the count of open streams; on
# MicroPython the record follower fed byte by byte and a Stream's poll answer for a port
# that polls by ioctl.  certs/unit.* is a self-signed localhost certificate (100 years).
import socket

from loopback import address, free_port

from remora import port
from remora.port import tls, tlscommon

CERTS = "host_tests/unit/certs/"


def data(name):
    with open(CERTS + name, "rb") as f:
        return f.read()


# -- PEM and DER (RFC 7468) ----------------------------------------------------------------

der = data("unit.der")
assert tlscommon.is_pem(data("unit.pem")) and not tlscommon.is_pem(der)
assert tlscommon.pem_blocks(data("unit.pem"), b"CERTIFICATE") == [der]
assert tlscommon.pem_blocks(tlscommon.der_to_pem(der, b"CERTIFICATE"), b"CERTIFICATE") == [der]
two = data("unit.pem") + data("unit-key.pem") + data("unit.pem")
assert tlscommon.pem_blocks(two, b"CERTIFICATE") == [der, der]
assert tlscommon.pem_blocks(two, b"PRIVATE KEY") == [data("unit-key.der")]


# -- a handshake over loopback -------------------------------------------------------------


def contexts(form):
    server = tls.Context(True)
    server.load_cert_chain(data("unit." + form), data("unit-key." + form))
    client = tls.Context(False)
    client.load_ca(data("unit." + form))
    return server, client


def pair(server_ctx, client_ctx, hostname="localhost"):
    number = free_port()
    family = socket.getaddrinfo("127.0.0.1", number)[0][0]
    listener = port.listen(family, address(number), 1)
    raw = port.start_connect(family, address(number))
    for _ in range(100):
        if port.poll_wait(listener, False, 100):
            break
    conn, _peer = listener.accept()
    conn.setblocking(False)
    listener.close()
    for _ in range(100):
        if port.poll_wait(raw, True, 100) and port.connect_error(raw, address(number)) == 0:
            break
    return server_ctx.wrap(conn), client_ctx.wrap(raw, hostname)


def handshake(a, b):
    # Step both until both are done; each waits (briefly) the way its step asked.
    wants = [None, None]
    for _ in range(400):
        for i, stream in enumerate((a, b)):
            if wants[i] != 0:
                wants[i] = stream.handshake()
                if wants[i]:
                    port.poll_wait(stream, wants[i] == tls.WANT_WRITE, 5)
        if wants == [0, 0]:
            return
    raise AssertionError("handshake did not finish: %r" % wants)


def read_some(stream, size):
    buf = bytearray(size)
    for _ in range(400):
        n = port.recv_into(stream, buf, size)  # as the socket layer reads
        if n is not None:
            return bytes(buf[:n])
        port.poll_wait(stream, False, 10)
    raise AssertionError("nothing came")


def send_all(stream, payload):
    view = memoryview(payload)
    for _ in range(2000):
        if not len(view):
            return
        try:
            view = view[stream.send(view):]
        except OSError as exc:
            assert port.would_block(exc), exc
            port.poll_wait(stream, True, 10)
    raise AssertionError("send did not finish")


for form in ("der", "pem"):
    before = tlscommon.live()
    server, client = pair(*contexts(form))
    assert tlscommon.live() == before + 2
    handshake(server, client)
    assert server.handshake() == 0 and client.handshake() == 0  # done stays done
    send_all(client, b"hello")
    assert read_some(server, 100) == b"hello"
    big = bytes(range(256)) * 64  # 16 KiB: several records each way
    send_all(server, big)
    got = b""
    while len(got) < len(big):
        got += read_some(client, 4096)
    assert got == big
    server.close()
    server.close()  # once only
    assert read_some(client, 100) == b""  # the end of the stream (no close_notify here)
    client.close()
    assert tlscommon.live() == before


# The client checks the name: another one fails its handshake, as WRONG_NAME; the
# server's fails too (an alert or the end of the stream).
def failing(hostname):
    streams = pair(*contexts("der"), hostname)
    errors = [None, None]
    for _ in range(400):
        for i in (0, 1):
            if errors[i] is None:
                try:
                    want = streams[i].handshake()
                except Exception as exc:  # what the port says it means, below
                    errors[i] = exc
                    streams[i].close()
                    continue
                port.poll_wait(streams[i], want == tls.WANT_WRITE, 5)
        if errors[0] is not None and errors[1] is not None:
            break
    for stream in streams:
        stream.close()
    return errors


server_error, client_error = failing("other.example")
assert tls.failure_kind(client_error) == tls.WRONG_NAME, repr(client_error)
assert server_error is None or tls.failure_kind(server_error) in (tls.HANDSHAKE, 0)


# -- MicroPython: the record follower and the poll answer ----------------------------------

if port.RUNTIME == "micropython":
    from remora.port import tls_micropython as mp

    # Records as a handshake has them: handshake (22), change_cipher_spec (20), the
    # Finished (22, encrypted), then application data (23).  Fed byte by byte: headers and
    # bodies split everywhere.
    def record(kind, body):
        return bytes([kind, 3, 3, len(body) >> 8, len(body) & 255]) + body

    stream = (record(22, b"x" * 300) + record(20, b"\x01") + record(22, b"f" * 40)
              + record(23, b"a" * 10))
    finished_end = len(record(22, b"x" * 300) + record(20, b"\x01") + record(22, b"f" * 40))
    st = [0, 0, 0, 0, 0]
    done_at = None
    for i in range(len(stream)):
        mp._Wire._follow(st, stream[i:i + 1], 1)
        if st[4] == 2 and done_at is None:
            done_at = i + 1
    assert done_at == finished_end, (done_at, finished_end)
    assert st[0] == 0 and st[1] == 0
    st = [0, 0, 0, 0, 0]
    mp._Wire._follow(st, stream, len(stream))  # all at once: the same
    assert st[4] == 2

    # A port without descriptors polls by ioctl: the answer follows the socket's own.
    server, client = pair(*contexts("der"))
    handshake(server, client)
    assert client.ioctl(10, 0) == client.raw.fileno()  # MP_STREAM_GET_FILENO
    assert client.ioctl(3, 1) == 0  # POLLIN: nothing yet
    send_all(server, b"ping")
    for _ in range(100):
        if client.ioctl(3, 1):
            break
        port.poll_wait(client, False, 10)
    assert client.ioctl(3, 1) & 1
    assert client.ioctl(3, 4) & 4  # POLLOUT
    assert read_some(client, 10) == b"ping"
    server.close()
    client.close()
    assert client.ioctl(10, 0) < 0  # closed: no descriptor

print("PASS")
