"""Example 13: a proxy (tunnel) built from two cosockets per connection.

For each accepted connection, proxy_server starts proxy_client on a new
unconnected cosocket and parks itself with disable(); proxy_client connects
to the destination and hands its socket over with server.enable(client).
Then each task copies one direction: read from its source, write to its
sink.  Everything runs on the one dispatcher thread.

    remora run examples/ex13_proxy.py PORT DEST_HOST DEST_PORT
"""

import remora


async def web_proxy(source, sink):
    while True:
        data = await source.read()
        if not data:
            break
        try:
            await sink.write(data)
        except remora.SocketError:
            break


async def proxy_client(client, server, dest_host, dest_port):
    try:
        await client.connect(dest_host, dest_port)
    except remora.SocketError:
        server.enable(None)  # tell the server side we have no destination
        return
    server.enable(client)
    await web_proxy(client, server)
    server.close()  # the destination finished: finish the browser side too


async def proxy_server(server, dest_host, dest_port):
    remora.event(proxy_client, server, dest_host, dest_port)
    client = await server.disable()  # returns what enable() passes
    if client is None:
        return
    await web_proxy(server, client)
    client.close()


async def main(args):
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(proxy_server, args[1], int(args[2]), mode=remora.COSOCKET)
