"""The rich display of an audit result: the JSON the JupyterLab extension draws, escaped HTML, text."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from auditor import _mime
from auditor._mime import MIME_TYPE, mimebundle


def test_bundle_offers_extension_json_html_and_text(dashboard_result):
    bundle = dashboard_result._repr_mimebundle_()
    assert set(bundle) == {MIME_TYPE, "text/html", "text/plain"}
    # Strict JSON: NaN or numpy scalars would break a saved notebook.
    json.dumps(bundle[MIME_TYPE], allow_nan=False)
    assert "3 articles" in bundle["text/plain"] and "2 conflicts" in bundle["text/plain"]


def test_conflicts_carry_both_figures_with_sentences_outlets_paths_and_offsets(dashboard_result):
    payload = mimebundle(dashboard_result)[MIME_TYPE]
    assert payload["summary"] == {"articles": 3, "figures": 6, "groups": 2, "conflicts": 2, "errors": 1}
    conflict = next(c for c in payload["conflicts"] if c["conflict_id"] == "c-1")
    for side, article_id in (("figure_a", "wire-a"), ("figure_b", "wire-c")):
        figure = payload["figures"][conflict[side]]
        text = dashboard_result.texts[article_id]
        assert text[figure["start"]:figure["end"]] == figure["surface"]
        assert text[figure["sentence_start"]:].startswith(figure["sentence"])
        article = payload["articles"][figure["article_id"]]
        assert article["path"] == f"/corpus/{article_id}.txt"
        assert os.path.isabs(article["abs_path"])
    assert payload["figures"][conflict["figure_b"]]["outlet"] == "Rudaw"


def test_groups_list_their_reports_and_conflict_groups_come_first(dashboard_result):
    payload = mimebundle(dashboard_result)[MIME_TYPE]
    assert [g["group_id"] for g in payload["groups"]] == ["g-killed", "g-distance"]
    killed = payload["groups"][0]
    assert killed["status"] == "conflict" and killed["high"] is None  # unbounded above: null, not NaN
    assert sorted(killed["figures"]) == ["fig0", "fig1", "fig2"]
    assert all(f in payload["figures"] for g in payload["groups"] for f in g["figures"])


def test_most_severe_conflicts_are_kept_when_capped(dashboard_result, monkeypatch):
    monkeypatch.setattr(_mime, "MAX_CONFLICTS", 1)
    monkeypatch.setattr(_mime, "MAX_GROUPS", 0)
    payload = mimebundle(dashboard_result)[MIME_TYPE]
    assert [c["conflict_id"] for c in payload["conflicts"]] == ["c-2"]  # larger relative difference
    assert payload["omitted"]["conflicts"] == 1
    # The conflict's group is shown even past the group cap.
    assert [g["group_id"] for g in payload["groups"]] == ["g-killed"]


def test_long_sentence_keeps_a_window_around_the_figure(dashboard_result, monkeypatch):
    monkeypatch.setattr(_mime, "MAX_SENTENCE_CHARS", 20)
    long_sentence = "x" * 500 + " said 12 ISIS fighters were killed " + "y" * 500
    figures = dashboard_result.figures.copy()
    row = figures.index[figures["figure_id"] == "fig2"][0]
    start = 1000
    figures.loc[row, ["start", "end", "sentence", "sentence_start"]] = [
        start + 506, start + 508, long_sentence, start]
    dashboard_result.figures = figures
    figure = mimebundle(dashboard_result)[MIME_TYPE]["figures"]["fig2"]
    assert len(figure["sentence"]) == 20
    rel = figure["start"] - figure["sentence_start"]
    assert figure["sentence"][rel:rel + 2] == "12"


def test_html_fallback_escapes_article_text(dashboard_result):
    figures = dashboard_result.figures.copy()
    figures.loc[figures["figure_id"] == "fig2", "sentence"] = 'said <script>alert(1)</script><img src=x onerror=alert(2)>'
    dashboard_result.figures = figures
    dashboard_result.articles.loc[dashboard_result.articles["article_id"] == "wire-c", "outlet"] = "<b>Rudaw</b>"
    html = mimebundle(dashboard_result)["text/html"]
    assert "<script>" not in html and "<img" not in html and "<b>Rudaw" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_an_empty_audit_still_renders():
    from auditor.audit import AuditResult
    from auditor.claims import CONFLICT_COLUMNS, GROUP_COLUMNS
    from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS

    empty = AuditResult(*(pd.DataFrame(columns=list(c)) for c in (
        ARTICLE_COLUMNS, FIGURE_COLUMNS, GROUP_COLUMNS, CONFLICT_COLUMNS, ERROR_COLUMNS)))
    bundle = mimebundle(empty)
    assert bundle[MIME_TYPE]["groups"] == [] and bundle[MIME_TYPE]["summary"]["figures"] == 0
    json.dumps(bundle[MIME_TYPE], allow_nan=False)


@pytest.mark.parametrize("value, expected", [
    (float("nan"), None), (float("inf"), None), (pd.NA, None), (3.0, 3.0), ("x", "x"),
])
def test_json_values_are_strict(value, expected):
    assert _mime._json_value(value) == expected
