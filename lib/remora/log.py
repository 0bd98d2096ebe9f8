"""remora's log: one line per event on the console (a board's REPL, a host's stdout).

::

    from remora import log
    log.set_level(log.WARNING)         # DEBUG, INFO (the default), WARNING, ERROR
    log.access_log(True)               # one line per HTTP request (remora serve turns it on)
    log.info("sensor calibrated")      # "remora: sensor calibrated"

An access line is close to the Common Log Format, with the time taken::

    127.0.0.1 - - "GET /hello HTTP/1.1" 200 13 0ms

Refusals (503 for want of heap, worker queue or connection cap; 408; 413;
431; ...) are logged with their reason at WARNING, at most ``REFUSALS_PER_S``
lines a second: a flood cannot fill a board's console or its flash; the
lines held back are counted and the count is printed once the flood eases.

The settings are the process's own, as Python's ``logging`` keeps its
configuration: a console is one per process.  Printing takes the arguments
as they are (``print(a, b, c)``), so a line needs no string built for it,
and a line that cannot be printed for want of heap is dropped, never raised.
"""

from . import port

try:
    from typing import Any, List
except ImportError:
    pass

DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
REFUSALS_PER_S = 5

# [level, access log on, this second's start (ticks), lines this second, held back]
_state = [INFO, False, 0, 0, 0]  # type: List[Any]
_QUIET = (MemoryError, OSError)  # what printing may meet: the line is dropped


def set_level(level: int) -> None:
    """Print lines of this level and above (DEBUG, INFO, WARNING, ERROR)."""
    _state[0] = level


def level() -> int:
    return _state[0]


def access_log(on: "Any" = None) -> bool:
    """Whether each HTTP request gets a line; set it with on=True/False."""
    if on is not None:
        _state[1] = bool(on)
    return _state[1]


def _emit(level: int, parts: "Any") -> None:
    if level < _state[0]:
        return
    try:
        print("remora:", *parts)
    except _QUIET:
        pass


def debug(*parts: "Any") -> None:
    _emit(DEBUG, parts)


def info(*parts: "Any") -> None:
    _emit(INFO, parts)


def warning(*parts: "Any") -> None:
    _emit(WARNING, parts)


def error(*parts: "Any") -> None:
    _emit(ERROR, parts)


def access(peer: "Any", method: str, target: str, status: int, size: int, ms: int) -> None:
    """The access line of one request (only while access_log() is on)."""
    if not _state[1]:
        return
    try:
        print(port.address_text(peer), '- - "%s %s HTTP/1.1"' % (method, target), status, size,
              "%dms" % ms)
    except _QUIET:
        pass


def flush() -> None:
    """Report the refusals held back, once their second has passed (a
    server's timer calls it: a flood that stopped still gets its count)."""
    if _state[4] and port.ticks_diff(port.ticks_ms(), _state[2]) >= 1000:
        held = _state[4]
        _state[4] = _state[3] = 0
        _emit(WARNING, ("refused", held, "more in the last second"))


def refused(status: int, reason: "Any", peer: "Any" = None) -> None:
    """A request or connection refused, and why (reason: a str, or an
    exception printed as its message): at most REFUSALS_PER_S lines a second
    (the rest are counted and reported in one line).  A refusal is often
    for want of heap: a line that finds none is dropped, never raised."""
    if WARNING < _state[0]:
        return
    try:
        _refused(status, reason, peer)
    except _QUIET:
        pass


def _refused(status: int, reason: "Any", peer: "Any") -> None:
    now = port.ticks_ms()
    if port.ticks_diff(now, _state[2]) >= 1000:
        held = _state[4]
        _state[2] = now
        _state[3] = 0
        _state[4] = 0
        if held:
            _emit(WARNING, ("refused", held, "more in the last second"))
    if _state[3] >= REFUSALS_PER_S:
        _state[4] += 1
        return
    _state[3] += 1
    _emit(WARNING, ("refused", status, reason, "from", port.address_text(peer)))
