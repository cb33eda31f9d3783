"""Places: names in text with exact offsets, aliases, person names that are not places, distances."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor import gazetteer as gazetteer_module
from auditor.gazetteer import Place, default_gazetteer, great_circle_km

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def gz():
    return default_gazetteer()


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def names(mentions) -> list[str]:
    return [m.place.name for m in mentions]


# -- aliases and spellings ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Baiji", "Beiji", "Bayji", "Bayjī", "BAIJI", "beiji"])
def test_spellings_of_baiji_are_one_place(gz, spelling):
    place = gz.lookup(spelling)
    assert place is not None and place.name == "Baiji" and place.country == "IQ"
    assert gz.same_place(spelling, "Baiji")


@pytest.mark.parametrize(("spelling", "name"), [
    ("Tall ‘Afar", "Tal Afar"), ("Tal Afar", "Tal Afar"), ("tal-afar", "Tal Afar"),
    ("Al Ba‘āj", "Baaj"), ("Ba'aj", "Baaj"), ("Ba’aj", "Baaj"), ("Tikrīt", "Tikrit"), ("Falluja", "Fallujah"),
    ("Salah al-Din", "Salahuddin"), ("Ninawa", "Nineveh"), ("Kiev", "Kyiv"), ("Al Ḩasakah", "Hasakah"),
])
def test_lookup_resolves_spellings_to_display_names(gz, spelling, name):
    assert gz.lookup(spelling).name == name


def test_same_place_tells_different_places_apart(gz):
    assert not gz.same_place("Baiji", "Tikrit")
    assert not gz.same_place("Kirkuk", "Kirkuk province")
    assert gz.same_place("Unknownville", "unknownville")  # unknown names: same spelling only
    assert not gz.same_place("Unknownville", "Baiji")


def test_words_that_are_never_places_are_not_looked_up(gz):
    for word in ("Post", "Bell", "Hope", "Of", "Friday", "Shiite"):
        assert gz.lookup(word) is None, word


def test_tikrit_to_baghdad_great_circle(gz):
    assert great_circle_km(gz.lookup("Tikrit"), gz.lookup("Baghdad")) == pytest.approx(157, abs=5)
    baiji = gz.lookup("Baiji")
    assert great_circle_km(baiji, baiji) == 0


def test_hinted_country_decides_between_towns_of_one_name(gz):
    assert gz.lookup("Springfield").country == "US"  # the most populous
    assert gz.lookup("Springfield", countries=["AU"]).country == "AU"
    assert gz.lookup("Springfield", countries=["Australia"]).country == "AU"  # a country name works too
    (mention,) = gz.find_places("Shelling was reported near Springfield.", countries=["GB"])
    assert mention.place.country == "GB"


# -- places in text ------------------------------------------------------------------------------------


def test_distance_reference_place_has_exact_offsets(gz):
    text = seed("000")
    sentence = "“Beiji, some 155 miles north of Baghdad, fell to ISIS"
    offset = text.index(sentence)
    found = gz.find_places(sentence, offset)
    assert [(m.surface, m.place.name) for m in found] == [("Beiji", "Baiji"), ("Baghdad", "Baghdad")]
    baghdad = found[1]
    assert text[baghdad.start:baghdad.end] == "Baghdad"
    assert baghdad.start == text.index("Baghdad", offset)


def test_seed_003_places_at_every_occurrence(gz):
    text = seed("003")
    found = gz.find_places(text)
    for name in ("Baaj", "Mosul", "Syria"):
        expected = {m.start() for m in re.finditer(rf"\b{name}\b", text)}
        got = {m.start for m in found if m.place.name == name and m.surface == name}
        assert got == expected, name
    assert all(text[m.start:m.end] == m.surface for m in found)
    assert "Nineveh" in names(found)


def test_seed_004_list_of_towns(gz):
    text = seed("004")
    sentence = "struck near Baghdadi, Baiji, Falluja, Makhmur, Ramadi, Sinjar and Tal Afar"
    offset = text.index(sentence)
    found = gz.find_places(sentence, offset)
    assert [m.surface for m in found] == ["Baghdadi", "Baiji", "Falluja", "Makhmur", "Ramadi", "Sinjar", "Tal Afar"]
    assert names(found) == ["Baghdadi", "Baiji", "Fallujah", "Makhmur", "Ramadi", "Sinjar", "Tal Afar"]
    for m in found:
        assert text[m.start:m.end] == m.surface
        assert m.place.country == "IQ"


def test_spellings_with_diacritics_and_curly_apostrophes_in_text(gz):
    text = "Shelling hit Ba‘āj, Tall ‘Afar and Al Ḩasakah; Shi'ite and Shi’ite fighters held Deir ez-Zor."
    found = gz.find_places(text)
    assert [(m.surface, m.place.name) for m in found] == [
        ("Ba‘āj", "Baaj"), ("Tall ‘Afar", "Tal Afar"), ("Al Ḩasakah", "Hasakah"), ("Deir ez-Zor", "Deir ez-Zor")]


def test_longest_name_wins_and_provinces_are_their_own_places(gz):
    text = "ISIS captured Ramadi, the provincial capital of the western Anbar province, and Kirkuk province."
    found = gz.find_places(text)
    assert [(m.surface, m.place.name, m.place.kind) for m in found] == [
        ("Ramadi", "Ramadi", "city"), ("Anbar province", "Anbar", "region"),
        ("Kirkuk province", "Kirkuk province", "region")]


def test_possessive_is_not_part_of_the_place(gz):
    text = "Mosul, Iraq’s second largest city"
    assert [m.surface for m in gz.find_places(text)] == ["Mosul", "Iraq"]


# -- what is not a place -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Iraq's Prime Minister Haider al-Abadi has appealed for more aid.",
    "U.N. Humanitarian Coordinator Lise Grande told Reuters.",
    "Brig. Gen. Saad Maan Ibrahim, spokesman for the Joint Operations Command, said.",
    "Post a Comment",
    "Many people fled. Hope remains. Reading the report on Friday, he said.",
    "Shi'ite militias and Shiite fighters advanced.",
    "The Washington Post reported it first.",
    "The Institute for the Study of War said so.",
])
def test_person_names_and_common_words_are_not_places(gz, text):
    found = [m for m in gz.find_places(text, countries=["US", "GB"]) if m.place.kind != "country"]
    assert found == []


def test_first_name_is_a_place_only_in_a_place_context(gz):
    person = '"Fifteen were killed," Bashir Nazm Kahiya, a provincial official, told Rudaw.'
    assert "Bashir" not in names(gz.find_places(person, countries=["IQ"]))
    for text in ("They tried to recapture the village of Bashir south of Kirkuk.",
                 "The militiamen have retreated from Bashir to the surrounding areas.",
                 "Bashir, a predominantly Shiite Turkmen village, is the biggest in the province."):
        assert "Bashir" in names(gz.find_places(text)), text


def test_seed_002_bashir_the_village_not_the_official(gz):
    text = seed("002")
    found = [m.start for m in gz.find_places(text) if m.place.name == "Bashir"]
    official = text.index("Bashir Nazm Kahiya")
    village_mentions = [m.start() for m in re.finditer(r"\bBashir\b", text) if m.start() != official]
    assert found == village_mentions


def test_small_villages_need_a_hinted_country_or_a_place_context(gz):
    village = gz.lookup("Zawita")
    assert village is not None and village.population < 5000 and village.country == "IQ"
    text = "Two people died when Zawita came under fire."
    assert gz.find_places(text) == []
    assert names(gz.find_places(text, countries=["IQ"])) == [village.name]
    assert names(gz.find_places("Artillery hit the village of Zawita.")) == [village.name]


def test_common_words_that_name_foreign_towns_are_not_places(gz):
    # Battle (England), Page (Arizona), Most (Czechia): towns of a few thousand people, far from the story
    text = "Battle lines were drawn. The Battle for Mosul cost Most of the Page views."
    assert names(gz.find_places(text, countries=["IQ"])) == ["Mosul"]


def test_offsets_are_shifted_by_offset(gz):
    (m,) = gz.find_places("near Tikrit", offset=1000)
    assert (m.start, m.end, m.surface) == (1005, 1011, "Tikrit")
    assert isinstance(m.place, Place)


# -- the cached index ----------------------------------------------------------------------------------


def test_index_is_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    calls = []

    def fake_build(table):
        calls.append(1)
        return {"built": len(calls)}

    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(tmp_path))
    monkeypatch.setattr(gazetteer_module, "_BUILD_IN_CHILD", False)  # the stand-in build runs here
    monkeypatch.setattr(gazetteer_module, "_build", fake_build)
    assert gazetteer_module._load_or_build() == {"built": 1}
    assert gazetteer_module._load_or_build() == {"built": 1}  # from the cache file
    assert len(calls) == 1
    (cache_file,) = (tmp_path / "figure-auditor").glob("gazetteer-*")
    stored = cache_file.read_bytes()
    cache_file.write_bytes(stored[:-3] + bytes([stored[-3] ^ 1]) + stored[-2:])  # one bit changed: rebuilt
    assert gazetteer_module._load_or_build() == {"built": 2}
    cache_file.write_bytes(b"not a cache file")  # a damaged cache is rebuilt
    assert gazetteer_module._load_or_build() == {"built": 3}
    assert [p.name for p in (tmp_path / "figure-auditor").glob("gazetteer-*")] == [cache_file.name]


_BUILD_AND_SCAN = """
import json, os, sys
from auditor import gazetteer
build = gazetteer._build_in_child

def counted():
    with open(sys.argv[1], "a") as marks:
        marks.write(f"{os.getpid()}\\n")
    return build()

def not_here(table):
    raise AssertionError("the index was built in the process that needs it")

gazetteer._build_in_child, gazetteer._build = counted, not_here
found = gazetteer.default_gazetteer().find_places(sys.argv[2], countries={"SD", "UA"})
print(json.dumps([[m.start, m.end, m.place.place_id, m.place.name, m.place.admin1] for m in found]))
"""


def test_workers_starting_on_an_empty_cache_build_the_index_once_and_find_the_same_places(tmp_path, gz):
    import json
    import os
    import subprocess
    import sys

    text = ("KHARKIV, Ukraine (AP) — Shelling hit Izium and Kupiansk; in El Fasher and the town of Kutum, "
            "North Darfur, residents fled to Tawila. Borno state officials in Maiduguri said 3 died.")
    marks = tmp_path / "builds.txt"
    env = {**os.environ, "FIGURE_AUDITOR_CACHE": str(tmp_path / "fresh")}
    workers = [subprocess.Popen([sys.executable, "-c", _BUILD_AND_SCAN, str(marks), text], env=env,
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    # One had it built (in a process of its own: neither ran the build); the other waited and loaded it
    assert len(marks.read_text().split()) == 1
    expected = [[m.start, m.end, m.place.place_id, m.place.name, m.place.admin1]
                for m in gz.find_places(text, countries={"SD", "UA"})]
    assert len(expected) >= 6
    assert [json.loads(out) for out in outputs] == [expected, expected]


def test_a_lock_held_too_long_or_a_file_system_without_locks_never_stops_the_build(tmp_path, monkeypatch):
    """A process stuck while holding the lock (or one that inherited it) costs a wait, not a hung run; a file
    system without locks (ENOLCK on some NFS mounts) just builds."""
    import errno
    import fcntl
    import threading
    import time

    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(tmp_path))
    monkeypatch.setattr(gazetteer_module, "_BUILD_IN_CHILD", False)  # the stand-in build runs here
    monkeypatch.setattr(gazetteer_module, "_build", lambda table: {"built": True})
    monkeypatch.setattr(gazetteer_module, "_LOCK_WAIT_SECONDS", 0.5, raising=False)
    (tmp_path / "figure-auditor").mkdir()
    with open(tmp_path / "figure-auditor" / ".gazetteer.lock", "ab") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # held by "another process" that never lets go
        results = []
        began = time.monotonic()
        builder = threading.Thread(target=lambda: results.append(gazetteer_module._load_or_build()), daemon=True)
        builder.start()
        builder.join(timeout=20)
        assert results == [{"built": True}]
        assert time.monotonic() - began >= 0.5  # it did wait for the holder first

    for cached_file in (tmp_path / "figure-auditor").glob("gazetteer-*"):
        cached_file.unlink()

    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    assert gazetteer_module._load_or_build() == {"built": True}


def test_a_builder_killed_while_holding_the_lock_does_not_hold_up_the_next(tmp_path, monkeypatch):
    """The lock dies with its process (no stale lock file to clear): the next process builds at once."""
    import signal
    import subprocess
    import sys
    import time

    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(tmp_path))
    monkeypatch.setattr(gazetteer_module, "_BUILD_IN_CHILD", False)  # the stand-in build runs here
    monkeypatch.setattr(gazetteer_module, "_build", lambda table: {"built": True})
    monkeypatch.setattr(gazetteer_module, "_LOCK_WAIT_SECONDS", 60.0)
    lock = tmp_path / "figure-auditor" / ".gazetteer.lock"
    lock.parent.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time\n"
                               f"handle = open({str(lock)!r}, 'ab'); fcntl.flock(handle, fcntl.LOCK_EX)\n"
                               "print('locked', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.send_signal(signal.SIGKILL)  # killed mid-build
        holder.wait(timeout=10)
        began = time.monotonic()
        assert gazetteer_module._load_or_build() == {"built": True}
        assert time.monotonic() - began < 10
        assert lock.exists()  # the file stays; only the kernel's lock on it went
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_failed_separate_build_is_said_and_the_index_built_here(tmp_path, monkeypatch, caplog):
    """A process that cannot build the index (a broken interpreter path, a killed build) costs a warning
    and a build in the process that needs it, not a run without places."""
    import sys

    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(tmp_path))
    monkeypatch.setattr(gazetteer_module, "_build", lambda table: {"built": "here"})
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with caplog.at_level("WARNING", logger="auditor.gazetteer"):
        assert gazetteer_module._load_or_build() == {"built": "here"}
    assert "separate process could not build it" in caplog.text
    assert gazetteer_module._load_or_build() == {"built": "here"}  # stored: loaded from now on


def test_unwritable_cache_dir_still_gives_an_index(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(blocker))  # a file, so no folder can be made inside it
    monkeypatch.setattr(gazetteer_module, "_BUILD_IN_CHILD", False)  # the stand-in build runs here
    monkeypatch.setattr(gazetteer_module, "_build", lambda table: {"built": True})
    assert gazetteer_module._load_or_build() == {"built": True}


# --- hierarchy: ids, provinces and countries (issue 9) ----------------------------------------------

@pytest.mark.parametrize("name, admin1, country", [
    ("El Fasher", "North Darfur", "SD"),
    ("Mosul", "Nineveh", "IQ"),
    ("Kharkiv", "Kharkiv Oblast", "UA"),
    ("Maiduguri", "Borno", "NG"),
    ("Belgorod", "Belgorod Oblast", "RU"),
])
def test_towns_know_their_province_and_country(gz, name, admin1, country):
    place = gz.lookup(name)
    assert (place.admin1, place.country, place.kind) == (admin1, country, "city")
    assert place.place_id.startswith("geonames:")


def test_provinces_are_places_named_with_their_noun(gz):
    found = gz.find_places("Fighting in Borno state and in the Kharkiv region went on.")
    assert [(m.surface, m.place.kind, m.place.name) for m in found] == [
        ("Borno state", "region", "Borno"), ("Kharkiv region", "region", "Kharkiv Oblast")]
    assert found[0].place.place_id.startswith("admin1:NG.")


def test_a_province_named_like_its_capital_is_the_town_when_named_alone(gz):
    assert gz.lookup("Kharkiv").kind == "city"
    assert gz.lookup("Aleppo").kind == "city"


def test_the_scan_builds_mentions_equal_to_the_dataclass_in_every_field():
    from dataclasses import fields

    from auditor.gazetteer import Place, PlaceMention, _place_mention

    values = (10, 16, "Kharkiv", Place("Kharkiv", 49.98, 36.25, "UA", "city", 1_430_000, "geonames:706483"))
    built = _place_mention(*values)
    assert built == PlaceMention(*values) and hash(built) == hash(PlaceMention(*values))
    assert [getattr(built, f.name) for f in fields(PlaceMention)] == list(values)  # no field left unset


@pytest.mark.parametrize("text", ["Ba‘āj_Raqqa's fighters", "Ba‘āj Raqqa's fighters"])
def test_words_split_alike_with_or_without_an_underscore_in_the_text(text):
    from auditor._names import tokenize

    tokens = tokenize(text)
    assert tokens.words == ["Ba‘āj", "Raqqa", "s", "fighters"]
    assert [text[a:b] for a, b in zip(tokens.starts, tokens.ends)] == tokens.words
    assert tokens.keys == ["baaj", "raqqa", "s", "fighters"]


@pytest.mark.parametrize("text", [
    "Fighters entered Sukhnah on Monday.",  # a town in Syria and one in Yemen: the countries choose
    "Witnesses said Gwoza was quiet and Kutum burned.",  # small towns, taken only in the article's countries
    "Residents said Vuhledar and Hajin were shelled again; Officials said Tadif, Lyman and Monguno saw fighting.",
    "KHARKIV, Ukraine (AP) — Shelling hit Izium and Kupiansk; Borno state officials in Maiduguri said 3 died.",
])
def test_a_second_pass_with_countries_finds_what_a_fresh_scan_with_them_finds(gz, text):
    from auditor._names import tokenize

    def spans(mentions):
        return [(m.start, m.end, m.place.place_id) for m in mentions]

    for countries in ({"YE"}, {"NG"}, {"SD", "UA"}, {"SY"}, {"IQ", "US"}, set()):
        fresh = spans(gz.find_places(text, countries=countries))
        tokens = tokenize(text)
        gz.find_places(text, tokens=tokens)  # the first pass, without countries, is remembered for these tokens
        assert spans(gz.find_places(text, countries=countries, tokens=tokens)) == fresh, countries


@pytest.mark.parametrize("text, joined", [
    ("U.S. forces", [True, True]),  # a dot after a one-letter word keeps a name going ("U.S.")
    ("Iraq. Forces", [False]),  # after a longer word it ends the sentence
    ("U. S. forces. Iraq. Forces", [True, True, False, False]),
])
def test_dots_join_names_only_after_a_single_letter_first_read_or_remembered(text, joined):
    from auditor._names import tokenize

    assert tokenize(text).glued[1:] == joined  # (glued[i]: token i goes on from token i - 1)
    assert tokenize(text).glued[1:] == joined  # the second time from what the first remembered


def test_name_starts_are_the_words_some_name_starts_at(gz):
    """The scan tries only the capitalised words whose key starts a one-word name, or a longer name whose
    second key follows: the same words a plain look at every name under the key gives."""
    import random

    from auditor._names import tokenize

    rng = random.Random(5)
    texts = [seed(prefix) for prefix in ("000", "001", "002", "003", "004")]
    words = " ".join(texts).split()
    texts += [" ".join(rng.sample(words, 60)) + " Kharkiv Oblast. North Darfur state, al-Anbar, Deir ez-Zor Sukhnah"
              for _ in range(40)]
    for text in texts:
        tokens = tokenize(text)
        keys, last = tokens.keys, len(tokens.keys) - 1
        capitalised = [i for i, word in enumerate(tokens.words) if word[0].isupper()]
        plain = [i for i in capitalised
                 if any(not rest or (i < last and rest[0] == keys[i + 1]) for rest, *_ in gz._entries(keys[i]))]
        assert gz._name_starts(keys, capitalised) == plain
        assert len(plain) > 2
