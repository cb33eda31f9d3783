"""How a place mention is used (event, speaker, jurisdiction, origin, reference): the word gates in front of the
patterns read back from a place change no role, on ASCII text and on text with curly quotes, dashes and accents.
"""

from __future__ import annotations

import random
import re
import sys

import pytest

from auditor import provenance
from auditor.gazetteer import Place, PlaceMention

TOWN = Place("Town", 0.0, 0.0, "SD", "city", 50_000)
COUNTRY = Place("Land", 0.0, 0.0, "SD", "country", 9_000_000)

# What comes before a place, from reporting on many wars (the place itself follows each).
BEFORE = [
    "Hospital officials in", "“Officials in", "a spokesman for the army in", "the governor of", "the governor of the",
    "foreign fighters from", "mercenaries recruited from", "militiamen from the", "speaking from", "a Kyiv-based analyst in",
    "villages north of", "20 km south-east of", "the border with", "crossed the border into", "displaced people in",
    "shelling hit", "an airstrike on", "fled fighting around", "Médecins Sans Frontières staff in",
    "the ministry’s statement from", "residents of", "doctors at the hospital in", "(officials in", "— witnesses in",
    "prosecutors’ office in", "an aid convoy near", "Gaza’s health authorities in", "the UN envoy to",
    "refugees arriving from", "clashes erupted in", "the junta in", "police chief for",
]
NOISE = ["’", "‘", "“", "”", "—", "–", "é", "ñ", "ü", "ç", "\u00a0", "…", "İ", "ı", "ſ", "\u212a", "Ş", "ğ", "ō"]


def _roles(text: str, start: int, end: int) -> tuple[str, str]:
    return tuple(provenance._place_role(text, PlaceMention(start, end, text[start:end], place))  # type: ignore[return-value]
                 for place in (TOWN, COUNTRY))


def _roles_ungated(text: str, start: int, end: int, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The roles with the word gates used on ASCII windows only (every other window searched in full)."""
    with monkeypatch.context() as patched:
        patched.setattr(provenance, "_FOLDS_TO_ASCII", re.compile(r"[^\x00-\x7f]"))
        return _roles(text, start, end)


def test_the_letters_that_fold_to_ascii_are_all_listed():
    """Every character outside ASCII that a case-insensitive pattern matches to an ASCII letter is in the list
    (the gates are exact only on text without them)."""
    letters = re.compile("[a-z]", re.IGNORECASE)
    folding = {chr(c) for c in range(128, sys.maxunicode + 1) if letters.match(chr(c))}
    listed = set(provenance._FOLDS_TO_ASCII.pattern.strip("[]"))
    assert folding == listed


@pytest.mark.parametrize("before", BEFORE)
def test_gated_roles_equal_full_searches_on_non_ascii_windows(before, monkeypatch):
    rng = random.Random(before)
    for _ in range(80):
        words = before.split()
        for _ in range(rng.randint(0, 3)):  # noise glued to or between the words, in any case
            k = rng.randrange(len(words))
            noise = rng.choice(NOISE)
            words[k] = noise + words[k] if rng.random() < 0.5 else words[k] + noise
        if rng.random() < 0.3:
            words = [w.upper() if rng.random() < 0.5 else w for w in words]
        if rng.random() < 0.3:  # a letter swapped for one that matches it only case-insensitively ("ın", "ſource")
            k = rng.randrange(len(words))
            words[k] = words[k].translate(rng.choice([{ord("i"): "ı"}, {ord("I"): "İ"}, {ord("s"): "ſ"},
                                                       {ord("k"): "\u212a"}, {ord("n"): "ñ"}]))
        prefix = rng.choice(["", "In 2024, ", "The UN said — ", "“We fled,” she said. ", "Über "])
        text = prefix + " ".join(words) + " " + "Kadugli" + rng.choice(["", ",", " said", "’s governor", " on Monday"])
        start = text.index("Kadugli")
        assert _roles(text, start, start + 7) == _roles_ungated(text, start, start + 7, monkeypatch), text


def test_a_non_ascii_speaker_window_keeps_its_role():
    text = "“Médecins Sans Frontières officials in Kadugli said 12 people died."
    start = text.index("Kadugli")
    assert _roles(text, start, start + 7)[0] == "speaker"
    dotless = "OFFICIALS ın Kadugli reported 12 dead."  # "ın": a pattern's "in" under IGNORECASE only
    start = dotless.index("Kadugli")
    assert _roles(dotless, start, start + 7)[0] == "event"  # no preposition word: read as the event's place
