"""remora's benchmarks, one module per thing measured (see bench/README.md).

    .venv/bin/python -m bench --out bench/results.md     # all of them (make bench)
    .venv/bin/python -m bench.echo                       # one part alone

Run from the repository root.  harness.py holds what the parts share.
"""
