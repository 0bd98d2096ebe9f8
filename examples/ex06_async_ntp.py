"""Example 6: example 1 with an asynchronous socket.

The UDP socket is bound to a task: its read suspends the task instead of a
worker thread.  (A literal address resolves without blocking; a host name is
looked up first, which on MicroPython blocks the dispatcher briefly.)

    remora run examples/ex06_async_ntp.py HOST PORT
"""

import time

import remora

NTP_TO_UNIX = 2208988800


async def ntp_task(s):
    await s.write(b"\x1b" + bytes(47))
    try:
        d = await s.read(5000)
    except remora.Timeout:
        d = None
    if d and len(d) == 48:
        secs = remora.n2h(4, d, 40) - NTP_TO_UNIX
        t = time.gmtime(secs)
        print("NTP Date and time: %04d-%02d-%02d %02d:%02d:%02d UTC" % t[:6])
        print("NTP seconds:", secs)
    else:
        print("Invalid response")
    remora.stop()


async def main(args):
    host = args[0] if args else "pool.ntp.org"
    port = int(args[1]) if len(args) > 1 else 123
    s = remora.udpcon(host, port)
    s.event(ntp_task)
    await remora.wait_stopped()
