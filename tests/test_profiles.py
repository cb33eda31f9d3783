"""Conflict profiles: one data file per war; generic words stay generic unless the profile maps them."""

from __future__ import annotations

import pytest

from auditor import extract_figures, profiles
from auditor.model import Article


@pytest.fixture(autouse=True)
def _auto_profile():
    profiles.set_profile("auto")
    yield
    profiles.set_profile("auto")


def _figure(text: str, part: str):
    figures = extract_figures(Article("t", "", text))
    start = text.index(part)
    return next(f for f in figures if f.start < start + len(part) and start < f.end)


def test_bundled_profiles_load_and_name_iso_countries():
    names = profiles.available_profiles()
    assert {"default", "iraq_syria", "sudan", "ukraine"} <= set(names)
    for name in names:
        profile = profiles.load_profile(name)
        assert all(len(c) == 2 and c.isupper() for c in profile.countries)


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown profile 'narnia'.*sudan"):
        profiles.set_profile("narnia")


def test_generic_words_stay_generic_without_a_mapping():
    profiles.set_profile("default")
    figure = _figure("Troops killed 12 militants near the border, the army said.", "12")
    assert figure.subject == "militants"


def test_the_profile_maps_generic_words():
    profiles.set_profile("iraq_syria")
    assert _figure("Troops killed 12 militants near the border, the army said.", "12").subject == "ISIS"
    profiles.set_profile("sudan")
    assert _figure("Clashes killed 30 paramilitaries near El Obeid.", "30").subject == "RSF"


def test_auto_picks_the_profile_of_the_article_country():
    assert _figure("Fighting in Babanusa, Sudan, killed 12 soldiers on Wednesday.", "12").subject == "Sudanese army"
    assert _figure("An ambush in Borno state, Nigeria, killed 11 soldiers.", "11").subject == "Nigerian army"


def test_audit_takes_a_profile(tmp_path):
    import auditor

    (tmp_path / "a.txt").write_text("Clashes in El Obeid, Sudan, killed 30 paramilitaries on Monday.\n")
    result = auditor.audit([tmp_path], jobs=1, profile="default")
    assert list(result.figures["subject"]) == ["paramilitaries"]
    with pytest.raises(ValueError):
        auditor.audit([tmp_path], jobs=1, profile="narnia")
