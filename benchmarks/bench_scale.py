"""Scale benchmark: throughput, parallel speed-up, re-runs, memory, Dask and long articles, in one run.

    .venv/bin/python benchmarks/bench_scale.py [--mb 5] [--sizes 5,20,50] [--quick]

Prints, on a generated wire corpus (``make_corpus.py``):

* KB/s of ``figure-audit run`` (a fresh CLI process, reading and writing everything) and of
  ``quantulum3.parser.parse`` alone on the same ``--mb`` corpus, and their ratio;
* ``--jobs 1`` against ``--jobs 2`` (wall time, and CPU time of the workers): the fastest of each, and
  with ``--repeat`` above 1 the median and range of each pair's ratio (runs alternate);
* the first run against re-runs: unchanged into the same --out (up to date), into a new --out (per-article
  cache), and after one article changed (fastest of 3 each, wall and CPU);
* peak RSS of the CLI process (and the largest worker) at each of ``--sizes`` MB (JSONL files), without
  the cache and as a default run (the cache on, empty);
* the audit on a Dask ``LocalCluster`` of 1 and 2 single-threaded worker processes;
* claim building (incidents, groups, conflicts) at ``--claims`` figures (``bench_claims.py``, each
  size in a fresh process);
* extraction time of one long article of 0.2, 0.8 and 3.2 MB, and ten 100 KB articles; each long article
  also as a file read and extracted with ``--jobs 1`` and ``--jobs 2`` (in pieces, ``_article_parts``);
* a worker's CPU per MB outside extraction (``worker``: reading, decoding, rows, packing and pickling the
  result of each batch, as ``_parallel._run_batch`` does), against extraction alone of the same articles,
  on up to 1 MB of the corpus in this process (fastest of 3 each).

quantulum3 is slow: when the whole corpus would take more than ``--quantulum-budget`` seconds,
it parses a fixed subset and the KB/s of that subset stands for the whole (said in the output).
The machine's load average is printed: other processes on a shared machine slow every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from make_corpus import write_corpus, write_jsonl  # noqa: E402
from speed import quantulum_seconds  # noqa: E402

PARTS = ("speed", "rerun", "rss", "dask", "claims", "long", "worker")
BYTES_PER_ARTICLE = 730  # make_corpus articles average about this many bytes


def _articles_for(mb: float) -> int:
    return max(10, int(mb * 1024 * 1024 / BYTES_PER_ARTICLE))


def _kb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024


def _run_cli(corpus: Path, out: Path, *extra: str, prefix: tuple[str, ...] = ()) -> dict:
    """One ``figure-audit run`` in a fresh process (started under ``prefix``, e.g. ``/usr/bin/time``): wall
    seconds, CPU of it and its workers, peak RSS (MB)."""
    probe = (
        "import resource, sys, time, json\n"
        "from auditor.cli import main\n"
        "t = time.perf_counter(); code = main(); wall = time.perf_counter() - t  # sys.argv, as the command line\n"
        "me = resource.getrusage(resource.RUSAGE_SELF); kids = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "print(json.dumps({'code': code, 'wall': wall, 'cpu': me.ru_utime + me.ru_stime,\n"
        "  'worker_cpu': kids.ru_utime + kids.ru_stime, 'rss_mb': (hwm[0] if hwm else me.ru_maxrss) / 1024,\n"
        "  'worker_rss_mb': kids.ru_maxrss / 1024}), flush=True)\n"
    )
    # The peak of this process's own memory (VmHWM; Linux): ru_maxrss of RUSAGE_SELF also counts the
    # benchmark process it was started from (its pages at the fork, kept across exec), which after the
    # quantulum3 part is bigger than a 5 MB run.
    # A script named figure-audit, as the installed command: main() ends it as it ends the command line
    # (auditor.cli._is_command_line), not as a caller's script.
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "figure-audit"
        script.write_text(probe, encoding="utf-8")
        command = [*prefix, sys.executable, str(script), "run", str(corpus), "--out", str(out), "--quiet", *extra]
        load = os.getloadavg()[0]  # the machine's 1-minute load as it starts: how far its timings can be trusted
        started = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - started  # with interpreter start and imports
    result["load"] = load
    if result["code"] != 0:
        raise SystemExit(f"figure-audit failed: {done.stderr}")
    return result


def _quantulum(corpus: Path, budget: float) -> tuple[float, str]:
    """KB/s of quantulum3.parser.parse over the corpus texts (a fixed subset when the whole is too slow)."""
    from auditor.readers import load_articles

    texts = [a.text for a in load_articles(corpus).articles]
    total_kb = sum(len(t.encode()) for t in texts) / 1024
    seconds, parsed_kb = quantulum_seconds(texts, budget)
    note = "whole corpus" if parsed_kb >= total_kb - 1e-6 else \
        f"first {parsed_kb:,.0f} of {total_kb:,.0f} KB in {seconds:.0f} s, scaled by KB"
    return parsed_kb / seconds, note


def _dask(corpus: Path, workers: int) -> float:
    from distributed import LocalCluster

    from auditor.audit import audit

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as cluster:
        started = time.perf_counter()  # includes the workers' one-off warm-up
        audit(corpus, cluster=cluster.scheduler_address)
        return time.perf_counter() - started


def _long_articles(sizes_mb: list[float], corpus: Path) -> list[tuple[str, float | str, int | str]]:
    from auditor.extract import extract_figures, warm_up
    from auditor.model import Article
    from auditor.readers import load_articles

    warm_up()
    bodies = [a.text.split("---\n", 2)[-1] for a in load_articles(corpus).articles[:2000]]

    def text_of(chars: int) -> str:
        out, size, i = [], 0, 0
        while size < chars:
            out.append(bodies[i % len(bodies)])
            size += len(out[-1])
            i += 1
        return "".join(out)

    rows = []
    for mb in sizes_mb:
        text = text_of(int(mb * 1e6))
        started = time.perf_counter()
        found = extract_figures(Article("long", "long.txt", text))
        rows.append((f"one {mb:g} MB article", time.perf_counter() - started, len(found)))
        wall, cpu = _pieces_speedup(text, corpus.parent / f"long-{mb:g}")
        rows.append((f"one {mb:g} MB article as a file, --jobs 1 / --jobs 2 (pieces)", wall, cpu))
    text = text_of(100_000)
    started = time.perf_counter()
    found = sum(len(extract_figures(Article(f"a{k}", "a.txt", text))) for k in range(10))
    rows.append(("ten 100 KB articles", time.perf_counter() - started, found))
    return rows


def _pieces_speedup(text: str, folder: Path) -> tuple[str, str]:
    """Reading and extracting one long article file in this process (``--jobs 1``) and on two forked
    workers (``--jobs 2``: in pieces, ``auditor._article_parts``), fastest of 2 each; the rows must agree.

    Wall time, and CPU time: of this process for ``--jobs 1``, of the busiest worker for ``--jobs 2`` (what
    its wall time is on two idle cores; on a shared machine Linux gives one session's processes one share
    of the CPU, however many they are, so there the wall times do not show the speed-up)."""
    from auditor._parallel import WorkerPool, run_task, run_tasks
    from auditor.readers import ReadTask

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "long.txt"
    path.write_text(text, encoding="utf-8")
    task = ReadTask(path, path.stat().st_size)
    wall: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    found: dict[int, list] = {}
    for _ in range(2):
        for jobs in (1, 2):
            started, used = time.perf_counter(), time.process_time()
            if jobs == 1:
                found[jobs] = run_task(task, 2**31).rows
                cpu[1].append(time.process_time() - used)
            else:
                pool = WorkerPool(jobs)
                found[jobs] = [result.rows for _task, result in run_tasks([task], 2**31, pool=pool)][0]
                cpu[2].append(max(_cpu_seconds(pid) for pid in pool._pool._processes))  # type: ignore[union-attr]
                pool.close()
            wall[jobs].append(time.perf_counter() - started)
    if found[1] != found[2]:
        raise SystemExit(f"--jobs 2 found other figures than --jobs 1 in {path}")
    one, two = min(wall[1]), min(wall[2])
    cpu_one, cpu_two = min(cpu[1]), min(cpu[2])
    return (f"{one:.2f} s / {two:.2f} s wall ({one / two:.2f}x)",
            f"{cpu_one:.2f} s / {cpu_two:.2f} s CPU of the busiest process ({cpu_one / cpu_two:.2f}x)")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--mb", type=float, default=5.0, help="corpus for speed, jobs, cache, Dask (default 5)")
    options.add_argument("--sizes", default="5,20,50", help="corpus sizes in MB for peak RSS (default 5,20,50)")
    options.add_argument("--long", default="0.2,0.8,3.2", help="long-article sizes in MB (default 0.2,0.8,3.2)")
    options.add_argument("--quantulum-budget", type=float, default=60.0,
                         help="seconds of quantulum3 parsing before it is scaled from a subset (default 60)")
    options.add_argument("--claims", default="10000,100000,1000000",
                         help="figure counts for the claims step (default 10000,100000,1000000; empty: skip)")
    options.add_argument("--quick", action="store_true",
                         help="small sizes: --mb 1 --sizes 1,2,5 --long 0.2,0.8 --claims 10000,100000")
    options.add_argument("--repeat", type=int, default=2,
                         help="runs of --jobs 1 and --jobs 2 each, alternating; the fastest counts (default 2)")
    options.add_argument("--parts", default=",".join(PARTS),
                         help=f"what to measure, comma-separated (default all: {','.join(PARTS)})")
    options.add_argument("--keep", type=Path, default=None, help="keep corpora and outputs in this folder")
    args = options.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if parts - set(PARTS):
        options.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}")
    if args.quick:
        args.mb, args.sizes, args.long, args.quantulum_budget = 1.0, "1,2,5", "0.2,0.8", 20.0
        args.claims = "10000,100000"
    work = args.keep or Path(tempfile.mkdtemp(prefix="figure-audit-scale-"))
    os.environ.setdefault("FIGURE_AUDITOR_CACHE", str(work / "user-cache"))  # table indexes, not ~/.cache
    began = time.perf_counter()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    corpus = work / "corpus"
    write_corpus(_articles_for(args.mb), corpus, seed=5)
    kb = _kb(corpus)
    files = len(list(corpus.iterdir()))
    print(f"\ncorpus: {files:,} articles, {kb:,.0f} KB (make_corpus.py, seed 5)")
    warm = work / "warm-corpus"
    write_corpus(20, warm, seed=5)
    _run_cli(warm, work / "warm", "--no-cache", "--jobs", "1")  # builds the table indexes once

    print("\n| measure | value |\n|---|---|")
    if "speed" in parts:
        _speed(corpus, work, kb, args.quantulum_budget, args.repeat)
    if "rerun" in parts:
        _rerun(corpus, work)
    if "rss" in parts:
        _peak_rss(work, [float(s) for s in args.sizes.split(",") if s])
    if "dask" in parts:
        d1 = _dask(corpus, 1)
        d2 = _dask(corpus, 2)
        print(f"| Dask LocalCluster, 1 worker | {d1:.1f} s |")
        print(f"| Dask LocalCluster, 2 workers | {d2:.1f} s ({d1 / d2:.2f}x) |")
    if "claims" in parts:
        _claims([int(s) for s in args.claims.split(",") if s])
    if "long" in parts:
        for label, seconds, found in _long_articles([float(s) for s in args.long.split(",") if s], corpus):
            if isinstance(found, str):  # jobs 1 against jobs 2
                print(f"| {label} | {seconds}; {found} |")
            else:
                print(f"| {label} | {seconds:.2f} s ({found:,} figures) |")
    if "worker" in parts:
        _worker_overhead(corpus)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}; benchmark took {time.perf_counter() - began:.0f} s")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _speed(corpus: Path, work: Path, kb: float, budget: float, repeat: int) -> None:
    # jobs 1 and jobs 2 alternate, and the fastest of each counts: a busy neighbour slows one run, not both.
    runs = [(_run_cli(corpus, work / "j1", "--no-cache", "--jobs", "1"),
             _run_cli(corpus, work / "j2", "--no-cache", "--jobs", "2")) for _ in range(max(1, repeat))]
    one = min((r[0] for r in runs), key=lambda r: r["process"])
    two = min((r[1] for r in runs), key=lambda r: r["process"])
    if len(runs) > 1:
        print("| runs (jobs 1 / jobs 2, s) | " + ", ".join(f"{a['process']:.1f}/{b['process']:.1f}" for a, b in runs)
              + " (fastest of each below) |")
        print("| load at their start (1 min) | " + ", ".join(f"{a['load']:.1f}/{b['load']:.1f}" for a, b in runs) + " |")
    q_speed, q_note = _quantulum(corpus, budget)
    ours = kb / one["process"]
    print(f"| figure-audit run --jobs 1 | {one['process']:.1f} s, {ours:,.0f} KB/s |")
    print(f"| figure-audit run --jobs 2 | {two['process']:.1f} s, {kb / two['process']:,.0f} KB/s |")
    print(f"| quantulum3.parser.parse alone | {q_speed:,.0f} KB/s ({q_note}) |")
    print(f"| run --jobs 1 / quantulum3 | {ours / q_speed:.1f}x |")
    print(f"| run --jobs 2 / quantulum3 | {kb / two['process'] / q_speed:.1f}x |")
    print(f"| --jobs 2 speed-up (whole process) | {one['process'] / two['process']:.2f}x |")
    if len(runs) > 1:  # each pair run back to back: on a shared machine, the spread says how far to trust one
        paired = sorted(a["process"] / b["process"] for a, b in runs)
        print(f"| the same, run by run (jobs 1 / the jobs 2 after it) | median {statistics.median(paired):.2f}x, "
              f"{paired[0]:.2f}-{paired[-1]:.2f}x over {len(paired)} pairs |")
    print(f"| CPU: jobs 1 total / jobs 2 total (parent + workers) | {one['cpu']:.1f} s / "
          f"{two['cpu'] + two['worker_cpu']:.1f} s |")


def _worker_overhead(corpus: Path, most_bytes: int = 1_000_000, rounds: int = 3) -> None:
    """CPU per MB of a worker's batches (read, extract, rows, pack, pickle) and of extraction alone of the
    same articles, in this process (the fastest of ``rounds`` each, alternating): the difference is what a
    run spends around extraction."""
    import gc
    import pickle

    sys.path.insert(0, str(ROOT))
    from auditor import _parallel
    from auditor.extract import extract_figures
    from auditor.readers import ReadOptions, ReadTask, plan_reads

    tasks: list = []
    for item in plan_reads([corpus], ReadOptions(), part_bytes=_parallel.TASK_BYTES):
        if isinstance(item, ReadTask) and sum(t.size for t in tasks) < most_bytes:
            tasks.append(item)
    mb = sum(t.size for t in tasks) / 1e6
    batches = list(_parallel.guided(tasks, _parallel.TASK_BYTES, 2))
    _parallel.warm_up()
    gc.freeze()  # as in a pool's worker (_parallel._worker_started)
    _parallel._packing = True  # as in a pool's worker: rows sent as Arrow
    articles = [[a for t in b for a in _parallel.read_digested(t, 2**31, None)[0]] for b in batches]

    def batches_sent() -> None:
        for batch in batches:
            pickle.dumps(_parallel._run_batch(batch, 2**31, None), protocol=pickle.HIGHEST_PROTOCOL)

    def extraction() -> None:
        for batch in articles:
            for article in batch:
                extract_figures(article)

    best = {"batches": float("inf"), "extraction": float("inf")}
    try:
        for _ in range(rounds):
            for name, work in (("batches", batches_sent), ("extraction", extraction)):
                started = time.process_time()
                work()
                best[name] = min(best[name], (time.process_time() - started) / mb)
    finally:
        _parallel._packing = False
        gc.unfreeze()
    print(f"| worker CPU per MB: batches / extraction alone ({mb:.1f} MB) | {best['batches']:.3f} / "
          f"{best['extraction']:.3f} s/MB |")
    print(f"| worker CPU per MB outside extraction | {best['batches'] - best['extraction']:.3f} s/MB |")


def _rerun(corpus: Path, work: Path, repeat: int = 3) -> None:
    """First run against three kinds of re-run, each the fastest of ``repeat`` (wall of the whole process,
    and CPU of it and its workers): into the same --out with nothing changed (up to date: the run record),
    into a new --out (the per-article cache), and into the same --out after one article changed."""
    def best(runs: list[dict]) -> dict:
        return min(runs, key=lambda r: r["process"])

    def cpu(run: dict) -> float:
        return run["cpu"] + run["worker_cpu"]

    cache = work / "figure-cache"
    firsts = []
    for i in range(repeat):  # each with an empty cache and a new --out
        shutil.rmtree(cache, ignore_errors=True)
        firsts.append(_run_cli(corpus, work / f"first-{i}", "--cache", str(cache), "--jobs", "2"))
    first = best(firsts)
    same = work / f"first-{repeat - 1}"  # audited last, with the cache as it is now
    up_to_date = best([_run_cli(corpus, same, "--cache", str(cache), "--jobs", "2") for _ in range(repeat)])
    new_out = best([_run_cli(corpus, work / f"new-out-{i}", "--cache", str(cache), "--jobs", "2")
                    for i in range(repeat)])
    article = sorted(corpus.iterdir())[len(list(corpus.iterdir())) // 2]
    changed = []
    for i in range(repeat):  # a different edit each time: one article extracted again, the rest cached
        with open(article, "a", encoding="utf-8") as handle:
            handle.write(f"\nSeparately, {i + 3} people were wounded in a shelling of the market, police said.\n")
        changed.append(_run_cli(corpus, same, "--cache", str(cache), "--jobs", "2"))
    one_changed = best(changed)
    print(f"| first run (--jobs 2, empty cache; fastest of {repeat}) | {first['process']:.2f} s wall, "
          f"{cpu(first):.2f} s CPU |")
    for label, run in (("re-run, same --out, unchanged (up to date)", up_to_date),
                       ("re-run, new --out (per-article cache)", new_out),
                       ("re-run, same --out, one article changed", one_changed)):
        print(f"| {label} | {run['process']:.2f} s wall ({first['process'] / run['process']:.1f}x faster), "
              f"{cpu(run):.2f} s CPU ({cpu(first) / cpu(run):.1f}x less) |")


def _peak_rss(work: Path, sizes: list[float]) -> None:
    measured = []  # (MB of text, parent MB)
    for size in sizes:
        folder = work / f"jsonl-{size:g}"
        write_jsonl(_articles_for(size), folder, seed=9)
        run = _run_cli(folder, work / f"rss-{size:g}", "--no-cache", "--jobs", "2")
        measured.append((_kb(folder) / 1024, run["rss_mb"]))
        print(f"| peak RSS at {measured[-1][0]:.0f} MB (--jobs 2, JSONL) | parent {run['rss_mb']:,.0f} MB, "
              f"largest worker {run['worker_rss_mb']:,.0f} MB; {run['process']:.0f} s |")
        # The run as users get it: the cache on (empty: every article extracted, every claims bucket stored)
        cached = _run_cli(folder, work / f"rss-cached-{size:g}", "--cache", str(work / f"cache-{size:g}"),
                          "--jobs", "2")
        print(f"| peak RSS at {measured[-1][0]:.0f} MB, default run (cache on, empty) | parent "
              f"{cached['rss_mb']:,.0f} MB, largest worker {cached['worker_rss_mb']:,.0f} MB; "
              f"{cached['process']:.0f} s |")
        for made in (folder, work / f"rss-{size:g}", work / f"rss-cached-{size:g}", work / f"cache-{size:g}"):
            shutil.rmtree(made, ignore_errors=True)
    if len(measured) > 1 and measured[-1][0] > measured[0][0]:
        (small, first), (big, last) = measured[0], measured[-1]
        print(f"| parent growth, {small:.0f} -> {big:.0f} MB of text | {(last - first) / (big - small):.1f} MB per MB |")


def _claims(sizes: list[int]) -> None:
    for n in sizes:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_claims.py"), "mixed", str(n)],
                              check=True, capture_output=True, text=True)
        label, _, figures = done.stdout.strip().splitlines()[-1].partition(":")
        print(f"| claims, {label.strip()} | {figures.strip()} |")


if __name__ == "__main__":
    sys.exit(main())
