"""HTTP dates (RFC 9110 §5.6.7): format IMF-fixdate, parse all three forms.

Neither runtime offers this portably (MicroPython has no ``email.utils``
and no ``datetime``), so it is done here by hand.  Dates are handled as
``(year, month, day, hour, minute, second)`` tuples in UTC: tuples compare
in time order, and the caller never needs an epoch.  That matters on
boards, where ``time.gmtime`` and ``os.stat`` may count from 2000 instead
of 1970; both agree with each other, so ``gmtime(st_mtime)`` is correct on
every port.
"""

import time

try:
    from typing import Optional, Tuple

    DateTuple = Tuple[int, int, int, int, int, int]
except ImportError:
    pass

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DIGITS = "0123456789"


def utc_tuple(secs: "Optional[float]" = None) -> "DateTuple":
    """The (Y, M, D, h, m, s) UTC tuple of a port timestamp (now when None)."""
    t = time.gmtime(int(time.time() if secs is None else secs))
    return (t[0], t[1], t[2], t[3], t[4], t[5])


def format_date(secs: "Optional[float]" = None) -> str:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` for a port timestamp (now when None).

    RFC 9110 §5.6.7: a sender MUST generate the IMF-fixdate form.
    """
    t = time.gmtime(int(time.time() if secs is None else secs))
    # gmtime's weekday is 0 for Monday on both runtimes.
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAYS[t[6]], t[2], _MONTHS[t[1] - 1], t[0], t[3], t[4], t[5]
    )


_now = [-1, ""]  # type: list  # [second, its Date value]: formatted once per second


def now() -> str:
    """The Date field value for a response sent now (RFC 9110 §6.6.1), or ""
    when the clock is plainly not set (a board before its first time sync):
    a server without a reliable clock must not send Date."""
    secs = int(time.time())
    if secs != _now[0]:
        _now[0] = secs
        _now[1] = format_date(secs) if time.gmtime(secs)[0] >= 2024 else ""
    return _now[1]


def _num(text: str, width: int) -> int:
    # Exact-width decimal; int() alone would accept "+1", " 1" and "1_0".
    if len(text) != width:
        return -1
    for c in text:
        if c not in _DIGITS:
            return -1
    return int(text)


def _clock(text: str) -> "Optional[Tuple[int, int, int]]":
    parts = text.split(":")
    if len(parts) != 3:
        return None
    h, m, s = _num(parts[0], 2), _num(parts[1], 2), _num(parts[2], 2)
    # RFC 9110 §5.6.7 allows second 60 (a leap second).
    if h < 0 or m < 0 or s < 0 or h > 23 or m > 59 or s > 60:
        return None
    return h, m, s


def _month(text: str) -> int:
    # Month names are case-sensitive in the grammar; be lenient on case only.
    for i in range(12):
        if _MONTHS[i].lower() == text.lower():
            return i + 1
    return 0


def parse_date(text: str) -> "Optional[DateTuple]":
    """Parse an HTTP date into a UTC (Y, M, D, h, m, s) tuple, or None.

    RFC 9110 §5.6.7: a recipient that parses a timestamp MUST accept all three
    formats: IMF-fixdate ``Sun, 06 Nov 1994 08:49:37 GMT``, the obsolete
    RFC 850 ``Sunday, 06-Nov-94 08:49:37 GMT`` and asctime
    ``Sun Nov  6 08:49:37 1994``.  Anything else is None, and the caller then
    ignores the header field it came in (RFC 9110 §13.1.3).
    """
    if len(text) > 64:
        return None
    words = text.replace(",", " ").split()
    if len(words) == 6 and words[5] == "GMT":  # IMF-fixdate
        day, month, year = _num(words[1], 2), _month(words[2]), _num(words[3], 4)
        hms = _clock(words[4])
    elif len(words) == 4 and words[3] == "GMT":  # RFC 850
        dmy = words[1].split("-")
        if len(dmy) != 3:
            return None
        day, month, year = _num(dmy[0], 2), _month(dmy[1]), _num(dmy[2], 2)
        if year >= 0:
            # RFC 9110 §5.6.7: a two-digit year more than 50 years in the
            # future means the most recent past year with those digits.
            # Fixed pivot: 70-99 are 19xx, 00-69 are 20xx.
            year += 1900 if year >= 70 else 2000
        hms = _clock(words[2])
    elif len(words) == 5:  # asctime
        month, year = _month(words[1]), _num(words[4], 4)
        day = _num(words[2], len(words[2])) if len(words[2]) <= 2 else -1
        hms = _clock(words[3])
    else:
        return None
    if hms is None or year < 0 or month == 0 or day < 1 or day > 31:
        return None
    return (year, month, day, hms[0], hms[1], hms[2])
