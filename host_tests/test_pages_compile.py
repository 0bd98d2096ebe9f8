"""``remora compile``: pages precompiled to .py and .mpy, then served without the compiler.

The rendering half runs as a script on both runtimes: CPython loads the ``.py``
modules, MicroPython the ``.mpy`` ones from ``DIR/mpy`` (as a board would).
"""

import os

import pytest

from harness import REPO, run_script
from remora.pages.errors import PageError
from remora_tools import cli
from remora_tools.compile_pages import compile_app

APP = os.path.join(REPO, "host_tests", "apps", "pages")

SCRIPT = r"""
import sys
from remora.http.response import Response
from remora.pages.engine import PageEngine
from remora.pages.errors import PageError

class Req:
    path = "/"
    args = {}

eng = PageEngine("/no-pages-here", compiled=sys.argv[1])
eng.app["title"] = "T"
resp = Response()
eng.render(eng.find("/"), Req(), resp)
resp.finish()
assert b"<header>T #1</header>" in resp.body, resp.body
try:
    eng.render("/boom.rsp", Req(), Response())
    raise AssertionError("no error")
except PageError as exc:
    print("ERROR", exc.format())
assert "remora.pages.compiler" not in sys.modules
print("LOADED", eng.compiled)
print("PASS")
"""


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pages"))
    assert compile_app(APP, out, mpy=True) == out
    return out


def test_outputs(compiled):
    names = sorted(os.listdir(compiled))
    assert "rsp_admin__index.py" in names and "rsp_my_dpage_ux.py" in names
    mpys = sorted(os.listdir(os.path.join(compiled, "mpy")))
    assert mpys == sorted(n[:-3] + ".mpy" for n in names if n.startswith("rsp_"))


def test_render_compiled(compiled, runtime, mpy_lib, tmp_path):
    script = tmp_path / "render_compiled.py"
    script.write_text(SCRIPT)
    proc = run_script(runtime, str(script), [compiled])
    report = "exit %s\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("PASS"), report
    assert "ERROR /boom.rsp line 6: KeyError" in proc.stdout, report
    # MicroPython takes the bytecode from DIR/mpy; CPython the .py modules.
    loaded = os.path.join(compiled, "mpy") if runtime == "micropython" else compiled
    assert "LOADED %s\n" % loaded in proc.stdout, report


def test_errors_and_stale(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "good.rsp").write_text("ok")
    (app / "gone.rsp").write_text("soon deleted")
    out = str(tmp_path / "out")
    compile_app(str(app), out, mpy=True)
    assert os.path.exists(os.path.join(out, "mpy", "rsp_gone.mpy"))
    (app / "gone.rsp").unlink()
    compile_app(str(app), out, mpy=True)
    assert not os.path.exists(os.path.join(out, "rsp_gone.py"))
    assert not os.path.exists(os.path.join(out, "mpy", "rsp_gone.mpy"))

    (app / "bad.rsp").write_text("a\nb\n<?py\nif x\n?>\n")
    with pytest.raises(PageError) as info:
        compile_app(str(app), out)
    assert info.value.page == "/bad.rsp" and info.value.line == 4, info.value.format()
    (app / "bad.rsp").write_text("a\n<?py end ?>\n")
    with pytest.raises(PageError) as info:
        compile_app(str(app), out)
    assert info.value.line == 2


def test_cli(tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert cli.main(["compile", APP, "--out", out, "--mpy"]) == 0
    assert os.path.exists(os.path.join(out, "mpy", "rsp_index.mpy"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.rsp").write_text("<?py for i in x: ?>\n")
    assert cli.main(["compile", str(bad), "--out", str(tmp_path / "o2")]) == 1
    assert "/x.rsp line 1" in capsys.readouterr().err
