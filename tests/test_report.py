"""report.html: standalone (no network), charts embedded, conflicts with both sentences, all text escaped."""

import html
import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from auditor import report
from auditor.audit import AuditResult
from auditor.claims import build_claims
from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS
from conftest import make_figure_row as fig
from conftest import make_figures_frame

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
CLOSER = "</script><script>alert(3)</script>"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _hostile_result():
    sentence_a = f"Officials {SCRIPT} said 15 Hashd al-Shaabi fighters were killed near Bashir."
    sentence_b = f"A source {IMG} told us 30 fighters died in Bashir {CLOSER}."
    rows = [
        fig("fa", "art-a", 15, subject=f"Hashd {IMG}", location="Bashir", outlet=f"Rudaw {SCRIPT}",
            published="2015-10-18", sentence=sentence_a, surface="15", start=sentence_a.index("15"),
            source=f"{IMG}"),
        fig("fb", "art-b", 30, subject=f"Hashd {IMG}", location="Bashir", outlet="Reuters",
            published="2015-10-18", sentence=sentence_b, surface="30", start=sentence_b.index("30")),
    ]
    articles = pd.DataFrame([
        {"article_id": a, "path": f"{a}.txt", "title": f"Title {SCRIPT}", "outlet": "", "published": "",
         "url": "", "chars": 0, "sha256": ""} for a in ("art-a", "art-b")
    ], columns=list(ARTICLE_COLUMNS))
    figures, groups, conflicts = build_claims(make_figures_frame(rows), articles)
    errors = pd.DataFrame([{"path": f"{IMG}.txt", "error": f"cannot decode {SCRIPT}"}], columns=list(ERROR_COLUMNS))
    result = AuditResult(articles=articles, figures=figures, groups=groups, conflicts=conflicts, errors=errors)
    return result, sentence_a, sentence_b


@pytest.fixture(scope="module")
def hostile():
    result, sentence_a, sentence_b = _hostile_result()
    return result, report.render_report(result), sentence_a, sentence_b


def test_report_needs_no_network(hostile):
    _, page, _, _ = hostile
    assert "https://cdn" not in page
    tags = _Tags()
    tags.feed(page)
    assert not [t for t, attrs in tags.tags if t in ("script", "link", "img", "iframe") and ("src" in attrs or "href" in attrs)]
    assert "vegaEmbed(" in page


def test_article_text_cannot_inject_markup_or_script(hostile):
    _, page, _, _ = hostile
    tags = _Tags()
    tags.feed(page)
    assert [t for t, _ in tags.tags].count("script") == 2  # the Vega bundle and the chart
    assert not [t for t, _ in tags.tags if t == "img"]
    assert not [(t, a) for t, attrs in tags.tags for a in attrs if a.lower().startswith("on")]
    chart_script = tags.scripts[1]
    assert "<" not in chart_script and ">" not in chart_script
    assert "alert(1)" not in tags.scripts[0] and "alert(3)" not in tags.scripts[0]
    assert html.escape(SCRIPT) in page and html.escape(IMG, quote=True) in page


def test_chart_spec_is_valid_json_and_marks_conflicts(hostile):
    _, page, _, _ = hostile
    call = re.search(r"vegaEmbed\('#claim-chart', (.*), \{actions: false\}\)", page).group(1)
    spec = json.loads(call)
    datasets = json.dumps(spec["datasets"])
    assert '"status": "conflict"' in datasets and '"in_conflict": true' in datasets


def test_conflicts_table_shows_both_sentences_with_the_figures_marked(hostile):
    result, page, sentence_a, sentence_b = hostile
    assert len(result.conflicts) == 1
    section = page[page.index("<h2>Conflicts</h2>"):page.index("<h2>All claim groups</h2>")]
    for sentence, number in ((sentence_a, "15"), (sentence_b, "30")):
        before, after = sentence.split(f" {number} ", 1)
        assert f"{html.escape(before)} <mark>{number}</mark> {html.escape(after)}" in section
    assert html.escape(result.conflicts.iloc[0]["explanation"]) in section
    assert "sev-high" in section


def test_report_without_the_vega_bundle_still_shows_the_tables(monkeypatch):
    monkeypatch.setattr(report, "_vega_bundle", lambda: None)
    result, _, _ = _hostile_result()
    page = report.render_report(result)
    assert "<script" not in page
    assert "vl-convert-python" in page and "<h2>Conflicts</h2>" in page


def test_empty_audit_renders(dashboard_result):
    empty = AuditResult(*(df.iloc[0:0] for df in (dashboard_result.articles, dashboard_result.figures,
                                                   dashboard_result.groups, dashboard_result.conflicts,
                                                   dashboard_result.errors)))
    page = report.render_report(empty)
    assert "No conflicts" in page and "<script" not in page


def test_run_on_hostile_articles_writes_a_safe_report(tmp_path):
    import csv
    from pathlib import Path

    from auditor.audit import audit

    corpus = Path(__file__).parent / "data" / "corpora" / "hostile"
    result = audit(corpus, jobs=1, out_dir=tmp_path)
    written = result.write(tmp_path, html=True)
    page = written["report"].read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(page)
    assert [t for t, _ in tags.tags].count("script") == 2
    assert not [t for t, _ in tags.tags if t == "img"]
    assert not [(t, a) for t, attrs in tags.tags for a in attrs if a.lower().startswith("on")]
    assert "https://cdn" not in page
    assert len(result.conflicts) == 1  # 25 vs 60 soldiers killed in Ramadi, same day
    assert html.escape("<script>alert('body')</script>") in page
    with open(written["conflicts"], newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["outlet_a"].startswith("'=") or row["outlet_b"].startswith("'=")


def test_orphaned_review_decisions_are_listed(tmp_path, monkeypatch):
    from auditor.review import ReviewStore

    monkeypatch.setattr(report, "_vega_bundle", lambda: None)
    result, _, _ = _hostile_result()
    store = ReviewStore(tmp_path)
    store.record("c-gone", "dismissed", f"old note {SCRIPT}", {"explanation": "15 vs 30 in Bashir"})
    store.merge(result.conflicts)  # c-gone is not among this audit's conflicts: flagged orphaned
    result.out_dir = tmp_path
    page = report.render_report(result)
    section = page[page.index("no longer found"):]
    assert "c-gone" in section and html.escape(f"old note {SCRIPT}") in section and "15 vs 30 in Bashir" in section
    result.out_dir = None
    assert "no longer found" not in report.render_report(result)
