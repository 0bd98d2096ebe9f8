"""The package's layers import one way, and only port knows the runtime.

Layers, bottom up (DESIGN.md); a module may import its own layer's modules
listed before it, and anything in the layers below:

    port        remora.port.*                     nothing of remora
    base        errors, profile, ints, log,       port
                remora (the lazy names)
    dispatcher  dispatcher                        base, port
    sockets     pool, listener, rawio,            dispatcher, base, port
                writequeue, sockbase, tlssock,    (in that order)
                sock, net
    proto       remora.proto.NAME.*               its own package only
    services    http, pages, ws, mqtt, ...        everything below
    launch      launch                            anything

Every import counts, at module level or inside a function (a lazy import is
still a dependency).  Also: no import cycle anywhere in lib/; no module
reads another module's underscore names (``from m import _x``, ``m._x``,
``obj._x`` for an object that is not ``self`` or ``cls``); no module outside
port asks which runtime it is on.
"""

import ast
import os

from harness import LIB

ROOT = os.path.join(LIB, "remora")

SOCKETS = ("pool", "listener", "rawio", "writequeue", "sockbase", "tlssock", "sock", "net")
BASE = ("errors", "profile", "ints", "log")


def module_names():
    """{module name: path} for every module of lib/remora."""
    found = {}
    for base, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(base, name), LIB)[:-3].replace(os.sep, ".")
            if rel.endswith(".__init__"):
                rel = rel[: -len(".__init__")]
            found[rel] = os.path.join(base, name)
    return found


MODULES = module_names()


def rank(module):
    """(layer number, order within the layer) of a module of ours."""
    parts = module.split(".")
    if module == "remora":
        return (1, 0)
    top = parts[1]
    if top == "port":
        return (0, 0)
    if top in BASE:
        return (1, 0)
    if top == "dispatcher":
        return (2, 0)
    if top in SOCKETS:
        return (3, SOCKETS.index(top))
    if top == "proto":
        return (4, 0)
    if top == "launch":
        return (6, 0)
    return (5, 0)  # services


def resolve(module, node):
    """The remora modules an import node brings in (submodules included)."""
    out = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            package = module if MODULES[module].endswith("__init__.py") else module.rsplit(".", 1)[0]
            for _ in range(node.level - 1):
                package = package.rsplit(".", 1)[0]
            base = package + ("." + node.module if node.module else "")
        else:
            base = node.module or ""
        names = [base]
        for alias in node.names:
            if base + "." + alias.name in MODULES:
                names.append(base + "." + alias.name)
    for name in names:
        if name in MODULES:
            out.append(name)
    return out


def imports(module):
    tree = ast.parse(open(MODULES[module]).read(), MODULES[module])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in resolve(module, node):
                if target != module:
                    found.append((node.lineno, target, node))
    return found


def in_package(module, package):
    return module == package or module.startswith(package + ".")


def test_imports_run_one_way():
    wrong = []
    for module in MODULES:
        mine = rank(module)
        for line, target, _node in imports(module):
            if module.startswith("remora.proto."):
                own = ".".join(module.split(".")[:3])
                if not in_package(target, own):
                    wrong.append("%s:%d imports %s (a core imports only its own package)"
                                 % (module, line, target))
                continue
            theirs = rank(target)
            # Within the sockets layer, only modules listed earlier.  A
            # package may load its own submodules (the lazy names of
            # remora/__init__, remora.http/__init__), nothing else above it.
            if theirs > mine and not in_package(target, module):
                wrong.append("%s:%d imports %s, a layer above it" % (module, line, target))
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {m: sorted({t for _l, t, _n in imports(m)}) for m in MODULES}
    # A package's __init__ that only names its submodules lazily does not
    # depend on them: drop package -> own submodule edges.
    for m in graph:
        graph[m] = [t for t in graph[m] if not in_package(t, m)]
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in graph[m]:
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(t):] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def own_private_names(tree):
    """The underscore names a module defines itself: its functions, classes,
    class attributes and ``self._x`` attributes.  Reading ``obj._x`` is a
    module's own business when it defines ``_x`` (an object of its own
    class); otherwise it reaches into another module's object."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
                    elif isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name) and (
                        leaf.value.id in ("self", "cls")
                    ):
                        names.add(leaf.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_module_reads_anothers_private_names():
    wrong = []
    for module, path in MODULES.items():
        tree = ast.parse(open(path).read(), path)
        own = own_private_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        wrong.append("%s:%d imports %s" % (module, node.lineno, alias.name))
            if not isinstance(node, ast.Attribute):
                continue
            attr = node.attr
            if not attr.startswith("_") or attr.startswith("__") or attr in own:
                continue
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue  # its own object (a base class's field included)
            if module.startswith("remora.port.") and isinstance(base, ast.Name) and base.id in (
                "core", "asyncio", "sys",
            ):
                continue  # the port's business: the runtime's own internals
            wrong.append("%s:%d reads .%s" % (module, node.lineno, attr))
    assert not wrong, "\n".join(sorted(set(wrong)))


RUNTIME_PROBES = ("sys.implementation", "sys.platform", "sys.print_exception")
RUNTIME_MODULES = ("micropython", "gc", "_thread", "machine", "esp32", "network", "uctypes")


def test_only_port_knows_the_runtime():
    wrong = []
    for module, path in MODULES.items():
        if module.startswith("remora.port"):
            continue
        text = open(path).read()
        for probe in RUNTIME_PROBES:
            if probe in text:
                wrong.append("%s uses %s" % (module, probe))
        tree = ast.parse(text, path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in RUNTIME_MODULES:
                        wrong.append("%s:%d imports %s" % (module, node.lineno, alias.name))
            elif isinstance(node, ast.ImportFrom) and node.module in RUNTIME_MODULES:
                # ``from micropython import const`` (with its CPython
                # fallback) is a compile-time feature, not a runtime check.
                if node.module == "micropython" and [a.name for a in node.names] == ["const"]:
                    continue
                wrong.append("%s:%d imports from %s" % (module, node.lineno, node.module))
    assert not wrong, "\n".join(wrong)
