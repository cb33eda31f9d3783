"""Measurement units after (or currency symbols before) a number, read through quantulum3's unit database."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

from .knowledge import phrase_lengths, unit_table
from .numbers import _LOWER, Token


@dataclass(frozen=True)
class UnitReading:
    name: str  # quantulum3's unit name ("mile", "kilometre", "dollar", "percentage")
    entity: str  # quantulum3's entity ("length", "time", "currency", "dimensionless"...)
    canonical: str  # the contract's canonical unit ("km", "day", "USD", "fraction") or the name
    factor: float  # canonical = reported * factor
    category: str  # distance | duration | money | territory-or-other | other


_ENTITY_CATEGORY = {"length": "distance", "time": "duration", "currency": "money"}


@lru_cache(maxsize=1)
def _lookup() -> tuple[dict[tuple[str, ...], tuple[str, str]], dict[str, tuple[str, str]], int]:
    """(phrase -> (unit, entity) for word forms, symbol -> (unit, entity), longest phrase).

    Derived from quantulum3's unit database and cached on disk: loading that database
    (with its pluraliser) takes seconds, reading our index of it milliseconds.
    """
    from importlib import metadata, resources

    from ._cache import cached

    depends = [
        metadata.version("quantulum3"),
        resources.files("auditor").joinpath("data", "units.yaml").read_bytes(),
        resources.files("auditor").joinpath("_units.py").read_bytes(),
    ]
    return cached("units", depends, _build_lookup)


def _build_lookup() -> tuple[dict[tuple[str, ...], tuple[str, str]], dict[str, tuple[str, str]], int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from quantulum3 import load

        units = load.units("en_US")
    table = unit_table()
    allowed = set(table["entities"])
    banned = {w.lower() for w in table["not_units"]}
    words: dict[tuple[str, ...], tuple[str, str]] = {}
    for surface, candidates in units.surfaces_lower.items():
        key = tuple(surface.replace("-", " ").split())
        if not key or surface in banned or len(surface) < 2:
            continue
        best = sorted(candidates, key=lambda u: u.name)
        unit = next((u for u in best if u.entity.name in allowed), None)
        if unit is None or (unit.entity.name == "dimensionless" and unit.name != "percentage"):
            continue
        words[key] = (unit.name, unit.entity.name)
    for text, name in table["currency_words"].items():
        words[tuple(text.split())] = (name, "currency")
    for text, (name, entity) in table.get("extra_units", {}).items():
        words.setdefault(tuple(text.split()), (name, entity))
    symbols: dict[str, tuple[str, str]] = {}
    for symbol, candidates in units.symbols.items():
        unit = next((u for u in sorted(candidates, key=lambda u: u.name) if u.entity.name in allowed), None)
        if unit is None or symbol.lower() in banned:
            continue
        if len(symbol) == 1 and symbol not in "$£€¥%":
            continue
        if unit.entity.name == "dimensionless" and unit.name != "percentage":
            continue
        symbols[symbol] = (unit.name, unit.entity.name)
    longest = max(len(k) for k in words)
    return words, symbols, min(longest, 4)


def _factor(written: float | str) -> float:
    """A conversion factor as the table writes it: 1.609344 or 1/24."""
    if isinstance(written, str) and "/" in written:
        numerator, denominator = written.split("/")
        return float(numerator) / float(denominator)
    return float(written)


@lru_cache(maxsize=256)
def reading(name: str, entity: str) -> UnitReading:
    table = unit_table()
    for group in ("length", "time", "fraction", "currency"):
        spec = table[group].get(name)
        if spec:
            category = {"length": "distance", "time": "duration", "fraction": "fraction", "currency": "money"}[group]
            return UnitReading(name, entity, spec["unit"], _factor(spec["factor"]), category)
    return UnitReading(name, entity, name, 1.0, _ENTITY_CATEGORY.get(entity, "other"))


def unit_after(tokens: list[Token], j: int) -> tuple[UnitReading, int] | None:
    """The unit written at tokens[j:] (longest match): (reading, last token index)."""
    words, symbols, longest = _lookup()
    n = len(tokens)
    if j >= n:
        return None
    tok = tokens[j]
    joined = unit_table().get("joined_units", {})
    if tok.kind != "num":
        # "330 km/h", "47.6C", "5°C": units written as one piece, read before single words
        text, last = tok.text, j
        for k in range(j + 1, min(n, j + 3)):
            if tokens[k].start != tokens[k - 1].end:
                break
            if text + tokens[k].text in joined or (text + tokens[k].text).lower() in joined:
                text, last = text + tokens[k].text, k
            elif tokens[k].text in "/°":
                text += tokens[k].text
            else:
                break
        spec = joined.get(text) or joined.get(text.lower())
        if spec is not None and (last > j or j >= 1 and tokens[j - 1].end == tok.start):
            return reading(spec[0], spec[1]), last

    if tok.text in symbols and (tok.kind == "punct" or tok.text == tok.text.lower() or len(tok.text) > 1):
        name, entity = symbols[tok.text]
        if tok.text != "%" and tok.kind == "punct":
            return None  # "$" and "£" stand before the number
        return reading(name, entity), j
    if tok.lower == "per" and j + 1 < n and tokens[j + 1].lower == "cent":
        return reading("percentage", "dimensionless"), j + 1
    room = min(longest, n - j)
    for length in _lengths_by_first().get(tok.lower, ()):  # only the lengths of the phrases starting with this word
        if length > room:
            continue
        key = tuple(map(_LOWER, tokens[j:j + length]))
        if key in words:
            name, entity = words[key]
            return reading(name, entity), j + length - 1
    return None


def may_start_unit(tokens: list[Token], j: int) -> bool:
    """Whether ``unit_after(tokens, j)`` may find a unit: False only when it surely finds none.

    A word written apart from its neighbours (no joined unit such as "km/h" or "47.6C") that is no
    unit symbol, not "per" and begins no unit phrase starts no unit: most words after "a" or "one".
    """
    if j >= len(tokens):
        return False
    tok = tokens[j]
    if tok.kind == "num" or j >= 1 and tokens[j - 1].end == tok.start or (
            j + 1 < len(tokens) and tokens[j + 1].start == tok.end):
        return True
    return tok.text in _lookup()[1] or tok.lower == "per" or tok.lower in _lengths_by_first()


@lru_cache(maxsize=1)
def _lengths_by_first() -> dict[str, tuple[int, ...]]:
    """The lengths (longest first) of the unit phrases by their first word."""
    return phrase_lengths(_lookup()[0])


def unit_in_compound(suffix: str) -> UnitReading | None:
    """The unit inside a compound adjective: '24-hour' -> hour, 'six-year' -> year, '10-km' -> kilometre."""
    words, _, _ = _lookup()
    key = tuple(suffix.split("-"))
    found = words.get(key) or words.get(key[:1])
    return reading(*found) if found else None


def currency_prefix(tokens: list[Token], i: int) -> int | None:
    """Index of the first token of a currency prefix standing right before token i, else None."""
    if i < 1:
        return None
    prefixes = unit_table()["currency_prefixes"]
    prev = tokens[i - 1]
    if prev.lower == "$" and i >= 2 and tokens[i - 2].lower == "us" and tokens[i - 2].end == prev.start:
        return i - 2
    spec = prefixes.get(prev.lower)
    if spec is None or (prev.kind == "word" and prev.text != prev.text.upper() and not spec.get("title")):
        return None  # "rm" in running text, "Ps": only the written code counts
    touching = prev.end == tokens[i].start
    if not touching and spec.get("spaced", True) is False:
        return None
    if spec.get("scaled") and not (touching and i + 1 < len(tokens) and (
            tokens[i + 1].start == tokens[i].end and tokens[i + 1].lower in ("m", "bn", "k", "mn", "b")
            or tokens[i + 1].lower in ("million", "billion", "trillion"))):
        return None
    return i - 1


def currency_before(tokens: list[Token], i: int) -> tuple[UnitReading, int] | None:
    """A currency written right before token i ('$1.5 billion', 'US$20', 'USD10m'): (reading, first token index)."""
    first = currency_prefix(tokens, i)
    if first is None:
        return None
    key = "us$" if first == i - 2 else tokens[i - 1].lower
    name = unit_table()["currency_prefixes"][key]["unit"]
    return reading(name, "currency"), first
