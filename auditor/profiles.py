"""Conflict profiles: the actor and place knowledge of one war in one data file.

``auditor/data/profiles/<name>.yaml`` holds what a conflict adds to the shared tables:

* ``countries``: ISO-2 codes the articles are about (towns there win ties between towns of one
  name, and their villages are read without a place cue);
* ``actors``: extra actors, in actors.yaml's format (names, kinds, aliases, broader);
* ``generic``: generic words this conflict's reporting uses for one actor ("militants" -> ISIS in
  Iraq 2014-17, "paramilitaries" -> RSF in Sudan). Without a mapping a generic word stays what it
  is: the subject of "12 militants were killed" is "militants".

The ``default`` profile maps nothing and hints nothing. Without a choice (``auto``) each article
uses the profile of its main country when one lists it, else ``default``. A profile is chosen per
process with :func:`set_profile` (``figure-audit run --profile NAME``,
``auditor.audit(..., profile=NAME)``) before articles are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any


from ._names import name_key
from .knowledge import parse_yaml

__all__ = ["Profile", "available_profiles", "load_profile", "set_profile", "active_profile"]

DEFAULT = "default"
AUTO = "auto"
_active = AUTO


@dataclass(frozen=True)
class Profile:
    """One conflict's knowledge (see the module docstring)."""

    name: str
    description: str = ""
    countries: tuple[str, ...] = ()
    actors: tuple[dict[str, Any], ...] = ()
    generic: dict[tuple[str, ...], str] = field(default_factory=dict)  # word key -> actor name

    def generic_actor(self, word: str) -> str:
        """The actor this profile reads a generic word as ("" when it stays generic)."""
        key = name_key(word)
        found = self.generic.get(key)
        if found is None and key and key[-1].endswith("s"):
            found = self.generic.get((*key[:-1], key[-1][:-1]))
        if found is None and key:
            found = self.generic.get((*key[:-1], key[-1] + "s"))
        return found or ""


def _folder() -> Any:
    return resources.files("auditor").joinpath("data", "profiles")


def available_profiles() -> list[str]:
    """Names of the bundled profiles (``auto`` picks one per article)."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=1)
def _by_country() -> dict[str, str]:
    """Country -> the first profile (alphabetically) that lists it."""
    found: dict[str, str] = {}
    for name in available_profiles():
        for country in load_profile(name).countries:
            found.setdefault(country, name)
    return found


def profile_for(country: str) -> Profile:
    """The profile an article whose main country is ``country`` is read with."""
    if _active != AUTO:
        return load_profile(_active)
    return load_profile(_by_country().get(country, DEFAULT))


@lru_cache(maxsize=16)
def load_profile(name: str) -> Profile:
    """The profile called ``name``; a clear ValueError naming the known ones otherwise."""
    path = _folder().joinpath(f"{name}.yaml")
    if not path.is_file():
        known = ", ".join([AUTO, *available_profiles()])
        raise ValueError(f"unknown profile {name!r} (known: {known})")
    table = parse_yaml(path.read_text(encoding="utf-8")) or {}
    generic = {}
    for word, actor in (table.get("generic") or {}).items():
        generic[name_key(str(word))] = str(actor)
    countries = tuple(str(c) for c in table.get("countries") or [])
    bad = [c for c in countries if len(c) != 2 or not c.isupper()]
    if bad:
        raise ValueError(f"profile {name!r}: countries must be ISO-2 codes, not {bad}")
    return Profile(str(table.get("name") or name), str(table.get("description") or ""), countries,
                   tuple(table.get("actors") or ()), generic)


def set_profile(name: str | None) -> None:
    """Use profile ``name`` from now on in this process (and the workers it forks)."""
    global _active
    name = name or AUTO
    if name != AUTO:
        load_profile(name)  # raises ValueError for an unknown name
    if name != _active:
        _active = name
        from . import provenance

        provenance.profile_changed()


def active_profile() -> Profile:
    """The profile chosen for every article (``default`` in ``auto`` mode, where articles choose)."""
    return load_profile(DEFAULT if _active == AUTO else _active)
