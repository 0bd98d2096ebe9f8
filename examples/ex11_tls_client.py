"""Example 11: a secure client connection from a cosocket.

The seed's ``ba.socket.connect("google.com", 443, {shark=ba.sharkclient()})``:
in a cosocket task, connect and the TLS handshake both suspend only this
task (the seed's Figure 1); the dispatcher serves everyone else meanwhile.
The server's certificate is checked against a CA file, with the host name.

    remora run examples/ex11_tls_client.py HOST PORT CA_FILE [MESSAGE]

``remora cert`` makes a development CA/certificate (certs/localhost.pem).
"""

import remora
from remora import tls


async def client(sock, host, port, ca, message):
    try:
        await sock.connect(host, port, tls=tls.client(ca=ca))  # TCP, then the handshake
    except remora.TLSError as err:
        print("TLS failed:", type(err).__name__)
        return
    except remora.SocketError as err:
        print("cannot connect:", type(err).__name__)
        return
    print("secure:", sock.secure())
    await sock.write(message.encode() + b"\n")
    data = await sock.read(5000)
    print("received:", data.decode() if data else data)


async def main(args):
    host, port, ca = args[0], int(args[1]), args[2]
    message = args[3] if len(args) > 3 else "hello over TLS"
    sock = remora.event(client, host, port, ca, message)
    while sock.state() != "closed":
        await remora.sleep_ms(20)
