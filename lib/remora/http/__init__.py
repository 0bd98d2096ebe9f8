"""HTTP/1.1: the sans-IO core, the server (App), pages, static files, sessions, auth.

Names load their module on first use, as in the top-level package.
"""

from remora import lazy as _lazy

_WHERE = (
    "app:App|request:Request|response:Response|server:req2sock|static:StaticFiles|"
    "session:SessionStore|auth:BasicAuth Users|auth_digest:DigestAuth|auth_form:FormAuth|"
    "auth_bearer:BearerAuth|cors:CORS|sse:sse EventStream|testing:TestClient"
)


def __getattr__(name):  # type: ignore[no-untyped-def]
    return _lazy("remora.http", _WHERE, None, name, globals())
