# Firmware update partitions in the port layer: the only module that knows
# where a board keeps its next firmware image.
#
# On an ESP32 that is MicroPython's esp32.Partition (docs/library/esp32.rst):
# Partition(Partition.RUNNING).get_next_update() is the OTA slot to write,
# with the block protocol of os.AbstractBlockDev (readblocks, writeblocks,
# ioctl: 4 block count, 5 block size, 6 erase a block), set_boot() to boot it
# at the next reset (ESP-IDF checks the image first), and the classmethod
# mark_app_valid_cancel_rollback() that a new firmware calls once it runs
# well (else the bootloader rolls back at the next reset).
#
# Elsewhere (the simulated board, which is the unix port, and CPython), when
# REMORA_OTA_DIR names a folder, FilePartition stands for it: two slots
# ota_0.bin and ota_1.bin of REMORA_OTA_BYTES (default 1.5 MiB, the ESP32's
# OTA slots) and an otadata file, with the same methods and the same
# rules: set_boot refuses an image without the ESP32 image magic, a new
# image boots once pending verification, and a second boot without
# mark_app_valid_cancel_rollback() rolls back to the other slot.  A process
# start is a boot.  Without REMORA_OTA_DIR there is no OTA partition.

import os

try:
    from typing import Any, List, Optional, Tuple
except ImportError:
    pass

try:
    from esp32 import Partition  # type: ignore[import-not-found]
except ImportError:
    Partition = None

BLOCK_BYTES = 4096
IMAGE_MAGIC = 0xE9  # the first byte of an ESP32 application image (esp_image_header_t)

# Boot states kept in the stand-in's otadata (ESP-IDF's esp_ota_img_states_t).
VALID = "valid"
NEW = "new"
PENDING = "pending"


def running() -> "Any":
    """The partition the firmware runs from, or None when the board has no
    OTA partitions."""
    if Partition is not None:
        return Partition(Partition.RUNNING)
    folder = _getenv("REMORA_OTA_DIR")
    if not folder:
        return None
    return FilePartition(_boot(folder)[0], folder)


def next_update() -> "Any":
    """The partition an update goes to, or None (no OTA partitions: a
    firmware built without an OTA partition table, or no stand-in)."""
    current = running()
    if current is None:
        return None
    try:
        return current.get_next_update()
    except OSError:
        return None


def confirm() -> bool:
    """Mark the running firmware good (cancel the rollback); False where
    the firmware has no rollback to cancel."""
    if Partition is not None:
        try:
            Partition.mark_app_valid_cancel_rollback()
            return True
        except OSError:
            return False  # OSError(-261): built without app rollback
    if running() is None:
        return False
    FilePartition.mark_app_valid_cancel_rollback()
    return True


def state() -> "Tuple[Optional[str], Optional[str], Optional[str]]":
    """(running label, boot label, boot state) where known."""
    if Partition is not None:
        return (Partition(Partition.RUNNING).info()[4], Partition(Partition.BOOT).info()[4], None)
    folder = _getenv("REMORA_OTA_DIR")
    if not folder:
        return (None, None, None)
    booted = _boot(folder)[0]
    label, status = _read_otadata(folder)
    return (booted, label, status)


def _getenv(name: str) -> "Optional[str]":
    getenv = getattr(os, "getenv", None)
    return getenv(name) if getenv is not None else None


# -- the stand-in -------------------------------------------------------------------

_BOOTED = []  # type: List[Tuple[str, str]]  # (label booted, folder): once per process


def _read_otadata(folder: str) -> "Tuple[str, str]":
    try:
        with open(folder + "/otadata") as f:
            label, status = f.read().split()
            return label, status
    except (OSError, ValueError):
        return "ota_0", VALID  # flashed by esptool: no otadata yet


def _write_otadata(folder: str, label: str, status: str) -> None:
    with open(folder + "/otadata", "w") as f:
        f.write(label + " " + status + "\n")


def _boot(folder: str) -> "Tuple[str, str]":
    # What the bootloader does at a reset, once per process.
    if _BOOTED and _BOOTED[0][1] == folder:
        return _BOOTED[0]
    label, status = _read_otadata(folder)
    if status == NEW:
        _write_otadata(folder, label, PENDING)  # its first boot: verify it
    elif status == PENDING:
        # Booted before and never confirmed: roll back to the other slot.
        label = _other(label)
        _write_otadata(folder, label, VALID)
    booted = (label, folder)
    _BOOTED[:] = [booted]
    return booted


def _other(label: str) -> str:
    return "ota_1" if label == "ota_0" else "ota_0"


class FilePartition:
    """An OTA slot in a file, with esp32.Partition's methods (see above)."""

    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0

    def __init__(self, label: str, folder: str) -> None:
        self.label = label
        self.folder = folder
        self.size = int(_getenv("REMORA_OTA_BYTES") or 0x180000)
        self.path = folder + "/" + label + ".bin"

    def _file(self) -> "Any":
        try:
            return open(self.path, "r+b")
        except OSError:
            f = open(self.path, "w+b")
            return f

    def info(self) -> "Tuple[int, int, int, int, str, bool]":
        slot = 0 if self.label == "ota_0" else 1
        return (self.TYPE_APP, 0x10 + slot, 0x10000 + slot * self.size, self.size, self.label, False)

    def readblocks(self, block: int, buf: "Any", offset: int = 0) -> None:
        with self._file() as f:
            f.seek(block * BLOCK_BYTES + offset)
            data = f.read(len(buf))
        buf[: len(data)] = data
        for i in range(len(data), len(buf)):
            buf[i] = 0xFF  # never written: erased flash

    def writeblocks(self, block: int, buf: "Any", offset: "Optional[int]" = None) -> None:
        # The simple protocol (no offset) erases the blocks first, as the
        # ESP32's does; the extended one writes into erased blocks.
        start = block * BLOCK_BYTES + (offset or 0)
        if start < 0 or start + len(buf) > self.size:
            raise OSError(22)  # EINVAL: outside the partition
        with self._file() as f:
            f.seek(start)
            f.write(buf)

    def ioctl(self, cmd: int, arg: int) -> "Optional[int]":
        if cmd == 4:
            return self.size // BLOCK_BYTES
        if cmd == 5:
            return BLOCK_BYTES
        if cmd == 6:
            if not 0 <= arg < self.size // BLOCK_BYTES:
                raise OSError(22)
            with self._file() as f:
                f.seek(arg * BLOCK_BYTES)
                f.write(b"\xff" * BLOCK_BYTES)
            return 0
        return 0  # init, deinit, sync

    def get_next_update(self) -> "FilePartition":
        return FilePartition(_other(self.label), self.folder)

    def set_boot(self) -> None:
        # ESP-IDF's esp_ota_set_boot_partition verifies the image first:
        # here its magic byte stands for that check.
        head = bytearray(1)
        self.readblocks(0, head)
        if head[0] != IMAGE_MAGIC:
            raise OSError(22)
        _write_otadata(self.folder, self.label, NEW)

    @classmethod
    def mark_app_valid_cancel_rollback(cls) -> None:
        folder = _getenv("REMORA_OTA_DIR")
        if folder:
            label = _boot(folder)[0]
            status = _read_otadata(folder)
            if status[0] == label:
                _write_otadata(folder, label, VALID)
