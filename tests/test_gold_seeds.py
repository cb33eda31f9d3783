"""The seeds against their gold annotations, scored by the repo's scorer through the real CLI."""

from pathlib import Path

import pandas as pd
import pytest

from auditor.cli import main
from auditor.scoring import load_gold, score

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seeds_score(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds-audit")
    assert main(["run", str(ROOT / "seeds"), "--out", str(out), "--quiet"]) == 0
    figures = pd.read_csv(out / "figures.csv", keep_default_na=False, dtype={"article_id": str})
    return score(figures, load_gold(ROOT / "tests" / "data" / "seeds.gold.jsonl"))


def test_core_recall(seeds_score):
    assert seeds_score.core_recall >= 0.95, seeds_score.missed_core


def test_precision(seeds_score):
    assert seeds_score.precision >= 0.90, seeds_score.unmatched_predictions


def test_category_accuracy_on_core_figures(seeds_score):
    assert seeds_score.category_accuracy >= 0.90, seeds_score.wrong_category


def test_no_span_marked_not_a_figure_is_reported(seeds_score):
    assert seeds_score.not_a_figure_hits == []


def test_subject_and_source_are_mostly_right(seeds_score):
    assert seeds_score.subject_accuracy >= 0.8
    assert seeds_score.source_accuracy >= 0.8
