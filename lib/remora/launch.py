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


def configure_log(spec, access_allowed):
    """REMORA_LOG: comma-separated words, "access" (one line per HTTP
    request; remora serve sets it) and a level (debug, info, warning,
    error).  A board profile with ``log_access: False`` keeps access lines off."""
    from . import log

    for word in (spec or "").split(","):
        word = word.strip().lower()
        if word == "access":
            log.access_log(access_allowed)
        elif word in ("debug", "info", "warning", "error"):
            log.set_level(getattr(log, word.upper()))


def main(argv):
    board, module_name, args = _parse(argv)
    from . import profile

    try:
        import remora_board

        profile.use(remora_board.PROFILE)
    except ImportError:
        if board is not None:
            print("remora: no profile for board", board)
    from . import port

    configure_log(port.getenv("REMORA_LOG"), profile.get("log_access") is not False)
    # Start-up's garbage must not scatter the modules' objects over the heap
    # (see port.pace_heap); a server ends this once set up (port.settle_heap).
    port.pace_heap(profile.get("heap_bytes") // 8)
    module = __import__(module_name)
    from . import dispatcher
    from .errors import SocketError

    try:
        dispatcher.run(module.main, args)
    except KeyboardInterrupt:
        pass
    except SocketError as exc:
        # A socket error that ends the program says what and where in one
        # line (a port in use, say): no traceback for what is no bug.
        print("remora:", exc.args[-1] if exc.args else repr(exc))
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
