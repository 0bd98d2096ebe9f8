"""Wi-Fi credentials on the board's flash, and the bring-up's console lines.

The file (``/wifi.json`` by default) is ``{"ssid": ..., "password": ...}``; the setup page
(``remora.wifi.setup``) writes it, and so can ``remora deploy --ssid``.
"""

try:
    from typing import Dict, Optional
except ImportError:
    pass


def log(text: str) -> None:
    print("remora: wifi: " + text)


def load_credentials(path: str) -> "Optional[Dict[str, str]]":
    """The saved ``{"ssid", "password"}``, or None when there are none (or unreadable)."""
    import json

    try:
        with open(path) as f:
            creds = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(creds, dict) or not creds.get("ssid"):
        return None
    return {"ssid": str(creds["ssid"]), "password": str(creds.get("password") or "")}


def save_credentials(path: str, ssid: str, password: str) -> None:
    """Write the credentials file whole: a new file renamed over the old one."""
    import json
    import os

    tmp = path + ".new"
    with open(tmp, "w") as f:
        json.dump({"ssid": ssid, "password": password}, f)
    os.rename(tmp, path)
