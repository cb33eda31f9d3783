"""Every notebook in notebooks/ runs top to bottom in a headless kernel of this Python."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = "figure-auditor-tests"


@pytest.fixture
def kernel_of_this_python(tmp_path, monkeypatch):
    """A kernel spec running this interpreter, found first whatever else is installed."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Figure Auditor tests", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(notebook, kernel_of_this_python, tmp_path, monkeypatch):
    monkeypatch.setenv("FIGURE_AUDIT_OUT", str(tmp_path / "out"))
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name=kernel_of_this_python,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert errors == []
    # The dashboard cell displays a live widget, not a text fallback.
    widget_views = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
                    if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert widget_views
    # Nothing was written into the repository: outputs went to FIGURE_AUDIT_OUT.
    assert (tmp_path / "out").is_dir()


def test_the_tutorial_records_a_decision_that_a_re_run_brings_back(kernel_of_this_python, tmp_path, monkeypatch):
    from auditor.review import ReviewStore

    monkeypatch.setenv("FIGURE_AUDIT_OUT", str(tmp_path / "out"))
    nb = nbformat.read(NOTEBOOKS / "tutorial.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name=kernel_of_this_python,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    decisions = ReviewStore(tmp_path / "out").group_decisions()
    # The claim the demo opens on, confirmed as a whole with one note; the re-run shows it on its pairs.
    assert list(decisions["decision"]) == ["confirmed"]
    conflicts = (tmp_path / "out" / "conflicts.csv").read_text()
    assert "confirmed" in conflicts and "count different things" in conflicts
    assert (tmp_path / "out" / "report.html").exists()


def test_the_tutorial_opens_on_a_casualty_disagreement(kernel_of_this_python, tmp_path, monkeypatch):
    """The first screen of the tutorial: a conflict about people killed, reported by several outlets."""
    monkeypatch.setenv("FIGURE_AUDIT_OUT", str(tmp_path / "out"))
    nb = nbformat.read(NOTEBOOKS / "tutorial.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name=kernel_of_this_python,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    (table,) = [out for cell in nb.cells if "value_text" in cell.source and "outlier" in cell.source
                for out in cell.outputs if "text/plain" in out.get("data", {})]
    shown = table["data"]["text/plain"]
    (first,) = [out for cell in nb.cells if cell.source.startswith("group_id = dashboard.selected_group")
                for out in cell.outputs if "text/plain" in out.get("data", {})]
    # The workbench opened on a disagreement about people killed or wounded in the demo's events,
    # reported by at least two outlets with values that cannot both hold.
    import re

    outlets = set(re.findall(r"Nile Wire|Sahel Post|East Africa Daily|Darfur Monitor|Khartoum Courier", shown))
    assert len(outlets) >= 2, shown
    (label,) = [out for cell in nb.cells if cell.source.startswith("print(dashboard.rows")
                for out in cell.outputs if out.get("output_type") == "stream"]
    assert re.search(r"(killed|wounded) · .*(Mellit|El Obeid)", label["text"]) and "conflict" in label["text"]
