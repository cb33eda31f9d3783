"""When a figure happened and which scope it has: incident, cumulative or historical.

Rules are data (``auditor/data/scope.yaml``): regular expressions read in the figure's clause,
then in its sentence. Dates ("on Tuesday", "on 4 April", "yesterday", "Dec. 28, 2024") are
resolved against the article's publication date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from .knowledge import Caseless, load_table

__all__ = ["DateMention", "ScopeReading", "find_dates", "read_scope"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?P<month>(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?)"
# The letters every date starts with, as a lookahead: the alternation below is tried only where one of
# them is (a date's words are checked at a tenth of the positions: twice as fast a scan, same matches).
_DATE_STARTS = "|".join([r"\d", "last ", *_MONTHS, *dict.fromkeys(w[:3] for w in _WEEKDAYS), "yesterday", "today"])
_DATE_RE = Caseless(
    rf"\b(?={_DATE_STARTS})(?:(?P<day1>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH.replace('month', 'month1')}(?:,? (?P<year1>(?:19|20)\d\d))?"
    rf"|{_MONTH.replace('month', 'month2')} (?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (?P<year2>(?:19|20)\d\d))?"
    rf"|(?P<last>last )?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    rf"|(?P<yesterday>yesterday)|(?P<today>today)"
    rf"|{_MONTH.replace('month', 'month3')} (?P<year3>(?:19|20)\d\d)|(?P<year4>(?:19|20)\d\d))\b"
)
# Every date above names a month, a year 19xx or 20xx, or a word with "day" (monday ... sunday, yesterday, today):
# one cheap test first, that most sentences with numbers fail ("12 killed", "1,200 displaced"). Each alternative
# starts with a literal, so re skips ahead by their first characters.
_DATE_GATE = Caseless("|".join([r"19\d\d", r"20\d\d", *_MONTHS, "day"]))
# Segment ends: punctuation and a spaced dash.
_SEGMENT_BREAKS = r"[,;:—–()]|\s-\s"
# Clause ends: a figure's own clause lies between these (a segment's ends, then words that open a clause: last, so
# that :func:`_clause_and_segment` reads the segment's breaks off the clause's).
_CLAUSE_BREAK = Caseless(_SEGMENT_BREAKS + r"|\b(?:when|while|whereas|but|after|before|as)\b")
# A sentence that places its event relative to another ("days earlier", "a week later") takes no date
# from the sentence before.
_RELATIVE_TIME = Caseless(r"\b(?:earlier|later|ago|before|previous|previously|since|last (?:week|month|year)|"
                            r"days|weeks|months|years)\b")
_SPEECH_BEFORE = Caseless(
    r"\b(?:said|says|say|told|tells|added|announced|reported|stated|confirmed|claimed|wrote|posted|tweeted)"
    r"(?:\s+\w+)?(?:\s+in\s+(?:a|an|its|their)\s+(?:\w+\s+)?(?:statement|post|briefing|interview|report))?"
    r"\s+(?:late\s+|early\s+)?(?:on\s+)?$")
_SEGMENT_BREAK = Caseless(_SEGMENT_BREAKS)


class DateMention(NamedTuple):
    """A date in a sentence: offsets in the sentence, the resolved day (None: month or year only)."""

    start: int
    end: int
    day: date | None
    year: int | None  # the year it names or implies


class ScopeReading(NamedTuple):
    scope: str  # incident | cumulative | historical
    event_date: str  # ISO date or ""
    rule: str  # id of the rule that decided the scope ("" for the default)


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: Caseless
    clause_only: bool = False


@dataclass(frozen=True)
class _Rules:
    cumulative: tuple[_Rule, ...]
    incident: tuple[_Rule, ...]
    historical: tuple[_Rule, ...]
    historical_after: int
    cumulative_categories: frozenset[str]


@lru_cache(maxsize=1)
def rules() -> _Rules:
    table = load_table("scope.yaml")

    def read(name: str) -> tuple[_Rule, ...]:
        return tuple(_Rule(str(r["id"]), Caseless(str(r["pattern"])), bool(r.get("clause_only")))
                     for r in table.get(name) or [])

    return _Rules(read("cumulative"), read("incident_overrides"), read("historical"),
                  int(table.get("historical_after_days") or 45),
                  frozenset(str(c) for c in table.get("cumulative_categories") or []))


def warm_up() -> None:
    """Load scope.yaml and compile its rules once (before worker processes fork)."""
    _rule_gate(False)
    _rule_gate(True)


@lru_cache(maxsize=256)  # read once per figure; a corpus has few distinct dates
def _parse_published(published: str) -> date | None:
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def find_dates(text: str, published: str | date | None) -> list[DateMention]:
    """Dates named in ``text``, resolved against ``published`` (ISO date) where they need it."""
    pub = published if isinstance(published, date) or published is None else _parse_published(published)
    found: list[DateMention] = []
    if _DATE_GATE.search(text) is None:
        return found
    for m in _DATE_RE.finditer(text):
        g = m.groupdict()
        day: date | None = None
        year: int | None = None
        if g["weekday"]:
            if pub is None:
                continue
            back = (pub.weekday() - _WEEKDAYS.index(g["weekday"].lower())) % 7
            if g["last"] and back == 0:
                back = 7
            day = pub - timedelta(days=back)
            year = day.year
        elif g["yesterday"]:
            if pub is None:
                continue
            day = pub - timedelta(days=1)
            year = day.year
        elif g["today"]:
            if pub is None:
                continue
            day, year = pub, pub.year
        elif g["year4"]:
            year = int(g["year4"])
            before = text[max(0, m.start() - 12):m.start()].lower()
            if re.search(r"(?:no\.|number|resolution|route|flight)\s*$", before):
                continue
        elif g["year3"]:
            year = int(g["year3"])
        else:
            month_text = g["month1"] or g["month2"]
            day_text = g["day1"] or g["day2"]
            year_text = g["year1"] or g["year2"]
            month = _MONTHS.index(month_text[:3].lower()) + 1
            if month_text.lower() == "may" and not (g["day1"] or year_text):
                # "May 4" is a date; "may 4" after a verb is not (the text's case: groups may be lower-cased)
                if not text[m.start("month1" if g["month1"] else "month2")].isupper():
                    continue
            day_number = int(day_text)
            if year_text:
                year = int(year_text)
            elif pub is not None:
                year = pub.year
            else:
                found.append(DateMention(m.start(), m.end(), None, None))
                continue
            try:
                day = date(year, month, day_number)
            except ValueError:
                continue
            if not year_text and pub is not None and day > pub + timedelta(days=1):
                day = day.replace(year=year - 1)
                year -= 1
        found.append(DateMention(m.start(), m.end(), day, year))
    return found


def _clause_and_segment(text: str, start: int, end: int, lowered: str) -> tuple[int, int, int]:
    """The stretch of ``text`` around [start, end) between clause breaks, and where the stretch between segment
    breaks starts (``lowered``: ``text.lower()``), in one pass over the breaks before ``start``.

    The segment breaks before ``start`` are the clause breaks found there that are no word: where a segment break
    can match, the clause alternation matches it first (its words come after), and a word is letters only, so no
    segment break starts inside one."""
    a = segment = 0
    # one finditer over the text before ``start`` (what a search from each break's end up to ``start`` finds): a
    # search a break asked again, over the whole text, whether it may be read in lower case (quadratic on a long
    # sentence with typographic quotes or dashes). Up to ``start`` as ``endpos``: read as if the text ended there
    # (its ``\b``), without a copy of it lower-cased again.
    for m in _CLAUSE_BREAK.finditer(text, 0, start, lowered):
        a = m.end()
        if not text[m.start()].isalpha():
            segment = a
    m = _CLAUSE_BREAK.search(text, end, None, lowered)
    return a, (m.start() if m else len(text)), segment


def _said_before(sentence: str, start: int) -> bool:
    """Does a speech verb stand right before ``start``, within 60 characters ("the ministry said on Sunday")?

    ``_SPEECH_BEFORE`` searched in those characters and the one before them (its ``\\b``), not in the whole
    sentence: a search over it asks of all of it whether it may be read in lower case (a long sentence naming a
    date a line took minutes)."""
    lo = max(0, start - 60)
    return _SPEECH_BEFORE.search(sentence[lo - 1 if lo else 0:start], 1 if lo else 0) is not None


def read_scope(sentence: str, start: int, end: int, published: str, dates: list[DateMention] | None = None,
               inherited: str | Callable[[], str] = "", category: str = "") -> ScopeReading:
    """Scope and event date of the figure at ``sentence[start:end]``.

    ``dates`` are the sentence's dates (:func:`find_dates`, found once per sentence);
    ``inherited`` is an event date carried from the sentence before, used when this sentence
    names none (or a function that finds it, called only then).
    """
    r = rules()
    pub = _parse_published(published)
    if dates is None:
        dates = find_dates(sentence, pub)
    lowered = sentence.lower()  # for every pattern below (Caseless: read in lower case when ASCII)
    a, b, sa = _clause_and_segment(sentence, start, end, lowered)
    clause = sentence[a:b]
    chosen: DateMention | None = None
    if dates:  # (most sentences name none)
        # "the ministry said on Sunday": the day of the statement, not of the event
        dates = [d for d in dates if not _said_before(sentence, d.start)]
        # the date of the figure: one in its clause, else the nearest in its sentence
        pool = [d for d in dates if a <= d.start < b] or dates
        if pool:
            chosen = min(pool, key=lambda d: abs((d.start + d.end) / 2 - (start + end) / 2))
    event_date = chosen.day.isoformat() if chosen is not None and chosen.day is not None else ""
    # a clause that is the whole sentence has been read with every rule the sentence pass would use
    passes = ((clause, False),) if clause == sentence else ((clause, False), (sentence, True))
    for texts, whole in passes:
        found = _rule_in(texts, whole)
        if found is not None:
            scope, rule_id = found
            return ScopeReading(scope, event_date if scope == "incident" else "", rule_id)
    if chosen is not None and pub is not None:
        old = chosen.day is not None and (pub - chosen.day).days > r.historical_after
        old = old or (chosen.day is None and chosen.year is not None and chosen.year < pub.year - (
            1 if pub.month <= 2 else 0))
        if old:
            return ScopeReading("historical", event_date, "dated.earlier")
    m = _SEGMENT_BREAK.search(sentence, end, None, lowered)
    sb = m.start() if m else len(sentence)
    for rule in r.historical:
        if rule.pattern.search(sentence, sa, sb, lowered):
            return ScopeReading("historical", event_date, rule.id)
    if category in r.cumulative_categories and not event_date:
        return ScopeReading("cumulative", "", f"category.{category}")
    if not event_date and not dates:
        carried = inherited() if callable(inherited) else inherited
        if carried and not _RELATIVE_TIME.search(sentence, lowered=lowered):
            event_date = carried
    return ScopeReading("incident", event_date, "")


@lru_cache(maxsize=2048)
def _rule_in(text: str, whole: bool) -> tuple[str, str] | None:
    """(scope, rule id) of the first incident override or cumulative rule that reads ``text``, or None.

    ``text`` is a figure's clause, or with ``whole`` its whole sentence, where only the cumulative
    rules that are not ``clause_only`` apply. Cached (bounded): the figures of one sentence share
    the sentence and often the clause.
    """
    r = rules()
    lowered = text.lower()
    gate = _rule_gate(whole)
    first = 0
    if gate is not None:
        m = gate.search(text, lowered=lowered)
        if m is None:
            return None
        # no rule matches before the gate's first match (it is all of them): each is searched from there
        first = m.start()
    if not whole:
        for rule in r.incident:
            if rule.pattern.search(text, first, lowered=lowered):
                return "incident", rule.id
    for rule in r.cumulative:
        if rule.clause_only and whole:
            continue
        m = rule.pattern.search(text, first, lowered=lowered)
        if m and not _since_recalled(text, m):
            return "cumulative", rule.id
    return None


@lru_cache(maxsize=2)
def _rule_gate(whole: bool) -> Caseless | None:
    """All the rules :func:`_rule_in` reads, as one alternation: one search rules out most texts (half the
    time of the separate searches). None when the rules cannot be joined (a back-reference, a group name twice)."""
    r = rules()
    patterns = [rule.pattern for rule in (*(() if whole else r.incident), *r.cumulative)
                if not (whole and rule.clause_only)]
    if not patterns or not all(p.plain for p in patterns):
        return None
    try:
        return Caseless("|".join(f"(?:{p.source})" for p in patterns))
    except re.error:  # two rules name a group alike
        return None


def _since_recalled(text: str, m: re.Match[str]) -> bool:
    """'years after ... since' style false hits are rare; keep the hook for one: 'ever since'."""
    return text[max(0, m.start() - 5):m.start()].lower().endswith("ever ")
