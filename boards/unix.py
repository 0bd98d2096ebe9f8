# MicroPython unix port / CPython host: generous limits for development and tests.
#
# Not a board: the 2 MiB heap is a choice for development, not a figure from any device.
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
    # TLS (remora.tls)
    "tls_max": 64,  # TLS connections open at once (more: closed at accept, TLSError)
    "tls_handshake_ms": 10000,  # a TLS handshake that takes longer is dropped
    # HTTP server
    "http_idle_ms": 30000,  # keep-alive connection waiting for its next request
    "http_head_ms": 10000,  # first byte to end of a request head (slowloris)
    "http_body_ms": 10000,  # first wait for a request body to its end (slow POST)
    "http_max_request_line": 8190,  # longer: 414
    "http_max_header_bytes": 8192,  # larger head: 431
    "http_max_headers": 64,  # more fields: 431
    "http_max_body": 1048576,  # larger body: 413
    "max_sessions": 64,
    "page_cache": 16,  # compiled pages kept loaded (more load again from flash)
    "page_buffer": 16384,  # a page's output block (one per worker, made once; larger pages joined)
    # WebSockets (remora.ws)
    "ws_max": 512,  # open WebSockets at once; more are refused with 503 before the upgrade
    "ws_max_message": 16777216,  # largest message a peer may send (1009 beyond); read() streams it
    "ws_close_ms": 3000,  # how long our close waits for theirs before the socket closes
    "ws_ping_ms": 0,  # keep-alive ping after this much quiet, pong timeout as long; 0: off
    # HTTP client (remora.httpc)
    "httpc_max_body": 16777216,  # largest response body collected in memory (a sink takes more)
    # MQTT client (remora.mqtt)
    "mqtt_max_packet": 1048576,  # largest packet received (0x95 beyond; a 5.0 broker is told)
    "mqtt_inflight": 32,  # QoS 1/2 messages unacknowledged at once, each way
    "mqtt_queue": 1048576,  # bytes of messages waiting to go out; then publish waits
}
