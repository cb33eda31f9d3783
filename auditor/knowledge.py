"""The analyst-editable tables in ``auditor/data/``, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

CASUALTY_CATEGORIES: frozenset[str] = frozenset(
    {"killed", "wounded", "casualties", "missing", "captured", "displaced", "trapped"}
)


def load_table(name: str) -> Any:
    """Parse ``auditor/data/<name>`` (YAML)."""
    text = resources.files("auditor").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


Phrase = tuple[str, ...]


def phrase(text: str) -> Phrase:
    """A phrase as the lower-case word tuple the tokenizer produces."""
    return tuple(text.lower().split())


@dataclass(frozen=True)
class VagueAmount:
    low: float
    high: float | None
    point: float | None
    qualifier: str


@dataclass(frozen=True)
class CategoryWords:
    predicates: dict[Phrase, str]  # phrase -> category
    objects_of: dict[Phrase, str]
    heads: dict[Phrase, str]
    not_people: frozenset[str]
    people: frozenset[str]
    civilian_heads: frozenset[str]
    territory_words: frozenset[str]


_convention = "default"


def set_vague_convention(convention: str) -> None:
    """Choose how vague amounts are read from now on in this process (and workers it forks)."""
    global _convention
    vague_amounts(convention)  # raises ValueError for an unknown name
    _convention = convention


def vague_amounts(convention: str | None = None) -> dict[Phrase, VagueAmount]:
    """Vague phrase -> interval, under ``convention`` (default: the one set for this process)."""
    return _vague_amounts(convention or _convention)


@lru_cache(maxsize=4)
def _vague_amounts(convention: str) -> dict[Phrase, VagueAmount]:
    table = load_table("vague.yaml")
    amounts = dict(table["amounts"])
    if convention != "default":
        try:
            amounts.update(table["conventions"][convention])
        except KeyError:
            known = ", ".join(["default", *table.get("conventions", {})])
            raise ValueError(f"unknown vague-amount convention {convention!r} (known: {known})") from None
    result = {}
    for text, spec in amounts.items():
        result[phrase(text)] = VagueAmount(
            low=float(spec["low"]),
            high=None if spec.get("high") is None else float(spec["high"]),
            point=None if spec.get("point") is None else float(spec["point"]),
            qualifier=spec.get("qualifier", "vague"),
        )
    return result


@lru_cache(maxsize=1)
def qualifiers() -> dict[Phrase, str]:
    """Qualifier phrase -> contract qualifier."""
    return {phrase(p): q for q, phrases in load_table("qualifiers.yaml").items() for p in phrases}


@lru_cache(maxsize=1)
def category_words() -> CategoryWords:
    table = load_table("categories.yaml")
    predicates: dict[Phrase, str] = {}
    objects_of: dict[Phrase, str] = {}
    heads: dict[Phrase, str] = {}
    for category, spec in table.items():
        if not isinstance(spec, dict):
            continue
        for p in spec.get("predicates", []):
            predicates.setdefault(phrase(p), category)
        for p in spec.get("objects_of", []):
            objects_of.setdefault(phrase(p), category)
        for p in spec.get("heads", []):
            heads.setdefault(phrase(p), category)
    return CategoryWords(
        predicates=predicates,
        objects_of=objects_of,
        heads=heads,
        not_people=frozenset(w.lower() for w in table["not_people"]),
        people=frozenset(w.lower() for w in table["people"]),
        civilian_heads=frozenset(w.lower() for w in table["civilian_heads"]),
        territory_words=frozenset(w.lower() for w in table["territory_words"]),
    )


@lru_cache(maxsize=1)
def unit_table() -> dict[str, Any]:
    return load_table("units.yaml")


@lru_cache(maxsize=1)
def attribution_words() -> dict[str, Any]:
    table = load_table("attribution.yaml")
    return {
        "speech_verbs": frozenset(w.lower() for w in table["speech_verbs"]),
        "introducers": [phrase(p) for p in table["introducers"]],
        "titles": frozenset(w.lower() for w in table["titles"]),
        "person_pronouns": frozenset(table["person_pronouns"]),
        "thing_pronouns": frozenset(table["thing_pronouns"]),
    }
