"""The bench's client side: blocking sockets with deadlines, echo and HTTP helpers.

The client is the bench process itself (CPython, pinned to CPU 1).  Every blocking call has
a timeout; nothing here sleeps to synchronise.
"""

import os
import selectors
import socket
import time
from typing import Dict, List, Optional, Sequence, Tuple

from .harness import HOST

HELLO = b"Hello, world!"


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def close_all(socks: Sequence[socket.socket]) -> None:
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def recv_exact(s: socket.socket, n: int, timeout: float) -> bytes:
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed by the server after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def echo_once(s: socket.socket, payload: bytes, timeout: float = 5.0) -> None:
    s.settimeout(timeout)
    s.sendall(payload)
    got = recv_exact(s, len(payload), timeout)
    if got != payload:
        raise ConnectionError("echo mismatch: sent %r got %r" % (payload, got))


def connect_confirmed(port: int, timeout: float = 5.0) -> socket.socket:
    """A connection the server has accepted and serves: one byte echoed."""
    s = connect(port, timeout)
    try:
        echo_once(s, b"!", timeout)
    except BaseException:
        s.close()
        raise
    return s


def heap_query(s: socket.socket, timeout: float = 10.0) -> Tuple[Optional[int], ...]:
    """(alloc, free, rss_kib) from ``HEAP\\n`` on an open echo connection (None: unknown)."""
    s.settimeout(timeout)
    s.sendall(b"HEAP\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            raise ConnectionError("closed while waiting for the HEAP answer")
        buf += chunk
    words = buf.decode().split()
    if len(words) != 4 or words[0] != "HEAP":
        raise ValueError("bad HEAP answer %r" % buf)
    return tuple(None if w in ("None", "-1") else int(w) for w in words[1:])


def echo_all(socks: Sequence[socket.socket], payload: bytes, timeout: float) -> List[bool]:
    """Send payload on every socket at once; which ones echoed it within timeout."""
    sel = selectors.DefaultSelector()
    got: Dict[int, bytes] = {}
    ok = [False] * len(socks)
    try:
        for i, s in enumerate(socks):
            try:
                s.setblocking(False)
                s.send(payload)
                sel.register(s, selectors.EVENT_READ, i)
                got[i] = b""
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while got and time.monotonic() < deadline:
            for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
                i = key.data
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    chunk = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if chunk:
                    got[i] += chunk
                if not chunk or len(got[i]) >= len(payload):
                    ok[i] = got[i] == payload
                    sel.unregister(sock)
                    del got[i]
    finally:
        sel.close()
        for s in socks:
            try:
                s.settimeout(5.0)
            except OSError:
                pass
    return ok


def cpu_seconds(pid: Optional[int]) -> float:
    """User + system CPU time of a process so far (0.0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def http_request(port: int, path: str, sock: Optional[socket.socket] = None,
                 close: bool = True, timeout: float = 5.0) -> Tuple[int, str, bytes, bool]:
    """One GET: (status, status line, body, whether the server keeps the connection open).

    Opens a connection unless sock is given; closes it when the request says
    ``Connection: close``."""
    s = sock if sock is not None else connect(port, timeout)
    try:
        s.settimeout(timeout)
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
                   % (path, "Connection: close\r\n" if close else "")).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the end of the response head (%r)"
                                      % buf[:80])
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        keep = lines[0].startswith("HTTP/1.1") and fields.get("connection", "").lower() != "close"
        if "content-length" in fields:
            n = int(fields["content-length"])
            if len(body) < n:
                body += recv_exact(s, n - len(body), timeout)
        else:
            keep = False
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                body += chunk
        return int(lines[0].split()[1]), lines[0], body, keep and not close
    finally:
        if sock is None or close:
            s.close()


def hello_ok(port: int, sock: Optional[socket.socket] = None, close: bool = True,
             timeout: float = 5.0) -> bool:
    """Whether GET /hello answers 200 ``Hello, world!`` (False on any error)."""
    try:
        status, _, body, _ = http_request(port, "/hello", sock, close, timeout)
    except (OSError, ValueError, IndexError):
        return False
    return status == 200 and body == HELLO


def heap_http(port: int) -> Tuple[Optional[int], Optional[int], int]:
    """(alloc, free, open connections) from GET /heap on a connection of its own."""
    status, line, body, _ = http_request(port, "/heap", timeout=10.0)
    if status != 200:
        raise RuntimeError("GET /heap: %s" % line)
    words = body.decode().split()
    alloc, free = (None if w == "None" else int(w) for w in words[:2])
    return alloc, free, int(words[2])


def open_idle_http(port: int, k: int, request: bool) -> List[socket.socket]:
    """k connections; with request, each completes one keep-alive GET /hello first, else each
    is accepted (the server's task is waiting for a request line) before the next opens."""
    socks: List[socket.socket] = []
    try:
        for i in range(k):
            s = connect(port)
            socks.append(s)
            if request:
                status, line, body, keep = http_request(port, "/hello", s, close=False)
                if status != 200 or body != HELLO or not keep:
                    raise RuntimeError("idle connection %d: %s %r (kept open: %s)"
                                       % (i + 1, line, body[:40], keep))
        if not request:
            wait_accepted(port)
    except BaseException:
        close_all(socks)
        raise
    return socks


def wait_accepted(port: int, timeout: float = 10.0) -> None:
    """Until the kernel has handed n connections to the server's accept (none left in its
    listen queue): ``ss`` shows the listener's queue; without it, nothing to wait for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queued = listen_queue(port)
        if queued is None or queued == 0:
            return
        time.sleep(0.01)  # polling the kernel's queue: there is no event to wait on
    raise TimeoutError("%d connections still in the listen queue after %.0f s"
                       % (listen_queue(port) or 0, timeout))


def listen_queue(port: int) -> Optional[int]:
    """Connections waiting in a listener's accept queue (Recv-Q of /proc/net/tcp), or None."""
    try:
        with open("/proc/net/tcp") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        w = line.split()
        if w[3] == "0A" and int(w[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
            return int(w[4].split(":")[1], 16)  # rx_queue of a listener: its accept queue
    return None


def wait_server_closed(port: int, timeout: float = 10.0) -> None:
    """Until the server has closed its side of every connection its clients closed: no
    socket on its port left in CLOSE_WAIT (/proc/net/tcp; without it, nothing to wait for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = close_wait(port)
        if not waiting:
            return
        time.sleep(0.01)  # polling the kernel's table: there is no event to wait on
    raise TimeoutError("the server has not closed %d connections after %.0f s"
                       % (close_wait(port), timeout))


def close_wait(port: int) -> int:
    """Sockets on the local port in state CLOSE_WAIT (the client closed, the server not yet)."""
    try:
        with open("/proc/net/tcp") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return 0
    return sum(1 for line in lines
               if line.split()[3] == "08" and int(line.split()[1].rsplit(":", 1)[1], 16) == port)
