# MicroPython unix port / CPython host: generous limits for development and tests (2 MiB heap).
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "unix",
    "heap_bytes": 2097152,  # 2 MiB
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
}
