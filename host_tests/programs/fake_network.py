"""A stand-in for a board's ``network`` module (MicroPython's network.WLAN API, rp2's codes).

The Wi-Fi bring-up test puts it in sys.modules["network"] before remora.port.wifi is
imported, so the real-board path of the port runs against networks the test describes:
``configure(networks, hang_first)``: {ssid: password} in reach, and how many connects
never get an answer (a station that stays "connecting" until the bring-up gives up).
"""

STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_GOT_IP = 3
STAT_CONNECT_FAIL = -1
STAT_NO_AP_FOUND = -2
STAT_WRONG_PASSWORD = -3

_state = {"networks": {}, "hang": 0, "connects": 0, "status": STAT_IDLE, "ap": False}


def configure(networks, hang_first=0):
    _state["networks"] = dict(networks)
    _state["hang"] = hang_first


def hostname(name=None):
    return "fake"


class WLAN:
    def __init__(self, iface):
        self.iface = iface

    def active(self, on=None):
        if on is not None and self.iface == AP_IF:
            _state["ap"] = bool(on)
            print("FAKE access point", "on" if on else "off")
        return True

    def connect(self, ssid, key):
        _state["connects"] += 1
        if _state["connects"] <= _state["hang"]:
            _state["status"] = STAT_CONNECTING
        elif ssid not in _state["networks"]:
            _state["status"] = STAT_NO_AP_FOUND
        elif _state["networks"][ssid] != key:
            _state["status"] = STAT_WRONG_PASSWORD
        else:
            _state["status"] = STAT_GOT_IP

    def disconnect(self):
        _state["status"] = STAT_IDLE

    def status(self):
        return _state["status"]

    def isconnected(self):
        return _state["status"] == STAT_GOT_IP

    def ipconfig(self, key):
        if self.iface == AP_IF:
            return ("127.0.0.1", "255.255.255.0")
        return ("192.0.2.7", "255.255.255.0")  # TEST-NET-1: a documentation address

    def config(self, *args, **kw):
        if args == ("mac",):
            return b"\x02\x00\x00\x00\xa1\xb2"
        print("FAKE config", sorted(kw.items()))
        return None

    def scan(self):
        return [(b"weak", b"\x00" * 6, 1, -80, 3, False),
                (b"home", b"\x00" * 6, 6, -40, 3, False)]
