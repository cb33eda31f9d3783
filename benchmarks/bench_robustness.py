"""Peak memory and time of `figure-audit run` on big and hostile inputs (issue 11).

    .venv/bin/python benchmarks/bench_robustness.py [--corpus-mb 1,5,20,50] [--reports 1000,10000]
        [--article-mb 0.2,0.8,3.2] [--line-kb 10,40,150,400] [--line-kinds stops,comma,dash,bullets,transcript]
        [--timeout 900] [--memory-gb 8] [--jobs N] [--work DIR]

Four families, each `figure-audit run` in a fresh process as a user runs it:

* corpora of 1, 5, 20, 50 MB of wire-style articles (``benchmarks/make_corpus.py``);
* one claim reported 1,000 / 10,000 times (a JSON Lines file of short reports of one toll that all
  disagree): output and memory must grow linearly, not with the N² pairs;
* one long article of 0.2 / 0.8 / 3.2 MB (corpus articles joined into one file): time must grow
  linearly with its length;
* one line of 10 / 40 / 150 / 400 KB with no full stop (issue 13): the sentences of corpus articles
  joined by ", " (comma), " - " (dash), " • " (bullets) or, unpunctuated, by speaker turns
  (transcript), and the same sentences with their full stops on one line (stops) to compare with.
  Besides the run's time, the row gives extraction's CPU time per MB in this process (best of two;
  no start-up): it must stay flat in the line's length and near the "stops" row's.

Peak memory is the largest sum of the resident memory of the run and its worker processes, sampled
every 0.1 s with psutil. Each run is capped (``--memory-gb`` of address space per process,
``--timeout`` seconds) so a quadratic case is reported as such instead of taking the machine down.
The per-article cache lives in a fresh folder per run (only the gazetteer cache is warmed first).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_corpus import write_corpus  # noqa: E402

_BYTES_PER_ARTICLE = 770  # make_corpus articles average this; the real size is measured and printed


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _limit(memory_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    return apply


def measure(paths: list[Path], out: Path, cache: Path, timeout: float, memory_bytes: int,
            jobs: int | None) -> dict:
    """Run the CLI once; wall time, peak tree RSS, exit status and row counts."""
    cmd = [sys.executable, "-m", "auditor.cli", "run", *map(str, paths), "--out", str(out), "--quiet"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    env = {**os.environ, "FIGURE_AUDITOR_CACHE": str(cache)}
    env.pop("FIGURE_AUDIT_PAUSE_AT", None)
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                               preexec_fn=_limit(memory_bytes))
    root = psutil.Process(process.pid)
    peak = 0
    outcome = None
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        if time.perf_counter() - started > timeout:
            for p in [*root.children(recursive=True), root]:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            outcome = f"timeout > {timeout:.0f}s"
            break
        time.sleep(0.1)
    process.wait()
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    seconds = time.perf_counter() - started
    if outcome is None:
        if process.returncode == 0:
            outcome = "ok"
        elif "MemoryError" in stderr or process.returncode in (-9, 137):
            outcome = f"out of memory (> {memory_bytes / 1024**3:.0f} GB)"
        else:
            outcome = f"exit {process.returncode}: {stderr.strip().splitlines()[-1][:80] if stderr.strip() else ''}"
    counts = {}
    if outcome == "ok":
        manifest = json.loads((out / ".figure-audit" / "current" / "manifest.json").read_text())
        counts = manifest["rows"]
    return {"seconds": seconds, "peak_mb": peak / 1024**2, "outcome": outcome, "rows": counts}


def _size_mb(paths: list[Path]) -> float:
    total = 0
    for path in paths:
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        else:
            total += path.stat().st_size
    return total / 1e6


def corpus_of(work: Path, megabytes: float) -> list[Path]:
    folder = work / f"corpus-{megabytes:g}mb"
    if not folder.exists():
        write_corpus(max(1, int(megabytes * 1e6 / _BYTES_PER_ARTICLE)), folder, seed=11, conflict_rate=0.2)
    return [folder]


def one_claim(work: Path, n: int) -> list[Path]:
    path = work / f"one-claim-{n}.jsonl"
    if not path.exists():
        with open(path, "w", encoding="utf-8") as handle:
            for i in range(n):
                record = {"id": f"report-{i}", "outlet": f"Outlet {i % 97}", "published": "2023-02-20",
                          "text": f"Officials said {100 + i} people were killed in Bakhmut on Monday."}
                handle.write(json.dumps(record) + "\n")
    return [path]


def long_article(work: Path, megabytes: float) -> list[Path]:
    path = work / f"long-{megabytes:g}mb.txt"
    if not path.exists():
        source = corpus_of(work, 1)[0]
        bodies = [p.read_text(encoding="utf-8").split("---\n", 2)[2] for p in sorted(source.glob("*.txt"))]
        target = int(megabytes * 1e6)
        parts, size, i = ["Live updates: the offensive, day by day\n\n"], 0, 0
        while size < target:
            parts.append(bodies[i % len(bodies)])
            size += len(bodies[i % len(bodies)].encode("utf-8"))
            i += 1
        path.write_text("\n".join(parts), encoding="utf-8")
    return [path]


_LINE_JOINS = {"stops": ". ", "comma": ", ", "dash": " - ", "bullets": " • ", "transcript": " "}
_SPEAKERS = ("REPORTER: ", "ANCHOR: ", "WITNESS: ")


def long_line(work: Path, kilobytes: float, kind: str) -> list[Path]:
    """A file of a title and one line of ``kilobytes`` KB: corpus sentences without their final stop, joined
    as ``kind`` says (see the module's docstring)."""
    path = work / f"line-{kind}-{kilobytes:g}kb.txt"
    if not path.exists():
        from auditor.sentences import split_sentences

        source = corpus_of(work, 1)[0]
        bodies = [p.read_text(encoding="utf-8").split("---\n", 2)[2] for p in sorted(source.glob("*.txt"))]
        join, target = _LINE_JOINS[kind], int(kilobytes * 1000)
        parts, size, i = [], 0, 0
        while size < target:
            clauses = [s.text.rstrip(".?!") for s in split_sentences(bodies[i % len(bodies)])]
            part = (_SPEAKERS[i % 3] if kind == "transcript" else "") + join.join(clauses)
            parts.append(part)
            size += len(part.encode("utf-8")) + len(join)
            i += 1
        path.write_text(f"Live updates, day {kilobytes:g}\n\n" + join.join(parts) + ("." if kind == "stops" else "")
                        + "\n", encoding="utf-8")
    return [path]


def extraction_cpu_per_mb(paths: list[Path]) -> float:
    """Extraction's CPU seconds per MB of the files' text, in this process (best of two; imports not counted)."""
    from auditor.extract import extract_figures, warm_up
    from auditor.readers import load_articles

    warm_up()
    articles = [a for path in paths for a in load_articles(path).articles]
    megabytes = sum(len(a.text.encode("utf-8")) for a in articles) / 1e6
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        for article in articles:
            extract_figures(article)
        best = min(best, time.process_time() - start)
    return best / megabytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-mb", type=_floats, default=[1, 5, 20, 50])
    parser.add_argument("--reports", type=lambda t: [int(x) for x in t.split(",") if x], default=[1000, 10000])
    parser.add_argument("--article-mb", type=_floats, default=[0.2, 0.8, 3.2])
    parser.add_argument("--line-kb", type=_floats, default=[10, 40, 150, 400])
    parser.add_argument("--line-kinds", type=lambda t: [k for k in t.split(",") if k],
                        default=list(_LINE_JOINS), help=f"of {', '.join(_LINE_JOINS)}")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run before it is killed")
    parser.add_argument("--memory-gb", type=float, default=8.0, help="address-space cap per process")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--work", type=Path, default=None, help="keep corpora here (default: a temporary folder)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-robustness-"))
    work.mkdir(parents=True, exist_ok=True)
    caches = work / "caches"
    memory = int(args.memory_gb * 1024**3)
    warm = caches / "warm"
    (work / "warm.txt").write_text("Officials said 12 people were killed in Mosul.\n", encoding="utf-8")
    measure([work / "warm.txt"], work / "out-warm", warm, args.timeout, memory, args.jobs)  # gazetteer cache

    cases = ([("corpus", f"{mb:g} MB corpus", corpus_of, mb) for mb in args.corpus_mb]
             + [("one claim", f"{n:,} reports of one claim", one_claim, n) for n in args.reports]
             + [("long article", f"one {mb:g} MB article", long_article, mb) for mb in args.article_mb]
             + [("long line", f"one {kb:g} KB line, {kind}", lambda work, kb, kind=kind: long_line(work, kb, kind), kb)
                for kind in args.line_kinds for kb in args.line_kb])
    print(f"{'case':<28} {'input MB':>8} {'time s':>8} {'peak MB':>8}  result")
    try:
        for i, (family, label, make, size) in enumerate(cases):
            paths = make(work, size)
            cache = caches / f"run-{i}"
            shutil.copytree(warm, cache, dirs_exist_ok=True)
            out = work / f"out-{i}"
            shutil.rmtree(out, ignore_errors=True)
            found = measure(paths, out, cache, args.timeout, memory, args.jobs)
            rows = found["rows"]
            detail = (f"{rows['articles']:,} articles, {rows['figures']:,} figures, {rows['groups']:,} groups, "
                      f"{rows['conflicts']:,} conflicts" if rows else found["outcome"])
            if family == "long line":
                detail += f"; extraction {extraction_cpu_per_mb(paths):.2f} s/MB"
            print(f"{label:<28} {_size_mb(paths):>8.2f} {found['seconds']:>8.1f} {found['peak_mb']:>8.0f}  {detail}",
                  flush=True)
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
