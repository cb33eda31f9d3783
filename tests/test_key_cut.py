"""The keys of a spilled corpus cut a partition at a time (:class:`auditor._key_cut.KeyCut`) give the
batches and buckets of the keys made in one piece (:func:`auditor.incidents.keys_of_parts`), however
the figures are shared out and however many partitions they are dealt to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import generated_unclaimed

from auditor import _key_cut, claims
from auditor._claim_rules import load_config
from auditor.claims import build_claims, build_claims_by_blocks, run_here
from auditor.incidents import keys_of_parts

# Prefixes of many wars (category|scope|country) and the window of each category (NaN: none, one key)
_PREFIXES = {
    "killed|incident|SD": 1.0, "killed|incident|UA": 1.0, "killed|cumulative|UA": 30.0, "wounded|incident|MM": 1.0,
    "displaced|incident|CD": 7.0, "displaced|cumulative|ET": 30.0, "strikes|incident|YE": 1.0,
    "fighters|incident|ML": np.nan, "missing|incident|HT": 3.0, "killed|incident|": 1.0,
}


def _parts(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Key parts of ``n`` made-up figures (articles of three figures each) and their part-of links (a
    figure naming another of its article): runs of dates with gaps, undated figures, distances keyed by
    their places, figures keyed alone, a prefix whose figures disagree on the window (the first in row
    order decides)."""
    chooser = np.random.default_rng(seed)
    names = list(_PREFIXES)
    prefix = chooser.choice(names, n)
    window = np.array([_PREFIXES[p] for p in prefix])
    odd = np.flatnonzero(prefix == "missing|incident|HT")
    window[odd] = chooser.choice([3.0, 10.0], len(odd))
    # days in bursts (a few days apart inside one, months between): a prefix has several runs, and
    # how many depends on its window
    day = (chooser.integers(0, 6, n) * 160 + chooser.integers(0, 100, n)).astype("float64") + 19_000
    day[chooser.random(n) < 0.08] = np.nan
    alone = np.full(n, "", dtype=object)
    kind = chooser.random(n)
    places = ["Adre", "Goma", "Kherson", "Mekelle", "Rafah", "Sittwe"]
    distance = np.flatnonzero(kind < 0.1)
    alone[distance] = [f"distance|{a}|{b}" for a, b in chooser.choice(places, (len(distance), 2)).tolist()]
    single = np.flatnonzero((kind >= 0.1) & (kind < 0.15))
    alone[single] = [f"killed|single|f{k}" for k in single.tolist()]
    keyed = alone != ""
    prefix[keyed] = ""
    parts = chooser.choice(n // 3, max(1, n // 100), replace=False) * 3
    links = np.stack([parts, parts + 1 + chooser.integers(0, 2, len(parts))], axis=1)
    return pd.DataFrame({
        "alone": pd.array(alone, dtype="str"),
        "prefix": pd.Categorical(prefix),
        "day": day,
        "window": window,
    }), links


def _cut(parts: pd.DataFrame, links: np.ndarray, shares: list[np.ndarray], n_batches: int | None, folder,
         most_rows: int | None = None) -> np.ndarray:
    cut = _key_cut.KeyCut(len(parts), folder, load_config())
    for rows in shares:
        inside = links[np.isin(links[:, 0], rows)]
        position = {row: k for k, row in enumerate(rows.tolist())}
        cut.deal(parts.iloc[rows].reset_index(drop=True), rows,
                 np.vectorize(position.__getitem__, otypes=[np.int64])(inside) if len(inside) else None)
    return cut.cut(n_batches, most_rows)


def _shares(n: int, count: int, seed: int) -> list[np.ndarray]:
    """The rows shared out in ``count`` shares of whole articles (three figures each) in no order."""
    articles = np.array_split(np.random.default_rng(seed).permutation(n // 3), count)
    return [(3 * chosen[:, None] + np.arange(3)).reshape(-1) for chosen in articles]


def _in_one_piece(parts: pd.DataFrame, links: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    keys = keys_of_parts(parts, load_config())
    return keys.categories, claims._keys_joined(keys.codes.astype(np.int64), links, keys.categories)


@pytest.mark.parametrize("partition_rows", [37, 400, 10**6])
@pytest.mark.parametrize("seed", [1, 2])
def test_buckets_cut_a_partition_at_a_time_equal_those_of_the_keys_made_in_one_piece(
        tmp_path, monkeypatch, partition_rows, seed):
    monkeypatch.setattr(_key_cut, "PARTITION_ROWS", partition_rows)
    monkeypatch.setattr(_key_cut, "_MERGE_DAYS", partition_rows // 10)  # a prefix's days merged often, or once
    parts, links = _parts(3_000, seed)
    names, codes = _in_one_piece(parts, links)
    assert len(names) > 40 and len(set(codes[links[:, 0]].tolist())) > 1
    got = _cut(parts, links, _shares(len(parts), 7, seed), None, tmp_path)
    assert got.tolist() == claims._buckets(names, codes, len(parts)).tolist()
    assert not list(tmp_path.iterdir())  # the partitions' files are removed


@pytest.mark.parametrize("partition_rows", [37, 400, 10**6])
def test_each_key_is_one_batch_of_its_own_when_there_are_batches_enough(tmp_path, monkeypatch, partition_rows):
    monkeypatch.setattr(_key_cut, "PARTITION_ROWS", partition_rows)
    parts, links = _parts(3_000, 3)
    _, codes = _in_one_piece(parts, links)
    got = _cut(parts, links, _shares(len(parts), 5, 3), 10**4, tmp_path)
    pairs = set(zip(got.tolist(), codes.tolist()))
    assert len(pairs) == len(set(codes.tolist())) == len(set(got.tolist()))
    assert got.dtype == np.int16  # the smallest type for that many batches


def test_few_batches_keep_each_key_whole_and_are_the_same_however_the_figures_are_dealt(tmp_path, monkeypatch):
    parts, links = _parts(3_000, 4)
    _, codes = _in_one_piece(parts, links)
    answers = []
    for partition_rows, n_shares in ((37, 9), (400, 2), (10**6, 1)):
        monkeypatch.setattr(_key_cut, "PARTITION_ROWS", partition_rows)
        got = _cut(parts, links, _shares(len(parts), n_shares, partition_rows), 6, tmp_path)
        assert pd.Series(got).groupby(codes).nunique().max() == 1  # a key (joined ones too) in one batch
        sizes = np.bincount(got)
        biggest_key = np.bincount(codes).max()
        assert len(sizes) == 6 and sizes.max() - sizes.min() <= biggest_key  # packed: none far above another
        answers.append(got.tolist())
    assert answers[0] == answers[1] == answers[2]


def test_a_batch_per_worker_is_packed_by_cost_however_the_figures_are_dealt(tmp_path, monkeypatch):
    # (a batch per worker: the claims step ends with its costliest task, so batches of similar cost)
    parts, links = _parts(3_000, 5)
    _, codes = _in_one_piece(parts, links)
    keys = keys_of_parts(parts, load_config())  # (each figure's own key: joined ones may differ in kind)
    point_events = load_config().point_events
    cost_of_row = _key_cut.key_costs(keys.categories, point_events)[keys.codes]
    answers = []
    for partition_rows, n_shares in ((37, 9), (10**6, 1)):
        monkeypatch.setattr(_key_cut, "PARTITION_ROWS", partition_rows)
        got = _cut(parts, links, _shares(len(parts), n_shares, partition_rows), 2, tmp_path, most_rows=10**6)
        assert pd.Series(got).groupby(codes).nunique().max() == 1  # a key (joined ones too) in one batch
        costs = np.bincount(got, weights=cost_of_row)
        costliest_key = np.bincount(codes, weights=cost_of_row).max()
        assert len(costs) == 2 and costs.max() - costs.min() <= costliest_key
        answers.append(got.tolist())
    assert answers[0] == answers[1]
    # at most so many figures a batch, where the keys allow
    capped = _cut(parts, links, _shares(len(parts), 3, 1), 2, tmp_path, most_rows=len(parts) // 2 + 200)
    assert np.bincount(capped).max() <= len(parts) // 2 + 200


def test_a_spilled_corpus_cut_in_many_partitions_gives_the_tables_of_one_process(tmp_path_factory, tmp_path,
                                                                               monkeypatch):
    from test_claims_spill import _spilled

    figures, articles = generated_unclaimed(tmp_path_factory, seed=17)
    monkeypatch.setattr(_key_cut, "PARTITION_ROWS", 64)
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", len(figures) // 9)
    spilled = _spilled(figures, tmp_path)
    found, groups, conflicts = build_claims_by_blocks(spilled, articles, run_here, 2, shared_folder=tmp_path)
    expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
    try:
        assert len(expected_conflicts) > 20
        pd.testing.assert_frame_equal(groups.frame(), expected_groups)
        pd.testing.assert_frame_equal(conflicts.frame(), expected_conflicts)
        for column in ("group_id", "incident_id"):
            assert found.filled[column].tolist() == expected_figures[column].tolist(), column
    finally:
        for table in (spilled, groups, conflicts):
            table.remove()


def test_batch_of_block_packs_the_biggest_first_into_the_emptiest_batch():
    # sizes in the order ties are taken: 5 and 5 tie, the first given goes first
    assert _key_cut.batch_of_block([2, 5, 9, 5, 1], 2).tolist() == [0, 1, 0, 1, 1]
    assert _key_cut.batch_of_block([3, 3], 5).tolist() == [0, 1]  # no more batches than blocks
    assert _key_cut.batch_of_block([], 3).tolist() == []
