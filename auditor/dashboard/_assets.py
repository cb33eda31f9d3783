"""The workbench's page assets (its JavaScript and CSS), shared by the widget and ``report.html``."""

from __future__ import annotations

from importlib.resources import files


def _asset(name: str) -> str:
    return files("auditor.dashboard").joinpath(name).read_text(encoding="utf-8")


def workbench_script() -> str:
    """The workbench's JavaScript (no module syntax): defines ``figureAuditWorkbench(el, host)``."""
    return _asset("_workbench.js")


def workbench_style() -> str:
    return _asset("_workbench.css")
