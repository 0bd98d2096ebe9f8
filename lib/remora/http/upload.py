"""File uploads: a ``multipart/form-data`` body streamed to files on the flash.

::

    from remora.http.upload import save_form

    @app.route("/upload", methods=("POST",), stream=True, max_body=512 * 1024)
    async def upload(req):
        form = await save_form(req, "/uploads", max_file=256 * 1024)
        return {"files": form.files, "fields": form.fields}

The form is parsed as it arrives (``remora.proto.multipart``) and each file
part written to ``folder`` piece by piece, so a file larger than the heap
goes to the flash with no more than one received piece in memory.  Each
file is written as ``NAME.part`` and renamed to ``NAME`` once complete:
the folder never shows a half-written file under its name, and the
``.part`` file is removed when the upload fails (the client goes away or
is too slow, a part is too large, the flash is full, the form is
malformed).  Names are the client's file names reduced to a safe set of
characters (no folders, no way out of ``folder``).

What the server answers then (the body's error, answered once the handler
returns): 413 for a file over ``max_file`` or a field over ``max_field``
(the route's ``max_body`` bounds the whole form), 415 for a body that is not
multipart/form-data, 400 for a malformed one, 507 when the flash is full.

``save_form`` follows the caller, as the body stream does: awaitable in a
task, blocking on a worker thread (a ``worker=True`` route, which keeps a
slow flash write off the dispatcher).
"""

import os

from .. import dispatcher
from ..proto.multipart import DONE, NEED_DATA, PART_END, MultipartError, Parser, Part, boundary_of

try:
    from typing import Any, Dict, List, Optional
except ImportError:
    pass

_SAFE = "-._"


class Form:
    """A saved form: ``fields`` (name: text) and ``files`` (one dict per
    file: ``field``, ``filename`` as sent, ``path``, ``size``,
    ``content_type``)."""

    def __init__(self) -> None:
        self.fields = {}  # type: Dict[str, str]
        self.files = []  # type: List[Dict[str, Any]]


def save_form(
    req: "Any", folder: str, max_file: "Optional[int]" = None, max_field: int = 1024
) -> "Any":
    """Save the files of req's multipart/form-data body into folder (made
    if missing), and collect its other fields; a Form.  req's route must be
    declared ``stream=True``.  Awaitable in a task, blocking on a worker."""
    saver = _Saver(req, folder, max_file, max_field)
    if dispatcher.on_dispatcher():
        return saver.run_async()
    return saver.run_blocking()


def safe_name(filename: str) -> str:
    """The last path segment of filename, with every character but ASCII
    letters, digits and ``-._`` replaced by ``_`` (and no leading dot)."""
    name = filename.replace("\\", "/").split("/")[-1]
    out = ""
    for c in name[:64]:
        out += c if (c.isalpha() or c.isdigit()) and ord(c) < 128 or c in _SAFE else "_"
    out = out.lstrip(".")
    return out or "upload"


class _Saver:
    """One form being saved: the parser, and the file being written."""

    path = ""  # the file being written (its .part name)

    def __init__(self, req: "Any", folder: str, max_file: "Optional[int]", max_field: int) -> None:
        stream = req.stream
        if stream is None:
            raise ValueError("save_form needs a streaming route (stream=True)")
        self.stream = stream
        try:
            boundary = boundary_of(req.headers.get("content-type", ""))
        except MultipartError as exc:
            # RFC 9110 §15.5.16: content in a format this route does not take.
            raise stream.refuse(415, str(exc))
        self.parser = Parser(boundary)
        self.folder = folder.rstrip("/") or "/"
        self.max_file = max_file
        self.max_field = max_field
        self.form = Form()
        self.part = None  # type: Any  # the Part being read
        self.file = None  # type: Any  # its open .part file, or None for a field
        self.field = None  # type: Any  # a field's bytes so far
        self.size = 0
        try:
            os.mkdir(self.folder)
        except OSError:
            pass  # it exists (or cannot be made: the first open says so)

    async def run_async(self) -> Form:
        stream = self.stream
        try:
            while not self.take(await stream.read()):
                pass
            while await stream.read():
                pass  # the epilogue (RFC 2046 §5.1.1: ignored)
        except BaseException:
            self.abandon()
            raise
        return self.form

    def run_blocking(self) -> Form:
        stream = self.stream
        try:
            while not self.take(stream.read()):
                pass
            while stream.read():
                pass
        except BaseException:
            self.abandon()
            raise
        return self.form

    def take(self, piece: "Any") -> bool:
        """Feed one piece of the body (b"" at its end); True once the form ended."""
        parser = self.parser
        parser.feed(piece)
        try:
            while True:
                event = parser.next_event()
                if event is NEED_DATA:
                    return False
                if event is DONE:
                    return True
                if type(event) is Part:
                    self.begin(event)
                elif event is PART_END:
                    self.end()
                else:
                    self.content(event)
        except MultipartError as exc:
            raise self.stream.refuse(exc.status, str(exc))

    def begin(self, part: "Any") -> None:
        self.part = part
        self.size = 0
        if part.filename is None:
            self.field = bytearray()
            return
        path = self.folder + "/" + safe_name(part.filename) + ".part"
        try:
            self.file = open(path, "wb")
        except OSError:
            raise self.stream.refuse(507, "cannot create " + path)
        self.path = path

    def content(self, data: "Any") -> None:
        self.size += len(data)
        if self.file is None:
            if self.size > self.max_field:
                raise self.stream.refuse(413, "form field too large")
            self.field += data
            return
        if self.max_file is not None and self.size > self.max_file:
            raise self.stream.refuse(413, "file too large")
        try:
            self.file.write(data)
        except OSError:  # ENOSPC: the flash is full
            raise self.stream.refuse(507, "no room for the file")

    def end(self) -> None:
        part = self.part
        if self.file is None:
            try:
                self.form.fields[part.name] = bytes(self.field).decode()
            except UnicodeError:
                raise self.stream.refuse(400, "form field not UTF-8")
            self.field = None
            return
        self.file.close()
        self.file = None
        final = self.path[:-5]  # without ".part"
        try:
            os.remove(final)  # a rename onto an existing file fails on FAT
        except OSError:
            pass
        os.rename(self.path, final)
        self.form.files.append({"field": part.name, "filename": part.filename, "path": final,
                                "size": self.size, "content_type": part.content_type})

    def abandon(self) -> None:
        """The upload failed: the half-written file goes."""
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None
            try:
                os.remove(self.path)
            except OSError:
                pass
