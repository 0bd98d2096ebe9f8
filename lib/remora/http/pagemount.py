"""A folder of pages and static files mounted on the App.

A URL that names a page (``.rsp``) runs it: on the worker pool, or on the
dispatcher when the page is declared asynchronous.  Anything else is looked
up as a static file in the same folder.
"""

from .. import pool, profile
from ..errors import QueueFull
from .outbuf import OutputBlocks
from .response import Response

try:
    from typing import Any, Optional
except ImportError:
    pass


class PageMount:
    def __init__(self, app: "Any", engine: "Any", files: "Any", prefix: str = "") -> None:
        self.app = app
        self.engine = engine
        self.files = files
        self.prefix = prefix  # the mount point, stripped before finding a page
        # A page's output goes into one of these blocks, made once (outbuf.py).
        self.blocks = OutputBlocks(profile.get("workers"), profile.get("page_buffer"))

    async def serve(self, req: "Any") -> "Optional[Response]":
        engine = self.engine
        path = req.path
        if self.prefix:
            path = path[len(self.prefix) :] or "/"
        name = engine.find(path)
        if name is None:
            return self.files.serve(req)
        resp = Response(b"", 200, None, "text/html; charset=utf-8")
        resp.write_into(self.blocks)  # the server gives the block back once sent (resp.sent())
        req.response = resp
        try:
            if engine.is_async(name):
                await engine.render_async(name, req, resp)
            else:
                # QueueFull (every worker busy, queue full) propagates: 503.
                await pool.call(engine.render, name, req, resp)
        except (QueueFull, MemoryError):
            resp.sent()  # this response will not be sent: its block goes back
            raise  # 503 from the app or the server: the page is not at fault
        except Exception as exc:
            resp.sent()
            return await self.app.failure(req, exc)
        resp.finish()
        return resp
