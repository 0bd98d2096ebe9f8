"""Example 1: NTP time over UDP with a blocking socket.

Blocking sockets belong on worker threads: main hands print_time to the
worker pool (the seed runs it in an LSP page, which also runs on a worker).

    remora run examples/ex01_ntp.py [HOST [PORT]]
"""

import time

import remora

NTP_TO_UNIX = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)


def utc_text(secs):
    t = time.gmtime(secs)
    return "%04d-%02d-%02d %02d:%02d:%02d UTC" % (t[0], t[1], t[2], t[3], t[4], t[5])


def print_time(host, port):
    try:
        s = remora.udpcon(host, port)
    except remora.SocketError as err:
        print("Cannot connect:", err)
        return
    try:
        # RFC 4330 client request: LI 0, version 3, mode 3 (0x1b), rest zero.
        s.write(b"\x1b" + bytes(47))
        try:
            d = s.read(5000)
        except remora.Timeout:
            d = None
        if d and len(d) == 48:
            # Transmit Timestamp seconds: bytes 40..43 (the seed's 1-based 41).
            secs = remora.n2h(4, d, 40) - NTP_TO_UNIX
            print("NTP Date and time:", utc_text(secs))
            print("NTP seconds:", secs)
        else:
            print("Invalid response")
    finally:
        s.close()


async def main(args):
    host = args[0] if args else "pool.ntp.org"
    port = int(args[1]) if len(args) > 1 else 123
    await remora.thread_call(print_time, host, port)
