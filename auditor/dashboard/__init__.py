"""The notebook dashboard: ``Dashboard(result)`` and ``audit_with_progress(paths, ...)``.

Both are imported when first used (PEP 562): ``report.html`` reads the workbench's data and page
assets from this package without importing the widget libraries (ipywidgets, anywidget, IPython).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ._dashboard import Dashboard
    from ._export import audit_with_progress

_LAZY = {"Dashboard": "_dashboard", "audit_with_progress": "_export"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["Dashboard", "audit_with_progress"]
