"""Start a deployed application on a board: what ``main.py`` calls.

    import remora.start
    remora.start.main()            # reads /remora.json

``remora deploy`` writes ``/remora.json`` beside the application::

    {"state": "ok", "app": "/app", "module": "main", "args": ["--port", "80", ...],
     "http_port": 80, "wifi": {...}}

``main()`` checks that the last deploy finished (``state`` is ``"ok"``: a deploy that was
cut off while it replaced files leaves ``"installing"``, and a half-replaced application is
not started), makes the board profile (``remora_board``) the active one, brings the network
up (``remora.wifi``: station with retries, else the setup page on an access point), prints
where the application will answer, and runs ``module.main(args)`` from the application's
folder on a new dispatcher, with ``remora.wifi.watch`` beside it to join again when the
link drops.  A board whose /remora.json is missing or unreadable says so and starts nothing:
the REPL stays free for ``remora deploy``.
"""

import sys

# Leaf modules first: each import below finds the ones it needs already loaded, so no
# import chain grows deep (MicroPython's C stack is small, and main.py already runs inside
# the firmware's start-up).
from . import port  # noqa: I001
from . import profile
from . import dispatcher
from . import wifi

try:
    from typing import Any, Dict, Optional
except ImportError:
    pass

CONFIG = "/remora.json"


def say(text: str) -> None:
    print("remora: " + text)


def load(path: str = CONFIG) -> "Optional[Dict[str, Any]]":
    """The deploy's settings, or None (said on the console) when they cannot be used."""
    import json

    try:
        with open(path) as f:
            cfg = json.load(f)
    except OSError:
        say("no %s: deploy an application with `remora deploy`" % path)
        return None
    except ValueError:
        say("%s is not JSON: deploy again" % path)
        return None
    state = cfg.get("state")
    if state != "ok":
        say("the last deploy did not finish (%s): run `remora deploy` again" % state)
        return None
    return cfg


async def _application(cfg: "Dict[str, Any]", address: str) -> "Any":
    dispatcher.spawn(wifi.watch(cfg.get("wifi")))
    say("starting %s on http://%s:%s/" % (cfg["app"], address, cfg.get("http_port", 80)))
    module = __import__(cfg["module"])
    return await module.main(list(cfg.get("args") or ()))


def main(path: str = CONFIG) -> None:
    cfg = load(path)
    if cfg is None:
        return
    try:
        import remora_board

        profile.use(remora_board.PROFILE)
    except ImportError:
        say("no board profile (remora_board): using the defaults")
    # Start-up's garbage must not scatter long-lived objects (remora.launch does the same).
    port.pace_heap(profile.get("heap_bytes") // 8)
    address = None
    while address is None:  # None: the setup page saved new credentials; join with them
        address = dispatcher.run(wifi.bring_up, cfg.get("wifi"))
    sys.path.insert(0, cfg["app"])
    dispatcher.run(_application, cfg, address)
