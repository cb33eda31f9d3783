"""CPU time of figure extraction per MB of text, in total and by stage.

    .venv/bin/python benchmarks/bench_extract_cpu.py [--articles 1436] [--seed 5] [--mb 1.0] [--rounds 3]

Two corpora: a generated wire corpus (``make_corpus.write_corpus``, 1,436 articles is ~1 MB) and
the bundled seed articles copied up to ``--mb`` (real prose, as ``speed.py`` uses). Extraction is
``extract_figures`` over every article in one process, after ``warm_up`` and a pass over a spread of
articles (one-off loads and pattern compiles are not counted). CPU time (user + system of this
process), not wall time: the figure to compare on a shared machine; the best of ``--rounds``, with
the garbage collector's share of it (``gc.callbacks``; an article's context is freed without it, so few
collections run during extraction). "Sentences read" counts those extraction
tokenises and reads; the others (no digit, no number or casualty word, or only an "a"/"an" that no unit,
vague amount or casualty noun makes a count) are skipped by a text test.

The stage table times the same run again with each stage's function wrapped (a wrapper costs
~1 us a call, so the stages add up to a little more than the total); stages nest, so "article
context" includes its place and actor scans, and "provenance" its scope and attribution.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import write_corpus  # noqa: E402
from speed import build_corpus  # noqa: E402

from auditor import actors, attribution, extract, gazetteer, provenance  # noqa: E402
from auditor.model import Article  # noqa: E402
from auditor.readers import load_articles  # noqa: E402

# (label, owner, attribute): the functions timed in the stage table
_STAGES = (
    ("split sentences", extract, "split_sentences"),
    ("article context", provenance.ArticleContext, "__init__"),
    ("  place scan", gazetteer.Gazetteer, "find_places"),
    ("  place roles", provenance, "_place_role"),
    ("  actor scan", actors.ActorIndex, "alias_spans"),
    ("tokenize", provenance, "tokenize"),
    ("find numbers", extract, "find_numbers"),
    ("read figures", extract, "_draft"),
    ("single victims", extract, "_single_victims"),
    ("subject", provenance, "subject_of"),
    ("provenance", provenance, "provenance_of"),
    ("  scope and date", provenance.ArticleContext, "scope_at"),
    ("  attribution", attribution.Attributor, "credit"),
    ("  event place", provenance.ArticleContext, "event_place"),
)


def _cpu_per_mb(articles: list[Article], megabytes: float, rounds: int) -> tuple[float, float]:
    """Best CPU time per MB over the rounds, and the garbage collector's share of that round."""
    collecting = [0.0, 0.0]  # [started at, seconds spent]

    def collector(phase: str, _info: dict) -> None:
        if phase == "start":
            collecting[0] = time.process_time()
        else:
            collecting[1] += time.process_time() - collecting[0]

    best, best_gc = float("inf"), 0.0
    gc.callbacks.append(collector)
    try:
        for _ in range(rounds):
            collecting[1] = 0.0
            start = time.process_time()
            for article in articles:
                extract.extract_figures(article)
            spent = time.process_time() - start
            if spent < best:
                best, best_gc = spent, collecting[1]
    finally:
        gc.callbacks.remove(collector)
    return best / megabytes, best_gc / megabytes


def _stage_seconds(articles: list[Article]) -> Counter[str]:
    spent: Counter[str] = Counter()
    originals: list[tuple[object, str, Callable]] = []

    def timed(label: str, function: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - start
        return wrapper

    for label, owner, name in _STAGES:
        function = getattr(owner, name, None)
        if function is None:  # an older version of the package (to compare): no such stage
            continue
        originals.append((owner, name, function))
        setattr(owner, name, timed(label, function))
    try:
        for article in articles:
            extract.extract_figures(article)
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)
    return spent


def measure(name: str, folder: Path, rounds: int) -> None:
    articles = list(load_articles(folder).articles)
    megabytes = sum(len(a.text.encode("utf-8")) for a in articles) / 1e6
    for article in articles[::max(1, len(articles) // 30)]:
        extract.extract_figures(article)
    figures = sum(len(extract.extract_figures(a)) for a in articles)
    total, collected = _cpu_per_mb(articles, megabytes, rounds)
    print(f"\n{name}: {len(articles):,} articles, {megabytes:.2f} MB, {figures:,} figures")
    sentences = [s for a in articles for s in extract.split_sentences(a.text) if not s.boilerplate]
    can_count = getattr(extract, "_can_count", lambda text: True)  # an older version reads every candidate
    read_test = getattr(extract, "_may_hold_figure", lambda text: extract._prefilter().search(text) and can_count(text))
    read = sum(1 for s in sentences if read_test(s.text))
    print(f"  sentences read  {read:,} of {len(sentences):,} (the others hold no number or casualty word, or only "
          f"an \"a\"/\"an\" nothing makes a count)")
    print(f"  extraction CPU  {total:.2f} s/MB  ({megabytes / total:.2f} MB/s on one core, "
          f"{total * 1e6 / max(figures / megabytes, 1):.0f} us per figure)")
    print(f"  of which gc     {collected:.2f} s/MB  (Python's garbage collector)")
    spent = _stage_seconds(articles)
    print(f"  {'stage':20s} {'s/MB':>6s}")
    for label, owner, name in _STAGES:
        shown = f"{spent[label] / megabytes:6.3f}" if hasattr(owner, name) else "     -"
        print(f"  {label:20s} {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1436, help="generated articles (1436: ~1 MB)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--mb", type=float, default=1.0, help="MB of copied seed articles")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    extract.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        generated, seeds = Path(tmp) / "generated", Path(tmp) / "seeds"
        write_corpus(args.articles, generated, seed=args.seed)
        seeds.mkdir()
        build_corpus(seeds, args.mb)
        measure("generated wire corpus", generated, args.rounds)
        measure("seed articles, copied", seeds, args.rounds)


if __name__ == "__main__":
    main()
