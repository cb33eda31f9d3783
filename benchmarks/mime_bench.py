"""How long the rich display of an audit takes and how much it adds to a notebook.

    .venv/bin/python benchmarks/mime_bench.py [--sizes 5000 50000] [--repeat 3]

Uses the synthetic audit of ``dashboard_bench.py`` (groups of about five reports, one in five in
conflict). Printed per size: the time of ``AuditResult._repr_mimebundle_()`` and the kilobytes of
its ``application/vnd.figure-audit+json`` and ``text/html`` parts, which the notebook stores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_bench import synthetic_result  # noqa: E402

from auditor._mime import MIME_TYPE, mimebundle  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'figures':>8} {'conflicts':>9} {'build ms':>9} {'json KB':>8} {'html KB':>8} {'shown':>22}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            result = synthetic_result(size, Path(tmp) / str(size))
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                bundle = mimebundle(result)
                times.append((time.perf_counter() - started) * 1000)
            payload = bundle[MIME_TYPE]
            json_kb = len(json.dumps(payload, allow_nan=False)) / 1024
            html_kb = len(bundle["text/html"]) / 1024
            shown = f"{len(payload['groups'])} groups, {len(payload['figures'])} figs"
            print(f"{size:>8} {len(result.conflicts):>9} {statistics.median(times):>9.0f} {json_kb:>8.0f} "
                  f"{html_kb:>8.0f} {shown:>22}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
