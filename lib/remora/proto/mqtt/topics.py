"""Topic names and topic filters (5.0 §4.7, 3.1.1 §4.7): validation, and the
matching of a name against a filter with the ``+`` and ``#`` wildcards.

A topic name is what a PUBLISH carries; a topic filter is what a SUBSCRIBE
asks for, and may hold wildcards.  Levels are separated by ``/``; an empty
level is a level (``a//b`` has three).  Both are UTF-8 strings of 1 to
65,535 bytes with no U+0000 (§4.7.3, §1.5.4); the byte length is checked
when the string is encoded (:func:`.wire.text`).

The functions walk the strings with ``find`` rather than splitting them into
lists: a driver calls :func:`matches` for every subscription on every
message, and a split would make a list and a string per level each time.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Optional, Tuple


def valid_name(name: str) -> bool:
    """Whether ``name`` may be a PUBLISH topic name: at least one character
    (§4.7.3 [MQTT-4.7.3-1]), no wildcard (§3.3.2.1 [MQTT-3.3.2-2]), no U+0000
    (§1.5.4 [MQTT-1.5.4-2])."""
    return bool(name) and "+" not in name and "#" not in name and "\x00" not in name


def valid_filter(flt: str) -> bool:
    """Whether ``flt`` may be a SUBSCRIBE/UNSUBSCRIBE topic filter.

    §4.7.1.2: ``#`` is alone in its level and the last character
    [MQTT-4.7.1-1]; §4.7.1.3: ``+`` fills a whole level [MQTT-4.7.1-2];
    at least one character [MQTT-4.7.3-1]; no U+0000.
    """
    if not flt or "\x00" in flt:
        return False
    last = len(flt) - 1
    i = flt.find("#")
    if i >= 0 and (i != last or (i > 0 and flt[i - 1] != "/")):
        return False
    i = flt.find("+")
    while i >= 0:
        if (i > 0 and flt[i - 1] != "/") or (i < last and flt[i + 1] != "/"):
            return False
        i = flt.find("+", i + 1)
    return True


def split_shared(flt: str) -> "Tuple[Optional[str], str]":
    """(share name, topic filter) of a 5.0 shared subscription
    ``$share/{ShareName}/{filter}`` (§4.8.2), or (None, ``flt``) for any
    other filter.  A ``$share/`` filter with an empty, wildcard or missing
    share name, or no filter after it, gives ("", ``flt``): invalid
    [MQTT-4.8.2-1, -2].  Under 3.1.1 ``$share/`` is an ordinary level."""
    if not flt.startswith("$share/"):
        return None, flt
    cut = flt.find("/", 7)
    name = flt[7:cut] if cut > 0 else ""
    if not name or "+" in name or "#" in name or cut + 1 >= len(flt):
        return "", flt
    return name, flt[cut + 1 :]


def matches(flt: str, name: str) -> bool:
    """Whether topic name ``name`` matches topic filter ``flt`` (§4.7).

    ``+`` matches exactly one level, empty ones included (§4.7.1.3); ``#``
    matches its parent level and any number of levels below (§4.7.1.2:
    ``sport/#`` matches ``sport``); a filter that starts with a wildcard does
    not match a name that starts with ``$`` (§4.7.2 [MQTT-4.7.2-1]).  Both are
    taken as valid (see :func:`valid_filter`, :func:`valid_name`); for a
    shared subscription pass the filter part of :func:`split_shared`.
    """
    if name.startswith("$") and flt and flt[0] in "+#":
        return False
    nf = len(flt)
    nn = len(name)
    fi = 0  # start of the filter's current level
    ni = 0  # start of the name's current level; nn + 1 once its levels ran out
    while fi <= nf:
        fe = flt.find("/", fi)
        if fe < 0:
            fe = nf
        if fe - fi == 1 and flt[fi] == "#":
            return True  # this level, the ones below, or none (the parent)
        if ni > nn:
            return False  # the filter has a level the name lacks
        ne = name.find("/", ni)
        if ne < 0:
            ne = nn
        if not (fe - fi == 1 and flt[fi] == "+"):
            if fe - fi != ne - ni or flt[fi:fe] != name[ni:ne]:
                return False
        fi = fe + 1
        ni = ne + 1
    # The filter ran out: a match only if the name did too.
    return ni > nn
