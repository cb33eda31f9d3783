"""JupyterLab side of Figure Auditor: dashboard notebooks and links back to the source.

``figure-audit lab [PATH]`` writes a dashboard notebook for PATH from
``templates/dashboard.ipynb`` (the same template the extension's "Audit figures"
command fills) and opens JupyterLab on it; the extension runs it once when it opens.

An audit started from JupyterLab reads a folder the way a person means it: hidden
folders, ``node_modules``, virtual environments and caches are skipped
(:func:`reading_options`); the extension counts files with the same rules
(:func:`corpus_rules`, copied into ``extension/src/columns.json``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:  # pragma: no cover
    from .readers import ReadOptions

TEMPLATE = Path(__file__).parent / "templates" / "dashboard.ipynb"
OPENED_TEMPLATE = Path(__file__).parent / "templates" / "opened.ipynb"  # opens a written audit
DEFAULT_OUT_DIR = "audit-out"
# Notebook metadata the extension reads: {"run_on_open": true} runs a trusted notebook once.
METADATA_KEY = "figure_audit"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")

# Folders an audit started from JupyterLab never enters: tooling, not reporting.  Hidden
# folders (".git", ".venv", ".ipynb_checkpoints") are skipped by their leading dot.
SKIPPED_FOLDER_NAMES: tuple[str, ...] = (
    "node_modules", "site-packages", "dist-packages", "__pycache__", "venv", "bower_components",
)
# A folder holding one of these is a Python or conda environment, whatever its name ("env").
ENVIRONMENT_MARKERS: tuple[str, ...] = ("pyvenv.cfg", "conda-meta")
# Above this many files the extension asks before auditing.
LARGE_CORPUS_FILES = 2000
# The tables that show a folder is an output folder to the extension, which cannot see the hidden
# ``.figure-audit/``: a figures table (what open_audit reads) beside a groups table of the same format.
OUTPUT_TABLES: tuple[tuple[str, str], ...] = (("figures.parquet", "groups.parquet"), ("figures.csv", "groups.csv"))


def source_link(path: str | os.PathLike[str], start: int, end: int, surface: str = "") -> str:
    """A ``figure-audit:open?…`` link: in JupyterLab, clicking it opens ``path`` in the editor
    with characters ``start:end`` (Python offsets) selected.

    Put it in an ``<a href>`` of any output (escape it with :func:`html.escape`), or dispatch a
    bubbling ``figure-audit:open`` DOM event with ``{path, start, end, surface}`` as its detail.
    ``path`` is absolute, or relative to the notebook's folder.
    """
    query = {"path": os.fspath(path), "start": int(start), "end": int(end)}
    if surface:
        query["surface"] = surface
    return "figure-audit:open?" + urlencode(query)


def dashboard_notebook(
    paths: Sequence[str | os.PathLike[str]],
    folder: str | os.PathLike[str] = ".",
    *,
    out_dir: str = DEFAULT_OUT_DIR,
    convention: str = "default",
) -> Path:
    """Write a dashboard notebook auditing ``paths`` into ``folder`` and return its path.

    Paths inside ``folder`` are written relative to it (the kernel runs there). An existing,
    unchanged dashboard for the same paths is reused rather than duplicated. The notebook is
    signed as trusted, and marked to be run once by the extension when it opens.
    """
    folder = Path(folder).resolve()
    relative = [_relative(Path(p), folder) for p in paths]
    cells = _filled_cells(TEMPLATE, {"paths": relative, "out_dir": out_dir, "convention": convention})
    stem = "figure-audit" + (f"-{_slug(Path(relative[0]).stem or Path(relative[0]).resolve().name)}"
                             if len(relative) == 1 else "")
    return _write_notebook(folder, stem, cells, {"run_on_open": True, "paths": relative})


def opened_notebook(out_dir: str | os.PathLike[str], folder: str | os.PathLike[str] = ".") -> Path:
    """Write a notebook that opens the audit written into ``out_dir`` (:func:`auditor.open_audit`) and
    shows its workbench, into ``folder``; return its path. Nothing is audited again: a big audit opens
    in seconds, reading one claim group's reports at a time. Reused and signed as :func:`dashboard_notebook`.
    """
    folder = Path(folder).resolve()
    relative = _relative(Path(out_dir), folder)
    cells = _filled_cells(OPENED_TEMPLATE, {"out_dir": relative})
    stem = f"figure-audit-open-{_slug(Path(relative).name or Path(relative).resolve().name)}"
    return _write_notebook(folder, stem, cells, {"run_on_open": True, "out_dir": relative})


def is_output_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an output folder of ``figure-audit run`` (it holds ``.figure-audit/``)."""
    from .readers import OUTPUT_MARKER

    return os.path.isdir(os.path.join(path, OUTPUT_MARKER))


def _write_notebook(folder: Path, stem: str, cells: list[dict[str, Any]], metadata: dict[str, Any]) -> Path:
    """``folder/<stem>.ipynb`` holding ``cells`` (an unchanged one is reused; else ``<stem>-N``), signed."""
    import nbformat
    from nbformat.sign import NotebookNotary

    target = folder / f"{stem}.ipynb"
    n = 0
    while target.exists() and not _is_unchanged_dashboard(target, cells):
        n += 1
        target = folder / f"{stem}-{n}.ipynb"
    notebook = nbformat.from_dict(json.loads(TEMPLATE.read_text(encoding="utf-8")))
    notebook.cells = [nbformat.from_dict(cell) for cell in cells]
    notebook.metadata[METADATA_KEY] = metadata
    nbformat.validate(notebook)
    NotebookNotary().sign(notebook)
    from .export import atomic_write_text

    atomic_write_text(target, nbformat.writes(notebook))
    return target


def is_skipped_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether an audit started from JupyterLab skips ``folder`` (hidden, tooling, an environment)."""
    name = os.path.basename(os.path.normpath(folder))
    if name.startswith(".") and name not in (".", ".."):
        return True
    if name in SKIPPED_FOLDER_NAMES:
        return True
    return any(os.path.exists(os.path.join(folder, marker)) for marker in ENVIRONMENT_MARKERS)


def skipped_folders(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The folders under ``paths`` that :func:`is_skipped_folder` skips (not descending into them)."""
    found: list[Path] = []
    for root in paths:
        if not os.path.isdir(root):
            continue
        for folder, subfolders, _files in os.walk(root):
            kept = []
            for name in sorted(subfolders):
                path = os.path.join(folder, name)
                if os.path.islink(path):
                    continue  # the reader decides about links
                if is_skipped_folder(path):
                    found.append(Path(path))
                else:
                    kept.append(name)
            subfolders[:] = kept
    return found


def reading_options(paths: Sequence[str | os.PathLike[str]], **options: Any) -> ReadOptions:
    """:class:`~auditor.readers.ReadOptions` that skip the folders of :func:`skipped_folders`.

    ``auditor.audit(PATHS, reading=reading_options(PATHS))`` is how the dashboard notebook
    audits a folder: a repository's ``node_modules`` changelogs or a virtual environment's
    package docs are not reporting.
    """
    from .readers import ReadOptions  # noqa: F811 - at run time, not only for type checkers

    exclude = tuple(options.pop("exclude", ())) + tuple(skipped_folders(paths))
    return ReadOptions(exclude=exclude, **options)


def corpus_rules() -> dict[str, Any]:
    """The rules the extension counts files with, as JSON (extension/src/columns.json)."""
    from .readers import SUPPORTED_SUFFIXES

    return {
        "supported_suffixes": list(SUPPORTED_SUFFIXES),
        "skipped_folder_names": list(SKIPPED_FOLDER_NAMES),
        "environment_markers": list(ENVIRONMENT_MARKERS),
        "large_corpus_files": LARGE_CORPUS_FILES,
        "output_tables": [list(pair) for pair in OUTPUT_TABLES],
    }


def lab_options(port: int | None = None, ip: str | None = None, no_browser: bool = False) -> list[str]:
    """``jupyter lab`` options for ``figure-audit lab --port/--ip/--no-browser``."""
    options = []
    if port is not None:
        options.append(f"--port={int(port)}")
    if ip is not None:
        options.append(f"--ip={ip}")
    if no_browser:
        options.append("--no-browser")
    return options


def open_lab(
    path: str | os.PathLike[str] | None = None,
    *,
    port: int | None = None,
    ip: str | None = None,
    no_browser: bool = False,
) -> int:
    """Open JupyterLab (in the current folder) on a dashboard notebook for ``path``.

    ``path`` is a folder or file to audit (default ``seeds/`` when present), the output folder
    of an earlier ``figure-audit run`` (opened with :func:`auditor.open_audit`, not audited
    again), or an existing notebook to open as it is. ``port``, ``ip`` and ``no_browser`` are
    passed to ``jupyter lab``.
    Returns JupyterLab's exit status; 2 when ``path`` does not exist.
    """
    options = lab_options(port, ip, no_browser)
    if path is None:
        path = Path("seeds") if Path("seeds").is_dir() else None
    if path is None:
        print("figure-audit: no seeds/ here; opening JupyterLab (use Audit figures on a folder)", file=sys.stderr)
        return _launch(None, options)
    path = Path(path)
    if not path.exists():
        print(f"figure-audit: no such file or folder: {path}", file=sys.stderr)
        return 2
    if path.suffix == ".ipynb":
        notebook = path
    elif is_output_folder(path):  # an audit already written: opened, not audited again
        notebook = opened_notebook(path, Path.cwd())
    else:
        notebook = dashboard_notebook([path], Path.cwd())
    print(f"figure-audit: opening {notebook}", file=sys.stderr)
    return _launch(notebook, options)


def _launch(notebook: Path | None, options: Sequence[str] = ()) -> int:
    """Run ``jupyter lab`` in the current folder, opening ``notebook`` when given.

    On POSIX JupyterLab replaces this process, so whoever stops ``figure-audit lab`` (Ctrl-C,
    a signal to its pid) stops the server itself: no orphaned server is left behind.
    """
    command = [sys.executable, "-m", "jupyterlab", *options]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers run as root; the user asked for this server
    if notebook is not None:
        command.append(str(_relative(notebook, Path.cwd())))
    if os.name != "posix":
        return subprocess.call(command)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)  # does not return
    return 0


def _filled_cells(template: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells of ``template`` with its ``{{ name }}`` placeholders as Python literals of ``values``.

    JSON strings and lists are valid Python literals, so no file name can inject code;
    the extension's ``fillTemplate`` (extension/src/model.ts) does the same.
    """
    literals = {name: json.dumps(value) for name, value in values.items()}
    cells = []
    for cell in json.loads(template.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell = {**cell, "source": _PLACEHOLDER.sub(lambda m: literals.get(m.group(1), m.group(0)), source)}
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
        cells.append(cell)
    return cells


def _is_unchanged_dashboard(notebook: Path, cells: list[dict[str, Any]]) -> bool:
    """Whether ``notebook`` holds exactly these cells' sources (our own, unedited dashboard)."""
    try:
        existing = json.loads(notebook.read_text(encoding="utf-8"))
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in existing["cells"]]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return sources == [c["source"] for c in cells]


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when inside it (POSIX separators), else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(folder.resolve()).as_posix() or "."
    except ValueError:
        return str(resolved)


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)[:60] or "folder"


__all__ = ["corpus_rules", "dashboard_notebook", "is_output_folder", "is_skipped_folder", "open_lab",
           "opened_notebook", "reading_options", "skipped_folders", "source_link"]
