# Raspberry Pi Pico W (MicroPython's RPI_PICO_W): the port's manifest (asyncio, ...), the
# networking bundle that RPI_PICO_W's own manifest adds, then remora.
include("$(PORT_DIR)/boards/manifest.py")
require("bundle-networking")
include("../manifest.py")
