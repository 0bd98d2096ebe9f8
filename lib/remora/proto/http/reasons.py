"""The reason phrases a server sends when the caller gives none (RFC 9110 §15).

RFC 9112 §4: the reason-phrase exists "for the sole purpose of providing a
textual description associated with the numeric status code"; a client
ignores it.  The core loads the table only when a response head is sent without
one (STYLE.md point 4: load submodules lazily); the server takes its phrases
from here too, so a board's heap holds one table, not two.

One string rather than a dict: on a board a dict of 33 str costs about three
times the heap.  Each entry is ``"\\n" + status + " " + phrase``.
"""

_REASONS = (
    "\n100 Continue\n101 Switching Protocols"
    "\n200 OK\n201 Created\n202 Accepted\n204 No Content\n206 Partial Content"
    "\n301 Moved Permanently\n302 Found\n303 See Other\n304 Not Modified"
    "\n307 Temporary Redirect\n308 Permanent Redirect"
    "\n400 Bad Request\n401 Unauthorized\n403 Forbidden\n404 Not Found"
    "\n405 Method Not Allowed\n408 Request Timeout\n411 Length Required"
    "\n412 Precondition Failed\n413 Content Too Large\n414 URI Too Long"
    "\n415 Unsupported Media Type\n416 Range Not Satisfiable\n417 Expectation Failed\n426 Upgrade Required\n429 Too Many Requests"
    "\n431 Request Header Fields Too Large"
    "\n500 Internal Server Error\n501 Not Implemented\n502 Bad Gateway"
    "\n503 Service Unavailable\n504 Gateway Timeout\n505 HTTP Version Not Supported\n"
)


def reason(status: int) -> str:
    """The standard reason phrase of ``status`` (100 to 999), or ""."""
    start = _REASONS.find("\n%d " % status)
    if start < 0:
        return ""
    start += 5  # past "\n", the three digits and the space
    return _REASONS[start : _REASONS.find("\n", start)]
