"""The HTTP server test application (host_tests/test_http_*.py).

    remora serve host_tests/apps/httpapp --port N [--dev]
"""

import remora
from remora.http import App, BasicAuth, DigestAuth, FormAuth, Response, Users, req2sock
from remora.sock import COSOCKET


def option(args, name, default):
    if name in args:
        return args[args.index(name) + 1]
    return default


def fill_heap():
    """A chain of blocks holding all the heap there is, large pieces first."""
    chain = None
    for size in (4096, 256, 16, 1):
        try:
            while True:
                chain = (chain, bytearray(size))
        except MemoryError:
            pass
    return chain


def fragment_heap():
    """Two chains of 480-byte blocks that take all the heap, laid out in
    turn; the second is dropped, so the heap is left in holes of about half
    a KB: small allocations still fit, a 1 KB read or a body does not."""
    kept = dropped = None
    try:
        while True:
            kept = (kept, bytearray(480))
            dropped = (dropped, bytearray(480))
    except MemoryError:
        pass
    return kept


def build(root, pages, dev):
    app = App(root, dev)
    users = Users({"alice": "wonderland", "bob": "builder"})
    sessions = app.enable_sessions()
    app.protect("/secret/", BasicAuth(users))
    app.protect("/digest/", DigestAuth(users))
    app.protect("/members/", FormAuth(users, sessions))
    app.pages("/", "www", pages)

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/heap")
    async def heap(req):
        alloc, free = remora.heap()
        return {"alloc": alloc, "free": free, "connections": app.connections}

    @app.route("/echo", methods=("POST", "PUT"))
    async def echo(req):
        return Response(req.body, 200, [["content-type", "application/octet-stream"]])

    @app.route("/items/<int:item>", methods=("GET", "DELETE"))
    def item(req, item):  # a plain function on the dispatcher
        return {"item": item, "method": req.method, "q": req.args.get("q")}

    @app.route("/files/<path:rest>")
    async def files(req, rest):
        return "path=" + rest

    @app.route("/sync", worker=True)
    def sync_handler(req):  # worker=True: runs on the worker pool
        import _thread

        return {"thread": _thread.get_ident() != app.state["dispatcher_thread"]}

    @app.route("/raise")
    async def raiser(req):
        raise ValueError("handler failed on purpose")

    @app.route("/stream")
    async def stream(req):
        count = int(req.args.get("n", "5"))

        def chunks():
            for i in range(count):
                yield "chunk %d\n" % i

        return Response(chunks(), 200, [["content-type", "text/plain"]])

    @app.route("/oom")
    async def oom(req):
        raise MemoryError("out of heap, on purpose")

    @app.route("/exhaust")
    async def exhaust(req):
        # On MicroPython, the request holds every free block of the heap when
        # it fails: the 503 must still go out, and the heap come back once
        # the connection ends.  (CPython cannot be filled: only the error.)
        if remora.RUNTIME == "micropython":
            req.hog = fill_heap()
        raise MemoryError("heap exhausted on purpose")

    @app.route("/starve")
    async def starve(req):
        # From 0.2 s on (this connection is gone by then, and its blocks
        # with it), for ms milliseconds, no block the size of a read or a
        # body is to be had: on MicroPython the heap is cut into small holes
        # (the body reserve given up first); CPython has no fixed heap, so
        # there body buffers fail instead.
        ms = int(req.args.get("ms", "1000"))

        def no_buffer(size):
            raise MemoryError("no block for a body, on purpose")

        async def starve_for_a_while():
            await remora.sleep_ms(200)
            held = None
            if remora.RUNTIME == "micropython":
                app.reserve = None
                held = fragment_heap()
            else:
                app.body_buffer = no_buffer
            await remora.sleep_ms(ms)
            held = None  # noqa: F841
            if "body_buffer" in app.__dict__:
                del app.body_buffer

        from remora import dispatcher

        dispatcher.spawn(starve_for_a_while())
        return "starving\n"

    @app.route("/acceptfail")
    async def acceptfail(req):
        # The accept loop's next accept finds no heap for its own coroutine
        # (the listener's accept shadowed once, as if that allocation failed).
        listener = app.listening

        def no_heap(*args):
            del listener.accept
            raise MemoryError("no heap for the accept, on purpose")

        listener.accept = no_heap
        return "next accept fails\n"

    @app.route("/streamfail")
    async def streamfail(req):
        def chunks():
            yield "first\n"
            raise ValueError("stream failed on purpose")

        return Response(chunks(), 200, [["content-type", "text/plain"]])

    @app.route("/slow")
    async def slow(req):
        class Slow:
            def __init__(self):
                self.i = 0

            def __aiter__(self):
                return self

            async def __anext__(self):
                if self.i >= 5:
                    raise StopAsyncIteration
                self.i += 1
                await remora.sleep_ms(100)
                return b"part %d\n" % self.i

        return Response(Slow(), 200, [["content-type", "text/plain"]])

    @app.route("/shutdown", methods=("POST",))
    async def shutdown(req):
        from remora import dispatcher

        dispatcher.spawn(app.shutdown(5000))
        return "stopping"

    @app.route("/session")
    async def session(req):
        s = req.session
        s["n"] = s.get("n", 0) + 1
        return {"n": s["n"]}

    @app.route("/raw")
    async def raw(req):
        # req2sock: the connection becomes a raw cosocket that echoes lines.
        sock = req2sock(req)
        sock.event(raw_echo, mode=COSOCKET)
        return None

    async def raw_echo(sock):
        await sock.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nraw mode\n")
        while True:
            data = await sock.read()
            if not data:
                break
            await sock.write(b"echo:" + data)

    return app


async def main(args):
    import _thread

    root = option(args, "--root", ".")
    app = build(root, option(args, "--pages", None), "--dev" in args)
    app.state["dispatcher_thread"] = _thread.get_ident()
    await app.serve(int(option(args, "--port", "8080")))
