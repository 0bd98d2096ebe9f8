"""Example 10: a cosocket client; the connect itself suspends.

remora.event starts a task on an unconnected cosocket; its first call,
``await sock.connect(...)``, connects that same socket without blocking.

    remora run examples/ex10_cosocket_client.py HOST PORT [COUNT]
"""

import remora


async def sock_task(sock, address, port, count):
    try:
        s = await sock.connect(address, port)
    except remora.SocketError as err:
        print("connect failed:", repr(err))
        remora.stop()
        return
    assert s is sock  # one cosocket, one socket
    for _ in range(count):
        await s.write(b"hello")
        data = await s.read()
        if not data:
            break
        print(data.decode())
    remora.stop()


async def main(args):
    count = int(args[2]) if len(args) > 2 else 3
    remora.event(sock_task, args[0], int(args[1]), count)
    await remora.wait_stopped()
