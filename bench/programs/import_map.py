"""Bench program: where the heap of remora's HTTP server goes, module by module.

    remora run bench/programs/import_map.py 0 --order
    remora run bench/programs/import_map.py 0 MODULE [MODULE ...]

The scenario is ``http_hello.py --import-only --pages /rom/pages``: import ``remora.http.app``,
``App()``, ``app.pages()``, three routes; then what ``App.serve()`` imports
(``remora.net``, ``remora.sock``).

- ``--order`` runs it once with ``builtins.__import__`` wrapped and prints ``ORDER name`` for
  every module it loads, in the order their imports finish (a module after those it needs).
- With modules named, it first prints ``LOADED`` and the modules loaded when ``main`` starts,
  ``STEP launcher <alloc>`` (the heap as this module is imported: ``remora_rom``,
  ``remora.launch``, the profile, ``remora.port``) and ``STEP dispatcher <bytes>`` (what the
  dispatcher added by the time ``main`` runs), then imports them one at a time in that
  order, printing ``STEP name <bytes>`` for what each import added (after ``gc.collect()``;
  a module whose package was not loaded yet also pays for the package), then ``STEP App()``,
  ``STEP app.pages()`` and ``STEP routes``, and ``HEAP <alloc> <free>`` at the end.
"""

import gc

import remora


def _app_steps(step, root):
    from remora.http.app import App
    from remora.http.response import Response

    app = App(root)
    step("App()")
    app.pages("/", "www", "/rom/pages")
    step("app.pages()")

    @app.route("/hello")
    async def hello(req):
        return Response(b"Hello, world!", 200, [["content-type", "text/plain"]])

    @app.route("/json")
    async def json(req):
        return {"ok": True}

    @app.route("/heap")
    async def heap(req):
        return Response("x", 200, [["content-type", "text/plain"]])

    step("routes")
    __import__("remora.net")
    __import__("remora.sock")
    return app


def _order(root):
    import builtins
    import sys

    done = []
    real = builtins.__import__

    def track(name, *args):
        known = set(sys.modules)
        module = real(name, *args)
        # What this import loaded and no import inside it has listed: a module after the
        # modules it needs (packages still loading further out were known at entry).
        for key in sys.modules:
            if key not in known and key not in done:
                done.append(key)
        return module

    before = list(sys.modules)
    builtins.__import__ = track
    try:
        _app_steps(lambda what: None, root)
    finally:
        builtins.__import__ = real
    for name in done:
        if name not in before:
            print("ORDER", name)


def _root():
    import os

    return os.getenv("REMORA_APP_DIR") or "."


def _top():
    # --order runs as the module is imported, not in main(): main runs in a task of the
    # dispatcher, and the wrapped imports need more of the C stack than is left there.
    import sys

    if "--order" in sys.argv:
        _order(_root())


_top()
gc.collect()
_AT_IMPORT = gc.mem_alloc()  # the launcher's share: before main() and the dispatcher


async def main(args):
    root = _root()
    if "--order" in args:
        return
    names = args[1:]
    gc.collect()
    last = [gc.mem_alloc()]
    import sys

    print("LOADED", " ".join(sorted(sys.modules)))
    print("STEP launcher", _AT_IMPORT)
    print("STEP dispatcher", last[0] - _AT_IMPORT)
    gc.collect()
    last[0] = gc.mem_alloc()

    def step(what):
        gc.collect()
        now = gc.mem_alloc()
        print("STEP", what, now - last[0])
        gc.collect()  # what printing left is not the next step's
        last[0] = gc.mem_alloc()

    for name in names:
        if name not in sys.modules:  # loaded by the launcher, or by an earlier step
            __import__(name)
            step(name)
    app = _app_steps(step, root)
    alloc, free = remora.heap()  # after gc.collect(), with the app still alive
    print("HEAP", alloc, free)
    return app
