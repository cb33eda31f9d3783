"""A claims task on rows of the spill file writes each chunk of incidents' groups and conflicts as a
sorted part as they are built and merges the parts into its runs (``claims._SortedParts``): the runs
hold the rows, order and types of the tables the in-memory ``build_claims`` sorts whole, however many
parts (one, several, none with rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import generated_unclaimed

from auditor import claims
from auditor._parallel import settings
from auditor._spill import SpillWriter, figure_batch, read_run
from auditor.claims import build_claims
from auditor.model import FIGURE_COLUMNS


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return generated_unclaimed(tmp_path_factory, seed=21)


def _task_runs(figures: pd.DataFrame, articles: pd.DataFrame, folder: Path) -> tuple[pd.DataFrame, ...]:
    """One claims task on all the figures spilled to a file, as a --jobs 2 run sends it: its three runs read."""
    writer = SpillWriter(folder)
    writer.CHUNK = 256
    rows = list(figures[list(FIGURE_COLUMNS)].itertuples(index=False, name=None))
    for start in range(0, len(rows), 97):
        writer.extend(figure_batch(rows[start:start + 97]))
    spilled = writer.finish()
    run_folders = tuple(folder / name for name in ("filled", "groups", "conflicts"))
    for made in run_folders:
        made.mkdir()
    articles_file = claims._write_frames(folder / "articles.pickle", articles)
    paths = claims._claims_task(spilled.part(np.arange(len(figures))), articles_file, settings(), run_folders)
    tables = tuple(read_run(path) for path in paths)
    for where in run_folders[1:]:  # the parts' folder removed with the parts: only the run is left
        assert [p.name for p in where.iterdir()] == [Path(paths[1 if where.name == "groups" else 2]).name]
    spilled.remove()
    return tables


@pytest.mark.parametrize("chunk", [10_000_000, 500, 37])
def test_a_tasks_runs_merged_from_sorted_parts_are_the_tables_sorted_whole(audited, tmp_path, monkeypatch, chunk):
    figures, articles = audited
    expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
    made = []
    original = claims._SortedParts.add

    def add(self, frame):
        made.append((self.kind, len(frame)))
        original(self, frame)

    monkeypatch.setattr(claims._SortedParts, "add", add)
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", chunk)
    monkeypatch.setattr(claims, "_RUN_BATCH_ROWS", 64)  # merged a record batch at a time: many of them
    filled, groups, conflicts = _task_runs(figures, articles, tmp_path)
    parts = sum(kind == "conflicts" and n > 0 for kind, n in made)
    assert parts == 1 if chunk > len(figures) else parts > (2 if chunk == 500 else 5), (parts, len(figures))
    assert len(expected_conflicts) > 50 and len(expected_groups) > 50
    pd.testing.assert_frame_equal(groups, expected_groups)  # values, order and dtypes
    pd.testing.assert_frame_equal(conflicts, expected_conflicts)
    for column in claims._FILLED:
        assert filled[column].tolist() == expected_figures[column].tolist()


def test_a_task_without_conflicts_writes_the_empty_table_of_the_in_memory_build(audited, tmp_path):
    figures, articles = audited
    alone = figures[figures["category"] == "displaced"].drop_duplicates("article_id").head(3)
    filled, groups, conflicts = _task_runs(alone, articles, tmp_path)
    expected_figures, expected_groups, expected_conflicts = build_claims(alone, articles)
    assert conflicts.empty and expected_conflicts.empty and len(groups) == len(expected_groups) == 3
    assert list(conflicts.columns) == list(expected_conflicts.columns)
    pd.testing.assert_frame_equal(groups, expected_groups)
