"""What both runtimes' TLS halves share (``tls_cpython``, ``tls_micropython``).

The socket layer drives a handshake one step at a time and asks what a
step waits for (:data:`WANT_READ`, :data:`WANT_WRITE`); it asks what a
failure means (:data:`NOT_TRUSTED`, :data:`WRONG_NAME`, :data:`HANDSHAKE`)
and never compares the runtimes' error codes itself, as with
``rawsock.error_kind``.

Certificates and keys come as PEM or DER on both runtimes: CPython's
``ssl`` loads PEM (a chain from files), the MicroPython build's Mbed TLS
DER only (``MBEDTLS_PEM_PARSE_C`` is not in its configuration), so each
half converts what it is given (RFC 7468 is the textual encoding: base64
of the DER between ``-----BEGIN label-----`` and ``-----END label-----``).
"""

import binascii

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]
        return value


TYPE_CHECKING = const(0)
if TYPE_CHECKING:
    from typing import List

# What a handshake step waits for before the next step.
WANT_READ = const(1)
WANT_WRITE = const(2)

# What a failed handshake means (failure_kind); 0: not a TLS failure.
NOT_TRUSTED = const(1)  # the peer's certificate does not chain to a CA we trust
WRONG_NAME = const(2)  # the certificate is not for the name we asked for
HANDSHAKE = const(3)  # anything else: an alert, a protocol error, no common cipher
OUT_OF_MEMORY = const(4)  # the TLS library found no heap for its buffers

# TLS streams open in this process (the board's tls_max caps it): a list,
# so the halves change it in place.  Every stream closes when the server
# stops, so a run that follows starts again from zero.
LIVE = [0]


def live() -> int:
    """TLS streams open in this process."""
    return LIVE[0]


def is_pem(data: bytes) -> bool:
    return data.lstrip()[:11] == b"-----BEGIN "


def pem_blocks(data: bytes, kind: bytes) -> "List[bytes]":
    """The DER of every PEM block whose label ends with kind (b"CERTIFICATE",
    b"PRIVATE KEY" also finds "EC PRIVATE KEY" and "RSA PRIVATE KEY")."""
    found = []  # type: List[bytes]
    at = 0
    while True:
        begin = data.find(b"-----BEGIN ", at)
        if begin < 0:
            return found
        label_end = data.find(b"-----", begin + 11)
        end = data.find(b"-----END ", label_end)
        if label_end < 0 or end < 0:
            raise ValueError("a PEM block has no end")
        label = data[begin + 11 : label_end]
        if label.endswith(kind):
            body = data[label_end + 5 : end]
            found.append(binascii.a2b_base64(body.replace(b"\r", b"").replace(b"\n", b"")))
        at = data.find(b"-----", end + 9) + 5


def der_to_pem(der: bytes, label: bytes) -> bytes:
    """The PEM block (RFC 7468) of DER bytes, 64 base64 characters a line."""
    text = binascii.b2a_base64(der).replace(b"\n", b"")
    lines = [b"-----BEGIN " + label + b"-----"]
    for i in range(0, len(text), 64):
        lines.append(text[i : i + 64])
    lines.append(b"-----END " + label + b"-----\n")
    return b"\n".join(lines)
