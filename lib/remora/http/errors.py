"""The errors of the HTTP/1.1 core.

Two kinds of failure, kept apart as h11 keeps them apart:

* :class:`RemoteProtocolError`: the peer sent something the protocol forbids
  (a malformed head, a smuggling attempt, a body over the limit).  ``status``
  is the status code a server should reply with (400, 413, 414, 431, 501,
  505).  After one is raised the peer's state is ERROR and the connection must
  close once the reply (if any) has been sent.
* :class:`LocalProtocolError`: our own code misused the API (Data past the
  Content-Length, a response before a request, a header with CR or LF in it).
  It is a bug in the caller; our state becomes ERROR.

The message is for logs only: never echo it to the peer (STYLE.md, point 6).
"""


class ProtocolError(Exception):
    """Base class: ``status`` is an HTTP status hint for the reply."""

    def __init__(self, message: str = "protocol error", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class RemoteProtocolError(ProtocolError):
    """The peer violated HTTP/1.1; reply with ``status`` and close."""


class LocalProtocolError(ProtocolError):
    """We misused the API (a bug on our side); ``status`` is 500."""

    def __init__(self, message: str = "local protocol error", status: int = 500) -> None:
        super().__init__(message, status)
