"""Figure Auditor: audit the numbers in news reporting.

Public surface::

    load_articles(paths)        -> AuditInput (articles + read errors)
    extract_figures(article)    -> list[Figure]
    audit(paths)                -> AuditResult (.articles .figures .groups .conflicts .errors DataFrames)
    open_audit(out_dir)         -> OpenedAudit (a written audit; figures read one claim group at a time)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load_articles", "extract_figures", "audit", "AuditResult", "Article", "Figure", "Dashboard",
           "open_audit", "OpenedAudit"]

if TYPE_CHECKING:  # pragma: no cover
    from .extract import extract_figures
    from .model import Article, Figure
    from .readers import load_articles

# The function `audit` shares its name with the module `auditor.audit`. Importing it here,
# eagerly, binds the package attribute to the function once and for all; a lazy binding would
# be overwritten by the module the first time anything imports `auditor.audit`.
from .audit import AuditResult, audit  # noqa: E402

# Imported lazily so that worker processes and the command line start fast.
_LAZY = {
    "load_articles": ("readers", "load_articles"),
    "extract_figures": ("extract", "extract_figures"),
    "Article": ("model", "Article"),
    "Figure": ("model", "Figure"),
    "Dashboard": ("dashboard", "Dashboard"),
    "open_audit": ("opened", "open_audit"),
    "OpenedAudit": ("opened", "OpenedAudit"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'auditor' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
