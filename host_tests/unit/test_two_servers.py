# Nothing of a server lives at module level: two HTTP servers (two Apps,
# two listeners, two lingering rings) serve side by side on one dispatcher,
# and a program can run a dispatcher, stop, and run another, twice over.
import socket
import time

from loopback import address, free_port
from remora import dispatcher, port, thread_call
from remora.http import App


def fetch(number):
    """GET /who on a worker thread, with a plain blocking socket; the body."""
    deadline = port.ticks_add(port.ticks_ms(), 5000)
    while True:
        s = socket.socket()
        try:
            s.connect(address(number))
            break
        except OSError:
            s.close()
            if port.ticks_diff(deadline, port.ticks_ms()) < 0:
                raise
            time.sleep(0.02)  # not listening yet: poll again, within the deadline
    s.send(b"GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = b""
    while True:
        data = s.recv(512)
        if not data:
            break
        got += data
    s.close()
    return got[got.find(b"\r\n\r\n") + 4 :]


def app_named(name):
    app = App()

    @app.route("/who")
    def who(req):
        return name

    return app


async def main(round_number):
    first, second = app_named("first"), app_named("second")
    a, b = free_port(round_number * 2), free_port(round_number * 2 + 1)
    dispatcher.spawn(first.serve(a, "127.0.0.1"))
    dispatcher.spawn(second.serve(b, "127.0.0.1"))
    return (await thread_call(fetch, a), await thread_call(fetch, b))


for round_number in range(2):
    answers = dispatcher.run(main, round_number)
    assert answers == (b"first", b"second"), answers
    assert dispatcher.current() is None and dispatcher.open_sockets() == 0
print("PASS")
