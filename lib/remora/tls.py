"""TLS contexts for remora's sockets, the HTTP server and the clients.

::

    import remora
    from remora import tls

    server = tls.server("certs/localhost.der", "certs/localhost-key.der")
    listener = remora.bind(8443, tls=server)           # accept: handshaken sockets
    await app.serve(8443, tls=server)                   # HTTPS (remora.http.App)

    client = tls.client(ca="certs/localhost.pem")       # verify against this CA
    sock = await remora.Socket().connect("localhost", 8443, tls=client)
    sock = remora.connect("localhost", 8443, tls=client)     # a worker thread
    await sock.upgrade(client, server_hostname="localhost")  # STARTTLS

Certificates and keys are files (a path) or their bytes, PEM or DER: the
MicroPython build reads DER only and CPython's ssl PEM only, so each
runtime converts what it is given (``remora cert`` writes both forms of a
self-signed development certificate for localhost).  On MicroPython a
server sends its own certificate only (no chain) and a client needs a CA
file to verify (there is no system store); ``client(verify=False)``
encrypts without verifying, for development only.

The MicroPython firmware speaks TLS 1.2 only (its Mbed TLS configuration),
and its server sends no close_notify: peers see the end of the stream
(Python's ssl, curl and browsers accept it once the HTTP message is whole).
"""

try:
    from typing import Any, Optional, Union

    Source = Union[str, bytes]
except ImportError:
    pass


def _data(source: "Source") -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    with open(source, "rb") as f:
        return f.read()


def server(cert: "Source", key: "Source") -> "Any":
    """A server context: its certificate and private key (paths or bytes,
    PEM or DER).  For remora.bind(..., tls=), App.serve(..., tls=) and the
    server side of Socket.upgrade."""
    from .port.tls import Context

    context = Context(True)
    context.load_cert_chain(_data(cert), _data(key))
    return context


def client(ca: "Optional[Source]" = None, verify: bool = True) -> "Any":
    """A client context.  With verify (the default) the server's certificate
    must chain to ca (a path or bytes, PEM or DER; several certificates in
    PEM) and be for the name asked for; without ca, the system's CAs
    (CPython only).  verify=False skips both: development only."""
    from .port.tls import Context

    context = Context(False, verify)
    if verify:
        if ca is None:
            context.load_default_ca()
        else:
            context.load_ca(_data(ca))
    return context
