# ESP32-S3 (ESP32_GENERIC_S3): has PSRAM, but we budget conservatively at 256 KiB of heap.
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "esp32s3",
    "heap_bytes": 262144,  # 256 KiB
    "workers": 2,
    "pool_queue": 4,
    "queuelen": 8192,
    "recv_size": 2048,
    "max_connections": 24,
    "backlog": 8,
    "udp_max": 1472,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 8192,
}
