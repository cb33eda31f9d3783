"""The claims step's memory: results joined a column at a time, sorted on their keys only, key shares
capped, workers' memos emptied after each task; every table the same as the in-memory build_claims."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import generated_unclaimed

from auditor import _parallel, _spill, claims, explanations, relations
from auditor._spill import SpillWriter, figure_batch
from auditor.claims import build_claims, build_claims_by_blocks, run_here
from auditor.model import FIGURE_COLUMNS


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return generated_unclaimed(tmp_path_factory, seed=11)


def _spilled(figures: pd.DataFrame, folder: Path, chunk: int) -> _spill.SpilledFigures:
    writer = SpillWriter(folder)
    writer.CHUNK = chunk  # several record batches: parts that skip some
    rows = list(figures[list(FIGURE_COLUMNS)].itertuples(index=False, name=None))
    for start in range(0, len(rows), 97):
        writer.extend(figure_batch(rows[start:start + 97]))
    return writer.finish()


def test_spilled_claims_in_many_batches_equal_the_in_memory_build(audited, tmp_path, monkeypatch):
    figures, articles = audited
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", len(figures) // 12)  # many task results to join
    monkeypatch.setattr(claims, "_KEY_CHUNK_ROWS", len(figures) // 5)  # more key shares than workers
    monkeypatch.setattr(claims, "_GATHER_BYTES", 1)  # every column gathered in blocks ...
    monkeypatch.setattr(claims, "_GATHER_ROWS", 37)  # ... of a few rows, across the parts
    spilled = _spilled(figures, tmp_path, chunk=256)
    try:
        assert len(spilled.batch_rows) > 3 and sum(spilled.batch_rows) == len(figures)
        found, groups, conflicts = build_claims_by_blocks(spilled, articles, run_here, 2)
        expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
        assert len(expected_conflicts) > 20 and len(expected_groups) > 20
        pd.testing.assert_frame_equal(groups.frame(), expected_groups)  # left in their runs' files
        pd.testing.assert_frame_equal(conflicts.frame(), expected_conflicts)
        for column in ("outlet", "published", "group_id", "incident_id"):
            assert found.filled[column].tolist() == expected_figures[column].tolist(), column
        loaded = found.frame()
        pd.testing.assert_frame_equal(loaded[expected_figures.columns], expected_figures, check_dtype=False)
    finally:
        spilled.remove()
    assert not list(tmp_path.glob(f"{claims._SHARED_PREFIX}*"))  # the task results are removed


def test_a_spill_part_reads_its_rows_whether_or_not_batch_sizes_are_known(audited, tmp_path):
    figures, _articles = audited
    spilled = _spilled(figures.iloc[:1000], tmp_path, chunk=128)
    try:
        whole = spilled.frame()
        rows = np.array([3, 130, 131, 700, 999])
        for part in (spilled.part(rows, ["figure_id", "value"]), _spill.SpillPart(
                str(spilled.path), rows, ("figure_id", "value"), spilled.empty)):  # sizes not known
            got = part.load()
            assert got["figure_id"].tolist() == whole["figure_id"].iloc[rows].tolist()
            assert got["value"].tolist() == pytest.approx(whole["value"].iloc[rows].tolist(), nan_ok=True)
    finally:
        spilled.remove()


def test_key_shares_are_capped_and_give_the_blocking_keys(audited, tmp_path, monkeypatch):
    figures, _articles = audited
    monkeypatch.setattr(claims, "_KEY_CHUNK_ROWS", 150)
    sent: list = []

    def submit(function, *args):
        sent.append(claims._read_frames(args[0])[0])
        return run_here(function, *args)

    keys = claims._keys_on_workers(figures, submit, 2, _parallel.settings(), tmp_path)
    assert len(sent) > 2 + len(figures) // 300  # not one share per worker: a share per ~150 figures
    for share in sent[:-1]:
        assert len(share) <= 150 + share.groupby("article_id").size().max()  # whole articles
    owners = pd.concat([s.drop_duplicates("article_id") for s in sent])["article_id"]
    assert owners.is_unique  # an article's figures in one share
    assert keys.tolist() == claims.blocking_keys(figures).tolist()


def test_a_claims_task_empties_the_sentence_and_explanation_memos(audited, tmp_path):
    figures, articles = audited
    part = figures.iloc[:400]
    path = claims._write_frames(tmp_path / "batch.pickle", part, articles)
    relations._shingles("Fighters clashed near the river crossing on Tuesday, residents said.")
    explanations.iso_day(19_900.0)
    memos = (relations._shingles, explanations.iso_day, explanations.format_amount)
    written = claims._claims_task(path, None, _parallel.settings())
    assert [memo.cache_info().currsize for memo in memos] == [0, 0, 0]
    filled, groups, conflicts = claims._result(written)
    _found, _groups, expected_conflicts = build_claims(part, articles)
    assert len(filled) == len(part)
    pd.testing.assert_frame_equal(claims.finish_claims(pd.DataFrame(), groups, conflicts)[1], expected_conflicts)


def test_the_claim_rules_memos_of_names_stay_bounded_across_a_corpus_of_new_names():
    """A worker keeps the memos of place, actor and outlet names (and of pairs of towns) from one claims
    task to the next: a corpus's names never stop coming, so each keeps only the most recently used."""
    from auditor import _claim_rules, conflicts

    memos = [_claim_rules.gazetteer_place, _claim_rules.place_key, _claim_rules.actor_key, _claim_rules.outlet_key,
             _claim_rules.place_hierarchy, conflicts._towns]
    for memo in memos:
        memo.cache_clear()
    try:
        names = [f"Kilo{k} Village" for k in range(_claim_rules.NAME_MEMO + 5_000)]
        for name in names:
            _claim_rules.place_key(name)
            _claim_rules.actor_key(name)
            _claim_rules.outlet_key(name)
            _claim_rules.place_hierarchy(name, "", "", "")
        towns = frozenset({"city"})
        for k in range(conflicts._towns.cache_info().maxsize + 1_000):
            conflicts._towns(towns, names[k % len(names)], f"Lima{k} Village")
        for memo in memos:
            info = memo.cache_info()
            assert info.maxsize is not None and info.currsize <= info.maxsize < info.misses
        # a name asked again gives what it gave (Baiji is the gazetteer's spelling of Beiji)
        assert _claim_rules.place_key("Beiji") == _claim_rules.place_key("beiji ") == "baiji"
    finally:
        for memo in memos:
            memo.cache_clear()


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_gathered_rows_equal_joining_then_taking(monkeypatch, step):
    monkeypatch.setattr(claims, "_GATHER_BYTES", 1)
    monkeypatch.setattr(claims, "_GATHER_ROWS", step)
    rng = np.random.default_rng(4)
    pieces = [pd.Series(["Gao", None, "Goma", "Ḥalab"]), pd.Series(["Kherson"]), pd.Series(["Mogadishu", "Sittwe"])]
    numbers = [pd.Series([1.5, np.nan]), pd.Series([2.0, 3.0, -1.0]), pd.Series([0.0, 7.25])]
    for columns in (pieces, numbers):
        joined = pd.concat(columns, ignore_index=True)
        positions = rng.permutation(len(joined))
        pd.testing.assert_series_equal(claims._gathered(columns, positions),
                                       joined.take(positions).reset_index(drop=True))


def test_sorted_on_key_columns_as_pandas_sorts_the_whole_table():
    conflicts = pd.DataFrame({
        "conflict_id": ["c9", "c1", "ç2", "c3", "c4", "c5", "c0"],
        "severity": ["low", "high", "high", "unrated", "medium", "high", "low"],
        "relative_difference": [0.5, np.nan, 0.9, 0.2, 0.9, 0.9, 0.5],
        "explanation": ["Kano", "Sanaa", "Kharkiv", "Gonaïves", "Juba", "Idlib", "Beni"],
    })
    rank = conflicts["severity"].map({"high": 0, "medium": 1, "low": 2})
    expected = conflicts.loc[conflicts.assign(_r=rank, _g=-conflicts["relative_difference"]).sort_values(
        ["_r", "_g", "conflict_id"], kind="stable").index].reset_index(drop=True)
    pd.testing.assert_frame_equal(claims._sorted_conflicts(conflicts), expected)
    parts = [conflicts.iloc[:3].reset_index(drop=True), conflicts.iloc[3:].reset_index(drop=True)]
    pd.testing.assert_frame_equal(claims._joined(parts, claims._conflict_keys), expected)
    assert all(part.columns.empty for part in parts)  # each column dropped from its part once taken
    mixed = conflicts.assign(conflict_id=pd.Series(["c9", 1, "c2", "c3", "c4", "c5", "c0"], dtype=object))
    assert claims._order(claims._conflict_keys(mixed)) is None  # Arrow cannot hold it: pandas sorts
    assert claims._sorted_conflicts(mixed.iloc[[0, 6]])["conflict_id"].tolist() == ["c0", "c9"]



def test_ranks_found_by_arrow_are_those_of_mapping_the_column():
    ranks = {"high": 4, "medium": 0, "low": 2}  # not the places in the mapping
    for values in (pd.Series(["low", None, "high", "unrated", "medium", "high"], dtype="str"),
                   pd.Series(["medium", "low", "high"], dtype=object),
                   pd.Series(["high", 3, None], dtype=object),
                   pd.Series([], dtype=object)):
        got = claims._ranked(values, ranks)
        expected = values.map(ranks)
        assert np.array_equal(got.to_numpy(dtype=float), expected.to_numpy(dtype=float), equal_nan=True)
        assert got.index.equals(values.index)
