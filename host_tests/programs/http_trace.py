"""The HTTP core's events and verdicts on the fuzz corpus, one line per case (CPython).

    PYTHONPATH=PATH:host_tests/unit python host_tests/programs/http_trace.py [CASES]

host_tests/test_http_speedups.py runs it on the Python core (lib/) and on the compiled one
(the mypyc build of remora_tools.speedups) and requires the same output.  Each case is
traced whole and in its two splits, with fresh limits and with one server's limits kept
across the cases (its memo of the lines seen: the path a served request takes).  The first
lines name the core's modules and where they came from, so the test can tell the builds
apart.
"""

import sys

from httpcorpus import cases, events_of

from remora.proto.http import chunked, connection, fields, readers, server, state, writers
from remora.proto.http.limits import Limits

for module in (fields, state, writers, readers, chunked, connection, server):
    print("module", module.__name__, "compiled" if module.__file__.endswith(".so") else "python")

count = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
shared = Limits()
for case, (role, data, eof, splits) in enumerate(cases(count)):
    for chunks in [[data]] + splits:
        print(case, role, repr(events_of(role, chunks + eof)), repr(events_of(role, chunks + eof, shared)))
