"""The dashboard live in JupyterLab 4 and Debian's headless Chromium (driven by Playwright).

A notebook audits seeds/ and shows ``Dashboard(result)``; the chart draws from the offline Vega
bundle (no request leaves the machine), the comparison table lists the selected group, and
clicking another report in the chart changes the table and the source view.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from _lab_server import serve_jupyterlab

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 180_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium); `make browser` installs it"
)

NOTEBOOK_CELLS = [
    "from auditor.dashboard import Dashboard, audit_with_progress\n"
    "result = audit_with_progress('seeds', out_dir='audit-out')",
    "dashboard = Dashboard(result)\ndashboard",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash-root")
    home = tmp_path_factory.mktemp("dash-home")
    shutil.copytree(REPO / "seeds", root / "seeds")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "dashboard.ipynb")
    yield from serve_jupyterlab([sys.executable, "-m", "jupyterlab"], root, home)


def test_dashboard_draws_offline_and_a_click_drives_table_and_source(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            outside: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda req: None if req.url.startswith((lab["url"], "data:", "blob:", "ws:"))
                    else outside.append(req.url))
            page.goto(f"{lab['url']}/lab/tree/dashboard.ipynb?token={lab['token']}")
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel")
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            marks = page.locator(".vega-embed").first.locator("svg .mark-symbol.role-mark path")
            marks.first.wait_for()
            rows = page.locator("table.dataTable tbody tr")
            rows.first.wait_for()
            source = page.locator(".fa-source mark").first
            source.wait_for()
            before_table = page.locator("table.dataTable tbody").first.inner_text()
            before_source = page.locator(".fa-source").first.inner_text()
            page.screenshot(path=str(tmp_path / "before.png"))

            # Click the last report drawn (another claim group than the first, selected one).
            marks.last.click(force=True)
            page.wait_for_function(
                "(before) => document.querySelector('.fa-source').innerText !== before", arg=before_source)
            after_table = page.locator("table.dataTable tbody").first.inner_text()
            page.screenshot(path=str(tmp_path / "after.png"))
            assert after_table != before_table
            assert outside == [], f"requests left the machine: {outside}"
            assert errors == []
        finally:
            browser.close()
