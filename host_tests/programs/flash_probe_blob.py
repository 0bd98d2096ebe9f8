"""A module for host_tests/programs/flash_probe.py to import two ways.

It holds what makes code in flash cheaper than code copied into the heap:
a long str constant (in place in flash, copied from a file) and a function.
"""

# About 1.5 KB: the HTTP reason phrases, as one constant string.
TABLE = (
    "100 Continue\n101 Switching Protocols\n200 OK\n201 Created\n202 Accepted\n"
    "203 Non-Authoritative Information\n204 No Content\n205 Reset Content\n"
    "206 Partial Content\n300 Multiple Choices\n301 Moved Permanently\n302 Found\n"
    "303 See Other\n304 Not Modified\n307 Temporary Redirect\n308 Permanent Redirect\n"
    "400 Bad Request\n401 Unauthorized\n402 Payment Required\n403 Forbidden\n"
    "404 Not Found\n405 Method Not Allowed\n406 Not Acceptable\n"
    "407 Proxy Authentication Required\n408 Request Timeout\n409 Conflict\n410 Gone\n"
    "411 Length Required\n412 Precondition Failed\n413 Content Too Large\n"
    "414 URI Too Long\n415 Unsupported Media Type\n416 Range Not Satisfiable\n"
    "417 Expectation Failed\n421 Misdirected Request\n422 Unprocessable Content\n"
    "426 Upgrade Required\n428 Precondition Required\n429 Too Many Requests\n"
    "431 Request Header Fields Too Large\n451 Unavailable For Legal Reasons\n"
    "500 Internal Server Error\n501 Not Implemented\n502 Bad Gateway\n"
    "503 Service Unavailable\n504 Gateway Timeout\n505 HTTP Version Not Supported\n"
    "506 Variant Also Negotiates\n507 Insufficient Storage\n508 Loop Detected\n"
    "510 Not Extended\n511 Network Authentication Required\n"
    "The reason phrases of RFC 9110, section 15, one status code to a line, each code\n"
    "followed by its phrase; a client ignores the phrase, and a server may send any.\n"
)


def reason(code):
    """The reason phrase of an HTTP status code ("" when unknown)."""
    key = "%d " % code
    at = TABLE.find(key)
    if at < 0:
        return ""
    return TABLE[at + len(key):TABLE.find("\n", at)]
