# The page compiler and runtime, on pages given as strings: output, blocks, names, errors.
import os
import sys

from remora import port
from remora.http.response import Response
from remora.pages import compiler, runtime, trace
from remora.pages.engine import PageEngine
from remora.pages.errors import PageError
from remora.pages.trace import PageSyntaxError

try:
    import asyncio
except ImportError:
    asyncio = None


class FakeRequest:
    """A request whose session property counts lookups."""

    def __init__(self, path="/t.rsp"):
        self.path = path
        self.args = {"name": "<bob>"}
        self.session_lookups = 0

    @property
    def session(self):
        self.session_lookups += 1
        return {"user": "ann"}


class FakeEngine:
    """Enough engine for pages that neither include nor forward."""

    def __init__(self):
        self.app = {}


def load(src, name="/t.rsp"):
    ns = {}
    exec(compile(compiler.compile_page(src, name), runtime.module_name(name) + ".py", "exec"), ns)
    return ns


def run(src, request=None, state=None, engine=None, name="/t.rsp"):
    ns = load(src, name)
    resp = Response()
    if state is None:
        state = {}
    ctx = runtime.Context(engine or FakeEngine(), name, request or FakeRequest(), resp, state, 0)
    if ns["IS_ASYNC"]:
        asyncio.run(ns["render"](ctx))
    else:
        ns["render"](ctx)
    resp.finish()
    return resp.body.decode()


def syntax_error(src):
    try:
        compiler.compile_page(src, "/bad.rsp")
    except PageSyntaxError as exc:
        return exc
    raise AssertionError("no PageSyntaxError for %r" % src)


# Text verbatim (non-ASCII too), escaping, raw output, None.
assert run("<p>héllo</p>\n") == "<p>héllo</p>\n"
assert run("<?= '<a href=\"x\">&\\'' ?>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
assert run("<?raw= '<b>' ?>|<?= None ?>|<?raw= None ?>|<?= 42 ?>|<?= b'<' ?>") == "<b>|||42|&lt;"
assert run("<?xml version='1.0'?><r/>") == "<?xml version='1.0'?><r/>"  # not our tag: text
assert runtime.escape("plain") == "plain"

# Loops with end, nested blocks, if/elif/else, multi-line blocks, empty suites.
assert run("<?py for i in range(3): ?>[<?= i ?>]<?py end ?>") == "[0][1][2]"
src = """<?py for row in [[1, 2], [3]]: ?><tr><?py for c in row: ?>
<td><?= c ?></td><?py end ?></tr>
<?py end ?>"""
assert run(src) == "<tr>\n<td>1</td>\n<td>2</td></tr>\n<tr>\n<td>3</td></tr>\n", run(src)
src = "<?py for v in (1, None, 'x'): ?><?py if v == 1: ?>one<?py elif v is None: ?>none"
src += "<?py else: ?>other<?py end ?>;<?py end ?>"
assert run(src) == "one;none;other;"
src = """<?py
total = 0
for n in range(4):
    if n % 2:
        total += n  # a comment: (not a bracket
?>sum=<?= total ?>"""
assert run(src) == "sum=4"
src = """<?py if True:
        x = 'deep'
?><?= x ?>"""
assert run(src) == "deep"
src = """<?py for n in range(3):
    n2 = n * 2
print(n2) ?>"""
assert run(src) == "4\n"
assert run("<?py if False: ?><?py end ?>ok") == "ok"  # the empty suite gets a pass
src = """<?py
for n in range(2):
    if n: ?>yes<?py else: ?>no<?py end ?>
"""
assert run(src) == "noyes\n", run(src)
src = "<?py try: ?><?= 1 // 0 ?><?py except ZeroDivisionError: ?>div<?py finally: ?>!<?py end ?>"
assert run(src) == "div!"
assert run("<?py if (1 +\n        1 == 2): ?>two<?py end ?>") == "two"
assert run("<?= 1 +\n 2 ?>|<?= 3 # three\n ?>") == "3|3"

# print / echo / escape in code; page state and app state.
assert run("<?py print('a<', 1, sep='-', end='.') ?>") == "a<-1."
assert run("<?py echo('<i>'); echo(None); echo(b'!') ?><?= escape('<') ?>") == "<i>!&amp;lt;"
state = {}
src = "<?py page['n'] = page.get('n', 0) + 1 ?><?= page['n'] ?>"
assert run(src, state=state) + run(src, state=state) == "12"
eng = FakeEngine()
eng.app["title"] = "T"
assert run("<?= app['title'] ?>", engine=eng) == "T"
assert run("<?= request.args['name'] ?>") == "&lt;bob&gt;"

# session is bound only in pages that mention it.
req = FakeRequest()
run("no session here <?= 1 ?>", request=req)
assert req.session_lookups == 0
assert run("<?= session['user'] ?>", request=req) == "ann" and req.session_lookups == 1
assert "session" not in compiler.compile_page("<?= request ?>", "/t.rsp")

# The async flag; an async page may await.
assert load("plain")["IS_ASYNC"] is False
assert load("<?page async ?>x")["IS_ASYNC"] is True
src = "<?page async ?><?py\nimport asyncio\nawait asyncio.sleep(0)\n?>awaited"
if asyncio is not None:
    assert run(src) == "awaited"
assert "async def render" in compiler.compile_page(src, "/t.rsp")

# Errors at run time map to page lines.
page_text = "<p>\n</p>\n<?py\nx = 1\ny = x // 0\n?>\n"
ns = load(page_text, "/e.rsp")
ctx = runtime.Context(FakeEngine(), "/e.rsp", FakeRequest(), Response(), {}, 0)
try:
    ns["render"](ctx)
    raise AssertionError("no error")
except ZeroDivisionError as exc:
    err = trace.wrap(exc, "/e.rsp", ns["LINES"], "rsp_e.py", page_text)
assert err.line == 5 and err.page == "/e.rsp", (err.line, err.page)
assert err.format().startswith("/e.rsp line 5: ZeroDivisionError"), err.format()
assert err.format().endswith("\n    y = x // 0"), err.format()

# Compile errors carry page and line.
err = syntax_error("a\n<?py for x in y: ?>\nb\n")
assert err.line == 2 and "never closed" in str(err.error), err.format()
err = syntax_error("a\nb\n<?py end ?>")
assert err.line == 3 and "without an open block" in str(err.error), err.format()
err = syntax_error("<?py if x: ?>\n<?py end ?>\n<?py else: ?>")
assert err.line == 3 and "'else'" in str(err.error), err.format()
err = syntax_error("x\n<?= 1 ")
assert err.line == 2 and "never closed" in str(err.error)
err = syntax_error("<?page sync ?>")
assert "directive" in str(err.error)
err = syntax_error("x\n\n<?=  ?>")
assert err.line == 3
assert err.format().startswith("/bad.rsp line 3: SyntaxError:"), err.format()

# Python syntax errors (found when the module is compiled) map through LINES too.
src, lines = compiler.translate("a\nb\n<?py\nx = = 1\n?>", "/s.rsp")
try:
    compile(src, "rsp_s.py", "exec")
    raise AssertionError("compiled bad syntax")
except SyntaxError as exc:
    err = trace.wrap(exc, "/s.rsp", lines, "rsp_s.py", None)
assert isinstance(err, PageSyntaxError) and err.line == 4, err.format()

# Module names are collision-free.
names = ["/admin/index.rsp", "/admin__index.rsp", "/admin_/index.rsp", "/a-b.rsp", "/a_b.rsp"]
names += ["/a.b.rsp", "/ä.rsp", "/a/_b.rsp", "/a__b.rsp"]
mods = [runtime.module_name(n) for n in names]
assert mods[0] == "rsp_admin__index", mods
assert len(set(mods)) == len(mods), mods
assert runtime.resolve("/a/b.rsp", "c.rsp") == "/a/c.rsp"
assert runtime.resolve("/a/b.rsp", "../c.rsp") == "/c.rsp"
assert runtime.resolve("/a/b.rsp", "/x/y.rsp") == "/x/y.rsp"
assert runtime.resolve("/a/b.rsp", "../../c.rsp") is None

# include and forward need an engine: pages as strings in a scratch folder.
tag = "".join("%02x" % b for b in port.random_bytes(4))
root = "/tmp/remora-pages-c-" + tag
os.mkdir(root)
os.mkdir(root + "/sub")
files = {
    "/main.rsp": "<m><?py include('sub/part.rsp') ?></m>",
    "/sub/part.rsp": "<?py page['n'] = page.get('n', 0) + 1 ?>part<?= page['n'] ?>",
    "/fwd.rsp": "lost<?py forward('/sub/part.rsp') ?>",
    "/loop.rsp": "<?py include('loop.rsp') ?>",
    "/bad_inc.rsp": "x\n<?py include('nope.rsp') ?>",
    "/inc_err.rsp": "<?py include('sub/err.rsp') ?>",
    "/sub/err.rsp": "a\n<?py\ndef f():\n    return 1 // 0\n\nf()\n?>",
    "/crlf.rsp": "<?py\r\nfor i in range(2):\r\n\tx = i\r\n?>\r\n<?= x ?>",
    "/await.rsp": "a\n<?py await x ?>",
}
try:
    for name, text in files.items():
        with open(root + name, "w") as f:
            f.write(text)
    eng = PageEngine(root)

    def render(name):
        resp = Response()
        eng.render(name, FakeRequest(), resp)
        resp.finish()
        return resp.body.decode()

    assert render("/main.rsp") == "<m>part1</m>"
    assert render("/fwd.rsp") == "part2"  # output before forward is gone; page state persists
    try:
        render("/loop.rsp")
        raise AssertionError("endless include")
    except PageError as exc:
        assert "nested" in str(exc.error), exc.format()
    try:
        render("/bad_inc.rsp")
        raise AssertionError("missing include")
    except PageError as exc:
        assert exc.page == "/bad_inc.rsp" and exc.line == 2, exc.format()
    try:
        render("/inc_err.rsp")
        raise AssertionError("no error")
    except PageError as exc:
        # The innermost page and line, even inside a function the page defines.
        assert exc.page == "/sub/err.rsp" and exc.line == 4, exc.format()
    assert render("/crlf.rsp") == "\n1"
    try:
        render("/await.rsp")
        raise AssertionError("await in a sync page")
    except PageError as exc:
        # CPython refuses it when compiling; MicroPython when the page runs.
        assert exc.page == "/await.rsp", exc.format()
        assert exc.line == 2 or isinstance(exc.error, TypeError), exc.format()
finally:
    for name in files:
        os.remove(root + name)
    os.rmdir(root + "/sub")
    os.rmdir(root)

print("PASS")
