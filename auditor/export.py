"""Safe CSV exports: formula-neutralised cells, atomic writes."""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

# A spreadsheet treats a cell starting with one of these as a formula (or strips it),
# so text taken from articles must not start with them unescaped.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# mkstemp makes owner-only files; outputs get the permissions a plain open() would give.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` made safe for a spreadsheet cell.

    Strings starting with ``= + - @``, tab or carriage return get a leading apostrophe,
    which spreadsheets show as text.  Numbers are left alone: a negative number is data,
    not a formula.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return round(value, 6)
    return neutralise_cell(value)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A crash mid-write leaves the previous file (or none), never half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]] | pd.DataFrame, columns: Sequence[str]) -> Path:
    """Write ``rows`` as CSV with ``columns`` first (extra keys follow), safely and atomically."""
    if isinstance(rows, pd.DataFrame):
        extra = [c for c in rows.columns if c not in columns]
        header = list(columns) + extra
        records: Iterable[Mapping[str, Any]] = rows.to_dict("records")
    else:
        records = list(rows)
        extra = []
        for r in records:
            extra.extend(k for k in r if k not in columns and k not in extra)
        header = list(columns) + extra
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in header])
    return atomic_write_text(Path(path), buffer.getvalue())


def write_outputs(result: Any, out_dir: Path, html: bool = False) -> dict[str, Path]:
    """Write ``articles.csv figures.csv groups.csv conflicts.csv errors.csv`` (+ ``report.html``)."""
    from .claims import CONFLICT_COLUMNS, GROUP_COLUMNS
    from .model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS

    out_dir = Path(out_dir)
    written = {
        "articles": write_csv(out_dir / "articles.csv", result.articles, ARTICLE_COLUMNS),
        "figures": write_csv(out_dir / "figures.csv", result.figures, FIGURE_COLUMNS),
        "groups": write_csv(out_dir / "groups.csv", result.groups, GROUP_COLUMNS),
        "conflicts": write_csv(out_dir / "conflicts.csv", result.conflicts, CONFLICT_COLUMNS),
        "errors": write_csv(out_dir / "errors.csv", result.errors, ERROR_COLUMNS),
    }
    if html:
        from .report import render_report

        written["report"] = atomic_write_text(out_dir / "report.html", render_report(result))
    return written
