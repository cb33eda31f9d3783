""""Audit figures" on an output folder of ``figure-audit run`` opens the written audit, in a real JupyterLab and
Debian's headless Chromium (Playwright), 1600×1000.

The demo corpus (examples/demo) is audited once with ``--format both`` into ``audit-out/``. In the file browser
the command says "Open audit" on that folder (and still "Audit figures" on the corpus); choosing it writes
``figure-audit-open-audit-out.ipynb`` from the template ``figure-audit lab DIR`` uses (``auditor.open_audit``),
runs it and shows the workbench with the audit's claim groups; nothing is audited again (the folder keeps its
one set of tables). A second click reuses the notebook. Screenshots go to test-artifacts/ (look at them).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _lab_server import audit_demo, chromium_page, lab_server, needs_chromium

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT_MS = 180_000
COMMAND = "figure-auditor:audit"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("open-audit-root")
    home = tmp_path_factory.mktemp("open-audit-home")
    audit_demo(root, "audit-out", "both")
    audit_demo(root, "audit-csv", "csv")  # CSVs only, with the notebook `figure-audit lab audit-csv` writes already there
    with lab_server([sys.executable, "-m", "jupyterlab"], root, home, logs=ARTIFACTS) as served:
        # Signed with the server's secret, as `figure-audit lab` signs it: trusted, marked to run on open.
        subprocess.run([sys.executable, "-c", "from auditor.lab import opened_notebook; opened_notebook('audit-csv')"],
                       cwd=root, env=served["env"], check=True)
        yield served


@pytest.fixture(scope="module")
def page(lab):
    with chromium_page((lab["url"], "data:", "blob:", "ws:"), timeout_ms=TIMEOUT_MS) as page:
        page.goto(f"{lab['url']}/lab/workspaces/open-audit?reset&token={lab['token']}")
        page.wait_for_function(f"() => window.jupyterapp && window.jupyterapp.commands.hasCommand('{COMMAND}')")
        page.locator(".jp-DirListing-item").first.wait_for()
        yield page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"extension-open-audit-{name}.png"))


def context_menu_on(page, folder: str):
    """Select ``folder`` in the file browser, right-click it; return the command's menu entry."""
    item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=folder)).first
    item.click()
    item.click(button="right")
    entry = page.locator(f".lm-Menu-item[data-command='{COMMAND}']")
    entry.wait_for()
    return entry


def sets_of(out: Path) -> list[str]:
    return sorted(p.name for p in (out / ".figure-audit" / "sets").iterdir())


def test_the_command_says_open_audit_on_an_output_folder_and_audit_figures_on_a_corpus(page):
    entry = context_menu_on(page, "demo")
    assert entry.locator(".lm-Menu-itemLabel").inner_text() == "Audit figures"
    page.keyboard.press("Escape")
    entry = context_menu_on(page, "audit-out")
    # The folder is listed once selected; the open menu follows.
    page.wait_for_function(
        f"() => document.querySelector(\".lm-Menu-item[data-command='{COMMAND}'] .lm-Menu-itemLabel\")"
        ".textContent === 'Open audit'")
    caption = page.evaluate(f"() => window.jupyterapp.commands.caption('{COMMAND}')")
    assert caption.startswith("Open the audit written in audit-out"), caption
    shot(page, "1-context-menu")
    page.keyboard.press("Escape")


def test_open_audit_shows_the_workbench_of_the_written_audit_without_auditing_again(page, lab):
    import auditor

    out = lab["root"] / "audit-out"
    before = sets_of(out)
    entry = context_menu_on(page, "audit-out")
    page.wait_for_function(
        f"() => document.querySelector(\".lm-Menu-item[data-command='{COMMAND}'] .lm-Menu-itemLabel\")"
        ".textContent === 'Open audit'")
    entry.click()
    panel_id = page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path === 'figure-audit-open-audit-out.ipynb' && w.id;
        }""").json_value()
    notebook = page.locator(f"[id='{panel_id}']")
    notebook.locator(".fa-wb-report mark").first.wait_for()
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = Array.from(panel.content.model.cells).filter(c => c.type === 'code');
            return panel.sessionContext.session?.kernel?.status === 'idle'
                && cells.every(c => c.executionCount !== null);
        }""")
    errors = page.evaluate("""() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)
        .flatMap(c => c.type === 'code' ? c.outputs.toJSON() : [])
        .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue)""")
    assert not errors, errors
    # The notebook is the one `figure-audit lab audit-out` writes: open_audit on the folder, then the workbench.
    code = page.evaluate("""() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)
        .filter(c => c.type === 'code').map(c => c.sharedModel.getSource()).join('\\n')""")
    assert 'OUT_DIR = "audit-out"' in code and "auditor.open_audit(OUT_DIR)" in code and "auditor.audit(" not in code
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    workbench = notebook.locator(".fa-wb")
    workbench.scroll_into_view_if_needed()
    shot(page, "2-workbench")

    # Its claim groups are the written audit's, the first (a conflict) selected with its reports.
    opened = auditor.open_audit(out)
    ids = set(workbench.locator(".fa-wb-group").evaluate_all("rows => rows.map(r => r.dataset.id)"))
    assert set(opened.groups["group_id"]) <= ids, set(opened.groups["group_id"]) - ids
    first = workbench.locator(".fa-wb-group").first
    assert "is-selected" in first.get_attribute("class") and "conflict" in first.inner_text()
    detail = workbench.locator(".fa-wb-detail")
    marks = detail.locator(".fa-wb-report mark").all_inner_texts()
    assert sorted(marks) == sorted(opened.figures_of(first.get_attribute("data-id"))["surface"])
    # Nothing was audited again: the folder holds the one set of tables the run wrote.
    assert sets_of(out) == before
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")

    # Open audit again: the same notebook, re-run, not a new one per click.
    context_menu_on(page, "audit-out").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.context.path "
                           "=== 'figure-audit-open-audit-out.ipynb'")
    notebook.locator(".fa-wb-report mark").first.wait_for()
    assert sorted(p.name for p in lab["root"].glob("figure-audit*.ipynb")) == [
        "figure-audit-open-audit-csv.ipynb", "figure-audit-open-audit-out.ipynb"]
    assert page.errors == [] and page.outside == []


def test_a_folder_chosen_in_the_dialog_reuses_the_notebook_figure_audit_lab_wrote_and_runs_it_once(page, lab):
    """From the launcher (nothing selected) the command asks for a folder; an output folder of CSVs only is
    opened with the notebook `figure-audit lab audit-csv` left there, run once (not by the command and again
    for its run-on-open mark)."""
    import auditor

    page.evaluate(f"() => {{ window.__opened = window.jupyterapp.commands.execute('{COMMAND}', {{isLauncher: true}}); }}")
    dialog = page.locator(".jp-Dialog .jp-Open-Dialog")
    dialog.wait_for()
    dialog.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text="audit-csv")).first.click()
    shot(page, "3-folder-dialog")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    assert page.evaluate("() => window.__opened") == "figure-audit-open-audit-csv.ipynb"
    notebook = page.locator(f"[id='{page.evaluate('() => window.jupyterapp.shell.currentWidget.id')}']")
    notebook.locator(".fa-wb-report mark").first.wait_for()
    page.wait_for_timeout(2000)  # a second run, if any, would have started by now
    counts = page.evaluate("""() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)
        .filter(c => c.type === 'code').map(c => c.executionCount)""")
    assert counts == [1, 2], counts
    workbench = notebook.locator(".fa-wb")
    workbench.scroll_into_view_if_needed()
    shot(page, "4-csv-workbench")
    ids = set(workbench.locator(".fa-wb-group").evaluate_all("rows => rows.map(r => r.dataset.id)"))
    assert set(auditor.open_audit(lab["root"] / "audit-csv").groups["group_id"]) <= ids
    assert sorted(p.name for p in lab["root"].glob("figure-audit*.ipynb")) == [
        "figure-audit-open-audit-csv.ipynb", "figure-audit-open-audit-out.ipynb"]
    assert page.errors == [] and page.outside == []
