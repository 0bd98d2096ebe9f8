"""Strict, incremental UTF-8 validation of text messages (RFC 6455 §5.6,
§8.1: invalid UTF-8 fails the connection with 1007).

"Strict" is RFC 3629 §4: no overlong forms (C0, C1; E0 80..9F; F0 80..8F),
no surrogates (ED A0..BF, U+D800..DFFF), nothing above U+10FFFF (F4 90..BF,
F5..FF), and every lead byte followed by exactly its continuation bytes
(80..BF).  A text message arrives in pieces (frames, and pieces of frames as
the bytes trickle in), and a code point may be split anywhere between them:
:func:`check` validates one piece and returns the incomplete tail (at most
3 bytes) to carry into the next, so nothing but that tail is kept.

The runtime's own decoder is used where it can be trusted, probed once at
import (features, never versions, STYLE.md point 7):

* strict (CPython): ``str(piece, "utf-8")`` decides alone, at C speed.
* structural (MicroPython with its unicode check): the decoder rejects bad
  continuation bytes and truncated sequences, but takes overlongs,
  surrogates and F5..F7 leads.  It checks the structure at C speed and an
  ASCII piece ends there (one char per byte); otherwise a few C-speed
  ``in``/``find`` scans look for the lead bytes that start forbidden forms.
* none (a port without the unicode check): ``max(piece) < 0x80`` is the
  ASCII fast path, and :func:`scan`, a small per-byte validator, does the
  rest.

:func:`scan` also judges the few bytes of a code point split between pieces
on every runtime.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Optional

# The runtime's decoder, as probed below.
_NONE = const(0)
_STRUCTURAL = const(1)
_STRICT = const(2)


def scan(data: "Any", i: int, end: int) -> int:
    """Validate ``data[i:end]`` byte by byte (RFC 3629 §4).

    Returns ``end`` when it holds whole, valid code points; the index where an
    incomplete but so far valid sequence starts when the bytes end inside
    one; -1 when they are invalid (an impossible prefix fails at once, as
    §8.1 suggests: "fail fast").
    """
    while i < end:
        c = data[i]
        if c < 0x80:
            i += 1
            continue
        # The lead byte sets the length, and the range of the second byte
        # that excludes overlongs, surrogates and code points past U+10FFFF.
        if c < 0xC2:
            return -1  # a continuation byte with no lead, or C0/C1 (overlong)
        low = 0x80
        high = 0xBF
        if c < 0xE0:
            size = 2
        elif c < 0xF0:
            size = 3
            if c == 0xE0:
                low = 0xA0  # E0 80..9F: overlong
            elif c == 0xED:
                high = 0x9F  # ED A0..BF: surrogates U+D800..DFFF
        elif c < 0xF5:
            size = 4
            if c == 0xF0:
                low = 0x90  # F0 80..8F: overlong
            elif c == 0xF4:
                high = 0x8F  # F4 90..BF: past U+10FFFF
        else:
            return -1  # F5..FF: past U+10FFFF, or no UTF-8 at all
        j = i + 1
        if j >= end:
            return i
        c = data[j]
        if c < low or c > high:
            return -1
        stop = i + size
        j += 1
        while j < stop:
            if j >= end:
                return i
            if data[j] & 0xC0 != 0x80:
                return -1
            j += 1
        i = stop
    return end


def _probe() -> int:
    # Which checks does str(bytes, "utf-8") make on this runtime?
    try:
        str(b"\xc3(", "utf-8")  # a lead byte without its continuation byte
        return _NONE
    except UnicodeError:
        pass
    for bad in (b"\xe2\x82", b"\x80", b"\xf8\x88\x80\x80\x80", b"\xff"):
        try:
            str(bad, "utf-8")
            return _NONE
        except UnicodeError:
            pass
    for bad in (b"\xc0\x80", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80"):
        try:
            str(bad, "utf-8")
            return _STRUCTURAL
        except UnicodeError:
            pass
    return _STRICT


_MODE = _probe()

# Structural mode: lead bytes that are wrong wherever they appear, and those
# whose second byte must be checked (the ranges of scan()).
_ALWAYS_BAD = const((b"\xc0", b"\xc1", b"\xf5", b"\xf6", b"\xf7"))
_SECOND = const((b"\xe0", b"\xed", b"\xf0", b"\xf4"))


def _whole(data: "Any", start: int, end: int) -> bool:
    # Whether data[start:end], which ends on a code point boundary, is valid.
    # Any byte of data may be read: the bytes before start are continuation
    # bytes (never a lead byte), and a lead byte at or past end starts the
    # tail, which check() judges with scan(): a pattern found there is wrong
    # there too.
    if _MODE == _STRICT:
        try:
            str(memoryview(data)[start:end], "utf-8")
        except UnicodeError:
            return False
        return True
    if _MODE == _NONE:
        view = memoryview(data)[start:end]
        return max(view) < 0x80 or scan(view, 0, end - start) == end - start
    try:
        text = str(memoryview(data)[start:end], "utf-8")
    except UnicodeError:
        return False
    if len(text) == end - start:
        return True  # ASCII: one char per byte
    if type(data) is memoryview:
        data = bytes(data)  # find() and "in" need bytes
    for lead in _ALWAYS_BAD:
        if lead in data:
            return False
    for lead in _SECOND:
        i = data.find(lead)
        while 0 <= i < len(data) - 1:
            c = data[i + 1]
            c0 = lead[0]
            if (
                (c0 == 0xE0 and c < 0xA0)
                or (c0 == 0xED and c > 0x9F)
                or (c0 == 0xF0 and c < 0x90)
                or (c0 == 0xF4 and c > 0x8F)
            ):
                return False
            i = data.find(lead, i + 1)
    return True


def _tail(data: "Any", start: int, end: int) -> int:
    # Where the incomplete code point at the end of data[start:end] starts
    # (end if there is none): only the last 3 bytes can hold one.  Whether
    # its bytes are valid is for scan() and _whole() to say.
    i = end - 1
    stop = end - 3 if end - 3 > start else start
    while i >= stop:
        c = data[i]
        if c < 0x80:
            return end
        if c >= 0xC0:
            size = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
            return i if end - i < size else end
        i -= 1
    return end


def check(carry: bytes, data: "Any", final: bool) -> "Optional[bytes]":
    """Validate the next piece of a text message.

    ``carry`` is what the previous call returned (``b""`` at the start of a
    message), ``final`` whether ``data`` ends the message (then nothing may
    be left over).  Returns the incomplete tail to carry into the next call
    (``b""``, the shared empty bytes, when there is none) or None when the
    bytes are not valid UTF-8.
    """
    start = 0
    end = len(data)
    if carry:
        # Complete the carried code point with the first bytes of data.
        c = carry[0]
        size = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
        start = size - len(carry)
        if start > end:
            start = end
        head = carry + bytes(data[:start])
        got = scan(head, 0, len(head))
        if got < 0:
            return None
        if got == 0:  # still incomplete: data was too short to finish it
            return None if final else head
    cut = _tail(data, start, end)
    if cut > start and not _whole(data, start, cut):
        return None
    if cut == end:
        return b""
    if final:
        return None  # RFC 6455 §8.1: a message must end on a whole code point
    rest = bytes(data[cut:end])
    return rest if scan(rest, 0, len(rest)) == 0 else None


def valid(data: "Any") -> bool:
    """Whether ``data`` is one whole, valid UTF-8 text (a close reason)."""
    return check(b"", data, True) is not None
