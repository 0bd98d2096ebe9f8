"""The dispatcher's per-readiness functions run with their frames on the C stack.

MicroPython takes a block from the heap for each call of a function whose frame
is over 11 words (remora_tools.frames).  The functions below run for every
readiness the poller reports and every wake-up: over that size, each costs an
allocation per event.  Measured with callgrind on the cosocket echo (ex09, 8
connections): frames of 16 to 21 words in _find, wake_io and the loop's
_wait_io_event made 3 more allocations per round trip and 172,800 instructions
per round trip instead of 137,400.
"""

import os

import pytest

import harness
from remora_tools import frames

HOT = {
    "lib/remora/port/mpio.py": (
        "_find", "_drop", "_refresh", "_wait_io_event", "_ready", "_unpoll",
        "_refresh_or_later", "_refresh_or_collect", "wake_io", "wait_io", "_closed",
    ),
    # The HTTP request path (keep-alive GET /hello, bench/programs/http_hello.py):
    # 28 heap frames per request before, 7 after (callgrind, 64-bit port, esp32s3).
    "lib/remora/proto/http/connection.py": (
        "next_event", "_next_event", "_receive", "send", "send_data", "send_end",
    ),
    "lib/remora/proto/http/fields.py": (
        "parse_fields", "scan_fields", "framing_fields", "note_field", "_field_line", "_field_pair",
    ),
    "lib/remora/proto/http/readers.py": (
        "request_head", "head_lines", "split_lines", "frame", "body", "take", "advance", "feed",
    ),
    "lib/remora/proto/http/server.py": ("_their_head", "_options", "send_response_head"),
    "lib/remora/proto/http/state.py": ("move", "settle", "next_cycle"),
    "lib/remora/proto/http/writers.py": ("write_head", "build_head", "_encode"),
    "lib/remora/http/request.py": ("__init__", "cookies", "_cookie_jar", "_cookie"),
    "lib/remora/http/router.py": ("match", "_match", "_segment"),
    "lib/remora/http/response.py": ("write",),
}


@pytest.mark.parametrize("path", sorted(HOT))
def test_hot_functions_keep_their_frames_on_the_c_stack(path):
    sizes = {f[0]: f for f in frames.frames(os.path.join(harness.REPO, path))}
    for name in HOT[path]:
        assert name in sizes, (path, name, sorted(sizes))
        _name, n_state, n_exc, words, generator = sizes[name]
        assert not generator and words <= frames.STACK_FRAME_WORDS, (
            "%s: %s has a frame of %d words (n_state %d, %d try blocks): each call "
            "allocates" % (path, name, words, n_state, n_exc))


def test_the_tool_sees_a_frame_over_the_limit(tmp_path):
    src = tmp_path / "big.py"
    src.write_text("def big(a, b, c, d, e, f, g, h, i, j, k, l):\n    return a\n"
                   "def small(a):\n    return a\n")
    names = [f[0] for f in frames.on_heap(str(src))]
    assert names == ["big"]
