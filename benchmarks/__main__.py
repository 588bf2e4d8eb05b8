"""``python -m benchmarks KIND ...``: speed and quality measured in one run, printed as a report.

Kinds: ``rank`` (per-request ranking), ``batch`` (the nightly batch), ``api`` (the service under
concurrent load), ``replay`` (a year day by day), ``simulate`` (planning on Dask). Benchmarks never
run in the default test run.
"""

from __future__ import annotations

import importlib
import sys

KINDS = {
    "rank": "benchmarks.rank",
    "api": "benchmarks.api",
    "batch": "benchmarks.batch",
    "replay": "benchmarks.replay",
    "simulate": "benchmarks.simulate",
    "load": "benchmarks.load",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in KINDS:
        print(f"usage: python -m benchmarks {{{','.join(KINDS)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(KINDS[argv[0]])
    result: int = module.main(argv[1:])
    return result


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
