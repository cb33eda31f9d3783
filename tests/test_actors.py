"""Actors: aliases to canonical names, case rules for acronyms, generic words, broader actors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.actors import ActorIndex, find_actors, is_outlet, normalise_actor, outlet_or_org, same_actor

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def found(text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.actor.name) for m in find_actors(text)]


# -- the seeds ---------------------------------------------------------------------------------------


def test_seed_000_hash_al_shaabi_is_hashd_al_shaabi_with_exact_offsets():
    text = seed("000")
    mentions = [m for m in find_actors(text) if m.surface == "Hash al-Shaabi"]
    assert [m.start for m in mentions] == [m.start() for m in re.finditer("Hash al-Shaabi", text)]
    assert {m.actor.name for m in mentions} == {"Hashd al-Shaabi"}
    assert all(not m.generic and m.actor.kind == "armed_group" for m in mentions)


def test_seed_000_the_associated_press_ap():
    text = seed("000")
    offset = text.index("The Associated Press (AP)")
    sentence = "The Associated Press (AP), noting"
    mentions = find_actors(sentence, offset)
    assert [(m.surface, m.actor.name, m.actor.kind) for m in mentions] == [
        ("Associated Press", "AP", "outlet"), ("AP", "AP", "outlet")]
    assert all(text[m.start:m.end] == m.surface for m in mentions)


def test_seed_003_popular_mobilisation_is_hashd_al_shaabi():
    text = seed("003")
    hashd = [m for m in find_actors(text) if m.actor.name == "Hashd al-Shaabi"]
    assert [m.start for m in hashd] == [m.start() for m in re.finditer("Popular Mobilisation", text)]


def test_seed_004_daesh_is_isis():
    text = seed("004")
    daesh = [m for m in find_actors(text) if m.surface == "Daesh"]
    assert [m.start for m in daesh] == [m.start() for m in re.finditer("Daesh", text)]
    assert {m.actor.name for m in daesh} == {"ISIS"}


def test_seed_004_mobilization_forces_and_task_force():
    text = seed("004")
    names = dict(found(text))
    assert names["popular mobilization forces"] == "Hashd al-Shaabi"
    assert names["Combined Joint Task Force"] == "Combined Joint Task Force"
    assert names["U.S.-led coalition"] == "coalition"
    assert names["peshmerga forces"] == "Kurdish forces"


# -- spellings, case and longest match ---------------------------------------------------------------


def test_un_agencies():
    assert found("The U.N. refugee agency said; UNHCR and the UN refugee agency agreed.") == [
        ("U.N. refugee agency", "UNHCR"), ("UNHCR", "UNHCR"), ("UN refugee agency", "UNHCR")]
    assert found("the U.N. said") == [("U.N.", "UN")]


@pytest.mark.parametrize("text", ["Shiite militia", "Shiite militias", "Shi'ite militias", "Shi’ite militia",
                                  "Shia militias", "Iran-backed militias", "Iran backed militia"])
def test_shiite_militia_spellings(text):
    assert found(text) == [(text, "Shiite militias")]


def test_longest_alias_wins():
    assert found("the U.S.-led coalition") == [("U.S.-led coalition", "coalition")]
    assert found("Kataib Hezbollah and Hezbollah") == [("Kataib Hezbollah", "Kataib Hezbollah"),
                                                      ("Hezbollah", "Hezbollah")]
    assert found("Islamic State of Iraq and al-Sham (ISIS)") == [("Islamic State of Iraq and al-Sham", "ISIS"),
                                                                 ("ISIS", "ISIS")]


def test_is_is_the_group_only_in_a_group_context():
    assert found("IS fighters attacked, and the fight against IS went on.") == [("IS", "ISIS"), ("IS", "ISIS")]
    assert found("THIS IS WHY IS MATTERS. It is what it is.") == []


def test_acronyms_match_only_in_capitals():
    assert found("Who knows? The WHO said so.") == [("WHO", "WHO")]
    assert found("an ap and Ap") == []
    assert found("An amnesty was declared, Amnesty said.") == [("Amnesty", "Amnesty International")]


def test_dotted_acronyms_match_undotted_and_keep_their_dot():
    assert found("U.S. forces and US troops") == [("U.S. forces", "U.S. forces"), ("US troops", "U.S. forces")]


def test_plural_and_singular():
    assert found("a militiaman and militiamen") == [("militiaman", "Shiite militias"), ("militiamen", "Shiite militias")]
    assert found("one civilian, many civilians") == [("civilian", "civilians"), ("civilians", "civilians")]


def test_generic_words_are_flagged():
    mentions = find_actors("ISIS militants and jihadists")
    assert [(m.surface, m.actor.name, m.generic) for m in mentions] == [
        ("ISIS", "ISIS", False), ("militants", "ISIS", True), ("jihadists", "ISIS", True)]


def test_possessive_forms():
    assert found("Iraq’s Joint Operations Command and Iraq's army") == [
        ("Iraq’s Joint Operations Command", "Joint Operations Command"), ("Iraq's army", "Iraqi forces")]


# -- normalising and comparing -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "canonical"), [
    ("Daesh", "ISIS"), ("ISIL", "ISIS"), ("Islamic State", "ISIS"), ("Hash al-Shaabi", "Hashd al-Shaabi"),
    ("Popular Mobilisation", "Hashd al-Shaabi"), ("PMF", "Hashd al-Shaabi"), ("PMU", "Hashd al-Shaabi"),
    ("the Associated Press", "AP"), ("U.N. refugee agency", "UNHCR"), ("League of the Righteous", "Asaib Ahl al-Haq"),
    ("Iraqi troops", "Iraqi forces"), ("a U.S. Marine", "U.S. forces"), ("Hashd al-Shaabi members", "Hashd al-Shaabi"),
])
def test_normalise_actor(name, canonical):
    assert normalise_actor(name) == canonical


def test_unknown_names_and_generic_words_come_back_stripped():
    assert normalise_actor("  Bashir Nazm Kahiya ") == "Bashir Nazm Kahiya"
    assert normalise_actor("militants") == "militants"


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Hashd al-Shaabi", "Popular Mobilisation", True),
    ("Hash al-Shaabi", "PMF", True),
    ("Shiite militias", "Hashd al-Shaabi", True),  # broader
    ("Asaib Ahl al-Haq", "Shiite militias", True),  # broader, through Hashd al-Shaabi
    ("coalition", "Combined Joint Task Force", True),
    ("Iranian military advisers", "Iranian forces", True),
    ("Asaib Ahl al-Haq", "Kataib Hezbollah", False),  # both part of Hashd, not of each other
    ("Hashd al-Shaabi", "ISIS", False),
    ("Iraqi forces", "Kurdish forces", False),
    ("Some Brigade", "some brigade", True),
])
def test_same_actor(a, b, same):
    assert same_actor(a, b) is same
    assert same_actor(b, a) is same


def test_attribution_lookup():
    assert outlet_or_org("The Associated Press").name == "AP"
    assert outlet_or_org("U.N. refugee agency").name == "UNHCR"
    assert outlet_or_org("Human Rights Watch").kind == "organisation"
    assert outlet_or_org("ISIS") is None
    assert outlet_or_org("Bashir Nazm Kahiya") is None
    assert is_outlet("Rudaw") and is_outlet("Reuters") and not is_outlet("HRW")


# -- the table ---------------------------------------------------------------------------------------


def test_table_mistakes_are_reported_by_name():
    with pytest.raises(ValueError, match="'Daesh' of 'B' is also an alias of 'A'"):
        ActorIndex({"actors": [{"name": "A", "kind": "armed_group", "aliases": ["Daesh"]},
                               {"name": "B", "kind": "armed_group", "aliases": ["Daesh"]}]})
    with pytest.raises(ValueError, match="'A' is part of 'Nobody'"):
        ActorIndex({"actors": [{"name": "A", "kind": "armed_group", "broader": ["Nobody"]}]})
    with pytest.raises(ValueError, match="kind 'army'"):
        ActorIndex({"actors": [{"name": "A", "kind": "army"}]})


def test_an_analyst_table_extends_the_lookup():
    index = ActorIndex({"actors": [
        {"name": "Brigade 51", "kind": "armed_group", "aliases": ["51st Brigade"], "broader": ["Big Front"]},
        {"name": "Big Front", "kind": "armed_group", "aliases": ["the Front"]},
    ]})
    assert [(m.surface, m.actor.name) for m in index.find_actors("The 51st Brigade attacked.")] == [
        ("51st Brigade", "Brigade 51")]
    assert index.same_actor("51st Brigade", "Big Front")


def test_the_scan_builds_mentions_equal_to_the_dataclass_in_every_field():
    from dataclasses import fields

    from auditor.actors import Actor, ActorMention, _actor_mention

    values = (4, 9, "Hashd", Actor("Popular Mobilization Forces", "armed_group"), False)
    built = _actor_mention(*values)
    assert built == ActorMention(*values) and hash(built) == hash(ActorMention(*values))
    assert [getattr(built, f.name) for f in fields(ActorMention)] == list(values)  # no field left unset
