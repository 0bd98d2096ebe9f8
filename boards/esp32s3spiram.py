# ESP32-S3 with 8 MiB PSRAM (e.g. ESP32-S3-DevKitC-1 N8R8, MicroPython's ESP32_GENERIC_S3
# SPIRAM_OCT build).
#
# Where the heap figure comes from: a budget.  With PSRAM, MicroPython's esp32 port puts
# the heap in PSRAM (the module's datasheet: 8 MiB); 1 MiB here is a conservative share,
# not a measurement.
# Only a dict literal: host tools read it with ast.literal_eval, boards import it as remora_board.
PROFILE = {
    "name": "esp32s3spiram",
    "heap_bytes": 1048576,  # 1 MiB of the PSRAM heap
    "workers": 2,
    "pool_queue": 8,
    "queuelen": 8192,
    "recv_size": 2048,
    "max_connections": 32,
    "backlog": 64,  # a burst of 50 past the cap waits in the queue (boards/README.md)
    "udp_max": 1472,
    "connect_timeout_ms": 10000,
    "write_timeout_ms": 30000,
    "thread_stack": 16384,
    # TLS (remora.tls)
    "tls_max": 24,  # TLS connections open at once (each about 24 KB of heap: Mbed TLS buffers)
    "tls_handshake_ms": 10000,  # a TLS handshake that takes longer is dropped
    # HTTP server
    "http_idle_ms": 15000,  # keep-alive connection waiting for its next request
    "http_head_ms": 5000,  # first byte to end of a request head (slowloris)
    "http_body_ms": 5000,  # first wait for a request body to its end (slow POST)
    "http_max_request_line": 2048,  # longer: 414
    "http_max_header_bytes": 4096,  # larger head: 431
    "http_max_headers": 32,  # more fields: 431
    "http_max_body": 65536,  # larger body: 413
    "max_sessions": 32,
    "page_cache": 16,  # compiled pages kept loaded (more load again from flash)
    "page_buffer": 8192,  # a page's output block (one per worker, made once; larger pages joined)
    # WebSockets (remora.ws)
    "ws_max": 24,  # open WebSockets at once; more are refused with 503 before the upgrade
    "ws_max_message": 1048576,  # largest message a peer may send (1009 beyond); read() streams it
    "ws_close_ms": 3000,  # how long our close waits for theirs before the socket closes
    "ws_ping_ms": 0,  # keep-alive ping after this much quiet, pong timeout as long; 0: off
    # HTTP client (remora.httpc)
    "httpc_max_body": 262144,  # largest response body collected in memory (a sink takes more)
    # MQTT client (remora.mqtt)
    "mqtt_max_packet": 65536,  # largest packet received (0x95 beyond; a 5.0 broker is told)
    "mqtt_inflight": 32,  # QoS 1/2 messages unacknowledged at once, each way
    "mqtt_queue": 65536,  # bytes of messages waiting to go out; then publish waits
}
