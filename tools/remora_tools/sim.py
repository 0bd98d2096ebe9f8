"""``remora sim --board NAME [--flash DIR]``: a simulated board on this machine.

    remora sim [--board NAME] [--flash DIR] [--flash-size BYTES] [--link PATH] [--quiet]

The board is the simulated board's firmware (the unix port built 32-bit, remora frozen in:
``firmware.py``) with the board's heap (``-X heapsize=`` from ``boards/NAME.py``).  Its flash
filesystem is the folder DIR (default ``build/sim/NAME``), mounted at ``/`` on the board, so
``boot.py``, ``main.py`` and ``/lib`` are DIR's files; ``--flash-size`` gives it a size, past
which writes fail with ENOSPC as on a full board.  Its serial console is a pseudo-terminal
whose path this command prints (``--link PATH`` adds a symlink to it): ``mpremote connect
/dev/pts/N ...``, ``remora deploy --port /dev/pts/N ...``, or a terminal program.  Sockets
are this machine's: a server on the board is reached on 127.0.0.1.

What runs where:

- this process, the "USB-serial chip": it owns the pseudo-terminal (in raw mode, so no line
  discipline touches the bytes: a cooked terminal would echo the board's output back to it
  and turn mpremote's CR into LF) and copies bytes between it and the board's process,
  buffering both ways so that neither side ever blocks the other; and it mirrors the
  board's console here (not with ``--quiet``);
- the board's process: ``simboot`` (firmware/sim/simboot.py) runs the reset sequence, boot.py,
  main.py and MicroPython's own REPL (pyexec.c, the code a board runs, so the raw REPL and
  raw-paste are the real ones); ``simboard`` (firmware/cmodules/simboard) is its UART: stdin
  is a pipe, not a terminal, and Ctrl-C while code runs becomes a KeyboardInterrupt.

A reset ends the board's process (the unix port cannot reset itself in place), and this
process starts it again: after a soft reset (Ctrl-D, ``sys.exit()``) it prints MicroPython's
``MPY: soft reboot`` line and keeps the REPL's mode (in raw mode main.py does not run, as on
a board); after ``machine.reset()`` (a hard reset) or a crash the board starts as after
power-on.  The terminal stays open across resets, as a USB-serial adapter's does.
"""

import argparse
import errno
import fcntl
import os
import selectors
import signal
import subprocess
import sys
import time
import tty
from typing import Dict, List, Optional

from . import boards, firmware, paths

SOFT = 64  # simboot's exit status for a soft reset from the friendly REPL
SOFT_RAW = 65  # ... from the raw REPL
HARD = 66  # simboard.reset(): machine.reset()

# Bytes held for a side that does not read: the board's output while nothing has the
# terminal open (a UART with no one listening loses it), the host's input while the
# board runs code and does not read its console.
_HOST_BUFFER = 256 * 1024
_BOARD_BUFFER = 64 * 1024
SOFT_REBOOT = b"MPY: soft reboot\r\n"  # what MicroPython's ports print (mpremote waits for it)
RAW_REPL = b"raw REPL; CTRL-B to exit"


def parse_size(text: str) -> int:
    """``2M``, ``512K``, ``65536``: a size in bytes."""
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:].upper(), 1)
    number = text[:-1] if scale > 1 else text
    try:
        size = int(number) * scale
    except ValueError:
        raise SystemExit("remora sim: --flash-size must be bytes, or KiB/MiB with K/M: %r" % text)
    if size < 16 * 1024:
        raise SystemExit("remora sim: --flash-size of at least 16K, please")
    return size


def default_flash(board: str) -> str:
    return os.path.join(paths.build_dir(), "sim", board)


def _nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


class Simulator:
    """One simulated board: its terminal, its process, and the bytes between them."""

    def __init__(self, board: str, flash: str, flash_bytes: Optional[int], mirror: bool):
        self.board = board
        self.flash = os.path.abspath(flash)
        self.flash_bytes = flash_bytes
        self.mirror = mirror
        self.heap = int(boards.load(board)["heap_bytes"])
        self.exe = firmware.unix_binary()
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # and pyserial sets raw mode again when mpremote opens it
        _nonblocking(self.master)
        self.port = os.ttyname(self.slave)
        self.to_host = bytearray()  # board output not yet taken by the terminal
        self.to_board = bytearray()  # terminal input not yet taken by the board
        self.proc = None  # type: Optional[subprocess.Popen]
        self.raw_repl = False  # what the mirror last saw: the raw REPL is not shown
        self.stopping = False
        self.crashes: List[float] = []

    # -- the board's process ---------------------------------------------------------

    def _env(self, raw: bool) -> Dict[str, str]:
        env = dict(os.environ)
        # sys.path as on a board: the current folder, frozen modules, /lib (on the flash).
        env["MICROPYPATH"] = ".frozen:/lib"
        env["REMORA_SIM_FLASH"] = self.flash
        env["REMORA_BOARD"] = self.board
        env.pop("REMORA_SIM_FLASH_BYTES", None)
        if self.flash_bytes:
            env["REMORA_SIM_FLASH_BYTES"] = str(self.flash_bytes)
        env["REMORA_SIM_RAW"] = "1" if raw else "0"
        for name in ("REMORA_ROMFS", "REMORA_ROMFS_IMAGE"):
            env.pop(name, None)
        return env

    def start(self, raw: bool = False) -> None:
        self.raw_repl = False  # boot.py's output is shown; the raw REPL's prompt hides it
        self.proc = subprocess.Popen(
            [self.exe, "-X", "heapsize=%d" % self.heap, "-m", "simboot"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # a board has one console
            env=self._env(raw),
            cwd=self.flash,
            start_new_session=True,  # a Ctrl-C typed here stops the simulator, not the board
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        _nonblocking(self.proc.stdin.fileno())
        _nonblocking(self.proc.stdout.fileno())

    def _restart(self, status: int) -> bool:
        """Start the board again after its process ended with status; False: give up."""
        if status in (SOFT, SOFT_RAW):
            self._to_host(SOFT_REBOOT)
            self.start(raw=status == SOFT_RAW)
            return True
        now = time.monotonic()
        if status == HARD:
            self._log("hard reset")
        else:
            self.crashes = [t for t in self.crashes if now - t < 10] + [now]
            how = "signal %d" % -status if status < 0 else "exit status %d" % status
            if len(self.crashes) >= 5:
                self._log("the board stopped (%s) five times in 10 s: giving up" % how)
                return False
            self._log("the board stopped (%s): starting it again, as after a reset" % how)
        self.start(raw=False)
        return True

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    # -- bytes between the terminal and the board ------------------------------------

    def _log(self, text: str) -> None:
        print("remora sim: " + text, flush=True)

    def _to_host(self, data: bytes) -> None:
        self.to_host += data
        if len(self.to_host) > _HOST_BUFFER:  # nobody reads the terminal: drop the oldest
            del self.to_host[: len(self.to_host) - _HOST_BUFFER]
        if self.mirror:
            self._show(data)

    def _show(self, data: bytes) -> None:
        """Mirror the console here, as text, but not the raw REPL (mpremote's traffic).

        The markers are whole in one read: MicroPython writes each in one call.
        """
        while data:
            if self.raw_repl:
                at = [i for i in (data.find(b"MicroPython v"), data.find(SOFT_REBOOT)) if i >= 0]
                if not at:
                    return
                self.raw_repl = False
                data = data[min(at):]
                continue
            at = data.find(RAW_REPL)
            shown = data if at < 0 else data[:at]
            text = bytes(c for c in shown.replace(b"\r", b"") if c >= 32 or c in (9, 10))
            sys.stdout.write(text.decode("utf-8", "replace"))
            sys.stdout.flush()
            if at < 0:
                return
            self.raw_repl = True
            self._log("raw REPL (mpremote, remora deploy): not shown here")
            data = data[at + len(RAW_REPL):]

    def _flush(self, fd: int, buf: bytearray) -> None:
        while buf:
            try:
                n = os.write(fd, buf)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EIO, errno.EPIPE):
                    del buf[:]  # the other side is gone (the board reset): drop it
                    return
                raise
            del buf[:n]

    def run(self) -> int:
        """Serve until stopped (SIGTERM, SIGINT) or the board cannot be started."""
        self.start(raw=False)
        sel = selectors.DefaultSelector()
        sel.register(self.master, selectors.EVENT_READ, "host")
        while not self.stopping:
            proc = self.proc
            assert proc is not None and proc.stdout is not None and proc.stdin is not None
            out_fd = proc.stdout.fileno()
            sel.register(out_fd, selectors.EVENT_READ, "board")
            ended = False
            while not self.stopping and not ended:
                events = selectors.EVENT_WRITE if self.to_host else 0
                sel.modify(self.master, selectors.EVENT_READ | events, "host")
                self._flush(proc.stdin.fileno(), self.to_board)
                timeout = 0.05 if self.to_board or self.to_host else None
                for key, mask in sel.select(timeout):
                    if key.data == "host":
                        if mask & selectors.EVENT_READ:
                            try:
                                data = os.read(self.master, 4096)
                            except (BlockingIOError, InterruptedError):
                                data = b""
                            self.to_board += data
                            if len(self.to_board) > _BOARD_BUFFER:  # a full UART buffer
                                del self.to_board[_BOARD_BUFFER:]
                        if mask & selectors.EVENT_WRITE:
                            self._flush(self.master, self.to_host)
                    else:
                        try:
                            data = os.read(out_fd, 65536)
                        except (BlockingIOError, InterruptedError):
                            continue
                        if data:
                            self._to_host(data)
                        else:
                            ended = True
            sel.unregister(out_fd)
            if self.stopping:
                break
            status = proc.wait()
            proc.stdout.close()
            try:
                proc.stdin.close()
            except OSError:
                pass
            if not self._restart(status):
                return 1
        return 0

    def close(self) -> None:
        self.kill()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="remora sim", description="A simulated board whose console mpremote can drive.",
        epilog="example:\n  remora sim --board esp32 --flash build/sim/esp32   (then: mpremote connect <the printed port>)",
        formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--board", default="esp32", help="board profile (default esp32)")
    parser.add_argument("--flash", help="folder that is the board's flash (default build/sim/BOARD)")
    parser.add_argument("--flash-size", help="flash filesystem size (e.g. 2M); default: no limit")
    parser.add_argument("--link", help="also make PATH a symlink to the serial port")
    parser.add_argument("--quiet", action="store_true", help="do not show the board's console here")
    args = parser.parse_args(argv)
    boards.board_file(args.board)  # an unknown board: one line naming the known ones
    flash = args.flash or default_flash(args.board)
    os.makedirs(flash, exist_ok=True)
    size = parse_size(args.flash_size) if args.flash_size else None
    sim = Simulator(args.board, flash, size, not args.quiet)

    def stop(signum: int, frame: object) -> None:
        # Only a flag and a signal here: the loop may be inside subprocess's wait, whose
        # lock a wait from this handler would deadlock on.  The board's output ends,
        # which wakes the loop, and close() reaps the process.
        sim.stopping = True
        if sim.proc is not None:
            try:
                os.killpg(sim.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.link:
        if os.path.islink(args.link):
            os.unlink(args.link)
        os.symlink(sim.port, args.link)
    print("remora sim: %s board, heap %d bytes, flash %s (%s)" % (
        args.board, sim.heap, sim.flash,
        "%d bytes" % size if size else "no size limit"), flush=True)
    print("remora sim: serial port %s%s" % (
        sim.port, " (%s)" % args.link if args.link else ""), flush=True)
    try:
        return sim.run()
    finally:
        sim.close()
        if args.link and os.path.islink(args.link):
            os.unlink(args.link)


if __name__ == "__main__":
    sys.exit(main())
