"""End to end in a real JupyterLab and Debian's headless Chromium (driven by Playwright).

Right-click seeds/ -> Audit figures -> the dashboard notebook runs (one view: the dashboard) -> a
report's "open in editor" selects the span in the editor; a second click reuses the notebook. The
palette with nothing selected asks for a folder with JupyterLab's file dialog and skips node_modules
and virtual environments; a huge folder is counted and asked about first. The MIME view draws the
selected claim on a value axis with readable values. `figure-audit lab --no-browser --port N --ip
127.0.0.1` serves. Hostile article text renders as text. Screenshots (1600×1000) go to
test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from _lab_server import CHROMIUM, CHROMIUM_ARGS, lab_server, needs_chromium, serve_jupyterlab, wait_for_editor_selection

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
MIME_TYPE = "application/vnd.figure-audit+json"
TIMEOUT_MS = int(os.environ.get("E2E_TIMEOUT_MS", 180_000))
VIEWPORT = {"width": 1600, "height": 1000}
BIG_FOLDER_FILES = 2_500  # above LARGE_CORPUS_FILES (auditor/lab.py): asked about

pytestmark = needs_chromium

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
    # A repository: two articles, and tooling that must not be audited.
    repo = root / "repo"
    for name, text in {
        "news/khartoum.txt": "---\noutlet: Wire A\npublished: 2024-05-02\n---\nAt least 40 people were killed "
                             "in shelling of a market in Omdurman, medics said.\n",
        "news/omdurman.md": "---\noutlet: Wire B\npublished: 2024-05-03\n---\nThe shelling of the Omdurman market "
                            "killed 72 people, the health ministry said.\n",
        "node_modules/left-pad/CHANGELOG.md": "Fixed 12 bugs; 300 people were killed by the old parser.\n",
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/lib/docs/README.md": "About 50 tests were killed by the timeout.\n",
    }.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    big = root / "big"
    for i in range(BIG_FOLDER_FILES):
        folder = big / f"part-{i // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"a{i}.txt").write_text(f"{i} people were displaced.", encoding="utf-8")
    shutil.copytree(REPO / "examples" / "demo", root / "demo")
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
    context = browser.new_context(viewport=VIEWPORT)
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
    """Right-click ``folder`` in the file browser and choose Audit figures; return (notebook, dashboard)."""
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
    return wait_for_dashboard(page, panel_id)


def wait_for_dashboard(page, panel_id: str):
    """Wait until the dashboard notebook ``panel_id`` ran; return (notebook, dashboard widget)."""
    notebook = page.locator(f"[id='{panel_id}']")
    view = notebook.locator(".fa-wb")
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
    notebook, dashboard = audit_from_context_menu(page, "seeds", "seeds")
    assert (lab["root"] / "figure-audit-seeds.ipynb").exists()
    # One view per notebook: the dashboard, not the audit summary above it as well.
    assert notebook.locator(".jp-FigureAudit").count() == 0
    assert notebook.locator(".fa-wb").count() == 1
    shot(page, "seeds-2-dashboard")

    # A claim group's reports, each with its figure marked and a way to its source.
    dashboard.locator(".fa-wb-group").first.click()
    report = dashboard.locator(".fa-wb-detail .fa-wb-report").first
    report.wait_for()
    surface = report.locator("mark").first.inner_text()
    report.scroll_into_view_if_needed()
    shot(page, "seeds-3-group-reports")
    report.locator(".fa-wb-open").click()
    wait_for_editor_selection(page, surface)
    editor_path = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    assert editor_path.startswith("seeds/") and editor_path.endswith(".txt")
    # Scrolled into view: the selection is drawn inside the visible editor.
    selection = page.locator(".jp-FileEditor:visible .cm-selectionBackground").first
    selection.wait_for()
    box, editor_box = selection.bounding_box(), page.locator(".jp-FileEditor:visible .cm-scroller").bounding_box()
    assert editor_box["y"] <= box["y"] <= editor_box["y"] + editor_box["height"]
    shot(page, "seeds-4-source-selected")

    # Audit figures on the same folder again: the same notebook, re-run, not a new one per click.
    audit_from_context_menu(page, "seeds", "seeds-again")
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path") == "figure-audit-seeds.ipynb"
    assert sorted(p.name for p in lab["root"].glob("figure-audit-seeds*.ipynb")) == ["figure-audit-seeds.ipynb"]
    assert not page.errors, page.errors


def kernel_print(page, code: str) -> str:
    """Run ``code`` in the current notebook's kernel; return what it printed."""
    return page.evaluate(
        """async (code) => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            let out = '';
            const future = kernel.requestExecute({code, store_history: false});
            future.onIOPub = msg => { if (msg.header.msg_type === 'stream') out += msg.content.text; };
            await future.done;
            return out;
        }""",
        code,
    )


def choose_in_file_dialog(page, folder: str, prefix: str) -> None:
    """In JupyterLab's folder dialog (open now), select ``folder`` and press Select."""
    dialog = page.locator(".jp-Dialog .jp-Open-Dialog")
    dialog.wait_for()
    item = dialog.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=folder))
    item.first.wait_for()
    item.first.click()
    shot(page, f"{prefix}-1-folder-dialog")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()


def test_palette_with_nothing_selected_asks_for_a_folder_and_skips_tooling(page, lab):
    page.evaluate("() => { window.__audit = window.jupyterapp.commands.execute("
                  "'figure-auditor:audit', {isPalette: true}); }")
    choose_in_file_dialog(page, "repo", "palette")
    panel_id = page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path === 'repo/figure-audit-repo.ipynb' && w.id;
        }""").json_value()
    wait_for_dashboard(page, panel_id)
    shot(page, "palette-2-dashboard")
    code = "".join("".join(c["source"]) for c in json.loads(
        (lab["root"] / "repo" / "figure-audit-repo.ipynb").read_text(encoding="utf-8"))["cells"])
    assert 'PATHS = ["."]' in code
    # Only the two articles were read: nothing from node_modules or the virtual environment.
    read = kernel_print(page, "import json; print(json.dumps(sorted(result.articles['path'])))")
    assert json.loads(read) == ["news/khartoum.txt", "news/omdurman.md"]
    assert not page.errors, page.errors


def test_a_huge_folder_is_counted_and_asked_about_first(page, lab):
    page.evaluate("() => { window.__audit = window.jupyterapp.commands.execute("
                  "'figure-auditor:audit', {isPalette: true}); }")
    choose_in_file_dialog(page, "big", "big")
    confirm = page.locator(".jp-Dialog", has_text="Audit 2,500 files?")
    confirm.wait_for()
    assert "2,500 files to audit" in confirm.inner_text()
    shot(page, "big-2-asks-before-auditing")
    confirm.locator(".jp-Dialog-button", has_text="Cancel").click()
    assert page.evaluate("() => window.__audit") is None
    assert not list((lab["root"] / "big").glob("*.ipynb")), "cancelled: no notebook"
    assert not (lab["root"] / "big" / "audit-out").exists()
    assert not page.errors, page.errors


def test_hostile_article_text_renders_as_text(page, lab):
    notebook, dashboard = audit_from_context_menu(page, "hostile", "hostile")
    dashboard.locator(".fa-wb-group").first.click()
    dashboard.locator(".fa-wb-detail .fa-wb-report mark").first.wait_for()
    text = dashboard.inner_text()
    assert "<script>window.__xss='sentence'</script>" in text or "onerror=\"window.__xss='img'\"" in text
    # Nothing from the articles became markup.
    assert notebook.locator(".jp-OutputArea-output img[src='x'], .jp-OutputArea-output script").count() == 0
    shot(page, "hostile-2-rendered-as-text")
    assert page.evaluate("() => window.__xss") is None
    assert not page.errors, page.errors


def test_launcher_asks_for_a_folder_and_uses_the_settings(lab, browser, request):
    """Settings (output folder, vague-amount convention) reach the notebook the launcher makes."""
    settings = lab["settings"] / "figure-auditor" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"outputFolder": "reviews", "vagueConvention": "acled"}), encoding="utf-8")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{lab['url']}/lab/workspaces/{request.node.name}?reset&token={lab['token']}")
        page.wait_for_function("""() => window.jupyterapp && ['figure-auditor:audit', 'launcher:create']
            .every(c => window.jupyterapp.commands.hasCommand(c))""")
        page.evaluate("() => window.jupyterapp.commands.execute('launcher:create')")
        card = page.locator(".jp-Launcher:visible .jp-LauncherCard", has_text="Figure Audit")
        card.wait_for()
        shot(page, "launcher-1-card")
        card.click()
        choose_in_file_dialog(page, "demo", "launcher")
        panel_id = page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " return w?.context?.path === 'demo/figure-audit-demo.ipynb' && w.id; }").json_value()
        wait_for_dashboard(page, panel_id)
        shot(page, "launcher-2-dashboard")
        code = "".join("".join(cell["source"]) for cell in json.loads(
            (lab["root"] / "demo" / "figure-audit-demo.ipynb").read_text(encoding="utf-8"))["cells"])
        assert 'PATHS = ["."]' in code
        assert 'OUT_DIR = "reviews"' in code and 'set_vague_convention("acled")' in code
    finally:
        settings.unlink()
        context.close()


def test_mime_view_draws_the_claim_on_a_value_axis_with_readable_values(page, lab):
    """`result` in a notebook: the demo's market shelling (12 to 120 killed) on an axis with units."""
    import nbformat

    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell("import auditor\nauditor.audit(['demo'])")]
    nbformat.write(notebook, lab["root"] / "mime.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:open', {path: 'mime.ipynb'})")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    view = page.locator(".jp-NotebookPanel:visible .jp-FigureAudit")
    view.wait_for()
    conflict_row = view.locator(".jp-FigureAudit-row.jp-mod-conflict").first
    conflict_row.click()
    chart = view.locator(".jp-FigureAudit-groupChart")
    chart.wait_for()
    ticks = chart.locator(".jp-FigureAudit-tick").all_text_contents()
    assert len(ticks) >= 3 and ticks[0] == "0"
    assert chart.locator(".jp-FigureAudit-axisTitle").text_content().startswith("number")
    assert chart.locator(".jp-FigureAudit-report").count() >= 2
    text = view.inner_text()
    assert "NaN" not in text and "at_least" not in text and "undefined" not in text
    chart.scroll_into_view_if_needed()
    shot(page, "mime-1-value-axis")
    view.locator(".jp-FigureAudit-conflict").first.click()
    view.locator(".jp-FigureAudit-sources").scroll_into_view_if_needed()
    shot(page, "mime-2-conflict-sources")
    assert not page.errors, page.errors


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


def test_figure_audit_lab_serves_on_the_given_port_and_runs_the_dashboard(tmp_path, browser):
    """`figure-audit lab seeds --no-browser --port N --ip 127.0.0.1`: a signed dashboard notebook, served
    where asked, runs once when opened; stopping the command stops the server (no jupyter-lab left)."""
    root = tmp_path / "root"
    shutil.copytree(REPO / "seeds", root / "seeds")
    command = [str(Path(sys.executable).with_name("figure-audit")), "lab", "seeds",
               "--no-browser", "--port", "{port}", "--ip", "127.0.0.1"]
    with lab_server(command, root, tmp_path / "home", logs=ARTIFACTS) as server:
        assert (root / "figure-audit-seeds.ipynb").exists()
        log = (tmp_path / "home" / "server.log").read_text(encoding="utf-8")
        assert f"127.0.0.1:{server['url'].rsplit(':', 1)[1]}" in log
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{server['url']}/lab/tree/figure-audit-seeds.ipynb?reset&token={server['token']}")
            view = page.locator(".jp-NotebookPanel:visible .fa-wb")
            view.wait_for()  # nobody pressed Run
            shot(page, "cli-lab-ran-on-open")
        finally:
            context.close()
    assert not [line for line in _processes() if str(root) in line], "the server outlived the test"


def _processes() -> list[str]:
    """Command line and working folder of every process (to find a server left behind)."""
    rows = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            rows.append(f"{cmd} {os.readlink(proc / 'cwd')}")
        except OSError:
            continue
    return rows
