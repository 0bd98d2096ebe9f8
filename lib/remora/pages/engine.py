"""The page engine: finds pages, loads them (compiled once, cached) and runs them.

Two ways to get a page's code:

- compile at run time (``compiled`` not given): the page file under ``root``
  is translated by ``compiler.py`` and compiled with the built-in
  ``compile``; a page is recompiled when its file's mtime or size changes.
- precompiled (``compiled`` is a folder made by ``remora compile``): pages
  are imported from there and the compiler is never imported.  When the
  folder has an ``mpy/`` subfolder and the interpreter loads ``.mpy``
  (``port.LOADS_MPY``), that subfolder is used.

Sync pages run on a worker thread (``render``), async pages on the
dispatcher (``render_async``).  Errors come out as PageError at page lines.
"""

import os
import sys

from .. import port
from . import runtime
from .errors import PageError

try:
    from typing import Any, Dict, Optional, Set
except ImportError:
    pass

MAX_FORWARDS = 4  # a forward loop ends as an error, not a hang


class _Page:
    """One loaded page: its render function, flags, line map and state."""

    def __init__(self, ns: "Any", code_name: str, stamp: "Any", state: dict) -> None:
        self.render = ns["render"]
        self.is_async = bool(ns["IS_ASYNC"])
        self.lines = ns["LINES"]
        self.code_name = code_name
        self.stamp = stamp
        self.state = state


class PageEngine:
    """Pages of one application.

    ``root`` is the application folder (page names are paths below it,
    ``/admin/index.rsp``); ``dev`` makes errors carry the offending source
    line; ``compiled`` is a folder of precompiled page modules; ``app`` is the
    application state dict pages see as ``app``; ``cache_max`` bounds how many
    compiled pages stay loaded.
    """

    def __init__(
        self,
        root: str,
        dev: bool = False,
        compiled: "Optional[str]" = None,
        app: "Optional[dict]" = None,
        cache_max: int = 16,
    ) -> None:
        self.root = root.rstrip("/")
        self.dev = dev
        self.app = {} if app is None else app  # type: dict
        self.cache_max = max(1, cache_max)
        self._cache = {}  # type: Dict[str, _Page]
        self._state = {}  # type: Dict[str, dict]
        self._lock = port.allocate_lock()
        self.compiled = None  # type: Optional[str]
        self._modules = None  # type: Optional[Set[str]]
        if compiled is not None:
            compiled = compiled.rstrip("/") or "/"
            sub = compiled + "/mpy"
            if port.LOADS_MPY and _is_dir(sub):
                compiled = sub  # this interpreter loads .mpy: prefer bytecode to source
            self.compiled = compiled
            # The set of pages is fixed once compiled: list it once, stat nothing later.
            found = set()
            for entry in os.listdir(compiled):
                if entry.startswith("rsp_") and entry.endswith(".py"):
                    found.add(entry[:-3])
                elif entry.startswith("rsp_") and entry.endswith(".mpy"):
                    found.add(entry[:-4])
            self._modules = found

    # -- finding -------------------------------------------------------------------

    def find(self, url_path: str) -> "Optional[str]":
        """The page name for a URL path, or None.

        ``/a/b.rsp`` names itself and ``/a/`` means ``/a/index.rsp``.  Paths with
        ``..`` or ``.`` segments, ``//``, backslashes or NUL are refused.
        """
        if not runtime.safe_name(url_path):
            return None
        if url_path.endswith("/"):
            name = url_path + "index.rsp"
        elif url_path.endswith(".rsp"):
            name = url_path
        else:
            return None
        return name if self._exists(name) else None

    def _compiled_stamp(self, name: str) -> "Any":
        # Development mode with compiled pages: the compiled module's (mtime,
        # size), None when it does not exist (remora serve --dev recompiles).
        base = "%s/%s" % (self.compiled, runtime.module_name(name))
        for ext in (".mpy", ".py"):
            try:
                st = os.stat(base + ext)
                return (st[8], st[6])
            except OSError:
                pass
        return None

    def _exists(self, name: str) -> bool:
        if self._modules is not None:
            if self.dev:
                return self._compiled_stamp(name) is not None
            return runtime.module_name(name) in self._modules
        try:
            return os.stat(self.root + name)[0] & 0o170000 == 0o100000  # a regular file
        except OSError:
            return False

    def is_async(self, name: str) -> bool:
        """True when the page is asynchronous (``<?page async ?>``): run it with render_async."""
        return self._load(name).is_async

    # -- loading -------------------------------------------------------------------

    def _load(self, name: str) -> _Page:
        with self._lock:
            entry = self._cache.get(name)
            stamp = None
            if self.compiled is not None:
                if self.dev:
                    stamp = self._compiled_stamp(name)  # recompiled: load it again
                    if entry is not None and entry.stamp == stamp:
                        return entry
                elif entry is not None:
                    return entry
            if self.compiled is None:
                try:
                    st = os.stat(self.root + name)
                except OSError as exc:
                    raise PageError(name, 0, exc)
                stamp = (st[8], st[6])  # mtime and size: mtime alone has 1 s steps
                if entry is not None and entry.stamp == stamp:
                    return entry
            state = self._state.get(name)
            if state is None:
                state = self._state[name] = {}  # survives recompiles and cache eviction
            if self.compiled is None:
                entry = self._compile(name, stamp, state)
            else:
                entry = self._import(name, state, stamp)
            if name not in self._cache and len(self._cache) >= self.cache_max:
                for old in self._cache:
                    del self._cache[old]  # any victim will do: reloading is cheap
                    break
            self._cache[name] = entry
            return entry

    def _compile(self, name: str, stamp: "Any", state: dict) -> _Page:
        from . import compiler  # only here: boards with precompiled pages never load it

        text = self._text(name)
        if text is None:
            raise PageError(name, 0, OSError("cannot read page"))
        src, lines = compiler.translate(text, name)
        code_name = runtime.module_name(name) + ".py"
        try:
            code = compile(src, code_name, "exec")
        except SyntaxError as exc:
            from . import trace

            raise trace.wrap(exc, name, lines, code_name, text)
        ns = {"__name__": code_name[:-3]}  # type: Dict[str, Any]
        exec(code, ns)
        return _Page(ns, code_name, stamp, state)

    def _import(self, name: str, state: dict, stamp: "Any" = None) -> _Page:
        modname = runtime.module_name(name)
        folder = self.compiled
        known = self._modules is not None and (modname in self._modules or stamp is not None)
        if folder is None or not known:
            raise PageError(name, 0, ImportError("page not compiled: " + modname))
        path = sys.path
        # Import from our folder only, and leave no trace in sys.modules: two
        # apps may both have an ``rsp_index``.  We hold self._lock meanwhile.
        path.insert(0, folder)
        try:
            sys.modules.pop(modname, None)
            module = __import__(modname)
        finally:
            if path and path[0] is folder:
                path.pop(0)
            sys.modules.pop(modname, None)
        return _Page(module.__dict__, modname + ".py", stamp, state)

    def _text(self, name: str) -> "Optional[str]":
        try:
            with open(self.root + name, "rb") as f:
                return f.read().decode()
        except (OSError, UnicodeError):
            return None

    # -- running -------------------------------------------------------------------

    def _wrap(self, exc: "BaseException", name: str, entry: _Page) -> PageError:
        from . import trace  # the error path only

        text = self._text(name) if self.dev else None
        return trace.wrap(exc, name, entry.lines, entry.code_name, text)

    def _call(self, entry: _Page, ctx: "runtime.Context") -> None:
        try:
            if entry.render(ctx) is not None:
                # MicroPython compiles ``await`` in a plain function into a
                # generator that would silently never run; CPython refuses it.
                raise TypeError("page uses await without <?page async ?>")
        except PageError:
            raise  # from an included page: already at its own line
        except MemoryError:
            raise  # not the page's fault: the server answers 503
        except Exception as exc:
            raise self._wrap(exc, ctx.name, entry)

    async def _call_async(self, entry: _Page, ctx: "runtime.Context") -> None:
        if not entry.is_async:
            self._call(entry, ctx)  # a sync page included or forwarded to: runs inline
            return
        try:
            await entry.render(ctx)
        except PageError:
            raise
        except MemoryError:
            raise  # not the page's fault: the server answers 503
        except Exception as exc:
            raise self._wrap(exc, ctx.name, entry)

    def render(self, name: str, request: "Any", response: "Any") -> None:
        """Run page ``name`` (sync) into ``response``; call it on a worker thread.

        Raises PageError (or PageSyntaxError) for anything the page raises.
        """
        where = response.mark()
        for _ in range(MAX_FORWARDS + 1):
            entry = self._load(name)
            if entry.is_async:
                raise PageError(name, 0, TypeError("asynchronous page: use render_async"))
            try:
                self._call(entry, runtime.Context(self, name, request, response, entry.state, 0))
                return
            except runtime.Forward as fwd:
                response.reset(where)
                name = fwd.target
        raise PageError(name, 0, RuntimeError("too many forwards"))

    async def render_async(self, name: str, request: "Any", response: "Any") -> None:
        """Run page ``name`` on the dispatcher (async pages; a sync page runs inline)."""
        where = response.mark()
        for _ in range(MAX_FORWARDS + 1):
            entry = self._load(name)
            try:
                ctx = runtime.Context(self, name, request, response, entry.state, 0)
                await self._call_async(entry, ctx)
                return
            except runtime.Forward as fwd:
                response.reset(where)
                name = fwd.target
        raise PageError(name, 0, RuntimeError("too many forwards"))

    # -- include and forward (called through the page's Context) -------------------

    def target(self, ctx: "runtime.Context", path: str) -> str:
        # Errors here are plain exceptions, so they map to the caller's line.
        target = runtime.resolve(ctx.name, path)
        if target is None or not self._exists(target):
            raise ValueError("no page %r" % path)
        return target

    def _child(self, ctx: "runtime.Context", path: str) -> "Any":
        if ctx.depth >= runtime.MAX_DEPTH:
            raise RuntimeError("includes nested deeper than %d" % runtime.MAX_DEPTH)
        target = self.target(ctx, path)
        entry = self._load(target)
        depth = ctx.depth + 1
        return entry, runtime.Context(self, target, ctx.request, ctx.response, entry.state, depth)

    def include(self, ctx: "runtime.Context", path: str) -> None:
        entry, child = self._child(ctx, path)
        if entry.is_async:  # it would have to be awaited, and a worker thread cannot
            raise TypeError("cannot include asynchronous page %s from a sync page" % child.name)
        self._call(entry, child)

    async def include_async(self, ctx: "runtime.Context", path: str) -> None:
        entry, child = self._child(ctx, path)
        await self._call_async(entry, child)

    def clear(self) -> None:
        """Forget every loaded page (page state stays)."""
        with self._lock:
            self._cache.clear()


def _is_dir(path: str) -> bool:
    try:
        return os.stat(path)[0] & 0o170000 == 0o040000
    except OSError:
        return False


__all__ = ["PageEngine", "PageError"]
