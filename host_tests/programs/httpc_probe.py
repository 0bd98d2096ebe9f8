"""Drive remora's HTTP client against a test server (host_tests/test_httpc.py).

    remora run host_tests/programs/httpc_probe.py BASE_URL

Runs every check twice, awaited in a task and blocking on a worker thread,
and prints ``RESULT mode name value`` lines (value as JSON), then ``DONE``.
"""

import json

import remora
from remora.httpc import Client


def chunks():
    for i in range(5):
        yield b"part%d;" % i


def checks(client, base):
    # (name, function of the call's result -> value to print, call args)
    def req(*args, **kw):
        return client.request(*args, **kw)

    return [
        ("query", lambda r: r.json(), lambda: req("GET", base + "/echo?x=1", query={"q": "a b&c"},
                                                 headers={"X-Test": "yes"})),
        ("post", lambda r: r.json(), lambda: req("POST", base + "/echo", body=b"0123456789" * 300)),
        ("stream", lambda r: r.json(), lambda: req("PUT", base + "/echo", body=chunks())),
        ("json", lambda r: r.json(), lambda: req("POST", base + "/echo", json={"a": [1, 2]})),
        ("chunked", lambda r: [r.status, len(r.body), r.body[:12].decode()],
         lambda: req("GET", base + "/chunked")),
        ("keepalive1", lambda r: r.text(), lambda: req("GET", base + "/peer")),
        ("keepalive2", lambda r: r.text(), lambda: req("GET", base + "/peer")),
        ("redirect", lambda r: [r.status, r.text(), list(r.history)],
         lambda: req("GET", base + "/redirect/3")),
        ("toomany", lambda r: [r.status, list(r.history)],
         lambda: req("GET", base + "/redirect/9", redirects=2)),
        ("see_other", lambda r: [r.status, r.json()["method"]],
         lambda: req("POST", base + "/see-other", body=b"x")),
        ("noauth", lambda r: r.status, lambda: req("GET", base + "/basic")),
        ("basic", lambda r: [r.status, r.text()], lambda: req("GET", base + "/basic", auth=("ann", "pw1"))),
        ("userinfo", lambda r: [r.status, r.text()],
         lambda: req("GET", base.replace("://", "://ann:pw1@") + "/basic")),
        ("digest256", lambda r: [r.status, r.text()],
         lambda: req("GET", base + "/digest/SHA-256?x=1", auth=("bob", "pw2"))),
        ("digest_md5", lambda r: [r.status, r.text()],
         lambda: req("GET", base + "/digest/MD5", auth=("bob", "pw2"))),
        ("badauth", lambda r: r.status, lambda: req("GET", base + "/digest/SHA-256", auth=("bob", "no"))),
        ("timeout", lambda r: r.status, lambda: req("GET", base + "/slow", timeout_ms=300)),
        ("head", lambda r: [r.status, len(r.body), r.header("content-length")],
         lambda: req("HEAD", base + "/chunked")),
        ("tls", lambda r: r.status, lambda: req("GET", "https://127.0.0.1:1/")),
        # The server closes after answering, without saying so: the next request
        # finds the kept connection dead and goes again on a new one.
        ("stale1", lambda r: [r.status, r.text()], lambda: req("GET", base + "/drop")),
        ("stale2", lambda r: [r.status, r.text()], lambda: req("GET", base + "/drop")),
    ]


def outcome(fn, call):
    try:
        return fn(call())
    except Exception as exc:  # reported by name: the test checks it
        return "error " + type(exc).__name__


def run_blocking(base):
    client = Client()
    out = [(name, outcome(fn, call)) for name, fn, call in checks(client, base)]
    client.close()
    return out


async def main(args):
    base = args[0]
    client = Client()
    for name, fn, call in checks(client, base):
        try:
            value = fn(await call())
        except Exception as exc:
            value = "error " + type(exc).__name__
        print("RESULT task", name, json.dumps(value))
    client.close()
    for name, value in await remora.thread_call(run_blocking, base):
        print("RESULT worker", name, json.dumps(value))
    print("DONE")
