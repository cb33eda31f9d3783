"""The workbench live in JupyterLab 4 and Debian's headless Chromium (driven by Playwright), 1600×1000.

A notebook audits the bundled demo corpus (examples/demo) and shows ``Dashboard(result)``. One
session walks the fact-checker's flow: the list opens on a casualty conflict (Mellit or El Obeid) with its
reports side by side; sorting, searching as you type and facet filters redraw the list and its
counts; a filter that hides the selected group clears the reports; a group-level review is saved
to review.sqlite and counted at once; "Open in editor" opens the article with the figure selected.
Screenshots go to test-artifacts/ (look at them).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from _lab_server import needs_chromium, serve_jupyterlab, wait_for_editor_selection, workbench_page

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT_MS = 180_000

pytestmark = needs_chromium

DEMO_OUTLETS = {"Nile Wire", "Sahel Post", "East Africa Daily", "Darfur Monitor", "Khartoum Courier"}
NOTEBOOK_CELLS = [
    "import auditor\nresult = auditor.audit('demo', out_dir='audit-out')",
    "dashboard = auditor.Dashboard(result)\ndashboard",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash-root")
    home = tmp_path_factory.mktemp("dash-home")
    shutil.copytree(REPO / "examples" / "demo", root / "demo")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "dashboard.ipynb")
    yield from serve_jupyterlab([sys.executable, "-m", "jupyterlab"], root, home, logs=ARTIFACTS)


@pytest.fixture(scope="module")
def page(lab):
    with workbench_page(lab, "dashboard.ipynb", run_all=True, timeout_ms=TIMEOUT_MS) as page:
        yield page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"workbench-{name}.png"))


def groups(page) -> list[str]:
    return page.locator(".fa-wb-group .fa-wb-label > span").all_inner_texts()


def test_opens_on_the_casualty_conflict_with_every_report_side_by_side(page, lab):
    wb = page.locator(".fa-wb")
    wb.scroll_into_view_if_needed()
    page.locator(".fa-wb-detail").scroll_into_view_if_needed()
    shot(page, "1-opens-on-the-conflict")
    first = page.locator(".fa-wb-group").first
    assert "is-selected" in first.get_attribute("class")
    assert "conflict" in first.inner_text() and re.search(r"(killed|wounded) ·", first.inner_text())
    detail = page.locator(".fa-wb-detail")
    assert detail.get_attribute("data-group") == first.get_attribute("data-id")
    cards = detail.locator(".fa-wb-report")
    n_reports = cards.count()
    assert n_reports >= 2
    outlets = {c.split(" · ")[0] for c in detail.locator(".fa-wb-who").all_inner_texts()}
    assert len(outlets) >= 2 and outlets <= DEMO_OUTLETS
    # Values read as people write them, the figure marked in its sentence, why they disagree.
    values = detail.locator(".fa-wb-number").all_inner_texts()
    assert len(set(values)) >= 2
    assert not any(re.search(r"nan|_|\d\.\d{4,}", v, re.I) for v in values)
    assert detail.locator(".fa-wb-report mark").count() == n_reports
    assert detail.locator(".fa-wb-conflicts li").count() >= 1
    # The chart: one mark per report, a value axis with its unit and publication dates.
    assert detail.locator(".fa-wb-chart .fa-wb-mark").count() == n_reports
    axis = detail.locator(".fa-wb-chart .fa-wb-axis-title").all_text_contents()
    assert any(re.search(r"killed|wounded", a) for a in axis) and "published" in axis
    assert page.outside == [], f"requests left the machine: {page.outside}"
    assert page.errors == []


def test_sorting_and_search_as_you_type(page):
    before = groups(page)
    page.locator(".fa-wb-groups th[data-key='label']").click()
    page.wait_for_function("() => document.querySelector(\".fa-wb-groups th[data-key='label']\").textContent.includes('▲')")
    ascending = groups(page)
    first_words = [label.split()[0].lower() for label in ascending]
    assert first_words == sorted(first_words) and len(set(first_words)) > 2
    page.locator(".fa-wb-groups th[data-key='label']").click()
    descending = [label.split()[0].lower() for label in groups(page)]
    assert descending == sorted(first_words, reverse=True)
    page.locator(".fa-wb-groups th[data-key='n_figures']").click()
    reports = [int(x) for x in page.locator(".fa-wb-group td:nth-child(4)").all_inner_texts()]
    assert reports == sorted(reports, reverse=True)
    assert set(groups(page)) == set(before)

    search = page.locator(".fa-wb-search")
    search.press_sequentially("obeid", delay=30)  # no Enter: the list follows the typing
    page.wait_for_function("() => document.querySelector('.fa-wb').dataset.matching !== undefined "
                           "&& [...document.querySelectorAll('.fa-wb-group')].every(r => /obeid/i.test(r.innerText))")
    assert 0 < len(groups(page)) < len(before)
    assert "of" in page.locator(".fa-wb-shown").inner_text()
    shot(page, "2-search-as-you-type")
    search.fill("")
    page.locator(".fa-wb-clear").click()
    assert len(groups(page)) == len(before)


def test_a_filter_that_hides_the_selection_clears_it(page):
    conflict = page.locator(".fa-wb-group.fa-wb-status-conflict").first
    conflict.click()
    page.wait_for_function("() => document.querySelectorAll('.fa-wb-detail .fa-wb-report').length >= 2")
    category = conflict.inner_text().split(" · ")[0].strip()
    # Facet counts: choosing another category leaves only its groups; the selected one is hidden.
    other = page.locator(".fa-wb-facet[data-facet='category'] .fa-wb-facet-value").filter(
        has_not=page.locator(f".fa-wb-facet-label:text-is('{category}')")).first
    count = int(other.locator(".fa-wb-facet-count").inner_text())
    other.click()
    assert len(groups(page)) == count
    assert page.locator(".fa-wb-group.is-selected").count() == 0
    assert page.locator(".fa-wb-detail .fa-wb-report").count() == 0
    shot(page, "3-filter-cleared-the-selection")
    page.locator(".fa-wb-clear").click()


def test_reviewing_a_group_is_saved_and_counted_at_once(page, lab):
    page.locator(".fa-wb-group.fa-wb-status-conflict").first.click()
    page.wait_for_function("() => document.querySelectorAll('.fa-wb-detail .fa-wb-report').length >= 2")
    to_review = int(page.locator(".fa-wb-n-review b").inner_text())
    page.locator(".fa-wb-note-input").fill("army figure counts only civilians identified by name")
    page.locator(".fa-wb-review button[data-decision='confirmed']").click()
    # The counter and the row change at once, before the kernel answers.
    assert int(page.locator(".fa-wb-n-review b").inner_text()) == to_review - 1
    assert "confirmed" in page.locator(".fa-wb-group.is-selected").inner_text()
    pairs = page.locator(".fa-wb-detail .fa-wb-conflicts li").count()
    assert pairs >= 1
    # The kernel's answer: every pair of the group shows its decision.
    page.wait_for_function("(n) => document.querySelectorAll('.fa-wb-detail .fa-wb-decided').length === n", arg=pairs)
    page.locator(".fa-wb-review").scroll_into_view_if_needed()
    shot(page, "4-group-reviewed")
    from auditor.review import ReviewStore

    (decision,) = ReviewStore(lab["root"] / "audit-out").group_decisions().to_dict("records")
    assert decision["decision"] == "confirmed"
    assert decision["note"] == "army figure counts only civilians identified by name"


def test_open_in_editor_selects_the_figure(page):
    card = page.locator(".fa-wb-detail .fa-wb-report").first
    surface = card.locator("mark").inner_text()
    card.locator(".fa-wb-open").click()
    wait_for_editor_selection(page, surface)
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path").startswith("demo/")
    shot(page, "5-source-in-editor")
    assert page.errors == []
