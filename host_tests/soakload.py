"""A soak's load: good keep-alive clients beside a crowd of bad ones (issue 20).

Shared by the soak test (host_tests/test_soak.py, about 20 s) and the bench's longer
soak (bench/soak.py).  Runs on the client's CPython with asyncio, against a server on
127.0.0.1 serving the demo (examples/demo): ``GET /hello``, ``GET /``, ``POST /echo``.

- Good clients (8 by default): each one keep-alive connection, requests in turn
  ``GET /hello``, ``GET /`` and ``POST /echo`` (1 KiB), checking every answer.  A 503 (the
  server refusing work under deliberate overload) is allowed and counted; the client then
  honours its ``Retry-After`` briefly and connects again.  Anything else (a wrong status or
  body, a reset, a close, no answer within ``GOOD_TIMEOUT_S``) is a failure.  Client 0 also
  asks ``GET /stats`` about once a second: the heap samples (in use after a collection).
- The crowd (``crowd`` workers, each taking the kinds in turn, plus a burst every
  ``burst_every_s``): connect-and-close, half a request, half a body, garbage, a reset
  right after a request, an oversized head, a 20-request pipeline, a slowloris, and bursts
  of 50 connections past the cap.  Each kind's outcomes are counted; the ones with a
  promised answer are judged (see ``EXPECTED``): garbage 400, an oversized head 431, a
  slowloris 408, every connection of a burst 200 or 503 within ``BURST_TIMEOUT_S``, a
  pipeline's answers 200 up to an optional last 503.  A 503 is always an allowed answer
  to a crowd connection (the cap or the heap refused it).

Nothing here sleeps to synchronise with the server: waits are reads with deadlines; the
pauses are the load's own pacing (a slowloris's drip, the gap between bursts).
"""

import asyncio
import json
import os
import socket
import struct
import time
from typing import Dict, List, Optional, Tuple

HOST = "127.0.0.1"
GOOD_TIMEOUT_S = 15.0  # a good request with no answer in this long has failed
BURST_TIMEOUT_S = 10.0  # a burst's connection must be answered within this
ECHO_BODY = bytes(range(256)) * 4  # 1 KiB
KINDS = ("close", "half_head", "half_body", "garbage", "reset", "big_head", "pipeline",
         "slowloris")
# The answers a kind is promised (a 503 is always allowed: refused over the cap or
# for want of heap).  The kinds not named here promise nothing (the client leaves first).
EXPECTED = {
    "garbage": (400,),
    "big_head": (431,),  # a 9000-byte field: past every board's http_max_header_bytes
    "slowloris": (408,),
    "burst": (200,),
}


class Tally:
    """What a soak saw: good requests, 503s, failures, latencies, the crowd's outcomes."""

    def __init__(self) -> None:
        self.good = 0  # good requests answered 200 with the right body
        self.good_503 = 0  # good requests refused with 503
        self.failures: List[str] = []  # good requests that failed, and why
        self.latency_ms: List[float] = []  # of the good requests answered 200
        self.heap: List[int] = []  # heap_alloc samples from /stats during the load
        self.crowd: Dict[str, Dict[str, int]] = {}  # kind -> outcome -> count
        self.violations: List[str] = []  # crowd connections without their promised answer
        self.burst_ms: List[float] = []  # time from connect to answer, burst connections

    def count(self, kind: str, outcome: str) -> None:
        seen = self.crowd.setdefault(kind, {})
        seen[outcome] = seen.get(outcome, 0) + 1
        allowed = EXPECTED.get(kind)
        if allowed is not None and outcome not in [str(s) for s in allowed] + ["503"]:
            if len(self.violations) < 50:
                self.violations.append("%s: %s" % (kind, outcome))
            else:
                self.violations[-1] = "... and more"

    def p99_ms(self) -> float:
        if not self.latency_ms:
            return 0.0
        xs = sorted(self.latency_ms)
        return xs[min(len(xs) - 1, int(len(xs) * 0.99))]

    def summary(self) -> str:
        crowd = ", ".join("%s %s" % (k, json.dumps(v, sort_keys=True))
                          for k, v in sorted(self.crowd.items()))
        return ("good %d, 503 %d, failed %d, p99 %.1f ms; crowd: %s; violations: %s; "
                "failures: %s" % (self.good, self.good_503, len(self.failures), self.p99_ms(),
                                  crowd, self.violations[:10], self.failures[:10]))


# -- HTTP over asyncio streams -----------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> Tuple[int, Dict[str, str], bytes]:
    """One response: (status, headers with lower-case names, body).  Framing by
    Content-Length, chunked, or the close.  Raises ConnectionError on a close before
    the head, asyncio.IncompleteReadError on one inside it."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        pieces = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers from remora
                break
            pieces.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(pieces)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
    return status, headers, body


async def status_then_close(reader: asyncio.StreamReader, timeout: float) -> str:
    """The status of the one answer a connection gets, or what happened instead:
    "closed" (the server closed with no answer), "reset", "timeout"."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
        return head.split(b" ", 2)[1].decode()
    except asyncio.IncompleteReadError as exc:
        return "closed" if not exc.partial else "partial"
    except asyncio.TimeoutError:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    except OSError as exc:
        return type(exc).__name__


async def connect(port: int, timeout: float = 10.0) -> Tuple[asyncio.StreamReader,
                                                             asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)


def close(writer: Optional[asyncio.StreamWriter], reset: bool = False) -> None:
    if writer is None:
        return
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER with a zero timeout: close() sends a reset, not a FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


def request(method: str, target: str, body: bytes = b"", close_after: bool = False) -> bytes:
    head = "%s %s HTTP/1.1\r\nHost: soak\r\n" % (method, target)
    if body or method == "POST":
        head += "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n" % len(body)
    if close_after:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


GOOD = (
    (request("GET", "/hello"), b"Hello, world!"),
    (request("GET", "/"), b"<h1>remora on"),
    (request("POST", "/echo", ECHO_BODY), ECHO_BODY),
)


# -- the good clients ---------------------------------------------------------------------


async def good_client(i: int, port: int, until: float, tally: Tally,
                      started: "asyncio.Event") -> None:
    reader = writer = None
    n = i  # each client starts at another request
    next_stats = time.monotonic()
    while time.monotonic() < until:
        if n > i:
            started.set()  # answered once: the crowd waits for every good client's slot
        data, expect = GOOD[n % len(GOOD)]
        stats = i == 0 and time.monotonic() >= next_stats
        if stats:
            data, expect = request("GET", "/stats"), b'"heap_alloc"'
            next_stats = time.monotonic() + 1.0
        else:
            n += 1
        t0 = time.monotonic()
        try:
            if writer is None:
                reader, writer = await connect(port)
            writer.write(data)
            status, headers, body = await asyncio.wait_for(read_response(reader),
                                                           GOOD_TIMEOUT_S)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            tally.failures.append("client %d %s: %s %s" % (i, data[:20], type(exc).__name__,
                                                            exc))
            close(writer)
            reader = writer = None
            continue
        if status == 503:
            tally.good_503 += 1
            close(writer)
            reader = writer = None
            await asyncio.sleep(0.2)  # Retry-After: 1, honoured briefly
            continue
        if status != 200 or (expect not in body if stats or expect.startswith(b"<")
                             else body != expect):
            tally.failures.append("client %d %s: %d %r" % (i, data[:20], status, body[:80]))
        elif stats:
            alloc = json.loads(body).get("heap_alloc")
            if alloc is not None:
                tally.heap.append(alloc)
        else:
            tally.good += 1
            tally.latency_ms.append((time.monotonic() - t0) * 1000)
        if headers.get("connection", "").lower() == "close":
            close(writer)
            reader = writer = None
    started.set()
    close(writer)


# -- the crowd ---------------------------------------------------------------------------


async def bad_client(kind: str, port: int, tally: Tally, head_s: float) -> None:
    try:
        reader, writer = await connect(port)
    except (OSError, asyncio.TimeoutError) as exc:
        tally.count(kind, "connect " + type(exc).__name__)
        return
    outcome = "sent"
    try:
        if kind == "close":
            pass
        elif kind == "half_head":
            writer.write(b"GET /hello HTTP/1.1\r\nHost: soak\r\nAcc")
        elif kind == "half_body":
            writer.write(b"POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 1000\r\n\r\n"
                         + ECHO_BODY[:300])
        elif kind == "garbage":
            # A NUL first: no request line can start so (RFC 9112 §3); the CRLFs end it.
            writer.write(b"\x00" + os.urandom(60).replace(b"\n", b"?") + b"\r\n\r\n")
            outcome = await status_then_close(reader, head_s + 10)
        elif kind == "reset":
            writer.write(request("GET", "/hello"))
            await writer.drain()
            close(writer, reset=True)
            writer = None
        elif kind == "big_head":
            writer.write(b"GET /hello HTTP/1.1\r\nHost: soak\r\nX-Big: " + b"b" * 9000
                         + b"\r\n\r\n")
            outcome = await status_then_close(reader, head_s + 10)
        elif kind == "pipeline":
            writer.write(request("GET", "/hello") * 20)
            outcome = await pipeline(reader)
        elif kind == "slowloris":
            writer.write(b"GET /hello HTTP/1.1\r\nHost: soak\r\n")
            outcome = await slowloris(reader, writer, head_s)
    except (OSError, asyncio.IncompleteReadError) as exc:
        outcome = type(exc).__name__
    finally:
        close(writer)
    tally.count(kind, outcome)


async def pipeline(reader: asyncio.StreamReader) -> str:
    """20 pipelined requests: "20x200", or the 200s then "503" when the server refused."""
    ok = 0
    for _ in range(20):
        try:
            status, _, body = await asyncio.wait_for(read_response(reader), GOOD_TIMEOUT_S)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            return "%dx200 then %s" % (ok, type(exc).__name__)
        if status == 503:
            return "503" if ok == 0 else "%dx200 then 503" % ok
        if status != 200 or body != b"Hello, world!":
            return "%dx200 then %d" % (ok, status)
        ok += 1
    return "20x200"


async def slowloris(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    head_s: float) -> str:
    """A header byte every 0.5 s until the server answers (408) or closes."""
    deadline = time.monotonic() + head_s + 10
    while time.monotonic() < deadline:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n"), 0.5)
            return head.split(b" ", 2)[1].decode()
        except asyncio.TimeoutError:
            pass
        except asyncio.IncompleteReadError as exc:
            return "closed" if not exc.partial else "partial"
        try:
            writer.write(b"X")
            await writer.drain()
        except OSError as exc:
            # The server may have answered and closed: what it sent still counts.
            return await status_then_close(reader, 1.0) + " (" + type(exc).__name__ + ")"
    return "timeout"


def retransmitted(writer: asyncio.StreamWriter) -> int:
    """Segments this connection sent again (Linux's tcp_info.tcpi_total_retrans; 0 where
    the kernel does not say).  On loopback a connection retransmits only what the server's
    kernel dropped: its SYN, or its request while the handshake's last ACK was dropped,
    both because the listen backlog was full."""
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "TCP_INFO"):
        return 0
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    except OSError:
        return 0
    return struct.unpack_from("I", info, 100)[0] if len(info) >= 104 else 0


async def burst(port: int, size: int, tally: Tally) -> None:
    """size connections at once, each a GET /hello with Connection: close.  Each must be
    answered (200, or 503 past the cap), and without a retransmission: one that the
    server's kernel had to drop waited for the client's retry (1, 3, 7, 15 s later),
    the finding of issue 20 with a listen backlog of 4."""

    async def one() -> None:
        t0 = time.monotonic()
        writer = None
        try:
            reader, writer = await connect(port, BURST_TIMEOUT_S)
            writer.write(request("GET", "/hello", close_after=True))
            outcome = await status_then_close(reader, BURST_TIMEOUT_S)
            if retransmitted(writer):
                outcome += " after a retransmission"
        except (OSError, asyncio.TimeoutError) as exc:
            outcome = "connect " + type(exc).__name__
        finally:
            close(writer)
        if outcome in ("200", "503"):
            tally.burst_ms.append((time.monotonic() - t0) * 1000)
        tally.count("burst", outcome)

    await asyncio.gather(*[one() for _ in range(size)])


async def crowd_worker(w: int, port: int, until: float, tally: Tally, head_s: float) -> None:
    n = w
    while time.monotonic() < until:
        await bad_client(KINDS[n % len(KINDS)], port, tally, head_s)
        n += 1


async def bursts(port: int, until: float, every_s: float, size: int, tally: Tally) -> None:
    while time.monotonic() + every_s < until:
        await asyncio.sleep(every_s)
        await burst(port, size, tally)


async def soak(port: int, seconds: float, good: int = 8, crowd: int = 4,
               burst_every_s: float = 5.0, burst_size: int = 50,
               head_s: float = 5.0) -> Tally:
    """Run the load for seconds against 127.0.0.1:port; the tally once every client
    has finished (slow ones up to their own deadlines)."""
    tally = Tally()
    until = time.monotonic() + seconds
    ready = [asyncio.Event() for _ in range(good)]
    jobs = [good_client(i, port, until, tally, ready[i]) for i in range(good)]

    async def crowd_after_good() -> None:
        # The good clients connect first: each holds one of the board's few
        # slots, as a browser that keeps its connection does; the crowd then
        # fights for the rest.
        for ev in ready:
            await asyncio.wait_for(ev.wait(), GOOD_TIMEOUT_S)
        more = [crowd_worker(w, port, until, tally, head_s) for w in range(crowd)]
        if burst_size:
            more.append(bursts(port, until, burst_every_s, burst_size, tally))
        await asyncio.gather(*more)

    await asyncio.gather(crowd_after_good(), *jobs)
    return tally


def run(port: int, seconds: float, **kw: float) -> Tally:
    return asyncio.run(soak(port, seconds, **kw))  # type: ignore[arg-type]


def burst_once(port: int, size: int = 50) -> Tally:
    """One burst of size connections on its own (see burst())."""
    tally = Tally()
    asyncio.run(burst(port, size, tally))
    return tally


# -- before and after ---------------------------------------------------------------------


def exchange(port: int, data: bytes, timeout: float = 10.0) -> Tuple[int, Dict[str, str], bytes]:
    """One request on a new connection: its response (status, headers, body)."""

    async def one() -> Tuple[int, Dict[str, str], bytes]:
        reader, writer = await connect(port, timeout)
        try:
            writer.write(data)
            return await asyncio.wait_for(read_response(reader), timeout)
        finally:
            close(writer)

    return asyncio.run(one())


def stats(port: int) -> Dict[str, int]:
    """The demo's /stats: heap_alloc (in use after a collection), connections, ..."""
    status, _, body = exchange(port, request("GET", "/stats", close_after=True))
    if status != 200:
        raise ConnectionError("GET /stats answered %d" % status)
    return json.loads(body)


def settle(port: int, timeout: float = 20.0) -> Dict[str, int]:
    """/stats once the server holds no connection but the asking one (refused
    connections linger half a second; slow clients end with their 408)."""
    deadline = time.monotonic() + timeout
    while True:
        figures = stats(port)
        if figures["connections"] <= 1 or time.monotonic() > deadline:
            return figures
        time.sleep(0.2)  # polling the server's state, with a deadline


def warm_up(port: int, head_s: float = 5.0) -> Dict[str, Dict[str, int]]:
    """Each good request, each kind of bad client and one burst, once: what
    the server loads or sizes on first use (a page's module, the streaming
    body, the error paths, its tables at the burst's peak) is then in place,
    and the heap after it is the soak's start."""
    tally = Tally()

    async def once() -> None:
        for data, _ in GOOD:
            reader, writer = await connect(port)
            writer.write(data)
            await asyncio.wait_for(read_response(reader), GOOD_TIMEOUT_S)
            close(writer)
        for kind in KINDS:
            await bad_client(kind, port, tally, head_s)
        await burst(port, 50, tally)

    asyncio.run(once())
    return tally.crowd


BASIC = "Basic " + __import__("base64").b64encode(b"admin:remora").decode()


def check_pages(port: int) -> Dict[str, object]:
    """Every kind of page the demo serves, once each: {what: status or outcome}.
    Routes, pages (on the worker pool), static files, the admin area behind
    Basic auth, the streamed echo, a 404, and a WebSocket echo."""
    got: Dict[str, object] = {}
    auth = "Authorization: %s\r\n" % BASIC
    for name, data in (
        ("GET /hello", request("GET", "/hello", close_after=True)),
        ("GET /", request("GET", "/", close_after=True)),
        ("GET /stats", request("GET", "/stats", close_after=True)),
        ("GET /static/style.css", request("GET", "/static/style.css", close_after=True)),
        ("GET /static/about.html", request("GET", "/static/about.html", close_after=True)),
        ("GET /ntp.rsp", request("GET", "/ntp.rsp", close_after=True)),
        ("GET /upload.rsp", request("GET", "/upload.rsp", close_after=True)),
        ("GET /wsecho.rsp", request("GET", "/wsecho.rsp", close_after=True)),
        ("GET /admin/ (no login)", request("GET", "/admin/", close_after=True)),
        ("GET /admin/", request("GET", "/admin/", close_after=True).replace(
            b"\r\n\r\n", b"\r\n" + auth.encode() + b"\r\n")),
        ("GET /admin/firmware.rsp", request("GET", "/admin/firmware.rsp", close_after=True)
            .replace(b"\r\n\r\n", b"\r\n" + auth.encode() + b"\r\n")),
        ("GET /missing", request("GET", "/missing", close_after=True)),
    ):
        try:
            got[name] = exchange(port, data)[0]
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            got[name] = type(exc).__name__
    try:
        status, _, body = exchange(port, request("POST", "/echo", ECHO_BODY, close_after=True))
        got["POST /echo"] = status if body == ECHO_BODY else "wrong body"
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
        got["POST /echo"] = type(exc).__name__
    try:
        from websockets.sync.client import connect as ws_connect

        with ws_connect("ws://%s:%d/ws/echo" % (HOST, port), open_timeout=10) as ws:
            ws.send("soak")
            got["WebSocket /ws/echo"] = "echoed" if ws.recv(timeout=10) == "soak" else "wrong"
    except Exception as exc:  # the client's errors are many kinds; any is a failure
        got["WebSocket /ws/echo"] = type(exc).__name__
    return got


# What check_pages must find: every page answered as it would on a fresh server.
PAGES_OK = {
    "GET /hello": 200, "GET /": 200, "GET /stats": 200, "GET /static/style.css": 200,
    "GET /static/about.html": 200, "GET /ntp.rsp": 200, "GET /upload.rsp": 200,
    "GET /wsecho.rsp": 200, "GET /admin/ (no login)": 401, "GET /admin/": 200,
    "GET /admin/firmware.rsp": 200, "GET /missing": 404, "POST /echo": 200,
    "WebSocket /ws/echo": "echoed",
}


if __name__ == "__main__":
    import sys

    result = run(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 20)
    print(result.summary())
    print("heap samples", result.heap[:3], "...", max(result.heap or [0]),
          "burst ms max %.0f" % max(result.burst_ms or [0]))
