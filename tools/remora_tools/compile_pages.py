"""``remora compile APPDIR [--out DIR] [--mpy]``: precompile an application's pages.

Every ``*.rsp`` under APPDIR becomes a module ``DIR/rsp_<name>.py`` (names from
``remora.pages.runtime.module_name``).  With ``--mpy`` each is also compiled by
mpy-cross to ``DIR/mpy/rsp_<name>.mpy``: a separate folder, because MicroPython
imports ``x.py`` before ``x.mpy`` when both sit side by side.  ``PageEngine(root,
compiled=DIR)`` picks ``DIR/mpy`` by itself on MicroPython; a board gets the
``.mpy`` files only.

Pages are checked with CPython's ``compile`` first, so a Python syntax error is
reported at its page line (``/a.rsp line 3: SyntaxError: ...``) rather than as a
line of generated code.  Modules of pages that no longer exist are removed.
"""

import argparse
import os
import re
import sys
import tempfile
from typing import List, Optional, Tuple

from . import mpy as _mpy
from . import paths
from remora.pages import compiler, errors, runtime, trace


def pages(appdir: str) -> List[str]:
    """Page names (``/admin/index.rsp``) of every ``*.rsp`` below appdir, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(appdir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for f in sorted(filenames):
            if f.endswith(".rsp"):
                rel = os.path.relpath(os.path.join(dirpath, f), appdir)
                found.append("/" + rel.replace(os.sep, "/"))
    return found


def default_outdir(appdir: str) -> str:
    name = os.path.basename(os.path.abspath(appdir).rstrip(os.sep)) or "app"
    return os.path.join(paths.build_dir(), "pages", name)


def _write(path: str, text: str) -> None:
    # Atomic, so a server loading pages never sees half a module.
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def translate_file(appdir: str, name: str) -> Tuple[str, str, Tuple[int, ...]]:
    """(module name, Python source, LINES) of page ``name``; raises PageError at page lines."""
    path = os.path.join(appdir, name.lstrip("/"))
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    src, lines = compiler.translate(text, name)
    modname = runtime.module_name(name)
    try:
        compile(src, modname + ".py", "exec")
    except SyntaxError as exc:
        raise trace.wrap(exc, name, lines, modname + ".py", text)
    return modname, src, lines


def _mpy_error(exc: _mpy.CompileError, name: str, lines: Tuple[int, ...]) -> errors.PageError:
    # mpy-cross refuses a few things CPython accepts; report them at the page line too.
    found = re.findall(r"line (\d+)", str(exc))
    line = trace.page_line(lines, int(found[-1])) if found else 0
    return errors.PageError(name, line, SyntaxError(str(exc).splitlines()[-1]))


def broken_page(name: str, exc: errors.PageError) -> str:
    """The module of a page that does not compile: importing it raises the
    page's error, so the server answers that page with it (the details in
    development mode) while every other page serves."""
    message = str(exc.error.args[0]) if exc.error.args else type(exc.error).__name__
    return (
        "# %s does not compile: its requests get its error.\n"
        "from remora.pages.trace import PageSyntaxError\n"
        "raise PageSyntaxError(%r, %d, %r, %r)\n"
        % (name, name, exc.line, message, exc.source_line)
    )


def compile_app(
    appdir: str, outdir: Optional[str] = None, mpy: bool = False, keep_going: bool = False
) -> str:
    """Compile every page of appdir into outdir (default ``build/pages/<appname>``).

    Writes ``.py`` modules, and ``.mpy`` ones under ``outdir/mpy`` when ``mpy``
    is true.  Returns outdir.  Raises PageError for the first page that fails;
    with keep_going, reports it on stderr and compiles it to a module that
    raises its error (broken_page), so that a server still starts.
    """
    outdir = os.path.abspath(outdir or default_outdir(appdir))
    os.makedirs(outdir, exist_ok=True)
    mpy_dir = os.path.join(outdir, "mpy")
    wanted = set()
    for name in pages(appdir):
        try:
            modname, src, lines = translate_file(appdir, name)
        except errors.PageError as exc:
            if not keep_going:
                raise
            print("remora: %s" % exc.format(), file=sys.stderr)
            modname, src, lines = runtime.module_name(name), broken_page(name, exc), ()
        py = os.path.join(outdir, modname + ".py")
        wanted.add(modname)
        old = None
        if os.path.exists(py):
            with open(py, encoding="utf-8") as f:
                old = f.read()
        if old != src:
            _write(py, src)
        if mpy:
            out = os.path.join(mpy_dir, modname + ".mpy")
            stale = not os.path.exists(out) or os.stat(out).st_mtime < os.stat(py).st_mtime
            if old != src or stale:
                try:
                    _mpy.compile_file(py, out, modname + ".py")
                except _mpy.CompileError as exc:
                    raise _mpy_error(exc, name, lines)
    # Pages that are gone must not stay servable.
    for folder, ext in ((outdir, ".py"), (mpy_dir, ".mpy")):
        if os.path.isdir(folder):
            for entry in os.listdir(folder):
                if entry.startswith("rsp_") and entry.endswith(ext):
                    if entry[: -len(ext)] not in wanted:
                        os.unlink(os.path.join(folder, entry))
    return outdir


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="remora compile", description=__doc__.split("\n\n")[0],
        epilog="example:\n  remora compile examples/demo --out build/pages/demo --mpy",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("appdir")
    parser.add_argument("--out", help="output folder (default build/pages/<appname>)")
    parser.add_argument("--mpy", action="store_true", help="also compile to .mpy (DIR/mpy/)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.appdir):
        print("remora compile: %s is not a folder" % args.appdir, file=sys.stderr)
        return 2
    try:
        out = compile_app(args.appdir, args.out, mpy=args.mpy)
    except errors.PageError as exc:
        print("remora compile: %s" % exc.format(), file=sys.stderr)
        return 1
    print("compiled %d pages of %s -> %s" % (len(pages(args.appdir)), args.appdir, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
