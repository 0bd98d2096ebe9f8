"""remora pages: HTML with embedded Python, compiled once and run per request.

The counterpart of the Barracuda App Server's Lua Server Pages.  Names load
their module on first use, so a board that runs precompiled pages never
loads the compiler::

    PageEngine        engine.py: find, load, cache and run pages
    PageError         errors.py: an error at a page line (``.page``, ``.line``,
                          ``.error``, ``format()``)
    PageSyntaxError   trace.py: a PageError found while compiling
    compile_page      compiler.py: page text -> Python module source
    escape            runtime.py: HTML escaping as ``<?= ?>`` does it
"""

from remora import lazy as _lazy

_WHERE = "engine:PageEngine|errors:PageError|trace:PageSyntaxError|compiler:compile_page|" + (
    "runtime:escape module_name"
)


def __getattr__(name):  # type: ignore[no-untyped-def]
    return _lazy("remora.pages", _WHERE, None, name, globals())
