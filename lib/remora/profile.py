"""The active board profile: the limits every buffer, queue and table uses.

A profile is a plain dict (see ``boards/``).  The launcher installs the
board's dict with :func:`use` before the program starts; code reads limits
with :func:`get`.  The defaults below are the ``unix`` board's.
"""

try:
    from typing import Any, Dict, List, Optional
except ImportError:
    pass


def _defaults() -> "Dict[str, Any]":
    # A function, not a module-level dict: on a board the board's own dict
    # becomes the profile (use()), and a second table of defaults would be
    # heap held for nothing (about 0.3 KB).
    return {
        "name": "unix",
        "heap_bytes": 2 * 1024 * 1024,
        "workers": 4,
        "pool_queue": 8,
        "queuelen": 65536,
        "recv_size": 16384,
        "max_connections": 1024,
        "backlog": 128,
        "udp_max": 65507,
        "connect_timeout_ms": 10000,
        "write_timeout_ms": 30000,
        "thread_stack": 0,
        # HTTP server: time limits (ms), size limits (bytes), tables.
        "http_idle_ms": 30000,
        "http_head_ms": 10000,
        "http_body_ms": 10000,
        "http_max_request_line": 8190,
        "http_max_header_bytes": 8192,
        "http_max_headers": 64,
        "http_max_body": 1048576,
        "max_sessions": 64,
        "page_cache": 16,
        "page_buffer": 16384,  # bytes of a page's output block, one per worker (http/outbuf.py)
        "log_access": True,  # False: no access lines even when asked (a board's small console)
    }


_current = [None]  # type: List[Optional[Dict[str, Any]]]  # the active dict, once made


def use(profile: "Dict[str, Any]") -> None:
    """Make profile (a board's dict) the active one; missing keys keep their
    defaults (or, once a profile is active, their current values)."""
    current = _current[0]
    if current is not None:
        current.update(profile)
        return
    # The first: the board's dict itself, completed with the defaults it
    # lacks (no copy of it on a board's heap).
    defaults = _defaults()
    for key in defaults:
        if key not in profile:
            profile[key] = defaults[key]
    _current[0] = profile


def get(key: str) -> "Any":
    current = _current[0]
    if current is None:
        current = _current[0] = _defaults()
    return current[key]


def current() -> "Dict[str, Any]":
    current = _current[0]
    if current is None:
        current = _current[0] = _defaults()
    return current
