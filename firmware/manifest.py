# Freezes remora into a MicroPython firmware image (paths are relative to this file).
# The port's own manifest comes first: a FROZEN_MANIFEST replaces it, and it brings asyncio.
include("$(PORT_DIR)/boards/manifest.py")
package("remora", base_path="../lib")
