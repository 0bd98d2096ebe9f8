"""Example 3: a basic HTTP/1.0 server on blocking sockets and worker threads.

The accept task waits asynchronously for connections and hands each one to
the worker pool, where web_server uses it as a plain blocking socket.
(Plain TCP here; examples/ex03_https_pool.py is the same over TLS.)

    remora run examples/ex03_http10.py PORT
"""

import remora


def web_server(s):
    # Runs on a worker thread: s is a blocking socket.
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
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()  # suspends; raises Shutdown when stopping
        # A full pool queue refuses the job; wait for a free worker instead of
        # growing, while further connections wait in the listen backlog.
        while not remora.thread_run(web_server, s):
            await remora.sleep_ms(5)
