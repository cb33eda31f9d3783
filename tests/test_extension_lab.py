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
    monkeypatch.setattr(lab, "_launch", lambda notebook, options=(): launched.append(notebook) or 0)
    assert lab.open_lab() == 0  # default: seeds/
    assert launched == [tmp_path / "figure-audit-seeds.ipynb"]
    assert lab.open_lab(tmp_path / "figure-audit-seeds.ipynb") == 0  # a notebook opens as it is
    assert launched[-1] == tmp_path / "figure-audit-seeds.ipynb"


def test_open_lab_names_a_missing_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lab, "_launch", lambda notebook, options=(): pytest.fail("must not launch"))
    assert lab.open_lab(tmp_path / "nowhere") == 2
    assert "nowhere" in capsys.readouterr().err


def test_cli_lab_goes_through_open_lab(tmp_path, monkeypatch):
    from auditor.cli import main

    (tmp_path / "news").mkdir()
    monkeypatch.chdir(tmp_path)
    launched = []
    monkeypatch.setattr(lab, "_launch", lambda notebook, options=(): launched.append(notebook) or 0)
    assert main(["lab", "news"]) == 0
    assert launched == [tmp_path / "figure-audit-news.ipynb"]


def test_cli_lab_passes_port_ip_and_no_browser_to_jupyter_lab(tmp_path, monkeypatch):
    from auditor.cli import main

    (tmp_path / "news").mkdir()
    monkeypatch.chdir(tmp_path)
    launched = []
    monkeypatch.setattr(lab, "_launch", lambda notebook, options=(): launched.append(list(options)) or 0)
    assert main(["lab", "news", "--port", "8899", "--ip", "127.0.0.1", "--no-browser"]) == 0
    assert launched == [["--port=8899", "--ip=127.0.0.1", "--no-browser"]]
    assert main(["lab", "news"]) == 0
    assert launched[-1] == []  # jupyter lab's own defaults


def test_launch_replaces_the_process_so_stopping_it_stops_jupyterlab(tmp_path, monkeypatch):
    """`figure-audit lab` must not leave a server behind when it is stopped: it *becomes* jupyter lab."""
    calls = []
    monkeypatch.setattr(lab.os, "execv", lambda exe, argv: calls.append(argv))
    monkeypatch.setattr(lab.subprocess, "call", lambda argv: pytest.fail("a child server would outlive us"))
    monkeypatch.chdir(tmp_path)
    lab._launch(tmp_path / "x.ipynb", ["--port=9000", "--no-browser"])
    (argv,) = calls
    assert argv[1:5] == ["-m", "jupyterlab", "--port=9000", "--no-browser"] and argv[-1] == "x.ipynb"


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("At least 12 people were killed in the shelling of the market.", encoding="utf-8")


def test_audit_from_lab_skips_tooling_hidden_folders_and_environments(tmp_path, monkeypatch):
    """A repository root: only the reporting is read, not node_modules changelogs or a venv's docs."""
    import auditor

    _tree(tmp_path, [
        "news/sudan.txt", "news/2024/gaza.md",
        "node_modules/left-pad/CHANGELOG.md", "web/node_modules/x/README.md",
        ".venv/lib/python3.12/site-packages/pkg/README.md", "env/pyvenv.cfg", "env/docs/notes.txt",
        "conda/conda-meta/history.txt", "lib/site-packages/a.txt", ".git/COMMIT_EDITMSG.txt",
        "src/__pycache__/x.txt", "venv/readme.txt",
    ])
    (tmp_path / "src" / "tool.py").write_text("print('at least 40 killed')", encoding="utf-8")
    skipped = {p.relative_to(tmp_path).as_posix() for p in lab.skipped_folders([tmp_path])}
    assert skipped == {"node_modules", "web/node_modules", "env", "conda", "lib/site-packages",
                       "src/__pycache__", "venv", ".git", ".venv"}
    monkeypatch.chdir(tmp_path)
    result = auditor.audit(["."], reading=lab.reading_options(["."]))
    assert sorted(Path(p).as_posix() for p in result.articles["path"]) == ["news/2024/gaza.md", "news/sudan.txt"]
    assert not any("node_modules" in str(e) or "env" in str(e) for e in result.errors["path"])


def test_corpus_rules_are_what_the_extension_counts_with():
    rules = lab.corpus_rules()
    assert ".txt" in rules["supported_suffixes"] and ".py" not in rules["supported_suffixes"]
    assert "node_modules" in rules["skipped_folder_names"] and "pyvenv.cfg" in rules["environment_markers"]
    assert 1000 <= rules["large_corpus_files"] <= 5000


def test_template_notebook_runs_the_audit_and_dashboard(tmp_path):
    """The dashboard notebook executes headless on the seeds and shows the audit."""
    from nbclient import NotebookClient

    notebook = lab.dashboard_notebook([SEEDS], tmp_path)
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    audit_cell, dashboard_cell = [c for c in nb.cells if c.cell_type == "code"]
    # One view per notebook: the dashboard, not the audit's summary view above it as well.
    assert not [o for o in audit_cell.outputs if o.output_type in ("execute_result", "display_data", "error")]
    bundles = [o.get("data", {}) for o in dashboard_cell.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in data for data in bundles)
    assert not any("application/vnd.figure-audit+json" in data for data in bundles)
    json.dumps(nb, allow_nan=False)


FAKE_LAUNCHER = """
import http.server, subprocess, sys, json, os
# Like `figure-audit lab` on a system without exec: a launcher with a child that outlives it if asked nicely.
child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
open(sys.argv[2], "w").write(str(child.pid))
class Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Status).serve_forever()
"""


def test_browser_test_servers_are_stopped_with_their_children_even_when_the_test_fails(tmp_path):
    """tests/_lab_server.py stops the launcher and everything it started, on failure too (issue 11, item 12)."""
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _lab_server import lab_server

    script, pid_file = tmp_path / "launcher.py", tmp_path / "child.pid"
    script.write_text(FAKE_LAUNCHER, encoding="utf-8")
    command = [sys.executable, str(script), "{port}", str(pid_file)]
    with pytest.raises(RuntimeError), lab_server(command, tmp_path, tmp_path / "home"):
        raise RuntimeError("the test failed")
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "a child of the launcher outlived the failed test"


def _alive(pid: int) -> bool:

    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie is dead, waiting for its parent
    except OSError:
        return False
