"""The JupyterLab extension as installed: enabled with no extra step, and its TypeScript unit tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXTENSION = REPO / "extension"


def test_labextension_is_installed_and_enabled():
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, check=True,
    )
    lines = [line for line in (listing.stdout + listing.stderr).splitlines() if "figure-auditor" in line]
    assert lines, listing.stdout + listing.stderr
    assert "enabled" in lines[0] and "OK" in lines[0]


def test_installed_labextension_declares_the_settings_schema():
    from jupyter_core.paths import jupyter_path

    folders = [Path(p) / "figure-auditor" for p in jupyter_path("labextensions")]
    installed = next(f for f in folders if (f / "package.json").exists())
    meta = json.loads((installed / "package.json").read_text(encoding="utf-8"))
    assert (installed / meta["jupyterlab"]["_build"]["load"]).exists()
    schema = json.loads((installed / "schemas" / "figure-auditor" / "plugin.json").read_text(encoding="utf-8"))
    assert schema["properties"]["outputFolder"]["default"] == "audit-out"
    assert schema["properties"]["vagueConvention"]["enum"] == ["default", "acled"]


@pytest.mark.skipif(not (REPO / "auditor" / "labextension" / "package.json").exists(),
                    reason="the extension is not built in this checkout")
def test_installed_labextension_is_the_one_built_here():
    """After `npm run build` the installed copy must follow, or JupyterLab serves the old bundle."""
    from jupyter_core.paths import jupyter_path

    folders = [Path(p) / "figure-auditor" for p in jupyter_path("labextensions")]
    installed = next(f for f in folders if (f / "package.json").exists())
    built = json.loads((REPO / "auditor" / "labextension" / "package.json").read_text(encoding="utf-8"))
    served = json.loads((installed / "package.json").read_text(encoding="utf-8"))
    assert served["jupyterlab"]["_build"] == built["jupyterlab"]["_build"], (
        f"{installed} is stale: `make install` (or copy auditor/labextension there)")


@pytest.mark.skipif(not (EXTENSION / "node_modules").is_dir() or not shutil.which("npm"),
                    reason="extension/node_modules is missing: `pip install -e .` (make install) runs npm install")
def test_typescript_unit_tests_pass():
    run = subprocess.run(["npm", "test", "--silent"], cwd=EXTENSION, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    summary = run.stderr.split("Tests:")[-1].splitlines()[0]
    assert "passed" in summary and "failed" not in summary, summary
