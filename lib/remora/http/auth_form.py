"""Form-based login through a session (the seed's form authenticator).

Browsers send cookies with every request, WebSocket upgrades included, so a
session logged in through a form also protects WebSocket entry pages (the
seed's "WebSocket authentication" section).

Flow: a protected page the session has no user for gets ``challenge``: a
redirect to ``login_path?next=<original target>``.  The server routes
``login_path`` to ``handle_login`` and ``logout_path`` to ``handle_logout``.
A successful login moves the session to a new id (session fixation
defence) and redirects to ``next`` when that is a local path, else ``/``.
"""

from .auth import Authenticator, Throttle, Users
from .response import Response
from .session import SessionStore
from .urlcoding import quote

try:
    from typing import Callable, Optional

    from .request import Request
except ImportError:
    pass

_MAX_FIELD = 256  # longest user name, password or next we look at


def escape(text: str) -> str:
    """HTML-escape text for element content and quoted attribute values."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;"))


def safe_next(target: "Optional[str]") -> str:
    """target when it is a local path ("/x", not "//host" or "/\\host"), else "/".

    A login redirect to an absolute or scheme-relative URL would be an open
    redirect (OWASP "Unvalidated Redirects and Forwards").  Only visible
    ASCII is allowed, which also keeps CR/LF out of the Location header.
    """
    if not target or len(target) > _MAX_FIELD or target[0] != "/":
        return "/"
    if len(target) > 1 and target[1] in "/\\":
        return "/"
    for c in target:
        if c <= " " or c > "~" or c == "\\":
            return "/"
    return target


_FORM = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Log in</title></head>'
    "<body><h1>Log in</h1>%s"
    '<form method="POST" action="%s">'
    '<input type="hidden" name="next" value="%s">'
    '<p><label>User <input name="username" autocomplete="username" autofocus></label></p>'
    '<p><label>Password <input name="password" type="password" '
    'autocomplete="current-password"></label></p>'
    '<p><button type="submit">Log in</button></p></form></body></html>\n'
)


class FormAuth(Authenticator):
    """Login form plus session.

    ``page(request, next_target, error) -> Response`` replaces the built-in
    form when given (``error`` is "" or a plain-text message; escape it).
    """

    def __init__(
        self,
        users: Users,
        sessions: SessionStore,
        login_path: str = "/login",
        logout_path: str = "/logout",
        page: "Optional[Callable[[Request, str, str], Response]]" = None,
        throttle: "Optional[Throttle]" = None,
    ) -> None:
        Authenticator.__init__(self, users, throttle)
        self.sessions = sessions
        self.login_path = login_path
        self.logout_path = logout_path
        self.page = page

    def check(self, request: "Request") -> "Optional[str]":
        """The session's user; never creates a session."""
        session = self.sessions.get(request)
        user = session.user if session is not None else None
        request.user = user
        return user

    def challenge(self, request: "Request") -> Response:
        # RFC 9110 §15.4.3/§15.4.4: 302 for GET and HEAD; 303 makes any other
        # method's client fetch the login page with GET.
        status = 302 if request.method in ("GET", "HEAD") else 303
        return Response.redirect(self.login_path + "?next=" + quote(request.target), status)

    def _form(self, request: "Request", target: str, error: str) -> Response:
        if self.page is not None:
            resp = self.page(request, target, error)
        else:
            note = '<p role="alert">%s</p>' % escape(error) if error else ""
            html = _FORM % (note, escape(self.login_path), escape(target))
            resp = Response(html, 200, None, "text/html; charset=utf-8")
        if error:
            resp.status = 401
        return resp

    def handle_login(self, request: "Request") -> Response:
        """GET: the form.  POST: check, log in, redirect 303 to next.

        A failed POST is 401 with the form and the error; the server should
        wait ``delay_ms(request)`` before sending it.  Login CSRF is not
        addressed here (SameSite=Lax on the session cookie limits it).
        """
        if request.method != "POST":
            return self._form(request, safe_next(request.args.get("next")), "")
        form = request.form
        target = safe_next(form.get("next"))
        user = form.get("username", "")
        password = form.get("password", "")
        if self.throttle.blocked(request):
            return self._form(request, target, "Too many attempts; wait and try again.")
        if (
            user
            and len(user) <= _MAX_FIELD
            and len(password) <= _MAX_FIELD
            and self.users.verify(user, password)
        ):
            # OWASP session management: a new id at login, the old one dies.
            session = self.sessions.regenerate(request)
            session.user = user
            self._passed(request, user)
            return Response.redirect(target, 303)
        self._failed(request)
        return self._form(request, target, "Wrong user name or password.")

    def handle_logout(self, request: "Request") -> Response:
        """Invalidate the session (the cookie is cleared) and go to "/"."""
        session = self.sessions.get(request)
        if session is not None:
            session.invalidate()
        request.user = None
        return Response.redirect("/", 303)
