"""What ``remora deploy`` puts on a board: an application folder as compiled files.

Every file has a path on the board and a file on this machine (compiled under
``build/deploy/``); ``files(...)`` returns them with their SHA-256, the hash the board's
manifest (``/remora.sums``) keeps.  On the board::

    /boot.py, /main.py        boards/templates/ (source: a board runs these from source)
    /lib/remora_board.mpy     the board profile (boards/NAME.py)
    /lib/remora/...           remora itself, only where the firmware has no remora frozen in
    /app/*.mpy                the application's main.py and the modules it imports
                              (a folder with no main.py is served by programs/serve_dir.py)
    /app/pages/rsp_*.mpy      its pages, compiled (``remora compile --mpy``)
    /app/www/...              its static files (everything in www/ but the .rsp pages)

Modules are compiled by mpy-cross for the board's bytecode version (checked against the
board's ``sys.implementation._mpy`` by the caller) and, where the board has a native-code
architecture, with ``-march`` for it, so ``@micropython.native`` and ``viper`` functions
compile for that board.
"""

import ast
import hashlib
import os
import subprocess
from typing import Dict, List, Optional, Set, Tuple  # noqa: F401

from . import boards, mpy, paths, runtimes, serve

APP = "/app"
PAGES = APP + "/pages"

# sys.implementation._mpy >> 10: MicroPython's native architectures (py/persistentcode.h),
# by mpy-cross's -march names.
ARCHES = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
          "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc")

Files = Dict[str, Tuple[str, str]]  # board path -> (host file, sha256 hex)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def mpy_cross_version() -> Tuple[int, int]:
    """The .mpy (version, sub-version) this machine's mpy-cross writes."""
    out = subprocess.run([mpy.mpy_cross(), "--version"], capture_output=True, text=True).stdout
    # "MicroPython v1.29.0 on ...; mpy-cross emitting mpy v6.3"
    tail = out.rsplit("mpy v", 1)[-1].strip()
    major, _, minor = tail.partition(".")
    return int(major), int(minor or 0)


def arch_of(mpy_word: int) -> Optional[str]:
    """mpy-cross's -march name for a board's sys.implementation._mpy (None: bytecode only)."""
    code = (mpy_word >> 10) & 0x0F
    return ARCHES[code] if code < len(ARCHES) else None


def _imports(path: str, folder: str) -> List[str]:
    """Top-level names path imports that are modules or packages in folder."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (SyntaxError, UnicodeDecodeError, OSError):
        return []
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names if os.path.isfile(os.path.join(folder, n + ".py"))
                  or os.path.isfile(os.path.join(folder, n, "__init__.py")))


def _compile(src: str, out: str, name: str, arch: Optional[str]) -> str:
    """mpy-cross src to out when out is older (or its options changed)."""
    stamp = out + ".opts"
    opts = "march=%s" % (arch or "")
    try:
        with open(stamp) as f:
            same = f.read() == opts
    except OSError:
        same = False
    if same and os.path.exists(out) and os.stat(out).st_mtime >= os.stat(src).st_mtime:
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    argv = [mpy.mpy_cross(), "-o", out, "-s", name, src]
    if arch:
        argv.insert(1, "-march=" + arch)
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise mpy.CompileError("mpy-cross %s failed:\n%s" % (src, (proc.stdout + proc.stderr).strip()))
    with open(stamp, "w") as f:
        f.write(opts)
    return out


def _modules(program: str, out_dir: str, arch: Optional[str]) -> Dict[str, str]:
    """The program (as module ``main``) and the local modules it imports: board path -> file."""
    folder = os.path.dirname(program)
    found: Dict[str, str] = {}
    todo = [(program, "main.mpy", "main")]  # (source, path below /app, module name)
    while todo:
        src, rel, name = todo.pop()
        if APP + "/" + rel in found:
            continue
        found[APP + "/" + rel] = _compile(src, os.path.join(out_dir, rel), name, arch)
        for dep in _imports(src, folder):
            pkg = os.path.join(folder, dep)
            if not os.path.isdir(pkg):
                todo.append((pkg + ".py", dep + ".mpy", dep))
                continue
            for sub in mpy.sources(pkg):
                sub_rel = dep + "/" + sub[:-3].replace(os.sep, "/")
                module = sub_rel.replace("/", ".")
                if module.endswith(".__init__"):
                    module = module[: -len(".__init__")]
                todo.append((os.path.join(pkg, sub), sub_rel + ".mpy", module))
    return found


def _static(appdir: str) -> Dict[str, str]:
    www = serve.pages_dir(appdir)
    found: Dict[str, str] = {}
    for base, dirs, names in os.walk(www):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".rsp", ".pyc")) or name.startswith("."):
                continue
            host = os.path.join(base, name)
            rel = os.path.relpath(host, www).replace(os.sep, "/")
            found[APP + "/www/" + rel] = host
    return found


def files(appdir: str, board: str, arch: Optional[str], with_remora: bool) -> Files:
    """Every file of the deploy: board path -> (host file, sha256)."""
    appdir = os.path.abspath(appdir)
    tag = hashlib.sha1(("%s %s" % (appdir, arch)).encode()).hexdigest()[:12]
    out_dir = os.path.join(paths.build_dir(), "deploy", tag)
    program = os.path.join(appdir, "main.py")
    if not os.path.isfile(program):
        program = os.path.join(serve.HERE, "programs", "serve_dir.py")
    chosen: Dict[str, str] = {}
    templates = os.path.join(paths.repo_root(), "boards", "templates")
    chosen["/boot.py"] = os.path.join(templates, "boot.py")
    chosen["/main.py"] = os.path.join(templates, "main.py")
    chosen["/lib/remora_board.mpy"] = os.path.join(runtimes.compile_board(board),
                                                    "remora_board.mpy")
    boards.load(board)  # an unknown board stops here, with the known ones named
    if with_remora:
        lib = os.path.join(runtimes.compile_lib(), "remora")
        for rel in mpy.sources(os.path.join(paths.lib_dir(), "remora")):
            mpy_rel = rel[:-3].replace(os.sep, "/") + ".mpy"
            chosen["/lib/remora/" + mpy_rel] = os.path.join(lib, mpy_rel)
    chosen.update(_modules(program, os.path.join(out_dir, "app"), arch))
    pages = os.path.join(serve.compiled_pages(appdir), "mpy")
    if os.path.isdir(pages):
        for name in sorted(os.listdir(pages)):
            if name.endswith(".mpy"):
                chosen[PAGES + "/" + name] = os.path.join(pages, name)
    chosen.update(_static(appdir))
    return {path: (host, sha256(host)) for path, host in sorted(chosen.items())}


def app_args(http_port: int) -> List[str]:
    """The application's main(args), as ``remora serve`` gives them (see serve.py)."""
    return ["--port", str(http_port), "--root", APP, "--pages", PAGES]
