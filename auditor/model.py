"""Plain data passed between the pipeline stages.

files -> :class:`Article` -> :class:`Sentence` -> :class:`Figure` -> claim groups -> exports.
Every :class:`Figure` points back to exact character offsets of its article's text.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "killed", "wounded", "casualties", "missing", "captured", "displaced", "trapped",
    "fighters", "groups", "airstrikes", "attacks", "distance", "territory", "duration",
    "money", "other",
)
QUALIFIERS: tuple[str, ...] = (
    "exact", "approximate", "at_least", "more_than", "at_most", "less_than", "range", "vague",
)
SOURCE_TYPES: tuple[str, ...] = ("person", "organisation", "outlet", "unattributed")

ARTICLE_COLUMNS: tuple[str, ...] = (
    "article_id", "path", "title", "outlet", "published", "url", "chars", "sha256",
)
# Contract order first; columns after group_id are ours.
FIGURE_COLUMNS: tuple[str, ...] = (
    "figure_id", "article_id", "path", "start", "end", "surface", "sentence", "category",
    "value", "low", "high", "qualifier", "unit", "reported_value", "reported_unit", "counted",
    "subject", "location", "source", "source_type", "published", "outlet", "group_id",
    "reference_place", "sentence_start", "sentence_end", "supersedes",
    # Provenance and incident columns (CONTRACT.md, "Provenance and incident columns").
    "evidence", "part_of", "scope", "event_date", "place_id", "admin1", "country", "incident_id",
    "told",  # the outlet the credited speaker spoke to ("told Reuters"), issue 9
    "event_total",  # sum of the counts joined in one clause when no total is stated, issue 8
)
SCOPES: tuple[str, ...] = ("incident", "cumulative", "historical")
ERROR_COLUMNS: tuple[str, ...] = ("path", "error")

# The output folder's own files, named here (no pandas) for export, review and the run record
# (auditor._uptodate), which checks a folder without importing pandas.
META_DIR = ".figure-audit"  # the output sets, the lock and the run record
LOCK_NAME = "lock"  # in META_DIR: held by a run in progress
REVIEW_STORE_NAME = "review.sqlite"  # review decisions, beside the outputs


@dataclass(frozen=True)
class Article:
    """One article as the tool read it: offsets index ``text``."""

    article_id: str
    path: str
    text: str
    title: str = ""
    outlet: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) or empty when unknown
    url: str = ""

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_row(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id, "path": self.path, "title": self.title,
            "outlet": self.outlet, "published": self.published, "url": self.url,
            "chars": self.chars, "sha256": self.sha256,
        }


@dataclass(frozen=True)
class ReadError:
    """An input that could not be read, and why, in plain words."""

    path: str
    error: str

    def to_row(self) -> dict[str, Any]:
        return {"path": self.path, "error": self.error}


@dataclass(frozen=True)
class Sentence:
    """A sentence span of an article's text (``text == article.text[start:end]``)."""

    start: int
    end: int
    text: str
    paragraph: int  # index of the paragraph (block separated by line breaks) it belongs to
    boilerplate: bool = False  # page furniture: yields no figures


@dataclass(slots=True)
class Figure:
    """One reported quantity with its span, meaning and provenance (a row of figures.csv)."""

    figure_id: str
    article_id: str
    path: str
    start: int
    end: int
    surface: str
    sentence: str
    category: str
    value: float | None
    low: float | None
    high: float | None
    qualifier: str
    unit: str
    reported_value: float | None
    reported_unit: str
    counted: str = ""
    subject: str = ""
    location: str = ""
    source: str = ""
    source_type: str = "unattributed"
    published: str = ""
    outlet: str = ""
    group_id: str = ""
    reference_place: str = ""
    sentence_start: int = 0
    sentence_end: int = 0
    # figure_id of an earlier figure that the same text says this one replaced
    # ("the toll rose to 45 from 30": the 45 supersedes the 30).
    supersedes: str = ""
    # ids of the rules that decided the figure, separated by spaces ("killed.passive unit.none")
    evidence: str = ""
    # figure_id of the total this figure is a part of ("126 killed, including 68 children")
    part_of: str = ""
    scope: str = "incident"  # incident | cumulative | historical
    event_date: str = ""  # ISO date when the text fixes it
    place_id: str = ""  # gazetteer id of ``location``
    admin1: str = ""  # its province / first-level division (gazetteer name)
    country: str = ""  # its country (ISO 3166 alpha-2)
    incident_id: str = ""  # the incident the audit assigned it to
    told: str = ""  # the outlet the source spoke to ("..., the governor told Reuters")
    # sum of the counts joined with this one in one clause when the text states no total
    # ("three women and six children were killed": 9 on both figures); empty otherwise
    event_total: float | None = None

    def to_row(self) -> dict[str, Any]:
        return asdict(self)


FIGURE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Figure))
assert FIGURE_FIELDS == FIGURE_COLUMNS, "Figure fields and FIGURE_COLUMNS drifted apart"


def figure_id(article_id: str, sentence: str, start: int, end: int, occurrence: int = 0) -> str:
    """Stable id of a figure: its article, its sentence's text and its span within that sentence.

    ``start``/``end`` are offsets inside ``sentence``; ``occurrence`` counts earlier sentences of the
    article with the same text. Editing the article elsewhere (a blank line, a new paragraph) keeps
    the id, so review decisions keyed by it follow the figure.
    """
    key = f"{article_id}\0{sentence}\0{start}:{end}:{occurrence}"
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()
    return "f" + digest[:12]


@dataclass
class AuditInput:
    """What was read from the paths given to an audit."""

    articles: list[Article] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
