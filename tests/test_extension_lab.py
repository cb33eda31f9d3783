"""`figure-audit lab`: the dashboard notebook made from the template, and source links."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
from nbformat.sign import NotebookNotary

from auditor import lab

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(autouse=True)
def _own_jupyter_dirs(tmp_path, monkeypatch):
    """Sign notebooks in a throwaway notary, never the user's."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))


def _code(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _assigned(code: str, name: str):
    line = next(line for line in code.splitlines() if line.startswith(f"{name} = "))
    return ast.literal_eval(line.split(" = ", 1)[1].split("  #")[0])


def test_source_link_carries_path_and_span():
    link = lab.source_link("news/a & b.txt", 10, 14, surface="1,500")
    parts = urlsplit(link)
    assert parts.scheme == "figure-audit" and parts.path == "open"
    assert parse_qs(parts.query) == {"path": ["news/a & b.txt"], "start": ["10"], "end": ["14"], "surface": ["1,500"]}


def test_dashboard_notebook_audits_the_paths_relative_to_its_folder(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    notebook = lab.dashboard_notebook([corpus], tmp_path, convention="acled")
    assert notebook == tmp_path / "figure-audit-news.ipynb"
    code = _code(notebook)
    assert _assigned(code, "PATHS") == ["news"]
    assert _assigned(code, "OUT_DIR") == "audit-out"
    assert 'set_vague_convention("acled")' in code
    assert "auditor.Dashboard(result)" in code
    nb = nbformat.read(notebook, as_version=4)
    assert nb.metadata[lab.METADATA_KEY]["run_on_open"] is True
    # Signed, so JupyterLab trusts it and the extension may run it once.
    assert NotebookNotary().check_signature(nb)


def test_a_file_name_cannot_inject_code(tmp_path):
    nasty = tmp_path / 'x"]; import os; os.remove("precious") #.txt'
    nasty.write_text("Five people were killed.", encoding="utf-8")
    code = _code(lab.dashboard_notebook([nasty], tmp_path))
    assert _assigned(code, "PATHS") == [nasty.name]
    assert "\nimport os" not in code


def test_unchanged_dashboard_is_reused_an_edited_one_is_kept(tmp_path):
    (tmp_path / "news").mkdir()
    first = lab.dashboard_notebook([tmp_path / "news"], tmp_path)
    assert lab.dashboard_notebook([tmp_path / "news"], tmp_path) == first
    nb = nbformat.read(first, as_version=4)
    nb.cells[1].source += "\nprint('my analysis')"
    nbformat.write(nb, first)
    second = lab.dashboard_notebook([tmp_path / "news"], tmp_path)
    assert second == tmp_path / "figure-audit-news-1.ipynb"
    assert "my analysis" in first.read_text(encoding="utf-8")


def test_open_lab_makes_the_dashboard_and_launches_on_it(tmp_path, monkeypatch):
    (tmp_path / "seeds").mkdir()
    monkeypatch.chdir(tmp_path)
    launched = []
    monkeypatch.setattr(lab, "_launch", lambda notebook: launched.append(notebook) or 0)
    assert lab.open_lab() == 0  # default: seeds/
    assert launched == [tmp_path / "figure-audit-seeds.ipynb"]
    assert lab.open_lab(tmp_path / "figure-audit-seeds.ipynb") == 0  # a notebook opens as it is
    assert launched[-1] == tmp_path / "figure-audit-seeds.ipynb"


def test_open_lab_names_a_missing_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lab, "_launch", lambda notebook: pytest.fail("must not launch"))
    assert lab.open_lab(tmp_path / "nowhere") == 2
    assert "nowhere" in capsys.readouterr().err


def test_cli_lab_goes_through_open_lab(tmp_path, monkeypatch):
    from auditor.cli import main

    (tmp_path / "news").mkdir()
    monkeypatch.chdir(tmp_path)
    launched = []
    monkeypatch.setattr(lab, "_launch", lambda notebook: launched.append(notebook) or 0)
    assert main(["lab", "news"]) == 0
    assert launched == [tmp_path / "figure-audit-news.ipynb"]


def test_template_notebook_runs_the_audit_and_dashboard(tmp_path):
    """The dashboard notebook executes headless on the seeds and shows the audit."""
    from nbclient import NotebookClient

    notebook = lab.dashboard_notebook([SEEDS], tmp_path)
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    audit_cell, dashboard_cell = [c for c in nb.cells if c.cell_type == "code"]
    (display,) = [o for o in audit_cell.outputs if o.output_type == "execute_result"]
    payload = display.data["application/vnd.figure-audit+json"]
    assert payload["summary"]["articles"] == len(list(SEEDS.glob("*.txt")))
    assert payload["summary"]["figures"] > 0
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in dashboard_cell.outputs)
    json.dumps(payload, allow_nan=False)
