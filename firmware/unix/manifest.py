# The simulated board's firmware: MicroPython's unix port, 32-bit, with remora frozen in
# (built by tools/remora_tools/firmware.py; paths are relative to this file).
#
# The unix port's own manifest (ports/unix/variants/manifest.py) names micropython-lib
# packages that a source tree with only python-stdlib/ssl lacks, so this one lists what a
# board's firmware brings instead: asyncio, ssl (micropython-lib's wrapper of the C `tls`
# module), the whole remora package, and the start-up that mounts the simulated flash
# (a board's firmware mounts its ROMFS partition itself).
include("$(MPY_DIR)/extmod/asyncio")
require("ssl")
include("../manifest.py")
module("remora_rom.py", base_path="..")
# `remora sim`: the simulated board's reset sequence, its machine.reset() and its sized flash
# (with the simboard C module, firmware/cmodules/simboard).
module("simboot.py", base_path="../sim")
module("simmachine.py", base_path="../sim")
module("simflashfs.py", base_path="../sim")
