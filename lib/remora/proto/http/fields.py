"""Header fields for the HTTP/1.1 core: parsing field lines, the fields that
decide framing, tokens, Host, versions, and the byte classes of RFC 9110.

The fields that matter to framing and to the connection (Content-Length,
Transfer-Encoding, Connection, Host, Expect, Upgrade, Date) are noted in one
small list while a head is parsed, one slot each (the names below), so that
the core never searches a header list twice.
"""

from .events import RemoteProtocolError

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

# The slots of the list scan_fields returns (and parse_fields fills).
CONTENT_LENGTH = const(0)  # the field's value; repeated lines joined with ","
TRANSFER_ENCODING = const(1)  # likewise
CONNECTION = const(2)  # likewise
HOST_COUNT = const(3)  # how many Host lines
EXPECT = const(4)
UPGRADE = const(5)  # True when an Upgrade field is present
HOST = const(6)  # the (last) Host value
DATE = const(7)
SLOTS = const(8)

# Field name -> its slot.
_SPECIAL = {
    "content-length": CONTENT_LENGTH,
    "transfer-encoding": TRANSFER_ENCODING,
    "connection": CONNECTION,
    "host": HOST_COUNT,
    "expect": EXPECT,
    "upgrade": UPGRADE,
    "date": DATE,
}
_SPECIAL_SIZES = const((14, 17, 10, 4, 6, 7))  # their name lengths, for a cheap first test

# What scan_fields returns when no field matters: shared, never modified.
NO_FIELDS = const((None, None, None, 0, None, False, None, None))  # type: Any


def field_tokens(value: "Optional[str]") -> "Any":
    """A comma-separated list of case-insensitive tokens (RFC 9110 §5.6.1),
    as a list; an absent field gives the empty tuple (nothing allocated)."""
    if value is None:
        return ()
    tokens = value.lower().split(",")
    for i in range(len(tokens)):
        tokens[i] = tokens[i].strip(" \t")
    return tokens


def scan_fields(headers: "Any") -> "Any":
    """[content-length, transfer-encoding, connection, Host count, expect,
    has upgrade, Host value, date] of a header list (see :func:`note_field`),
    read-only; a name not found as it is gets lower-cased only when its
    length matches, and a list is made only when a field is found."""
    # (A while loop over indices, few locals: the frame stays within the 11
    # words MicroPython keeps on the C stack; a larger one is a heap block
    # per call, and this runs for every response.)
    found = framing_fields(headers)
    return NO_FIELDS if found is None else found


def framing_fields(headers: "Any") -> "Any":
    """Same as :func:`scan_fields`, but None when no field matters."""
    # (Counting down by negative indices, few locals: the frame stays within
    # the 11 words MicroPython keeps on the C stack, and len(), a builtin
    # found by a linear search there, is called once.)
    found = None  # type: Any
    i = len(headers)
    while i:
        slot = _SPECIAL.get(headers[-i][0])
        if slot is None and len(headers[-i][0]) in _SPECIAL_SIZES:
            slot = _SPECIAL.get(headers[-i][0].lower())
        if slot is not None:
            if found is None:
                found = list(NO_FIELDS)
            note_field(found, slot, headers[-i][1])
        i -= 1
    return found


def note_field(found: "List[Any]", slot: int, value: str) -> None:
    """Record a field that matters to framing in ``found`` (see scan_fields).

    Repeated list fields are joined (RFC 9110 §5.3: repeated field lines
    combine into one comma-separated list) so that "chunked" on two lines,
    or two Content-Length lines, are judged as one value; Host is counted,
    not joined, because two of them is itself the error."""
    if slot <= CONNECTION:
        old = found[slot]
        found[slot] = value if old is None else old + "," + value
    elif slot == HOST_COUNT:
        found[HOST_COUNT] += 1
        found[HOST] = value
    elif slot == UPGRADE:
        found[UPGRADE] = True
    elif slot == EXPECT:
        # A list too (RFC 9110 §10.1.1): every expectation on every line counts.
        old = found[EXPECT]
        found[EXPECT] = value if old is None else old + "," + value
    else:
        found[slot] = value  # Date


# RFC 9110 §5.6.2: token = 1*tchar.  ``x.strip(TCHAR)`` is empty exactly when
# every byte of x is a tchar: one C call, no loop.
#
# MicroPython's strip looks every byte up in the set from the set's start, so
# the sets here list the bytes of typical heads first (on CPython the order
# does not matter).
TCHAR = const(b"etaonrsicdlhugpmfyvbkwxjqz-TAOCGEPHLUDRSKMINFXJVWBYQZ0123456789!#$%&'*+.^_`|~")

# The bytes allowed in a head, besides CR and LF (counted separately against
# the lines found): RFC 9110 §5.5: field values are VCHAR, SP, HTAB and
# obs-text; RFC 9112 §2.2: no bare CR or NUL.  strip() removes them from both
# ends, so anything left means a forbidden byte inside: one C call, no loop.
_ALLOWED = (
    b"etaonrsicdlhugpmfyvbkwxjqz /.:-0123456789,;=TAOCGEPHLUDRSKMINFXJVWBYQZ\r\n()_*?&%+\t"
    b"!#$'^`|~\"<>@[\\]{}" + bytes(range(128, 256))
)


def has_ctl(raw: bytes) -> bool:
    return bool(raw.strip(_ALLOWED))


# The field lines memo (``Limits.fields``): at most this many lines, each at
# most this long.  A server's clients send the same lines request after
# request (Host, User-Agent, Accept...): a line seen before is one dict
# lookup, with no check, decode or tuple made again.  Content-Length lines
# vary, so they are not kept; a full memo is emptied and fills again, so a
# client with new lines is not stuck with another's.
MEMO_SIZE = const(12)
MEMO_LINE = const(96)


def parse_fields(
    lines: "List[Any]", start: int, found: "Any" = None, memo: "Any" = None
) -> "List[Any]":
    """Field lines (RFC 9112 §5) to (lower-case name, value) pairs; with
    ``found`` (a list shaped as scan_fields returns), the fields that matter
    to framing are noted there in the same pass.  ``memo``: a dict of the
    lines already parsed (see MEMO_SIZE), used and filled.

    The pairs replace the lines in ``lines`` itself, whose first ``start``
    lines (the start line) are then removed: the list returned is ``lines``,
    no second list grown pair by pair."""
    # A while loop, and the rare work (a line not in the memo) in a function
    # of its own: this frame stays within the 11 words MicroPython keeps on
    # the C stack (a larger one is a heap block per call).
    # (Counting down to the end by negative indices: one len() call, a
    # builtin whose lookup is a linear search on MicroPython.)
    i = len(lines) - start
    while i:
        known = None if memo is None else memo.get(lines[-i])
        if known is None:
            known = _field_line(lines[-i], memo)
        lines[-i] = known[0]
        if found is not None and known[1] is not None:
            note_field(found, known[1], known[0][1])
        i -= 1
    if start:
        del lines[:start]
    return lines


def _field_line(line: bytes, memo: "Any") -> "Tuple[Tuple[str, str], Optional[int]]":
    # ((name, value), its slot of found or None) of a field line not in the
    # memo, checked; kept in the memo when the memo may keep it.  (A frame
    # within MicroPython's 11 words: the pair is made by _field_pair.)
    pair = _field_pair(line)
    slot = _SPECIAL.get(pair[0])
    known = (pair, slot)
    if memo is not None and len(line) <= MEMO_LINE and slot != CONTENT_LENGTH:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[line] = known
    return known


def _field_pair(line: bytes) -> "Tuple[str, str]":
    # RFC 9110 §5.5, RFC 9112 §2.2: no control bytes but HTAB (CR and
    # LF were counted against the lines, DEL found in the whole head).
    # min() is one C loop: only a line with a byte below 0x20 (an HTAB,
    # or a control byte) takes the slower strip.
    if line and min(line) < 32 and has_ctl(line):
        raise RemoteProtocolError("control character in head")
    colon = line.find(b":")
    token = line[:colon]
    # RFC 9112 §5.1: no whitespace between name and colon (400); §5.2:
    # obs-fold (a line starting with SP or HTAB) is rejected with 400.
    # Both, and an empty name or a line without a colon, fail the token check.
    if colon <= 0 or token.strip(TCHAR):
        raise RemoteProtocolError("invalid field line (or obs-fold)")
    # RFC 9110 §5.5: the value excludes leading and trailing whitespace;
    # one char per byte (decode_latin1).
    return (token.decode().lower(), decode_latin1(line[colon + 1 :].strip(b" \t")))


# RFC 3986 §3.2.2: the bytes of a host (reg-name: unreserved, pct-encoded,
# sub-delims; an IP literal in brackets) and of ":" port.
# (Ordered for MicroPython's strip, as above.)
_HOST_CHARS = const("0123456789.:abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ_~%!$&'()*+,;=[]")


def valid_host(value: str) -> bool:
    """Whether a Host field value is uri-host [ ":" port ] (RFC 9110 §7.2);
    the empty value is valid (a target URI without authority)."""
    if value.strip(_HOST_CHARS):
        return False
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return False
        rest = value[end + 1 :]
    elif "[" in value or "]" in value:
        return False
    else:
        colon = value.find(":")
        rest = value[colon:] if colon >= 0 else ""
    # port = *DIGIT
    return not rest or (rest[0] == ":" and (len(rest) == 1 or rest[1:].isdigit()))


def parse_version(raw: bytes) -> str:
    """The version of a start line, one of the two we speak."""
    if raw == b"HTTP/1.1":
        return "HTTP/1.1"
    if raw == b"HTTP/1.0":
        return "HTTP/1.0"
    # RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive).
    # A well-formed other major version gets 505 (RFC 9110 §15.6.6); a higher
    # 1.x minor is handled as 1.1 (RFC 9110 §2.5); anything else, "HTTP/2"
    # (HTTP/2's own name, never sent in an HTTP/1.1 request line) included,
    # is a malformed request line: 400.
    digits = raw[5:]
    if raw.startswith(b"HTTP/") and len(digits) == 3 and digits[1:2] == b".":
        if digits[:1].isdigit() and digits[2:].isdigit():
            if digits[:1] == b"1":
                return "HTTP/1.1"
            raise RemoteProtocolError("HTTP version not supported", 505)
    raise RemoteProtocolError("invalid HTTP version")


def decode_latin1(value: bytes) -> str:
    """Field text (RFC 9110 §5.5) as str, one char per byte."""
    # CPython decodes latin-1; MicroPython decodes every encoding as UTF-8,
    # right when the length is unchanged (ASCII, almost every head): bytes
    # >= 0x80 (obs-text) are then mapped by hand.
    try:
        text = value.decode("latin-1")
        if len(text) == len(value):
            return text
    except UnicodeError:
        pass
    return "".join(map(chr, value))


