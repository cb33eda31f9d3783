"""Review panel: confirm or dismiss a conflict with a note, saved at once to the review store."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..review import REVIEW_COLUMNS, ReviewStore

_NO_STORE = (
    "<em>This audit has no review store, so decisions cannot be saved. "
    "Audit with <code>out_dir=</code> (or <code>figure-audit run … --out DIR</code>) to review conflicts.</em>"
)


def _conflict_label(row: pd.Series, figures: pd.DataFrame) -> str:
    def side(figure_id: str) -> str:
        if figure_id in figures.index:
            f = figures.loc[figure_id]
            return f"{f['surface']} ({f['outlet'] or f['article_id']})"
        return figure_id

    decision = row.get("decision") or "open"
    return f"[{decision}] {side(row['figure_a'])} vs {side(row['figure_b'])}"


class ReviewPanel:
    """Decisions on the conflicts of the selected claim group.

    ``result.conflicts`` is kept merged with the store, so an export made afterwards carries
    the decisions.
    """

    def __init__(self, result: Any, figures: pd.DataFrame) -> None:
        self._result = result
        self._figures = figures
        self.store = ReviewStore(result.out_dir) if result.out_dir is not None else None
        if self.store is not None:
            base = result.conflicts.drop(columns=[c for c in REVIEW_COLUMNS if c in result.conflicts])
            result.conflicts = self.store.merge(base)
        self._group_id: str | None = None
        self.conflict = widgets.Dropdown(options=[], description="conflict", layout=widgets.Layout(width="100%"),
                                         style={"description_width": "62px"})
        self.explanation = widgets.HTML()
        self.note = widgets.Textarea(placeholder="why (kept with the decision)", layout=widgets.Layout(width="100%"))
        self.confirm = widgets.Button(description="confirm conflict", button_style="danger", icon="check")
        self.dismiss = widgets.Button(description="dismiss (false alarm)", icon="ban")
        self.message = widgets.HTML()
        self.confirm.on_click(lambda _: self.record("confirmed"))
        self.dismiss.on_click(lambda _: self.record("dismissed"))
        self.conflict.observe(lambda _: self._show_decision(), names="value")
        self.widget = widgets.VBox(
            [widgets.HTML("<b>Review</b>"), self.conflict, self.explanation, self.note,
             widgets.HBox([self.confirm, self.dismiss]), self.message],
            layout=widgets.Layout(border="1px solid #ddd", padding="6px"),
        )
        self.show_group(None)

    def _conflicts_of(self, group_id: str | None) -> pd.DataFrame:
        conflicts = self._result.conflicts
        if group_id is None or not len(conflicts):
            return conflicts.iloc[0:0]
        return conflicts[conflicts["group_id"].astype(str) == group_id]

    def show_group(self, group_id: str | None) -> None:
        """List the conflicts of ``group_id`` (none selected: an empty panel)."""
        self._group_id = group_id
        rows = self._conflicts_of(group_id)
        options = [(_conflict_label(row, self._figures), str(row["conflict_id"])) for _, row in rows.iterrows()]
        self.conflict.options = options
        self.conflict.value = options[0][1] if options else None
        enabled = bool(options) and self.store is not None
        for widget in (self.confirm, self.dismiss, self.note, self.conflict):
            widget.disabled = not enabled
        if self.store is None:
            self.message.value = _NO_STORE
        elif not options:
            self.message.value = "<em>No conflict in the selected group.</em>"
        else:
            self.message.value = ""
        self._show_decision()

    def select(self, conflict_id: str) -> None:
        """Pick one conflict of the shown group."""
        self.conflict.value = conflict_id

    def _row(self, conflict_id: str | None) -> pd.Series | None:
        conflicts = self._result.conflicts
        if conflict_id is None or not len(conflicts):
            return None
        found = conflicts[conflicts["conflict_id"].astype(str) == conflict_id]
        return found.iloc[0] if len(found) else None

    def _show_decision(self) -> None:
        row = self._row(self.conflict.value)
        if row is None:
            self.explanation.value = ""
            self.note.value = ""
            return
        decided = row.get("decision") or ""
        status = (f"<b>{html.escape(decided)}</b> on {html.escape(str(row.get('decided_at') or ''))}"
                  if decided else "<b>open</b> (no decision yet)")
        self.explanation.value = (
            f"<div>{html.escape(str(row.get('explanation') or ''))}</div>"
            f"<div>severity {html.escape(str(row.get('severity') or ''))} · {status}</div>"
        )
        self.note.value = str(row.get("note") or "")

    def record(self, decision: str) -> None:
        """Save ``decision`` (``confirmed`` or ``dismissed``) with the note for the chosen conflict."""
        if self.store is None:
            raise RuntimeError("this audit has no review store (audit with out_dir=...)")
        row = self._row(self.conflict.value)
        if row is None:
            raise ValueError("no conflict is selected")
        conflict_id = str(row["conflict_id"])
        self.store.record(conflict_id, decision, self.note.value, conflict=row.to_dict())
        base = self._result.conflicts.drop(columns=[c for c in REVIEW_COLUMNS if c in self._result.conflicts])
        self._result.conflicts = self.store.merge(base)
        self.show_group(self._group_id)
        self.conflict.value = conflict_id
        self.message.value = (f"Saved: {html.escape(decision)} — in "
                              f"<code>{html.escape(str(self.store.path))}</code>")
