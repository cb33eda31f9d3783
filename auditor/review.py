"""Review decisions on conflicts, kept in ``review.sqlite`` beside the audit outputs.

A user marks a conflict ``confirmed`` (the reports really disagree) or ``dismissed``
(a false alarm) with a note.  Decisions are keyed by the stable ``conflict_id``, committed
the moment they are recorded, and kept across re-runs.  A decision whose conflict no
longer appears (an article changed or was removed) is flagged ``orphaned``, never deleted;
it is un-flagged if the conflict comes back.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .model import REVIEW_STORE_NAME

STORE_NAME = REVIEW_STORE_NAME
# Every run also writes the decisions to this plain file of the output set (export.py).
DECISIONS_FILE = "decisions.csv"
# A store another program keeps locked longer than this is reported, not waited for.
_BUSY_TIMEOUT_S = 3.0
_log = logging.getLogger(__name__)
_CHECKED: set[Path] = set()  # stores whose integrity this process has verified
DECISIONS: tuple[str, ...] = ("confirmed", "dismissed")
REVIEW_COLUMNS: tuple[str, ...] = ("decision", "note", "decided_at")
DECISION_COLUMNS: tuple[str, ...] = (
    "conflict_id", "decision", "note", "decided_at", "figure_a", "figure_b", "article_a",
    "article_b", "explanation", "orphaned",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    conflict_id TEXT PRIMARY KEY,
    decision    TEXT NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
    note        TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL,
    figure_a    TEXT NOT NULL DEFAULT '',
    figure_b    TEXT NOT NULL DEFAULT '',
    article_a   TEXT NOT NULL DEFAULT '',
    article_b   TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '',
    orphaned    INTEGER NOT NULL DEFAULT 0
);
-- Decisions on a whole claim group ("AP's early toll, superseded"), with the figures it held then, so
-- that the decision follows them when the group's id changes.
CREATE TABLE IF NOT EXISTS group_decisions (
    group_id    TEXT PRIMARY KEY,
    decision    TEXT NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
    note        TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL,
    figures     TEXT NOT NULL DEFAULT '',
    label       TEXT NOT NULL DEFAULT '',
    orphaned    INTEGER NOT NULL DEFAULT 0
);
-- Every decision ever recorded, so that changing one's mind loses nothing.
CREATE TABLE IF NOT EXISTS history (
    conflict_id TEXT NOT NULL,
    decision    TEXT NOT NULL,
    note        TEXT NOT NULL,
    decided_at  TEXT NOT NULL
);
"""


class _GroupDecisions:
    """Group-level decisions and the migration of pair decisions (mixed into :class:`ReviewStore`)."""

    def record_group(self, group_id: str, decision: str, note: str = "", figures: Any = (), label: str = "") -> dict:
        """Record (or replace) the decision on a whole claim group and commit it at once."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if not group_id:
            raise ValueError("group_id is empty")
        row = {"group_id": str(group_id), "decision": decision, "note": str(note or ""),
               "decided_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "figures": " ".join(sorted(map(str, figures))), "label": str(label or ""), "orphaned": 0}
        with self._connect(create=True) as conn:
            conn.execute("INSERT OR REPLACE INTO group_decisions VALUES (?, ?, ?, ?, ?, ?, ?)", tuple(row.values()))
            conn.execute("INSERT INTO history VALUES (?, ?, ?, ?)",
                         (row["group_id"], row["decision"], row["note"], row["decided_at"]))
        return row

    def group_decisions(self) -> pd.DataFrame:
        """Every stored group decision, orphaned ones included."""
        columns = ["group_id", "decision", "note", "decided_at", "figures", "label", "orphaned"]
        with self._connect(create=False) as conn:
            if conn is None:
                return pd.DataFrame(columns=columns)
            return pd.read_sql_query(f"SELECT {', '.join(columns)} FROM group_decisions ORDER BY decided_at", conn)

    def merge_groups(self, groups: pd.DataFrame, members: dict[str, list[str]]) -> pd.DataFrame:
        """``groups`` with ``decision, decision_note, decided_at`` from the store.

        A decision whose group id is gone follows the current group that holds most of its figures;
        one whose figures are all gone is flagged orphaned, never deleted.
        """
        merged = groups.copy()
        for column in ("decision", "decision_note", "decided_at"):
            merged[column] = ""
        with self._connect(create=False) as conn:
            if conn is None:
                return merged
            stored = conn.execute("SELECT group_id, decision, note, decided_at, figures, orphaned "
                                  "FROM group_decisions ORDER BY decided_at").fetchall()
            group_of = {f: g for g, fs in members.items() for f in fs}
            present = set(merged["group_id"])
            found: dict[str, tuple[str, str, str]] = {}
            for gid, decision, note, at, figures, orphaned in stored:
                target = gid if gid in present else ""
                if not target:
                    votes: dict[str, int] = {}
                    for f in figures.split():
                        if f in group_of:
                            votes[group_of[f]] = votes.get(group_of[f], 0) + 1
                    target = min(votes, key=lambda g: (-votes[g], g)) if votes else ""
                if target:
                    found[target] = (decision, note, at)
                if int(not target) != orphaned:
                    conn.execute("UPDATE group_decisions SET orphaned = ? WHERE group_id = ?", (int(not target), gid))
        if found:
            values = merged["group_id"].map(lambda g: found.get(g, ("", "", "")))
            for i, column in enumerate(("decision", "decision_note", "decided_at")):
                merged[column] = values.map(lambda v, i=i: v[i])
        return merged

    def migrate_pairs(self, conflicts: pd.DataFrame) -> pd.DataFrame:
        """Show a decision taken on a pair that no longer appears on the row that now holds its outlier.

        Conflicts used to be every pair of a group; now an outlier is held against the nearest consensus
        report. A stored pair decision whose id is gone carries over to the row whose ``figure_a`` was one
        of its two figures (its note says so); the stored decision itself is kept as it was.
        """
        merged = conflicts
        undecided = merged["decision"].fillna("").eq("") if "decision" in merged else None
        if undecided is None or not undecided.any():
            return merged
        with self._connect(create=False) as conn:
            if conn is None:
                return merged
            stored = conn.execute("SELECT conflict_id, decision, note, decided_at, figure_a, figure_b "
                                  "FROM decisions WHERE orphaned = 1 ORDER BY decided_at").fetchall()
            by_figure: dict[str, tuple[str, str, str, str]] = {}
            for cid, decision, note, at, fa, fb in stored:
                for figure in (fa, fb):
                    if figure:
                        by_figure[figure] = (cid, decision, note, at)
            if not by_figure:
                return merged
            merged = merged.copy()
            moved = set()
            for i in merged.index[undecided]:
                hit = by_figure.get(merged.at[i, "figure_a"]) or by_figure.get(merged.at[i, "figure_b"])
                if hit:
                    cid, decision, note, at = hit
                    merged.loc[i, ["decision", "note", "decided_at"]] = [
                        decision, f"{note} (decided on the earlier pair {cid})".strip(), at]
                    moved.add(cid)
            for cid in moved:  # it is shown again: no longer orphaned
                conn.execute("UPDATE decisions SET orphaned = 0 WHERE conflict_id = ?", (cid,))
        return merged


class ReviewStoreLocked(RuntimeError):
    """Another program holds the store locked; the message is a one-line reason."""


class ReviewStore(_GroupDecisions):
    """The review decisions of one output folder.

    Parameters
    ----------
    path
        The folder holding (or to hold) ``review.sqlite``, or the database file itself.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.path = path if path.suffix == ".sqlite" else path / STORE_NAME

    @contextmanager
    def _connect(self, create: bool) -> Iterator[sqlite3.Connection | None]:
        if not create and not self.path.exists():
            yield None
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._open()
        try:
            with conn:  # one transaction: committed on success, rolled back on error
                yield conn
        except sqlite3.OperationalError as exc:
            raise self._locked(exc) from None
        finally:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        """A connection with the schema in place; a corrupted file is moved aside for a fresh store."""
        try:
            return self._open_checked()
        except sqlite3.OperationalError as exc:  # locked, or cannot open/write: never taken for damage
            raise self._locked(exc) from None
        except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
            self._move_aside(exc)
        return self._open_checked()

    def _open_checked(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S)
        try:
            conn.executescript(_SCHEMA)
            key = self.path.resolve()
            if key not in _CHECKED:
                verdict = conn.execute("PRAGMA quick_check").fetchone()
                if verdict is None or verdict[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {verdict[0] if verdict else 'no answer'}")
                _CHECKED.add(key)
        except BaseException:
            conn.close()
            raise
        return conn

    def check_writable(self) -> None:
        """Fail fast (:class:`ReviewStoreLocked`) when another program holds the store; heals a corrupted one."""
        if not self.path.exists():
            return
        with self._connect(create=True) as conn:
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")

    def _locked(self, exc: sqlite3.OperationalError) -> Exception:
        if not _is_lock(exc):
            return exc
        return ReviewStoreLocked(
            f"the review store {self.path} is locked by another program (a notebook or another run "
            f"recording a decision): close it or try again ({exc})")

    def _move_aside(self, exc: Exception) -> None:
        """Keep the damaged file under a new name, start a fresh store, restore the last exported decisions."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.rename(aside)
        for suffix in ("-journal", "-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                companion.rename(aside.with_name(aside.name + suffix))
        restored = self._restore_from_export()
        _log.warning("review store %s was unreadable (%s): kept as %s, a fresh store started, "
                     "%d decisions restored from %s", self.path, exc, aside.name, restored, DECISIONS_FILE)

    def _restore_from_export(self) -> int:
        """Decisions of the last exported ``decisions.csv`` beside the store, into the fresh store."""
        exported = self.path.parent / DECISIONS_FILE
        try:
            with open(exported, encoding="utf-8", newline="") as handle:
                rows = [r for r in csv.DictReader(handle) if r.get("conflict_id") and r.get("decision") in DECISIONS]
        except (OSError, csv.Error, UnicodeDecodeError):
            return 0
        conn = self._open_checked()
        try:
            with conn:
                for row in rows:
                    values = {c: _plain_cell(row.get(c, "")) for c in DECISION_COLUMNS}
                    values["orphaned"] = 1 if values["orphaned"] in ("1", "True", "true") else 0
                    conn.execute(
                        f"INSERT OR REPLACE INTO decisions ({', '.join(DECISION_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(DECISION_COLUMNS))})",
                        tuple(values[c] for c in DECISION_COLUMNS))
                    conn.execute("INSERT INTO history VALUES (?, ?, ?, ?)",
                                 (values["conflict_id"], values["decision"], values["note"], values["decided_at"]))
        finally:
            conn.close()
        return len(rows)

    def record(
        self, conflict_id: str, decision: str, note: str = "", conflict: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record (or replace) the decision on one conflict and commit it at once.

        ``conflict`` (its row of ``conflicts``) is snapshotted so that the decision still
        says what it was about if the conflict later disappears.  Returns the stored row.
        """
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if not conflict_id:
            raise ValueError("conflict_id is empty")
        conflict = conflict or {}
        row = {
            "conflict_id": str(conflict_id),
            "decision": decision,
            "note": str(note or ""),
            "decided_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **{k: _text(conflict.get(k)) for k in ("figure_a", "figure_b", "article_a", "article_b", "explanation")},
            "orphaned": 0,
        }
        with self._connect(create=True) as conn:
            assert conn is not None
            previous = conn.execute(
                "SELECT figure_a, figure_b, article_a, article_b, explanation FROM decisions WHERE conflict_id = ?",
                (row["conflict_id"],),
            ).fetchone()
            if previous and not conflict:  # keep the snapshot taken earlier
                row.update(zip(("figure_a", "figure_b", "article_a", "article_b", "explanation"), previous))
            conn.execute(
                f"INSERT OR REPLACE INTO decisions ({', '.join(DECISION_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(DECISION_COLUMNS))})",
                tuple(row[c] for c in DECISION_COLUMNS),
            )
            conn.execute(
                "INSERT INTO history VALUES (?, ?, ?, ?)",
                (row["conflict_id"], row["decision"], row["note"], row["decided_at"]),
            )
        return row

    def decisions(self) -> pd.DataFrame:
        """Every stored decision, orphaned ones included (``orphaned`` is 0 or 1)."""
        with self._connect(create=False) as conn:
            if conn is None:
                return pd.DataFrame(columns=list(DECISION_COLUMNS))
            return pd.read_sql_query(
                f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY decided_at, conflict_id", conn
            )

    def history(self) -> pd.DataFrame:
        """Every decision ever recorded, oldest first."""
        with self._connect(create=False) as conn:
            if conn is None:
                return pd.DataFrame(columns=["conflict_id", "decision", "note", "decided_at"])
            return pd.read_sql_query("SELECT * FROM history ORDER BY rowid", conn)

    def merge(self, conflicts: pd.DataFrame) -> pd.DataFrame:
        """``conflicts`` with ``decision, note, decided_at`` filled from the store.

        Flags stored decisions whose conflict is not in ``conflicts`` as orphaned (and
        clears the flag of those that are), without deleting anything.
        """
        merged = conflicts.copy()
        for column in REVIEW_COLUMNS:
            merged[column] = ""
        with self._connect(create=False) as conn:
            if conn is None:
                return merged
            present = set(merged["conflict_id"].astype(str))
            stored = conn.execute("SELECT conflict_id, decision, note, decided_at, orphaned FROM decisions").fetchall()
            by_id = {cid: (decision, note, at) for cid, decision, note, at, _ in stored}
            for cid, *_, orphaned in stored:
                flag = 0 if cid in present else 1
                if flag != orphaned:
                    conn.execute("UPDATE decisions SET orphaned = ? WHERE conflict_id = ?", (flag, cid))
        if by_id and len(merged):
            values = merged["conflict_id"].map(lambda cid: by_id.get(cid, ("", "", "")))
            for i, column in enumerate(REVIEW_COLUMNS):
                merged[column] = values.map(lambda v, i=i: v[i])
        return merged


def _rows_to_review(result: Any, frame: pd.DataFrame, column: str, key: str, what: str) -> pd.Index:
    """The rows of ``frame`` a decision on ``key`` applies to; the audit must have a review store."""
    if result.out_dir is None:
        raise ValueError("this audit has no out_dir, so there is no review store: run audit(..., out_dir=DIR)")
    matches = frame.index[frame[column] == key]
    if len(matches) == 0:
        raise KeyError(f"no {what} {key!r} in this audit")
    return matches


def review_group(result: Any, group_id: str, decision: str, note: str = "") -> dict[str, Any]:
    """Record a decision on one of ``result``'s claim groups and show it in ``result.groups``."""
    groups = result.groups
    matches = _rows_to_review(result, groups, "group_id", group_id, "claim group")
    figures = result.figures_of(group_id, ["figure_id", "group_id"])["figure_id"]  # not every figure
    row = ReviewStore(result.out_dir).record_group(group_id, decision, note, figures, groups.at[matches[0], "label"])
    for column, value in (("decision", row["decision"]), ("decision_note", row["note"]),
                          ("decided_at", row["decided_at"])):
        groups.loc[matches, column] = value
    return row


def review_conflict(result: Any, conflict_id: str, decision: str, note: str = "") -> dict[str, Any]:
    """Record a decision on one of ``result``'s conflicts in its store and show it in ``result.conflicts``.

    ``result`` is an :class:`~auditor.audit.AuditResult` made with ``out_dir`` (where the store lives).
    """
    conflicts = result.conflicts
    matches = _rows_to_review(result, conflicts, "conflict_id", conflict_id, "conflict")
    row = ReviewStore(result.out_dir).record(conflict_id, decision, note, conflicts.loc[matches[0]].to_dict())
    for column in REVIEW_COLUMNS:
        if column not in conflicts:
            conflicts[column] = ""
        conflicts.loc[matches, column] = row[column]
    return row


def _is_lock(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _plain_cell(value: str | None) -> str:
    """A cell of decisions.csv as it was before export.py neutralised it for spreadsheets."""
    value = value or ""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


__all__ = ["DECISIONS", "DECISIONS_FILE", "REVIEW_COLUMNS", "STORE_NAME", "ReviewStore", "ReviewStoreLocked",
           "review_group",
           "review_conflict"]
