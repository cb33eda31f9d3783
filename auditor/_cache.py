"""A per-user disk cache for indexes derived from package data (built once, loaded fast)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import os
import pickle
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Literal, TypeVar

from ._processes import running

log = logging.getLogger(__name__)
T = TypeVar("T")

# A marshal file starts with this tag and the CRC-32 of the rest: marshal reads some damage as other data.
_MARSHAL_TAG = b"FAM1"

# A file being written: ``.<name>.<writer pid>.<random>.tmp`` (``.<name>-<random>`` before the pid was
# put in the name). One a killed writer left is removed by the next process using the folder.
_TEMP_NAME = re.compile(r"\.\w+(?:\.(?P<pid>\d+)\.\w+\.tmp|-\w{8})")
# A temporary file this old is a leftover whatever its pid says (a write takes well under a second).
_STALE_SECONDS = 60.0
_swept: set[Path] = set()  # folders this process has looked at for leftovers


def cache_dir() -> Path:
    """``$FIGURE_AUDITOR_CACHE``, else ``$XDG_CACHE_HOME/figure-auditor``, else ``~/.cache/figure-auditor``."""
    root = os.environ.get("FIGURE_AUDITOR_CACHE") or os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(root).expanduser() / "figure-auditor"


def _dumps(data: object, codec: str) -> bytes:
    if codec == "pickle":
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    body = marshal.dumps(data)
    return _MARSHAL_TAG + zlib.crc32(body).to_bytes(4, "little") + body


def _loads(raw: bytes, codec: str) -> object:
    if codec == "pickle":
        return pickle.loads(raw)
    body = memoryview(raw)[8:]
    if raw[:4] != _MARSHAL_TAG or zlib.crc32(body) != int.from_bytes(raw[4:8], "little"):
        raise ValueError("damaged file (checksum)")
    return marshal.loads(body)


def cached(name: str, depends_on: Iterable[str | bytes], build: Callable[[], T],
           codec: Literal["pickle", "marshal"] = "pickle",
           building: Callable[[], AbstractContextManager[object]] | None = None,
           build_elsewhere: Callable[[], bool] | None = None) -> T:
    """Load ``name`` from the cache, or ``build()`` it and store it.

    The file is named after a digest of everything the index depends on, so a change to the
    data, the code or a library version builds a new one. Writes are atomic; a damaged file
    is rebuilt; an unwritable cache folder only costs the rebuild next time. ``codec="marshal"``
    stores plain data only (str, bytes, numbers, tuples, lists, dicts, sets) and loads it several
    times faster than pickle; the file is then also keyed by the Python version (marshal's format
    is one version's) and checked by a checksum. ``building()``, when given, is entered around a
    build and its store (a lock: processes that wait on it then load what the first one stored).
    ``build_elsewhere()``, when given and the cache folder can be written, is asked first to build
    and store the entry in another process (True when it says it did): what a big build takes is then
    given back when that process ends, not held by this one for the rest of its life; this process
    loads what it stored, and builds the entry itself only when that failed.
    """
    digest = hashlib.sha256()
    if codec == "marshal":
        digest.update(f"marshal:{marshal.version}:{sys.version_info[:2]}:{sys.byteorder}".encode())
    for part in depends_on:
        digest.update(part.encode() if isinstance(part, str) else part)
    path = cache_dir() / f"{name}-{digest.hexdigest()[:16]}.{codec}"
    _remove_leftovers(path.parent)
    found = _stored(path, codec, warn=True)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    with building() if building is not None else contextlib.nullcontext():
        if building is not None:  # another process may have stored it while this one waited
            found = _stored(path, codec, warn=False)
            if found is not _MISSING:
                return found  # type: ignore[return-value]
        if build_elsewhere is not None and _writable(path.parent) and build_elsewhere():
            found = _stored(path, codec, warn=True)
            if found is not _MISSING:
                return found  # type: ignore[return-value]
        data = build()
        _store(path, name, data, codec)
    return data


def _writable(folder: Path) -> bool:
    """Whether files can be made in ``folder`` (made if missing): where they cannot, an entry built in
    another process could not be handed over."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


_MISSING = object()


def _stored(path: Path, codec: str, warn: bool) -> object:
    """What ``path`` holds, or ``_MISSING`` (no file, or a damaged one: said once, with ``warn``)."""
    try:
        with path.open("rb") as handle:
            return _loads(handle.read(), codec)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
        if warn:
            log.warning("rebuilding cache %s: %s", path, exc)
    return _MISSING


def _store(path: Path, name: str, data: object, codec: str) -> None:
    """Write ``data`` to ``path`` atomically and remove the older files of ``name``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.{os.getpid()}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(_dumps(data, codec))
        os.replace(tmp, path)
        for stale in path.parent.glob(f"{name}-*"):
            if stale != path and stale.suffix in (".pickle", ".marshal"):
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not write cache %s: %s", path, exc)


def _remove_leftovers(folder: Path) -> None:
    """Remove, once per process, the temporary files killed writers left in ``folder``: those whose
    writer process is gone or older than :data:`_STALE_SECONDS`; a live run's file in flight stays."""
    if folder in _swept:
        return
    _swept.add(folder)
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(".")]
    except OSError:  # no folder yet, or not readable: nothing of ours to remove
        return
    now = time.time()
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > _STALE_SECONDS
            if old or (match["pid"] is not None and not _writer_running(int(match["pid"]))):
                os.unlink(entry.path)
        except OSError:  # gone meanwhile (another process swept it, or its writer renamed it)
            pass


def _writer_running(pid: int) -> bool:
    return pid == os.getpid() or running(pid)
