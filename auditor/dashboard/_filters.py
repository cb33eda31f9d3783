"""The filter bar: category, subject, place, outlet, article, dates, status and text search."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ._data import DashboardData, Filters

_ANY = "(any)"
_ROW = widgets.Layout(width="auto", flex="1 1 180px")
_STYLE = {"description_width": "62px"}


def _dropdown(description: str, values: list[str]) -> widgets.Dropdown:
    return widgets.Dropdown(options=[_ANY, *values], value=_ANY, description=description, layout=_ROW, style=_STYLE)


def _combobox(description: str, values: list[str], placeholder: str) -> widgets.Combobox:
    # A combobox takes a known value or any part of one (a case-insensitive substring).
    return widgets.Combobox(options=values, value="", placeholder=placeholder, description=description,
                            ensure_option=False, continuous_update=False, layout=_ROW, style=_STYLE)


class FilterBar:
    """Filter widgets; ``on_change(filters)`` runs whenever one of them changes."""

    def __init__(self, data: DashboardData, on_change: Callable[[Filters], None]) -> None:
        self._on_change = on_change
        self.category = _dropdown("category", data.values["category"])
        self.outlet = _dropdown("outlet", data.values["outlet"])
        self.subject = _combobox("subject", data.values["subject"], "any subject")
        self.place = _combobox("place", data.values["location"], "any place")
        self.article = _combobox("article", data.values["article_id"], "any article")
        first, last = data.date_span
        self.date_from = widgets.DatePicker(description="from", value=None, layout=_ROW, style=_STYLE)
        self.date_to = widgets.DatePicker(description="to", value=None, layout=_ROW, style=_STYLE)
        if first is not None:
            self.date_from.tooltip = f"earliest article: {first.isoformat()}"
            self.date_to.tooltip = f"latest article: {last.isoformat() if last else ''}"
        self.status = widgets.ToggleButtons(options=[("all groups", False), ("conflicts only", True)], value=False,
                                            style={"button_width": "110px"})
        self.text = widgets.Text(value="", placeholder="search sentences, sources, titles…", description="search",
                                 continuous_update=False, layout=_ROW, style=_STYLE)
        self.reset = widgets.Button(description="clear filters", icon="times", layout=widgets.Layout(width="auto"))
        self.reset.on_click(lambda _: self.clear())
        self._quiet = False
        for widget in self._inputs():
            widget.observe(self._changed, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.category, self.subject, self.place], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.outlet, self.article, self.date_from, self.date_to],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.text, self.status, self.reset], layout=widgets.Layout(flex_flow="row wrap")),
        ])

    def _inputs(self) -> list[widgets.ValueWidget]:
        return [self.category, self.outlet, self.subject, self.place, self.article, self.date_from, self.date_to,
                self.status, self.text]

    def _changed(self, _change: dict) -> None:
        if not self._quiet:
            self._on_change(self.value)

    @property
    def value(self) -> Filters:
        """The filters as the widgets show them."""
        def chosen(dropdown: widgets.Dropdown) -> str:
            return "" if dropdown.value == _ANY else str(dropdown.value)

        return Filters(
            category=chosen(self.category), outlet=chosen(self.outlet), subject=self.subject.value.strip(),
            place=self.place.value.strip(), article=self.article.value.strip(), date_from=self.date_from.value,
            date_to=self.date_to.value, conflicts_only=bool(self.status.value), text=self.text.value,
        )

    def set(self, **values: object) -> None:
        """Set several filters at once (widget names as keywords), redrawing once."""
        self._quiet = True
        try:
            for name, value in values.items():
                widget = getattr(self, name)
                if isinstance(widget, widgets.Dropdown) and value in ("", None):
                    value = _ANY
                widget.value = value
        finally:
            self._quiet = False
        self._on_change(self.value)

    def clear(self) -> None:
        """Back to everything."""
        self.set(category="", outlet="", subject="", place="", article="", date_from=None, date_to=None,
                 status=False, text="")
