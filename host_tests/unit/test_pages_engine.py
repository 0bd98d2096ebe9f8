# PageEngine over host_tests/apps/pages: find(), rendering, errors, recompiling, precompiled mode.
import os
import sys

from remora import port
from remora.http.response import Response
from remora.pages import compiler, runtime
from remora.pages.engine import PageEngine
from remora.pages.errors import PageError
from remora.pages.trace import PageSyntaxError

try:
    import asyncio
except ImportError:
    asyncio = None

APP = "host_tests/apps/pages"  # unit scripts run from the repository root
CPYTHON = sys.implementation.name == "cpython"


class FakeRequest:
    def __init__(self, path="/", args=None):
        self.path = path
        self.args = args or {}


def render(eng, name, request=None):
    resp = Response()
    eng.render(name, request or FakeRequest(name), resp)
    resp.finish()
    return resp.body.decode(), resp


def scratch():
    tag = "".join("%02x" % b for b in port.random_bytes(4))
    path = "/tmp/remora-pages-e-" + tag
    os.mkdir(path)
    return path


def rmtree(path):
    for entry in os.listdir(path):
        full = path + "/" + entry
        if os.stat(full)[0] & 0o170000 == 0o040000:
            rmtree(full)
        else:
            os.remove(full)
    os.rmdir(path)


def check_app(eng):
    """What every engine over the test app must do, however it gets its pages."""
    # find(): files, directories to index.rsp, refusals.
    assert eng.find("/index.rsp") == "/index.rsp"
    assert eng.find("/") == "/index.rsp"
    assert eng.find("/admin/") == "/admin/index.rsp"
    assert eng.find("/parts/header.rsp") == "/parts/header.rsp"
    assert eng.find("/missing.rsp") is None
    assert eng.find("/parts/") is None  # no index there
    assert eng.find("/index.html") is None
    for bad in ("/../pages/index.rsp", "/admin/../index.rsp", "/./index.rsp", "/admin\\index.rsp",
                "/index.rsp\x00", "index.rsp", "//index.rsp"):
        assert eng.find(bad) is None, bad

    # Rendering with include (relative and absolute), app state and page state.
    eng.app["title"] = "Demo"
    out, _ = render(eng, "/index.rsp", FakeRequest("/", {"name": "<ann>"}))
    assert "<header>Demo #1</header>" in out, out
    assert "<p>Hello &lt;ann&gt;</p>" in out, out
    assert "<footer>&copy; remora</footer>" in out, out
    out, _ = render(eng, "/index.rsp")
    assert "<header>Demo #2</header>" in out and "Hello world" in out, out
    out, _ = render(eng, "/admin/index.rsp")
    assert out == "<h1>admin</h1><footer>&copy; remora</footer>\n\n", repr(out)
    assert render(eng, "/counter.rsp")[0].strip() == "n=1 total=1"
    assert render(eng, "/counter.rsp")[0].strip() == "n=2 total=2"
    assert eng.app["total"] == 2
    assert render(eng, "/my-page_x.rsp")[0] == "0,1,2,\n"

    # forward: earlier output gone, headers kept, the target renders.
    out, resp = render(eng, "/fwd.rsp", FakeRequest("/fwd.rsp"))
    assert out == "target /fwd.rsp\n", repr(out)
    assert resp.get_header("x-from") == "fwd"

    # Errors come out at the page's line.
    try:
        render(eng, "/boom.rsp")
        raise AssertionError("no error")
    except PageError as exc:
        assert exc.page == "/boom.rsp" and exc.line == 6, exc.format()
        assert isinstance(exc.error, KeyError)
        assert exc.format().startswith("/boom.rsp line 6: KeyError"), exc.format()

    # The async page: flagged, refused by render(), run by render_async().
    assert eng.is_async("/async.rsp") and not eng.is_async("/index.rsp")
    try:
        render(eng, "/async.rsp")
        raise AssertionError("sync render of an async page")
    except PageError as exc:
        assert isinstance(exc.error, TypeError)
    if asyncio is not None:
        resp = Response()
        asyncio.run(eng.render_async("/async.rsp", FakeRequest(), resp))
        resp.finish()
        out = resp.body.decode()
        assert "async 2" in out and "<footer>" in out, out


# 1. Compiling at run time from the page files.
eng = PageEngine(APP, dev=True)
check_app(eng)
try:
    render(eng, "/boom.rsp")
except PageError as exc:
    assert exc.format().endswith('\n    <p><?= y["missing"] ?></p>'), exc.format()

# 2. Recompile when a page changes; syntax errors at page lines; bounded cache.
root = scratch()
try:
    with open(root + "/p.rsp", "w") as f:
        f.write("one")
    eng = PageEngine(root, cache_max=2)
    assert render(eng, "/p.rsp")[0] == "one"
    with open(root + "/p.rsp", "w") as f:
        f.write("two!")  # a new size, so the change shows even within mtime's 1 s steps
    assert render(eng, "/p.rsp")[0] == "two!"
    with open(root + "/p.rsp", "w") as f:
        f.write("ok\n<?py\nx = (\n?>")
    try:
        render(eng, "/p.rsp")
        raise AssertionError("bad syntax compiled")
    except PageSyntaxError as exc:
        assert exc.page == "/p.rsp" and exc.line in (3, 4), exc.format()
    for i in range(4):
        with open(root + "/q%d.rsp" % i, "w") as f:
            f.write("q%d" % i)
        assert render(eng, "/q%d.rsp" % i)[0] == "q%d" % i
    assert len(eng._cache) <= 2
finally:
    rmtree(root)

# 3. Precompiled: modules written as remora compile writes them (compile_app itself
# on CPython), loaded without the compiler.
out = scratch()
try:
    if CPYTHON:
        sys.path.insert(0, "tools")
        from remora_tools.compile_pages import compile_app

        assert compile_app(APP, out) == out
    else:
        def walk(folder, prefix):
            for entry in os.listdir(folder):
                path = folder + "/" + entry
                if os.stat(path)[0] & 0o170000 == 0o040000:
                    walk(path, prefix + entry + "/")
                elif entry.endswith(".rsp"):
                    with open(path) as f:
                        src = compiler.compile_page(f.read(), prefix + entry)
                    with open(out + "/" + runtime.module_name(prefix + entry) + ".py", "w") as f:
                        f.write(src)

        walk(APP, "/")
    assert "rsp_admin__index.py" in os.listdir(out)
    eng = PageEngine("/nonexistent-root", compiled=out)
    check_app(eng)
    assert "rsp_index" not in sys.modules  # loaded modules leave no trace
finally:
    rmtree(out)

print("PASS")
