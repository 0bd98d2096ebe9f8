# ESP32-S3 (MicroPython's ESP32_GENERIC_S3 firmware on a module without PSRAM; 512 KiB of SRAM).
#
# Where the heap figure comes from: a budget, not a measurement.  The ESP32-S3 datasheet
# gives 512 KiB of SRAM; MicroPython's ports/esp32/mpconfigport.h starts the heap at
# 64 KiB there and grows it from the ESP-IDF heap on demand (MICROPY_GC_SPLIT_HEAP_AUTO).
# 256 KiB, half the SRAM, leaves the other half to ESP-IDF, Wi-Fi and TLS.  A module with
# PSRAM gets a heap in PSRAM instead: see esp32s3spiram.py.
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "esp32s3",
    "heap_bytes": 262144,  # 256 KiB
    "workers": 2,
    "pool_queue": 4,
    "queuelen": 8192,
    "recv_size": 2048,
    "max_connections": 24,
    "backlog": 64,  # a burst of 50 past the cap waits in the queue (boards/README.md)
    "udp_max": 1472,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 8192,
    # TLS (remora.tls)
    "tls_max": 6,  # TLS connections open at once (each about 24 KB of heap: Mbed TLS buffers)
    "tls_handshake_ms": 10000,  # a TLS handshake that takes longer is dropped
    # HTTP server
    "http_idle_ms": 15000,  # keep-alive connection waiting for its next request
    "http_head_ms": 5000,  # first byte to end of a request head (slowloris)
    "http_body_ms": 5000,  # first wait for a request body to its end (slow POST)
    "http_max_request_line": 2048,  # longer: 414
    "http_max_header_bytes": 4096,  # larger head: 431
    "http_max_headers": 32,  # more fields: 431
    "http_max_body": 16384,  # larger body: 413
    "max_sessions": 16,
    "page_cache": 8,  # compiled pages kept loaded (more load again from flash)
    "page_buffer": 4096,  # a page's output block (one per worker, made once; larger pages joined)
    # WebSockets (remora.ws)
    "ws_max": 16,  # open WebSockets at once; more are refused with 503 before the upgrade
    "ws_max_message": 262144,  # largest message a peer may send (1009 beyond); read() streams it
    "ws_close_ms": 3000,  # how long our close waits for theirs before the socket closes
    "ws_ping_ms": 0,  # keep-alive ping after this much quiet, pong timeout as long; 0: off
    # HTTP client (remora.httpc)
    "httpc_max_body": 65536,  # largest response body collected in memory (a sink takes more)
    # MQTT client (remora.mqtt)
    "mqtt_max_packet": 16384,  # largest packet received (0x95 beyond; a 5.0 broker is told)
    "mqtt_inflight": 16,  # QoS 1/2 messages unacknowledged at once, each way
    "mqtt_queue": 16384,  # bytes of messages waiting to go out; then publish waits
}
