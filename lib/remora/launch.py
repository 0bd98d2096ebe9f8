"""Run a remora program: ``python -m remora.launch [--board NAME] [--path DIR] MODULE [args]``.

The ``remora run`` command builds this command line for either runtime.
The board profile comes from the module ``remora_board`` on the path (a
compiled copy of ``boards/NAME.py``); the program is the module MODULE,
which defines ``async def main(args)``; args are the remaining strings.
"""

import sys


def _parse(argv):
    board = None
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        if argv[i] == "--board":
            board = argv[i + 1]
        elif argv[i] == "--path":
            sys.path.insert(0, argv[i + 1])
        i += 2
    return board, argv[i], argv[i + 1 :]


def _pace_collections(heap_bytes):
    # MicroPython collects only when an allocation fails, so start-up's
    # garbage spreads the modules' objects over the whole heap, and a large
    # block needed later (the qstr table doubles to several KiB) finds no
    # room although a third of the heap is free.  Collecting after every
    # eighth of the heap allocated keeps objects packed at its bottom: the
    # HTTP server and pages then start in a 100 KB heap, not only in 114 KB.
    # A server ends this once it is set up (port.settle_heap).  (CPython's gc
    # has no threshold(n): feature probe.)
    import gc

    pace = getattr(gc, "threshold", None)
    if pace is not None and heap_bytes:
        pace(heap_bytes // 8)


def main(argv):
    board, module_name, args = _parse(argv)
    from . import profile

    try:
        import remora_board

        profile.use(remora_board.PROFILE)
    except ImportError:
        if board is not None:
            print("remora: no profile for board", board)
    _pace_collections(profile.get("heap_bytes"))
    module = __import__(module_name)
    from . import dispatcher

    try:
        dispatcher.run(module.main, args)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
