"""An in-process test client: drive an App without sockets.

::

    from remora.http import TestClient

    client = TestClient(app)
    resp = client.get("/hello")                      # blocking, off the dispatcher
    assert resp.status == 200 and resp.text == "Hello, world!"
    resp = client.post("/api/items", json={"name": "x"}, headers={"authorization": "Bearer t"})
    assert resp.json()["ok"]

    async def main(args):                            # in a task: awaited
        resp = await client.get("/hello")

Requests go through the same connection driver and HTTP core as a real
connection (the request's bytes are framed by the client core, the answer
parsed by it), over an in-memory stand-in for the socket: handlers, pages,
guards, hooks, sessions and streamed responses all run as they do when
served.  Calls follow the caller, as socket calls do: awaitable on the
dispatcher, blocking elsewhere (each blocking call runs a dispatcher of its
own for the request, so it works from pytest on CPython and from a program
on MicroPython).  Cookies the App sets are kept and sent back.
"""

from .. import dispatcher
from ..proto.http.client import ClientConnection
from ..proto.http.events import NEED_DATA, Data, EndOfMessage, ResponseHead
from .server import serve_connection

try:
    from typing import Any, Dict, List, Optional, Tuple
except ImportError:
    pass


class _Pipe:
    """What the connection driver needs of a socket, in memory: it reads the
    request's bytes, then end of stream; what it writes is kept."""

    peer = ("127.0.0.1", 0)

    def __init__(self, request: bytes) -> None:
        self.request = request  # type: Optional[bytes]
        self.sent = []  # type: List[bytes]

    async def read(self, timeout_ms: "Optional[int]" = None) -> "Optional[bytes]":
        data, self.request = self.request, None
        return data

    def read_now(self) -> bytes:
        data, self.request = self.request, None
        return data or b""

    async def readable(self) -> bool:
        return True

    def task_ended(self, task: "Any") -> None:
        pass

    async def write(self, data: "Any") -> bool:
        self.sent.append(bytes(data))
        return True

    def send_now(self, data: "Any") -> int:
        self.sent.append(bytes(data))
        return len(data)

    async def discard(self, timeout_ms: int) -> int:
        return 0

    def interrupt(self, exc: BaseException) -> None:
        pass

    def hand_off(self) -> None:
        raise NotImplementedError("the test client does not take connections over (req2sock)")

    def unread(self, data: bytes) -> None:
        pass


class TestResponse:
    """What the App answered: status, reason, headers (lower-case names,
    repeated fields joined with ", "), header_list, body (bytes)."""

    def __init__(self, head: ResponseHead, body: bytes) -> None:
        self.status = head.status
        self.reason = head.reason
        self.header_list = head.headers
        self.headers = {}  # type: Dict[str, str]
        for name, value in head.headers:
            old = self.headers.get(name)
            self.headers[name] = value if old is None else old + ", " + value
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> "Any":
        import json

        return json.loads(self.body)

    def __repr__(self) -> str:
        return "<TestResponse %d %r>" % (self.status, self.body[:40])


class TestClient:
    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, app: "Any", host: str = "testserver") -> None:
        self.app = app
        self.host = host
        self.cookies = {}  # type: Dict[str, str]

    def request(
        self,
        method: str,
        target: str,
        body: "Any" = b"",
        headers: "Optional[Dict[str, str]]" = None,
        json: "Any" = None,
    ) -> "Any":
        """The App's answer to one request: a TestResponse (awaitable on the
        dispatcher, blocking elsewhere)."""
        fields = [("host", self.host)]  # type: List[Tuple[str, str]]
        if json is not None:
            import json as json_module

            body = json_module.dumps(json)
            fields.append(("content-type", "application/json"))
        if isinstance(body, str):
            body = body.encode()
        for name, value in (headers or {}).items():
            fields.append((name.lower(), value))
        if self.cookies:
            fields.append(("cookie", "; ".join(k + "=" + v for k, v in self.cookies.items())))
        if body or method in ("POST", "PUT", "PATCH"):
            fields.append(("content-length", str(len(body))))
        fields.append(("connection", "close"))
        if dispatcher.on_dispatcher():
            return self._exchange(method, target, fields, body)
        return dispatcher.run(self._exchange, method, target, fields, body)

    async def _exchange(self, method: str, target: str, fields: "Any", body: bytes) -> TestResponse:
        client = ClientConnection()
        wire = client.send_request_head(method, target, fields)
        if body:
            wire += client.send_data(body)
        wire += client.send_end()
        pipe = _Pipe(wire)
        await serve_connection(pipe, self.app)
        client.receive_data(b"".join(pipe.sent))
        client.receive_data(b"")  # the server closed (Connection: close)
        head = None
        parts = []
        while True:
            event = client.next_event()
            if type(event) is ResponseHead:
                if event.status >= 200:
                    head = event
            elif type(event) is Data:
                parts.append(bytes(event.data))
            elif type(event) is EndOfMessage or event is NEED_DATA:
                break
        if head is None:
            raise ValueError("the App sent no response")
        resp = TestResponse(head, b"".join(parts))
        self._keep_cookies(head.headers)
        return resp

    def _keep_cookies(self, headers: "Any") -> None:
        for name, value in headers:
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                eq = pair.find("=")
                if eq > 0:
                    key, val = pair[:eq].strip(), pair[eq + 1 :].strip()
                    if val and "max-age=0" not in value.lower():
                        self.cookies[key] = val
                    else:
                        self.cookies.pop(key, None)

    def get(self, target: str, **kw: "Any") -> "Any":
        return self.request("GET", target, **kw)

    def head(self, target: str, **kw: "Any") -> "Any":
        return self.request("HEAD", target, **kw)

    def post(self, target: str, body: "Any" = b"", **kw: "Any") -> "Any":
        return self.request("POST", target, body, **kw)

    def put(self, target: str, body: "Any" = b"", **kw: "Any") -> "Any":
        return self.request("PUT", target, body, **kw)

    def patch(self, target: str, body: "Any" = b"", **kw: "Any") -> "Any":
        return self.request("PATCH", target, body, **kw)

    def delete(self, target: str, **kw: "Any") -> "Any":
        return self.request("DELETE", target, **kw)

    def options(self, target: str, **kw: "Any") -> "Any":
        return self.request("OPTIONS", target, **kw)
