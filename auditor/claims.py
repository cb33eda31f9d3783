"""Incidents, claim groups and conflicts across articles.

The stages, each a module that can be read alone:

- :mod:`auditor._claim_rules` — the rules (``auditor/data/claims.yaml``) and the prepared figure table;
- :mod:`auditor.incidents` — reports grouped into incidents (one attack, one day's tally, one siege);
- :mod:`auditor.relations` — inside an incident: claim groups (one quantity), their consensus and
  outliers, tolls that shrink, parts above their whole;
- :mod:`auditor.conflicts` and :mod:`auditor.explanations` — one row and one sentence per violated relation;
- :mod:`auditor.summaries` — one row per claim group.

:func:`blocking_keys` splits the figures so that no incident or group spans two keys. A part that names
its total (``part_of``: "40 killed, including 52 refugees in Adre, Chad") may fall in another key than
its total (another country, another scope), and its check reads the total: keys joined so are built
together (:func:`_part_links`, :func:`_keys_joined`: one batch, one cache bucket). Running
:func:`build_claims` per key, such joined keys together, and concatenating gives the same tables.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import json
import logging
import os
import shutil
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._claim_rules import _NUMBER_COLUMNS, _TEXT_COLUMNS, PreparedFigures, _text_list, load_config, prepare
from ._key_cut import (FIGURE_COST, KeyCut, batch_of_block, batch_of_costed_block, bucket_of_name, figure_kind,
                       joined_roots, key_costs, n_buckets)
from ._processes import running
from ._spill import (SCHEMA, SpilledFigures, SpilledRuns, SpilledTable, SpillPart, _merge_positions, copy_run,
                     SLICE_ROWS, counts_of, number_dtype, read_run, release_memory, row_dtype, write_run)
from .cache import ArticleCache, StoredRuns
from .conflicts import conflict_rows
from .incidents import Incident, block_keys, key_parts, keys_of_parts, link_incidents
from .relations import Group, build_groups, violations
from .summaries import summarise_groups

log = logging.getLogger(__name__)

GROUP_COLUMNS: tuple[str, ...] = (
    "group_id", "category", "subject", "location", "reference_place", "unit", "n_figures",
    "n_articles", "low", "high", "status", "label",
)
# Ours, after the contract's: independent sources, dates, notes; the incident, its consensus and
# outliers; the group-level review decision.
GROUP_EXTRA_COLUMNS: tuple[str, ...] = (
    "n_sources", "outlets", "first_published", "last_published", "note",
    "incident_id", "incident_label", "consensus_low", "consensus_high", "outliers",
    "decision", "decision_note", "decided_at",
)
CONFLICT_COLUMNS: tuple[str, ...] = (
    "conflict_id", "group_id", "figure_a", "figure_b", "article_a", "article_b", "category",
    "relative_difference", "severity", "explanation",
)
# Ours: what kind of check flagged it (`pair` or `geography`), the two outlets, the review, then the
# relation that was violated (`same`, `part_of`, `update`, `geography`).
CONFLICT_EXTRA_COLUMNS: tuple[str, ...] = (
    "kind", "outlet_a", "outlet_b", "decision", "note", "decided_at", "relation",
)
_REVIEW = ("decision", "note", "decided_at")
# Claim tasks per worker (several blocking keys per task; a big key alone): each task costs a fixed
# share (forking its child, reading its rows and articles, writing its runs, the stages' set-up), so
# few, sent largest first. A corpus of more than _CLAIM_ROWS_PER_TASK figures a worker has more anyway.
# On a 4.9 MB generated corpus's 32,318 figures, --jobs 2, 6 runs each: the claims step 1.02-1.22 s
# (median 1.05) with 1 per worker, 1.06-1.36 s (median 1.18) with 2; 3 tasks for the 2 workers (the
# third to whichever is free first) 1.12-1.27 s (median 1.18). Earlier, on another corpus: 2 per
# worker 0.72x the wall of one process, 4 per worker 0.86x.
_CLAIM_TASKS_PER_WORKER = 1
_GROUP_REVIEW = ("decision", "decision_note", "decided_at")


def blocking_keys(figures: pd.DataFrame) -> pd.Series:
    """A key per figure (same index) such that no incident or claim group spans two keys.

    ``category|scope|country|first day of a run of dates`` (runs are cut where no report falls within
    the category's window); distances by their pair of places. Build claims per key (on different
    workers) and concatenate. The figures are prepared a part at a time (each part all the figures of
    some articles, about ``_KEY_CHUNK_ROWS``): only what the keys read of each figure is kept. A
    categorical: one string per key, a small integer per figure.
    """
    return pd.Series(keys_of_parts(_key_parts_of(figures), load_config()), index=figures.index, name="block")


def _key_parts_of(figures: pd.DataFrame) -> pd.DataFrame:
    """:func:`~auditor.incidents.key_parts` of every figure, in row order, prepared a part of whole
    articles at a time: what :func:`blocking_keys` reads of each figure (figures of whole articles give
    the same parts however they are split, so shares of articles can be done on different workers)."""
    config = load_config()
    figures = figures[[c for c in figures.columns if c in _KEY_COLUMNS]]
    chunks = _article_chunks(figures, _KEY_CHUNK_ROWS)
    parts = [key_parts(prepare(figures.iloc[rows], config), config) for rows in chunks]
    return _in_row_order(parts, chunks)


def _in_row_order(parts: Iterable[pd.DataFrame], positions: list[np.ndarray]) -> pd.DataFrame:
    """Key parts computed for rows at ``positions`` (one frame per share; an iterable: a share may be
    read only when its turn comes) put back in row order.

    Each column is put in place share by share (a whole corpus's parts are joined in one process:
    no joined copy is made and then reordered, and a share's frame can go once placed)."""
    import pyarrow as pa

    if len(positions) == 1 and np.array_equal(positions[0], np.arange(len(positions[0]))):
        return next(iter(parts)).reset_index(drop=True)
    n = sum(len(rows) for rows in positions)
    prefix = np.empty(n, dtype=np.int32)  # one small integer per figure, not a string
    day, window = np.empty(n), np.empty(n)
    prefixes: dict[Any, int] = {}
    # Only the figures keyed alone (a minority) have an "alone" text: each row takes its text from
    # those (or the empty one), not from a column of strings per figure
    texts, text_of = [], np.zeros(n, dtype=np.int32)
    texts_dtype, n_texts = None, 1
    for part, rows in zip(parts, positions):
        categories = part["prefix"].cat.categories.tolist()
        recoded = np.array([prefixes.setdefault(c, len(prefixes)) for c in categories] + [-1], dtype=np.int32)
        prefix[rows] = recoded[part["prefix"].cat.codes.to_numpy()]  # code -1 (none) stays -1
        day[rows] = part["day"].to_numpy(dtype="float64")
        window[rows] = part["window"].to_numpy(dtype="float64")
        alone = part["alone"]
        texts_dtype = alone.dtype
        keyed = np.flatnonzero(alone.ne("").to_numpy(dtype=bool, na_value=False))
        text_of[rows[keyed]] = np.arange(n_texts, n_texts + len(keyed), dtype=np.int32)
        n_texts += len(keyed)
        texts.append(pa.array(alone.iloc[keyed].array).cast(pa.large_string()))
    texts = pa.concat_arrays([pa.array([""], pa.large_string()), *texts]).take(pa.array(text_of))
    del text_of
    return pd.DataFrame({
        "alone": pd.Series(texts, dtype=texts_dtype),
        "prefix": pd.Categorical.from_codes(prefix, categories=pd.Index(list(prefixes), dtype=object)),
        "day": day,
        "window": window,
    }, copy=False)


# Figures prepared at a time for blocking_keys.
_KEY_CHUNK_ROWS = 20_000


def _article_chunks(figures: pd.DataFrame, size: int) -> list[np.ndarray]:
    """Row positions in parts of about ``size`` figures, every article's figures in one part (input
    order kept inside a part)."""
    if "article_id" not in figures or len(figures) <= size:
        return [np.arange(len(figures))]
    values = figures["article_id"].to_numpy()
    if values.dtype.kind in "iu" and bool((values[1:] >= values[:-1]).all()):
        # Article rows in order, each article's figures together (a spilled table's): the parts are ranges
        # of rows, cut at the first article starting in each next ``size`` rows (no array per row made)
        starts = np.flatnonzero(values[1:] != values[:-1]) + 1  # the first row of each article after the first
        bounds = _share_bounds(starts, len(values), size)
        # (4 bytes a row: the parent holds every share's rows while the keys are made, 52 MB at 6.5M figures)
        return [np.arange(start, stop, dtype=row_dtype(len(values))) for start, stop in zip(bounds, bounds[1:])]
    del values
    codes, _ = pd.factorize(figures["article_id"], use_na_sentinel=False)  # articles in order of first row
    per_article = np.bincount(codes)
    part_of_article = (np.cumsum(per_article) - per_article) // size
    part_of_row = part_of_article[codes]
    del codes
    # Each part's rows found by a scan (a few parts): no sorted copies of a row-long array (the
    # parent shares out a big table's figures so; ~5 such arrays were 20 MB at 300,000 figures)
    return [np.flatnonzero(part_of_row == part) for part in np.unique(part_of_article).tolist()]


def _share_bounds(starts: np.ndarray, total: int, size: int) -> list[int]:
    """The bounds of shares of whole articles of about ``size`` rows, of ``total`` rows: a share starts at
    the first article starting in each next ``size`` rows. ``starts``: the articles' first rows after the
    first article's (ascending; an article with no rows repeats the next one's start).

    Looked up per share (a few hundred at 1 GB), not worked out per article: the articles' starts and
    their shares (~5 arrays of 8 bytes an article) were the main process's peak as the keys' tasks were
    sent at 1 GB."""
    marks = np.arange(size, total, size, dtype=np.int64)  # the first row of each next ``size`` rows
    found = np.searchsorted(starts, marks)  # the first article starting at or past each
    inside = found < len(starts)
    firsts = starts[found[inside]]
    firsts = firsts[(firsts < marks[inside] + size) & (firsts < total)]  # one starting within those rows
    return [0, *firsts.tolist(), total]


def _positions_by(values: np.ndarray) -> tuple[list[Any], list[np.ndarray]]:
    """The distinct ``values`` (ascending) and, for each, the positions where it is (ascending)."""
    order = np.argsort(values, kind="stable")
    if not len(order):
        return [], []
    ordered = values[order]
    starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1  # sorted already: no np.unique (two more copies)
    distinct = ordered[np.concatenate(([0], starts))].tolist()
    del ordered
    return distinct, np.split(order, starts)


# The batch files of one run: this process's id in the name, so a later run can tell a folder left by
# a killed run (kill -9 skips the clean-up) from one in use.
_SHARED_PREFIX = "figure-audit-claims-"


def _remove_abandoned(folder: Path) -> None:
    """Remove the batch folders in ``folder`` whose run no longer exists."""
    for left in folder.glob(f"{_SHARED_PREFIX}*"):
        pid = left.name[len(_SHARED_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not running(int(pid)):
            shutil.rmtree(left, ignore_errors=True)


def build_claims_by_blocks(
    figures: pd.DataFrame | SpilledFigures,
    articles: pd.DataFrame | SpilledTable,
    submit: Callable[..., Any],
    workers: int,
    store_dir: Path | None = None,
    keys: pd.Series | None = None,
    shared_folder: Path | None = None,
    cache: ClaimBatchCache | None = None,
) -> tuple[pd.DataFrame | SpilledFigures, pd.DataFrame, pd.DataFrame]:
    """:func:`build_claims`, one task per batch of :func:`blocking_keys` (the same tables).

    ``submit(function, *args)`` runs a task elsewhere (a local worker pool, a Dask client) and returns a
    future (``.result()``); ``workers`` is how many to keep busy; unless ``keys`` are given, the
    figures' key parts are prepared by one task per worker (a share of whole articles each) and the keys
    cut here (spilled figures: by one more task, :func:`_cut_on_workers`). With ``shared_folder`` (a
    folder the workers can read: local processes) each batch's figures and articles are written there in
    a file of their own, which its task reads (a worker never holds the whole table; a keys task reads
    only the columns keys depend on), instead of receiving them. Batches hold at most about
    ``_CLAIM_ROWS_PER_TASK`` figures (a bigger key alone), so a task's memory does not grow with the
    corpus. Tasks send back only the columns claims fill and the groups and conflicts: this process
    holds one figure table and none of the claim stages' working tables. Figures spilled to a file
    (:mod:`auditor._spill`, local workers only) are not held here at all: each task reads its rows from
    that file (and its articles' rows from theirs, when spilled too), this process only each figure's
    article row (and the figure ids for the review store); they come back as given, with the claims'
    columns in ``filled`` (left in the tasks' files).

    Keys that a part naming its total (``part_of``) joins to its total's key are one unit here: one
    batch, one bucket (:func:`_keys_joined`). With a ``cache`` the keys are put in
    ``CACHE_BUCKETS``-ish buckets (:mod:`auditor._key_cut`) by a hash of the key (the same bucket on
    every run) and each bucket's claims are stored under a digest of its input rows
    (:class:`ClaimBatchCache`): a re-run builds only the buckets whose figures or articles changed.
    """
    import tempfile

    from ._parallel import settings

    spilled = isinstance(figures, SpilledFigures)
    if spilled and not len(figures):
        figures = figures.frame()
        spilled = False
    if not spilled:
        figures = figures.reset_index(drop=True)
        if figures.empty:
            return build_claims(figures, articles, store_dir=store_dir)
    elif shared_folder is None:
        shared_folder = Path(tempfile.gettempdir())  # the spill file is read by local processes only
    chosen = settings()
    article_rows = _article_rows_of(figures, articles)
    # What the keys tasks are shared out by (whole articles each): the article rows, not the ids
    # (a number per figure here, not a string), or the articles' sizes (ranges of rows)
    ids: pd.DataFrame | _ArticleOfRow
    if not spilled:
        ids = figures
    elif isinstance(article_rows, _ArticleOfRow):
        ids = article_rows
    else:
        ids = pd.DataFrame({"article_id": article_rows}, copy=False)
    if shared_folder:
        _remove_abandoned(Path(shared_folder))
    n = len(figures)
    with tempfile.TemporaryDirectory(prefix=f"{_SHARED_PREFIX}{os.getpid()}-", dir=shared_folder) if shared_folder \
            else _no_folder() as folder:
        # The same input as a stored run: its buckets are known, no key is computed.
        try:
            bucket_of_row = cache.read_rows(figures, articles, article_rows) if cache is not None else None
        except (TypeError, ValueError):  # a column pandas cannot hash (lists in cells): built without the cache
            cache, bucket_of_row = None, None
        if cache is not None:
            release_memory()  # what hashing every row took: given back before the keys and tasks
        batches, batch_of_row = None, None
        # One batch per worker (a small corpus): packed by cost, as its slowest task ends the step; by
        # whole categories when they share out evenly enough (no key parts nor cut to wait for)
        most = _CLAIM_ROWS_PER_TASK if cache is None and workers > 1 and _n_batches(n, workers) == workers else None
        if keys is None and most is not None:
            batches = _category_batches(figures, workers, most)
        if keys is None and bucket_of_row is None and batches is None and spilled:
            # Keys cut on a worker: this process receives each figure's batch (or bucket), not the keys
            cut = _cut_on_workers(figures, submit, workers, chosen, Path(folder), ids,
                                  _n_batches(n, workers) if cache is None else None, most)
            if cache is None:
                batch_of_row = cut
            else:
                bucket_of_row = cut
                cache.put_layout(bucket_of_row)
            del cut
            release_memory()  # the key parts' shares sent and the cut read: given back before the claims tasks
        elif keys is None and bucket_of_row is None and batches is None:
            keys = _keys_on_workers(figures, submit, workers, chosen, None if folder is None else Path(folder), ids)
            release_memory()  # the key parts joined and cut: what the claims results come into
        del ids  # the article ids: not held through the claims tasks
        stored: dict[int, tuple] = {}
        if cache is None:
            if batches is None and batch_of_row is None:
                names, codes = _key_codes(keys, figures)
                costs = None if most is None else key_costs(names, load_config().point_events)
                batches = _packed(codes, _n_batches(n, workers), costs, most)
                del names, codes
            del keys
        else:
            if bucket_of_row is None:
                names, codes = _key_codes(keys, figures)
                del keys
                bucket_of_row = _buckets(names, codes, n)
                del names, codes
                cache.put_layout(bucket_of_row)
            digests = cache.digests(bucket_of_row)
        # A spilled table's claims stay in files: each task writes its filled columns (in the spill's
        # folder: they go with the figures), its groups and conflicts as sorted runs in their tables'
        # folders (with a cache, this process writes the runs of each task's frames once they are
        # stored, and of each stored bucket as it is read).
        run_folders = (Path(tempfile.mkdtemp(prefix="filled-", dir=figures.folder)),
                       SpilledRuns.folder_for(shared_folder), SpilledRuns.folder_for(shared_folder)) \
            if spilled else None
        stored_runs: dict[int, tuple[str, str, str]] = {}
        try:
            if cache is not None:
                if spilled:  # one bucket's frames held at a time (here: an unchanged re-run starts no worker)
                    stored_runs = dict(cache.each_stored(digests, partial(_run_files, run_folders=run_folders)))
                    # each figure's batch: the buckets to build packed, then one per bucket stored
                    batch_of_row, n_built = _batches_of_buckets(bucket_of_row, list(stored_runs), workers)
                else:
                    stored = cache.get(digests)
                    missing = np.flatnonzero(~np.isin(bucket_of_row, np.array(list(stored), dtype=np.int64))).astype(
                        row_dtype(n))
                    batches = [missing[rows] for rows in _packed(bucket_of_row[missing], _n_batches(
                        len(missing), workers))] if len(missing) else []
            rows_of: Callable[[int], np.ndarray] = batches.__getitem__ if batches is not None \
                else partial(_rows_of_batch, batch_of_row)

            def submitted(number: int) -> Future:
                rows = rows_of(number)
                if spilled:
                    # The task reads its rows from the spill file, and its articles' from theirs (a big key's
                    # articles, read and written again here, were this process's peak: ~110 MB a million);
                    # articles not spilled to one file are written here for it
                    sent = _articles_part(articles, article_rows[rows])
                    if sent is None:
                        sent = _write_frames(Path(folder) / f"articles-{number}.pickle",
                                             _articles_at(articles, article_rows[rows]))
                        # What reading and writing them took (a few MB: up to a batch's figures' articles), given
                        # back before the next batch's are read: the first tasks are sent one after another
                        release_memory()
                    # With a cache, the task stores its buckets' claims itself (this process never holds them)
                    store = None if cache is None else (str(cache.store.folder), bucket_of_row[rows], {
                        bucket: digests[bucket] for bucket in np.unique(bucket_of_row[rows]).tolist()})
                    # Sent in a file: this process does not hold a task's rows while it runs
                    return submit(_claims_task, _parked(Path(folder) / f"task-{number}.pickle", figures.part(rows),
                                                        sent, store), None, chosen, run_folders)
                part_articles = _articles_at(articles, article_rows[rows])
                part = figures.iloc[rows]
                if folder is None:
                    return submit(_claims_task, part, part_articles, chosen)
                # written one batch at a time: the parent never holds a second copy of the table
                return submit(_claims_task, _write_frames(Path(folder) / f"batch-{number}.pickle", part, part_articles),
                              None, chosen)

            sizes = [len(b) for b in batches] if batches is not None else counts_of(batch_of_row).tolist()
            if cache is not None and spilled:
                sizes = sizes[:n_built]  # the batches to build (after them: the buckets stored)
            order = _largest_first(sizes)  # the longest tasks first: no worker idles at the end
            if run_folders is not None and cache is None:  # local workers: a few tasks sent ahead at a time
                # Held through the claims tasks: each figure's batch (a byte or two), a batch's rows found
                # from it when sent (and each figure's article from the articles' sizes, _article_rows_of)
                if batches is not None:
                    batch_of_row = _batch_of_row(batches, n)
                    del batches
                    rows_of = partial(_rows_of_batch, batch_of_row)
                return _from_runs(figures, _in_window(order, submitted, 2 * workers), batch_of_row, run_folders,
                                  store_dir)
            if run_folders is not None:  # with a cache: the batches built, then the buckets it held
                built = _counted_as_stored(_in_window(order, submitted, 2 * workers), cache)
                held = ((n_built + k, paths) for k, paths in enumerate(stored_runs.values()))
                return _from_runs(figures, itertools.chain(built, held), batch_of_row, run_folders, store_dir)
            futures: dict[int, Future] = {number: submitted(number) for number in order}
        except BaseException:
            for made in run_folders or ():
                shutil.rmtree(made, ignore_errors=True)
            raise
        parts = [_result(futures[number].result()) for number in range(len(batches))]
    if cache is not None:
        split = [_by_bucket(part, bucket_of_row[rows]) for rows, part in zip(batches, parts)]
        if all(s is not None for s in split):  # else (never seen) the batches are used as built, not stored
            built = {b: frames for s in split for b, frames in s.items()}
            cache.put(built, digests)
            parts, batches = _assembled(stored, built, bucket_of_row)
        else:
            parts, batches = parts + list(stored.values()), batches + [
                np.flatnonzero(bucket_of_row == b) for b in stored]
    # Joined a column at a time, each part's column dropped once taken, and the conflicts (the
    # biggest table) sorted here the same way: the parts and their joined copy are not held whole at once.
    order = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    filled = _joined([p[0] for p in parts], np.argsort(order, kind="stable"))
    groups = _joined([p[1] for p in parts])
    conflicts = _joined([p[2] for p in parts], _conflict_keys)  # finish_claims then finds them in order
    del parts
    if spilled:
        figures.filled = filled[list(_FILLED)]
        del filled
        release_memory()
        groups, conflicts = finish_claims(lambda: _members(figures), groups, conflicts, store_dir)
        return figures, groups, conflicts
    found = figures.copy(deep=False)
    for column in _FILLED:
        found[column] = filled[column].to_numpy()
    groups, conflicts = finish_claims(found, groups, conflicts, store_dir)
    return found, groups, conflicts


def _key_codes(keys: pd.Series, figures: pd.DataFrame | SpilledFigures) -> tuple[pd.Index, np.ndarray]:
    """The keys' names and each figure's key code, the keys joined by a part naming its total taking
    one code (:func:`_keys_joined`): what batches and buckets are cut by."""
    if isinstance(figures, SpilledFigures):  # keys given with a spilled table: only the link columns read
        figures = figures.part(np.arange(len(figures)), list(_LINK_COLUMNS)).load()
    key_codes = pd.Categorical(keys)
    names = key_codes.categories
    return names, _keys_joined(key_codes.codes.astype(np.int64), _part_links(figures), names)


# What joins two blocking keys: a figure in one naming (``part_of``) the ``figure_id`` of its total in the other.
_LINK_COLUMNS = ("figure_id", "part_of")
_NO_LINKS = np.zeros((0, 2), dtype=np.int64)


def _part_links(figures: pd.DataFrame) -> np.ndarray:
    """``(part, total)`` row positions (a k x 2 array): each figure naming its total (``part_of``) with
    every row of that figure id in ``figures`` (the part-of check reads the total wherever it is, so
    both must be built in one task). Only the few rows with a ``part_of`` are looked at one by one."""
    if len(figures) == 0 or any(c not in figures for c in _LINK_COLUMNS):
        return _NO_LINKS
    part_of = figures["part_of"]
    rows = np.flatnonzero(part_of.fillna("").ne("").to_numpy(dtype=bool))
    if not len(rows):  # the usual case
        return _NO_LINKS
    named = part_of.iloc[rows].astype(str).tolist()
    ids = figures["figure_id"]
    totals = np.flatnonzero(ids.isin(set(named)).to_numpy(dtype=bool))
    rows_of: dict[str, list[int]] = {}
    for row, figure_id in zip(totals.tolist(), ids.iloc[totals].astype(str).tolist()):
        rows_of.setdefault(figure_id, []).append(row)
    pairs = [(row, total) for row, figure_id in zip(rows.tolist(), named) for total in rows_of.get(figure_id, ())]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _keys_joined(codes: np.ndarray, links: np.ndarray, names: Any) -> np.ndarray:
    """Each row's key code (``codes``; ``names[code]`` is the key), the keys that ``links`` (row pairs,
    :func:`_part_links`) join taking one code: that of the smallest key name among them (a union-find
    over the few linked keys). A cache bucket, a hash of that name, is then the same on every run."""
    if not len(links):
        return codes
    roots = joined_roots(codes[links].tolist(), lambda code: str(names[code]))
    if not roots:  # every part in its total's key
        return codes
    joined = np.arange(len(names), dtype=codes.dtype)
    for code, root in roots.items():
        joined[code] = root
    return joined[codes]


def _joined(frames: list[pd.DataFrame], rows: np.ndarray | Callable[[pd.DataFrame], list[pd.Series]] | None = None
            ) -> pd.DataFrame:
    """The rows of ``frames`` in one frame (empty ones left out: a batch without conflicts has
    untyped columns, which would untype the others' too); with ``rows``, only the rows at those
    positions, or (a function giving sort keys of the joined frame) sorted as :func:`_sorted_by`.

    Built a column at a time from the frames' columns, each dropped from its frame once taken (the
    frames are emptied; not when keys Arrow cannot sort leave the sort to pandas): the parts and the
    whole table are not held at once."""
    full = [f for f in frames if len(f)] or frames[:1]
    if rows is None or not full:
        return pd.concat(full, ignore_index=True)
    if callable(rows):
        keys_of = rows
        joined = pd.concat(full, ignore_index=True)  # Arrow-backed text: its chunks shared, not copied
        rows = _order(keys_of(joined))
        if rows is None:  # keys Arrow cannot sort: pandas sorts (a copy)
            return _sorted_by(joined, keys_of(joined))
        del joined
    names = list(full[0].columns)
    taken = {}
    for name in names:
        pieces = [frame.pop(name) for frame in full]
        big = sum(piece.nbytes for piece in pieces) > _GATHER_BYTES
        taken[name] = _gathered(pieces, rows)
        del pieces
        if big:
            release_memory()  # the parts' column: room for the next column's
    return pd.DataFrame(taken, columns=names)


# Bytes of a column gathered at a time by _gathered (its transient copy beyond the parts and the
# result), in no fewer rows than _GATHER_ROWS.
_GATHER_BYTES = 8 << 20
_GATHER_ROWS = 16_384


def _gathered(pieces: list[pd.Series], positions: np.ndarray) -> pd.Series:
    """``pd.concat(pieces, ignore_index=True).take(positions)``, about ``_GATHER_BYTES`` at a time,
    each block taken from the pieces holding its rows: Arrow takes from a column of several chunks by
    joining them into one first, a third copy of the column."""
    starts = np.cumsum([0] + [len(p) for p in pieces])
    per_row = sum(p.nbytes for p in pieces) // max(1, starts[-1]) + 1
    step = max(_GATHER_ROWS, _GATHER_BYTES // per_row)
    if step >= len(positions):  # a small column: joined whole, then taken
        return pd.concat(pieces, ignore_index=True).take(positions).reset_index(drop=True)
    blocks = []
    for first in range(0, len(positions), step):
        wanted = positions[first:first + step]
        piece_of = np.searchsorted(starts, wanted, side="right") - 1
        by_piece = np.argsort(piece_of, kind="stable")
        found, bounds = np.unique(piece_of[by_piece], return_index=True)
        bounds = np.append(bounds, len(wanted))
        taken = [pieces[k].take(wanted[by_piece[bounds[i]:bounds[i + 1]]] - starts[k])
                 for i, k in enumerate(found.tolist())]
        block = pd.concat(taken, ignore_index=True)
        inverse = np.empty(len(by_piece), dtype=np.int64)
        inverse[by_piece] = np.arange(len(by_piece))
        blocks.append(block.take(inverse))
    return pd.concat(blocks, ignore_index=True)


# The format of stored claim batches: part of every entry's digest (bump when it changes).
_CLAIMS_CACHE_FORMAT = "claims-batch-2"
# Figures whose row hashes a cached claims step reads back at a time to digest the buckets.
_DIGEST_ROWS = 65_536


def _buckets(keys: pd.Index, codes: np.ndarray, n_rows: int) -> np.ndarray:
    """The bucket of each figure: a hash of its key (``keys[code]``,
    :func:`~auditor._key_cut.bucket_of_name`). Keys a part joins to its total's share a code
    (:func:`_keys_joined`), so a bucket."""
    buckets = n_buckets(n_rows)
    # (held through the claims step, one per figure: in the smallest type)
    of_key = np.array([bucket_of_name(k, buckets) for k in keys], dtype=number_dtype(buckets))
    return of_key[codes]


def _by_bucket(part: tuple, buckets: np.ndarray) -> dict[int, tuple] | None:
    """A task's claims (filled columns in its rows' order, groups, conflicts) split by bucket
    (``buckets``: each of its rows' bucket). A group is in its figures' bucket, a conflict in its
    group's; ``None`` when a group or conflict has no bucket (not stored then)."""
    split = _each_bucket(part, buckets)
    return None if split is None else dict(split)


def _each_bucket(part: tuple, buckets: np.ndarray) -> Iterator[tuple[int, tuple]] | None:
    """:func:`_by_bucket` made a bucket at a time as it is iterated (a caller storing them holds one
    bucket's copy, not a copy of every table)."""
    filled, groups, conflicts = part
    of_group = dict(zip(filled["group_id"].tolist(), buckets.tolist()))
    group_bucket = groups["group_id"].map(of_group).to_numpy()
    conflict_bucket = conflicts["group_id"].map(of_group).to_numpy()
    if pd.isna(group_bucket).any() or pd.isna(conflict_bucket).any():
        return None
    rows = [dict(zip(*_positions_by(np.asarray(of, dtype=np.int64))))
            for of in (buckets, group_bucket, conflict_bucket)]
    none = np.zeros(0, dtype=np.int64)
    return ((bucket, tuple(frame.take(at.get(bucket, none)).reset_index(drop=True) for frame, at in zip(part, rows)))
            for bucket in np.unique(buckets).tolist())


def _assembled(stored: dict[int, tuple], built: dict[int, tuple], bucket_of_row: np.ndarray
               ) -> tuple[list[tuple], list[np.ndarray]]:
    """Every bucket's claims (stored or built) and the row positions of each, in bucket order."""
    buckets, positions = _positions_by(bucket_of_row)
    return [stored[b] if b in stored else built[b] for b in buckets], positions


def _config_text(config: Any) -> str:
    """claims.yaml's thresholds as the same text in every process. ``repr`` will not do: a frozenset's
    order follows the string hash seed, which differs from one process to the next, so a later run would
    never find the claims an earlier one stored."""

    def plain(value: Any) -> Any:
        if isinstance(value, (set, frozenset)):
            return sorted((plain(v) for v in value), key=repr)
        if isinstance(value, dict):
            return [[plain(k), plain(v)] for k, v in sorted(value.items(), key=lambda item: repr(item[0]))]
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    fields = {f.name: plain(getattr(config, f.name)) for f in dataclasses.fields(config)}
    return json.dumps(fields, sort_keys=True, default=repr)


class ClaimBatchCache:
    """Claims of each bucket of blocking keys kept in the per-article cache (:mod:`auditor.cache`),
    under a digest of what builds them: the code and data (``version``: every ``auditor/*.py`` and
    ``auditor/data/**``, the settings), the claim rules read (``claims.yaml``'s thresholds), the
    entry format, and the bucket's input rows in order (every column of its figures and of their
    articles). Review decisions are never stored: they are merged afresh after."""

    def __init__(self, store: Any, version: str) -> None:
        self.store = store
        self.version = version
        self.built = 0  # buckets built on this run
        self.reused = 0  # buckets taken from the store

    def read_rows(self, figures: pd.DataFrame | SpilledFigures, articles: pd.DataFrame,
                  article_rows: np.ndarray | _ArticleOfRow) -> np.ndarray | None:
        """Hash every input row (a figure with its article's row); the bucket of every figure stored
        for exactly this input, if any (then no keys need computing). The rows' hashes (two numbers per
        figure) go to a temporary file, read again by :meth:`digests`: they are not held here."""
        import hashlib
        import tempfile

        article_hashes, article_types = _row_hashes(articles)
        self._pairs = tempfile.TemporaryFile(prefix="figure-audit-row-hashes-")
        whole = None

        def started(figure_types: str) -> Any:
            self._head = "\0".join((_CLAIMS_CACHE_FORMAT, self.version, _config_text(load_config()), figure_types,
                                    article_types)).encode()
            return hashlib.sha256(self._head + b"\0layout")

        for start, hashes, types in _each_row_hashes(figures):
            if whole is None:
                whole = started(types)
            pairs = np.zeros((len(hashes), 2), dtype=np.uint64)  # (figure, its article; 0: none)
            pairs[:, 0] = hashes
            of_article = np.asarray(article_rows[np.arange(start, start + len(hashes))], dtype=np.int64)
            known = of_article >= 0
            pairs[known, 1] = article_hashes[of_article[known]]
            whole.update(pairs.tobytes())
            self._pairs.write(pairs.tobytes())
        if whole is None:  # no figure
            whole = started("")
        self._n = len(figures)
        self._layout_key = whole.hexdigest()
        buckets = self.store.get_claim_layout(self._layout_key)
        if buckets is None or len(buckets) != self._n:
            return None
        return buckets.astype(number_dtype(n_buckets(self._n)))  # as _buckets gives them

    def put_layout(self, bucket_of_row: np.ndarray) -> None:
        """Store the bucket of every figure of this input (read by the next :meth:`read_rows`)."""
        self.store.put_claim_layout(self._layout_key, bucket_of_row)

    def digests(self, bucket_of_row: np.ndarray) -> dict[int, str]:
        """The digest of each bucket's input (once, after :meth:`read_rows`): its rows' hashes (each
        figure's and its article's) in row order, read back from their file a part at a time."""
        import hashlib

        hashers: dict[int, Any] = {}
        self._pairs.seek(0)
        for start in range(0, self._n, _DIGEST_ROWS):
            pairs = np.frombuffer(self._pairs.read(min(_DIGEST_ROWS, self._n - start) * 16), dtype=np.uint64
                                  ).reshape(-1, 2)
            for bucket, rows in zip(*_positions_by(bucket_of_row[start:start + len(pairs)])):
                if bucket not in hashers:
                    hashers[bucket] = hashlib.sha256(self._head)
                hashers[bucket].update(np.ascontiguousarray(pairs[rows]).tobytes())
        self._pairs.close()
        return {bucket: hashers[bucket].hexdigest() for bucket in sorted(hashers)}

    def get(self, digests: dict[int, str]) -> dict[int, tuple]:
        """The stored claims of the buckets found (bucket -> frames)."""
        return dict(self.each_stored(digests, _stored_frames))

    def each_stored(self, digests: dict[int, str], taken: Callable[[Any], Any | None]
                    ) -> Iterator[tuple[int, Any]]:
        """``(bucket, taken(stored))`` of each bucket found, read from the store one at a time (a caller
        that writes each away holds one bucket's frames, not every bucket's); ``stored`` is its frames
        or its :class:`~auditor.cache.StoredRuns`; a bucket ``taken`` gives ``None`` for (its files
        gone since) is not found."""
        self.reused = 0
        for bucket, digest in digests.items():
            frames = self.store.get_claim_batches([digest]).get(digest)
            if frames is not None:
                frames = taken(frames)
            if frames is not None:
                self.reused += 1
                yield bucket, frames
        if digests and self.reused == len(digests):
            self.store.claim_hits += 1

    def put(self, built: dict[int, tuple], digests: dict[int, str]) -> None:
        """Store the claims of the buckets built."""
        self.built += len(built)
        if built:
            self.store.put_claim_batches([(digests[b], frames) for b, frames in built.items()])


def claim_batch_cache(store: Any) -> ClaimBatchCache | None:
    """The claims cache kept in ``store`` (an :class:`~auditor.cache.ArticleCache`, or ``None``: no cache)."""
    if store is None:
        return None
    from .cache import extractor_version

    return ClaimBatchCache(store, extractor_version())


def _row_hashes(table: pd.DataFrame | SpilledTable) -> tuple[np.ndarray, str]:
    """A 64-bit hash of every row (all columns, not its position) of the articles (or the figures) and
    the columns' types (:func:`_each_row_hashes` joined: a number per row)."""
    found = np.empty(len(table), dtype=np.uint64)  # filled in place: no list of parts then joined
    types = ""
    for start, hashes, types in _each_row_hashes(table):
        found[start:start + len(hashes)] = hashes
    return found, types


def _each_row_hashes(table: pd.DataFrame | SpilledTable) -> Iterator[tuple[int, np.ndarray, str]]:
    """``(first row, hashes, types)``: a 64-bit hash of each row (all columns, not its position) and the
    columns' types; a frame's rows at once, a spilled table's ``_HASH_CHUNK_ROWS`` at a time (read a
    record batch at a time; an empty one gives none)."""
    if not isinstance(table, SpilledTable):
        yield 0, pd.util.hash_pandas_object(table, index=False, categorize=False).to_numpy(), _types_text(table)
        return
    types = ""
    for chunk in table.chunks(_HASH_CHUNK_ROWS):
        if not types:
            types = _types_text(chunk)
        yield int(chunk.index[0]), pd.util.hash_pandas_object(chunk, index=False, categorize=False).to_numpy(), types


def _types_text(frame: pd.DataFrame) -> str:
    """``frame``'s columns and their types, as text (part of a claims cache digest)."""
    return repr([(str(c), str(t)) for c, t in frame.dtypes.items()])


# Figure rows hashed at a time when read from a spill file (each chunk's frame, every column, and
# its hashing's working arrays: ~2 KB a row at once; 16,384 lifted the main process ~30 MB).
_HASH_CHUNK_ROWS = 4_096


def _article_ids(articles: pd.DataFrame | SpilledTable) -> pd.Series | None:
    """The articles' ids (``None``: no article, or no ids)."""
    return articles["article_id"] if "article_id" in articles.columns and len(articles) else None


def _article_rows(article_ids: pd.Series, ids: pd.Series | tuple | None) -> np.ndarray:
    """Each figure's article: its row in the articles whose ids are ``ids`` (the first of that id; -1
    for none; or ``ids`` as :func:`_article_index` gives them)."""
    if ids is None:
        return np.full(len(article_ids), -1, dtype=np.int64)
    known, positions = ids if isinstance(ids, tuple) else _article_index(ids)
    if known is None:  # not text (hand-built frames): pandas' lookup
        found = pd.Index(positions[0]).get_indexer(article_ids)
        positions = positions[1]
    else:
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            values = pa.array(article_ids, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return _article_rows(article_ids, (None, (known.to_pandas(), positions)))
        found = pc.index_in(values, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(found >= 0, positions[np.maximum(found, 0)], -1).astype(np.int64)


def _article_index(ids: pd.Series) -> tuple[Any, Any]:
    """The distinct article ids (an Arrow array, in order of first row) and the row of each's first
    (as _fill_from_articles reads them: the first of an id), found by Arrow (no Python string per
    article); ``(None, (ids, rows))`` when they are not text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        encoded = pc.dictionary_encode(pa.array(ids, type=pa.large_string(), from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        first = ~ids.duplicated().to_numpy()
        return None, (ids[first], np.flatnonzero(first))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    valid = encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    positions = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    distinct, first = np.unique(codes[valid], return_index=True)
    positions[distinct] = np.flatnonzero(valid)[first]
    return encoded.dictionary, positions


def _article_rows_of(figures: pd.DataFrame | SpilledFigures, articles: pd.DataFrame | SpilledTable
                     ) -> np.ndarray | _ArticleOfRow:
    """:func:`_article_rows` of every figure; a spilled table's article ids read a part at a time (or,
    when it knows how many rows each article has, none read: an :class:`_ArticleOfRow`, indexed as
    the array would be, holding a number per article, not per figure)."""
    if not isinstance(figures, SpilledFigures):
        return _article_rows(figures["article_id"], _article_ids(articles))
    counts = figures.article_counts
    if counts is not None and isinstance(articles, SpilledTable) and len(counts) == len(articles):
        # A local run's tables: the figures follow their articles (whose ids are unique), so many each
        return _ArticleOfRow(counts)
    ids = _article_ids(articles)
    index = None if ids is None else _article_index(ids)
    del ids
    # Held for the whole claims step: 4 bytes per figure, not 8 (a row of the articles, or -1)
    rows = np.empty(len(figures), dtype=row_dtype(len(articles)))
    for start in range(0, len(figures), _ID_CHUNK_ROWS):
        stop = min(start + _ID_CHUNK_ROWS, len(figures))
        rows[start:stop] = _article_rows(figures.part(np.arange(start, stop), ["article_id"]).load()["article_id"],
                                         index)
    return rows


# Figures' article ids read at a time to find their articles' rows.
_ID_CHUNK_ROWS = 65_536


def _articles_at(articles: pd.DataFrame | SpilledTable, rows: np.ndarray) -> pd.DataFrame:
    """The articles of a batch's figures (``rows``: each figure's row in ``articles``, -1 for none), in
    their order in ``articles``; every article when they have no ids. Spilled articles: only these
    rows read from their file."""
    if isinstance(articles, SpilledTable):  # only what a claims task reads of them (not the paths, digests)
        positions = np.unique(rows[rows >= 0])
        wanted = [c for c in articles.columns if c in _ARTICLE_CLAIM_COLUMNS]
        return articles.rows(positions, wanted).set_axis(pd.Index(positions), axis=0)
    if "article_id" not in articles:
        return articles
    return articles.iloc[np.unique(rows[rows >= 0])]


@dataclasses.dataclass(frozen=True)
class _TaskArticles:
    """The articles of a claims task on a spill file: their rows of the articles' spill file and, when the
    task's figures follow them (a local run's), how many of its figures each has, in order: a streamed
    task then knows each figure's article from these, without looking its id up (an index of a big key's
    article ids, and its look-ups, were the task's peak as it filled its rows)."""

    part: SpillPart
    figures_each: np.ndarray | None

    def article_of(self) -> np.ndarray | None:
        """Each of the task's figures' article: its position among the task's articles (``None``: not known)."""
        if self.figures_each is None:
            return None
        return np.repeat(np.arange(len(self.figures_each), dtype=np.int32), self.figures_each)


def _articles_part(articles: pd.DataFrame | SpilledTable, rows: np.ndarray) -> _TaskArticles | None:
    """What a task reads of its articles (as :func:`_articles_at` gives them, see :func:`_loaded_articles`)
    when they are spilled to one file (a local run's): their rows of it (each figure's article row given:
    ``rows``, -1 for none); else ``None``."""
    if not isinstance(articles, SpilledRuns) or len(articles.paths) != 1:
        return None
    articles._check_readable()
    every = bool((rows >= 0).all())  # (before the figures without an article are left out)
    if not every:
        rows = rows[rows >= 0]
    figures_each = None
    if len(rows) and bool((rows[1:] >= rows[:-1]).all()):
        # ascending (a local run's figures follow their articles): each article's first row kept, not sorted
        # again (np.unique's copies of a big key's rows were this process's peak)
        first = np.concatenate(([True], rows[1:] != rows[:-1]))  # each article's first figure
        positions = rows[first]
        if every:  # each figure has its article: how many each article has, in order (mostly a byte each)
            figures_each = _run_lengths(first)
    else:
        positions = np.unique(rows)
    wanted = tuple(c for c in articles.columns if c in _ARTICLE_CLAIM_COLUMNS)
    return _TaskArticles(SpillPart(articles.paths[0], positions.astype(row_dtype(len(articles))), wanted,
                                   articles.empty, articles.batch_rows), figures_each)


def _run_lengths(first: np.ndarray) -> np.ndarray:
    """The length of each run of rows that ``first`` (a flag per row) starts, in the smallest integer type
    (worked in 32 bits: a big key's batch has a million figures, and as many articles)."""
    starts = np.flatnonzero(first).astype(np.int32)
    lengths = np.diff(starts, append=np.int32(len(first)))
    del starts
    return lengths.astype(number_dtype(int(lengths.max()) + 1)) if len(lengths) else lengths


def _loaded_articles(part: SpillPart) -> pd.DataFrame:
    """The articles a task was sent as a :class:`~auditor._spill.SpillPart`, indexed by their rows (as
    :func:`_articles_at` gives them)."""
    return part.load().set_axis(pd.Index(part.rows.astype(np.int64)), axis=0)


def _members(figures: SpilledFigures) -> pd.DataFrame:
    """What :func:`finish_claims` reads of spilled figures (their ids and claim groups)."""
    return pd.DataFrame({"figure_id": figures.column("figure_id").to_numpy(),
                         "group_id": figures.filled.column("group_id").to_numpy()})


# What the claim stages read of the figures (auditor._claim_rules.columns) and of their articles
# (_fill_from_articles).
_CLAIM_COLUMNS = frozenset((*_TEXT_COLUMNS, *_NUMBER_COLUMNS, "start"))
_ARTICLE_CLAIM_COLUMNS = frozenset({"article_id", "outlet", "published", "title"})
# The figure columns build_claims fills in (the rest it returns as given).
_FILLED = ("outlet", "published", "group_id", "incident_id")
# Figures per claims task at most (a bigger blocking key alone): bounds a worker's memory.
_CLAIM_ROWS_PER_TASK = 25_000
# What blocking_keys reads (incidents.key_parts of the prepared table): the category and id, the interval,
# the place, what is counted, the scope and the dates; not the long texts nor who reports it.
_KEY_COLUMNS = frozenset({"figure_id", "article_id", "category", "value", "low", "high", "qualifier", "location",
                          "place_id", "admin1", "country", "reference_place", "counted", "scope", "event_date",
                          "published"})


@contextlib.contextmanager
def _no_folder() -> Iterator[None]:
    yield None


def _n_batches(n_rows: int, workers: int) -> int:
    """Enough batches to keep ``workers`` busy and none above ``_CLAIM_ROWS_PER_TASK`` figures (one
    process: as few as that allows)."""
    busy = workers * _CLAIM_TASKS_PER_WORKER if workers > 1 else 1
    return max(busy, -(-n_rows // _CLAIM_ROWS_PER_TASK))


def run_here(function: Callable[..., Any], *args: Any) -> Future:
    """A ``submit`` for :func:`build_claims_by_blocks` that runs each task in this process."""
    future: Future = Future()
    future.set_result(function(*args))
    return future


def _write_frames(path: Path, *frames: pd.DataFrame) -> str:
    """``frames`` pickled into ``path`` column by column (pickling a whole frame buffers all of it; a
    string column pickles as its Arrow buffers); read back by :func:`_read_frames`."""
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(len(frames), handle, protocol=pickle.HIGHEST_PROTOCOL)
        for frame in frames:
            pickle.dump(list(frame.columns), handle, protocol=pickle.HIGHEST_PROTOCOL)
            for column in frame.columns:
                pickle.dump(frame[column], handle, protocol=pickle.HIGHEST_PROTOCOL)
    return str(path)


def _read_frames(path: str, keep: tuple[Iterable[str] | None, ...] = ()) -> list[pd.DataFrame]:
    """The frames :func:`_write_frames` wrote in ``path``; of the k-th, only the columns in ``keep[k]``
    when given (each other column let go as soon as read)."""
    import pickle

    with open(path, "rb") as handle:
        frames = []
        for k in range(pickle.load(handle)):
            names = pickle.load(handle)
            wanted = set(names) if k >= len(keep) or keep[k] is None else set(keep[k])
            columns = {}
            for name in names:
                column = pickle.load(handle)
                if name in wanted:
                    columns[name] = column
                del column
            kept = [name for name in names if name in columns]
            frames.append(pd.DataFrame(columns, columns=kept))
    return frames


def _narrowed(frame: pd.DataFrame, columns: frozenset[str]) -> pd.DataFrame:
    """``frame``'s columns that are in ``columns`` (in its order): a frame sharing them."""
    return frame[[c for c in frame.columns if c in columns]]


def _result(sent: tuple | str) -> tuple:
    """A claims task's result, read from the file it wrote in the shared folder (streamed, not
    received whole through a pipe) or as sent."""
    if not isinstance(sent, str):
        return sent
    import pickle

    with open(sent, "rb") as handle:
        return tuple(pickle.load(handle) for _ in range(3))


def _keys_on_workers(
    figures: pd.DataFrame | SpilledFigures, submit: Callable[..., Any], workers: int, chosen: dict[str, str],
    folder: Path | None, ids: pd.DataFrame | None = None,
) -> pd.Series:
    """:func:`blocking_keys`, the figures' key parts prepared by one task per worker (each a share of
    whole articles, in a file of its own in ``folder`` when given, only the columns keys read); the
    parts assembled and the runs of dates cut here. Spilled figures: each task reads its share from
    the spill file (``ids``: their article ids, read here to share them out)."""
    futures, shares = _key_parts_on_workers(figures, submit, workers, chosen, folder, ids, written=False)
    parts = _in_row_order([future.result() for future in futures], shares)
    index = pd.RangeIndex(len(figures)) if isinstance(figures, SpilledFigures) else figures.index
    return pd.Series(keys_of_parts(parts, load_config()), index=index, name="block")


def _key_parts_on_workers(
    figures: pd.DataFrame | SpilledFigures, submit: Callable[..., Any], workers: int, chosen: dict[str, str],
    folder: Path | None, ids: pd.DataFrame | _ArticleOfRow | None, written: bool,
) -> tuple[list[Future], list[np.ndarray] | list[range]]:
    """The key parts tasks of :func:`_keys_on_workers` (their futures) and the rows of each's share
    (ranges when ``ids`` is an :class:`_ArticleOfRow`); ``written``: each task writes its parts in a
    file in ``folder`` and gives its name."""
    spilled = isinstance(figures, SpilledFigures)
    if ids is None:
        ids = figures.column("article_id").to_frame() if spilled else figures
    # Shares of about _KEY_CHUNK_ROWS figures at most (more than one per worker on a big table): a
    # worker's memory for them does not grow with the corpus.
    size = min(-(-len(figures) // max(1, workers)), _KEY_CHUNK_ROWS)
    shares = ids.shares(size) if isinstance(ids, _ArticleOfRow) else _article_chunks(ids, size)
    narrow = None if spilled else figures[[c for c in figures if c in _KEY_COLUMNS]]
    # A task that writes its parts writes its share's part-of links too (_cut_task joins keys by them)
    read = _KEY_COLUMNS.union(_LINK_COLUMNS) if written else _KEY_COLUMNS
    futures = []
    for number, rows in enumerate(shares):
        share: pd.DataFrame | str | SpillPart
        if spilled:
            share = figures.part(rows, [c for c in figures.columns if c in read])
        elif folder is None:
            share = narrow.iloc[rows]
        else:
            share = _write_frames(folder / f"keys-{number}.pickle", narrow.iloc[rows])
        futures.append(submit(_key_parts_task, share, chosen, str(folder / f"parts-{number}.pickle") if written
                              else None))
    return futures, shares


def _cut_on_workers(
    figures: SpilledFigures, submit: Callable[..., Any], workers: int, chosen: dict[str, str], folder: Path,
    ids: pd.DataFrame | None, n_batches: int | None, most_rows: int | None = None,
) -> np.ndarray:
    """Each figure's batch (of ``n_batches`` at most, packed as :func:`_packed` packs, by cost with
    ``most_rows``; the smallest integer type), or with ``n_batches`` ``None`` its bucket (:func:`_buckets`), by
    :func:`_keys_on_workers`'s keys (those a part naming its total joins counted as one,
    :func:`_keys_joined`): the parts and each share's part-of links written in files by their tasks,
    then dealt out and cut by one more task (:class:`~auditor._key_cut.KeyCut`). This process holds no
    key part nor key."""
    futures, shares = _key_parts_on_workers(figures, submit, workers, chosen, folder, ids, written=True)
    paths = [future.result() for future in futures]
    del futures
    # The shares' rows (unless ranges) handed over in a file: sent as arguments, they stayed in this
    # process (the pool keeps a task's arguments until it ends) while the cut came back, its peak then
    sent: list[range] | _Parked = shares if all(isinstance(r, range) for r in shares) \
        else _parked(folder / "shares.pickle", shares)
    del shares
    # The cut comes back in a file too: returned, it was here twice at once (its pickled bytes and its array)
    return submit(_cut_task, paths, sent, folder, chosen, n_batches, most_rows).result().taken()[0]


@dataclasses.dataclass(frozen=True)
class _Parked:
    """A task's arguments pickled in a file (:func:`_parked`), sent as its path. A pool holds what a task
    was sent until it ends (the objects, and their pickled bytes until written to the worker): a big
    key's rows and its articles' (~10 MB a million figures) stayed in this process while the task ran
    (at 1 GB its RSS through the claims step was 215 MB with them, 152 MB without). A task's result
    comes back so too when returning it would hold it here twice (its pickled bytes and itself)."""

    path: str

    def taken(self) -> tuple[Any, ...]:
        """The arguments, in order; the file removed."""
        import pickle

        with open(self.path, "rb") as handle:
            arguments = pickle.load(handle)
        os.unlink(self.path)
        return arguments


def _parked(path: Path, *arguments: Any) -> _Parked:
    """``arguments`` pickled in ``path``, for the task that takes them (:meth:`_Parked.taken`)."""
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(arguments, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return _Parked(str(path))


def _cut_task(paths: list[str], shares: list[range] | _Parked, folder: Path, chosen: dict[str, str],
              n_batches: int | None, most_rows: int | None = None) -> _Parked:
    """The task of :func:`_cut_on_workers`: the parts and links read from ``paths`` (removed), each
    share's rows (``shares``: ranges, or parked: their arrays); the keys gathered and cut
    (:class:`~auditor._key_cut.KeyCut`: no array of the whole corpus's keys is held), each figure's
    batch or bucket parked in a file in ``folder``. (A share's
    links are those inside it: a part and its total are figures of one sentence, and a share holds
    whole articles.)"""
    from ._parallel import apply_settings, in_pool_worker, run_apart

    if in_pool_worker():
        # In a child of the worker: what the cut leaves in the heap ends with it. The worker then forks the
        # first claims tasks (a big key's first) from its own size, not from the cut's (~30 MB more at 1 GB)
        return run_apart(_cut_task, paths, shares, folder, chosen, n_batches, most_rows)
    apply_settings(chosen)
    if isinstance(shares, _Parked):
        shares = shares.taken()[0]
    cut = KeyCut(sum(len(share) for share in shares), Path(folder), load_config())
    for path, share in zip(paths, shares):
        share = np.arange(share.start, share.stop) if isinstance(share, range) else share
        frames = _read_frames(path)
        os.unlink(path)
        cut.deal(frames[0], share, frames[1].to_numpy(dtype=np.int64) if len(frames) > 1 else None)
        del frames
    del shares
    of_row = cut.cut(n_batches, most_rows)
    out = _parked(Path(folder) / "cut.pickle", of_row)
    del of_row
    release_memory()
    return out


def _key_parts_task(source: pd.DataFrame | str | SpillPart, chosen: dict[str, str], out: str | None = None
                    ) -> pd.DataFrame | str:
    """The key parts of a share of whole articles' figures (given, or the file of them, or their rows
    of the spill file); with ``out``, written in that file (its name given back) with the share's
    part-of links (:func:`_part_links`, positions in the share) after them."""
    from ._parallel import apply_settings, in_pool_worker, run_apart

    if out is not None and in_pool_worker():
        # In a child of the worker (a spilled corpus's share, its parts written in a file): what preparing
        # them leaves in the heap ends with it. Left in the worker, it was under the claims tasks it forks
        # next (~40 MB at 1 GB: workers at 115 MB through extraction, 150-160 after these tasks)
        return run_apart(_key_parts_task, source, chosen, out)
    apply_settings(chosen)
    figures = _loaded(source)
    links = None if out is None else _part_links(figures)
    parts = _key_parts_of(figures)
    del figures
    release_memory()  # the prepared share's working tables: freed, not kept for the next task
    if out is None:
        return parts
    _write_frames(Path(out), parts, pd.DataFrame(links, columns=["part", "total"]))
    del parts
    return out


def _loaded(source: pd.DataFrame | str | SpillPart) -> pd.DataFrame:
    """The figures a task was sent: as given, the first frame of a file, or rows of the spill file."""
    if isinstance(source, pd.DataFrame):
        return source
    return source.load() if isinstance(source, SpillPart) else _read_frames(source)[0]


def _claims_task(
    source: pd.DataFrame | str | SpillPart | _Parked, articles: pd.DataFrame | str | _TaskArticles | None,
    chosen: dict[str, str], run_folders: tuple[Path, Path, Path] | None = None,
    store: tuple[str, np.ndarray, dict[int, str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | str | tuple[str, str, str] | tuple[tuple[str, str, str], int]:
    """Claims of one batch (the figures given with their ``articles``; the file of the batch's
    figures and articles in the shared folder; or its rows of the spill file and the file of its
    articles, or their rows of it; or these and ``store`` parked in a file, :func:`_parked`): the
    columns build_claims fills (in the batch's row order), groups, conflicts; from a file, the name of
    the file they are written in; with ``run_folders``, each of the three written as an Arrow run
    (:func:`~auditor._spill.write_run`) in its folder, and their paths.

    With ``store`` (a claims cache's folder, the bucket of each of the batch's rows, the digest of each
    bucket) and ``run_folders``, the batch's claims are also stored by bucket (:class:`ClaimBatchCache`)
    in the cache, here (the main process never holds them): the paths and how many buckets were stored."""
    from ._parallel import apply_settings, in_pool_worker, run_apart

    if run_folders is not None and in_pool_worker():
        # In a child of the worker, for the task: what it leaves in the heap ends with it (a big key's task
        # left ~200 MB under the worker's next tasks at 1 GB); its result is a few paths
        return run_apart(_claims_task, source, articles, chosen, run_folders, store)
    if isinstance(source, _Parked):  # (taken in the child: the worker never holds them)
        source, articles, store = source.taken()
    apply_settings(chosen)  # a remote worker does not inherit this process's profile and convention
    # Only the columns the stages read (not the paths, offsets, evidence...; of the articles, what
    # fills a figure's outlet and date, and the headline): the rest is never held.
    keep = (_CLAIM_COLUMNS, _ARTICLE_CLAIM_COLUMNS)
    figures: pd.DataFrame | SpillPart | None = source if isinstance(source, pd.DataFrame) else None
    if isinstance(source, SpillPart):
        wanted = tuple(c for c in (source.columns or SCHEMA.names) if c in _CLAIM_COLUMNS)
        figures = dataclasses.replace(source, columns=wanted)
        # (articles sent as their rows of the articles' file are read by the stages: a streamed task, a part
        # at a time)
        articles, source = (articles if isinstance(articles, _TaskArticles) else
                            _read_frames(articles, keep[1:])[0]), articles
    elif figures is None:
        figures, articles = _read_frames(source, keep)
    else:
        figures, articles = _narrowed(figures, _CLAIM_COLUMNS), _narrowed(articles, _ARTICLE_CLAIM_COLUMNS)
    if run_folders is not None:
        # Each chunk's groups and conflicts written as a sorted part as it is built, the parts merged
        # into the task's runs: the task never holds its groups and conflicts (nor a sorted copy).
        import tempfile

        with tempfile.TemporaryDirectory(prefix="claims-parts-", dir=run_folders[1]) as parts:
            stages = _task_stages(figures, articles, Path(parts), Path(parts))
            del figures, articles  # the stages hold them, and let go of each column once read
            found, groups, conflicts = _last_stage(stages)
            filled = [found[list(_FILLED)]]
            del found  # (each figure's filled columns, not held through the merges)
            filled_path = _run_file(filled, 0, None, run_folders[0])
            release_memory()
            paths = (filled_path, groups.merged(run_folders[1]), conflicts.merged(run_folders[2]))
            del groups, conflicts
        release_memory()
        if store is None:
            return paths
        folder, buckets, digests = store
        kept = ArticleCache(folder, tidy=False)
        try:
            if len(digests) == 1:
                # The task's runs are its one bucket's claims (a big key's, mostly): kept as those files, copied
                # (its tables read whole to be pickled were the worker's peak of a default run, and its entry
                # would grow with the key)
                kept.put_claim_runs(next(iter(digests.values())), paths)
                return paths, 1
            # The claims stored by bucket read back from the runs (the tables as the run's end reads them),
            # not sorted here in memory: a sorted copy of a big key's conflicts was the task's peak.
            split = _each_bucket(tuple(read_run(path) for path in paths), buckets)
            if split is None:  # (never seen) used as built, not stored
                return paths, 0
            # a bucket's copy made as the store takes it: one bucket's copy held at a time
            kept.put_claim_batches((digests[bucket], frames) for bucket, frames in split)
            del split
            return paths, len(digests)
        finally:
            kept.close()
            release_memory()
    stages = _task_stages(figures, articles, None, Path(source).parent if isinstance(source, str) else None)
    del figures, articles  # the stages hold them, and let go of each column once read
    found, groups, conflicts = _last_stage(stages)
    groups, conflicts = finish_claims(found, groups, conflicts)
    built = (found[list(_FILLED)], groups, conflicts)
    del found, groups, conflicts
    if isinstance(source, pd.DataFrame):
        release_memory()
        return built
    import pickle
    import tempfile

    with tempfile.NamedTemporaryFile("wb", dir=Path(source).parent, suffix=".pickle", delete=False) as handle:
        for frame in built:
            pickle.dump(frame, handle, protocol=pickle.HIGHEST_PROTOCOL)
    del built
    release_memory()  # the batch's working tables: freed, not kept for the worker's next task
    return handle.name


# A claims task of more figures than this is streamed (auditor._claims_stream): only a blocking key too big
# for a task's share (_CLAIM_ROWS_PER_TASK), the one task whose memory grew with the corpus. Streaming costs
# ~30 % more CPU (every figure read and prepared twice): a task below the share gains nothing from it
# (jsonl-20, its 21,000-figure keys streamed: largest worker 174 MB against 176, claims ~6 s longer).
_STREAM_ABOVE_ROWS = _CLAIM_ROWS_PER_TASK
# Figures a streamed task reads and prepares at a time.
_STREAM_SEGMENT_ROWS = 8_192


def _task_stages(figures: pd.DataFrame | SpillPart, articles: pd.DataFrame | _TaskArticles, parts: Path | None,
                 scratch: Path | None) -> Iterator[tuple[str, Any]]:
    """The stages of a claims task (``narrow``): :func:`_stages` of its figures loaded at once, or, for
    more than ``_STREAM_ABOVE_ROWS`` figures, streamed ``_STREAM_SEGMENT_ROWS`` at a time (the same
    tables; ``scratch``: a folder of the task's where a streamed task copies its rows of the spill file;
    articles sent as their rows of the articles' file, with how many figures each has, are then read a
    part at a time as the rows are filled)."""
    n = len(figures.rows) if isinstance(figures, SpillPart) else len(figures)
    if n > _STREAM_ABOVE_ROWS:
        from ._claims_stream import streamed_stages

        article_of = None
        if isinstance(articles, _TaskArticles):
            article_of = articles.article_of()
            articles = articles.part if article_of is not None else _loaded_articles(articles.part)
        return streamed_stages(figures, articles, load_config(), _STREAM_SEGMENT_ROWS, parts, scratch, article_of)
    if isinstance(articles, _TaskArticles):
        articles = _loaded_articles(articles.part)
    if isinstance(figures, SpillPart):
        figures = figures.load()
    return _stages(figures, articles, load_config(), narrow=True, parts=parts)


def _last_stage(stages: Iterator[tuple[str, Any]]) -> Any:
    """What the last of :func:`_stages` built (the caller holds no other reference to the generator nor
    to its inputs, so each stage's work is let go as the next runs); the texts interned for it forgotten."""
    built = None
    for _stage, built in stages:
        pass
    _forget_texts()
    return built


def _forget_texts() -> None:
    """Empty the claim stages' memos of sentence texts (their word shingles, whether they name a
    place) and of the explanations' words (amounts, bounds, days): kept from one task to the next they
    would grow with the corpus in every worker (up to 200,000 sentences each), while a task's sentences
    are mostly its own; and their entries, made among the task's working objects, kept the memory
    around them from being given back (a big key's task: 7 MB of Python's arenas)."""
    from . import conflicts, explanations, relations

    for memo in (relations._shingles, relations._sketch, conflicts._named_in, explanations.format_amount,
                 explanations._bounds_words, explanations.iso_day):
        memo.cache_clear()


def _packed(units: np.ndarray, n_batches: int, cost: np.ndarray | None = None, most_rows: int | None = None
            ) -> list[np.ndarray]:
    """Row positions grouped by unit (a key's or a bucket's integer code, one per row), units packed
    into ``n_batches`` of similar size (:func:`~auditor._key_cut.batch_of_block`: largest first, ties
    by code), each batch in row order (int32). With each unit's figure ``cost`` (by code) and
    ``most_rows``: of similar cost (:func:`~auditor._key_cut.batch_of_costed_block`)."""
    codes, blocks = _positions_by(units)
    sizes = [len(rows) for rows in blocks]
    if cost is None or most_rows is None:
        batch = batch_of_block(sizes, n_batches).tolist()
    else:
        costs = (cost[np.asarray(codes, dtype=np.int64)] * np.asarray(sizes)).tolist() if codes else []
        batch = batch_of_costed_block(sizes, costs, n_batches, most_rows).tolist()
    batches: list[list[np.ndarray]] = [[] for _ in range(max(batch, default=0) + 1)]
    for rows, number in zip(blocks, batch):
        batches[number].append(rows)
    # Held through the claims step (a number per figure): 4 bytes each, not 8
    dtype = row_dtype(len(units))
    return [np.sort(np.concatenate(b)).astype(dtype, copy=False) for b in batches if b]


# How much costlier than an even share the costliest batch of whole categories may be: cutting by
# blocking key instead takes two more rounds of tasks (each share's key parts, then the cut: 0.18 s of
# the ~1 s claims step of a 32,318-figure corpus on 2 workers, about 20 % of its tasks' time).
_CATEGORY_SLACK = 0.10


def _category_batches(figures: pd.DataFrame | SpilledFigures, workers: int, most_rows: int
                      ) -> list[np.ndarray] | None:
    """The figures in a batch per worker of whole categories, when they share out evenly enough: a
    blocking key never spans two categories (it starts with its category), so a category holds whole
    keys, and no key parts need preparing nor keys cutting. Categories that a part naming its total
    joins (``part_of``) go together. Packed by cost (:data:`~auditor._key_cut.FIGURE_COST` of each
    figure's kind, by its category and scope, :func:`~auditor._key_cut.batch_of_costed_block`); ``None`` when the
    costliest batch would cost more than ``_CATEGORY_SLACK`` above an even share, or hold more than
    ``most_rows`` figures. Each batch's rows ascending (int32)."""
    n = len(figures)

    def read(name: str) -> pd.DataFrame:  # a column at a time (as for a big table: never a frame of several)
        if name not in figures.columns:
            return pd.DataFrame(index=pd.RangeIndex(n))
        return figures.column(name).to_frame() if isinstance(figures, SpilledFigures) else figures[[name]]

    codes, names = pd.factorize(np.asarray(_text_list(read("category"), "category"), dtype=object))
    scope_codes, scopes = pd.factorize(np.asarray(_text_list(read("scope"), "scope"), dtype=object))
    # (as the stages read a scope: cumulative or not, whatever its spelling)
    cumulative = np.array([str(s).strip().casefold() == "cumulative" for s in scopes], dtype=bool)[scope_codes]
    point_events = load_config().point_events
    cost = np.empty(n)
    for code, name in enumerate(names.tolist()):
        for flag in (False, True):
            cost[(codes == code) & (cumulative == flag)] = FIGURE_COST[figure_kind(name, flag, point_events)]
    part_of = read("part_of")
    links = _part_links(pd.concat([part_of, read("figure_id")], axis=1)) \
        if "part_of" in part_of and part_of["part_of"].fillna("").ne("").any() else _NO_LINKS
    del part_of
    units = _keys_joined(codes.astype(np.int64), links, names)
    sizes = np.bincount(units, minlength=len(names))
    costs = np.bincount(units, weights=cost, minlength=len(names))
    used = np.flatnonzero(sizes)
    batch = batch_of_costed_block(sizes[used].tolist(), costs[used].tolist(), workers, most_rows)
    even = costs.sum() / workers
    if np.bincount(batch, weights=costs[used]).max() > (1 + _CATEGORY_SLACK) * even \
            or np.bincount(batch, weights=sizes[used]).max() > most_rows:
        return None
    batch_of_unit = np.zeros(len(names), dtype=np.int64)
    batch_of_unit[used] = batch
    of_row = batch_of_unit[units]
    return [np.flatnonzero(of_row == number).astype(row_dtype(n)) for number in range(int(batch.max()) + 1)]


def _run_files(built: tuple | StoredRuns, run_folders: tuple[Path, Path, Path]) -> tuple[str, str, str] | None:
    """Claims of a batch or bucket (filled columns, groups, conflicts) written as Arrow runs, one
    in each of ``run_folders`` (a bucket stored as runs: its files copied): their paths (``None``:
    a stored file could not be copied, the bucket is built again)."""
    import tempfile

    paths = []
    for k, where in enumerate(run_folders):
        handle, path = tempfile.mkstemp(suffix=".arrow", dir=where)
        os.close(handle)
        paths.append(path)
        if not isinstance(built, StoredRuns):
            write_run(path, built[k], _run_schema(built[k].columns))
            continue
        try:
            copy_run(built.paths[k], path)  # (stored compressed: written plain for the merge)
        except (OSError, ValueError) as exc:  # (removed by another run's pruning since it was looked up)
            log.warning("a stored claims batch could not be copied (%s); built again", exc)
            for made in paths:
                Path(made).unlink(missing_ok=True)
            return None
    return tuple(paths)  # type: ignore[return-value]


def _stored_frames(stored: tuple | StoredRuns) -> tuple | None:
    """A stored bucket's frames (those of a bucket stored as runs read from its files; ``None``: they
    could not be read, the bucket is built again)."""
    if not isinstance(stored, StoredRuns):
        return stored
    try:
        return tuple(read_run(path) for path in stored.paths)
    except (OSError, ValueError) as exc:  # (pyarrow's errors are ValueErrors or OSErrors)
        log.warning("a stored claims batch could not be read (%s); built again", exc)
        return None


class _SortedParts:
    """A claims task's groups (``kind`` "groups") or conflicts ("conflicts") as its chunks of incidents
    give them (:func:`_stages` with ``parts``): each chunk's typed as :func:`finish_claims` types
    them (no review store: empty review columns) and written sorted as a part in ``folder``;
    :meth:`merged` merges the parts into the task's run (as the table sorted whole), a record batch at
    a time, their order found on their sort keys read back a few batches at a time (:func:`_merged_runs`:
    a big key's conflicts' keys, kept and then sorted together, were the peak of its task)."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder = kind, folder
        self.paths: list[str] = []

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """As :func:`finish_claims` without a review store (:func:`_with_review`: empty review columns)."""
        groups = self.kind == "groups"
        frame = frame.drop(columns=[c for c in (_GROUP_REVIEW if groups else _REVIEW) if c in frame])
        for column in _GROUP_REVIEW if groups else _REVIEW:
            frame[column] = ""
        return _typed_groups(frame) if groups else _typed_conflicts(frame)

    def _keys(self, frame: pd.DataFrame) -> list[pd.Series]:
        return _group_keys(frame) if self.kind == "groups" else _conflict_keys(frame)

    def add(self, frame: pd.DataFrame) -> None:
        """One chunk's rows (a part without rows is left out, as :func:`_concatenated` leaves it)."""
        if not len(frame):
            return
        frame = self._typed(frame)
        order = _sort_positions(self._keys(frame))
        self.paths.append(_run_file([frame], 0, order, self.folder))

    def merged(self, where: Path) -> str:
        """The parts merged into one run in a new file in ``where`` (each part's rows in order, as the
        sorted keys of all interleave them): its path. More than ``_MERGE_FAN_IN`` parts are merged
        ``_MERGE_FAN_IN`` consecutive ones at a time into bigger parts first (ties stay in part order):
        a merge holds a record batch and a few batches of sort keys of each part it reads, so a big
        key's parts (one per chunk of incidents) would otherwise be held all at once."""
        if len(self.paths) < 2:  # one part is its run; none: the empty table's
            if not self.paths:
                names = GROUP_COLUMNS + GROUP_EXTRA_COLUMNS if self.kind == "groups" else \
                    CONFLICT_COLUMNS + CONFLICT_EXTRA_COLUMNS
                built = [c for c in names if c not in (_GROUP_REVIEW if self.kind == "groups" else _REVIEW)]
                return _run_file([self._typed(_frame([], built))], 0, None, where)
            return shutil.move(self.paths.pop(), where)
        while len(self.paths) > _MERGE_FAN_IN:
            self.paths = [self._merge(self.paths[start:start + _MERGE_FAN_IN], self.folder)
                          for start in range(0, len(self.paths), _MERGE_FAN_IN)]
        path = self._merge(self.paths, where)
        self.paths.clear()
        return path

    def _merge(self, paths: list[str], where: Path) -> str:
        """The parts ``paths`` merged into a run in a new file in ``where`` (the parts removed): its path; a
        single part is its own run, left where it is (the last of a round's groups)."""
        import tempfile

        import pyarrow as pa
        import pyarrow.ipc as ipc

        from ._spill import _Cursor, _merged

        if len(paths) == 1:
            return paths[0]
        runs = _merged_runs(paths, _GROUP_KEYS if self.kind == "groups" else _CONFLICT_SORT_KEYS, self._keys)
        handle, path = tempfile.mkstemp(suffix=".arrow", dir=where)
        os.close(handle)
        with contextlib.ExitStack() as files:
            cursors = [_Cursor(ipc.open_file(files.enter_context(pa.OSFile(part, "rb"))), ()) for part in paths]
            schema = cursors[0].reader.schema
            with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, schema) as writer:
                for start in range(0, len(runs), _RUN_BATCH_ROWS):
                    table = _merged(cursors, runs[start:start + _RUN_BATCH_ROWS], schema)
                    writer.write_table(table.combine_chunks(), max_chunksize=_RUN_BATCH_ROWS)
                    del table
        for part in paths:
            os.unlink(part)
        return path


# Parts of a claims task's groups or conflicts merged at once (_SortedParts.merged)
_MERGE_FAN_IN = 16
# Rows of a claims run's record batches (write_run's: merging holds one batch of each run)
_RUN_BATCH_ROWS = 1024
# Rows of a frame made Arrow at a time when it is written as a run in its own order (_run_file)
_CONVERTED_ROWS = 16 * _RUN_BATCH_ROWS


def _run_file(frames: list[pd.DataFrame | None], k: int, order: np.ndarray | None, where: Path) -> str:
    """``frames[k]`` (let go here) written as a run in a new file in ``where``, as
    :func:`~auditor._spill.write_run` writes it, its rows in ``order`` when given (Arrow's view of
    its columns sorted one column at a time): its path."""
    import tempfile

    import pyarrow as pa
    import pyarrow.ipc as ipc

    handle, path = tempfile.mkstemp(suffix=".arrow", dir=where)
    os.close(handle)
    frame = frames[k]
    frames[k] = None
    schema = _run_schema(frame.columns)
    if order is None:
        # A slice at a time: a column of Python strings (a task's group and incident ids, one string per
        # group) made Arrow whole was a big key's peak (~50 bytes a figure)
        with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, schema) as writer:
            for start in range(0, len(frame), _CONVERTED_ROWS):
                writer.write_table(pa.Table.from_pandas(frame.iloc[start:start + _CONVERTED_ROWS], schema=schema,
                                                        preserve_index=False), max_chunksize=_RUN_BATCH_ROWS)
        return path
    # The text columns are Arrow's already: not copied
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    del frame
    if order is not None and not np.array_equal(order, np.arange(len(order))):
        taken = pa.array(order)
        for i in range(table.num_columns):  # each column's unsorted chunks let go as its sorted copy is made
            table = table.set_column(i, schema.field(i), table.column(i).take(taken))
    with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, schema) as writer:
        writer.write_table(table, max_chunksize=_RUN_BATCH_ROWS)
    return path


def _counted_as_stored(completed: Iterable[tuple[int, tuple]], cache: ClaimBatchCache
                       ) -> Iterator[tuple[int, tuple[str, str, str]]]:
    """``(number, run files)`` of each batch whose task stored its buckets (:func:`_claims_task` with a
    ``store``), the buckets counted as built in ``cache``."""
    for number, (paths, n_stored) in completed:
        cache.built += n_stored
        yield number, paths


def _in_window(numbers: list[int], submitted: Callable[[int], Future], window: int) -> Iterator[tuple[int, Any]]:
    """``(number, result)`` of the task of each of ``numbers`` (sent in that order by ``submitted(number)``,
    local futures), as they complete, at most ``window`` sent and not yet taken: what this process
    holds for the tasks sent (their rows, their articles' files) does not grow with the number of batches."""
    from concurrent.futures import FIRST_COMPLETED, wait

    waiting = iter(numbers)
    flying = {submitted(number): number for number in itertools.islice(waiting, window)}
    while flying:
        done, _ = wait(flying, return_when=FIRST_COMPLETED)
        for future in done:
            number = flying.pop(future)
            release_memory()  # what reading and sending the last batches' articles took: given back first
            for following in itertools.islice(waiting, 1):
                flying[submitted(following)] = following
            yield number, future.result()


def _largest_first(sizes: Sequence[int]) -> list[int]:
    """The batches' numbers (``sizes``: each one's figures), the most figures first (ties by number): the
    longest tasks start first and the short ones fill in at the end, so that no worker idles while one
    finishes a big key."""
    return sorted(range(len(sizes)), key=lambda number: (-sizes[number], number))


# Columns of the claims tables that are numbers (the rest is text): how their runs are typed.
_FLOATS = frozenset({"low", "high", "consensus_low", "consensus_high", "relative_difference"})
_INTEGERS = frozenset({"n_figures", "n_articles", "n_sources"})


def _run_schema(columns: list[str] | pd.Index) -> Any:
    """The Arrow schema of a claims task's run of ``columns`` (as finish_claims types them)."""
    import pyarrow as pa

    return pa.schema([(c, pa.float64() if c in _FLOATS else pa.int64() if c in _INTEGERS else pa.large_string())
                      for c in columns])


# What the parent reads of the runs: the sort keys, and what the review store matches decisions on.
_GROUP_KEYS = ("status", "n_sources", "n_figures", "label", "group_id")
_CONFLICT_KEYS = ("severity", "relative_difference", "conflict_id", "group_id", "figure_a", "figure_b")
_CONFLICT_SORT_KEYS = _CONFLICT_KEYS[:3]


def _has_decisions(store_dir: Path) -> bool:
    """Whether the review store in ``store_dir`` holds any decision (on a conflict or a claim group)."""
    from .review import ReviewStore

    store = ReviewStore(store_dir)
    return not store.decisions().empty or not store.group_decisions().empty


def _from_runs(
    figures: SpilledFigures, completed: Iterable[tuple[int, tuple[str, str, str]]], batch_of_row: np.ndarray,
    folders: tuple[Path, Path, Path], store_dir: Path | None,
) -> tuple[SpilledFigures, pd.DataFrame | SpilledRuns, pd.DataFrame | SpilledRuns]:
    """The end of :func:`build_claims_by_blocks` on a spilled table, from the tasks' runs (per batch:
    filled columns in its rows' order, sorted groups, sorted conflicts; each a file, in ``folders``),
    ``completed`` giving each batch's as its task ends (``batch_of_row``: each figure's batch,
    :func:`_batch_of_row`). The filled columns stay in their runs, the figures' ``filled`` (a
    :class:`~auditor._spill.SpilledRuns` merged by each figure's batch: a batch's rows are ascending);
    the groups and conflicts left in their files as ``SpilledRuns`` whose order (a merge of the runs,
    :func:`_merged_runs`) is found on their sort keys read a few record batches of each run at a time;
    review decisions merged on the key columns (read whole only when there are decisions) and kept
    (when there are any) as the tables' ``filled`` columns. The same tables as the in-memory ending; an
    empty one is a frame."""
    # Without any decision stored the review columns are empty (the runs'): only the sort keys are read.
    reviewed = store_dir is not None and _has_decisions(store_dir)
    by_batch = dict(completed)
    runs = [by_batch[number] for number in range(len(by_batch))]
    del by_batch
    figures.filled = SpilledRuns(tuple(run[0] for run in runs), folders[0], batch_of_row, _FILLED)
    tables = []
    for k, sort_columns, key_columns, keys_of in ((1, _GROUP_KEYS, _GROUP_KEYS, _group_keys),
                                                  (2, _CONFLICT_SORT_KEYS, _CONFLICT_KEYS, _conflict_keys)):
        paths = [run[k] for run in runs]
        of_run = _merged_runs(paths, sort_columns, keys_of)
        keys = None
        if reviewed:  # the key columns in merged order, to merge decisions on
            pieces = [read_run(path, key_columns) for path in paths]
            keys = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=list(key_columns))
            del pieces
            if len(paths) > 1:
                keys = keys.take(_merge_positions(of_run)).reset_index(drop=True)
        tables.append((keys, of_run))
        del keys, of_run
    (group_keys, group_runs), (conflict_keys, conflict_runs) = tables
    del tables
    groups = conflicts = None  # no decision: the runs' review columns ("") are the tables'
    if reviewed:
        groups, conflicts = _with_review(lambda: _members(figures), group_keys, conflict_keys, store_dir)
    del group_keys, conflict_keys
    made = []
    for frame, of_run, k, review in ((groups, group_runs, 1, _GROUP_REVIEW), (conflicts, conflict_runs, 2, _REVIEW)):
        decided = None if frame is None else frame[list(review)]
        kept = decided.reset_index(drop=True) if decided is not None and decided.ne("").to_numpy().any() else None
        names = tuple(GROUP_COLUMNS + GROUP_EXTRA_COLUMNS if k == 1 else CONFLICT_COLUMNS + CONFLICT_EXTRA_COLUMNS)
        made.append(SpilledRuns(tuple(run[k] for run in runs), folders[k], of_run, names, kept))
    if not len(made[0]) or not len(made[1]):  # as the in-memory ending types an empty table
        empty = finish_claims(pd.DataFrame(), _frame([], [c for c in made[0].columns if c not in _GROUP_REVIEW]),
                              _frame([], [c for c in made[1].columns if c not in _REVIEW]))
        for k in (0, 1):
            if not len(made[k]):
                made[k].remove()
                made[k] = empty[k]
    return figures, made[0], made[1]


def _batches_of_buckets(bucket_of_row: np.ndarray, stored: list[int], workers: int) -> tuple[np.ndarray, int]:
    """Each figure's batch (the smallest integer type): the buckets not ``stored`` packed as
    :func:`_packed` packs them (numbered first), then one batch per bucket stored (in ``stored``'s
    order); and how many batches are built. A number per bucket is worked on, none per figure."""
    sizes = counts_of(bucket_of_row)
    to_build = sizes > 0
    to_build[stored] = False
    built = np.flatnonzero(to_build)
    batch_of_bucket = np.zeros(len(sizes), dtype=np.int64)
    if len(built):
        batch_of_bucket[built] = batch_of_block(sizes[built].tolist(), _n_batches(int(sizes[built].sum()), workers))
    n_built = int(batch_of_bucket[built].max()) + 1 if len(built) else 0
    batch_of_bucket[stored] = n_built + np.arange(len(stored))
    return batch_of_bucket.astype(number_dtype(n_built + len(stored)))[bucket_of_row], n_built


def _batch_of_row(batches: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Each of ``n_rows`` figures' batch (the batches' rows cover them all), in the smallest integer type."""
    batch_of_row = np.empty(n_rows, dtype=number_dtype(len(batches)))
    for number, rows in enumerate(batches):
        batch_of_row[rows] = number
    return batch_of_row


def _rows_of_batch(batch_of_row: np.ndarray, number: int) -> np.ndarray:
    """The rows of batch ``number`` (ascending), from each figure's batch (int32 when they fit), found a
    slice of rows at a time: not the whole table's flags and a big key's batch's 64-bit positions (15 MB
    at once for a batch of 1.1 million of 6.5 million figures)."""
    dtype = row_dtype(len(batch_of_row))
    pieces = [(np.flatnonzero(batch_of_row[start:start + SLICE_ROWS] == number) + start).astype(dtype)
              for start in range(0, len(batch_of_row), SLICE_ROWS)]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=dtype)


class _ArticleOfRow:
    """Each figure's row in the articles (``[rows]`` as an array's), found from how many figures each
    article has when the figures follow their articles (a local run's spilled tables): a number per
    article held, not per figure."""

    def __init__(self, counts: np.ndarray) -> None:
        self._ends = np.cumsum(counts, dtype=np.int64)
        self._dtype = row_dtype(len(counts))  # as _article_rows gives them, in the smallest type

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        found = np.empty(len(rows), dtype=self._dtype)  # (a slice at a time: no 64-bit copy of a big batch's)
        for start in range(0, len(rows), SLICE_ROWS):
            found[start:start + SLICE_ROWS] = np.searchsorted(self._ends, rows[start:start + SLICE_ROWS],
                                                              side="right")
        return found

    def shares(self, size: int) -> list[range]:
        """The figures in ranges of whole articles of about ``size`` figures, cut as
        :func:`_article_chunks` cuts them (:func:`_share_bounds`): shares for tasks, no array of rows made."""
        ends = self._ends
        # (an article's first row is the end of the one before)
        bounds = _share_bounds(ends[:-1], int(ends[-1]) if len(ends) else 0, size)
        return [range(start, stop) for start, stop in zip(bounds, bounds[1:])]


class _RunKeys:
    """The sort keys of a run (a claims task's sorted groups or conflicts, an Arrow IPC file), read a
    record batch at a time in order: only the ``columns`` keys are made of are kept (copied: a batch's
    columns share one buffer read from the file, its long texts too), as :func:`_arrow_keys`."""

    def __init__(self, path: str, columns: Sequence[str], keys_of: Callable[[pd.DataFrame], list[pd.Series]]
                 ) -> None:
        import pyarrow as pa
        import pyarrow.ipc as ipc

        self._file = pa.OSFile(str(path), "rb")
        self._reader = ipc.open_file(self._file)
        self._columns, self._keys_of = list(columns), keys_of
        self._next = 0  # the next record batch to read

    @property
    def more(self) -> bool:
        """Whether some record batches are not read yet."""
        return self._next < self._reader.num_record_batches

    def read(self, rows: int) -> list[Any]:
        """The keys of the next record batches, ``rows`` or more (fewer at the run's end)."""
        import pyarrow as pa

        from ._spill import _frame as arrow_frame

        batches, n = [], 0
        while n < rows and self.more:
            batch = self._reader.get_batch(self._next).select(self._columns)
            self._next += 1
            batches.append(batch.take(pa.array(np.arange(batch.num_rows))))  # the key columns copied
            n += batch.num_rows
            del batch
        if not self.more:
            self._file.close()
        schema = pa.schema([self._reader.schema.field(c) for c in self._columns])
        table = pa.Table.from_batches(batches, schema=schema)
        return [_single_chunk(key) for key in _arrow_keys(self._keys_of(arrow_frame(table, frozenset())))]


def _single_chunk(key: Any) -> Any:
    """An Arrow chunked array as one array (a Series left as it is)."""
    import pyarrow as pa

    return key.combine_chunks() if isinstance(key, pa.ChunkedArray) else key


def _sliced(key: Any, start: int) -> Any:
    """Rows ``start:`` of a key (an Arrow array, or a Series :func:`_arrow_keys` could not convert)."""
    return key.iloc[start:].reset_index(drop=True) if isinstance(key, pd.Series) else key.slice(start)


def _appended(key: Any, more: Any) -> Any:
    """A key's rows followed by ``more`` (copied into one: the rows taken before are let go)."""
    import pyarrow as pa

    if isinstance(key, pd.Series) or isinstance(more, pd.Series) or key.type != more.type:
        as_series = [k if isinstance(k, pd.Series) else pd.Series(k.to_pandas()) for k in (key, more)]
        return pd.concat(as_series, ignore_index=True)
    return pa.concat_arrays([key, more])


def _merged_runs(paths: Sequence[str], columns: Sequence[str], keys_of: Callable[[pd.DataFrame], list[pd.Series]]
                 ) -> np.ndarray:
    """The run of each row of the sorted runs in ``paths`` merged: the order :func:`_joined_order` gives
    their sort keys (``keys_of`` a frame of ``columns``) joined in turn (a stable sort: ties by run,
    then by place in the run), found on a few record batches of each run at a time, so this process
    holds about ``_MERGE_ROWS`` rows of keys per run, not every row's (37 bytes a conflict).

    Each step sorts the rows read and not yet placed; those before the last row read of every run
    with more to read are placed (no row read later, each after its run's last, can go before them),
    that run's rows all among them; a run whose rows were all placed reads twice as many next time
    (up to ``_MERGE_MAX_ROWS``): a run whose keys come before the others' is not sorted again and
    again a few rows at a time."""
    readers = [_RunKeys(path, columns, keys_of) for path in paths]
    merged: list[np.ndarray] = []  # the run of each row placed, a step at a time
    wanted = [_MERGE_ROWS] * len(readers)
    held = [reader.read(_MERGE_ROWS) for reader in readers]
    while True:
        live = [k for k in range(len(readers)) if len(held[k][0])]
        if not live:
            break
        sizes = np.array([len(held[k][0]) for k in live], dtype=np.int64)
        order = _joined_order([held[k] for k in live])
        run_of = np.repeat(np.arange(len(live)), sizes)[order]  # of each row sorted: its run among the live
        place = np.empty(len(order), dtype=np.int64)
        place[order] = np.arange(len(order))
        lasts = place[np.cumsum(sizes) - 1]  # where each run's last row read is
        open_runs = [i for i, k in enumerate(live) if readers[k].more]
        cut = int(lasts[open_runs].min()) + 1 if open_runs else len(order)
        taken = np.bincount(run_of[:cut], minlength=len(live))
        merged.append(np.asarray(live, dtype=number_dtype(len(paths)))[run_of[:cut]])
        del order, run_of, place
        for i, k in enumerate(live):
            rest = [_sliced(key, int(taken[i])) for key in held[k]]
            if readers[k].more and len(rest[0]) < _MERGE_ROWS:
                if not len(rest[0]):  # every row read was placed: read more at once
                    wanted[k] = min(2 * wanted[k], _MERGE_MAX_ROWS)
                more = readers[k].read(wanted[k])
                rest = [_appended(key, extra) for key, extra in zip(rest, more)]
            held[k] = rest
    return np.concatenate(merged) if merged else np.zeros(0, dtype=number_dtype(len(paths)))


# Rows of sort keys _merged_runs reads of each run at a time (more for a run whose keys come first)
_MERGE_ROWS = 4_096
_MERGE_MAX_ROWS = 65_536


def _arrow_keys(keys: list[pd.Series]) -> list[Any]:
    """Sort keys (:func:`_group_keys`, :func:`_conflict_keys` of one run) as :func:`_order` converts
    them: Arrow arrays (missing values null); the Series as given where one does not convert."""
    import pyarrow as pa

    try:
        return [pa.array(key, from_pandas=True) for key in keys]
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return keys


def _joined_order(pieces: list[list[Any]]) -> np.ndarray:
    """:func:`_sort_positions` of the runs' sort keys joined in turn (each as :func:`_arrow_keys` gives
    them): sorted by Arrow over the runs' arrays chunked together (not copied into one); by pandas
    when a run's did not convert or their types differ."""
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = [keys for keys in pieces if len(keys[0])]
    if not filled:
        return np.zeros(0, dtype=np.int64)
    try:
        if all(isinstance(key, (pa.Array, pa.ChunkedArray)) for keys in filled for key in keys):
            table = pa.table({str(i): pa.chunked_array([keys[i] for keys in filled]) for i in range(len(filled[0]))})
            return pc.sort_indices(table, sort_keys=[(name, "ascending", "at_end") for name in table.column_names]
                                   ).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    as_series = [[key if isinstance(key, pd.Series) else pd.Series(key.to_pandas()) for key in keys] for keys in filled]
    return _sort_positions([pd.concat([keys[i] for keys in as_series], ignore_index=True)
                            for i in range(len(filled[0]))])


def build_claims(
    figures: pd.DataFrame, articles: pd.DataFrame, store_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Group figures into incidents and claims and find the relations that do not hold.

    Parameters
    ----------
    figures
        One row per figure with the contract's ``FIGURE_COLUMNS``.
    articles
        The articles read (fills a figure's missing outlet or date; headlines help tell incidents apart).
    store_dir
        Folder of ``review.sqlite``; its decisions are merged into the conflicts and groups.

    Returns
    -------
    tuple
        ``(figures with group_id and incident_id, groups, conflicts)``.
    """
    for _stage, built in _stages(figures, articles, load_config()):
        pass
    figures, groups, conflicts = built
    groups, conflicts = finish_claims(figures, groups, conflicts, store_dir)
    return figures, groups, conflicts


def _stages(figures: pd.DataFrame, articles: pd.DataFrame, config: Any, narrow: bool = False,
            parts: Path | None = None) -> Iterator[tuple[str, Any]]:
    """The stages of :func:`build_claims` one at a time: ``(name, what it built)`` after each (the
    last: the figures with their ids, groups and conflicts before :func:`finish_claims`), so that
    a benchmark can measure each (``benchmarks/bench_claims.py stages``). ``narrow``: the figures
    come back with the filled columns only (``_FILLED``), the rest let go once prepared. ``parts``: a
    folder where each chunk's groups and conflicts are written (typed, sorted) as they are built, not
    held; the last stage gives them as :class:`_SortedParts` instead of tables.

    Groups, conflicts and summaries are built ``_CHUNK_FIGURES`` figures (whole incidents) at a
    time, each chunk's rows made columns at once: their Python objects (groups, violations, row
    dicts) follow the chunk, not the blocking key. Every stage after the incidents reads one
    incident's reports only (its groups, their relations, their rows; and the total a part names,
    wherever it is, from the whole prepared table), so the tables are those of one pass over all
    incidents."""
    # reset_index gives a frame of its own (copy-on-write, or a copy on older pandas): the columns set
    # below never reach the caller's, so no deep copy of every column (the long texts) is made.
    figures = _fill_from_articles(figures.reset_index(drop=True), articles)
    del articles
    # The stages build millions of small containers and free none in cycles: the cyclic collector
    # would re-scan the growing heap again and again (14 % of the CPU at 200,000 figures, more above).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if narrow:  # each column let go once read: the table and its lists are not held whole at once
            filled = figures[["outlet", "published"]]
            prep = prepare(figures, config, consume=True)
            figures = filled
            del filled
            release_memory()  # the other columns' buffers: room for the stages' objects
        else:
            prep = prepare(figures, config)
        yield "prepared", prep
        incidents = link_incidents(prep, block_keys(prep, config), config)
        prep.forget_linking()
        if narrow:
            release_memory()  # the linking's working tables (a key's dates, words, pools): freed, given back
        yield "incidents", incidents
        tables = _ChunkTables(prep.n, parts)
        for chunk in _incident_chunks(incidents, _CHUNK_FIGURES):
            tables.add(prep, chunk, config)
        # The prepared table and the incidents are not read again: let go before the tables are
        # joined, sorted and written (the task's peak, when they were kept to the end).
        del prep, incidents, chunk
        release_memory()
        yield "groups, conflicts, summaries", tables.parts()
    finally:
        if collecting:
            gc.enable()
    yield "tables", tables.tables(figures)


class _ChunkTables:
    """The groups, conflicts and summaries of a claims task's incidents, built ``_CHUNK_FIGURES`` figures
    (whole incidents) at a time (:meth:`add`), each chunk's rows made columns at once: their Python
    objects (groups, violations, row dicts) follow the chunk, not the blocking key. ``parts``: a folder
    where each chunk's groups and conflicts are written (typed, sorted: :class:`_SortedParts`) as they
    are built, not held. Each figure's group and incident ids are kept (``n`` figures)."""

    def __init__(self, n: int, parts: Path | None) -> None:
        # Each figure's group and incident as a number, their ids Arrow strings (a string per group and a pointer
        # per figure were ~30 bytes a figure of a big key, held to the end)
        self.group_ids, self.incident_ids = _IdsOnRows(n), _IdsOnRows(n)
        self.conflict_columns = [c for c in CONFLICT_COLUMNS + CONFLICT_EXTRA_COLUMNS if c not in _REVIEW]
        self.group_columns = [c for c in GROUP_COLUMNS + GROUP_EXTRA_COLUMNS if c not in _GROUP_REVIEW]
        self.written = parts is not None
        self.conflict_parts: list[pd.DataFrame] | _SortedParts = [] if parts is None else _SortedParts("conflicts", parts)
        self.group_parts: list[pd.DataFrame] | _SortedParts = [] if parts is None else _SortedParts("groups", parts)

    def add(self, prep: PreparedFigures, chunk: list[Incident], config: Any, rows: np.ndarray | None = None) -> None:
        """The tables of the incidents ``chunk`` (their rows are rows of ``prep``; ``rows``: each row's
        figure in the task, when ``prep`` holds only some of them)."""
        groups_built = build_groups(prep, chunk, config)
        conflicts = conflict_rows(prep, groups_built, violations(prep, groups_built, config), config)
        summaries = summarise_groups(prep, groups_built, conflicts, config)
        if groups_built:
            sizes = [len(g.rows) for g in groups_built]
            on = np.fromiter((r for g in groups_built for r in g.rows), dtype=np.int64, count=sum(sizes))
            if rows is not None:
                on = rows[on]
            self.group_ids.put(on, sizes, [g.id for g in groups_built])
            self.incident_ids.put(on, sizes, [g.incident.id for g in groups_built])
        keep = (self.conflict_parts.add, self.group_parts.add) if self.written else \
            (self.conflict_parts.append, self.group_parts.append)
        keep[0](_frame(conflicts, self.conflict_columns))
        keep[1](_frame(summaries, self.group_columns))

    def parts(self) -> tuple[list[pd.DataFrame] | _SortedParts, list[pd.DataFrame] | _SortedParts]:
        return self.group_parts, self.conflict_parts

    def tables(self, figures: pd.DataFrame) -> tuple[pd.DataFrame, Any, Any]:
        """``figures`` (the task's, in its row order) with their group and incident ids, the groups and
        the conflicts (as :class:`_SortedParts` when written)."""
        if self.written:  # written as a run a slice at a time (_run_file): the one string of each group, not copies
            for name, ids in (("group_id", self.group_ids), ("incident_id", self.incident_ids)):
                figures[name] = pd.Series(pd.arrays.ArrowExtensionArray(ids.arrow()), index=figures.index, copy=False)
        else:
            figures["group_id"] = self.group_ids.tolist()
            figures["incident_id"] = self.incident_ids.tolist()
        self.group_ids = self.incident_ids = None
        figures = figures.drop(columns=["title"], errors="ignore")
        if self.written:
            return figures, self.group_parts, self.conflict_parts
        return (figures, _concatenated(self.group_parts, self.group_columns),
                _concatenated(self.conflict_parts, self.conflict_columns))


# Figures (whole incidents) whose groups, conflicts and summaries _stages builds at a time.
_CHUNK_FIGURES = 4_096


def _incident_chunks(incidents: Collection[Incident], size: int) -> Iterator[list[Incident]]:
    """Consecutive incidents (a list, or a streamed task's file of them), about ``size`` reports at a time
    (a bigger incident alone)."""
    chunk: list[Incident] = []
    rows = 0
    for incident in incidents:
        chunk.append(incident)
        rows += len(incident.rows)
        if rows >= size:
            yield chunk
            chunk, rows = [], 0
    if chunk or not incidents:
        yield chunk


class _IdsOnRows:
    """An id on each of ``n`` figures ('' until put): a number per figure and each distinct id once, as
    Arrow strings (equal ids of one put share a number)."""

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.int32 if n < 2**31 else np.int64)
        self._names: list[Any] = []
        self._next = 1  # (0: '')

    def put(self, rows: np.ndarray, sizes: list[int], ids: list[str]) -> None:
        """``ids[k]`` on the next ``sizes[k]`` of ``rows``."""
        import pyarrow as pa

        code_of: dict[str, int] = {}
        codes = [code_of.setdefault(name, self._next + len(code_of)) for name in ids]
        self.codes[rows] = np.repeat(np.array(codes, dtype=self.codes.dtype), sizes)
        self._names.append(pa.array(list(code_of), type=pa.large_string()))
        self._next += len(code_of)

    def _every_id(self) -> Any:
        import pyarrow as pa

        return pa.concat_arrays([pa.array([""], type=pa.large_string()), *self._names])

    def arrow(self) -> Any:
        """The ids as an Arrow dictionary array (its codes and strings, not a string per figure)."""
        import pyarrow as pa

        return pa.DictionaryArray.from_arrays(pa.array(self.codes), self._every_id())

    def tolist(self) -> list[str]:
        return self._every_id().to_numpy(zero_copy_only=False)[self.codes].tolist()


def _concatenated(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The chunks' frames as one, as :func:`_frame` would make it of all their rows (chunks without
    rows left out: their columns are untyped)."""
    full = [part for part in parts if len(part)]
    parts.clear()
    if not full:
        return _frame([], columns)
    return pd.concat(full, ignore_index=True) if len(full) > 1 else full[0]


def finish_claims(
    figures: pd.DataFrame | Callable[[], pd.DataFrame], groups: pd.DataFrame, conflicts: pd.DataFrame,
    store_dir: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Review decisions merged (:func:`_with_review`: ``figures`` may be a function giving them), columns
    typed, rows sorted: the end of :func:`build_claims`.

    Also run once on the groups and conflicts of claims built per blocking key (``auditor/cluster.py``);
    review columns already present are replaced.
    """
    groups, conflicts = _typed(*_with_review(figures, groups, conflicts, store_dir))
    return _sorted_groups(groups), _sorted_conflicts(conflicts)


def _typed(groups: pd.DataFrame, conflicts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The groups' and conflicts' columns in the contract's order, the numbers typed."""
    return _typed_groups(groups), _typed_conflicts(conflicts)


def _typed_groups(groups: pd.DataFrame) -> pd.DataFrame:
    groups = groups[list(GROUP_COLUMNS + GROUP_EXTRA_COLUMNS)]
    for column in ("low", "high", "consensus_low", "consensus_high"):
        groups[column] = pd.to_numeric(groups[column], errors="coerce").astype("float64")
    for column in ("n_figures", "n_articles", "n_sources"):
        groups[column] = groups[column].astype("int64")
    return groups


def _typed_conflicts(conflicts: pd.DataFrame) -> pd.DataFrame:
    conflicts = conflicts[list(CONFLICT_COLUMNS + CONFLICT_EXTRA_COLUMNS)]
    conflicts["relative_difference"] = conflicts["relative_difference"].astype("float64")
    return conflicts


def _with_review(
    figures: pd.DataFrame | Callable[[], pd.DataFrame], groups: pd.DataFrame, conflicts: pd.DataFrame,
    store_dir: Path | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``groups`` and ``conflicts`` with the review columns: merged from ``store_dir``'s store (empty
    without one). Reads only the ids: ``figures``' figure and group ids (or a function giving them: only
    called when the store holds decisions on groups, which may follow their figures), the groups' ids,
    the conflicts' ids, groups and figures (the whole rows or just these, in any order)."""
    conflicts = conflicts.drop(columns=[c for c in _REVIEW if c in conflicts])
    groups = groups.drop(columns=[c for c in _GROUP_REVIEW if c in groups])
    if store_dir is not None:
        from .review import ReviewStore

        store = ReviewStore(store_dir)
        conflicts = store.migrate_pairs(store.merge(conflicts))
        members: dict[str, list[str]] = {}
        if not store.group_decisions().empty:
            figures = figures() if callable(figures) else figures
            grouped = figures[figures["group_id"].ne("")].groupby("group_id", sort=False)["figure_id"]
            members = {group_id: list(ids) for group_id, ids in grouped}
            del figures, grouped
        groups = store.merge_groups(groups, members)
        conflicts = _group_decisions_on_conflicts(conflicts, groups)
    for column in _REVIEW:
        if column not in conflicts:
            conflicts[column] = ""
    for column in _GROUP_REVIEW:
        if column not in groups:
            groups[column] = ""
    return groups, conflicts


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A DataFrame built column by column (much faster than from a list of dicts)."""
    return pd.DataFrame({c: [row[c] for row in rows] for c in columns}, columns=columns)


def _group_decisions_on_conflicts(conflicts: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """A decision on a whole group applies to its conflicts that have none of their own."""
    decided = groups[groups["decision"].fillna("").ne("")].set_index("group_id")
    if decided.empty or conflicts.empty:
        return conflicts
    open_rows = conflicts["decision"].fillna("").eq("") & conflicts["group_id"].isin(decided.index)
    if open_rows.any():
        conflicts = conflicts.copy()
        gids = conflicts.loc[open_rows, "group_id"]
        conflicts.loc[open_rows, "decision"] = gids.map(decided["decision"]).to_numpy()
        conflicts.loc[open_rows, "note"] = ("(group decision) " + gids.map(decided["decision_note"])).to_numpy()
        conflicts.loc[open_rows, "decided_at"] = gids.map(decided["decided_at"]).to_numpy()
    return conflicts


def _sorted_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """Conflicts first, then corroborated, consistent and single claims; most reported first."""
    return _sorted_by(groups, _group_keys(groups))


def _group_keys(groups: pd.DataFrame) -> list[pd.Series]:
    rank = _ranked(groups["status"], {"conflict": 0, "corroborated": 1, "consistent": 2, "single": 3})
    return [rank, -groups["n_sources"], -groups["n_figures"], groups["label"], groups["group_id"]]


def _sorted_conflicts(conflicts: pd.DataFrame) -> pd.DataFrame:
    """Most severe first (then the largest gap), ties by id so the order is the same on every run."""
    return _sorted_by(conflicts, _conflict_keys(conflicts))


def _conflict_keys(conflicts: pd.DataFrame) -> list[pd.Series]:
    rank = _ranked(conflicts["severity"], {"high": 0, "medium": 1, "low": 2})
    return [rank, -conflicts["relative_difference"], conflicts["conflict_id"]]


def _ranked(values: pd.Series, ranks: dict[str, int]) -> pd.Series:
    """``values.map(ranks)`` (NaN where not ranked), found by Arrow on a text column: mapping an
    Arrow-backed column makes a Python string per row (10 MB for 135,000 conflicts' severities)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, from_pandas=True)
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            return values.map(ranks)
        found = pc.index_in(text, value_set=pa.array(list(ranks), type=text.type)).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return values.map(ranks)
    known = ~np.isnan(found)
    rank = np.full(len(found), np.nan)
    rank[known] = np.array(list(ranks.values()), dtype=np.float64)[found[known].astype(np.int64)]
    return pd.Series(rank, index=values.index)


def _sorted_by(frame: pd.DataFrame, keys: list[pd.Series]) -> pd.DataFrame:
    """``frame``'s rows sorted by ``keys`` (ascending, the first first; missing last; ties in row
    order), as ``sort_values(kind="stable")`` sorts them: the order is found on the key columns
    alone (:func:`_order`), then every column taken once (no sorted copy of the whole table with
    its helper columns; none at all when the rows are in order already)."""
    order = _sort_positions(keys)
    if np.array_equal(order, np.arange(len(order))):
        return frame.reset_index(drop=True)
    return frame.take(order).reset_index(drop=True)


def _sort_positions(keys: list[pd.Series]) -> np.ndarray:
    """Positions sorting rows by ``keys`` as ``sort_values(kind="stable")``: :func:`_order`, or pandas
    when a key column mixes types (hand-built frames)."""
    order = _order(keys)
    if order is None:
        names = [f"_key{i}" for i in range(len(keys))]
        frame = pd.DataFrame({name: key.to_numpy() for name, key in zip(names, keys)})
        order = frame.sort_values(names, kind="stable").index.to_numpy()
    return order


def _order(keys: list[pd.Series]) -> np.ndarray | None:
    """Positions sorting rows by ``keys`` as ``sort_values(kind="stable")`` (Arrow's stable sort: text
    by code point, NaN and missing last); ``None`` when a key mixes types Arrow cannot hold."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        table = pa.table({str(i): pa.array(key, from_pandas=True) for i, key in enumerate(keys)})
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return pc.sort_indices(table, sort_keys=[(name, "ascending", "at_end") for name in table.column_names]).to_numpy()


def _fill_from_articles(figures: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Give figures their article's outlet and date when the extractor left them empty, and its headline."""
    if articles is None or articles.empty or figures.empty:
        return figures
    return _filled_at(figures, articles, _article_rows(figures["article_id"], _article_ids(articles)))


def _filled_at(figures: pd.DataFrame, articles: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """:func:`_fill_from_articles`, each figure's article found: ``rows``, its row in ``articles`` (the
    first of its id; -1: none). A streamed claims task finds them once and fills each part it reads."""
    if articles is None or articles.empty or figures.empty:
        return figures
    rows = np.asarray(rows, dtype=np.int64)
    found = pd.Series(rows >= 0)
    taken = np.maximum(rows, 0)

    def of_article(column: str) -> pd.Series:
        return articles[column].iloc[taken].reset_index(drop=True).where(found).fillna("").astype(str)

    for column in ("outlet", "published"):
        if column not in articles or column not in figures:
            continue
        current = figures[column].fillna("").astype(str)
        figures[column] = current.where(current != "", of_article(column).set_axis(figures.index))
    if "title" in articles:
        figures["title"] = of_article("title").set_axis(figures.index)
    return figures


__all__ = ["CONFLICT_COLUMNS", "GROUP_COLUMNS", "blocking_keys", "build_claims", "build_claims_by_blocks"]
