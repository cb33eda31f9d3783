"""Throughput of the whole `figure-audit run` against plain quantulum3 on the same corpus.

    .venv/bin/python benchmarks/speed.py [--mb 1.0] [--jobs N] [--rounds 3] [--keep DIR]

The corpus is the bundled seed articles copied under distinct names until it holds at
least ``--mb`` megabytes: real news prose, furniture lines included. `figure-audit run`
is timed as a user runs it (a fresh process, reading files, writing every CSV);
quantulum3 is timed as ``quantulum3.parser.parse`` over each article's text, after a
warm-up parse so that its one-off loading is not counted against it.

The two are timed in ``--rounds`` rounds: in each, one whole `figure-audit run`, then
quantulum3 over the next share of the articles (quantulum3 over the whole corpus once,
in all). A shared machine's speed drifts over the minutes quantulum3 takes: each round's
ratio compares the two measured minutes apart, not one run against a mean over the
whole of quantulum3's time. Every round is printed, then the median.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
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
    options.add_argument("--rounds", type=int, default=3,
                         help="rounds of one figure-audit run and a share of quantulum3 (default 3)")
    options.add_argument("--keep", type=Path, default=None, help="keep the corpus and outputs in this folder")
    args = options.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="figure-audit-bench-"))
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    files = build_corpus(corpus, args.mb)
    kb = sum(f.stat().st_size for f in files) / 1024
    print(f"corpus: {len(files)} articles, {kb:,.0f} KB")
    texts = [f.read_text(encoding="utf-8") for f in files]
    rounds = max(1, args.rounds)
    shares = [texts[k * len(texts) // rounds:(k + 1) * len(texts) // rounds] for k in range(rounds)]
    ratios = []
    for k, share in enumerate(shares, 1):
        ours = time_figure_audit(corpus, work / "out", args.jobs)
        theirs, share_kb = quantulum_seconds(share)
        ratios.append((kb / ours) / (share_kb / theirs))
        print(f"round {k}: figure-audit run {ours:6.2f} s {kb / ours:8.1f} KB/s | quantulum3.parse "
              f"{share_kb:,.0f} KB in {theirs:6.2f} s {share_kb / theirs:6.1f} KB/s | ratio {ratios[-1]:6.2f}x")
    figures = sum(1 for _ in open(work / "out" / "figures.csv", encoding="utf-8")) - 1
    print(f"figures found    : {figures}")
    print(f"speed ratio      : {statistics.median(ratios):7.2f}x median of {rounds} rounds "
          f"(lowest {min(ratios):.2f}x, highest {max(ratios):.2f}x)")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
