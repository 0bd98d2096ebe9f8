"""HTTP/1.1: the sans-IO core, the server (App), pages, static files, sessions, auth.

Names load their module on first use, as in the top-level package.
"""

_lazy = {
    "App": ("app", "App"),
    "Request": ("request", "Request"),
    "Response": ("response", "Response"),
    "req2sock": ("server", "req2sock"),
    "StaticFiles": ("static", "StaticFiles"),
    "SessionStore": ("session", "SessionStore"),
    "BasicAuth": ("auth", "BasicAuth"),
    "DigestAuth": ("auth", "DigestAuth"),
    "FormAuth": ("auth", "FormAuth"),
    "Users": ("auth", "Users"),
}


def __getattr__(name):  # type: ignore[no-untyped-def]
    entry = _lazy.get(name)
    if entry is None:
        try:
            value = __import__("remora.http." + name, None, None, ["_"])
        except ImportError:
            raise AttributeError(name)
        globals()[name] = value
        return value
    module = __import__("remora.http." + entry[0], None, None, [entry[1]])
    value = getattr(module, entry[1])
    globals()[name] = value
    return value
