"""Provenance on the tables of tests/data/provenance/: source, place, scope and date per conflict.

Each row is read as an article (its publication date and outlet); the thresholds are the accuracy the
rules reach today on all rows together, so a change that loses ground fails with the rows it broke.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_provenance import accuracy, load_tables, score_tables  # noqa: E402

# field -> lowest accuracy accepted over all tables (measured: see benchmarks/bench_provenance.py)
THRESHOLDS = {
    "found": 0.97,
    "source": 0.92,
    "source_type": 0.90,
    "location": 0.86,
    "country": 0.91,
    "scope": 0.89,
    "event_date": 0.93,
    "subject": 0.83,
    "admin1": 0.85,
}


@pytest.fixture(scope="module")
def checks():
    tables = load_tables()
    if sum(len(rows) for rows in tables.values()) < 100:
        pytest.skip("the provenance tables are not there yet")
    return score_tables(tables)


def test_the_tables_cover_many_conflicts():
    tables = load_tables()
    assert len(tables) >= 6, sorted(tables)
    ids = [row["id"] for rows in tables.values() for row in rows]
    assert len(ids) == len(set(ids)), "row ids must be unique across tables"


@pytest.mark.parametrize("field", sorted(THRESHOLDS))
def test_field_accuracy(checks, field):
    value, n = accuracy(checks, field)
    assert n > 0
    failing = [f"{c.row} {c.number!r}: want {c.expected!r}, got {c.predicted!r}" for c in checks
               if c.field == field and not c.ok]
    assert value >= THRESHOLDS[field], f"{field} accuracy {value:.3f} over {n}; failing rows:\n" + "\n".join(failing)


def test_told_names_the_outlet_spoken_to(checks):
    told = [c for c in checks if c.field == "told" and c.expected]
    assert told and all(c.ok for c in told), [(c.row, c.expected, c.predicted) for c in told if not c.ok]


# Places in every use the roles tell apart, from many conflicts, with odd spacing, capitals and non-ASCII text.
_ROLE_TEXTS = [
    "Hospital officials in Zaporizhzhia said 22 wounded people were brought in from Orikhiv.",
    "Foreign fighters from Chad, Niger and Libya joined the RSF near El Geneina, monitors said.",
    "The governor of the Odesa region said a drone hit a port in Izmail overnight.",
    "Police chiefs for   the Zamfara state said gunmen took 40 pupils in Kaura Namoda.",
    "Villages 20 km north of Kirkuk and 15 kilometres outside Hawija were shelled, the army said.",
    "Refugees crossed the border into Chad at Adre; others fled south-east of the Darfur capital.",
    "Clashes near the borders with Niger and Burkina Faso killed 12 soldiers in Mali.",
    "Russia fired 40 missiles at Kyiv; Ankara said it would mediate, and Moscow denied it.",
    "Lebanon's health ministry said 31 people were killed in Nabatieh; Israel's army said it struck Tyre.",
    "A Kyiv-based analyst and a Nairobi–based envoy spoke of Goma and of fighting west of the Masisi hills.",
    "The Syria Civil Defence said 9 died in Idlib; the Sudan Doctors Network counted 15 in Omdurman.",
    "ASYLUM SEEKERS FROM ERITREA AND SOMALIA DROWNED OFF LAMPEDUSA, OFFICIALS IN ROME SAID.",
    "Speaking from Geneva, the envoy said 300 were killed in Gaza and 50 in Rafah since the talks in Doha.",
    "Journalists  \n in Port-au-Prince said gangs from Cité Soleil killed 70 people in Pont-Sondé.",
    "Militants from the Sahel region attacked a base in Menaka, the junta in Bamako said.",
    "Residents of Kherson and officials at Mykolaiv reported shelling north-west of the city of Kherson.",
    "The commander for Sagaing said troops from Mandalay crossing the border to Thailand were held in Myawaddy.",
    "Ethiopia's federal government denied that soldiers in Tigray killed 200 civilians in Axum.",
    # matches as long as each pattern's (_BEFORE_GATES): five words before the place
    "Army commanders stationed in the eastern Donbas said shelling hit villages west of the provincial capital Kharkiv.",
    "Asylum seekers mostly from the Tigray region drowned; spokesmen speaking at the Tuesday Mogadishu briefing said so.",
    # head words glued to a bracket or a hyphen, cut by a comma or an underscore, in the plural or not a head at all
    "Aid workers told (officials in Mosul) that 14 died; co-officials in Raqqa and sub_officials in Kandahar agreed.",
    "Spokesmen, in Herat 5 were killed; the spokeswoman at Khartoum and a UN-spokesperson in Kassala counted 40.",
    "Heads of Sanaa families and the head of Borno state said 3 died; Kano, 2 more; Lagos 4; Aleppo's governor.",
    "Mayors in Lviv, the mayor for Kharkiv, the police chief of Gao and Gao's police chief spoke of Bamako-2 and Gao.",
]
_ROLE_PLACES = ("Zaporizhzhia", "Orikhiv", "Chad", "Niger", "Libya", "El Geneina", "Odesa", "Izmail", "Zamfara",
                "Kaura Namoda", "Kirkuk", "Hawija", "Adre", "Darfur", "Burkina Faso", "Mali", "Russia", "Kyiv",
                "Ankara", "Moscow", "Lebanon", "Nabatieh", "Israel", "Tyre", "Nairobi", "Goma", "Masisi", "Syria",
                "Idlib", "Sudan", "Omdurman", "ERITREA", "SOMALIA", "LAMPEDUSA", "ROME", "Geneva", "Gaza", "Rafah",
                "Doha", "Port-au-Prince", "Cité Soleil", "Pont-Sondé", "Sahel", "Menaka", "Bamako", "Kherson",
                "Mykolaiv", "Sagaing", "Mandalay", "Thailand", "Myawaddy", "Ethiopia", "Tigray", "Axum", "Donbas",
                "Kharkiv", "Mogadishu", "Mosul", "Raqqa", "Kandahar", "Herat", "Khartoum", "Kassala", "Sanaa", "Borno",
                "Kano", "Lagos", "Aleppo", "Lviv", "Gao")


def _plain_role(text, m):
    """_place_role without its word gates and shortened windows: every pattern searched over the whole window."""
    from auditor import provenance as p

    before = text[max(0, m.start - 60):m.start]
    jurisdiction_after = re.compile(p._JURISDICTION_AFTER.source.removeprefix("\\A"), re.IGNORECASE).match(
        text, m.end, m.end + 60)
    after_preposition = p._AFTER_PREPOSITION.search(before) is not None
    if p._IN_NAME.match(text, m.end, m.end + 30):
        return "name"
    if m.place.kind == "country" and text.startswith(("'s", "’s"), m.end) and jurisdiction_after:
        return "jurisdiction"
    if m.place.kind == "country" and not after_preposition and p._COUNTRY_ACTS.match(text, m.end, m.end + 40):
        return "actor"
    if m.place.kind == "city" and not after_preposition and p._CAPITAL_ACTS.match(text, m.end, m.end + 30):
        return "actor"
    if p._ORIGIN_PEOPLE.search(before):
        return "origin"
    if p._SPEAKER_PLACE.search(before) or text.startswith(("-based", "–based"), m.end):
        return "speaker"
    if p._JURISDICTION.search(before) or jurisdiction_after:
        return "jurisdiction"
    if p._REFERENCE_BEFORE.search(before):
        return "reference"
    return "event"


def test_place_roles_read_through_their_gates_equal_the_plain_searches():
    from types import SimpleNamespace

    from auditor.provenance import _place_role

    texts = [*_ROLE_TEXTS, *(t.replace(" ", "  ") for t in _ROLE_TEXTS), *(t.replace(" ", "\n", 6) for t in _ROLE_TEXTS),
             *("Ü " + t for t in _ROLE_TEXTS), *(t.upper() for t in _ROLE_TEXTS)]
    roles = []
    for text in texts:
        for name in _ROLE_PLACES:
            start = text.find(name)
            if start < 0:
                start = text.find(name.upper())
            if start < 0:
                continue
            for kind in ("country", "city", "region", "site"):
                m = SimpleNamespace(start=start, end=start + len(name), place=SimpleNamespace(kind=kind))
                roles.append(_place_role(text, m))
                assert roles[-1] == _plain_role(text, m), (text, name, kind)
    assert {"event", "speaker", "origin", "jurisdiction", "reference", "actor", "name"} <= set(roles)


def test_speaker_and_jurisdiction_patterns_name_their_head_words():
    """The role gates read the words these patterns open with from the patterns themselves."""
    from auditor import provenance as p

    speaker, jurisdiction = p._HEAD_GATES[p._SPEAKER_PLACE], p._HEAD_GATES[p._JURISDICTION]
    assert {"official", "officials", "spokesman", "spokeswoman", "spokesperson", "residents", "based"} <= speaker
    assert {"governor", "mayor", "head", "chief", "officials"} <= jurisdiction
    assert "heads" not in jurisdiction and "in" not in speaker
    assert p._HEAD_GATES[p._ORIGIN_PEOPLE] is None  # "asylum[- ]seekers": no word list, searched without a head gate


@pytest.mark.parametrize("text, town", [
    ("KHARKIV, Ukraine (AP) — A missile hit a school, killing 4.", "Kharkiv"),
    ("MOGADISHU (Reuters) -- Al-Shabaab fighters stormed a hotel, killing 9 people.", "Mogadishu"),
    ("GOMA – M23 rebels shelled the camp, killing 11 people.", "Goma"),
    ("MAIDUGURI - Boko Haram gunmen killed 7 farmers.", "Maiduguri"),
])
def test_a_dateline_is_read_with_any_dash(text, town):
    from auditor.model import Article
    from auditor.provenance import ArticleContext
    from auditor.sentences import split_sentences

    article = Article(article_id="a", path="", text=text, published="2024-05-01")
    dateline = ArticleContext(article, split_sentences(text)).dateline
    assert dateline is not None and dateline.place.name == town


@pytest.mark.parametrize("text", [
    "Sudan-Chad border: 12 killed in Adre.",  # a hyphen, but no dash and space
    "Mali, Burkina Faso and Niger (AP) said 30 died.",  # no dash at all
])
def test_no_dateline_without_its_dash(text):
    from auditor.model import Article
    from auditor.provenance import ArticleContext
    from auditor.sentences import split_sentences

    article = Article(article_id="a", path="", text=text, published="2024-05-01")
    assert ArticleContext(article, split_sentences(text)).dateline is None
