"""Speed and memory of incidents, claim groups and conflicts (build_claims) on synthetic figure tables.

Run: .venv/bin/python benchmarks/bench_claims.py [N ...]

Builds N figures (default 10,000, 100,000 and 1,000,000) spread over 40 places, 8 actors, 8
categories and a year of dates, with wire reprints (shared long sentences), and prints the time of
build_claims, the peak resident memory of a fresh process doing it, and the sizes of its outputs.
Then the worst case of one claim: 1,000 and 10,000 reports of one killed toll on one day.
Each size runs in its own process so that peak memory is that size's alone.

``bench_claims.py spilled N [JOBS]`` runs the claims step as a local ``--jobs`` run does on N figures
spilled to a file (``build_claims_by_blocks`` on a pool of JOBS workers, default 2): wall and CPU
(this process and the workers), this process's resident memory before and its peak during the step,
and each worker's growth (peak minus resident at the start), to compare sizes (MB per figure).

``bench_claims.py parallel DIR [ROUNDS]`` compares the claims step of ``--jobs 1`` and ``--jobs 2`` on the
figures of an earlier run (``DIR/figures.parquet`` and ``DIR/articles.parquet``: ``figure-audit run ...
--format parquet``): ``build_claims`` in this process against ``build_claims_by_blocks`` on 2 workers over
the figures spilled to a file, alternating, best wall of ``ROUNDS`` (default 3) each, and their ratio.

``bench_claims.py stages DIR [--trace]`` measures a claims task on the figures of an earlier run (``DIR/figures.parquet``
and ``DIR/articles.parquet``): the sizes of the blocking keys (figures per key), then, in a fresh process, the
largest batch a ``--jobs 2`` run gives one task (:func:`auditor.claims._packed`; its rows spilled to a file
as a run's are), built stage by stage: each
stage's resident memory after it and its peak (Linux: /proc), and with ``--trace`` the Python memory it holds
and its peak (tracemalloc: slower). Ends with the whole task (``_claims_task``) in another fresh process.

``bench_claims.py streamed KEY.parquet [MULTIPLE ...]`` measures one big blocking key's claims task as a ``--jobs 2``
run sends it (its rows of a spill file, its articles as their rows of the articles' spill file; ``KEY.parquet`` and its articles ``KEYart.parquet``
beside it, e.g. the largest key of a run) at 1, 4 and 16 times its size (copies with new figure and article ids,
dates shifted past the last: still one key), each in a fresh process: whole (``claims._STREAM_ABOVE_ROWS``
above the task) and streamed (default): peak resident memory over the process before the task, wall and CPU
time. The whole task is not run above 4 times (it would need gigabytes).

``bench_claims.py costs DIR [ROUNDS]`` measures what a figure costs a claims task by the kind of its
blocking key (point event, other incident, cumulative, distance, keyed alone: ``auditor._key_cut.key_kind``),
on the figures of an earlier run (``DIR/figures.parquet`` and ``DIR/articles.parquet``) typed as a task reads
them (spilled to a file and read back): the stages' CPU on all the keys of a kind together, best of
``ROUNDS`` (default 3), less that of one figure; per figure, against a point event's, and the table the
batches are packed by (``auditor._key_cut.FIGURE_COST``).

``bench_claims.py cache N`` times the claims cache (``build_claims_by_blocks`` with a
``ClaimBatchCache`` in a temporary store, in one process) on N figures: the first build, a re-run of
the same figures, and a re-run after one article's figures changed, with the buckets each built.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.claims import build_claims
from auditor.model import FIGURE_COLUMNS

PLACES = ["Baiji", "Tikrit", "Mosul", "Ramadi", "Fallujah", "Kirkuk", "Baghdad", "Samarra", "Haditha", "Hit",
          "Aleppo", "Raqqa", "Homs", "Palmyra", "Deir ez-Zor", "Idlib", "Hama", "Daraa", "Kobani", "Manbij"] * 2
ACTORS = ["ISIS", "Hashd al-Shaabi", "Iraqi forces", "civilians", "coalition", "Kurdish forces", "Syrian army", ""]
CATEGORIES = ["killed", "wounded", "displaced", "trapped", "airstrikes", "fighters", "distance", "territory"]
OUTLETS = ["Reuters", "AP", "AFP", "BBC", "Al Jazeera", "Rudaw", "CNN", "Yahoo News", "Gulf Times", ""]


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    wires = [f"{rng.choice(ACTORS)} fighters clashed near {rng.choice(PLACES)} on {d}, officials and witnesses "
             f"told reporters, as the offensive entered its {d}th day" for d in range(200)]
    rows = []
    for i in range(n):
        category = rng.choice(CATEGORIES)
        value = float(rng.choice([5, 8, 12, 15, 20, 30, 45, 100, 250, 1000]))
        qualifier = rng.choice(["exact", "exact", "approximate", "at_least", "vague"])
        low, high = value, value
        if qualifier == "at_least":
            high = float("nan")
        if qualifier == "vague":
            value, low, high = float("nan"), 24.0, 99.0
        rows.append({
            "figure_id": f"f{i:07d}", "article_id": f"a{i // 4:06d}", "path": "", "start": i, "end": i + 2,
            "surface": "x", "sentence": rng.choice(wires) if rng.random() < 0.3 else f"Sentence number {i}.",
            "category": category, "value": value, "low": low, "high": high, "qualifier": qualifier,
            "unit": "km" if category == "distance" else "count", "reported_value": value, "reported_unit": "",
            "counted": "", "subject": "" if category == "distance" else rng.choice(ACTORS),
            "location": rng.choice(PLACES), "source": "", "source_type": "unattributed",
            "published": "" if rng.random() < 0.1 else f"2015-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "outlet": rng.choice(OUTLETS), "group_id": "",
            "reference_place": rng.choice(PLACES) if category == "distance" else "",
            "sentence_start": 0, "sentence_end": 0, "supersedes": "",
        })
    return pd.DataFrame(rows, columns=list(FIGURE_COLUMNS))


def one_claim(n: int) -> pd.DataFrame:
    frame = synthetic(n)
    frame["category"], frame["subject"], frame["location"] = "killed", "ISIS", "Baiji"
    frame["unit"], frame["reference_place"], frame["published"] = "count", "", "2015-10-20"
    return frame


def run(label: str, figures: pd.DataFrame) -> None:
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, cpu0 = time.perf_counter(), time.process_time()
    figures_out, groups, conflicts = build_claims(figures, pd.DataFrame())
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    load = os.getloadavg()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:>30}: {elapsed:7.2f} s wall, {cpu:7.2f} s CPU (load {load:.1f})  peak RSS {peak:7,.0f} MB "
          f"(input built: {base:,.0f} MB)  {figures_out['incident_id'].nunique():,} incidents, "
          f"{len(groups):,} groups, {len(conflicts):,} conflicts", flush=True)


def _one(kind: str, n: int) -> None:
    build_claims(synthetic(50), pd.DataFrame())  # warm up: gazetteer and actor tables
    if kind == "claim":
        run(f"{n:,} reports of one claim", one_claim(n))
    else:
        run(f"{n:,} figures", synthetic(n))


def cached(n: int) -> None:
    """First build, unchanged re-run and one-article-changed re-run through the claims cache."""
    import tempfile

    from auditor.cache import ArticleCache
    from auditor.claims import ClaimBatchCache, build_claims_by_blocks, run_here

    figures, articles = synthetic(n), pd.DataFrame()
    build_claims(synthetic(50), articles)  # warm up: gazetteer and actor tables
    changed = figures.copy()
    article = changed["article_id"].iloc[n // 2]
    changed.loc[changed["article_id"] == article, "value"] += 1.0
    with tempfile.TemporaryDirectory() as folder:
        store = ArticleCache(folder)
        for label, table in (("first build", figures), ("same figures", figures), ("one article changed", changed)):
            cache = ClaimBatchCache(store, "bench")
            t0, cpu0 = time.perf_counter(), time.process_time()
            build_claims_by_blocks(table, articles, run_here, 1, cache=cache)
            print(f"{n:>9,} figures, {label:>20}: {time.perf_counter() - t0:6.2f} s wall, "
                  f"{time.process_time() - cpu0:6.2f} s CPU, {cache.built} buckets built, {cache.reused} reused "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
        store.close()


def _status(pid: int | str = "self") -> tuple[int, int]:
    """Resident and peak resident memory (MB) of a process."""
    with open(f"/proc/{pid}/status") as handle:
        fields = dict(line.split(":", 1) for line in handle)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def _worker_ready(_: int) -> tuple[int, int]:
    from auditor._claim_rules import load_config

    load_config()
    time.sleep(0.3)  # the next one goes to another worker: every worker reports
    return os.getpid(), _status()[0]


def _cpu_of(pids: list[int]) -> float:
    """User and system CPU seconds of processes."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            ticks += sum(int(v) for v in handle.read().rsplit(")", 1)[1].split()[11:13])
    return ticks / os.sysconf("SC_CLK_TCK")


def spilled(n: int, jobs: int = 2) -> None:
    """The claims step of a local run on a spilled table of n figures (Linux: reads /proc)."""
    import threading

    import pyarrow as pa

    from auditor._parallel import WorkerPool
    from auditor._spill import SpillWriter, figure_batch
    from auditor.claims import build_claims_by_blocks

    pool = WorkerPool(jobs)
    pool.start()  # forked before the table is built, as a run's workers are before its claims step
    started = dict(f.result() for f in [pool.submit(_worker_ready, i) for i in range(2 * jobs)])
    figures = synthetic(n)
    articles = pd.DataFrame({"article_id": figures["article_id"].unique()})
    writer = SpillWriter()
    for start in range(0, n, 16_384):
        writer.extend(figure_batch(list(figures.iloc[start:start + 16_384].itertuples(index=False, name=None))))
    table = writer.finish()
    del figures
    pa.default_memory_pool().release_unused()
    peaks = dict.fromkeys(started, 0)
    running = True

    def watch() -> None:
        while running:
            for pid in peaks:
                try:
                    peaks[pid] = _status(pid)[1]
                except OSError:
                    pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with open("/proc/self/clear_refs", "w") as handle:  # this process's peak from here
        handle.write("5")
    before = _status()[0]
    t0, cpu0, kids0 = time.perf_counter(), time.process_time(), _cpu_of(list(started))
    _found, groups, conflicts = build_claims_by_blocks(table, articles, pool.submit, jobs)
    elapsed, cpu, kids = time.perf_counter() - t0, time.process_time() - cpu0, _cpu_of(list(started)) - kids0
    running = False
    watcher.join()
    peak = _status()[1]
    growth = ", ".join(f"+{peaks[pid] - rss:,} MB" for pid, rss in started.items())
    print(f"{n:>9,} figures spilled, {jobs} workers: {elapsed:6.2f} s wall, {cpu:5.2f} s CPU here, {kids:6.2f} s "
          f"in workers (load {os.getloadavg()[0]:.1f}); here {before:,} MB before, peak {peak:,} MB "
          f"(+{peak - before:,}); workers {growth}; {len(groups):,} groups, {len(conflicts):,} conflicts", flush=True)
    pool.close()
    table.remove()
    pa.default_memory_pool().release_unused()


def parallel(folder: str, rounds: int = 3) -> None:
    """Claims wall on one process and on 2 workers, on the figures of an earlier run."""
    from auditor._parallel import WorkerPool
    from auditor._spill import SpillWriter, figure_batch
    from auditor.claims import build_claims_by_blocks

    figures = pd.read_parquet(f"{folder}/figures.parquet")[list(FIGURE_COLUMNS)].assign(group_id="", incident_id="")
    articles = pd.read_parquet(f"{folder}/articles.parquet")
    rows = list(figures.itertuples(index=False, name=None))
    build_claims(figures.iloc[:200], articles)  # warm up here, then the workers are forked warm
    pool = WorkerPool(2)
    pool.start()
    pids = list(dict(f.result() for f in [pool.submit(_worker_ready, i) for i in range(4)]))
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for label in ("jobs 1", "jobs 2"):
            if label == "jobs 2":
                writer = SpillWriter()
                for start in range(0, len(rows), 16_384):
                    writer.extend(figure_batch(rows[start:start + 16_384]))
                table = writer.finish()
            kids0 = _cpu_of(pids) if label == "jobs 2" else 0.0
            t0, cpu0 = time.perf_counter(), time.process_time()
            if label == "jobs 1":
                built = build_claims(figures, articles)
            else:
                built = build_claims_by_blocks(table, articles, pool.submit, 2)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            kids = _cpu_of(pids) - kids0 if label == "jobs 2" else 0.0
            print(f"{label}: {wall:6.2f} s wall, {cpu:5.2f} s CPU here, {kids:5.2f} s in workers "
                  f"(load {os.getloadavg()[0]:.1f}); {len(built[1]):,} groups, {len(built[2]):,} conflicts", flush=True)
            if label not in best or wall < best[label][0]:
                best[label] = (wall, cpu + kids)
            if label == "jobs 2":
                for spilled in (table, built[1], built[2]):
                    if hasattr(spilled, "remove"):
                        spilled.remove()
            del built
    (one, one_cpu), (two, two_cpu) = best["jobs 1"], best["jobs 2"]
    print(f"{len(figures):,} figures: claims best wall jobs 1 {one:.2f} s ({one_cpu:.2f} s CPU), jobs 2 {two:.2f} s "
          f"({two_cpu:.2f} s CPU): jobs 2 / jobs 1 = {two / one:.2f}")
    pool.close()


def costs(folder: str, rounds: int = 3) -> None:
    """CPU per figure of a claims task by the kind of its key, on the figures of an earlier run."""
    import tempfile

    import numpy as np

    from auditor._claim_rules import load_config
    from auditor._key_cut import FIGURE_COST, key_kind
    from auditor._spill import SpillWriter, figure_batch
    from auditor.claims import _key_codes, _stages, blocking_keys

    config = load_config()
    figures = pd.read_parquet(f"{folder}/figures.parquet")[list(FIGURE_COLUMNS)].assign(group_id="", incident_id="")
    articles = pd.read_parquet(f"{folder}/articles.parquet")
    with tempfile.TemporaryDirectory() as scratch:
        writer = SpillWriter(scratch)
        rows = list(figures.itertuples(index=False, name=None))
        for start in range(0, len(rows), 16_384):
            writer.extend(figure_batch(rows[start:start + 16_384]))
        table = writer.finish()
        figures = table.frame()  # (typed as a task's rows: Arrow-backed strings)
        table.remove()
    names, codes = _key_codes(blocking_keys(figures), figures)
    kinds = np.array([key_kind(name, config.point_events) for name in names], dtype=object)[codes]

    def cpu(rows: np.ndarray) -> float:
        with tempfile.TemporaryDirectory() as parts:
            start = time.process_time()
            for _stage in _stages(figures.iloc[rows].reset_index(drop=True), articles, config, narrow=True,
                                  parts=Path(parts)):
                pass
            return time.process_time() - start

    cpu(np.arange(min(300, len(figures))))  # warm
    one = min(cpu(np.arange(1)) for _ in range(rounds))
    measured = {}
    for kind in sorted(set(kinds.tolist())):
        rows = np.flatnonzero(kinds == kind)
        measured[kind] = ((min(cpu(rows) for _ in range(rounds)) - one) / len(rows) * 1e6, len(rows))
    point = measured.get("point", (float("nan"), 0))[0]
    print(f"{len(figures):,} figures, {len(names):,} keys; one figure's task {one * 1e3:.1f} ms")
    print("| kind | figures | µs a figure | against a point event | FIGURE_COST |")
    print("|---|---|---|---|---|")
    for kind, (micro, n) in measured.items():
        print(f"| {kind} | {n:,} | {micro:.1f} | {micro / point:.2f} | {FIGURE_COST[kind]} |")


def _marks() -> tuple[float, float]:
    """This process's resident memory and its peak since the last reset (MB), the peak then reset."""
    rss, peak = _status()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return rss, peak


def _task_batch(folder: Path, figures: pd.DataFrame, articles: pd.DataFrame) -> tuple[str, list[Any]]:
    """A claims task's input as a local --jobs 2 run sends it: its rows of a spill file (the figures in
    their articles' order) and its articles as their rows of the articles' spill file, with how many
    figures each has (:func:`auditor.claims._articles_part`), pickled in ``folder``: the file's path,
    and the spilled tables (their files go with them: keep them)."""
    import pickle

    import numpy as np

    from auditor import claims
    from auditor._spill import ARTICLE_CHUNK, ARTICLE_SCHEMA, SpillWriter, figure_batch
    from auditor.model import ARTICLE_COLUMNS

    articles = articles.drop_duplicates("article_id").reset_index(drop=True)
    for column in ARTICLE_COLUMNS:
        if column not in articles:
            articles[column] = 0 if column == "chars" else ""
    rows = np.asarray(claims._article_rows_of(figures, articles), dtype=np.int64)  # (-1: no article)
    order = np.argsort(np.where(rows < 0, len(articles), rows), kind="stable")  # (without an article: last)
    figures, rows = figures.iloc[order], rows[order]
    writer = SpillWriter(folder)
    table = list(figures[list(FIGURE_COLUMNS)].itertuples(index=False, name=None))
    for start in range(0, len(table), 16_384):
        writer.extend(figure_batch(table[start:start + 16_384]))
    spilled = writer.finish()
    article_writer = SpillWriter(folder, schema=ARTICLE_SCHEMA, chunk=ARTICLE_CHUNK)
    table = list(articles[list(ARTICLE_COLUMNS)].itertuples(index=False, name=None))
    for start in range(0, len(table), ARTICLE_CHUNK):  # (record batches of a run's size)
        article_writer.extend(table[start:start + ARTICLE_CHUNK])
    spilled_articles = article_writer.finish_table()
    path = str(folder / "batch.pickle")
    with open(path, "wb") as handle:
        pickle.dump((spilled.part(np.arange(len(figures))), claims._articles_part(spilled_articles, rows)), handle)
    return path, [spilled, spilled_articles]


def stages(folder: str, trace: bool = False) -> None:
    """Key sizes of a run's figures, then its largest --jobs 2 batch built stage by stage (fresh processes)."""
    import tempfile

    import numpy as np

    from auditor import claims

    figures = pd.read_parquet(f"{folder}/figures.parquet")[list(FIGURE_COLUMNS)].assign(group_id="", incident_id="")
    articles = pd.read_parquet(f"{folder}/articles.parquet")
    keys = claims.blocking_keys(figures)
    sizes = keys.value_counts()
    print(f"{len(figures):,} figures, {len(sizes):,} keys; largest: "
          + ", ".join(f"{k} {n:,}" for k, n in sizes.head(6).items()), flush=True)
    print(f"figures in keys of >= 1,000 / 10,000: {sizes[sizes >= 1000].sum():,} / {sizes[sizes >= 10_000].sum():,}; "
          f"keys of one figure: {int((sizes == 1).sum()):,}", flush=True)
    codes = pd.Categorical(keys).codes.astype(np.int64)
    batches = claims._packed(codes, claims._n_batches(len(figures), 2))
    rows = max(batches, key=len)
    print(f"{len(batches)} batches at --jobs 2, largest {len(rows):,} figures", flush=True)
    article_rows = claims._article_rows_of(figures, articles)
    part, part_articles = figures.iloc[rows], claims._articles_at(articles, article_rows[rows])
    with tempfile.TemporaryDirectory() as tmp:
        path, spilled = _task_batch(Path(tmp), part, part_articles)
        del figures, articles, part, part_articles
        for mode in ("stages", "task"):
            subprocess.run([sys.executable, __file__, "_batch", mode, path, "trace" if trace else ""], check=True)
        for table in spilled:
            table.remove()


def _batch(mode: str, path: str, trace: bool) -> None:
    """One batch (its rows of a spill file, its articles' rows of theirs) built stage by stage, or as a task,
    with memory marks."""
    import dataclasses
    import gc
    import pickle
    import tracemalloc

    import pyarrow as pa

    from auditor import claims
    from auditor._claim_rules import load_config
    from auditor._parallel import returning_allocators, settings

    returning_allocators()  # as the command line's workers
    build_claims(synthetic(50), pd.DataFrame())  # warm up: gazetteer and actor tables
    claims._forget_texts()
    from auditor._spill import release_memory

    release_memory()
    with open(path, "rb") as handle:
        source, sent = pickle.load(handle)
    start = _marks()[0]
    if mode.startswith("task"):  # as a --jobs 2 run's task: its claims written as Arrow runs
        import tempfile

        if mode == "task-whole":
            claims._STREAM_ABOVE_ROWS = 10**12
        t0, cpu = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory() as tmp:
            folders = tuple(Path(tmp) / name for name in ("filled", "groups", "conflicts"))
            for made in folders:
                made.mkdir()
            claims._claims_task(source, sent, settings(), folders)
        rss, peak = _marks()
        label = {"task": "whole task", "task-whole": "whole", "task-streamed": "streamed"}[mode]
        print(f"  {label:>10}: {time.perf_counter() - t0:6.2f} s (CPU {time.process_time() - cpu:6.2f} s); peak "
              f"{peak:,.0f} MB (+{peak - start:,.0f} over the {start:,.0f} MB before it)", flush=True)
        return
    if trace:
        tracemalloc.start()
    last = [time.perf_counter()]

    def mark(label: str) -> None:
        rss, peak = _marks()
        python = ""
        if trace:
            held, top = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            python = f"; Python {held / 2**20:7,.1f} MB held, {top / 2**20:7,.1f} MB peak"
        now = time.perf_counter()
        print(f"  {label:>28}: {now - last[0]:6.2f} s; RSS {rss:6,.0f} MB (+{rss - start:5,.0f}), "
              f"peak {peak:6,.0f} MB (+{peak - start:5,.0f}); Arrow {pa.total_allocated_bytes() / 2**20:5,.0f} MB"
              f"{python}", flush=True)
        last[0] = time.perf_counter()

    config = load_config()
    articles = claims._loaded_articles(sent.part)
    figures = dataclasses.replace(source, columns=tuple(c for c in source.columns or claims.SCHEMA.names
                                                        if c in claims._CLAIM_COLUMNS)).load()
    mark(f"read ({len(figures):,} figures)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # as a task: each chunk's groups and conflicts written as built
        folders = tuple(Path(tmp) / name for name in ("filled", "groups", "conflicts"))
        for made in folders:
            made.mkdir()
        gc.disable()
        stages = claims._stages(figures, articles, config, narrow=True, parts=folders[1])
        del figures, articles
        for label, built in stages:
            mark(label)
        gc.enable()
        del stages
        found, groups, conflicts = built
        del built
        claims._run_file([found[list(claims._FILLED)]], 0, None, folders[0])
        groups.merged(folders[1])
        conflicts.merged(folders[2])
        del found, groups, conflicts
    mark("runs written (parts merged)")


def _key_times(figures: pd.DataFrame, articles: pd.DataFrame, times: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``times`` copies of a key's figures and articles: new ids, dates shifted by the key's span each (one key)."""
    from auditor.model import figure_id

    days = pd.to_datetime(figures["published"].str[:10], errors="coerce")
    span = pd.Timedelta(days=int((days.max() - days.min()).days) + 1)

    def shifted(values: pd.Series, k: int) -> pd.Series:
        parsed = pd.to_datetime(values.str[:10], errors="coerce") + span * k
        return parsed.dt.strftime("%Y-%m-%d").fillna(values.where(parsed.isna(), ""))

    parts, part_articles = [], []
    for k in range(times):
        part, art = figures.copy(), articles.copy()
        for frame in (part, art):
            frame["article_id"] = frame["article_id"] + f"~{k}"
            frame["published"] = shifted(frame["published"], k)
        # (new ids of a run's form, as a run's would be: a streamed task keeps those as numbers)
        part["figure_id"] = [figure_id(f"{old}~{k}", "", 0, 0) for old in part["figure_id"].tolist()]
        part["event_date"] = shifted(part["event_date"], k)
        parts.append(part)
        part_articles.append(art)
    return pd.concat(parts, ignore_index=True), pd.concat(part_articles, ignore_index=True)


def streamed(path: str, multiples: list[int]) -> None:
    """A key's claims task, whole and streamed, at each multiple of its size (fresh processes)."""
    import tempfile

    from auditor._spill import SCHEMA

    key = pd.read_parquet(path)
    key_articles = pd.read_parquet(path.replace(".parquet", "art.parquet"))
    for column in FIGURE_COLUMNS:
        if column not in key:
            key[column] = 0 if column in ("start", "end", "sentence_start", "sentence_end") else ""
    for field in SCHEMA:  # as the figures table types them
        if field.name in key and str(field.type) == "double":
            key[field.name] = pd.to_numeric(key[field.name], errors="coerce")
    for times in multiples:
        figures, articles = _key_times(key, key_articles, times)
        with tempfile.TemporaryDirectory() as tmp:
            batch, spilled = _task_batch(Path(tmp), figures, articles)
            print(f"{times}x: {len(figures):,} figures, one key", flush=True)
            del figures, articles
            for mode in ("whole", "streamed") if times <= 4 else ("streamed",):
                subprocess.run([sys.executable, __file__, "_batch", f"task-{mode}", batch, ""], check=True)
            for table in spilled:
                table.remove()


def main() -> None:
    if len(sys.argv) in (3, 4) and sys.argv[1] == "stages":
        stages(sys.argv[2], trace=sys.argv[3:] == ["--trace"])
        return
    if len(sys.argv) == 5 and sys.argv[1] == "_batch":
        _batch(sys.argv[2], sys.argv[3], sys.argv[4] == "trace")
        return
    if len(sys.argv) in (3, 4) and sys.argv[1] == "parallel":
        parallel(sys.argv[2], *(int(a) for a in sys.argv[3:]))
        return
    if len(sys.argv) in (3, 4) and sys.argv[1] == "spilled":
        spilled(int(sys.argv[2]), *(int(a) for a in sys.argv[3:]))
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "streamed":
        streamed(sys.argv[2], [int(a) for a in sys.argv[3:]] or [1, 4, 16])
        return
    if len(sys.argv) in (3, 4) and sys.argv[1] == "costs":
        costs(sys.argv[2], *(int(a) for a in sys.argv[3:]))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "cache":
        cached(int(sys.argv[2]))
        return
    if len(sys.argv) == 3 and sys.argv[1] in ("mixed", "claim"):
        _one(sys.argv[1], int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    jobs = [("mixed", n) for n in sizes] + [("claim", 1_000), ("claim", 10_000)]
    for kind, n in jobs:
        subprocess.run([sys.executable, __file__, kind, str(n)], check=True)


if __name__ == "__main__":
    main()
