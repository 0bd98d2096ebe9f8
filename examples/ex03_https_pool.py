"""Example 3 as the seed has it: an HTTPS server whose connections run on the worker pool.

The listening socket is a TLS one (the seed's ``ba.socket.bind(9443, {shark=...})``): each
connection's handshake runs in a task of its own, so accept() returns sockets that are
ready, and a slow or stalled client holds up no one.  The accept loop hands each to the
worker pool, where web_server reads and writes it as a plain blocking socket: TLS is
invisible there.  Certificates from ``remora cert`` (DER is read on every runtime)::

    remora cert                                          # certs/localhost.* for localhost
    remora run examples/ex03_https_pool.py PORT [CERTDIR]
    curl --cacert certs/localhost.pem https://localhost:PORT/
"""

import remora
from remora import tls


def web_server(s):
    # Runs on a worker thread: s is a blocking socket, already secure.
    try:
        s.read(2000)  # the request; discarded, the answer is the same for any URL
        msg = b"Hello World!"
        s.write(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            + str(len(msg)).encode()
            + b"\r\n\r\n"
            + msg
        )
    except remora.SocketError as err:
        print("request failed:", err)
    finally:
        s.close()


async def main(args):
    port = int(args[0]) if args else 9443
    certs = args[1] if len(args) > 1 else "certs"
    context = tls.server(certs + "/localhost.der", certs + "/localhost-key.der")
    listener = remora.bind(port, tls=context)
    print("READY", port)
    while True:
        s = await listener.accept()  # its handshake is done; raises Shutdown when stopping
        # A full pool queue refuses the job; wait for a free worker instead of
        # growing, while further connections wait in the listen backlog.
        while not remora.thread_run(web_server, s):
            await remora.sleep_ms(5)
