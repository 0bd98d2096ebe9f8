# Raspberry Pi Pico W (MicroPython's RPI_PICO_W firmware; RP2040 + CYW43439 Wi-Fi).
#
# Where the heap figure comes from: the RP2040 datasheet gives 264 KiB of SRAM; MicroPython's
# rp2 port gives the heap what its static data (the CYW43 driver, lwIP's pools, Bluetooth)
# and the stacks leave (the linker script's __GcHeapStart..__GcHeapEnd), which on RPI_PICO_W
# is usually reported as about 160 KiB free after boot.  Not measured on a board for this
# project.  lwIP there has few PCBs, hence the small connection limits.
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "picow",
    "heap_bytes": 163840,  # 160 KiB
    "workers": 1,
    "pool_queue": 2,
    "queuelen": 4096,
    "recv_size": 1024,
    "max_connections": 10,
    "backlog": 64,  # a burst of 50 past the cap waits in the queue (boards/README.md)
    "udp_max": 1472,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 8192,
    # TLS (remora.tls)
    "tls_max": 3,  # TLS connections open at once (each about 24 KB of heap: Mbed TLS buffers)
    "tls_handshake_ms": 10000,  # a TLS handshake that takes longer is dropped
    # HTTP server
    "http_idle_ms": 15000,  # keep-alive connection waiting for its next request
    "http_head_ms": 5000,  # first byte to end of a request head (slowloris)
    "http_body_ms": 5000,  # first wait for a request body to its end (slow POST)
    "http_max_request_line": 1024,  # longer: 414
    "http_max_header_bytes": 2048,  # larger head: 431
    "http_max_headers": 24,  # more fields: 431
    "http_max_body": 4096,  # larger body: 413
    "max_sessions": 8,
    "page_cache": 4,  # compiled pages kept loaded (more load again from flash)
    "page_buffer": 2048,  # a page's output block (one per worker, made once; larger pages joined)
    # WebSockets (remora.ws)
    "ws_max": 6,  # open WebSockets at once; more are refused with 503 before the upgrade
    "ws_max_message": 131072,  # largest message a peer may send (1009 beyond); read() streams it
    "ws_close_ms": 3000,  # how long our close waits for theirs before the socket closes
    "ws_ping_ms": 0,  # keep-alive ping after this much quiet, pong timeout as long; 0: off
    # HTTP client (remora.httpc)
    "httpc_max_body": 16384,  # largest response body collected in memory (a sink takes more)
    # MQTT client (remora.mqtt)
    "mqtt_max_packet": 8192,  # largest packet received (0x95 beyond; a 5.0 broker is told)
    "mqtt_inflight": 8,  # QoS 1/2 messages unacknowledged at once, each way
    "mqtt_queue": 8192,  # bytes of messages waiting to go out; then publish waits
}
