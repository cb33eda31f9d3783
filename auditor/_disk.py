"""Will a run's files fit on their disks? An estimate from the size of the text, checked before the run.

A run writes three kinds of files, each growing with the corpus: temporary files (the figures and
articles spilled to disk, the claims tasks' batches and runs: in the system's temporary folder, which
``TMPDIR`` moves), the output tables (in ``--out``, next to the previous set until the new one is
complete) and the per-article cache. A disk that fills stops the run at the end, its work lost; so
the run warns first when a disk has less free space than the estimate. The factors are what runs of the
dense generated wire corpus (``benchmarks/make_corpus.py``: ~6,500 figures per MB of text; real prose
holds fewer) wrote per byte of input text, so they err on the side of warning.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Bytes written per byte of input text (measured: 100 MB of JSON Lines, --jobs 2: 650 MB of temporary
# files at their peak, 420 MB of CSV; 1.05 GB: 2.1 GB of cache; 5 MB: Parquet 0.85x, CSV 3.66x)
TEMPORARY_PER_BYTE = 6.5
OUTPUT_PER_BYTE = {"csv": 4.0, "parquet": 1.0}
CACHE_PER_BYTE = 2.0


@dataclass(frozen=True)
class Shortfall:
    """A disk with less free space than a run may write there."""

    folder: Path  # the first folder named on that disk
    needed: int  # bytes the run may write there (every folder of the disk together)
    free: int  # bytes free there now
    what: str  # what the run writes there ("temporary files and outputs")


def space_needed(text_bytes: int, out: Path, formats: Iterable[str], cache: Path | None = None,
                 cache_size: int | None = None, temporary: bool = True) -> list[tuple[Path, int, str]]:
    """``(folder, bytes, what)`` a run over ``text_bytes`` of input may write in each folder it writes:
    the temporary folder (unless not ``temporary``: a cluster's workers spill on their machines),
    ``out`` (in ``formats``) and, when it caches, the ``cache`` folder (at most ``cache_size``)."""
    import tempfile

    wanted = [(Path(tempfile.gettempdir()), int(text_bytes * TEMPORARY_PER_BYTE), "temporary files")] if temporary \
        else []
    wanted.append((out, int(text_bytes * sum(OUTPUT_PER_BYTE[f] for f in set(formats))), "outputs"))
    if cache is not None:
        stored = int(text_bytes * CACHE_PER_BYTE)
        wanted.append((cache, min(stored, cache_size) if cache_size else stored, "cache"))
    return wanted


def shortfalls(wanted: list[tuple[Path, int, str]]) -> list[Shortfall]:
    """The disks among ``wanted``'s folders (see :func:`space_needed`) with less free space than
    what the run writes on each (folders on one disk counted together); a folder not made yet is
    looked up at its nearest existing parent, one whose disk cannot be read is left out."""
    disks: dict[int, list[tuple[Path, int, str, int]]] = {}
    for folder, needed, what in wanted:
        found = _free(folder)
        if found is not None:
            device, free = found
            disks.setdefault(device, []).append((folder, needed, what, free))
    short = []
    for entries in disks.values():
        needed = sum(entry[1] for entry in entries)
        free = min(entry[3] for entry in entries)
        if needed > free:
            kinds = list(dict.fromkeys(entry[2] for entry in entries))
            what = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
            short.append(Shortfall(entries[0][0], needed, free, what))
    return short


def warning(short: Shortfall, text_bytes: int) -> str:
    """One line for the user about ``short``."""
    return (f"{short.folder} has {_size(short.free)} free; for {_size(text_bytes)} of text this run may write "
            f"up to about {_size(short.needed)} of {short.what} there (a full disk stops the run at its end; "
            "TMPDIR moves the temporary files, --out the outputs, --cache the cache)")


def full_disk_hint(error: BaseException, wanted: list[tuple[Path, int, str]]) -> str:
    """``"; a disk is full: ..."`` with what the run may write where (see :func:`space_needed`) when
    ``error`` came from a full disk, else ``""``: what an error message about ``error`` ends with."""
    if not is_disk_full(error):
        return ""
    where = ", ".join(f"{_size(needed)} of {what} in {folder}" for folder, needed, what in wanted)
    return (f"; a disk is full: this run may write up to about {where}; free space there, or move them "
            "(TMPDIR, --out, --cache)")


def is_disk_full(error: BaseException | None) -> bool:
    """Did ``error`` (or what caused it) come from a full disk or quota?"""
    while error is not None:
        # (Arrow raises its own OSError for a failed write, the system's reason only in its text)
        if isinstance(error, OSError) and (error.errno in (errno.ENOSPC, errno.EDQUOT)
                                           or "No space left on device" in str(error)):
            return True
        error = error.__cause__ or error.__context__
    return False


def _free(folder: Path) -> tuple[int, int] | None:
    """The device and free bytes of the disk ``folder`` is on (or would be, made now)."""
    path = Path(os.path.abspath(folder))
    for place in (path, *path.parents):
        try:
            return os.stat(place).st_dev, shutil.disk_usage(place).free
        except FileNotFoundError:
            continue
        except OSError:
            return None
    return None


def _size(n: float) -> str:
    """``n`` bytes for a person (decimal units, as ``df -H``)."""
    if n < 1000:
        return f"{n:,.0f} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1000
        if n < 1000:
            return f"{n:,.1f} {unit}"
    return f"{n / 1000:,.1f} TB"
