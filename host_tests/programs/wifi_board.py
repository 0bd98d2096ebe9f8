"""A board that boots with remora.start, its network module played by fake_network.

    wifi_board.py CONFIG NETWORKS_JSON HANG_FIRST

CONFIG is a /remora.json; NETWORKS_JSON the {ssid: password} in reach.
"""

import json
import sys

import fake_network

sys.modules["network"] = fake_network
fake_network.configure(json.loads(sys.argv[2]), int(sys.argv[3]))

import remora.start  # noqa: E402  (after the fake network is in place)

remora.start.main(sys.argv[1])
