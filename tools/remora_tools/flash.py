"""``remora flash --board NAME --port DEVICE FIRMWARE``: write a firmware image to a board.

    remora flash --board esp32 --port /dev/ttyUSB0 [--erase] [--baud N] firmware.bin
    remora flash --board picow --port /media/$USER/RPI-RP2 firmware.uf2
    remora flash ... --dry-run        # check the image, print the commands, write nothing

ESP32 boards: esptool (pinned in requirements-dev.txt) with the board's chip, the image's
offset and a baud rate, as MicroPython's download pages give them: a MicroPython ESP32
firmware ``.bin`` holds the bootloader, the partition table and the application, and goes
at 0x1000 on the ESP32 and at 0x0 on the ESP32-S3.  ``--erase`` erases the whole flash
first (``erase-flash``), which a board that ran other firmware needs; it also erases the
filesystem, and with it a deployed application.

Before anything is written the image is checked offline: its first byte must be an ESP
image's magic (0xE9: an image merged for offset 0x0 given for an ESP32, whose image starts
at 0x1000, begins with padding), the chip id in its extended header must be the board's
chip (esptool's image format: ESP32 is 0, ESP32-S3 is 9), and ``esptool image-info`` must
read it with a valid checksum.

RP2040 (Pico W): the board, started with BOOTSEL held, shows up as a USB drive named
RPI-RP2 (its INFO_UF2.TXT names the bootloader); ``--port`` is where that drive is mounted,
and the UF2 file is copied onto it (the board then reboots into the new firmware).  Where
``--port`` is not such a folder and picotool is installed, ``picotool load -x`` writes the
image over USB instead.  The UF2 blocks must carry the RP2040's family id (0xE48BFF56).
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

from . import boards, paths

# remora board -> how it is flashed.  ESP chip ids: esptool's ESPLoader.IMAGE_CHIP_ID.
ESP: Dict[str, Tuple[str, int, int, int]] = {
    # board: (esptool --chip, image offset, chip id in the image, baud)
    "esp32": ("esp32", 0x1000, 0, 460800),
    "esp32s3": ("esp32s3", 0x0, 9, 460800),
    "esp32s3spiram": ("esp32s3", 0x0, 9, 460800),
}
UF2: Dict[str, int] = {"picow": 0xE48BFF56}  # board: UF2 family id (RP2040)

ESP_MAGIC = 0xE9
UF2_MAGIC = (0x0A324655, 0x9E5D5157)  # "UF2\n" and the second start magic
UF2_END = 0x0AB16F30
UF2_FAMILY_FLAG = 0x00002000


class FlashError(Exception):
    pass


def esptool() -> List[str]:
    """The esptool command (the venv's, else PATH's), as argv's first words."""
    try:
        return [paths.find_tool("esptool")]
    except SystemExit:
        raise FlashError("esptool is not installed: run `make setup` (requirements-dev.txt)")


def check_esp(board: str, firmware: str) -> None:
    """Refuse an image that is not an ESP image for this board's chip."""
    chip, offset, chip_id, _ = ESP[board]
    with open(firmware, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[0] != ESP_MAGIC:
        raise FlashError(
            "%s is not an ESP firmware image for offset 0x%x (first byte 0x%02x, an image "
            "starts with 0x%02x)" % (firmware, offset, head[0] if head else 0, ESP_MAGIC))
    found = struct.unpack_from("<H", head, 12)[0]
    if found != chip_id:
        raise FlashError("%s is built for chip id %d, and the %s board's chip (%s) is %d"
                         % (firmware, found, board, chip, chip_id))
    proc = subprocess.run(esptool() + ["--chip", chip, "image-info", firmware],
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "(invalid" in out:
        last = [ln for ln in out.splitlines() if ln.strip()][-1:] or ["no output"]
        raise FlashError("esptool image-info refuses %s: %s" % (firmware, last[0].strip()))


def check_uf2(board: str, firmware: str) -> int:
    """Refuse a file that is not UF2 for this board's family; returns its block count."""
    family = UF2[board]
    with open(firmware, "rb") as f:
        data = f.read()
    if not data or len(data) % 512:
        raise FlashError("%s is not a UF2 file (not whole 512-byte blocks)" % firmware)
    for at in range(0, len(data), 512):
        m0, m1, flags, _addr, _size, _no, count, fam = struct.unpack_from("<8I", data, at)
        end = struct.unpack_from("<I", data, at + 508)[0]
        if (m0, m1) != UF2_MAGIC or end != UF2_END:
            raise FlashError("%s is not a UF2 file (block %d has no UF2 magic)"
                             % (firmware, at // 512))
        if not flags & UF2_FAMILY_FLAG or fam != family:
            raise FlashError("%s is for UF2 family 0x%08x, and the %s board needs 0x%08x "
                             "(RP2040)" % (firmware, fam, board, family))
    return len(data) // 512


def esp_commands(board: str, port: str, firmware: str, erase: bool,
                 baud: Optional[int]) -> List[List[str]]:
    chip, offset, _, default_baud = ESP[board]
    base = esptool() + ["--chip", chip, "--port", port, "--baud", str(baud or default_baud)]
    commands = []
    if erase:
        commands.append(base + ["erase-flash"])
    commands.append(base + ["write-flash", "-z", "0x%x" % offset, firmware])
    return commands


def is_uf2_drive(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "INFO_UF2.TXT"))


def flash(args: argparse.Namespace) -> int:
    board, port, firmware = args.board, args.port, args.firmware
    boards.board_file(board)
    if not os.path.isfile(firmware):
        raise FlashError("no such file: %s" % firmware)
    if board in ESP:
        if firmware.lower().endswith(".uf2"):
            raise FlashError("%s is a UF2 file (RP2040); the %s board takes a .bin" % (firmware, board))
        check_esp(board, firmware)
        commands = esp_commands(board, port, firmware, args.erase, args.baud)
        for argv in commands:
            print("remora flash: " + " ".join(argv), flush=True)
            if not args.dry_run:
                rc = subprocess.run(argv).returncode
                if rc != 0:
                    raise FlashError("esptool exited with %d" % rc)
        return 0
    if board in UF2:
        blocks = check_uf2(board, firmware)
        if os.path.isdir(port):
            if not is_uf2_drive(port):
                raise FlashError("%s has no INFO_UF2.TXT: not the RPI-RP2 drive (hold BOOTSEL "
                                 "while plugging the board in, then give its mount point)" % port)
            target = os.path.join(port, os.path.basename(firmware))
            print("remora flash: copying %s (%d blocks) to %s" % (firmware, blocks, target))
            if not args.dry_run:
                shutil.copyfile(firmware, target)
            return 0
        picotool = shutil.which("picotool")
        if picotool is None:
            raise FlashError("%s is not a mounted RPI-RP2 drive and picotool is not installed: "
                             "hold BOOTSEL while plugging the board in, and give the drive's "
                             "mount point as --port" % port)
        argv = [picotool, "load", "-x", firmware]
        print("remora flash: " + " ".join(argv), flush=True)
        if not args.dry_run and subprocess.run(argv).returncode != 0:
            raise FlashError("picotool failed")
        return 0
    raise FlashError("the %s board is not flashed (it has no firmware image: boards with one "
                     "are %s)" % (board, ", ".join(sorted(list(ESP) + list(UF2)))))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="remora flash", description=__doc__.split("\n\n")[0],
        epilog="example:\n  remora flash --board esp32 --port /dev/ttyUSB0 --erase build/firmware/esp32/firmware.bin",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("firmware", help="the image: .bin for ESP32 boards, .uf2 for the Pico W")
    parser.add_argument("--board", required=True, help="board profile (remora boards)")
    parser.add_argument("--port", required=True,
                        help="serial port (ESP32) or the RPI-RP2 drive's mount point (Pico W)")
    parser.add_argument("--erase", action="store_true", help="erase the whole flash first")
    parser.add_argument("--baud", type=int, help="esptool's baud rate (default 460800)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the image and print the commands; write nothing")
    args = parser.parse_args(argv)
    try:
        return flash(args)
    except FlashError as exc:
        print("remora flash: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
