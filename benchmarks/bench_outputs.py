"""Output writing benchmark: each table's CSV and Parquet, and report.html, timed apart from the audit.

    .venv/bin/python benchmarks/bench_outputs.py --articles 6800,27000 [--repeat 3] [--cache DIR]
    .venv/bin/python benchmarks/bench_outputs.py --corpus PATH [--corpus PATH ...]
    .venv/bin/python benchmarks/bench_outputs.py --result audit.pkl      # a pickled AuditResult
    .venv/bin/python benchmarks/bench_outputs.py --corpus /tmp/c5 --audit-jobs 2 --sets 1,2 --no-tables

``--sets 1,2`` also writes the whole set (``write_outputs``: every table, fsync, the switch) on 1 and
2 processes, alternating, and prints the fastest wall time, this process's CPU and the forked writers'
CPU of each; ``--audit-jobs 2`` audits on two workers, so the tables are spilled to files as in a
command-line run.

Each corpus is audited once (a generated ``make_corpus.py`` JSONL corpus of ``--articles`` articles,
about 730 bytes each, or ``--corpus``), with the per-article figure cache in ``--cache`` so a second
invocation re-uses it; then every output is written ``--repeat`` times into a temporary folder the way
``OutputFolder`` writes a set (fsync included). Printed per output: median wall and CPU seconds, rows,
bytes; for the report also the time of its first render in this process (imports included).
Other processes on a shared machine slow every figure: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from make_corpus import write_jsonl  # noqa: E402


def _timed(fn, repeat: int) -> tuple[float, float, float, float]:
    """(median wall, median CPU, first wall, first CPU) seconds of ``fn()`` run ``repeat`` times."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), walls[0], cpus[0]


def _result_of(corpus: Path, cache: Path | None, jobs: int = 1):
    from auditor.audit import audit

    started = time.perf_counter()
    out = Path(tempfile.mkdtemp(prefix="bench-outputs-store-"))
    result = audit([corpus], jobs=jobs, out_dir=out, cache=cache)
    print(f"# audited {corpus} in {time.perf_counter() - started:.1f}s (cache {cache}, jobs {jobs}; "
          f"figures {'spilled to a file' if result.figures_spilled else 'in memory'})", flush=True)
    return result


def bench_sets(result, name: str, repeat: int, jobs: list[int], formats: tuple[str, ...]) -> None:
    """The whole set as ``OutputFolder.write`` writes it (every table, lock, fsync, switch) on each of
    ``jobs`` processes: wall, this process's CPU and the forked writers' CPU, fastest of ``repeat``."""
    import resource

    from auditor.export import write_outputs

    print(f"\n## {name}: the whole set ({', '.join(formats)}), fastest of {repeat}   (load {os.getloadavg()[0]:.2f})")
    print(f"{'jobs':<6}{'wall s':>9}{'cpu s':>9}{'writers cpu s':>15}")
    with tempfile.TemporaryDirectory(prefix="bench-outputs-sets-") as tmp:
        best: dict[int, tuple[float, float, float]] = {}
        for _ in range(repeat):
            for n in jobs:  # alternating: a busy neighbour slows one round, not one setting
                kids = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall, cpu = time.perf_counter(), time.process_time()
                write_outputs(result, Path(tmp) / f"jobs-{n}", formats=formats, jobs=n)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                writers = after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime
                if n not in best or wall < best[n][0]:
                    best[n] = (wall, cpu, writers)
        for n in jobs:
            wall, cpu, writers = best[n]
            print(f"{n:<6}{wall:>9.3f}{cpu:>9.3f}{writers:>15.3f}")


def bench(result, name: str, repeat: int) -> None:
    from auditor import export
    from auditor.review import ReviewStore

    tables = export._tables(result)
    store = getattr(result, "out_dir", None)
    decisions = ReviewStore(store).decisions() if store is not None else None
    tables["decisions"] = (decisions, tables["decisions"][1])
    print(f"\n## {name}: {len(result.articles):,} articles, {len(result.figures):,} figures, "
          f"{len(result.groups):,} groups, {len(result.conflicts):,} conflicts   (load {os.getloadavg()[0]:.2f})")
    print(f"{'output':<22}{'rows':>9}{'MB':>9}{'wall s':>9}{'cpu s':>9}")
    totals = {"csv": [0.0, 0.0], "parquet": [0.0, 0.0]}
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as tmp:
        folder = Path(tmp)
        for table, (frame, columns) in tables.items():
            for fmt, write in (("csv", export._write_csv_file), ("parquet", export._write_parquet_file)):
                path = folder / f"{table}.{fmt}"
                wall, cpu, _, _ = _timed(lambda: write(path, frame, columns), repeat)
                totals[fmt][0] += wall
                totals[fmt][1] += cpu
                rows = 0 if frame is None else len(frame)
                print(f"{table + '.' + fmt:<22}{rows:>9,}{path.stat().st_size / 1e6:>9.2f}{wall:>9.3f}{cpu:>9.3f}")
        for fmt, (wall, cpu) in totals.items():
            print(f"{'all ' + fmt:<22}{'':>9}{'':>9}{wall:>9.3f}{cpu:>9.3f}")
        from auditor.report import render_report

        html_path = folder / export.REPORT_NAME
        text: list[str] = []

        def report() -> None:
            text[:] = [render_report(result)]
            export._write_file(html_path, text[0].encode("utf-8"))

        wall, cpu, first_wall, first_cpu = _timed(report, repeat)
        print(f"{'report.html':<22}{'':>9}{html_path.stat().st_size / 1e6:>9.2f}{wall:>9.3f}{cpu:>9.3f}"
              f"   (first, imports included: {first_wall:.3f} wall, {first_cpu:.3f} cpu)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", default="", help="comma-separated sizes of generated corpora (articles)")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="a corpus file or folder")
    parser.add_argument("--result", type=Path, action="append", default=[], help="a pickled AuditResult")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-outputs-cache",
                        help="per-article figure cache (kept between invocations)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--audit-jobs", type=int, default=1,
                        help="processes of the audit (2: figures and claims spilled to files, as a CLI run)")
    parser.add_argument("--sets", default="", help="also write the whole set on these numbers of processes, e.g. 1,2")
    parser.add_argument("--formats", default="csv", help="formats of --sets: csv, parquet or csv,parquet")
    parser.add_argument("--no-tables", action="store_true", help="skip the per-table timings")
    args = parser.parse_args(argv)
    sets = [int(n) for n in args.sets.split(",") if n.strip()]
    formats = tuple(f for f in args.formats.split(",") if f)
    jobs: list[tuple[str, object]] = [(str(p), p) for p in args.corpus]
    for n in (int(x) for x in args.articles.split(",") if x.strip()):
        corpus = Path(tempfile.gettempdir()) / f"bench-outputs-corpus-{n}-{args.seed}"
        if not corpus.exists():
            write_jsonl(n, corpus, seed=args.seed)
        jobs.append((f"{n:,} generated articles ({sum(p.stat().st_size for p in corpus.iterdir()) / 1e6:.1f} MB)",
                     corpus))
    results = [(name, lambda corpus=corpus: _result_of(Path(corpus), args.cache if args.audit_jobs == 1 else None,
                                                       args.audit_jobs)) for name, corpus in jobs]
    results += [(str(path), lambda path=path: pickle.loads(path.read_bytes())) for path in args.result]
    for name, load in results:
        result = load()
        if not args.no_tables:
            bench(result, name, args.repeat)
        if sets:
            bench_sets(result, name, args.repeat, sets, formats)
    if not (jobs or args.result):
        parser.error("give --articles, --corpus or --result")
    return 0


if __name__ == "__main__":
    sys.exit(main())
