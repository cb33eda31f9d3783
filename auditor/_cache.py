"""A per-user disk cache for indexes derived from package data (built once, loaded fast)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_dir() -> Path:
    """``$FIGURE_AUDITOR_CACHE``, else ``$XDG_CACHE_HOME/figure-auditor``, else ``~/.cache/figure-auditor``."""
    root = os.environ.get("FIGURE_AUDITOR_CACHE") or os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(root).expanduser() / "figure-auditor"


def cached(name: str, depends_on: Iterable[str | bytes], build: Callable[[], T]) -> T:
    """Load ``name`` from the cache, or ``build()`` it and store it.

    The file is named after a digest of everything the index depends on, so a change to the
    data, the code or a library version builds a new one. Writes are atomic; a damaged file
    is rebuilt; an unwritable cache folder only costs the rebuild next time.
    """
    digest = hashlib.sha256()
    for part in depends_on:
        digest.update(part.encode() if isinstance(part, str) else part)
    path = cache_dir() / f"{name}-{digest.hexdigest()[:16]}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
        log.warning("rebuilding cache %s: %s", path, exc)
    data = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        for stale in path.parent.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not write cache %s: %s", path, exc)
    return data
