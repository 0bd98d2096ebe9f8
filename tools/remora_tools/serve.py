"""``remora serve APPDIR``: the command line that serves an application folder.

An application folder holds ``main.py`` (``async def main(args)`` building
an ``App``; see examples/demo) and its pages in ``www/``.  A folder without
``main.py`` is served as pages and static files by ``programs/serve_dir.py``.

On MicroPython the pages are compiled on the host first (``remora compile``
to ``.mpy``), go into the simulated flash (``/rom/pages``) and the program
gets ``--pages DIR``: a board never compiles a page itself.  On CPython
pages compile at run time and recompile when their file changes.
"""

import hashlib
import os
from typing import Dict, List, Sequence, Tuple

from . import paths, runtimes

HERE = os.path.dirname(os.path.abspath(__file__))


def pages_dir(appdir: str) -> str:
    www = os.path.join(appdir, "www")
    return www if os.path.isdir(www) else appdir


def compiled_pages(appdir: str) -> str:
    """Compile the app's pages to .mpy under build/pages/; returns the folder."""
    from .compile_pages import compile_app

    src = os.path.abspath(pages_dir(appdir))
    tag = hashlib.sha1(src.encode()).hexdigest()[:12]
    out = os.path.join(paths.build_dir(), "pages", tag)
    return compile_app(src, out, True, keep_going=True)


def command(
    runtime: str,
    appdir: str,
    board: str,
    port: int,
    args: Sequence[str] = (),
    dev: bool = False,
    access_log: bool = True,
) -> Tuple[List[str], Dict[str, str]]:
    """(argv, env) of the server: an access line per request unless
    access_log is False (or the board's profile says log_access False);
    development mode (App's error details in the browser) with dev."""
    appdir = os.path.abspath(appdir)
    if not os.path.isdir(appdir):
        raise SystemExit("remora serve: no such folder: %s" % appdir)
    program = os.path.join(appdir, "main.py")
    if not os.path.isfile(program):
        program = os.path.join(HERE, "programs", "serve_dir.py")
    extra = ["--port", str(port), "--root", appdir]
    flash = None
    if runtimes.is_micropython(runtime):
        # The pages go into the board's flash beside the code (/rom/pages/mpy).
        flash = {"pages": os.path.join(compiled_pages(appdir), "mpy")}
        extra += ["--pages", "/rom/pages"]
    argv, env = runtimes.command(runtime, program, board, extra + list(args), flash)
    if access_log:
        env["REMORA_LOG"] = "access"
    if dev:
        env["REMORA_DEV"] = "1"
    return argv, env
