"""TLS client and upgrade scenarios, run by host_tests/test_tls.py on both runtimes.

    remora run host_tests/programs/tls_scenarios.py NAME CERTDIR [args...]

Each scenario prints ``RESULT key value`` lines that the test reads, ``READY port`` where
it serves, and ``DONE`` at the end.  CERTDIR holds ``remora cert``'s files for localhost
(``localhost.*``) and for another name whose CA the clients do not trust (``other.*``).
"""

import remora
from remora import tls


def result(key, value):
    print("RESULT", key, value)


def name_of(exc):
    return type(exc).__name__


def client_context(certs, ca="localhost"):
    return tls.client(ca=certs + "/" + ca + ".pem")


async def in_cosocket(fn, *args):
    """fn(sock, *args)'s result, run in a task on a new unconnected cosocket
    (remora.event: a task's client socket, whose reads and writes suspend)."""
    box = []

    async def body(sock):
        try:
            box.append((True, await fn(sock, *args)))
        except Exception as exc:
            box.append((False, exc))

    remora.event(body)
    while not box:
        await remora.sleep_ms(10)
    ok, value = box[0]
    if not ok:
        raise value
    return value


# -- a TLS client against openssl s_server -rev (each line comes back reversed) ------------


async def _exchange(sock, line):
    await sock.write(line + b"\n")
    got = bytearray()
    while not got.endswith(b"\n"):
        data = await sock.read(5000)
        if not data:
            break
        got += data
    return bytes(got).strip()


def _blocking_client(certs, port):
    sock = remora.connect("localhost", port, 5000, tls=client_context(certs))
    try:
        sock.write(b"from a worker\n")
        got = b""
        while not got.endswith(b"\n"):
            got += sock.read(5000) or b"\n"
        return got.strip().decode()
    finally:
        sock.close()


async def _client_task(sock, certs, port):
    await sock.connect("localhost", port, 5000, tls=client_context(certs))
    result("task_secure", sock.secure())
    result("task_echo", (await _exchange(sock, b"hello over tls")).decode())
    # More than one TLS record each way (4 KiB records on MicroPython's side).
    line = b"0123456789abcdef" * 400
    result("task_long", await _exchange(sock, line) == bytes(reversed(line)))


async def client(args):
    certs, port = args[0], int(args[1])
    await in_cosocket(_client_task, certs, port)
    result("worker_echo", await remora.thread_call(_blocking_client, certs, port))


# -- failures: distinct errors -------------------------------------------------------------


def _blocking_fail(certs, port, ca, hostname):
    try:
        remora.connect("localhost", port, 5000, tls=client_context(certs, ca),
                       server_hostname=hostname)
        return "connected"
    except remora.SocketError as exc:
        return name_of(exc)


async def _task_fail(sock, certs, port, ca="localhost", hostname=None):
    try:
        await sock.connect("localhost", port, 5000, tls=client_context(certs, ca),
                           server_hostname=hostname)
        return "connected"
    except remora.SocketError as exc:
        return name_of(exc) + ("" if sock.state() == "closed" else " left-open")


async def client_errors(args):
    certs, tls_port, plain_port = args[0], int(args[1]), int(args[2])
    result("untrusted", await in_cosocket(_task_fail, certs, tls_port, "other"))
    result("wrong_name",
           await in_cosocket(_task_fail, certs, tls_port, "localhost", "wrong.example"))
    result("not_tls", await in_cosocket(_task_fail, certs, plain_port))
    result("worker_untrusted",
           await remora.thread_call(_blocking_fail, certs, tls_port, "other", None))
    result("worker_wrong_name",
           await remora.thread_call(_blocking_fail, certs, tls_port, "localhost", "wrong.example"))
    try:
        remora.Socket().connect("localhost", tls_port, tls=tls.server(
            certs + "/localhost.der", certs + "/localhost-key.der"))
        result("server_context", "accepted")
    except ValueError:
        result("server_context", "ValueError")


async def stalled_handshake(args):
    # The peer accepts and never answers: the handshake waits, suspending
    # this task only; a ticker task keeps running, and the handshake ends at
    # its timeout.
    certs, port = args[0], int(args[1])
    remora.profile.use({"tls_handshake_ms": 1000})
    ticks = [0]

    async def ticker(sock):
        while True:
            try:
                await sock.read(20)
            except remora.Timeout:
                ticks[0] += 1

    async def stalled(sock):
        try:
            await sock.connect("localhost", port, 5000, tls=client_context(certs))
            result("stalled", "connected")
        except remora.SocketError as exc:
            result("stalled", name_of(exc))
        result("state", sock.state())

    remora.event(ticker)
    await in_cosocket(stalled)
    result("ticked", ticks[0] > 0)


# -- upgrade (seed: socket:upgrade) --------------------------------------------------------


async def _line(sock):
    # One line; what came after it is read next (unread).
    got = b""
    while b"\n" not in got:
        data = await sock.read(5000)
        if not data:
            return got
        got += data
    end = got.index(b"\n") + 1
    if end < len(got):
        sock.unread(got[end:])
    return got[:end]


async def _smtp(sock, context):
    # Just enough of SMTP's STARTTLS (RFC 3207) for openssl s_client -starttls smtp.
    await sock.write(b"220 remora ESMTP\r\n")
    while True:
        line = (await _line(sock)).strip().upper()
        if not line:
            return
        if line.startswith(b"EHLO") or line.startswith(b"HELO"):
            await sock.write(b"250-remora\r\n250 STARTTLS\r\n")
        elif line == b"STARTTLS":
            await sock.write(b"220 Ready to start TLS\r\n")
            await sock.upgrade(context)
            result("server_secure", sock.secure())
            break
        else:
            await sock.write(b"500 what\r\n")
    # Over TLS: every line comes back upper-cased, until QUIT.
    while True:
        line = await _line(sock)
        if not line or line.strip().upper() == b"QUIT":
            break
        await sock.write(b"250 " + line.strip().upper() + b"\r\n")
    result("server_done", "yes")


async def upgrade_server(args):
    certs = args[0]
    context = tls.server(certs + "/localhost.der", certs + "/localhost-key.der")
    listener = remora.bind(int(args[1]))
    print("READY", args[1])
    sock = await listener.accept()
    sock.event(_smtp, context, mode=remora.COSOCKET)
    await remora.wait_stopped()


def _upgrade_blocking(certs, port):
    sock = remora.connect("127.0.0.1", port, 5000)
    try:
        sock.write(b"STARTTLS\n")
        answer = b""
        while not answer.endswith(b"\n"):
            answer += sock.read(5000) or b"\n"
        sock.upgrade(client_context(certs), "localhost")
        sock.write(b"worker\n")
        got = b""
        while not got.endswith(b"\n"):
            got += sock.read(5000) or b"\n"
        return got.strip().decode()
    finally:
        sock.close()


async def _upgrade_task(sock, certs, port):
    await sock.connect("127.0.0.1", port, 5000)
    await sock.write(b"STARTTLS\n")
    result("plain_answer", (await _line(sock)).strip().decode())
    result("before", sock.secure())
    await sock.upgrade(client_context(certs), "localhost")
    result("after", sock.secure())
    await sock.write(b"task\n")
    result("task_echo", (await _line(sock)).strip().decode())


async def upgrade_client(args):
    # A line protocol that turns to TLS on STARTTLS: the peer is CPython's ssl.
    certs, port = args[0], int(args[1])
    await in_cosocket(_upgrade_task, certs, port)
    result("worker_echo", await remora.thread_call(_upgrade_blocking, certs, port))


# -- https:// and wss:// in the HTTP and WebSocket clients ---------------------------------


def _httpc_blocking(certs, url):
    from remora.httpc import Client

    resp = Client(tls=client_context(certs)).get(url)
    return "%d %s" % (resp.status, resp.body.decode())


def _wss_blocking(certs, url):
    from remora import ws as rws

    ws = rws.connect(url, tls=client_context(certs))
    try:
        ws.write("worker")
        return ws.receive()
    finally:
        ws.close()


async def httpc(args):
    from remora import ws as rws
    from remora.httpc import Client

    certs, https_url, wss_url = args[0], args[1], args[2]
    client = Client(tls=client_context(certs))
    resp = await client.get(https_url)
    result("task_https", "%d %s" % (resp.status, resp.body.decode()))
    resp = await client.get(https_url)  # kept alive: the same TLS connection
    result("task_https_again", resp.status)
    client.close()
    result("worker_https", await remora.thread_call(_httpc_blocking, certs, https_url))
    try:
        await Client(tls=client_context(certs, "other")).get(https_url)
        result("untrusted", "connected")
    except remora.SocketError as exc:
        result("untrusted", name_of(exc))
    ws = await rws.connect(wss_url, tls=client_context(certs))
    await ws.write("task")
    result("task_wss", await ws.receive())
    await ws.close()
    result("worker_wss", await remora.thread_call(_wss_blocking, certs, wss_url))


async def main(args):
    await globals()[args[0]](args[1:])
    print("DONE")
