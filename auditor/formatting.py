"""How figures read to people, and which columns each view shows in which order.

One module owns value formatting ("≥ 40", "40–72", "about 130 km", "155 miles (about 249 km)"),
plain-language qualifiers and statuses, and the column lists and orderings of every view (the
dashboard, the HTML report, the MIME view and the extension's types).  The CSVs stay raw: only
views format.  Nothing here ever returns ``nan``, ``None`` or a float repr like
``249.44832000000002``: a missing number reads as an empty string.

Examples
--------
>>> value_text(40, 40, None, "at_least", "count")
'≥ 40'
>>> value_text(None, 40, 72, "range", "count")
'40–72'
>>> value_text(130.2, 123.7, 136.7, "approximate", "km")
'about 130 km'
>>> value_text(249.44832, 249.44832, 249.44832, "exact", "km", reported_value=155, reported_unit="mile")
'155 miles (about 249 km)'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

# -- orderings shared by every view ------------------------------------------------------

STATUS_ORDER: tuple[str, ...] = ("conflict", "consistent", "corroborated", "single")
SEVERITY_ORDER: tuple[str, ...] = ("high", "medium", "low")
REVIEW_ORDER: tuple[str, ...] = ("to review", "partly reviewed", "confirmed", "dismissed", "reviewed", "nothing to review")
RELATION_ORDER: tuple[str, ...] = ("same", "part_of", "update", "geography")

STATUS_TEXT: dict[str, str] = {
    "conflict": "conflict",
    "consistent": "consistent",
    "corroborated": "corroborated",
    "single": "one report",
}
QUALIFIER_TEXT: dict[str, str] = {
    "exact": "exactly",
    "approximate": "about",
    "at_least": "at least",
    "more_than": "more than",
    "at_most": "at most",
    "less_than": "less than",
    "range": "between",
    "vague": "a vague amount",
}
RELATION_TEXT: dict[str, str] = {
    "same": "same claim",
    "part_of": "part of a total",
    "update": "a later update",
    "geography": "distance vs. map",
}

# -- column lists of the views: (key, heading) in display order ---------------------------

# The conflicts-first list of claim groups / incidents (dashboard, report).
GROUP_VIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "claim"),
    ("spread", "reported"),
    ("n_outlets", "outlets"),
    ("n_figures", "reports"),
    ("status", "status"),
    ("review", "review"),
)
# The reports of one group, side by side.
REPORT_VIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("outlet", "outlet"),
    ("published", "published"),
    ("value_text", "value as written"),
    ("source", "source"),
    ("sentence", "sentence"),
)
# Facets with counts, in the order the filter bar shows them.
FACETS: tuple[tuple[str, str], ...] = (
    ("category", "category"),
    ("place", "place"),
    ("outlets", "outlet"),
    ("status", "status"),
    ("review", "review"),
)
# Conflicting pairs (report, MIME view).
CONFLICT_VIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("severity", "severity"),
    ("label", "claim"),
    ("report_a", "report A"),
    ("report_b", "report B"),
    ("explanation", "why they cannot both be right"),
    ("decision", "review"),
)

# -- units -------------------------------------------------------------------------------

# Canonical unit -> (singular, plural); "" = no unit word (people, events are counted).
_UNIT_WORDS: dict[str, tuple[str, str]] = {
    "count": ("", ""),
    "household": ("household", "households"),
    "km": ("km", "km"),
    "day": ("day", "days"),
    "fraction": ("%", "%"),
    "mile": ("mile", "miles"),
    "metre": ("m", "m"),
    "meter": ("m", "m"),
    "kilometre": ("km", "km"),
    "kilometer": ("km", "km"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
    "year": ("year", "years"),
    "hour": ("hour", "hours"),
    "square kilometre": ("km²", "km²"),
    "square kilometer": ("km²", "km²"),
    "square mile": ("square mile", "square miles"),
    "hectare": ("hectare", "hectares"),
    "acre": ("acre", "acres"),
    "percent": ("%", "%"),
    "percentage": ("%", "%"),
}
_CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£"}


def is_missing(x: Any) -> bool:
    """``None``, NaN, NA or an empty string."""
    if type(x) is float:  # the common case, fast
        return x != x
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, str):
        return x.strip() == "" or x.strip().lower() == "nan"
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def as_number(x: Any) -> float | None:
    """A finite-or-infinite float, or None for anything missing or not a number ("", NaN, "n/a")."""
    if is_missing(x):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def number(x: Any, digits: int = 3) -> str:
    """A number as people write it: ``1,234``, ``2.5``, ``249``, ``1.2 million``; ``''`` if missing.

    Integers are shown whole; other numbers keep ``digits`` significant digits (never a float
    artefact like ``249.44832000000002``). Millions and billions are spelled out.
    """
    value = as_number(x)
    if value is None:
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    sign = "−" if value < 0 else ""
    value = abs(value)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if value >= size:
            scaled = value / size
            text = f"{scaled:.{digits}g}" if not scaled.is_integer() else f"{int(scaled)}"
            return f"{sign}{text} {word}"
    if value.is_integer():
        return f"{sign}{int(value):,}"
    if value >= 10 ** digits:
        return f"{sign}{round(value):,}"
    text = f"{value:.{digits}g}"
    if "e" in text:  # tiny numbers: plain decimals, never scientific notation
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    return sign + text


def unit_word(unit: Any, value: Any = None) -> str:
    """The word after a number: ``km``, ``days``, ``households``; ``''`` for counted people/events."""
    if is_missing(unit):
        return ""
    unit = str(unit)
    singular, plural = _UNIT_WORDS.get(unit, (unit, unit if unit.endswith("s") else unit + "s"))
    v = as_number(value)
    return singular if v is not None and abs(v) == 1 else plural


def _amount(x: Any, unit: Any) -> str:
    """``x`` with its unit: ``130 km``, ``40``, ``12 %``, ``$5 million``."""
    value = as_number(x)
    if value is None:
        return ""
    unit = "" if is_missing(unit) else str(unit)
    if unit == "fraction":
        return f"{number(value * 100)} %"
    if unit in _CURRENCY_SYMBOLS:
        return f"{_CURRENCY_SYMBOLS[unit]}{number(value)}"
    if len(unit) == 3 and unit.isupper():  # another ISO currency code
        return f"{number(value)} {unit}"
    word = unit_word(unit, value)
    text = number(value)
    if not word:
        return text
    return f"{text}{word}" if word == "%" else f"{text} {word}"


def interval_text(low: Any, high: Any, unit: Any = "count", qualifier: Any = "") -> str:
    """The interval a report or group stands for: ``40–72``, ``≥ 40``, ``≤ 365 days``, ``12 km``."""
    lo, hi = as_number(low), as_number(high)
    if lo is not None and hi is not None and math.isinf(hi):
        hi = None
    if lo is not None and hi is not None:
        if number(lo) == number(hi):
            return _amount(lo, unit)
        if str(unit) == "fraction":
            return f"{number(lo * 100)}–{number(hi * 100)} %"
        if str(unit) in _CURRENCY_SYMBOLS:
            return f"{_amount(lo, unit)}–{number(hi)}"
        return f"{number(lo)}–{_amount(hi, unit)}"
    if lo is not None:
        return ("> " if qualifier == "more_than" else "≥ ") + _amount(lo, unit)
    if hi is not None:
        return ("< " if qualifier == "less_than" else "≤ ") + _amount(hi, unit)
    return ""


def value_text(
    value: Any, low: Any, high: Any, qualifier: Any, unit: Any,
    reported_value: Any = None, reported_unit: Any = None,
) -> str:
    """One report's figure in plain words, with the converted value when the unit changed.

    ``exact`` → ``45``; ``approximate`` → ``about 130 km``; ``at_least`` → ``≥ 40``;
    ``range``/``vague`` → ``40–72``; a converted distance → ``155 miles (about 249 km)``.
    """
    qualifier = "" if is_missing(qualifier) else str(qualifier)
    v = as_number(value)
    if qualifier in ("at_least", "more_than") and as_number(low) is not None:
        text = interval_text(low, None, unit, qualifier)
    elif qualifier in ("at_most", "less_than") and as_number(high) is not None:
        text = interval_text(None, high, unit, qualifier)
    elif qualifier in ("range", "vague") or v is None:
        text = interval_text(low, high, unit, qualifier)
    elif qualifier == "approximate":
        text = "about " + _amount(v, unit)
    else:
        text = _amount(v, unit)
    if not text:
        return ""
    rv = as_number(reported_value)
    r_unit = "" if is_missing(reported_unit) else str(reported_unit)
    unit_s = "" if is_missing(unit) else str(unit)
    if rv is not None and r_unit and r_unit != unit_s and unit_s != "fraction" and _UNIT_WORDS.get(r_unit) != _UNIT_WORDS.get(unit_s):
        written = _amount(rv, r_unit)
        if qualifier == "approximate":
            written = "about " + written
        converted = text if text.startswith(("about", "≥", "≤", ">", "<")) or "–" in text else "about " + text
        return f"{written} ({converted})"
    return text


def spread_text(low: Any, high: Any, unit: Any = "count", open_high: bool = False) -> str:
    """What a group's reports span: ``12–99``, ``45``, ``12 to ≥ 50`` (a report left it open above)."""
    lo, hi = as_number(low), as_number(high)
    if lo is None and hi is None:
        return ""
    if open_high and hi is not None and (lo is None or number(lo) == number(hi)):
        return interval_text(hi, None, unit)
    if open_high and lo is not None and hi is not None:
        return f"{number(lo)} to ≥ {_amount(hi, unit)}"
    return interval_text(lo if lo is not None else hi, hi if hi is not None else lo, unit)


def group_spreads(groups: pd.Series, low: pd.Series, high: pd.Series, value: pd.Series) -> pd.DataFrame:
    """What each group's reports span, for :func:`spread_text`: columns ``low``, ``high``, ``open_high``.

    One row per group (index: the group). The span runs from the smallest stated bound or value to the
    largest; it stays open above only when an open-ended report ("at least 50") reaches past every
    stated bound, so "12" and "at least 50" span "12 to ≥ 50" while "at least 40" and "45" span "40–45".
    """
    return spreads_of(spread_parts(groups, low, high, value))


# How the per-group bounds behind :func:`group_spreads` combine when a table is read in parts.
SPREAD_PARTS = {"lo": "min", "hi": "max", "vmin": "min", "vmax": "max", "lmax": "max", "open_low": "max"}


def spread_parts(groups: pd.Series, low: pd.Series, high: pd.Series, value: pd.Series) -> pd.DataFrame:
    """The bounds (:data:`SPREAD_PARTS`) of each group's reports; the rows of several parts of a table,
    aggregated with :data:`SPREAD_PARTS`, then :func:`spreads_of` give :func:`group_spreads` of the whole."""
    frame = pd.DataFrame({
        "group": groups.astype(str).to_numpy(),
        "low": pd.to_numeric(low, errors="coerce").to_numpy(),
        "high": pd.to_numeric(high, errors="coerce").to_numpy(),
        "value": pd.to_numeric(value, errors="coerce").to_numpy(),
    })
    frame["open_low"] = frame["low"].where(frame["high"].isna())
    return frame.groupby("group", sort=False).agg(
        lo=("low", "min"), hi=("high", "max"), vmin=("value", "min"), vmax=("value", "max"),
        lmax=("low", "max"), open_low=("open_low", "max"))


def spreads_of(per: pd.DataFrame) -> pd.DataFrame:
    """:func:`group_spreads` from each group's bounds (:data:`SPREAD_PARTS`)."""
    out = pd.DataFrame(index=per.index)
    out["low"] = per[["lo", "vmin"]].min(axis=1)
    out["high"] = per[["hi", "vmax", "lmax"]].max(axis=1)
    out["open_high"] = per["open_low"].ge(out["high"]) & per["open_low"].notna()
    return out


def frame_value_text(frame: pd.DataFrame) -> list[str]:
    """:func:`value_text` for every row of a figures frame (columns may be missing)."""
    names = ("value", "low", "high", "qualifier", "unit", "reported_value", "reported_unit")
    if frame.empty:
        return []
    readings = pd.DataFrame({name: frame[name].to_numpy() if name in frame else None for name in names})
    # Many figures share a reading ("at least 40", "12"): each distinct one is formatted once, and the
    # distinct ones are found by hashing the columns, not by a Python tuple per figure.
    codes = readings.groupby(list(names), dropna=False, sort=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)  # the first figure of each reading, in code order
    distinct = readings.iloc[first]
    texts = np.array([value_text(*row) for row in zip(*(distinct[name].tolist() for name in names))], dtype=object)
    return texts[codes].tolist()


def qualifier_text(qualifier: Any) -> str:
    """``at_least`` → ``at least``; unknown qualifiers are shown with spaces, never raw ids."""
    if is_missing(qualifier):
        return ""
    return QUALIFIER_TEXT.get(str(qualifier), str(qualifier).replace("_", " "))


def status_text(status: Any) -> str:
    if is_missing(status):
        return ""
    return STATUS_TEXT.get(str(status), str(status).replace("_", " "))


def relation_text(relation: Any) -> str:
    if is_missing(relation):
        return ""
    return RELATION_TEXT.get(str(relation), str(relation).replace("_", " "))


def percent(fraction: Any) -> str:
    """``0.4375`` → ``44 %``; ``''`` if missing."""
    value = as_number(fraction)
    return "" if value is None else f"{number(round(value * 100))} %"


def text(x: Any) -> str:
    """Any cell as display text: ``''`` for missing values, numbers via :func:`number`."""
    if is_missing(x):
        return ""
    if isinstance(x, float):
        return number(x)
    return str(x)


def review_state(decisions: list[str], n_conflicts: int) -> str:
    """A group's review state from its conflicts' decisions (``''`` = undecided).

    ``nothing to review`` without conflicts; ``to review`` when none is decided; ``partly
    reviewed`` when some are; ``confirmed``/``dismissed`` when all agree; else ``reviewed``.
    """
    if n_conflicts == 0:
        return "nothing to review"
    decided = [d for d in decisions if d]
    if not decided:
        return "to review"
    if len(decided) < n_conflicts:
        return "partly reviewed"
    kinds = set(decided)
    return decided[0] if len(kinds) == 1 else "reviewed"


def order_key(order: tuple[str, ...]):  # noqa: ANN201 - a key function for sort_values
    """A ``sort_values(key=...)`` function putting ``order``'s values first, in that order."""
    rank = {name: i for i, name in enumerate(order)}
    return lambda series: series.map(lambda v: rank.get(v, len(rank)))


__all__ = [
    "CONFLICT_VIEW_COLUMNS", "FACETS", "GROUP_VIEW_COLUMNS", "QUALIFIER_TEXT", "RELATION_ORDER",
    "REPORT_VIEW_COLUMNS", "REVIEW_ORDER", "SEVERITY_ORDER", "STATUS_ORDER", "frame_value_text",
    "interval_text", "is_missing", "number", "order_key", "percent", "qualifier_text", "relation_text",
    "review_state", "status_text", "text", "unit_word", "value_text",
]
