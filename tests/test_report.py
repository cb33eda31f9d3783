"""report.html: standalone (no network), a summary first, every group's reports embedded, all text escaped."""

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
from _lab_server import chromium_page, needs_chromium
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


def _data(page: str) -> dict:
    match = re.search(r"<script type='application/json' id='fa-data'>(.*?)</script>", page, re.S)
    return json.loads(match.group(1))


def test_report_needs_no_network(hostile):
    _, page, _, _ = hostile
    assert "https://cdn" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    tags = _Tags()
    tags.feed(page)
    assert not [t for t, attrs in tags.tags if t in ("script", "link", "img", "iframe") and ("src" in attrs or "href" in attrs)]


def test_article_text_cannot_inject_markup_or_script(hostile):
    _, page, sentence_a, _ = hostile
    tags = _Tags()
    tags.feed(page)
    assert [t for t, _ in tags.tags].count("script") == 2  # the embedded data and the workbench code
    assert not [t for t, _ in tags.tags if t == "img"]
    assert not [(t, a) for t, attrs in tags.tags for a in attrs if a.lower().startswith("on")]
    data_script, code = tags.scripts
    assert "<" not in data_script and ">" not in data_script
    assert "alert(" not in code
    # The hostile text is there, as data for the script to show as text.
    assert "Officials <script>alert(1)</script> said " in json.dumps(_data(page), ensure_ascii=False)
    assert html.escape(IMG, quote=True) in page  # the unreadable file's name, escaped


def test_the_page_written_a_piece_at_a_time_is_the_page_and_as_safe(hostile, tmp_path):
    """``write_report`` (what ``--html`` writes, the page never held whole) writes the same page, hostile text
    escaped in it as in ``render_report``'s."""
    result, page, _, _ = hostile
    report.write_report(result, tmp_path / "report.html")
    written = (tmp_path / "report.html").read_text(encoding="utf-8")

    def unstamped(text: str) -> str:
        return re.sub(r"Generated [^<]* UTC", "", text)

    assert unstamped(written) == unstamped(page)
    tags = _Tags()
    tags.feed(written)
    assert "<" not in tags.scripts[0] and not [t for t, _ in tags.tags if t == "img"]
    assert "Officials <script>alert(1)</script> said " in json.dumps(_data(written), ensure_ascii=False)


def test_summary_comes_first_and_names_the_claims_in_conflict(hostile):
    result, page, _, _ = hostile
    summary = page[page.index("fa-summary"):page.index("fa-workbench")]
    assert "<b>2</b> articles" in summary and "<b>1</b> claim groups in conflict" in summary
    assert "Claims in conflict" in summary
    assert html.escape(result.conflicts.iloc[0]["explanation"]) in summary


def test_every_group_is_embedded_with_its_reports_values_readable(hostile):
    result, page, sentence_a, sentence_b = hostile
    data = _data(page)
    rows = data["rows"]
    assert rows["status"][0] == "conflict" and rows["spread"][0] == "15–30"
    detail = data["details"][rows["id"][0]]
    by_value = {r["value_text"]: r for r in detail["reports"]}
    assert sorted(by_value) == ["15", "30"]
    assert by_value["15"]["before"] + by_value["15"]["surface"] + by_value["15"]["after"] == sentence_a
    assert by_value["30"]["before"] + by_value["30"]["surface"] + by_value["30"]["after"] == sentence_b
    assert "nan" not in json.dumps(data).lower().replace("nancy", "")


def test_empty_audit_renders(dashboard_result):
    empty = AuditResult(*(df.iloc[0:0] for df in (dashboard_result.articles, dashboard_result.figures,
                                                   dashboard_result.groups, dashboard_result.conflicts,
                                                   dashboard_result.errors)))
    page = report.render_report(empty)
    assert "<b>0</b> figures" in page and _data(page)["rows"]["id"] == []


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
    assert "<script>alert('body')</script>" in json.dumps(_data(page), ensure_ascii=False)
    with open(written["conflicts"], newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["outlet_a"].startswith("'=") or row["outlet_b"].startswith("'=")


def test_orphaned_review_decisions_are_listed(tmp_path, monkeypatch):
    from auditor.review import ReviewStore

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


@needs_chromium
def test_the_report_searches_filters_sorts_and_expands_offline_in_a_browser(hostile, tmp_path):
    """In Chromium: groups collapsed, search as you type, a facet, a sort, a group expanded; no script ran."""
    result, page_html, _, _ = hostile
    path = tmp_path / "report.html"
    path.write_text(page_html, encoding="utf-8")
    with chromium_page(("file:", "data:"), width=1600, height=1000) as page:
        page.goto(path.as_uri())
        rows = page.locator(".fa-wb-group")
        rows.first.wait_for()
        assert page.locator(".fa-wb-expanded").count() == 0  # collapsed by default
        n = rows.count()
        page.locator(".fa-wb-search").press_sequentially("nothing like this", delay=10)
        assert rows.count() == 0
        page.locator(".fa-wb-search").fill("rudaw")
        assert 0 < rows.count() <= n
        page.locator(".fa-wb-clear").click()
        page.locator(".fa-wb-facet-value[data-facet='status'][data-value='conflict']").click()
        assert rows.count() == 1
        page.locator(".fa-wb-groups th[data-key='n_figures']").click()
        rows.first.click()
        expanded = page.locator(".fa-wb-expanded")
        assert expanded.locator(".fa-wb-report").count() == 2
        assert sorted(expanded.locator("mark").all_inner_texts()) == ["15", "30"]
        assert "Officials <script>alert(1)</script> said" in expanded.inner_text()
        assert page.locator(".fa-wb script, .fa-wb img").count() == 0
        assert page.evaluate("() => document.querySelectorAll('img').length") == 0
        rows.first.click()
        assert page.locator(".fa-wb-expanded").count() == 0
        assert page.errors == [] and page.outside == []
