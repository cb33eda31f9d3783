"""The speaker phrases remembered across articles (``provenance._SPEAKER_NAMES``, the cached actor lookup) are
forgotten when the actor table changes with the profile: no credit read under one table is served under another."""

from __future__ import annotations

import pytest

from auditor import attribution, provenance
from auditor.extract import extract_figures
from auditor.profiles import Profile, active_profile

TEXT = "Mai Kaburu said 12 people were killed in an attack on a market in Bunia on Sunday."


def _credit(text: str) -> tuple[str, str]:
    (figure,) = extract_figures(text)
    return figure.source, figure.source_type


@pytest.fixture
def kaburu_profile(monkeypatch):
    """A profile whose actors name an armed group "Mai Kaburu" (a name the shared tables read as a person's)."""
    base = active_profile()
    profile = Profile("test-ituri", countries=base.countries, generic=base.generic, actors=(
        {"name": "Kaburu militia", "kind": "armed_group", "aliases": ["Mai Kaburu"]},))
    yield lambda: monkeypatch.setattr(provenance, "_profile", lambda: profile)
    monkeypatch.undo()
    provenance.profile_changed()


def test_a_remembered_speaker_is_read_again_under_a_new_actor_table(kaburu_profile):
    assert _credit(TEXT) == ("Mai Kaburu", "person")  # read and remembered under the shared tables
    kaburu_profile()
    provenance.profile_changed()
    assert _credit(TEXT) == ("Mai Kaburu", "organisation")  # the profile's armed group, not the remembered person
    assert _credit("Mai Kaburu said 3 soldiers were wounded in Bunia on Monday.") == ("Mai Kaburu", "organisation")


def test_the_memo_serves_the_same_credit_to_every_article():
    """Read once, served from the memo after: the same credit as a first reading gives."""
    provenance._SPEAKER_NAMES.clear()
    assert _credit("Provincial governor Jean Bosco said 5 civilians were killed in Djugu.") == ("Jean Bosco", "person")
    remembered = {credit[0] for credit in provenance._SPEAKER_NAMES.values()}
    assert ("Jean Bosco", "person") in {(c.source, c.source_type) for c in remembered if c is not None}
    assert _credit("Provincial governor Jean Bosco said 6 civilians were killed in Djugu.") == ("Jean Bosco", "person")


def test_a_remembered_sentence_is_served_only_after_what_its_reading_looked_at():
    """A sentence read once is served from the memo in another article (its frames moved to where it stands, its
    credits left for the pronouns after it); one whose reading resolved a pronoun is served only after the same
    state (the last person credited), and read again after another."""
    provenance._SPEAKER_READINGS.clear()
    named = "Provincial governor Jean Bosco said 5 civilians were killed in Djugu."
    pronoun = "He said 3 soldiers were wounded in Bunia."
    first = extract_figures(f"{named} {pronoun}")
    assert isinstance(provenance._SPEAKER_READINGS[named], attribution._Reading)
    assert provenance._SPEAKER_READINGS[pronoun] is attribution._LOOKS_BACK
    again = extract_figures(f"Fighting went on. {named} {pronoun}")
    assert [(f.source, f.source_type) for f in again] == [(f.source, f.source_type) for f in first] == [
        ("Jean Bosco", "person"), ("Jean Bosco", "person")]
    other = extract_figures(f"Police chief Ali Musa said 2 were killed. {pronoun}")
    assert [(f.source, f.source_type) for f in other] == [("Ali Musa", "person"), ("Ali Musa", "person")]
    assert [(f.source, f.start) for f in extract_figures(f"{named} {pronoun}")] == [
        (f.source, f.start) for f in first]
