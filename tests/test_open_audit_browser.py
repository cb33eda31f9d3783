"""A written Parquet audit opened in JupyterLab: ``figure-audit lab DIR`` on an output folder, in Debian's
headless Chromium (Playwright), 1600×1000.

The demo corpus is audited once with ``figure-audit run … --format parquet`` (no CSVs), then removed.
``figure-audit lab audit-out`` writes a notebook that opens it with ``auditor.open_audit`` (nothing is
audited again) and serves JupyterLab; the extension runs it on open. The workbench opens on a conflict;
selecting another group shows its reports (read from the Parquet file by the kernel); a review from there
lands in review.sqlite.
Screenshots go to test-artifacts/ (look at them).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from _lab_server import audit_demo, needs_chromium, serve_jupyterlab, workbench_page

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT_MS = 180_000

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("opened-root")
    home = tmp_path_factory.mktemp("opened-home")
    audit_demo(root, "audit-out", "parquet")
    shutil.rmtree(root / "demo")  # nothing can be audited again: what shows is read from audit-out
    launcher = [str(Path(sys.executable).with_name("figure-audit")), "lab", "audit-out", "--port", "{port}",
                "--ip", "127.0.0.1", "--no-browser"]
    yield from serve_jupyterlab(launcher, root, home, logs=ARTIFACTS)


@pytest.fixture(scope="module")
def page(lab):
    # The notebook figure-audit lab wrote; the extension runs it once when it opens (it is signed).
    with workbench_page(lab, "figure-audit-open-audit-out.ipynb", timeout_ms=TIMEOUT_MS) as page:
        yield page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"opened-{name}.png"))


def test_the_written_audit_opens_on_a_conflict_without_auditing_again(page, lab):
    assert not (lab["root"] / "demo").exists()
    first = page.locator(".fa-wb-group").first
    assert "is-selected" in first.get_attribute("class") and "conflict" in first.inner_text()
    detail = page.locator(".fa-wb-detail")
    assert detail.get_attribute("data-group") == first.get_attribute("data-id")
    assert detail.locator(".fa-wb-report").count() >= 2
    assert detail.locator(".fa-wb-report mark").count() == detail.locator(".fa-wb-report").count()
    page.locator(".fa-wb").scroll_into_view_if_needed()
    shot(page, "1-opens-on-the-conflict")
    assert page.outside == [] and page.errors == []


def test_selecting_a_group_reads_and_shows_its_reports(page, lab):
    import auditor

    rows = page.locator(".fa-wb-group")
    ids = [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]
    assert len(ids) >= 5
    target = ids[2]
    page.locator(f".fa-wb-group[data-id='{target}']").click()
    page.wait_for_function("(id) => document.querySelector('.fa-wb-detail').getAttribute('data-group') === id "
                           "&& document.querySelectorAll('.fa-wb-detail .fa-wb-report').length > 0", arg=target)
    detail = page.locator(".fa-wb-detail")
    page.locator(".fa-wb-detail").scroll_into_view_if_needed()
    shot(page, "2-another-group-selected")
    # The cards are that group's reports, as the written audit has them.
    marks = detail.locator(".fa-wb-report mark").all_inner_texts()
    assert sorted(marks) == sorted(auditor.open_audit(lab["root"] / "audit-out").figures_of(target)["surface"])


def test_a_review_from_the_opened_audit_is_saved(page, lab):
    from auditor.review import ReviewStore

    page.locator(".fa-wb-group.fa-wb-status-conflict").first.click()
    page.wait_for_function("() => document.querySelectorAll('.fa-wb-detail .fa-wb-report').length >= 2")
    group = page.locator(".fa-wb-group.is-selected").get_attribute("data-id")
    page.locator(".fa-wb-note-input").fill("the ministry's count supersedes the early toll")
    page.locator(".fa-wb-review button[data-decision='dismissed']").click()
    assert "dismissed" in page.locator(".fa-wb-group.is-selected").inner_text()
    pairs = page.locator(".fa-wb-detail .fa-wb-conflicts li").count()
    page.wait_for_function("(n) => document.querySelectorAll('.fa-wb-detail .fa-wb-decided').length === n", arg=pairs)
    page.locator(".fa-wb-review").scroll_into_view_if_needed()
    shot(page, "3-group-reviewed")
    (decision,) = ReviewStore(lab["root"] / "audit-out").group_decisions().to_dict("records")
    assert decision["group_id"] == group and decision["decision"] == "dismissed"
    assert decision["note"] == "the ministry's count supersedes the early toll"
    assert page.errors == []
