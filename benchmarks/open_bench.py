"""Opening a written audit (``auditor.open_audit``) against auditing the corpus again (``auditor.audit``).

    figure-audit run corpus/ --out D --format both --jobs 2
    .venv/bin/python benchmarks/open_bench.py D [--corpus corpus/]

(A folder written with ``--format csv`` is opened from its CSVs.)
Each way runs in a fresh Python process and prints: seconds to get the audit (open or audit), to build
the workbench (``auditor.Dashboard``) and to select a claim group; the process's resident memory (RSS)
after each step and its peak; the figure rows read from disk; and the bytes the workbench sends to the
browser for its first paint (the widget's state: the group list, the summary, the first group's reports,
and the script and style), with the data alone in brackets.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(how: str, target: str, jobs: int) -> dict:
    """One measurement, in this (fresh) process."""
    t0 = time.perf_counter()
    import auditor  # noqa: F401 - the import is part of what a notebook pays either way

    t_import = time.perf_counter() - t0
    base = _rss_mb()
    t0 = time.perf_counter()
    if how == "audit":
        result = auditor.audit([target], jobs=jobs)
        n_figures = len(result.figures)
    else:
        result = auditor.open_audit(target)
        n_figures = result.n_figures
    t_get = time.perf_counter() - t0
    rss_get = _rss_mb()
    t0 = time.perf_counter()
    dashboard = auditor.Dashboard(result)
    t_dash = time.perf_counter() - t0
    rss_dash = _rss_mb()
    view = dashboard.view
    state = {name: getattr(view, name) for name in ("rows", "summary", "detail", "_esm", "_css")}
    data_bytes = len(json.dumps({k: state[k] for k in ("rows", "summary", "detail")}, default=str).encode())
    paint_bytes = data_bytes + len(state["_esm"].encode()) + len(state["_css"].encode())
    ids = dashboard.rows["id"]
    picks = [ids[len(ids) // 2], ids[-1]]
    times = []
    for group_id in picks:
        t0 = time.perf_counter()
        dashboard.select(group_id)
        times.append(time.perf_counter() - t0)
    return {
        "how": how, "figures": n_figures, "groups": len(ids), "import_s": t_import, "get_s": t_get,
        "dashboard_s": t_dash, "select_s": max(times), "rss_base": base, "rss_get": rss_get, "rss_dash": rss_dash,
        "rss_select": _rss_mb(), "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows_read": getattr(result, "rows_read", n_figures), "paint_bytes": paint_bytes, "data_bytes": data_bytes,
        "format": getattr(result, "format", "memory"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the output folder of figure-audit run")
    parser.add_argument("--corpus", type=Path, help="the corpus it audited: also time auditor.audit of it")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for auditor.audit")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child[0], args.child[1], args.jobs)))
        return 0
    runs = [("open", str(args.out))] + ([("audit", str(args.corpus))] if args.corpus else [])
    print(f"{'how':<14}{'figures':>9}{'groups':>8}{'get s':>8}{'dash s':>8}{'select s':>9}"
          f"{'RSS get':>9}{'RSS dash':>9}{'RSS sel':>9}{'peak':>8}{'rows read':>11}  first paint bytes (data)")
    for how, target in runs:
        done = subprocess.run([sys.executable, __file__, str(args.out), "--jobs", str(args.jobs),
                               "--child", how, target], capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        r = json.loads(done.stdout.strip().splitlines()[-1])
        label = f"{how} ({r['format']})"
        print(f"{label:<14}{r['figures']:>9,}{r['groups']:>8,}{r['get_s']:>8.2f}{r['dashboard_s']:>8.2f}"
              f"{r['select_s']:>9.3f}{r['rss_get']:>8.0f}M{r['rss_dash']:>8.0f}M{r['rss_select']:>8.0f}M"
              f"{r['rss_peak']:>7.0f}M{r['rows_read']:>11,}  {r['paint_bytes']:,} ({r['data_bytes']:,})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
