"""The notebook dashboard: ``Dashboard(result)`` and ``audit_with_progress(paths, ...)``."""

from ._dashboard import Dashboard
from ._export import audit_with_progress

__all__ = ["Dashboard", "audit_with_progress"]
