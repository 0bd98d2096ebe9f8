"""``remora flash``: what can be checked without a board.

The exact esptool command lines for each ESP32 board; esptool's own offline checks
(``image-info`` reads our test image, ``merge-bin`` places it at the board's offset);
refusals of a wrong file or board (not an ESP image, an image for the wrong chip, a bad
checksum, a merged image given for the ESP32's 0x1000, a UF2 for another family, a folder
that is not the RPI-RP2 drive); and the UF2 copy into a folder standing for that drive.
The test images are made here in esptool's and UF2's documented formats.
"""

import os
import struct
import subprocess
import sys

import pytest

from harness import REPO

ESPTOOL = os.path.join(os.path.dirname(sys.executable), "esptool")


def esp_image(chip_id: int, data: bytes = bytes(range(16))) -> bytes:
    """A minimal ESP image: header, extended header (with the chip id), one segment, checksum."""
    header = struct.pack("<BBBBI", 0xE9, 1, 2, 0x20, 0x40080000)  # 1 segment, DIO, 4MB 40m
    extended = struct.pack("<B3sHBHH4sB", 0xEE, bytes(3), chip_id, 0, 0, 0xFFFF, bytes(4), 0)
    segment = struct.pack("<II", 0x3FFB0000, len(data)) + data  # DRAM
    body = header + extended + segment
    checksum = 0xEF
    for b in data:
        checksum ^= b
    return body + bytes(15 - len(body) % 16) + bytes([checksum])  # checksum ends a 16-byte row


def uf2(family: int, blocks: int = 2) -> bytes:
    out = b""
    for n in range(blocks):
        head = struct.pack("<8I", 0x0A324655, 0x9E5D5157, 0x2000, 0x10000000 + 256 * n, 256,
                           n, blocks, family)
        out += head + bytes(256) + bytes(476 - 256) + struct.pack("<I", 0x0AB16F30)
    return out


def flash(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "remora_tools.flash"] + list(args),
                          capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.fixture
def images(tmp_path):
    made = {}
    for name, chip in (("esp32", 0), ("esp32s3", 9)):
        path = tmp_path / ("%s.bin" % name)
        path.write_bytes(esp_image(chip))
        made[name] = str(path)
    return made


@pytest.mark.parametrize("board,chip,offset", [
    ("esp32", "esp32", "0x1000"),
    ("esp32s3", "esp32s3", "0x0"),
])
def test_the_exact_esptool_commands(images, board, chip, offset):
    proc = flash("--board", board, "--port", "/dev/ttyUSB7", "--erase", "--dry-run",
                 images[board])
    assert proc.returncode == 0, proc.stderr
    base = "%s --chip %s --port /dev/ttyUSB7 --baud 460800" % (ESPTOOL, chip)
    assert proc.stdout.splitlines() == [
        "remora flash: %s erase-flash" % base,
        "remora flash: %s write-flash -z %s %s" % (base, offset, images[board]),
    ]
    proc = flash("--board", board, "--port", "COM3", "--baud", "115200", "--dry-run",
                 images[board])
    assert proc.stdout.splitlines() == [
        "remora flash: %s --chip %s --port COM3 --baud 115200 write-flash -z %s %s"
        % (ESPTOOL, chip, offset, images[board]),
    ]


def test_esptool_reads_the_image_and_merges_it_at_the_offset(images, tmp_path):
    info = subprocess.run([ESPTOOL, "--chip", "esp32", "image-info", images["esp32"]],
                          capture_output=True, text=True, timeout=60)
    assert info.returncode == 0, info.stderr
    assert "Chip ID: 0 (ESP32)" in info.stdout and "(valid)" in info.stdout
    merged = tmp_path / "merged.bin"
    proc = subprocess.run([ESPTOOL, "--chip", "esp32", "merge-bin", "-o", str(merged),
                           "0x1000", images["esp32"]], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    data = merged.read_bytes()
    assert data[:0x1000] == b"\xff" * 0x1000 and data[0x1000:] == esp_image(0)
    # A merged image goes at 0x0, not at the ESP32's 0x1000: refused, with the reason.
    proc = flash("--board", "esp32", "--port", "/dev/ttyUSB0", "--dry-run", str(merged))
    assert proc.returncode == 1
    assert "not an ESP firmware image for offset 0x1000 (first byte 0xff" in proc.stderr


def test_wrong_files_and_boards_are_refused(images, tmp_path):
    cases = []
    bad = tmp_path / "bad.bin"
    image = bytearray(esp_image(0))
    image[0x20] ^= 1  # a data byte: the checksum no longer matches
    bad.write_bytes(bytes(image))
    cases.append((("esp32", str(bad)), "esptool image-info refuses"))
    cases.append((("esp32", images["esp32s3"]), "built for chip id 9, and the esp32 board's chip"))
    cases.append((("esp32s3", images["esp32"]), "built for chip id 0, and the esp32s3"))
    rp2350 = tmp_path / "rp2350.uf2"
    rp2350.write_bytes(uf2(0xE48BFF59))
    cases.append((("picow", str(rp2350)), "UF2 family 0xe48bff59"))
    cases.append((("picow", images["esp32"]), "not a UF2 file"))
    pico = tmp_path / "pico.uf2"
    pico.write_bytes(uf2(0xE48BFF56))
    cases.append((("esp32", str(pico)), "is a UF2 file (RP2040)"))
    cases.append((("unix", images["esp32"]), "the unix board is not flashed"))
    cases.append((("nosuch", images["esp32"]), "unknown board 'nosuch'"))
    for (board, path), message in cases:
        proc = flash("--board", board, "--port", str(tmp_path), "--dry-run", path)
        assert proc.returncode != 0, (board, path)
        assert message in proc.stderr, (board, path, proc.stderr)
    assert sorted(os.listdir(tmp_path)) == ["bad.bin", "esp32.bin", "esp32s3.bin",
                                            "pico.uf2", "rp2350.uf2"]  # nothing copied


def test_the_uf2_is_copied_onto_the_rpi_rp2_drive(tmp_path):
    firmware = tmp_path / "RPI_PICO_W-v1.28.0.uf2"
    firmware.write_bytes(uf2(0xE48BFF56, 4))
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    proc = flash("--board", "picow", "--port", str(drive), str(firmware))
    assert proc.returncode == 1 and "no INFO_UF2.TXT" in proc.stderr  # not the drive
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\n"
                                        "Board-ID: RPI-RP2\n")
    proc = flash("--board", "picow", "--port", str(drive), str(firmware))
    assert proc.returncode == 0, proc.stderr
    assert "(4 blocks)" in proc.stdout
    assert (drive / firmware.name).read_bytes() == firmware.read_bytes()
