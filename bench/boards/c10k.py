# Bench-only profile for the 10,000-connection row on CPython: the unix board with
# max_connections raised above the row's target, so the limit under test is the runtime's
# (descriptors, memory), not the profile's.  Everything else is boards/unix.py.
# Only a dict literal: host tools read it with ast.literal_eval, the server imports it.
PROFILE = {
    "name": "c10k",
    "heap_bytes": 2097152,  # 2 MiB (unused on CPython)
    "workers": 4,
    "pool_queue": 8,
    "queuelen": 65536,
    "recv_size": 16384,
    "max_connections": 16384,
    "backlog": 128,
    "udp_max": 65507,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 0,
}
