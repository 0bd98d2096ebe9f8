"""Station mode with retries and back-off (see ``remora.wifi``)."""

from .. import port
from ..port import wifi as link
from .creds import load_credentials, log

try:
    from typing import Any, Dict, Optional
except ImportError:
    pass

DEFAULTS = {
    "credentials": "/wifi.json",
    "attempts": 5,
    "connect_ms": 15000,
    "backoff_ms": 1000,
    "backoff_max_ms": 30000,
    "ap_fallback": True,
    "ap_ssid": None,
    "ap_password": "",
    "setup_port": 80,
    "hostname": None,
    "watch_ms": 10000,
}

_POLL_MS = 100  # how often a connecting station's status is read


def settings(overrides: "Optional[Dict[str, Any]]" = None) -> "Dict[str, Any]":
    """DEFAULTS with overrides (the ``wifi`` part of a board's /remora.json) applied."""
    cfg = dict(DEFAULTS)
    if overrides:
        cfg.update(overrides)
    return cfg


async def _wait_connected(timeout_ms: int) -> int:
    """Poll the station until it is connected, fails, or timeout_ms passes."""
    start = port.ticks_ms()
    while True:
        state = link.status()
        if state == link.CONNECTED or state in (link.WRONG_PASSWORD, link.NO_AP_FOUND):
            return state
        if port.ticks_diff(port.ticks_ms(), start) >= timeout_ms:
            return state if state == link.FAILED else link.IDLE
        await port.sleep_ms(_POLL_MS)


async def join(cfg: "Dict[str, Any]", creds: "Dict[str, str]") -> "Optional[str]":
    """Try to join creds' network up to cfg["attempts"] times; the address, or None."""
    delay = cfg["backoff_ms"]
    attempts = cfg["attempts"]
    for attempt in range(1, attempts + 1):
        log("connecting to %r (attempt %d of %d)" % (creds["ssid"], attempt, attempts))
        try:
            link.connect(creds["ssid"], creds["password"], cfg["hostname"])
            state = await _wait_connected(cfg["connect_ms"])
        except OSError as exc:  # the radio refused (busy, not started)
            log("the radio failed: %r" % (exc,))
            state = link.FAILED
        if state == link.CONNECTED:
            address = link.address()
            log("connected to %r as %s" % (creds["ssid"], address))
            return address
        why = "no answer in time" if state == link.IDLE else link.NAMES[state]
        log("attempt %d failed: %s" % (attempt, why))
        if attempt < attempts:
            log("trying again in %d ms" % delay)
            await port.sleep_ms(delay)
            delay = min(delay * 2, cfg["backoff_max_ms"])
    link.disconnect()
    return None


async def bring_up(overrides: "Optional[Dict[str, Any]]" = None) -> "Optional[str]":
    """Join the network (see the module's doc); the address, or None after a setup."""
    cfg = settings(overrides)
    if link.SIMULATED:
        log("simulated board: always connected, as %s" % link.address())
        return link.address()
    while True:
        creds = load_credentials(cfg["credentials"])
        if creds is None:
            log("no credentials in %s" % cfg["credentials"])
        else:
            address = await join(cfg, creds)
            if address is not None:
                return address
        if cfg["ap_fallback"]:
            from . import setup  # only when needed: it brings remora.http along

            await setup.serve(cfg)
            return None  # the credentials changed: the caller brings the network up again
        log("trying again in %d ms" % cfg["backoff_max_ms"])
        await port.sleep_ms(cfg["backoff_max_ms"])


async def watch(overrides: "Optional[Dict[str, Any]]" = None) -> None:
    """Join again whenever the link drops (a task for the application's dispatcher)."""
    cfg = settings(overrides)
    if link.SIMULATED:
        return
    while True:
        await port.sleep_ms(cfg["watch_ms"])
        if link.status() == link.CONNECTED:
            continue
        log("the link dropped")
        creds = load_credentials(cfg["credentials"])
        while creds is not None and await join(cfg, creds) is None:
            await port.sleep_ms(cfg["backoff_max_ms"])
