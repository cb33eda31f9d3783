"""One-sentence explanations of violated relations, naming both outlets, dates and numbers as written."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

from ._claim_rules import PreparedFigures
from .intervals import Interval

_UNIT_WORDS = {"km": "km", "day": "days", "household": "households", "count": ""}


@lru_cache(maxsize=65_536)
def format_amount(value: float, unit: str) -> str:
    """A number in its canonical unit, as a reader would write it."""
    if math.isinf(value):
        return "unbounded"
    if unit == "fraction":
        return f"{value * 100:.3g} %"
    if abs(value - round(value)) < 1e-9:
        number = f"{int(round(value)):,}"
    elif abs(value) >= 100:
        number = f"{value:,.1f}"
    else:
        number = f"{value:.3g}"
    word = _UNIT_WORDS.get(unit, unit)
    if unit == "USD" or (len(unit) == 3 and unit.isupper()):
        return f"{unit} {number}"
    return f"{number} {word}".strip()


def interval_words(iv: Interval, qualifier: str, unit: str) -> str:
    """What an interval allows, in words: 'exactly 15', 'between 23.8 and 26.3 km', '24 or more'."""
    return _bounds_words(iv.low, iv.high, qualifier, unit)


@lru_cache(maxsize=65_536)
def _bounds_words(low: float, high: float, qualifier: str, unit: str) -> str:
    """:func:`interval_words` of ``[low, high]`` (memoised: reports repeat a few round numbers)."""
    if low == high:
        return f"exactly {format_amount(low, unit)}"
    if math.isinf(high):
        return f"{format_amount(low, unit)} or more"
    if low == 0 and qualifier in ("at_most", "less_than"):
        return f"at most {format_amount(high, unit)}"
    return f"between {format_amount(low, unit)} and {format_amount(high, unit)}"


class Describer:
    """Words for the reports of one prepared table."""

    def __init__(self, prep: PreparedFigures) -> None:
        self.prep = prep
        self.col = prep.col
        self._reports: dict[int, str] = {}
        self._who: dict[int, str] = {}

    def who(self, r: int) -> str:
        """The outlet, else the article (a report is named in each of its conflicts: once per row)."""
        name = self._who.get(r)
        if name is None:
            name = self._who[r] = self.col["outlet"][r].strip() or f"article {self.col['article_id'][r]}"
        return name

    def when(self, r: int) -> str:
        return self.col["published"][r][:10] or "undated"

    def written(self, r: int) -> str:
        """The figure as written, plus its conversion when the unit changed ("155 miles" = 249.4 km)."""
        col = self.col
        value, reported = col["value"][r], col["reported_value"][r]
        text = f"“{col['surface'][r].strip()}”"
        if not math.isnan(value) and not math.isnan(reported) and abs(value - reported) > 1e-9 * max(abs(value), 1.0):
            text += f" (= {format_amount(value, col['unit'][r])})"
        return text

    def report(self, r: int) -> str:
        """'AP (2017-04-04) reports “17”, i.e. exactly 17' (a consensus report is named in many rows)."""
        text = self._reports.get(r)
        if text is None:
            col = self.col
            words = _bounds_words(self.prep.lo[r], self.prep.hi[r], col["qualifier"][r], col["unit"][r])
            text = self._reports[r] = f"{self.who(r)} ({self.when(r)}) reports {self.written(r)}, i.e. {words}"
        return text

    def claim(self, r: int, subject: str = "") -> str:
        """What the claim is about: 'Killed (civilians, Khan Shaykhun)'."""
        col = self.col
        if col["category"][r] == "distance":
            return f"Distance between {col['location'][r]} and {col['reference_place'][r]}"
        whom, where = col["subject"][r] or subject, col["location"][r]
        about = f"{whom}, {where}" if whom and where else whom or where
        return col["category"][r].capitalize() + (f" ({about})" if about else "")

    def gap(self, a: int, b: int, rel: float) -> str:
        """'AP’s highest reading (17) is below Reuters’s lowest (57), a gap of 70 %'."""
        lower, upper = (a, b) if self.prep.hi[a] < self.prep.lo[b] else (b, a)
        unit = self.col["unit"][a]
        return (f"{_possessive(self.who(lower))} highest reading ({format_amount(self.prep.hi[lower], unit)}) "
                f"is below {_possessive(self.who(upper))} lowest ({format_amount(self.prep.lo[upper], unit)}), "
                f"a gap of {rel:.0%}")

    def dates(self, a: int, b: int) -> str:
        """What the dates add: undated reports, days apart, one article or one outlet."""
        col, text = self.col, ""
        undated = [r for r in (a, b) if not col["published"][r]]
        if len(undated) == 2:
            text += " Neither article is dated, so they may describe different moments."
        elif undated:
            r = undated[0]
            name = f"The {col['outlet'][r].strip()} article" if col["outlet"][r].strip() else f"Article {col['article_id'][r]}"
            text += f" {name} is undated, so it may describe a different moment."
        elif col["published"][a][:10] != col["published"][b][:10]:
            days = abs(int(self.prep.pub_day[b] - self.prep.pub_day[a]))
            text += f" They were published {days} day{'s' if days != 1 else ''} apart."
        if col["article_id"][a] == col["article_id"][b]:
            text += " Both figures are in the same article."
        elif self.prep.outlet_keys[a] and self.prep.outlet_keys[a] == self.prep.outlet_keys[b]:
            text += f" Both come from {self.who(a)}: the story may have been updated."
        return text

    # --- one sentence per relation -----------------------------------------------------------

    def same(self, a: int, b: int, rel: float, n_sources: int, subject: str = "") -> str:
        if n_sources >= 2:
            head = (f"{self.claim(a, subject)}: {self.report(a)}, outside the consensus of {n_sources} independent "
                    f"sources, whose nearest report is {self.report(b)}.")
        else:
            head = f"{self.claim(a, subject)}: {self.report(a)}; {self.report(b)}."
        return head + f" They cannot both be right: {self.gap(a, b, rel)}." + self.dates(a, b)

    def update(self, later: int, earlier: int, rel: float, revision: bool, subject: str = "") -> str:
        days = self.prep.pub_day[later] - self.prep.pub_day[earlier]
        span = f"{int(days)} day{'s' if days != 1 else ''} later"
        if revision:
            why = (f"{self.who(later)} lowered its own earlier toll: a revision worth checking "
                   f"({self.gap(later, earlier, rel)}).")
        else:
            why = f"A toll does not shrink over time: {self.gap(later, earlier, rel)}."
        return (f"{self.claim(later, subject)}: {self.report(later)}, {span} than {self.report(earlier)}. " + why)

    def part(self, part: int, whole: int, rel: float, subject: str = "") -> str:
        return (f"{self.claim(part, subject)}: {self.report(part)}, more than the whole it is a part of: "
                f"{self.report(whole)}. A part cannot exceed its whole ({self.gap(part, whole, rel)})."
                + self.dates(part, whole))

    def geography(self, r: int, km: float, too_short: bool, max_ratio: float) -> str:
        claim = (f"{self.claim(r)}: {self.who(r)} ({self.when(r)}) reports {self.written(r)}, "
                 f"i.e. {_bounds_words(self.prep.lo[r], self.prep.hi[r], self.col['qualifier'][r], 'km')}, "
                 f"but the straight-line (great-circle) distance between them is {format_amount(km, 'km')}.")
        if too_short:
            return claim + " No route can be shorter than the straight line."
        return claim + (f" Roads rarely exceed {max_ratio:g}× the straight line "
                        f"({format_amount(km * max_ratio, 'km')}), so the figure or a place name is likely wrong.")


def _possessive(name: str) -> str:
    return name + ("’" if name.endswith("s") else "’s")


@lru_cache(maxsize=65_536)
def iso_day(day: float) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(day))).isoformat() if not math.isnan(day) else ""


__all__ = ["Describer", "format_amount", "interval_words", "iso_day"]
