"""Throughput of the whole `figure-audit run` against plain quantulum3 on the same corpus.

    .venv/bin/python benchmarks/speed.py [--mb 1.0] [--jobs N] [--keep DIR]

The corpus is the bundled seed articles copied under distinct names until it holds at
least ``--mb`` megabytes: real news prose, furniture lines included. `figure-audit run`
is timed as a user runs it (a fresh process, reading files, writing every CSV);
quantulum3 is timed as ``quantulum3.parser.parse`` over each article's text, after a
warm-up parse so that its one-off loading is not counted against it.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_corpus(folder: Path, megabytes: float) -> list[Path]:
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    target = int(megabytes * 1024 * 1024)
    written: list[Path] = []
    size = 0
    copy = 0
    while size < target:
        for seed in seeds:
            path = folder / f"{seed.stem}_{copy:05d}.txt"
            data = seed.read_bytes()
            path.write_bytes(data)
            written.append(path)
            size += len(data)
        copy += 1
    return written


def time_figure_audit(corpus: Path, out: Path, jobs: int | None) -> float:
    command = [str(Path(sys.executable).with_name("figure-audit")), "run", str(corpus), "--out", str(out), "--quiet",
               "--no-cache"]  # extraction measured, not the per-article cache of an earlier run
    if jobs:
        command += ["--jobs", str(jobs)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def quantulum_seconds(texts: list[str], budget: float = math.inf) -> tuple[float, float]:
    """Seconds and KB of ``quantulum3.parser.parse`` over ``texts`` (stopping after ``budget`` seconds),
    after a warm-up parse so that its one-off loading is not counted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from quantulum3 import classifier, parser

        # Its pickled classifier does not load under a newer scikit-learn: use its rule path (the path it
        # takes anyway where scikit-learn is not installed).
        classifier.USE_CLF = False
        parser.parse("warm up 3 miles")
        parsed_kb, started = 0.0, time.perf_counter()
        for text in texts:
            parser.parse(text)
            parsed_kb += len(text.encode()) / 1024
            if time.perf_counter() - started > budget:
                break
        return time.perf_counter() - started, parsed_kb


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--mb", type=float, default=1.0, help="corpus size in megabytes (default 1.0)")
    options.add_argument("--jobs", type=int, default=None, help="figure-audit --jobs (default: all cores)")
    options.add_argument("--keep", type=Path, default=None, help="keep the corpus and outputs in this folder")
    args = options.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="figure-audit-bench-"))
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    files = build_corpus(corpus, args.mb)
    kb = sum(f.stat().st_size for f in files) / 1024
    print(f"corpus: {len(files)} articles, {kb:,.0f} KB")
    ours = time_figure_audit(corpus, work / "out", args.jobs)
    theirs, _ = quantulum_seconds([f.read_text(encoding="utf-8") for f in files])
    figures = sum(1 for _ in open(work / "out" / "figures.csv", encoding="utf-8")) - 1
    print(f"figure-audit run : {ours:7.2f} s  {kb / ours:8.1f} KB/s  ({figures} figures, whole CLI run)")
    print(f"quantulum3.parse : {theirs:7.2f} s  {kb / theirs:8.1f} KB/s")
    print(f"speed ratio      : {theirs / ours:7.2f}x")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
