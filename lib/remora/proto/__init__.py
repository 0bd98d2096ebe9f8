"""The sans-IO protocol cores: bytes in, events out; events in, bytes out.

One subpackage per wire protocol (``http``, ``ws``, ``mqtt``).  A core never
touches a socket, a clock or a thread, and imports nothing of remora outside
this package, so the blocking, asynchronous and cosocket drivers above it
share one implementation (``host_tests/test_layers.py`` checks the rule).
"""
