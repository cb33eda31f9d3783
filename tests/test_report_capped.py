"""report.html at scale: what the page embeds is capped (conflicts first), it says what it left to the
CSVs, and its size follows the caps, not the corpus."""

import json
import re

import pandas as pd
import pytest

from auditor import report
from auditor.audit import AuditResult
from auditor.claims import CONFLICT_COLUMNS, GROUP_COLUMNS
from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS
from _lab_server import chromium_page, needs_chromium
from conftest import make_figure_row as fig
from conftest import in_memory, make_figures_frame

OUTLETS = ("Reuters", "AFP", "AP", "Al Jazeera", "BBC", "Rudaw", "Dabanga", "Premium Times")
PLACES = ("El Fasher", "Maiduguri", "Kharkiv", "Mogadishu", "Sittwe", "Goma", "Aleppo", "Taiz")


def _data(page):
    match = re.search(r"<script type='application/json' id='fa-data'>(.*?)</script>", page, re.S)
    return json.loads(match.group(1))


def _audit(n_groups, reports_per_group=4, big_group=0, n_errors=0):
    """``n_groups`` consistent claim groups of a few reports, one group in conflict with ``big_group``
    extra reports (two of them in its conflicts), and ``n_errors`` unreadable files — built by hand."""
    rows, groups, conflicts = [], [], []
    for g in range(n_groups):
        place = f"{PLACES[g % len(PLACES)]} district {g}"
        for r in range(reports_per_group):
            rows.append(fig(f"f{g}-{r}", f"a{g}-{r}", 40 + r % 2, location=place, group_id=f"g{g}",
                            outlet=OUTLETS[r % len(OUTLETS)], published=f"2024-03-{1 + r % 28:02d}",
                            sentence=f"Medics said {40 + r % 2} people were killed in {place} on day {r}."))
        groups.append({"group_id": f"g{g}", "category": "killed", "location": place, "unit": "count",
                       "n_figures": reports_per_group, "status": "consistent", "label": f"killed in {place}"})
    n_big = 2 + big_group
    for r in range(n_big):
        rows.append(fig(f"big-{r}", f"b{r}", 300 if r == n_big - 1 else 30, location="Khartoum", group_id="g-big",
                        outlet=OUTLETS[r % len(OUTLETS)], published=f"2023-{1 + r % 12:02d}-{1 + r % 28:02d}",
                        sentence=f"Report {r}: {300 if r == n_big - 1 else 30} people were killed in Khartoum."))
    groups.append({"group_id": "g-big", "category": "killed", "location": "Khartoum", "unit": "count",
                   "n_figures": n_big, "status": "conflict", "label": "killed in Khartoum"})
    for k, severity in enumerate(("high", "medium", "low")):
        conflicts.append({"conflict_id": f"c{k}", "group_id": "g-big", "figure_a": f"big-{k}",
                          "figure_b": f"big-{n_big - 1}", "category": "killed", "relative_difference": 0.9,
                          "severity": severity, "explanation": f"30 vs 300 killed in Khartoum (pair {k})"})
    return AuditResult(
        articles=pd.DataFrame(columns=list(ARTICLE_COLUMNS)), figures=make_figures_frame(rows),
        groups=pd.DataFrame(groups, columns=list(GROUP_COLUMNS)),
        conflicts=pd.DataFrame(conflicts, columns=list(CONFLICT_COLUMNS)),
        errors=pd.DataFrame([{"path": f"broken-{i}.pdf", "error": "unsupported file type"} for i in range(n_errors)],
                            columns=list(ERROR_COLUMNS)))


@pytest.fixture
def small_caps(monkeypatch):
    for name, value in (("MAX_GROUPS", 3), ("MAX_REPORTS", 5), ("MAX_CONFLICTS", 2), ("MAX_TABLE_ROWS", 2),
                        ("MAX_EMBEDDED_REPORTS", 1000)):
        monkeypatch.setattr(report, name, value)


def test_the_page_lists_conflicts_first_up_to_the_cap_and_says_what_it_left_out(small_caps):
    result = _audit(n_groups=6, big_group=20, n_errors=5)
    page = report.render_report(result)
    data = _data(page)
    assert data["rows"]["id"][0] == "g-big" and len(data["rows"]["id"]) == 3
    assert set(data["details"]) == set(data["rows"]["id"])  # every listed group opens
    assert "<b>7</b> claim groups" in page  # the counts cover the whole audit
    assert "lists 3 of the 7 claim groups" in page
    big = data["details"]["g-big"]
    shown = [r["id"] for r in big["reports"]]
    assert len(shown) == 5 and {"big-0", "big-1", "big-2", "big-21"} <= set(shown)  # those in conflict first
    assert "5 of its 22 reports" in big["note"] and "figures.csv" in big["note"]
    assert [c["severity"] for c in big["conflicts"]] == ["high", "medium"]
    assert "2 of its 3 conflicting pairs" in big["note"]
    assert all("link" not in r for d in data["details"].values() for r in d["reports"])
    assert "broken-1.pdf" in page and "broken-2.pdf" not in page and "3 more: errors.csv" in page


def test_reports_left_out_of_a_big_group_are_spread_over_time(small_caps, monkeypatch):
    monkeypatch.setattr(report, "MAX_REPORTS", 6)
    result = _audit(n_groups=0, big_group=40)  # 42 reports from 2023-01 to 2023-12; 4 in conflict
    big = _data(report.render_report(result))["details"]["g-big"]
    months = sorted({r["published"][:7] for r in big["reports"] if r["id"] not in ("big-0", "big-1", "big-2", "big-41")})
    assert len(big["reports"]) == 6 and months[0] < "2023-04" and months[-1] > "2023-09"


def test_the_page_size_follows_the_caps_not_the_corpus(monkeypatch):
    monkeypatch.setattr(report, "MAX_GROUPS", 50)
    small = len(report.render_report(_audit(n_groups=60)))
    large = len(report.render_report(_audit(n_groups=600)))
    assert large < small * 1.2
    monkeypatch.setattr(report, "MAX_GROUPS", 2_000)
    monkeypatch.setattr(report, "MAX_EMBEDDED_REPORTS", 80)  # 20 groups of 4 reports
    page = report.render_report(_audit(n_groups=600))
    assert len(_data(page)["rows"]["id"]) == 20
    assert "lists 20 of the 601 claim groups" in page


def test_an_audit_under_the_caps_is_embedded_whole():
    result = _audit(n_groups=30, big_group=10, n_errors=3)
    page = report.render_report(result)
    data = _data(page)
    assert len(data["rows"]["id"]) == 31 and "claim groups: those in conflict first" not in page
    assert len(data["details"]["g-big"]["reports"]) == 12 and data["details"]["g-big"]["note"] == ""
    assert "more: errors.csv" not in page


@needs_chromium
def test_a_capped_page_opens_its_groups_and_says_so_in_a_browser(small_caps, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report.render_report(_audit(n_groups=6, big_group=20, n_errors=5)), encoding="utf-8")
    with chromium_page(("file:", "data:"), width=1400, height=900) as page:
        page.goto(path.as_uri())
        rows = page.locator(".fa-wb-group")
        rows.first.wait_for()
        assert rows.count() == 3 and "lists 3 of the 7 claim groups" in page.locator(".fa-capped").inner_text()
        rows.first.click()
        expanded = page.locator(".fa-wb-expanded")
        assert expanded.locator(".fa-wb-report").count() == 5
        assert "5 of its 22 reports" in expanded.locator(".fa-wb-note").inner_text()
        assert expanded.locator(".fa-wb-conflicts li").count() == 2
        rows.nth(2).click()  # the last listed group opens too
        assert page.locator(".fa-wb-expanded .fa-wb-report").count() == 4
        assert page.errors == [] and page.outside == []


def test_views_of_a_spilled_audit_read_only_what_they_show_and_match_the_table_loaded(
        small_caps, tmp_path, monkeypatch):
    """A run on workers keeps its figures in a spill file: report.html, the notebook display and a
    decision on a whole claim group read a few columns and the rows they show, never the whole table,
    and show exactly what they show once the table is loaded."""
    import sys
    from pathlib import Path

    from auditor import _spill
    from auditor.audit import audit
    from auditor.review import ReviewStore, review_group

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from make_corpus import write_corpus

    corpus = tmp_path / "corpus"
    write_corpus(300, corpus, seed=6)
    monkeypatch.setattr(_spill.SpillWriter, "CHUNK", 300)  # several record batches
    result = audit(corpus, jobs=2, out_dir=tmp_path / "out")
    assert result.figures_spilled

    def loaded_whole(self):
        raise AssertionError("a view loaded the whole figure table")

    load_whole = _spill.SpilledFigures.frame
    monkeypatch.setattr(_spill.SpilledFigures, "frame", loaded_whole)
    largest = result.groups.sort_values("n_figures", ascending=False, kind="stable")["group_id"].iloc[0]
    decided = review_group(result, largest, "dismissed", "an early wire toll")
    page = report.render_report(result)
    bundle = result._repr_mimebundle_()
    assert result.figures_spilled
    monkeypatch.setattr(_spill.SpilledFigures, "frame", load_whole)  # the caps stay small
    n_figures = result.n_figures
    figures = result.figures  # loaded now
    assert not result.figures_spilled and len(figures) == n_figures > 1000

    def stamp(text):
        return re.sub(r"Generated [^<]* UTC", "", text)

    assert stamp(page) == stamp(report.render_report(result))
    assert len(_data(page)["details"]) == 3 and "lists 3 of the" in page  # capped (small_caps)
    assert bundle == result._repr_mimebundle_()
    assert bundle["application/vnd.figure-audit+json"]["summary"]["figures"] == n_figures
    members = set(figures.loc[figures["group_id"] == largest, "figure_id"])
    assert set(decided["figures"].split()) == members and len(members) > 1
    assert ReviewStore(tmp_path / "out").group_decisions()["group_id"].tolist() == [largest]


def _counts(page):
    """The summary's counts: {"claim groups": 12, ...}."""
    summary = page.split("<div class='fa-summary'>", 1)[1].split("</div>", 1)[0]
    return {name: int(n.replace(",", "")) for n, name in re.findall(r"<b>([\d,]+)</b> ([^<]+)</span>", summary)}


def test_the_page_from_capped_data_shows_the_numbers_of_the_whole_list(spilled_run, monkeypatch,
                                                                        refuse_whole_tables):
    """The page's list and counts come from a few numbers per group, read a part at a time, never from the whole
    list nor a whole table: its rows are the first rows of the workbench's list of every group, and its counts
    that list's counts, for a run whose tables stay in files and for the same audit in memory, with review
    decisions taken on some conflicts and one group."""
    from auditor.dashboard import _data as views
    from auditor.dashboard._data import WorkbenchData

    result = spilled_run
    for name, value in (("MAX_GROUPS", 40), ("MAX_REPORTS", 3), ("MAX_CONFLICTS", 2), ("MAX_EMBEDDED_REPORTS", 60)):
        monkeypatch.setattr(report, name, value)
    monkeypatch.setattr(views, "TABLE_ROWS", 7)  # the tables read in odd parts: groups cut in two

    with refuse_whole_tables():
        spilled_page = report.render_report(result)
    whole = in_memory(result)
    conflicts = whole.conflicts.copy()
    conflicts.loc[conflicts.index[::3], "decision"] = "confirmed"  # some groups partly reviewed, some fully
    groups = whole.groups.copy()
    groups.loc[groups["status"] == "conflict", "decision"] = ""
    groups.loc[groups.index[groups["status"] == "conflict"][:2], "decision"] = "dismissed"
    reviewed = AuditResult(articles=whole.articles, figures=whole.figures, groups=groups, conflicts=conflicts,
                           errors=whole.errors)
    for page, audit in ((spilled_page, whole), (report.render_report(reviewed), reviewed)):
        every = WorkbenchData(audit).group_list()  # the whole list, made from every figure at once
        data = _data(page)
        n = len(data["rows"]["id"])
        assert 1 < n < len(every["id"])
        assert data["rows"] == {name: values[:n] for name, values in every.items()}
        assert _counts(page) == {
            "articles": len(audit.articles), "figures": audit.n_figures, "claim groups": len(every["id"]),
            "claim groups in conflict": every["status"].count("conflict"), "conflicting pairs": len(audit.conflicts),
            "to review": sum(r in ("to review", "partly reviewed") for r in every["review"]), "unreadable files": 0}
        assert f"lists {n:,} of the {len(every['id']):,} claim groups" in page
        first = audit.conflicts.drop_duplicates("group_id").iloc[0]
        spread = every["spread"][every["id"].index(first["group_id"])]
        assert f"reported {spread} by" in page.split("Claims in conflict", 1)[1].split("</li>", 1)[0]
    assert _counts(report.render_report(reviewed))["to review"] < _counts(spilled_page)["to review"]
