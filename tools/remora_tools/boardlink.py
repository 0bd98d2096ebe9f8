"""A board's serial console driven through mpremote: the raw REPL, files, resets.

``remora deploy`` talks to a real board's serial port and to the simulated board's
pseudo-terminal (``remora sim``) the same way, through mpremote's ``SerialTransport`` (the
code behind ``mpremote connect``): the raw REPL with raw-paste for every command, and the
resets a board has:

- ``connect()``: Ctrl-C stops whatever runs (the application started by main.py), Ctrl-A
  enters the raw REPL, Ctrl-D there soft-resets the board with a clean heap; boot.py runs
  but main.py does not (the raw REPL's soft reset), so the board waits for us;
- ``restart()``: back to the friendly REPL (Ctrl-B), then Ctrl-D: a soft reset that runs
  boot.py and main.py, as the board does after power-on; its console is then read line by
  line until a line the caller waits for.
"""

import json
import time
from typing import Any, Callable, List, Optional, Tuple


class BoardError(Exception):
    """The board did not answer as a MicroPython board should; the message says what."""


def _transport_classes() -> Tuple[Any, Any, Any]:
    try:
        from mpremote.transport import TransportError, TransportExecError  # type: ignore[import-untyped]
        from mpremote.transport_serial import SerialTransport  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit("remora: mpremote is not installed; run `make setup`")
    return SerialTransport, TransportError, TransportExecError


class BoardLink:
    def __init__(self, device: str, baud: int = 115200) -> None:
        serial_transport, self._error, self._exec_error = _transport_classes()
        try:
            self.transport = serial_transport(device, baudrate=baud)
        except self._error as exc:
            raise BoardError("cannot open %s: %s" % (device, exc))
        self.device = device

    # -- the raw REPL -----------------------------------------------------------------

    def connect(self) -> None:
        """Stop the running program and soft-reset into the raw REPL (main.py does not run)."""
        try:
            self.transport.enter_raw_repl(soft_reset=True)
        except self._error as exc:
            raise BoardError("no MicroPython raw REPL on %s: %s" % (self.device, exc))

    def run(self, code: str) -> str:
        """Run code on the board; its output.  A Python exception there raises BoardError."""
        try:
            out = self.transport.exec(code)
        except self._exec_error as exc:
            raise BoardError(_last_line(exc.error_output) or "the board raised an exception")
        except self._error as exc:
            raise BoardError("the board stopped answering: %s" % exc)
        return out.decode("utf-8", "replace")

    def run_json(self, code: str) -> Any:
        """Run code that prints one JSON value as its last line; that value."""
        lines = self.run(code).strip().splitlines()
        if not lines:
            raise BoardError("no answer from the board")
        return json.loads(lines[-1])

    def write_file(
        self, path: str, data: bytes, progress: Optional[Callable[[int, int], None]] = None
    ) -> None:
        try:
            self.transport.fs_writefile(path, data, chunk_size=512, progress_callback=progress)
        except OSError as exc:
            raise BoardError("cannot write %s on the board: %s" % (path, _os_error(exc)))
        except self._exec_error as exc:
            raise BoardError("cannot write %s on the board: %s" % (path, _last_line(exc.error_output)))
        except self._error as exc:
            raise BoardError("the board stopped answering: %s" % exc)

    # -- resets -----------------------------------------------------------------------

    def reboot(self) -> Any:
        """Soft-reset from the friendly REPL: boot.py and main.py run.  Returns the port."""
        serial = self.transport.serial
        serial.timeout = 0.2  # mpremote opens it blocking; we read against a deadline
        self.transport.exit_raw_repl()  # Ctrl-B: the friendly REPL
        # Its banner ends with the prompt; then Ctrl-D there is a soft reset.
        self.transport.read_until(1, b">>> ", timeout=2)
        serial.write(b"\x04")
        return serial

    def restart(self, until: Callable[[str], Optional[str]], timeout_s: float,
                echo: Callable[[str], None]) -> Optional[str]:
        """Soft-reset from the friendly REPL (boot.py, then main.py run) and read the console.

        Each line goes to echo; until(line) returning a string ends the wait with it.
        None when timeout_s passed first.
        """
        serial = self.reboot()
        deadline = time.monotonic() + timeout_s
        pending = b""
        while time.monotonic() < deadline:
            chunk = serial.read(serial.in_waiting or 1)
            if not chunk:
                continue
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").strip("\r")
                echo(line)
                found = until(line)
                if found is not None:
                    return found
        return None

    def close(self) -> None:
        try:
            self.transport.close()
        except OSError:
            pass


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _os_error(exc: OSError) -> str:
    import errno
    import os

    if exc.errno == errno.ENOSPC:
        return "the board's flash is full"
    if exc.errno is not None:
        return os.strerror(exc.errno)
    return str(exc)


def lines_of(text: str) -> List[str]:
    return [ln for ln in text.replace("\r", "").split("\n") if ln]
