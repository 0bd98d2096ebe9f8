# Wi-Fi in the port layer: the only module that talks to the board's ``network``.
#
# The boards remora runs on (ESP32, ESP32-S3, Pico W) have MicroPython's
# network.WLAN, with the same calls on both ports (MicroPython's
# docs/library/network.WLAN.rst): active(), connect(), status(),
# isconnected(), ipconfig() (1.24 and later; ifconfig() before), config().
# Their status codes differ (ESP32: STAT_GOT_IP is 1010; rp2: 3), so they are
# read through the network.STAT_* names the port defines, never as numbers.
#
# Where there is no ``network`` module (the simulated board, which is the unix
# port, and CPython) the board's Wi-Fi is always connected, and the address is
# 127.0.0.1: a server on it is reached there.  A test may put its own
# ``network`` module in sys.modules first to play a board's.

try:
    from typing import Any, List, Optional
except ImportError:
    pass

try:
    import network
except ImportError:
    network = None

SIMULATED = network is None

# Our station statuses: small ints, the same on every port.
IDLE = 0
CONNECTING = 1
CONNECTED = 2
WRONG_PASSWORD = 3
NO_AP_FOUND = 4
FAILED = 5

NAMES = ("idle", "connecting", "connected", "wrong password", "network not found", "failed")

# network.STAT_* name -> our status (the names both ports define).
_STATUS = (
    ("STAT_IDLE", IDLE),
    ("STAT_CONNECTING", CONNECTING),
    ("STAT_GOT_IP", CONNECTED),
    ("STAT_WRONG_PASSWORD", WRONG_PASSWORD),
    ("STAT_NO_AP_FOUND", NO_AP_FOUND),
    ("STAT_CONNECT_FAIL", FAILED),
)

_SIM_ADDRESS = "127.0.0.1"


def _station() -> "Any":
    return network.WLAN(network.STA_IF)


def _address(wlan: "Any") -> str:
    if hasattr(wlan, "ipconfig"):
        return wlan.ipconfig("addr4")[0]
    return wlan.ifconfig()[0]


def connect(ssid: str, password: str, hostname: "Optional[str]" = None) -> None:
    """Start joining ssid as a station; status() tells how it goes."""
    if SIMULATED:
        return
    if hostname and hasattr(network, "hostname"):
        network.hostname(hostname)
    wlan = _station()
    wlan.active(True)
    try:
        wlan.disconnect()  # a connect while one is under way fails on the ESP32
    except OSError:
        pass
    wlan.connect(ssid, password)


def status() -> int:
    """The station's status: one of IDLE ... FAILED."""
    if SIMULATED:
        return CONNECTED
    wlan = _station()
    if wlan.isconnected():
        return CONNECTED
    code = wlan.status()
    for name, ours in _STATUS:
        if getattr(network, name, None) == code:
            return ours
    # ESP32 codes without a shared name (beacon timeout, handshake timeout,
    # association failure) are failures too.
    return FAILED if code not in (0, 1000, 1001) else CONNECTING


def address() -> str:
    """The station's IPv4 address (127.0.0.1 on the simulated board)."""
    if SIMULATED:
        return _SIM_ADDRESS
    return _address(_station())


def disconnect() -> None:
    if not SIMULATED:
        wlan = _station()
        try:
            wlan.disconnect()
        except OSError:
            pass


def scan() -> "List[str]":
    """Names of the networks in reach (none on the simulated board), strongest first."""
    if SIMULATED:
        return []
    wlan = _station()
    wlan.active(True)
    found = []  # type: List[str]
    try:
        nets = wlan.scan()  # (ssid, bssid, channel, RSSI, security, hidden)
    except OSError:
        return found
    nets.sort(key=lambda n: -n[3])
    for net in nets:
        name = net[0].decode("utf-8", "replace") if isinstance(net[0], bytes) else net[0]
        if name and name not in found:
            found.append(name)
    return found


def suffix() -> str:
    """Four hex digits from the board's MAC address, to tell boards' access points apart."""
    if SIMULATED:
        return "0000"
    mac = _station().config("mac")
    return "%02x%02x" % (mac[-2], mac[-1])


def start_access_point(ssid: str, password: str = "") -> str:
    """Open an access point (WPA2 with a password of 8 to 63 characters, else open);
    returns the board's address on it."""
    if SIMULATED:
        return _SIM_ADDRESS
    ap = network.WLAN(network.AP_IF)
    ap.active(True)
    if password:
        # WPA2's code differs by port (the ESP32's AUTH_WPA2_PSK is 3, the CYW43's is
        # 0x00400004): take the port's own name for it, and leave the port's default
        # where it has none.
        wpa2 = getattr(network.WLAN, "SEC_WPA2", None)
        if wpa2 is None:
            wpa2 = getattr(network, "AUTH_WPA2_PSK", None)
        if wpa2 is None:
            ap.config(ssid=ssid, key=password)
        else:
            ap.config(ssid=ssid, key=password, security=wpa2)
    else:
        ap.config(ssid=ssid, security=0)  # open: 0 on every port
    return _address(ap)


def stop_access_point() -> None:
    if not SIMULATED:
        network.WLAN(network.AP_IF).active(False)
