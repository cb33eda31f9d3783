"""Throughput of split_sentences (and load_articles on .txt) on ~1 MB of seed text.

Run: .venv/bin/python benchmarks/bench_sentences.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from auditor.readers import load_articles
from auditor.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def best_of(runs: int, func, *args) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    seed_text = "\n\n".join(a.text for a in load_articles(SEEDS).articles)
    text = (seed_text + "\n\n") * (1_000_000 // len(seed_text) + 1)
    megabytes = len(text.encode("utf-8")) / 1e6
    split_sentences(text[:1000])  # load the rules outside the timing
    seconds = best_of(5, split_sentences, text)
    print(f"split_sentences: {megabytes:.2f} MB, {len(split_sentences(text))} sentences, "
          f"{seconds * 1000:.0f} ms -> {megabytes / seconds:.1f} MB/s")

    with tempfile.TemporaryDirectory() as folder:
        for i in range(200):
            Path(folder, f"a{i:03d}.txt").write_text(text[: len(text) // 200], encoding="utf-8")
        seconds = best_of(3, load_articles, folder)
    print(f"load_articles: 200 .txt files, {megabytes:.2f} MB, {seconds * 1000:.0f} ms "
          f"-> {megabytes / seconds:.1f} MB/s")


if __name__ == "__main__":
    main()
