# ESP32 (MicroPython's ESP32_GENERIC): the port's manifest (asyncio, networking, ...), which
# is what ESP32_GENERIC freezes by itself, then remora.
include("$(PORT_DIR)/boards/manifest.py")
include("../manifest.py")
