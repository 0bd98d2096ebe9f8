# Loopback helpers shared by the unit scripts that open real sockets (not a
# test itself: test_units.py runs only test_*.py).
import socket

from remora import port


def address(number):
    return socket.getaddrinfo("127.0.0.1", number)[0][-1]


def free_port(salt=0):
    """A TCP port on 127.0.0.1 that was free a moment ago.

    MicroPython's sockets have no getsockname(), so ports are tried until
    one binds, starting from a point that differs per call and process."""
    seed = port.ticks_ms() + salt * 1009
    for i in range(200):
        number = 20000 + (seed * 7 + i * 7919) % 30000
        probe = socket.socket()
        try:
            probe.bind(address(number))
            return number
        except OSError:
            pass
        finally:
            probe.close()
    raise OSError("no free port")
