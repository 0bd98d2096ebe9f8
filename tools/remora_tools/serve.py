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
        pages = compiled_pages(appdir)
        if dev:
            # Development: the board reads the compiled pages from the host's
            # folder, where a recompiled page replaces the old (supervise()).
            extra += ["--pages", pages]
        else:
            # The pages go into the board's flash beside the code (/rom/pages/mpy).
            flash = {"pages": os.path.join(pages, "mpy")}
            extra += ["--pages", "/rom/pages"]
    argv, env = runtimes.command(runtime, program, board, extra + list(args), flash)
    if access_log:
        env["REMORA_LOG"] = "access"
    if dev:
        env["REMORA_DEV"] = "1"
    return argv, env


def _stamps(appdir: str) -> Dict[str, Tuple[float, int]]:
    """(mtime, size) of every page and module under appdir."""
    found = {}
    for base, dirs, files in os.walk(appdir):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            if name.endswith((".rsp", ".py")):
                path = os.path.join(base, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                found[path] = (st.st_mtime, st.st_size)
    return found


def supervise(
    runtime: str, appdir: str, board: str, port: int, args: Sequence[str], access_log: bool
) -> int:
    """``remora serve --dev``: run the server and pick up changes as they are
    saved.  A changed page is recompiled (on MicroPython; CPython recompiles
    pages itself), and the server process, which reads compiled pages from
    the host, serves the new one at its next request; a changed module
    (main.py or one it imports) restarts the server process, rebuilding its
    flash image.  Ctrl-C stops both."""
    import signal
    import subprocess
    import time

    appdir = os.path.abspath(appdir)
    child = None
    try:
        while True:
            argv, env = command(runtime, appdir, board, port, args, True, access_log)
            child = subprocess.Popen(argv, env=env)
            seen = _stamps(appdir)
            while child.poll() is None:
                time.sleep(0.3)  # polling the folder for saved files, not waiting on the child
                now = _stamps(appdir)
                if now == seen:
                    continue
                changed = [p for p in set(now) | set(seen) if now.get(p) != seen.get(p)]
                seen = now
                if any(p.endswith(".py") for p in changed):
                    print("remora serve: %s changed: restarting" % os.path.relpath(
                        [p for p in changed if p.endswith(".py")][0], appdir), flush=True)
                    child.send_signal(signal.SIGTERM)
                    child.wait(10)
                    break
                if runtimes.is_micropython(runtime):
                    compiled_pages(appdir)  # the next request loads the new page
                print("remora serve: page changed: %s" % ", ".join(
                    os.path.relpath(p, appdir) for p in sorted(changed)), flush=True)
            else:
                return child.returncode  # the server ended by itself
    except KeyboardInterrupt:
        return 0
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(10)

