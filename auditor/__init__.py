"""Figure Auditor: audit the numbers in news reporting.

Public surface::

    load_articles(paths)        -> AuditInput (articles + read errors)
    extract_figures(article)    -> list[Figure]
    audit(paths)                -> AuditResult (.articles .figures .groups .conflicts .errors DataFrames)
    open_audit(out_dir)         -> OpenedAudit (a written audit; figures read one claim group at a time)

Every name is imported when first used (PEP 562), so ``import auditor`` and the command line start
without pandas, pyarrow or numpy.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load_articles", "extract_figures", "audit", "AuditResult", "Article", "Figure", "Dashboard",
           "open_audit", "OpenedAudit"]

if TYPE_CHECKING:  # pragma: no cover
    from .audit import AuditResult, audit
    from .dashboard import Dashboard
    from .extract import extract_figures
    from .model import Article, Figure
    from .opened import OpenedAudit, open_audit
    from .readers import load_articles

_LAZY = {
    "load_articles": ("readers", "load_articles"),
    "extract_figures": ("extract", "extract_figures"),
    "audit": ("audit", "audit"),
    "AuditResult": ("audit", "AuditResult"),
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


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package module: ``auditor.audit`` stays the function ``audit``.

    The function shares its name with the module ``auditor.audit``; importing that module (which the
    first use of ``auditor.audit`` or any ``from auditor.audit import ...`` does) makes the import
    system set the package attribute to the module. The function is bound instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "audit" and isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.audit":
            value = value.audit
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
