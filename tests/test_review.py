"""Review decisions: stored at once in review.sqlite, kept across re-runs, orphans kept and flagged."""

import sqlite3

import pandas as pd
import pytest

from auditor.audit import AuditResult
from auditor.claims import build_claims
from auditor.review import STORE_NAME, ReviewStore
from conftest import make_figure_row as fig
from conftest import make_figures_frame


def corpus(second_value=30):
    return make_figures_frame([
        fig("a", "A", 15, subject="ISIS", location="Baiji", outlet="Rudaw", published="2015-10-18"),
        fig("b", "B", second_value, subject="ISIS", location="Baiji", outlet="Reuters", published="2015-10-18"),
    ])


def run(store_dir, second_value=30):
    return build_claims(corpus(second_value), pd.DataFrame(), store_dir=store_dir)


def test_decision_is_committed_at_once(tmp_path):
    _, _, conflicts = run(tmp_path)
    conflict_id = conflicts.iloc[0]["conflict_id"]
    ReviewStore(tmp_path).record(conflict_id, "confirmed", "checked with the ministry")
    with sqlite3.connect(tmp_path / STORE_NAME) as conn:  # another reader sees it immediately
        rows = conn.execute("SELECT conflict_id, decision, note FROM decisions").fetchall()
    assert rows == [(conflict_id, "confirmed", "checked with the ministry")]


def test_decisions_are_merged_into_conflicts_on_every_run(tmp_path):
    _, _, conflicts = run(tmp_path)
    assert conflicts["decision"].eq("").all()
    conflict_id = conflicts.iloc[0]["conflict_id"]
    ReviewStore(tmp_path).record(conflict_id, "dismissed", "different days in the source")
    _, _, again = run(tmp_path)
    row = again.set_index("conflict_id").loc[conflict_id]
    assert (row["decision"], row["note"]) == ("dismissed", "different days in the source")
    assert row["decided_at"]


def test_changed_decision_replaces_and_history_keeps_both(tmp_path):
    _, _, conflicts = run(tmp_path)
    conflict_id = conflicts.iloc[0]["conflict_id"]
    store = ReviewStore(tmp_path)
    store.record(conflict_id, "confirmed", "first look")
    store.record(conflict_id, "dismissed", "second look")
    assert list(store.decisions()["decision"]) == ["dismissed"]
    assert list(store.history()["note"]) == ["first look", "second look"]


def test_vanished_conflict_keeps_its_decision_as_orphaned(tmp_path):
    _, _, conflicts = run(tmp_path)
    conflict_id = conflicts.iloc[0]["conflict_id"]
    ReviewStore(tmp_path).record(conflict_id, "confirmed", "real", conflicts.iloc[0].to_dict())

    _, _, after_edit = run(tmp_path, second_value=15)  # the article was corrected: no conflict now
    assert after_edit.empty
    stored = ReviewStore(tmp_path).decisions().set_index("conflict_id").loc[conflict_id]
    assert stored["orphaned"] == 1
    assert (stored["decision"], stored["note"], stored["figure_b"]) == ("confirmed", "real", "b")

    _, _, back = run(tmp_path)  # the conflict comes back: decision shown again, flag cleared
    assert back.set_index("conflict_id").at[conflict_id, "decision"] == "confirmed"
    assert ReviewStore(tmp_path).decisions().set_index("conflict_id").at[conflict_id, "orphaned"] == 0


def test_unknown_decision_is_refused(tmp_path):
    with pytest.raises(ValueError, match="confirmed, dismissed"):
        ReviewStore(tmp_path).record("c123", "maybe")
    assert not (tmp_path / STORE_NAME).exists()


def test_reading_a_missing_store_creates_nothing(tmp_path):
    _, _, conflicts = run(tmp_path / "never-written")
    assert conflicts["decision"].eq("").all()
    assert ReviewStore(tmp_path / "never-written").decisions().empty
    assert not (tmp_path / "never-written").exists()


def _result(figures, groups, conflicts, out_dir):
    empty = pd.DataFrame()
    return AuditResult(articles=empty, figures=figures, groups=groups, conflicts=conflicts, errors=empty,
                       out_dir=out_dir)


def test_audit_result_review_updates_table_and_store(tmp_path):
    result = _result(*run(tmp_path), out_dir=tmp_path)
    conflict_id = result.conflicts.iloc[0]["conflict_id"]
    result.review(conflict_id, "confirmed", "two outlets, same day")
    assert result.conflicts.iloc[0]["decision"] == "confirmed"
    assert result.conflicts.iloc[0]["note"] == "two outlets, same day"
    _, _, rerun = run(tmp_path)
    assert rerun.iloc[0]["note"] == "two outlets, same day"


def test_audit_result_review_explains_what_is_wrong(tmp_path):
    result = _result(*run(None), out_dir=None)
    with pytest.raises(ValueError, match="out_dir"):
        result.review(result.conflicts.iloc[0]["conflict_id"], "confirmed")
    result.out_dir = tmp_path
    with pytest.raises(KeyError, match="no conflict"):
        result.review("c-does-not-exist", "confirmed")
