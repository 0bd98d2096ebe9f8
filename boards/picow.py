# Raspberry Pi Pico W (RP2040 + CYW43 Wi-Fi, 264 KiB SRAM): about 160 KiB heap, lwIP has few PCBs.
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "picow",
    "heap_bytes": 163840,  # 160 KiB
    "workers": 1,
    "pool_queue": 2,
    "queuelen": 4096,
    "recv_size": 1024,
    "max_connections": 10,
    "backlog": 4,
    "udp_max": 1472,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 8192,
}
