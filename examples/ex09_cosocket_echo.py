"""Example 9: a cosocket echo server: read and write both suspend.

    remora run examples/ex09_cosocket_echo.py PORT
"""

import remora


async def echo(sock):
    assert sock is remora.getsock()  # true for cosockets
    assert sock.owner()
    while True:
        data = await sock.read()
        if not data:
            break
        await sock.write(data)  # suspends while the peer's window is full


async def main(args):
    port = int(args[0])
    listener = remora.bind(port)
    print("READY", port)
    while True:
        s = await listener.accept()
        s.event(echo, mode=remora.COSOCKET)
