"""The Wi-Fi setup page: an access point and a form for the network's name and password.

``serve(cfg)`` opens the access point, serves the form with a ``remora.http.App`` on
``cfg["setup_port"]``, and returns once a visitor has saved credentials that look valid
(a name of 1 to 32 bytes, IEEE 802.11's SSID length; a password that is empty for an open
network or 8 to 63 characters, WPA2's passphrase rule).  The page then says the board is
joining that network, and the server stops: ``App.shutdown`` ends the dispatcher's run, and
``remora.wifi.bring_up``'s caller runs the bring-up again with the new credentials.
"""

from .. import port
from ..http import App, Response
from ..port import wifi as link
from .creds import log, save_credentials

try:
    from typing import Any, Dict, List
except ImportError:
    pass

_HEAD = (
    b"<!doctype html><html><head><meta charset='utf-8'>"
    b"<meta name='viewport' content='width=device-width,initial-scale=1'>"
    b"<title>remora: Wi-Fi setup</title></head><body><h1>Wi-Fi setup</h1>"
)
_FORM = (
    b"<form method='post' action='/save'>"
    b"<p><label>Network <input name='ssid' list='nets' maxlength='32' required></label></p>"
    b"<p><label>Password <input name='password' type='password' maxlength='63'></label></p>"
    b"<p><button>Save and connect</button></p></form>"
)
_TAIL = b"</body></html>"
_HTML = [["content-type", "text/html; charset=utf-8"]]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&#39;")


def check(ssid: str, password: str) -> str:
    """What is wrong with these credentials ("" when nothing)."""
    if not ssid or len(ssid.encode()) > 32:
        return "The network name must be 1 to 32 bytes long."
    if password and not 8 <= len(password) <= 63:
        return "A WPA2 password has 8 to 63 characters (leave it empty for an open network)."
    return ""


def page(networks: "List[str]", message: str = "") -> bytes:
    options = "".join("<option value='%s'>" % _escape(n) for n in networks)
    note = "<p><strong>%s</strong></p>" % _escape(message) if message else ""
    return b"".join((_HEAD, note.encode(), b"<datalist id='nets'>", options.encode(),
                     b"</datalist>", _FORM, _TAIL))


def build(cfg: "Dict[str, Any]", networks: "List[str]", saved: "Any") -> App:
    """The setup App; saved (a port.Event) is set once credentials are written."""
    app = App("/")

    @app.route("/")
    async def index(req: "Any") -> Response:
        return Response(page(networks), 200, _HTML)

    @app.route("/save", methods=("POST",))
    async def save(req: "Any") -> Response:
        form = req.form
        ssid = form.get("ssid", "").strip()
        password = form.get("password", "")
        problem = check(ssid, password)
        if problem:
            return Response(page(networks, problem), 400, _HTML)
        save_credentials(cfg["credentials"], ssid, password)
        log("credentials for %r saved" % ssid)
        saved.set()
        body = "<p>Saved. The board now joins <b>%s</b>; this access point closes.</p>"
        return Response(b"".join((_HEAD, (body % _escape(ssid)).encode(), _TAIL)), 200, _HTML)

    return app


async def serve(cfg: "Dict[str, Any]") -> None:
    """Serve the setup page until credentials are saved; then stop this dispatcher run."""
    networks = link.scan()
    ssid = cfg["ap_ssid"] or "remora-" + link.suffix()
    address = link.start_access_point(ssid, cfg["ap_password"])
    log("setup: join the access point %r%s and open http://%s:%d/" % (
        ssid, " (password set)" if cfg["ap_password"] else " (open)", address,
        cfg["setup_port"]))
    saved = port.Event()
    app = build(cfg, networks, saved)

    async def stop_when_saved() -> None:
        await saved.wait()
        await port.sleep_ms(200)  # the answer to the POST goes out first
        link.stop_access_point()
        await app.shutdown(1000)

    from .. import dispatcher

    dispatcher.spawn(stop_when_saved())
    await app.serve(cfg["setup_port"])
