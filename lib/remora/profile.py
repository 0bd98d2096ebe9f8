"""The active board profile: the limits every buffer, queue and table uses.

A profile is a plain dict (see ``boards/``).  The launcher installs the
board's dict with :func:`use` before the program starts; code reads limits
with :func:`get`.  The defaults below are the ``unix`` board's.
"""

try:
    from typing import Any, Dict
except ImportError:
    pass

_current = {
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


def use(profile: "Dict[str, Any]") -> None:
    """Make profile (a board's dict) the active one; missing keys keep their defaults."""
    _current.update(profile)


def get(key: str) -> "Any":
    return _current[key]


def current() -> "Dict[str, Any]":
    return _current
