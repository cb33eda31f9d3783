"""The rich display of an audit result: the JSON the JupyterLab extension draws, escaped HTML, text."""

from __future__ import annotations

import json
import os
import re

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


def test_values_read_as_people_write_them_never_nan(dashboard_result):
    """"at least 50" reads "≥ 50", "dozens" its range, a group's spread as the dashboard writes it; no NaN."""
    payload = mimebundle(dashboard_result)[MIME_TYPE]
    by_surface = {f["surface"]: f["value_text"] for f in payload["figures"].values()}
    assert by_surface["at least 50"] == "≥ 50"
    assert by_surface["12"] == "12"
    assert by_surface["dozens"] == "24–99"
    killed, distance = payload["groups"]
    # As the dashboard's "reported" column: 12 to 99; "at least 50" stays inside the stated bounds.
    assert killed["spread_text"] == "12–99" and killed["status_text"] == "conflict"
    assert distance["unit_text"] == "km" and distance["spread_text"] == "238–262 km"  # rounded, not 237.5
    text = json.dumps(payload, allow_nan=False) + mimebundle(dashboard_result)["text/html"]
    assert "NaN" not in text and not re.search(r"\bnan\b", text, re.I)
    # Without "dozens", "at least 50" reaches past every stated bound: the spread is open above.
    dashboard_result.figures = dashboard_result.figures[dashboard_result.figures["surface"] != "dozens"]
    killed = mimebundle(dashboard_result)[MIME_TYPE]["groups"][0]
    assert killed["spread_text"] == "12 to ≥ 50"


def test_extension_columns_json_is_generated_from_the_python_modules():
    """extension/src/columns.json is what `python -m auditor._mime` writes: one source for both sides."""
    from pathlib import Path

    committed = Path(__file__).resolve().parent.parent / "extension" / "src" / "columns.json"
    assert json.loads(committed.read_text(encoding="utf-8")) == _mime.extension_columns(), (
        "stale: run `python -m auditor._mime` and rebuild the extension")


def _interface_fields(source: str, name: str) -> set[str]:
    import re

    body = re.search(r"export interface " + name + r" \{(.*?)\n\}", source, re.S).group(1)
    return set(re.findall(r"^\s+(\w+)\??:", body, re.M))


@pytest.mark.parametrize("interface, kind", [
    ("IFigure", "figure"), ("IGroup", "group"), ("IConflict", "conflict"), ("IArticle", "article"),
])
def test_typescript_payload_types_follow_the_python_field_lists(interface, kind):
    """The extension's types (extension/src/model.ts) name exactly the fields the payload carries."""
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "extension" / "src" / "model.ts").read_text(encoding="utf-8")
    assert _interface_fields(source, interface) == set(_mime.extension_columns()["fields"][kind])


def test_payload_carries_exactly_the_declared_fields(dashboard_result):
    payload = mimebundle(dashboard_result)[MIME_TYPE]
    fields = _mime.extension_columns()["fields"]
    assert all(set(f) <= set(fields["figure"]) for f in payload["figures"].values())
    assert all(set(g) <= set(fields["group"]) for g in payload["groups"])
    assert all(set(c) <= set(fields["conflict"]) for c in payload["conflicts"])
    assert all(set(a) <= set(fields["article"]) for a in payload["articles"].values())
