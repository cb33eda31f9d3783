"""Figure Auditor: audit the numbers in news reporting.

Public surface::

    load_articles(paths)        -> AuditInput (articles + read errors)
    extract_figures(article)    -> list[Figure]
    audit(paths)                -> AuditResult (.articles .figures .groups .conflicts .errors DataFrames)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load_articles", "extract_figures", "audit", "AuditResult", "Article", "Figure", "Dashboard"]

if TYPE_CHECKING:  # pragma: no cover
    from .audit import AuditResult, audit
    from .extract import extract_figures
    from .model import Article, Figure
    from .readers import load_articles

# Imported lazily so that `figure-audit --help` and worker processes start fast.
_LAZY = {
    "load_articles": ("readers", "load_articles"),
    "extract_figures": ("extract", "extract_figures"),
    "audit": ("audit", "audit"),
    "AuditResult": ("audit", "AuditResult"),
    "Article": ("model", "Article"),
    "Figure": ("model", "Figure"),
    "Dashboard": ("dashboard", "Dashboard"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'auditor' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
