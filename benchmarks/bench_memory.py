"""Peak memory of a run and of each view of its result, per corpus size (should not grow with it).

    .venv/bin/python benchmarks/bench_memory.py [--sizes 5,20,50] [--work /tmp/bench-memory]
        [--parts cli,views,article] [--article-sizes 0.15,1.6,6] [--jobs 2]

Corpora are generated JSONL (``make_corpus.py``, seed 9, made once in ``--work``). Printed:

- ``cli``: ``figure-audit run --no-cache --jobs 2`` with and without ``--html``: peak RSS of the
  whole process tree as ``/usr/bin/time -f %M`` reports it, of the main process alone, and of
  the largest worker, and what ``--html`` adds to the main process's peak;
- ``views``: ``auditor.audit(corpus, jobs=2, out_dir=...)`` once, then each view of the result
  in a child forked from that process (so each view starts from the same state, e.g. a figure
  table still in its spill file): the notebook display (``_repr_mimebundle_``), ``report.html``
  (``write_report``, as ``--html`` writes it), the workbench's group list (``WorkbenchData``, what
  the dashboard starts from), ``review_group`` on the largest claim group, and ``write`` of every table
  (``format both`` plus ``--html``); then, the audit written as Parquet, the display and the group
  list of it opened (``open_audit``). For each, the child's peak RSS (VmHWM, reset at the start
  of the view) and how much it is above the RSS the view started from;
- ``article`` (not by default): one generated wire article of each ``--article-sizes`` MB (bodies joined by
  blank lines, one ``.txt``) run with ``--jobs 1`` and ``--jobs``: what one huge article's extraction holds.

Set ``PYTHONPATH`` to another checkout to measure it (e.g. the baseline worktree).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_scale import _articles_for, _kb, _run_cli  # noqa: E402
from make_corpus import _records, write_jsonl  # noqa: E402

TIME = "/usr/bin/time"

_VIEWS_PROBE = r"""
import json, os, sys, time, tempfile
from pathlib import Path

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1]) / 1024
    return float('nan')

def reset_peak():
    with open('/proc/self/clear_refs', 'w') as handle:  # resets VmHWM to the current RSS
        handle.write('5')

corpus, jobs, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
import auditor
from auditor.report import write_report
started = time.perf_counter()
result = auditor.audit(corpus, jobs=jobs, out_dir=out / 'store')
print(json.dumps({'view': 'audit()', 'peak_mb': status('VmHWM'), 'start_mb': 0, 'rss_mb': status('VmRSS'),
                  'seconds': time.perf_counter() - started}), flush=True)
groups = result.groups
largest = str(groups.sort_values('n_figures', ascending=False, kind='stable')['group_id'].iloc[0]) if len(groups) else ''

def html():  # as --html writes it: a piece at a time
    write_report(result, out / 'report.html')
    return (out / 'report.html').stat().st_size

def mime():
    return len(json.dumps(result._repr_mimebundle_()['application/vnd.figure-audit+json'], default=str))

def workbench():
    from auditor.dashboard._data import WorkbenchData
    return len(WorkbenchData(result).group_list()['id'])

def review():
    result.review_group(largest, 'confirmed', 'bench_memory')
    return 0

def write():
    from auditor.export import write_outputs
    return len(write_outputs(result, out / 'written', html=True, formats=('csv', 'parquet')))

def opened_mime():
    return len(json.dumps(auditor.open_audit(out / 'parquet')._repr_mimebundle_()['application/vnd.figure-audit+json'],
                          default=str))

def opened_workbench():
    from auditor.dashboard._data import WorkbenchData
    return len(WorkbenchData(auditor.open_audit(out / 'parquet')).group_list()['id'])

def run(name, view):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            start = status('VmRSS')
            reset_peak()
            began = time.perf_counter()
            size = view()
            print(json.dumps({'view': name, 'peak_mb': status('VmHWM'), 'start_mb': start, 'rss_mb': status('VmRSS'),
                              'seconds': time.perf_counter() - began, 'size': size}), flush=True)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)

for name, view in (('notebook display', mime), ('report.html', html), ('workbench list', workbench),
                   ('review_group', review), ('write both+html', write)):
    run(name, view)
from auditor.export import write_outputs
write_outputs(result, out / 'parquet', formats=('parquet',))
for name, view in (('opened Parquet: display', opened_mime), ('opened Parquet: workbench list', opened_workbench)):
    run(name, view)
"""


def corpus_of(work: Path, mb: float) -> Path:
    """The JSONL corpus of about ``mb`` MB in ``work`` (written once)."""
    folder = work / f"c{mb:g}"
    if not folder.is_dir():
        write_jsonl(_articles_for(mb), folder, seed=9)
    return folder


def article_of(work: Path, mb: float) -> Path:
    """A folder holding one generated wire article of about ``mb`` MB (generated articles' bodies joined by
    blank lines, no front matter; written once)."""
    folder = work / f"article{mb:g}"
    path = folder / "article.txt"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        bodies, size = [], 0
        for _name, _metadata, body in _records(_articles_for(mb) * 2, 9, 0.2):
            bodies.append(body.strip())
            size += len(bodies[-1].encode()) + 2
            if size >= mb * 1_000_000:
                break
        path.write_text("\n\n".join(bodies) + "\n", encoding="utf-8")
    return folder


def _mb(folder: Path) -> float:
    return _kb(folder) / 1024


def cli_run(corpus: Path, out: Path, jobs: int, *extra: str) -> dict:
    """One ``figure-audit run`` in a fresh process under ``/usr/bin/time`` (``bench_scale._run_cli``): peak RSS
    (MB) of the whole tree, the main process and the largest worker, and seconds."""
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        prefix = (TIME, "-f", "%M", "-o", timing.name) if Path(TIME).exists() else ()
        result = _run_cli(corpus, out, "--no-cache", "--jobs", str(jobs), *extra, prefix=prefix)
        text = Path(timing.name).read_text().strip().splitlines()
        result["tree_mb"] = int(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")
    shutil.rmtree(out, ignore_errors=True)
    return result


def views(corpus: Path, work: Path, jobs: int) -> list[dict]:
    """The audit in one process, then each view in a forked child (see the module docstring)."""
    out = Path(tempfile.mkdtemp(prefix="views-", dir=work))
    try:
        done = subprocess.run([sys.executable, "-c", _VIEWS_PROBE, str(corpus), str(jobs), str(out)],
                              capture_output=True, text=True)
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or len(rows) < 8:
            print(f"  views failed or incomplete: {done.stderr[-2000:]}", file=sys.stderr)
        return rows
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5,20,50", help="corpus sizes in MB, comma-separated")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-memory")
    parser.add_argument("--parts", default="cli,views", help="cli, views, article (one huge article), comma-separated")
    parser.add_argument("--article-sizes", default="0.15,1.6,6", help="sizes in MB of the one article (--parts article)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", default="csv,html", help="cli runs: csv (no report), html (--html) or both")
    parser.add_argument("--view-sizes", default="", help="sizes for the views part (default: --sizes)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    sizes = [float(s) for s in args.sizes.split(",") if s]
    print(f"auditor from: {os.environ.get('PYTHONPATH') or ROOT}; load {os.getloadavg()[0]:.1f}")
    if "cli" in parts:
        print("\n| corpus | run | whole tree (time %M) | main process | largest worker | seconds |")
        print("|---|---|---|---|---|---|")
        for size in sizes:
            corpus = corpus_of(args.work, size)
            runs = [r for r in (("csv", ()), ("html", ("--html",))) if r[0] in args.runs.split(",")]
            peaks = {}
            for label, extra in runs:
                r = cli_run(corpus, args.work / "out", args.jobs, *extra)
                peaks[label] = r["rss_mb"]
                print(f"| {_mb(corpus):.0f} MB | {label} | {r['tree_mb']:,.0f} MB | {r['rss_mb']:,.0f} MB | "
                      f"{r['worker_rss_mb']:,.0f} MB | {r['process']:.0f} |", flush=True)
            if len(peaks) == 2:  # what the report adds to the main process's peak (flat in corpus size)
                print(f"| {_mb(corpus):.0f} MB | html − csv | | {peaks['html'] - peaks['csv']:+,.0f} MB | | |", flush=True)
    if "article" in parts:  # one huge article (a book, a live blog's year): extraction's peak within one article
        print("\n| one article | jobs | whole tree (time %M) | main process | largest worker | seconds |")
        print("|---|---|---|---|---|---|")
        for size in [float(s) for s in args.article_sizes.split(",") if s]:
            folder = article_of(args.work, size)
            for jobs in dict.fromkeys((1, args.jobs)):
                r = cli_run(folder, args.work / "out", jobs)
                print(f"| {_kb(folder) * 1024 / 1e6:.2f} MB | {jobs} | {r['tree_mb']:,.0f} MB | {r['rss_mb']:,.0f} MB | "
                      f"{r['worker_rss_mb']:,.0f} MB | {r['process']:.1f} |", flush=True)
    if "views" in parts:
        print("\n| corpus | view | peak RSS | above its start | seconds |")
        print("|---|---|---|---|---|")
        for size in [float(s) for s in args.view_sizes.split(",") if s] or sizes:
            corpus = corpus_of(args.work, size)
            for r in views(corpus, args.work, args.jobs):
                above = r["peak_mb"] - r["start_mb"] if r["start_mb"] else float("nan")
                print(f"| {_mb(corpus):.0f} MB | {r['view']} | {r['peak_mb']:,.0f} MB | {above:+,.0f} MB | "
                      f"{r['seconds']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
