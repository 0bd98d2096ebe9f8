# ESP32 (ESP32_GENERIC, ~520 KiB SRAM, no PSRAM): about 110 KiB of MicroPython heap is free with Wi-Fi up.
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "esp32",
    "heap_bytes": 112640,  # 110 KiB
    "workers": 2,
    "pool_queue": 4,
    "queuelen": 4096,
    "recv_size": 1024,
    "max_connections": 16,
    "backlog": 4,
    "udp_max": 1472,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 8192,
}
