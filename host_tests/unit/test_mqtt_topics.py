# MQTT topic names and filters (remora.proto.mqtt.topics): validation (MQTT 5.0 §4.7,
# §4.8.2, §3.3.2.1) and wildcard matching, with the examples of §4.7.1 and §4.7.2.
# Runs on both runtimes.
from remora.proto.mqtt.topics import matches, split_shared, valid_filter, valid_name

# -- topic names: what a PUBLISH may carry -------------------------------------------------
for name in ("a", "a/b", "/", "//", "/a", "a/", "sport/tennis/player1", "$SYS/broker", "é/€",
             " ", "a b", "$share/x/y", "\ufeff"):
    assert valid_name(name), name
for name in ("", "+", "#", "a/+", "a/#", "a+b", "a#", "sport/+/player1", "a\x00b", "\x00"):
    assert not valid_name(name), name

# -- topic filters: what a SUBSCRIBE may ask ------------------------------------------------
GOOD_FILTERS = [
    "#", "+", "+/+", "/+", "+/", "a/#", "a/+/b", "a/+/#", "+/#", "sport/tennis/#",
    "sport/+", "sport/+/player1", "a", "a/b/c", "/", "//", "$SYS/#", "$share/g/a/+",
    "/#", "+/+/+", "é/+",
]
for flt in GOOD_FILTERS:
    assert valid_filter(flt), flt
BAD_FILTERS = [
    "",  # at least one character [MQTT-4.7.3-1]
    "sport/tennis#",  # §4.7.1.2: "#" alone in its level
    "sport/tennis/#/ranking",  # and last
    "#/",
    "##",
    "a/#/b",
    "a#",
    "sport+",  # §4.7.1.3: "+" fills its level
    "+sport",
    "a/b+/c",
    "a/+b",
    "++",
    "+#",
    "#+",
    "a\x00b",  # U+0000
]
for flt in BAD_FILTERS:
    assert not valid_filter(flt), flt

# -- shared subscriptions (§4.8.2) ---------------------------------------------------------
assert split_shared("a/b") == (None, "a/b")
assert split_shared("$share/g/a/b") == ("g", "a/b")
assert split_shared("$share/group/#") == ("group", "#")
assert split_shared("$share/g//") == ("g", "/")
assert split_shared("$SHARE/g/a") == (None, "$SHARE/g/a")  # case matters
for bad in ("$share/", "$share/g", "$share/g/", "$share//a", "$share/+/a", "$share/#/a",
            "$share/g+/a"):
    assert split_shared(bad) == ("", bad), bad

# -- matching: §4.7.1.2 (multi-level), §4.7.1.3 (single-level), §4.7.2 ($ topics) -----------
# (filter, name, match)
TABLE = [
    # §4.7.1.2: "sport/tennis/player1/#" matches these three.
    ("sport/tennis/player1/#", "sport/tennis/player1", True),
    ("sport/tennis/player1/#", "sport/tennis/player1/ranking", True),
    ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", True),
    ("sport/tennis/player1/#", "sport/tennis/player2", False),
    ("sport/tennis/player1/#", "sport/tennis", False),
    # "sport/#" also matches "sport": # includes the parent level.
    ("sport/#", "sport", True),
    ("sport/#", "sport/", True),
    ("sport/#", "sports", False),
    ("#", "sport", True),
    ("#", "sport/tennis/player1", True),
    ("#", "/", True),
    ("#", "/finance", True),
    # §4.7.1.3: "sport/tennis/+" matches "sport/tennis/player1" and ".../player2" but not
    # "sport/tennis/player1/ranking"; "sport/+" does not match "sport" but does "sport/".
    ("sport/tennis/+", "sport/tennis/player1", True),
    ("sport/tennis/+", "sport/tennis/player2", True),
    ("sport/tennis/+", "sport/tennis/player1/ranking", False),
    ("sport/+", "sport", False),
    ("sport/+", "sport/", True),
    ("+", "sport", True),
    ("+", "", True),
    ("+", "/", False),
    # "+/+" and "/+" match "/finance"; "+" does not.
    ("+/+", "/finance", True),
    ("/+", "/finance", True),
    ("+", "/finance", False),
    ("+/tennis/#", "sport/tennis/player1/ranking", True),
    ("+/tennis/#", "sport/tennis", True),
    ("+/tennis/#", "sport/golf", False),
    ("sport/+/player1", "sport/tennis/player1", True),
    ("sport/+/player1", "sport/tennis/player2", False),
    ("sport/+/player1", "sport//player1", True),
    ("+/+/+", "a/b/c", True),
    ("+/+/+", "a/b", False),
    ("+/+/+", "a/b/c/d", False),
    ("a/+/#", "a/b", True),
    ("a/+/#", "a", False),
    ("+/#", "a", True),
    ("+/#", "/", True),
    # Exact levels: case and length matter, empty levels count.
    ("a/b", "a/b", True),
    ("a/b", "A/b", False),
    ("a/b", "a/bc", False),
    ("a/bc", "a/b", False),
    ("a/b", "a/b/", False),
    ("a/b/", "a/b/", True),
    ("a//b", "a//b", True),
    ("a//b", "a/b", False),
    ("/", "/", True),
    ("/", "", False),
    ("a/b", "a/b/c", False),
    ("a/b/c", "a/b", False),
    ("é/+", "é/€", True),
    # §4.7.2: wildcards first do not match "$" names [MQTT-4.7.2-1] ...
    ("#", "$SYS/monitor/Clients", False),
    ("+/monitor/Clients", "$SYS/monitor/Clients", False),
    ("+", "$SYS", False),
    # ... but a "$" level spelled out does.
    ("$SYS/#", "$SYS/", True),
    ("$SYS/#", "$SYS/monitor/Clients", True),
    ("$SYS/monitor/+", "$SYS/monitor/Clients", True),
    ("$SYS", "$SYS", True),
    ("a/#", "a/$x", True),  # "$" only matters first
]
for flt, name, expected in TABLE:
    assert valid_filter(flt), flt
    assert matches(flt, name) is expected, (flt, name, expected)
# A filter without wildcards matches exactly itself.
for flt in ("a", "a/b", "/a", "a/", "$SYS/x"):
    assert matches(flt, flt)
# A shared subscription matches through its filter part.
assert matches(split_shared("$share/g/sport/+")[1], "sport/tennis")

print("PASS")
