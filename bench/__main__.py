"""Every part of the bench in one run: ``.venv/bin/python -m bench`` (what ``make bench`` runs).

    .venv/bin/python -m bench --out bench/results.md         # all parts, the table written
    .venv/bin/python -m bench --only echo --only http_heap   # some of them

Each part is a module of this package (see harness.py for what one holds); PARTS is the
order they run in.  Adding a part: write bench/NAME.py and add its name here.
"""

import importlib
import sys
from typing import List, Optional

from . import harness

PARTS = ("echo", "heap", "maxidle", "c10k", "http_rate", "http_stream", "http_cost", "http_heap",
         "http_idle", "imports", "ws", "mqtt", "tls", "soak")


def main(argv: Optional[List[str]] = None) -> int:
    parts = [importlib.import_module("bench." + name) for name in PARTS]
    ap = harness.parser(parts, "python -m bench")
    ap.add_argument("--only", action="append", choices=PARTS,
                    help="run only this part (repeatable)")
    run = harness.Run(ap.parse_args(argv))
    for part in parts:
        if not run.opts.only or part.NAME in run.opts.only:
            harness.measure(run, part)
    harness.finish(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
