"""A streaming ``multipart/form-data`` parser (RFC 7578 on RFC 2046 §5.1), sans-IO.

Bytes in, events out, as the HTTP core does: a driver feeds the request
body as it arrives (:meth:`Parser.feed`, ``b""`` at its end) and takes
events until NEED_DATA::

    parser = Parser(boundary_of(content_type))
    parser.feed(piece)
    while True:
        event = parser.next_event()
        if event is NEED_DATA: break          # feed the next piece
        if type(event) is Part: ...           # a part's head: name, filename
        elif event is PART_END: ...           # its content is complete
        elif event is DONE: ...               # the close delimiter: the form is over
        else: ...                             # bytes: a piece of the part's content

A part's content is delivered in pieces as it comes, never whole, so a file
larger than the heap passes through it; what the parser keeps is bounded:
a part's head (``max_head`` bytes), and the few bytes at the end of a
piece that could be the start of the next delimiter.  Malformed input
raises :class:`MultipartError` (answer 400).

The grammar (RFC 2046 §5.1.1)::

    multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
                      body-part *encapsulation close-delimiter
                      transport-padding [CRLF epilogue]
    encapsulation  := delimiter transport-padding CRLF body-part
    delimiter      := CRLF dash-boundary        dash-boundary := "--" boundary
    close-delimiter := delimiter "--"
    body-part      := MIME-part-headers [CRLF *OCTET]

The parser looks for the delimiter with a CRLF in front of the buffer, so
that the first dash-boundary (which has none) is found the same way.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


TYPE_CHECKING = const(0)  # compiled away on MicroPython: no typing names in the heap
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

# Sentinels, compared with ``is``: one object each.
NEED_DATA = "NEED_DATA"
PART_END = "PART_END"
DONE = "DONE"

# Where the parser is.
_PREAMBLE = const(0)  # before the first delimiter
_AFTER = const(1)  # just after a delimiter: "--" ends the form, else padding and CRLF
_HEAD = const(2)  # a part's header fields, up to the empty line
_CONTENT = const(3)  # a part's content, up to the next delimiter
_EPILOGUE = const(4)  # after the close delimiter: ignored

_MAX_PADDING = const(64)  # transport-padding (LWSP) after a delimiter, bounded


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data (``status`` 400)."""

    status = 400


class Part:
    """A part's head: ``name`` (the form field), ``filename`` (None for a
    plain field), ``content_type`` and ``headers`` (lower-case names)."""

    def __init__(self, headers: "Dict[str, str]") -> None:
        self.headers = headers
        self.content_type = headers.get("content-type", "text/plain")
        params = _disposition(headers.get("content-disposition", ""))
        # RFC 7578 §4.2: each part has a Content-Disposition of type
        # form-data with a name parameter.
        if params is None or "name" not in params:
            raise MultipartError("part without a form-data name")
        self.name = params["name"]
        self.filename = params.get("filename")  # type: Optional[str]

    def __repr__(self) -> str:
        return "<Part %r %r>" % (self.name, self.filename)


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` Content-Type; raises
    MultipartError for another type or a missing or invalid boundary."""
    kind, _, rest = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        raise MultipartError("not multipart/form-data")
    params = _params(rest)
    boundary = params.get("boundary") if params is not None else None
    # RFC 2046 §5.1.1: 1 to 70 characters, not ending with a space.
    if not boundary or len(boundary) > 70 or boundary.endswith(" "):
        raise MultipartError("missing or invalid boundary")
    return boundary.encode()


class Parser:
    """One multipart/form-data body (see the module doc)."""

    def __init__(self, boundary: bytes, max_head: int = 1024) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.max_head = max_head
        self.data = b"\r\n"  # the CRLF the first dash-boundary lacks
        self.pos = 0
        self.state = _PREAMBLE
        self.eof = False

    def feed(self, data: "Any") -> None:
        """Add the next piece of the body; ``b""`` at its end."""
        if not data:
            self.eof = True
            return
        if self.pos >= len(self.data):
            self.data = bytes(data)
        else:
            self.data = self.data[self.pos :] + data
        self.pos = 0

    def next_event(self) -> "Any":
        """A Part, a piece of content (bytes), PART_END, DONE or NEED_DATA."""
        while True:
            state = self.state
            data = self.data
            pos = self.pos
            if state == _CONTENT:
                return self._content(data, pos)
            if state == _HEAD:
                return self._head(data, pos)
            if state == _AFTER:
                if len(data) - pos < 2:
                    return self._more()
                if data[pos : pos + 2] == b"--":
                    self.state = _EPILOGUE
                    self.pos = len(data)
                    return DONE
                end = data.find(b"\r\n", pos)
                if end < 0:
                    if len(data) - pos > _MAX_PADDING:
                        raise MultipartError("no CRLF after a delimiter")
                    return self._more()
                if data[pos:end].strip(b" \t"):
                    raise MultipartError("garbage after a delimiter")
                self.pos = end + 2
                self.state = _HEAD
                continue
            if state == _PREAMBLE:
                at = data.find(self.delimiter, pos)
                if at < 0:
                    # Keep what could be the start of the delimiter; drop the rest.
                    keep = len(self.delimiter) - 1
                    if len(data) - pos > keep:
                        self.pos = len(data) - keep
                    return self._more()
                self.pos = at + len(self.delimiter)
                self.state = _AFTER
                continue
            # _EPILOGUE: RFC 2046 §5.1.1: ignored.
            self.pos = len(data)
            return DONE

    def _more(self) -> "Any":
        if self.eof:
            raise MultipartError("body ended inside the form")
        return NEED_DATA

    def _head(self, data: bytes, pos: int) -> "Any":
        if data.startswith(b"\r\n", pos):
            end = pos  # no header fields: an empty line at once
        else:
            end = data.find(b"\r\n\r\n", pos)
            if end < 0:
                if len(data) - pos > self.max_head:
                    raise MultipartError("part head too large")
                return self._more()
            end += 2
        if end - pos > self.max_head:
            raise MultipartError("part head too large")
        headers = {}  # type: Dict[str, str]
        for line in data[pos:end].split(b"\r\n"):
            if not line:
                continue
            colon = line.find(b":")
            if colon <= 0:
                raise MultipartError("invalid part header field")
            headers[_text(line[:colon]).strip().lower()] = _text(line[colon + 1 :]).strip()
        self.pos = end + 2
        self.state = _CONTENT
        return Part(headers)

    def _content(self, data: bytes, pos: int) -> "Any":
        delimiter = self.delimiter
        at = data.find(delimiter, pos)
        if at == pos:
            self.pos = at + len(delimiter)
            self.state = _AFTER
            return PART_END
        if at < 0:
            # All but what could be the start of the delimiter: from a CR
            # in the last len(delimiter) - 1 bytes on.
            tail = len(data) - len(delimiter) + 1
            cr = data.find(b"\r", tail if tail > pos else pos)
            at = cr if cr >= 0 else len(data)
            if at <= pos:
                return self._more()
        self.pos = at
        if pos == 0 and at == len(data):
            return data
        return data[pos:at]


def _text(raw: bytes) -> str:
    # RFC 7578 §5.1: field names and filenames may be UTF-8; anything else
    # is kept as ASCII with "?" for the bytes that are not.
    try:
        return raw.decode()
    except UnicodeError:
        return bytes(b if b < 128 else 63 for b in raw).decode()


def _disposition(value: str) -> "Optional[Dict[str, str]]":
    kind, _, rest = value.partition(";")
    if kind.strip().lower() != "form-data":
        return None
    return _params(rest)


def _params(text: str) -> "Optional[Dict[str, str]]":
    """``; a=b; c="d;e"`` as a dict (names lower-cased), quoted-strings
    unquoted (RFC 9110 §5.6.4); None when malformed."""
    out = {}  # type: Dict[str, str]
    i = 0
    size = len(text)
    while i < size:
        while i < size and text[i] in " \t;":
            i += 1
        if i >= size:
            break
        eq = text.find("=", i)
        if eq < 0:
            return None
        name = text[i:eq].strip().lower()
        i = eq + 1
        while i < size and text[i] in " \t":
            i += 1
        if i < size and text[i] == '"':
            value = ""
            i += 1
            while i < size and text[i] != '"':
                if text[i] == "\\" and i + 1 < size:
                    i += 1
                value += text[i]
                i += 1
            if i >= size:
                return None  # an unterminated quoted-string
            i += 1
        else:
            end = text.find(";", i)
            end = size if end < 0 else end
            value = text[i:end].strip()
            i = end
        out[name] = value
    return out
