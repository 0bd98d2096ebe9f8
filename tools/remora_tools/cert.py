"""``remora cert``: a self-signed development certificate and key, with openssl.

    remora cert [--out DIR] [--name NAME] [--host NAME ...] [--days N]

Writes, in DIR (default ``certs``), for NAME (default ``localhost``)::

    NAME.pem      the certificate, PEM (CPython's ssl, curl, browsers: the CA to trust)
    NAME.der      the certificate, DER (the MicroPython build reads DER only)
    NAME-key.pem  the private key, PKCS#8 PEM
    NAME-key.der  the private key, PKCS#8 DER

The key is ECDSA P-256: its handshake is the cheapest Mbed TLS does on a board, and every
client speaks it.  The certificate is its own CA (``basicConstraints CA:TRUE``, as
``openssl req -x509`` makes it), valid for the names ``--host`` gives (default localhost,
127.0.0.1 and ::1: subjectAltName, RFC 6125), so a client verifies the server against
``NAME.pem`` (``remora.tls.client(ca="certs/localhost.pem")``, ``curl --cacert``).  For
development only: anyone with the key can impersonate those names to whoever trusts it.
"""

import argparse
import ipaddress
import os
import shutil
import subprocess
import sys
from typing import List, Optional, Sequence


def _san(hosts: Sequence[str]) -> str:
    names = []
    for host in hosts:
        try:
            ipaddress.ip_address(host)
            names.append("IP:" + host)
        except ValueError:
            names.append("DNS:" + host)
    return "subjectAltName=" + ",".join(names)


def make(out: str, name: str = "localhost", hosts: Sequence[str] = (), days: int = 825) -> List[str]:
    """Write the four files; returns their paths (pem, der, key pem, key der)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("remora cert: openssl is not installed (Debian: apt-get install openssl)")
    hosts = list(hosts) or ["localhost", "127.0.0.1", "::1"]
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, name)
    cert_pem, cert_der = base + ".pem", base + ".der"
    key_pem, key_der = base + "-key.pem", base + "-key.der"
    steps = [
        [openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", key_pem],
        [openssl, "req", "-x509", "-new", "-key", key_pem, "-out", cert_pem, "-days", str(days),
         "-subj", "/CN=" + hosts[0], "-addext", _san(hosts)],
        [openssl, "x509", "-in", cert_pem, "-outform", "DER", "-out", cert_der],
        [openssl, "pkcs8", "-topk8", "-nocrypt", "-in", key_pem, "-outform", "DER",
         "-out", key_der],
    ]
    for argv in steps:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit("remora cert: %s failed:\n%s" % (" ".join(argv[:2]), proc.stderr))
    for path in (key_pem, key_der):
        os.chmod(path, 0o600)
    return [cert_pem, cert_der, key_pem, key_der]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="remora cert", description="A self-signed development certificate and key.",
        epilog="example:\n  remora cert --out certs --host localhost --host 192.168.4.1",
        formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="certs", help="folder for the files (default: certs)")
    parser.add_argument("--name", default="localhost", help="file name stem (default: localhost)")
    parser.add_argument("--host", action="append", default=[],
                        help="a name or address it is for (repeat; default: localhost, "
                        "127.0.0.1, ::1)")
    parser.add_argument("--days", type=int, default=825, help="validity (default: 825)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    for path in make(args.out, args.name, args.host, args.days):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
