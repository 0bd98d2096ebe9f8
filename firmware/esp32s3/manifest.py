# ESP32-S3 (MicroPython's ESP32_GENERIC_S3): the port's manifest (asyncio, networking, ...),
# then remora.
include("$(PORT_DIR)/boards/manifest.py")
include("../manifest.py")
