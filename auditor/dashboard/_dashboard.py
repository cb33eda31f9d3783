"""The workbench widget: conflicts first, every report of a group side by side, review right there.

The list of claim groups lives in the browser (``_workbench.js``): search, facets, sorting and
counters redraw there at once. Selecting a group asks the kernel for its reports; a review is
written to ``review.sqlite`` by the kernel, and the browser shows it before the answer comes back.
"""

from __future__ import annotations

import html
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from .. import formatting as fmt
from ..review import DECISIONS, REVIEW_COLUMNS, ReviewStore
from ._assets import workbench_script, workbench_style
from ._data import WorkbenchData
from ._export import ExportPanel

_WIDGET_ESM = """
export default {
  render({ model, el }) {
    const host = {
      mode: 'live',
      rows: () => model.get('rows'),
      summary: () => model.get('summary'),
      detail: () => model.get('detail'),
      reviews: () => model.get('reviews'),
      selected: () => model.get('selected'),
      select: (id) => { model.set('selected', id || ''); model.save_changes(); },
      review: (msg) => model.send({ type: 'review', ...msg }),
      onChange: (name, fn) => model.on('change:' + name, fn),
      onMessage: (fn) => model.on('msg:custom', fn),
    };
    const view = figureAuditWorkbench(el, host);
    return () => view.destroy();
  }
};
"""


class WorkbenchWidget(anywidget.AnyWidget):
    """The browser side of the workbench (one anywidget); :class:`Dashboard` drives it."""

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)
    rows = traitlets.Dict().tag(sync=True)
    summary = traitlets.Dict().tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    reviews = traitlets.Dict().tag(sync=True)  # group_id -> review state changed since ``rows`` was sent

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_esm=workbench_script() + _WIDGET_ESM, _css=workbench_style(), **kwargs)


class _ProfilePicker:
    """A profile menu and a "re-audit" button calling ``on_pick(profile)``."""

    def __init__(self, names: list[str], on_pick: Any) -> None:
        self.menu = widgets.Dropdown(options=names, value=names[0], description="profile",
                                     style={"description_width": "52px"}, layout=widgets.Layout(width="230px"))
        self.button = widgets.Button(description="re-audit with this profile", icon="refresh",
                                     layout=widgets.Layout(width="220px"))
        self.message = widgets.HTML()
        self.button.on_click(lambda _: on_pick(self.menu.value))
        self.widget = widgets.HBox([self.menu, self.button, self.message])


class Dashboard:
    """Explore an audit in JupyterLab: pick a claim group, compare its reports, read the sources, review.

    Parameters
    ----------
    result
        An :class:`~auditor.audit.AuditResult`, or an audit written earlier and opened with
        :func:`auditor.open_audit` (its figures are read one claim group at a time). Review
        decisions are saved in its ``out_dir``.

    Examples
    --------
    >>> result = auditor.audit("seeds/", out_dir="audit-out")    # doctest: +SKIP
    >>> auditor.Dashboard(result)                                 # doctest: +SKIP
    >>> auditor.Dashboard(auditor.open_audit("audit-out"))       # doctest: +SKIP
    """

    def __init__(self, result: Any) -> None:
        self.result = result
        self.store = ReviewStore(result.out_dir) if result.out_dir is not None else None
        if self.store is not None and len(result.conflicts):
            base = result.conflicts.drop(columns=[c for c in REVIEW_COLUMNS if c in result.conflicts])
            result.conflicts = self.store.merge(base)
        self._data = WorkbenchData(result)
        rows = self._data.group_list()
        self.view = WorkbenchWidget(rows=rows, summary=self._summary())
        self.view.observe(self._on_selected, names="selected")
        self.view.on_msg(self._on_message)
        self.export = ExportPanel(result)
        self.profile = self._profile_picker()
        parts: list[widgets.Widget] = [self.profile.widget, self.view] if self.profile else [self.view]
        if len(result.errors):
            errors = widgets.HTML(self._errors_html())
            box = widgets.Accordion(children=[errors], titles=(f"Unreadable files ({len(result.errors):,})",))
            box.selected_index = None
            parts.append(box)
        parts += [widgets.HTML("<b>Export</b>"), self.export.widget]
        self.widget = widgets.VBox(parts)
        if rows["id"]:
            self.select(rows["id"][0])  # opens on the first conflict (conflicts come first)

    # -- conflict profile -------------------------------------------------------------------

    def _profile_picker(self) -> _ProfilePicker | None:
        """A conflict-profile menu that re-audits the same articles with the chosen profile."""
        try:
            from ..profiles import available_profiles
        except ImportError:  # no profiles in this version of the package
            return None
        return _ProfilePicker(["auto", *[n for n in available_profiles() if n != "auto"]], self.reaudit)

    def reaudit(self, profile: str) -> None:
        """Audit the same articles again with conflict profile ``profile`` (``auto``: per article) and show it.

        Review decisions stay in ``out_dir`` and come back on the new result.
        """
        from ..audit import audit

        paths = sorted({str(p) for p in self.result.articles["path"] if str(p)})
        if not paths:
            raise ValueError("this audit has no article paths to read again")
        if self.profile is not None:
            self.profile.message.value = f"auditing {len(paths):,} files with profile <b>{html.escape(profile)}</b>…"
        result = audit(paths, out_dir=self.result.out_dir, profile=profile)
        self.result = self.export._result = result
        self._data = WorkbenchData(result)
        rows = self._data.group_list()
        self.view.reviews = {}
        self.view.selected = ""
        self.view.summary = self._summary()
        self.view.rows = rows
        self.select(rows["id"][0] if rows["id"] else None)
        if self.profile is not None:
            self.profile.message.value = (f"profile <b>{html.escape(profile)}</b>: {result.n_figures:,} figures, "
                                          f"{len(rows['id']):,} claim groups")

    # -- display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.widget._repr_mimebundle_(**kwargs)

    def _errors_html(self) -> str:
        errors = self.result.errors
        items = "".join(
            f"<li><code>{html.escape(str(row['path']))}</code>: {html.escape(str(row['error']))}</li>"
            for _, row in errors.head(500).iterrows()
        )
        more = f"<p>… and {len(errors) - 500:,} more in errors.csv</p>" if len(errors) > 500 else ""
        return f"<ul>{items}</ul>{more}"

    def _summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "articles": len(r.articles), "errors": len(r.errors),
            "figures": r.n_figures,  # counted without loading a spilled or opened table
            "can_review": self.store is not None,
            "columns": [list(c) for c in fmt.GROUP_VIEW_COLUMNS],
            "facets": [list(c) for c in fmt.FACETS],
            "orders": {"status": list(fmt.STATUS_ORDER), "review": list(fmt.REVIEW_ORDER)},
            "status_text": fmt.STATUS_TEXT,
        }

    # -- selection --------------------------------------------------------------------------

    @property
    def selected_group(self) -> str | None:
        return self.view.selected or None

    @property
    def rows(self) -> dict[str, list]:
        """The group list as the browser has it (columns of ``_data.LIST_FIELDS``), reviews applied."""
        rows = dict(self.view.rows)
        rows["review"] = [self.view.reviews.get(g, r) for g, r in zip(rows["id"], rows["review"])]
        return rows

    def select(self, group_id: str | None) -> None:
        """Select a claim group (``None`` clears): its reports, conflicts and review controls show."""
        if group_id and not self._data.has_group(group_id):
            raise KeyError(f"no claim group {group_id!r} in this audit")
        self.view.selected = group_id or ""
        self._on_selected({"new": self.view.selected})

    def _on_selected(self, change: dict) -> None:
        group_id = change["new"]
        detail = self._data.detail(group_id) if group_id else {}
        if detail != self.view.detail:
            self.view.detail = detail

    # -- review -----------------------------------------------------------------------------

    def review_group(self, group_id: str, decision: str, note: str = "", conflict_id: str | None = None) -> None:
        """Record ``decision`` (confirmed / dismissed) with ``note``, saved at once in ``review.sqlite``.

        Without ``conflict_id`` it is a decision on the whole group (:func:`auditor.review.review_group`):
        it follows the group's figures across re-runs and applies to every conflict of the group that
        has no decision of its own. With ``conflict_id`` only that pair is decided.
        """
        if self.store is None:
            raise RuntimeError("this audit has no review store: audit with out_dir=... to review")
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        conflicts = self._data.conflict_frame(group_id)
        if conflicts.empty:
            raise ValueError(f"claim group {group_id!r} has no conflict to review")
        table = self.result.conflicts
        for column in REVIEW_COLUMNS:
            if column not in table:
                table[column] = ""
        if conflict_id is None:
            self.result.review_group(group_id, decision, note)  # an AuditResult or an OpenedAudit
            groups = self.result.groups
            row = groups.loc[groups["group_id"].astype(str) == group_id].iloc[0]
            # As the next run will show it: on the group's conflicts that have no decision of their own.
            open_rows = (table["group_id"].astype(str) == group_id) & table["decision"].fillna("").eq("")
            table.loc[open_rows, "decision"] = row["decision"]
            table.loc[open_rows, "note"] = "(group decision) " + row["decision_note"]
            table.loc[open_rows, "decided_at"] = row["decided_at"]
        else:
            picked = conflicts[conflicts["conflict_id"].astype(str) == conflict_id]
            if picked.empty:
                raise KeyError(f"no conflict {conflict_id!r} in claim group {group_id!r}")
            stored = self.store.record(conflict_id, decision, note, conflict=picked.iloc[0].to_dict())
            hit = table["conflict_id"].astype(str) == conflict_id
            for column in REVIEW_COLUMNS:
                table.loc[hit, column] = stored[column]
        self._data.refresh_group(group_id)
        # Only the changed review state travels (the list itself can be megabytes).
        self.view.reviews = {**self.view.reviews, group_id: self._data.review_of(group_id)}
        if self.view.selected == group_id:
            self.view.detail = self._data.detail(group_id)

    def _on_message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        if content.get("type") != "review":
            return
        try:
            self.review_group(str(content["group"]), str(content["decision"]), str(content.get("note") or ""),
                              conflict_id=content.get("conflict") or None)
        except (KeyError, ValueError, RuntimeError, OSError) as error:  # a locked or read-only store too
            self.view.send({"type": "error", "message": str(error)})
