"""TLS at the port level: the runtime's TLS library behind one small API.

Loaded only when a program uses TLS (``remora.tls``, ``tls=`` on a
socket), so a plain server never imports ``ssl``.  What the socket layer
uses:

- ``Context(server_side, verify=True)``: ``load_cert_chain(cert, key)``
  and ``load_ca(data)`` take PEM or DER bytes (each half converts to what
  its library reads); ``wrap(raw, server_hostname)`` makes a Stream over a
  connected non-blocking socket, its handshake not begun (MemoryError
  when the TLS buffers do not fit);
- ``Stream``: ``handshake()`` is one non-blocking step, 0 once done, else
  ``WANT_READ`` / ``WANT_WRITE``; then it behaves as a non-blocking socket
  (``recv_into``/``readinto``, ``recv``, ``send``, ``fileno``, ``close``)
  and can be polled like one;
- ``failure_kind(exc)``: ``NOT_TRUSTED``, ``WRONG_NAME``, ``HANDSHAKE``,
  ``OUT_OF_MEMORY``, or 0 for a plain socket error;
- ``default_client()``: a client context with the system's CAs (CPython);
- ``live()``: TLS streams open in the process (the board's ``tls_max``).
"""

from . import RUNTIME, const
from .tlscommon import HANDSHAKE, NOT_TRUSTED, OUT_OF_MEMORY, WANT_READ, WANT_WRITE  # noqa: F401
from .tlscommon import WRONG_NAME, live  # noqa: F401

TYPE_CHECKING = const(0)  # mypy checks the CPython half here, the other on its own
if TYPE_CHECKING or RUNTIME != "micropython":
    from .tls_cpython import Context, Stream, default_client, failure_kind  # noqa: F401
else:
    from .tls_micropython import Context, Stream, default_client, failure_kind  # noqa: F401
