"""Firmware updates over HTTP: an image streamed to the board's next OTA partition.

::

    from remora import ota

    app.protect("/admin/", BasicAuth(Users({"admin": "secret"})))
    ota.route(app, "/admin/firmware")      # POST or PUT the image here
    ota.confirm()                          # at start, once the new firmware runs well

    curl -u admin:secret --data-binary @firmware.bin \\
         -H "Content-Digest: sha-256=:$(openssl dgst -sha256 -binary firmware.bin | base64):" \\
         http://board/admin/firmware

The image goes piece by piece, as it arrives, from the request body to the
partition the running one names as the next update
(``esp32.Partition``: ``port/ota.py``, where a file-backed stand-in takes
its place off the board), on a worker thread (a flash erase takes tens of
milliseconds: not on the dispatcher), while its SHA-256 is computed.  Only
when the whole image has come and its SHA-256 is the one the client named
(RFC 9530's ``Content-Digest: sha-256=:BASE64:``, or ``?sha256=HEX``) are
its first 16 bytes written and the partition set to boot at the next reset.
Those bytes hold the magic of the image header that the bootloader (and
set_boot) check, and the block they are in is erased before anything else
is written: a cut connection, a wrong hash or a failed write leaves an
image with no header, which nothing boots, never half an image marked
bootable.  The new firmware boots once pending
verification: unless it calls ``ota.confirm()``, the next reset goes back
to the old one (ESP-IDF's app rollback).

Answers: 200 with ``{"written": bytes, "partition": label, "sha256": hex,
"reset": true}``; 400 without a SHA-256 or for a wrong one, or for a body
that is not an ESP32 application image; 409 while another update runs; 413
for an image larger than the partition; 501 on a board with no OTA
partitions; 401 from the route's guard (the route must be protected:
``route`` refuses one that is not).
"""

import binascii
import hashlib

from .http.response import Response
from .port import allocate_lock
from .port import ota as flash

try:
    from typing import Any, List, Optional
except ImportError:
    pass


def route(app: "Any", path: str, methods: "Any" = ("POST", "PUT")) -> None:
    """Serve firmware updates at path, which a guard of app must cover."""
    for prefix, _auth in app.guards:
        if path.startswith(prefix):
            break
    else:
        raise ValueError("protect " + path + " first: app.protect(prefix, authenticator)")
    target = flash.next_update()
    # No partition: the handler answers 501 without reading the body.
    size = (1 << 20) if target is None else target.ioctl(4, 0) * target.ioctl(5, 0)
    app.route(path, methods, worker=True, stream=True, max_body=size)(update)


def confirm() -> bool:
    """Mark the running firmware good, so the next reset keeps it (call it
    once the application runs well after an update); False where there is
    no rollback to cancel."""
    return flash.confirm()


# The bytes of the image held back until it is verified: its header's magic,
# in the 16 bytes an encrypted flash would write at once.
_HEAD = 16

# One update at a time: two would write the same partition.  Made on first use.
_UPDATING = []  # type: List[Any]


def _lock() -> "Any":
    if not _UPDATING:
        _UPDATING.append(allocate_lock())
    return _UPDATING[0]


def status() -> "Any":
    """{"running": label, "boot": label, "state": ..., "updating": bool},
    labels and state where known."""
    running, boot, state = flash.state()
    return {"running": running, "boot": boot, "state": state,
            "updating": bool(_UPDATING) and _UPDATING[0].locked()}


def expected_digest(req: "Any") -> "Optional[bytes]":
    """The SHA-256 the client named: RFC 9530 Content-Digest, or ?sha256=hex."""
    field = req.headers.get("content-digest", "")
    for item in field.split(","):
        name, _, value = item.strip().partition("=")
        value = value.strip()
        if name.strip().lower() == "sha-256" and value[:1] == ":" and value[-1:] == ":":
            try:
                digest = binascii.a2b_base64(value[1:-1])
            except ValueError:
                return None
            return digest if len(digest) == 32 else None
    text = req.args.get("sha256")
    if text is not None and len(text) == 64:
        try:
            return binascii.unhexlify(text)
        except ValueError:
            return None
    return None


def update(req: "Any") -> "Any":
    """The route's handler, on a worker thread (see the module doc)."""
    lock = _lock()
    if not lock.acquire(0):
        # RFC 9110 §15.5.10: the partition is being written by another.
        return Response("another firmware update is in progress\n", 409)
    try:
        return _install(req)
    finally:
        lock.release()


def _install(req: "Any") -> "Any":
    target = flash.next_update()
    if target is None:
        return Response("this board has no OTA partition\n", 501)
    if target.info()[5]:
        # Flash encryption takes 16-byte aligned writes only: not done here.
        return Response("encrypted OTA partitions are not supported\n", 501)
    expected = expected_digest(req)
    if expected is None:
        return Response("name the image's SHA-256: Content-Digest: sha-256=:BASE64: "
                        "(RFC 9530) or ?sha256=HEX\n", 400)
    stream = req.stream
    size = target.ioctl(5, 0)
    digest = hashlib.sha256()
    # The image's first bytes (its header's magic) are held back and written
    # last, once verified: until then the partition holds no bootable image,
    # whatever happens.  Everything else is written as it comes, piece by
    # piece (the extended block protocol: erase a block when the image
    # reaches it, then write into it at an offset), so the update needs no
    # block-sized buffer: a board heap fragmented by hours of serving may
    # have no free 4 KiB in one piece.
    head = bytearray(_HEAD)
    target.ioctl(6, 0)
    erased = 1  # blocks [0, erased) are erased
    total = 0
    while True:
        piece = stream.read()
        if not piece:
            break
        if total == 0 and piece[0] != flash.IMAGE_MAGIC:
            return Response("not an ESP32 application image\n", 400)
        digest.update(piece)
        view = memoryview(piece)
        start = 0
        if total < _HEAD:
            start = min(_HEAD - total, len(piece))
            head[total : total + start] = view[:start]
        at = total + start
        while start < len(view):
            number = at // size
            offset = at - number * size
            if number >= erased:
                target.ioctl(6, number)
                erased = number + 1
            step = min(size - offset, len(view) - start)
            target.writeblocks(number, view[start : start + step], offset)
            start += step
            at += step
        total += len(piece)
    found = digest.digest()
    if found != expected:
        return Response("SHA-256 mismatch: the image was not installed\n", 400)
    target.writeblocks(0, memoryview(head)[: min(total, _HEAD)], 0)
    target.set_boot()
    hexdigest = binascii.hexlify(found).decode()
    return {"written": total, "partition": target.info()[4], "sha256": hexdigest, "reset": True}
