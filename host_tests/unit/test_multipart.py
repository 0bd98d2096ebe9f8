# The streaming multipart/form-data parser (remora.proto.multipart): forms as browsers
# and curl send them, fed whole and in every split, and malformed ones.  Both runtimes.
from remora.proto.multipart import DONE, NEED_DATA, PART_END, MultipartError, Parser, Part
from remora.proto.multipart import boundary_of


def parse(body, boundary=b"XyZ", pieces=None, max_head=1024):
    """[(name, filename, content_type, content)] of a form fed in pieces."""
    parser = Parser(boundary, max_head)
    out = []
    current = None
    chunks = [p for p in (pieces if pieces is not None else [body]) if p]
    done = False
    for chunk in chunks + [b""]:
        parser.feed(chunk)
        while True:
            event = parser.next_event()
            if event is NEED_DATA:
                break
            if type(event) is Part:
                assert current is None
                current = [event.name, event.filename, event.content_type, b""]
            elif event is PART_END:
                out.append(tuple(current))
                current = None
            elif event is DONE:
                done = True
                break
            else:
                assert type(event) is bytes and event and current is not None, event
                current[3] += event
        if done:
            break
    assert done and current is None
    return out


def error_of(body, boundary=b"XyZ", max_head=1024):
    try:
        parse(body, boundary, max_head=max_head)
    except MultipartError as exc:
        assert exc.status == 400
        return str(exc)
    return None


FORM = (
    b"preamble to ignore\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="title"\r\n'
    b"\r\n"
    b"A day\r\n"
    b"--XyZ  \r\n"  # transport padding
    b'Content-Disposition: form-data; name="file"; filename="a \\"b\\".txt"\r\n'
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"line 1\r\n- --XyZ is no delimiter: no CRLF before it\r\n\r\n-\r\n--Xy\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="empty"; filename=""\r\n'
    b"\r\n"
    b"\r\n"
    b"--XyZ--\r\n"
    b"epilogue, ignored --XyZ\r\n"
)
EXPECT = [
    ("title", None, "text/plain", b"A day"),
    ("file", 'a "b".txt', "text/plain",
     b"line 1\r\n- --XyZ is no delimiter: no CRLF before it\r\n\r\n-\r\n--Xy"),
    ("empty", "", "text/plain", b""),
]

assert parse(FORM) == EXPECT
# Every split in two, and byte by byte: the same parts.
for cut in range(len(FORM) + 1):
    assert parse(FORM, pieces=[FORM[:cut], FORM[cut:]]) == EXPECT, cut
assert parse(FORM, pieces=[FORM[i : i + 1] for i in range(len(FORM))]) == EXPECT

# No preamble, binary content holding CRs and partial delimiters.
blob = bytes(range(256)) * 40 + b"\r\n--Xy" + b"\r" * 50
form = (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"b.bin\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n" + blob + b"\r\n--XyZ--")
assert parse(form) == [("f", "b.bin", "application/octet-stream", blob)]
pieces = [form[i : i + 97] for i in range(0, len(form), 97)]
assert parse(form, pieces=pieces) == [("f", "b.bin", "application/octet-stream", blob)]

# What the parser keeps is bounded: no piece is held back beyond the delimiter's length.
parser = Parser(b"XyZ")
parser.feed(b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n")
assert type(parser.next_event()) is Part
parser.feed(b"a" * 5000)
assert parser.next_event() == b"a" * 5000 and parser.next_event() is NEED_DATA

# UTF-8 names (RFC 7578 §5.1), unquoted parameters.
form = ("--XyZ\r\nContent-Disposition: form-data; name=n; filename=\"\u00e9t\u00e9.txt\"\r\n\r\n"
        "x\r\n--XyZ--").encode()
assert parse(form) == [("n", "\u00e9t\u00e9.txt", "text/plain", b"x")]

# Content-Type's boundary (RFC 2046 §5.1.1, RFC 7578 §4.1).
assert boundary_of("multipart/form-data; boundary=XyZ") == b"XyZ"
assert boundary_of('Multipart/Form-Data; charset=utf-8; boundary="a b:c"') == b"a b:c"
for bad in ("text/plain", "multipart/form-data", "multipart/form-data; boundary=",
            "multipart/form-data; boundary=" + "x" * 71, 'multipart/form-data; boundary="x'):
    try:
        boundary_of(bad)
    except MultipartError:
        pass
    else:
        raise AssertionError(bad)

# Malformed forms: 400, never another exception.
PART = b'Content-Disposition: form-data; name="a"\r\n\r\nv\r\n'
BAD = [
    b"",  # no delimiter at all
    b"--XyZ\r\n" + PART,  # no close delimiter
    b"--XyZ\r\n" + PART + b"--XyZ",  # cut after a delimiter
    b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",  # no name
    b"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--",
    b"--XyZ\r\n\r\nv\r\n--XyZ--",  # no header field at all
    b"--XyZ\r\nNo colon here\r\n\r\nv\r\n--XyZ--",
    b"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--",  # open quote
    b"--XyZ junk\r\n" + PART + b"--XyZ--",  # not padding
    b"--XyZ" + b" " * 100,  # padding without end
    b"--XyZ\r\n" + b"X-Long: " + b"v" * 2000 + b"\r\n\r\n",  # head over max_head
]
for body in BAD:
    assert error_of(body) is not None, body
assert error_of(b"--XyZ\r\n" + PART + b"--XyZ--", max_head=10) is not None

print("PASS")
