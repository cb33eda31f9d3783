"""Scope (incident / cumulative / historical) and event dates: every example of scope.yaml, and a few more."""

from __future__ import annotations

import pytest

from auditor.knowledge import load_table
from auditor.scope import find_dates, read_scope

_TABLE = load_table("scope.yaml")


def _examples():
    for section in ("cumulative", "incident_overrides", "historical"):
        for rule in _TABLE.get(section) or []:
            for example in rule["examples"]:
                yield pytest.param(example, id=f"{rule['id']}:{example['figure']}")
    for example in _TABLE["dates"]["examples"]:
        yield pytest.param(example, id=f"date:{example['text'][:30]}")


@pytest.mark.parametrize("example", list(_examples()))
def test_rule_examples(example):
    text, figure = example["text"], example["figure"]
    start = text.index(figure)
    published = str(example.get("published") or "2024-06-01")
    got = read_scope(text, start, start + len(figure), published)
    if "scope" in example:
        assert got.scope == example["scope"], got
    if "event_date" in example:
        assert got.event_date == (str(example["event_date"]) if example["event_date"] else ""), got


def test_two_figures_in_one_sentence_take_their_own_clause_dates():
    text = ("Two years after a Russian missile killed 61 people at Kramatorsk station on 8 April 2022, the city was "
            "struck again on Monday, when a strike wounded eight people, police said.")
    old = read_scope(text, text.index("61"), text.index("61") + 2, "2024-04-08")
    new = read_scope(text, text.index("eight"), text.index("eight") + 5, "2024-04-08")
    assert (old.scope, old.event_date) == ("historical", "2022-04-08")
    assert (new.scope, new.event_date) == ("incident", "2024-04-08")


def test_no_publication_date_leaves_weekdays_unresolved():
    text = "Gunmen killed 9 people in Zamfara on Tuesday."
    assert read_scope(text, text.index("9"), text.index("9") + 1, "").event_date == ""


def test_last_weekday_is_the_week_before():
    (found,) = find_dates("the attack last Sunday", "2024-05-19")
    assert found.day.isoformat() == "2024-05-12"


def test_identifiers_are_not_years():
    assert find_dates("under Resolution 2254 the council", "2024-05-19") == []


# Sentences with every kind of date, and words that only look like the start of one ("market", "decided",
# "mayor", "Sunni"), from many conflicts: the scan that only tries where a date can start finds the same.
_DATE_TEXTS = [
    "Russian drones struck Odesa on Tuesday, killing 3, the regional governor said on Wednesday.",
    "RSF fighters shelled El Fasher between 10 and 12 May 2024, a local monitor said.",
    "The Mayor of Gaza City decided on Dec. 28, 2023 to close the market; 14 died by Jan 3.",
    "Gunmen killed 17 villagers in Zamfara last Sunday and 4 more yesterday, police told Reuters.",
    "In the 2017 battle for Mosul, about 9,000 civilians were killed, and 40,000 in 2016-2017.",
    "Since mid-2023 the Sunni militia has displaced 30,000 people in Sinaloa, officials said today.",
    "On 7 October 2023, 1,200 people were killed; by 15th of November the toll in Gaza passed 11,000.",
    "Flight 752 and Resolution 2254 are not years, nor is route 1990, but September 2022 is a date.",
    "A strike on Kramatorsk station on April 8th killed 61; the Sept. 4 strike in Sumy killed 12.",
    "Al-Shabaab attacked a base near Mogadishu on THURSDAY; on MARCH 3 it hit Baidoa again.",
    "Fighting in Tigray in november 2020 and august 2021 left thousands dead, monitors said last Friday.",
    "Mai Mai fighters killed 22 people in Ituri on 31 June, a date that does not exist, and 5 on Feb 30.",
    "Gang violence in Port-au-Prince killed 2,500 people between January and March, the UN said on Monday.",
    "Myanmar's junta bombed Sagaing on Satur­day (a soft hyphen), and on Sunday—two days later—again.",
    "Houthi missiles hit Marib in 1998? No: in 2019, 2020 and 2021, per the Yemen Data Project.",
    "The Taliban took Kabul on 15 August 2021; may 4 is not a date here, but May 4 is.",
    "Über 20 Menschen starben am Montag in Charkiw, sagte der Gouverneur – on Monday, the governor said.",
    "Two weekdays: mondays and fridays, and a word ending in day: holiday, someday, doomsday.",
]


def test_the_date_scan_finds_what_the_plain_alternation_finds():
    from auditor import scope
    from auditor.knowledge import Caseless

    plain = Caseless(scope._DATE_RE.source.replace(f"(?={scope._DATE_STARTS})", "", 1))
    assert plain.source != scope._DATE_RE.source
    texts = [*_DATE_TEXTS, *(t.upper() for t in _DATE_TEXTS), *(t.lower() for t in _DATE_TEXTS)]
    found = 0
    for text in texts:
        expected = [(m.span(), m.groupdict()) for m in plain.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in scope._DATE_RE.finditer(text)] == expected, text
        found += len(expected)
    assert found > 100


def test_an_inherited_date_is_asked_for_only_when_the_figure_has_none():
    asked = []

    def inherited() -> str:
        asked.append(True)
        return "2024-05-01"

    text = "Gunmen killed 9 people in Zamfara."
    got = read_scope(text, text.index("9"), text.index("9") + 1, "2024-05-12", inherited=inherited)
    assert (got.event_date, len(asked)) == ("2024-05-01", 1)
    assert got == read_scope(text, text.index("9"), text.index("9") + 1, "2024-05-12", inherited="2024-05-01")
    dated = "Gunmen killed 9 people in Zamfara on Friday."
    got = read_scope(dated, dated.index("9"), dated.index("9") + 1, "2024-05-12", inherited=inherited)
    assert (got.event_date, len(asked)) == ("2024-05-10", 1)  # its own Friday, 10 May: not asked again


def test_every_sentence_with_a_date_passes_the_date_gate():
    """The cheap test before the date scan (a month, a year, a word with "day") lets through every text the scan
    finds a date in, in any case and with the dates' words glued to others."""
    from auditor import scope

    months = ["January", "Feb.", "March", "Apr", "May", "June", "Jul", "August", "Sept.", "October", "Nov", "Dec."]
    days = ["Monday", "last Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "yesterday", "today"]
    texts = [*_DATE_TEXTS, *(f"Troops killed {n} in Ituri on {m} {n}" for n, m in zip(range(1, 13), months)),
             *(f"{n} {m} 2023: {n} dead" for n, m in zip(range(1, 13), months)), *(f"killed 4 {d}" for d in days),
             "the 1998 bombings", "1,200 displaced in 2014-2015", "Sudan's war (2023)", "on 12 MAR", "٢٠ killed in 2024"]
    texts += [t.upper() for t in texts] + [t.lower() for t in texts]
    dated = [t for t in texts if any(True for _ in scope._DATE_RE.finditer(t))]
    assert len(dated) > 60
    assert all(scope._DATE_GATE.search(t) for t in dated)
    # and sentences with numbers but no date are ruled out by it, not scanned
    for text in ("Gunmen killed 12 people in Zamfara", "1,200 families fled Rafah, 30 were hurt",
                 "RSF shelling killed 40 in El Fasher, 3 of them children"):
        assert scope._DATE_GATE.search(text) is None and find_dates(text, "2024-06-01") == []


def test_the_segment_is_read_off_the_clause_breaks():
    """A figure's segment (between punctuation and spaced dashes) is what a scan for those breaks alone finds,
    with clause words, dashes and brackets around the figure."""
    from auditor import scope
    from auditor.knowledge import Caseless

    alone = Caseless(scope._SEGMENT_BREAKS)
    texts = ["Shelling killed 5 in Kharkiv when drones hit a school, and 3 more as the strike ended - 2 of them children.",
             "In Goma (North Kivu) - after M23 took the town - 40 died; whereas 12 were hurt before dawn: 6 in Sake.",
             "Airstrikes - - killed 9 in Saada while—as locals said—14 were wounded – 3 critically.",
             "Gangs killed 80 in Gressier but police said 12 of them\u2003-\u2003gang members\u00a0-\u00a0died as well."]
    checked = 0
    for text in texts:
        for k, char in enumerate(text):
            if char.isdigit() and not text[k - 1].isdigit():
                lowered = text.lower()
                a, b, segment = scope._clause_and_segment(text, k, k + 1, lowered)
                expected = 0
                m = alone.search(text, 0, k)
                while m is not None:
                    expected = m.end()
                    m = alone.search(text, expected, k)
                assert segment == expected, (text, k)
                assert a >= segment and b > k
                checked += 1
    assert checked >= 12


def _count_caseless_scans(monkeypatch) -> list[int]:
    """The length of every text ``knowledge`` scans for characters with case, from now on (a list it fills)."""
    from auditor import knowledge

    scanned: list[int] = []
    not_caseless = knowledge._NOT_CASELESS

    class Counted:
        def search(self, string, *args):
            scanned.append(len(string))
            return not_caseless.search(string, *args)

    monkeypatch.setattr(knowledge, "_NOT_CASELESS", Counted())
    return scanned


def test_a_long_sentence_with_typographic_marks_is_read_once_per_figure(monkeypatch):
    """A figure far into one long sentence (a text without full stops) with many commas and typographic quotes and
    dashes: its clause and segment are those a search from break to break finds, and the sentence is scanned for
    characters with case a fixed number of times for it, not once per comma before it (minutes on 128 KB)."""
    from auditor import scope

    unit = "Gunmen killed 12 people in Zamfara, 30 were hurt; “officials” — in Ituri (North Kivu) 9 died as 4 fled, "
    text = unit * 300
    scanned = _count_caseless_scans(monkeypatch)
    alone = scope._CLAUSE_BREAK
    for k in (text.index("12"), text.rindex("9 died"), text.rindex("4 fled")):
        scanned.clear()
        a, b, segment = scope._clause_and_segment(text, k, k + 1, text.lower())
        assert sum(scanned) <= 3 * len(text)
        expected_a = expected_segment = 0
        m = alone.pattern.search(text, 0, k)
        while m is not None:
            expected_a = m.end()
            expected_segment = m.end() if not m.group().isalpha() else expected_segment
            m = alone.pattern.search(text, expected_a, k)
        assert (a, segment) == (expected_a, expected_segment) and text[k:b].split()[0] in ("12", "9", "4")


def test_a_date_after_a_speech_verb_is_found_in_the_characters_before_it(monkeypatch):
    """"the ministry said on Sunday" dates the statement, not the figure: the speech verb is looked for in the 60
    characters before each date (a verb cut by that reach, glued to a word before it or in capitals is what a
    search of the whole sentence finds), scanning those characters only, not the whole sentence once a date."""
    from auditor import scope

    units = ["The health ministry said on Sunday that 40 people died in Khan Younis; ",
             "RSF shelling killed 12 in El Fasher on Friday, the Sudan Doctors Network said late on 3 March; ",
             "“Officials” — unsaid on Tuesday — put the toll at 9 in Ituri, POLICE TOLD AFP ON 2 APRIL, ",
             "AND 30 WERE HURT IN MARIUPOL YESTERDAY, THE GOVERNOR ANNOUNCED IN A STATEMENT ON MONDAY, ",
             "x" * 50 + " reported in a brief interview late on Wednesday 7 were missing in Mogadishu; "]
    text = "".join(units * 40)
    published = "2024-04-12"
    dates = find_dates(text, published)
    assert len(dates) >= 200
    expected = [not scope._SPEECH_BEFORE.pattern.search(text, max(0, d.start - 60), d.start) for d in dates]
    assert 0 < sum(expected) < len(dates)
    scanned = _count_caseless_scans(monkeypatch)
    assert [not scope._said_before(text, d.start) for d in dates] == expected
    assert sum(scanned) <= 62 * len(dates)
    # and so read_scope skips them: the figure takes the date of its own clause, not the day of the statement
    k = text.index("12 in El Fasher")
    assert read_scope(text, k, k + 2, published, dates).event_date == "2024-04-12"  # its Friday, not 3 March
