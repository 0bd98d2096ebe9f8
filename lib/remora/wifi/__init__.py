"""Network bring-up for a board: join Wi-Fi, or ask for credentials on an access point.

    import remora
    from remora import wifi

    address = remora.run(wifi.bring_up, settings)   # None: new credentials were saved

``bring_up(settings)`` (a coroutine, run on the dispatcher) joins the network named in the
credentials file (``/wifi.json``: ``{"ssid": ..., "password": ...}``) as a station, and
returns the board's address.  Each attempt waits up to ``connect_ms`` for an address; a
failed one (network not found, wrong password, timeout) is retried after a back-off that
doubles from ``backoff_ms`` up to ``backoff_max_ms``, ``attempts`` times.  Then, or at once
when there are no credentials, with ``ap_fallback`` the board opens an access point
(``ap_ssid``, default ``remora-XXXX`` from its MAC address; ``ap_password``, default none)
and serves a small setup page (``remora.wifi.setup``, a ``remora.http.App`` on
``setup_port``) where a phone or laptop enters the network's name and password; once saved,
the page's server stops and bring_up returns None, and the caller runs it again (the
dispatcher's run ends, so the setup page's heap is free before the station connects).
Without ``ap_fallback`` it keeps trying at the longest back-off.

Each step is printed (``remora: wifi: ...``), so the console shows the status at boot.
``watch(settings)`` is a task for after the bring-up: it checks the link every
``watch_ms`` and joins again, with the same back-off, when it dropped.

The Wi-Fi calls are the port's (``remora.port.wifi``); on the simulated board and on
CPython the Wi-Fi is always connected, at 127.0.0.1, so bring_up returns at once.
"""

from .station import DEFAULTS, bring_up, join, settings, watch  # noqa: F401
