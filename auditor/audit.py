"""The whole audit: read files, extract figures (in parallel), group claims, export."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS, Article, Figure, ReadError
from .readers import ReadOptions

# Below this many characters a process pool costs more than it saves.
_PARALLEL_MIN_CHARS = 200_000

ProgressCallback = Callable[[int, int], None]


@dataclass
class AuditResult:
    """Everything an audit found, as DataFrames with the contract's columns."""

    articles: pd.DataFrame
    figures: pd.DataFrame
    groups: pd.DataFrame
    conflicts: pd.DataFrame
    errors: pd.DataFrame
    texts: dict[str, str] = field(default_factory=dict, repr=False)  # article_id -> text read
    out_dir: Path | None = None  # where the review store lives, when the audit was given one

    def write(self, out_dir: str | Path, html: bool = False) -> dict[str, Path]:
        """Write the audit CSVs (and ``report.html`` when ``html``) into ``out_dir``."""
        from .export import write_outputs

        return write_outputs(self, Path(out_dir), html=html)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:  # noqa: ANN001 - IPython protocol
        """Rich display: JupyterLab's Figure Auditor renderer, with an HTML fallback."""
        from ._mime import mimebundle

        return mimebundle(self)

    def review(self, conflict_id: str, decision: str, note: str = "") -> None:
        """Mark a conflict ``confirmed`` or ``dismissed`` with a note, stored at once in ``out_dir``."""
        from .review import review_conflict

        review_conflict(self, conflict_id, decision, note)

    def review_group(self, group_id: str, decision: str, note: str = "") -> None:
        """Mark a whole claim group ``confirmed`` or ``dismissed`` ("AP's early toll, superseded");
        stored at once in ``out_dir`` and applied to the group's conflicts that have no decision of their own."""
        from .review import review_group

        review_group(self, group_id, decision, note)

    def __repr__(self) -> str:
        return (
            f"AuditResult({len(self.articles)} articles, {len(self.figures)} figures, "
            f"{len(self.groups)} claim groups, {len(self.conflicts)} conflicts, {len(self.errors)} errors)"
        )


def _extract_batch(articles: Sequence[Article]) -> list[list[Figure]]:
    from .extract import extract_figures

    return [extract_figures(article) for article in articles]


def _batches(articles: Sequence[Article], n: int) -> list[list[Article]]:
    """Split into ``n``-ish batches of similar total size, keeping input order inside each."""
    total = sum(a.chars for a in articles) or 1
    target = max(total // max(n, 1), 1)
    batches: list[list[Article]] = [[]]
    size = 0
    for article in articles:
        if size >= target and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(article)
        size += article.chars
    return batches


def extract_all(
    articles: Sequence[Article], jobs: int | None = None, progress: ProgressCallback | None = None
) -> list[Figure]:
    """Extract figures from every article, on ``jobs`` processes (default: all cores)."""
    from .extract import extract_figures, warm_up

    jobs = jobs or os.cpu_count() or 1
    total_chars = sum(a.chars for a in articles)
    figures: list[Figure] = []
    if jobs == 1 or total_chars < _PARALLEL_MIN_CHARS or len(articles) < 2:
        for i, article in enumerate(articles, 1):
            figures.extend(extract_figures(article))
            if progress:
                progress(i, len(articles))
        return figures
    # Load the gazetteer and tables once, before forking, so every worker shares them.
    warm_up()
    batches = _batches(articles, jobs * 8)
    context = multiprocessing.get_context("fork")
    done = 0
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for batch, result in zip(batches, pool.map(_extract_batch, batches)):
            for found in result:
                figures.extend(found)
            done += len(batch)
            if progress:
                progress(done, len(articles))
    return figures


def figures_frame(figures: Iterable[Figure]) -> pd.DataFrame:
    """The figures as a DataFrame with the contract's columns in order."""
    frame = pd.DataFrame([f.to_row() for f in figures], columns=list(FIGURE_COLUMNS))
    for column in ("value", "low", "high", "reported_value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("start", "end", "sentence_start", "sentence_end"):
        frame[column] = frame[column].astype("int64")
    return frame


def audit(
    paths: str | Path | Iterable[str | Path],
    *,
    jobs: int | None = None,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    reading: ReadOptions | None = None,
) -> AuditResult:
    """Audit files and folders (read recursively).

    Parameters
    ----------
    paths
        Files or folders of articles (``.txt .md .html .htm .jsonl .csv``).
    jobs
        Worker processes for extraction; default all cores.
    out_dir
        Folder of the review store (``review.sqlite``); decisions recorded there are
        merged into ``conflicts``. ``None`` audits without a store.
    progress
        Called as ``progress(done, total)`` while articles are processed.
    reading
        Symbolic links, size limit per file, excluded folders (:class:`~auditor.readers.ReadOptions`);
        ``out_dir`` is never read.
    """
    from .claims import build_claims
    from .readers import load_articles

    reading = reading or ReadOptions()
    if out_dir is not None:
        reading = dataclasses.replace(reading, exclude=(*reading.exclude, Path(out_dir)))
    loaded = load_articles(paths, reading)
    figures = figures_frame(extract_all(loaded.articles, jobs=jobs, progress=progress))
    articles = pd.DataFrame([a.to_row() for a in loaded.articles], columns=list(ARTICLE_COLUMNS))
    errors = pd.DataFrame([e.to_row() for e in loaded.errors], columns=list(ERROR_COLUMNS))
    store_dir = Path(out_dir) if out_dir is not None else None
    # Nothing read: the store is left untouched (its decisions would all be flagged orphaned).
    figures, groups, conflicts = build_claims(figures, articles, store_dir=store_dir if loaded.articles else None)
    return AuditResult(
        articles=articles,
        figures=figures,
        groups=groups,
        conflicts=conflicts,
        errors=errors,
        texts={a.article_id: a.text for a in loaded.articles},
        out_dir=store_dir,
    )


__all__ = ["AuditResult", "ReadError", "audit", "extract_all", "figures_frame"]
