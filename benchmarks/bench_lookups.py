"""Build time of the gazetteer and throughput of the place and actor lookups.

Run: .venv/bin/python benchmarks/bench_lookups.py

Prints the time to build the gazetteer from GeoNames (in a fresh cache folder), to load it
from its cache file, the wall and CPU time of two processes that need it at once on an empty cache
folder (as a run's workers on a fresh machine: one builds it, the other waits and loads it), to build the actor index, and KB/s of ``find_places`` and ``find_actors``
on the seeds' sentences repeated to about 1 MB (with and without a country hint).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def timed(func, *args):  # noqa: ANN001, ANN202
    t0 = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - t0


def fresh_cache_processes(count: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``count`` processes started at once on an empty cache folder, each loading the
    gazetteer (the CPU of all of them, from this process's children usage)."""
    code = "from auditor.gazetteer import default_gazetteer; default_gazetteer()"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "FIGURE_AUDITOR_CACHE": cache}
        t0 = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(count)]
        for process in processes:
            process.wait()
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    wall, cpu = fresh_cache_processes(2)
    print(f"gazetteer, 2 processes at once on an empty cache folder: {wall:.1f} s wall, {cpu:.1f} s CPU in all")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["FIGURE_AUDITOR_CACHE"] = cache
        from auditor import gazetteer
        from auditor.actors import ActorIndex
        from auditor.knowledge import load_table

        _, build = timed(gazetteer._load_or_build)
        data, load = timed(gazetteer._load_or_build)
        print(f"gazetteer: build {build:.2f} s, load from cache {load:.2f} s, "
              f"{len(data['pops']) // 8:,} places")  # (pops: the packed array of 8-byte populations)
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
