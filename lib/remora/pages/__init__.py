"""remora pages: HTML with embedded Python, compiled once and run per request.

The counterpart of the Barracuda App Server's Lua Server Pages.  Names load
their module on first use, so a board that runs precompiled pages never
loads the compiler::

    PageEngine        engine.py: find, load, cache and run pages
    PageError         errors.py: an error at a page line (``.page``, ``.line``,
    PageSyntaxError       ``.error``, ``format()``)
    compile_page      compiler.py: page text -> Python module source
    escape            runtime.py: HTML escaping as ``<?= ?>`` does it
"""

_lazy = {
    "PageEngine": "engine",
    "PageError": "errors",
    "PageSyntaxError": "errors",
    "compile_page": "compiler",
    "escape": "runtime",
    "module_name": "runtime",
}


def __getattr__(name):  # type: ignore[no-untyped-def]
    sub = _lazy.get(name)
    if sub is None:
        # As in remora/__init__.py: MicroPython resolves ``from . import sub``
        # through this hook, so load submodules here too.
        try:
            value = __import__("remora.pages." + name, None, None, ["_"])
        except ImportError:
            raise AttributeError(name)
        globals()[name] = value
        return value
    module = __import__("remora.pages." + sub, None, None, [name])
    value = getattr(module, name)
    globals()[name] = value
    return value
