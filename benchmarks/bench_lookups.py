"""Build time of the gazetteer and throughput of the place and actor lookups.

Run: .venv/bin/python benchmarks/bench_lookups.py

Prints the time to build the gazetteer from GeoNames (in a fresh cache folder), to load it
from its cache file, to build the actor index, and KB/s of ``find_places`` and ``find_actors``
on the seeds' sentences repeated to about 1 MB (with and without a country hint).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def timed(func, *args):  # noqa: ANN001, ANN202
    t0 = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["FIGURE_AUDITOR_CACHE"] = cache
        from auditor import gazetteer
        from auditor.actors import ActorIndex
        from auditor.knowledge import load_table

        _, build = timed(gazetteer._load_or_build)
        data, load = timed(gazetteer._load_or_build)
        print(f"gazetteer: build {build:.2f} s, load from cache {load:.2f} s, "
              f"{len(data['names']):,} places, {len(data['index']):,} first words")
        places = gazetteer.Gazetteer(data)
        actors, actor_build = timed(ActorIndex, load_table("actors.yaml"))
        print(f"actors: build {actor_build * 1000:.0f} ms")

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    corpus = sentences * (1_000_000 // len(text) + 1)
    kilobytes = sum(len(s.encode("utf-8")) for s in corpus) / 1000
    words = sum(len(s.split()) for s in corpus)

    def scan(find, *extra) -> int:  # noqa: ANN001
        return sum(len(find(s, 0, *extra)) for s in corpus)

    for label, find, extra in (("find_places", places.find_places, ()),
                               ("find_places, countries=IQ,SY", places.find_places, (("IQ", "SY"),)),
                               ("find_actors", actors.find_actors, ())):
        found, seconds = timed(scan, find, *extra)
        print(f"{label}: {kilobytes:,.0f} KB in {len(corpus):,} sentences, {seconds:.2f} s -> "
              f"{kilobytes / seconds:,.0f} KB/s, {seconds / words * 1e6:.2f} µs/word, {found:,} mentions")


if __name__ == "__main__":
    main()
