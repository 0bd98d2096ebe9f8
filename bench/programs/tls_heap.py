"""Bench program: the heap TLS connections take on the board (bench/tls.py).

    remora run bench/programs/tls_heap.py PORT CERTDIR

A TLS echo server on PORT (``remora.bind(port, tls=...)``, the certificate and key from
CERTDIR, ``remora cert``'s DER files).  Each connection echoes what it gets, except two
lines: ``HEAP`` is answered ``HEAP <alloc> <free> <TLS streams open>`` (``gc.mem_alloc()``
and ``gc.mem_free()`` after ``gc.collect()``), and ``CLIENTS <port> <count>`` opens count
TLS client connections to 127.0.0.1:port (verified against CERTDIR's certificate, each
in a cosocket task that then waits, idle) and answers ``HEAP ...`` once all are up.
Before ``READY PORT`` it prints ``CONTEXT <bytes>``: the heap the server context took
(Mbed TLS's configuration, random generator, certificate and key).
"""

import remora
from remora import tls

CLIENTS = []  # the client connections' sockets (kept open)


def heap_line():
    alloc, free = remora.heap()
    from remora.port.tls import live

    return ("HEAP %s %s %d\n" % (alloc, free, live())).encode()


async def client(sock, port, context, done):
    try:
        await sock.connect("localhost", port, 10000, tls=context)
        done.append(True)
    except remora.SocketError as exc:
        done.append(exc)
        return
    CLIENTS.append(sock)
    while await sock.read():  # idle until the peer or the server ends it
        pass


async def echo(sock, certs):
    while True:
        data = await sock.read()
        if not data:
            break
        if data == b"HEAP\n":
            await sock.write(heap_line())
        elif data.startswith(b"CLIENTS "):
            _, port, count = data.split()
            context = tls.client(ca=certs + "/localhost.der")
            done = []
            for _ in range(int(count)):
                remora.event(client, int(port), context, done)
            while len(done) < int(count):
                await remora.sleep_ms(10)
            failed = [x for x in done if x is not True]
            if failed:
                await sock.write(("FAILED %r\n" % (failed[0],)).encode())
            else:
                await sock.write(heap_line())
        else:
            await sock.write(data)


async def main(args):
    port, certs = int(args[0]), args[1]
    before = remora.heap()[0]
    context = tls.server(certs + "/localhost.der", certs + "/localhost-key.der")
    after = remora.heap()[0]
    print("CONTEXT", None if before is None else after - before)
    listener = remora.bind(port, tls=context)
    print("READY", port)
    while True:
        sock = await listener.accept()
        sock.event(echo, certs, mode=remora.COSOCKET)
