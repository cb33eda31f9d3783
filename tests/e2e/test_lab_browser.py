"""End to end in a real JupyterLab and Debian's headless Chromium (driven by Playwright).

Right-click seeds/ -> Audit figures -> the dashboard notebook runs -> chart and table show the
figures -> a conflict shows its two sources -> jump to source selects the span in the editor.
Hostile article text renders as text. Screenshots of every step go to test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from _lab_server import serve_jupyterlab

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
MIME_TYPE = "application/vnd.figure-audit+json"
TIMEOUT_MS = int(os.environ.get("E2E_TIMEOUT_MS", 180_000))

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium); `make browser` installs it"
)

HOSTILE = {
    "wire-a.txt": (
        "---\ntitle: <img src=x onerror=\"window.__xss='title'\">Baiji falls\n"
        "outlet: <script>window.__xss='outlet'</script>Wire A\npublished: 2015-10-18\n---\n"
        "Iraqi forces entered Baiji on Sunday.\n\n"
        "Officials said at least 50 ISIS fighters were killed in Baiji "
        "<script>window.__xss='sentence'</script> during the assault.\n"
    ),
    "wire-b.txt": (
        "---\ntitle: Baiji battle\noutlet: Wire B\npublished: 2015-10-19\n---\n"
        "The army retook the town of Baiji.\n\n"
        "A local commander said 12 ISIS fighters were killed in Baiji "
        "<img src=x onerror=\"window.__xss='img'\"> on Sunday.\n"
    ),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a random port with a token, serving a folder with seeds/ and hostile/."""
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root / "hostile").mkdir()
    for name, text in HOSTILE.items():
        (root / "hostile" / name).write_text(text, encoding="utf-8")
    home = tmp_path_factory.mktemp("lab-home")
    yield from serve_jupyterlab([sys.executable, "-m", "jupyterlab"], root, home, logs=ARTIFACTS)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(lab, browser, request):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    console: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.set_default_timeout(TIMEOUT_MS)
    # A fresh workspace per test: no tabs restored from the previous one.
    page.goto(f"{lab['url']}/lab/workspaces/{request.node.name}?reset&token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('figure-auditor:audit')")
    page.locator(".jp-DirListing-item").first.wait_for()
    page.errors = errors
    yield page
    # The last state of every test, and the browser console, for whoever reads a failure.
    shot(page, f"last-{request.node.name}")
    (ARTIFACTS / f"console-{request.node.name}.log").write_text("\n".join(console), encoding="utf-8")
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def audit_from_context_menu(page, folder: str, prefix: str):
    """Right-click ``folder`` in the file browser and choose Audit figures; return the output view."""
    item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=folder))
    item.first.click(button="right")
    entry = page.locator(".lm-Menu-item[data-command='figure-auditor:audit']")
    entry.wait_for()
    shot(page, f"{prefix}-1-context-menu")
    entry.click()
    panel_id = page.wait_for_function(
        """(stem) => {
            const w = window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path.startsWith(stem) && w.context.path.endsWith('.ipynb') && w.id;
        }""",
        arg=f"figure-audit-{folder}",
    ).json_value()
    notebook = page.locator(f"[id='{panel_id}']")
    view = notebook.locator(".jp-OutputArea-output.jp-FigureAudit")
    view.wait_for()
    # The notebook ran top to bottom: the kernel is idle and every code cell has a count.
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = Array.from(panel.content.model.cells).filter(c => c.type === 'code');
            return panel.sessionContext.session?.kernel?.status === 'idle'
                && cells.every(c => c.executionCount !== null);
        }"""
    )
    errors = page.evaluate("""() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)
        .flatMap(c => c.type === 'code' ? c.outputs.toJSON() : [])
        .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue)""")
    assert not errors, errors
    return notebook, view


def test_audit_seeds_from_the_file_browser_to_the_source(page, lab):
    notebook, view = audit_from_context_menu(page, "seeds", "seeds")
    assert (lab["root"] / "figure-audit-seeds.ipynb").exists()
    view.scroll_into_view_if_needed()
    shot(page, "seeds-2-notebook-ran")

    # The chart has a row per claim group with the reports drawn; the table lists the figures.
    assert view.locator(".jp-FigureAudit-row").count() >= 5
    assert view.locator(".jp-FigureAudit-row.jp-mod-conflict").count() >= 1
    assert view.locator(".jp-FigureAudit-figure").count() >= 1
    assert view.locator(".jp-FigureAudit-report").count() >= view.locator(".jp-FigureAudit-row").count()
    # The dashboard widget below rendered its charts (Altair, offline) and its comparison table.
    shot(page, "seeds-3-chart-and-table")
    dashboard = notebook.locator(".jp-OutputArea-output .jupyter-widgets").first
    dashboard.wait_for()
    chart = notebook.locator(".vega-embed").first
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    shot(page, "seeds-3b-dashboard")

    # Selecting a conflict shows its two sources side by side (two articles, or an article and the
    # gazetteer for a distance check), each article's figure marked in its sentence.
    view.locator(".jp-FigureAudit-conflict").first.click()
    cards = view.locator(".jp-FigureAudit-source")
    assert cards.count() == 2
    articles = view.locator(".jp-FigureAudit-source:not(.jp-mod-reference)")
    assert articles.count() >= 1
    assert articles.locator("mark").count() == articles.count()
    surfaces = articles.locator("mark").all_inner_texts()
    view.locator(".jp-FigureAudit-sources").scroll_into_view_if_needed()
    shot(page, "seeds-4-conflict-sources")

    # Jump to source: the article opens in the editor with exactly the figure selected.
    articles.first.locator(".jp-FigureAudit-open").click()
    page.wait_for_function(
        """(surface) => {
            const w = window.jupyterapp.shell.currentWidget;
            if (!w || !w.content || !w.content.editor || w.content.constructor.name === 'Notebook') return false;
            const ed = w.content.editor;
            const sel = ed.getSelection();
            const text = ed.model.sharedModel.getSource();
            return text.slice(ed.getOffsetAt(sel.start), ed.getOffsetAt(sel.end)) === surface;
        }""",
        arg=surfaces[0],
    )
    editor_path = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    assert editor_path.startswith("seeds/") and editor_path.endswith(".txt")
    # Scrolled into view: the selection is drawn inside the visible editor.
    selection = page.locator(".jp-FileEditor:visible .cm-selectionBackground").first
    selection.wait_for()
    box, editor_box = selection.bounding_box(), page.locator(".jp-FileEditor:visible .cm-scroller").bounding_box()
    assert editor_box["y"] <= box["y"] <= editor_box["y"] + editor_box["height"]
    shot(page, "seeds-5-source-selected")
    assert not page.errors, page.errors


def test_hostile_article_text_renders_as_text(page, lab):
    notebook, view = audit_from_context_menu(page, "hostile", "hostile")
    view.locator(".jp-FigureAudit-conflict").first.click()
    # Two articles disagree: both sources are shown, each with its figure marked.
    assert view.locator(".jp-FigureAudit-source:not(.jp-mod-reference) mark").all_inner_texts() == ["at least 50", "12"]
    text = view.inner_text()
    assert "<script>window.__xss='sentence'</script>" in text
    assert "onerror=\"window.__xss='img'\"" in text
    # Nothing from the articles became markup, in the audit view or in the dashboard.
    assert view.locator("script, img").count() == 0
    notebook.locator(".vega-embed").first.wait_for()
    assert notebook.locator(".jp-OutputArea-output img[src='x'], .jp-OutputArea-output script").count() == 0
    view.locator(".jp-FigureAudit-sources").scroll_into_view_if_needed()
    shot(page, "hostile-2-rendered-as-text")
    assert page.evaluate("() => window.__xss") is None
    assert not page.errors, page.errors


def test_launcher_audits_the_current_folder_with_the_settings(lab, browser, request):
    """Settings (output folder, vague-amount convention) reach the notebook the launcher makes."""
    settings = lab["settings"] / "figure-auditor" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"outputFolder": "reviews", "vagueConvention": "acled"}), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{lab['url']}/lab/workspaces/{request.node.name}?reset&token={lab['token']}")
        page.wait_for_function("""() => window.jupyterapp && ['figure-auditor:audit', 'filebrowser:go-to-path',
            'launcher:create'].every(c => window.jupyterapp.commands.hasCommand(c))""")
        page.evaluate("""async () => {
            await window.jupyterapp.commands.execute('filebrowser:go-to-path', {path: '/hostile'});
            await window.jupyterapp.commands.execute('launcher:create');
        }""")
        card = page.locator(".jp-Launcher:visible .jp-LauncherCard", has_text="Figure Audit")
        card.wait_for()
        shot(page, "launcher-1-card")
        card.click()
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget?.context?.path === 'hostile/figure-audit-hostile.ipynb'")
        view = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output.jp-FigureAudit")
        view.wait_for()
        assert "2 articles" in view.inner_text()
        shot(page, "launcher-2-notebook-ran")
        code = "".join(
            "".join(cell["source"]) for cell in json.loads(
                (lab["root"] / "hostile" / "figure-audit-hostile.ipynb").read_text(encoding="utf-8"))["cells"])
        assert 'PATHS = ["."]' in code
        assert 'OUT_DIR = "reviews"' in code and 'set_vague_convention("acled")' in code
    finally:
        settings.unlink()
        context.close()


def test_saved_untrusted_notebook_renders_and_links_open_sources(page, lab):
    """A saved output renders with no kernel run and no trust; a figure-audit: link opens the source."""
    import nbformat

    sys.path.insert(0, str(REPO / "tests"))
    from conftest import make_dashboard_result

    from auditor import lab as auditor_lab

    result = make_dashboard_result()
    # Point the hand-made audit at files this server serves.
    corpus = lab["root"] / "corpus"
    corpus.mkdir(exist_ok=True)
    for article_id, text in result.texts.items():
        (corpus / f"{article_id}.txt").write_text(text, encoding="utf-8")
    result.articles["path"] = [str(corpus / f"{a}.txt") for a in result.articles["article_id"]]
    figure = result.figures.iloc[2]
    link = auditor_lab.source_link(corpus / f"{figure.article_id}.txt", figure.start, figure.end, figure.surface)
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell("result", outputs=[
        nbformat.v4.new_output("display_data", data=result._repr_mimebundle_())])]
    # Links in live outputs (a dashboard widget, trusted HTML) open the source in the editor.
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import html\nfrom IPython.display import HTML\n"
        f"HTML('<a href=\"' + html.escape({link!r}) + '\">open the source</a>')"))
    nbformat.write(notebook, lab["root"] / "saved.ipynb")  # unsigned: untrusted

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:open', {path: 'saved.ipynb'})")
    view = page.locator(".jp-NotebookPanel:visible .jp-FigureAudit")
    view.wait_for()
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.cells.get(0).trusted") is False
    assert view.locator(".jp-FigureAudit-row").count() == 2
    assert "<script>alert('x')</script>" in view.inner_text()
    assert view.locator("script").count() == 0
    shot(page, "saved-1-untrusted-output")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'")
    page.evaluate("""() => {
        const panel = window.jupyterapp.shell.currentWidget;
        panel.content.activeCellIndex = 1;
        return window.jupyterapp.commands.execute('notebook:run-cell');
    }""")
    page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output a", has_text="open the source").click()
    page.wait_for_function(
        """(surface) => {
            const w = window.jupyterapp.shell.currentWidget;
            if (!w || !w.context || w.context.path !== 'corpus/wire-c.txt') return false;
            const ed = w.content.editor, sel = ed.getSelection();
            return ed.model.sharedModel.getSource().slice(ed.getOffsetAt(sel.start), ed.getOffsetAt(sel.end)) === surface;
        }""",
        arg=figure.surface,
    )
    shot(page, "saved-2-link-opened-source")
    assert page.evaluate("() => window.__xss") is None


def test_figure_audit_lab_opens_a_dashboard_that_runs_itself(tmp_path, browser):
    """`figure-audit lab seeds` writes a signed dashboard notebook; opened in JupyterLab, it runs once."""
    root = tmp_path / "root"
    shutil.copytree(REPO / "seeds", root / "seeds")
    command = [str(Path(sys.executable).with_name("figure-audit")), "lab", "seeds"]
    for server in serve_jupyterlab(command, root, tmp_path / "home", logs=ARTIFACTS):
        assert (root / "figure-audit-seeds.ipynb").exists()
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{server['url']}/lab/tree/figure-audit-seeds.ipynb?reset&token={server['token']}")
            view = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output.jp-FigureAudit")
            view.wait_for()  # nobody pressed Run
            assert "5 articles" in view.inner_text()
            shot(page, "cli-lab-ran-on-open")
        finally:
            context.close()
