"""Differential fuzzer of a claims task streamed in date segments: its tables must be the whole task's, exactly.

Builds many figure tables (seeded): several blocking keys per task, dense and sparse dates, undated rows (no
event date, no publication date) mixed in, event dates and publication dates, headline figures without a date
beside the dated sentence figure of the same article, category and value (``prepare``'s sibling rule), parts
naming their total (``part_of``) in the same article, in another article, key or date, ``supersedes``, repeated
figure ids, ties in day, distances, loose figures (no interval, no place), cumulative and historical scope, and
places the gazetteer knows (towns, provinces, countries of several wars; ``place_id``/``admin1``/``country``
given or left to the gazetteer; towns it does not know). Each table is run through the entry the parallel run
uses (:func:`auditor.claims._claims_task`: a DataFrame, the file the parent writes, rows of a spill file with or
without run folders) whole (``claims._STREAM_ABOVE_ROWS`` and ``_STREAM_SEGMENT_ROWS`` huge) and streamed (every
task, in segments of ``_STREAM_SEGMENT_ROWS`` small; a case that did not stream is a finding); the filled figure
columns, groups and conflicts (each as the task gives them: sorted) must be equal, values, order and types, and
the task must leave no file of its own behind. A difference is minimised (whole articles, then rows, dropped
while it persists) and printed with the smallest table.

    python benchmarks/fuzz_claims_stream.py --cases 200 --seed 1 [--segments 7 50 500] [--real /tmp/s21/key.parquet]
        [--reference REV]

``--real``: slices (random date windows) of a real figure table (with its ``...art.parquet`` articles beside
it) are fuzzed too. ``--reference REV``: every case's whole task is also run by the code of git revision REV
(``git archive`` into a temporary folder, one subprocess): the whole path itself must not have changed.
Until ``claims._STREAM_SEGMENT_ROWS`` exists the script says so and exits 2; it exits 1 when a case differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pickle
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
KNOB = "_STREAM_SEGMENT_ROWS"  # figures a streamed task reads at a time (before 57ae3f5: also the threshold)
ABOVE = "_STREAM_ABOVE_ROWS"  # a task of more figures is streamed (since 57ae3f5)
WHOLE = 10**12  # a threshold no task reaches: the whole-task path
SELF_CHECK = False  # --self-check: the harness run against an equality that holds before streaming exists

# Places of several wars as written in articles; each is looked up in the gazetteer at start (it must know it):
# towns with their province, provinces, countries.
TOWNS = ("Baiji", "Tikrit", "Ramadi", "Fallujah", "Mosul", "Kirkuk", "Aleppo", "Raqqa", "Idlib", "Homs",
         "Palmyra", "Kobani", "Khartoum", "El Geneina", "Adre", "Mariupol", "Kharkiv", "Donetsk", "Gaza City",
         "Rafah", "Khan Younis", "Mogadishu", "Maiduguri", "Goma", "Kabul", "Sanaa", "Aden", "Mekelle",
         "Culiacan", "Chisinau", "Maroua", "Bunia")
PROVINCES = ("Anbar", "Nineveh", "Salahuddin", "Borno", "North Kivu", "Tigray", "Sinaloa", "Ituri", "Gaza")
COUNTRIES = ("Iraq", "Syria", "Chad", "Ukraine", "Somalia", "Nigeria", "Yemen", "Sudan", "Moldova", "Cameroon")
# Towns the gazetteer does not know (a town by default; with or without a province given).
UNKNOWN_TOWNS = ("Qaryat al-Zuhur", "Palo Verde Norte", "Ngala Kaura", "Tal Hamis Sharqi")
# Real ids of a few towns as the extraction writes them (the rest: none, the gazetteer's key).
PLACE_IDS = {"Tikrit": "geonames:90150", "Ramadi": "geonames:98717", "Kirkuk": "geonames:94787",
             "Baiji": "geonames:97783"}
REFERENCES = ("Baghdad", "Damascus", "Aleppo", "Kyiv", "Khartoum", "Mosul")
OUTLETS = ("Reuters", "AP", "AFP", "Al Jazeera", "Rudaw", "BBC", "Anadolu", "Kurdistan24", "Xinhua", "The Guardian")
SOURCES = ("Brig. Gen. Saad Maan", "police spokesman Ali Hussein", "a hospital official", "the United Nations",
           "the health ministry", "residents")
STORY_WORDS = ("market", "checkpoint", "mosque", "convoy", "bombing", "suicide", "truck", "hospital", "school",
               "bridge", "refinery", "shelling", "ambush", "drone", "mortar", "barracks", "wedding", "funeral",
               "bakery", "station", "village", "camp", "stadium", "airport")
# (category, verb, counted, subject choices, unit)
KINDS = (
    ("killed", "were killed", "people", ("", "ISIS", "civilians", "soldiers"), "count"),
    ("wounded", "were wounded", "people", ("", "civilians"), "count"),
    ("airstrikes", "were carried out", "airstrikes", ("coalition",), "count"),
    ("displaced", "fled their homes", "families", ("", "civilians"), "count"),
    ("fighters", "gathered", "fighters", ("Hashd al-Shaabi", "ISIS"), "count"),
    ("attacks", "were reported", "attacks", ("",), "count"),
    ("other", "were destroyed", "vehicles", ("",), "count"),
    ("money", "was pledged", "dollars", ("",), "usd"),
)
QUALIFIERS = ("exact", "exact", "exact", "at_least", "approximate", "more_than", "at_most", "range", "vague")


@dataclasses.dataclass
class Case:
    """One fuzzed table: its figures, articles and what it covers."""

    name: str
    figures: pd.DataFrame
    articles: pd.DataFrame


# --- tables -------------------------------------------------------------------------------------------


def _places() -> dict[str, tuple[str, str, str]]:
    """``name -> (kind, admin1, country)`` of every place used, from the gazetteer (each must be known)."""
    from auditor.gazetteer import default_gazetteer

    gazetteer = default_gazetteer()
    found = {}
    for name in (*TOWNS, *PROVINCES, *COUNTRIES, *REFERENCES):
        place = gazetteer.lookup(name)
        if place is None:
            raise SystemExit(f"the gazetteer does not know {name!r}: pick another place")
        found[name] = (place.kind, getattr(place, "admin1", "") or "", place.country)
    return found


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _surface(value: float, qualifier: str, rng: random.Random) -> tuple[str, float, float, float]:
    """The written figure and its (value, low, high) as the extraction gives them."""
    nan = math.nan
    if qualifier == "at_least":
        return f"at least {value:g}", value, value, nan
    if qualifier == "more_than":
        return f"more than {value:g}", value, value, nan
    if qualifier == "at_most":
        return f"up to {value:g}", value, nan, value
    if qualifier == "approximate":
        return f"about {value:g}", value, value, value
    if qualifier == "range":
        top = value + rng.randint(1, 20)
        return f"between {value:g} and {top:g}", nan, value, top
    if qualifier == "vague":
        return "dozens", nan, 24.0, 99.0
    return f"{value:g}", value, value, value


def make_case(seed: int, places: dict[str, tuple[str, str, str]]) -> Case:
    """A random figure table (and its articles) of one claims task, from ``seed``."""
    rng = random.Random(seed)
    dense = rng.random() < 0.5  # a few days holding everything (long runs), or a year of scattered events
    start = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3000))
    span = rng.randint(2, 12) if dense else rng.randint(60, 700)
    n_events = rng.randint(3, 40) if rng.random() < 0.7 else rng.randint(1, 4)  # few events: big keys
    undated_rate = rng.choice((0.0, 0.02, 0.1, 0.4))
    event_date_rate = rng.choice((0.0, 0.3, 0.7, 1.0))
    kinds = rng.sample(KINDS, rng.randint(1, 4))  # a task holds keys of a few categories
    towns = rng.sample(TOWNS, rng.randint(1, 8))
    events = []
    for _ in range(n_events):
        kind = rng.choice(kinds)
        roll = rng.random()
        if roll < 0.7:
            where = rng.choice(towns)
        elif roll < 0.8:
            where = rng.choice(PROVINCES)
        elif roll < 0.88:
            where = rng.choice(COUNTRIES)
        else:
            where = rng.choice(UNKNOWN_TOWNS)
        events.append({
            "kind": kind, "place": where, "day": start + timedelta(days=rng.randint(0, span)),
            "value": float(rng.choice((3, 5, 7, 12, 18, 25, 40, 60, 100, 250, 1200))),
            "scope": rng.choice(("incident",) * 6 + ("cumulative", "historical")),
            "words": rng.sample(STORY_WORDS, 4), "country": rng.choice(("", "IQ", "SY", "UA", "NG")),
        })
    figures: list[dict[str, Any]] = []
    articles: list[dict[str, str]] = []
    ids: list[str] = []
    n_articles = rng.randint(4, 70) if rng.random() < 0.75 else rng.randint(100, 500)
    for a in range(n_articles):
        outlet = rng.choice(OUTLETS)
        article_id = f"{a:05d}_{outlet.lower().replace(' ', '')}"
        event = rng.choice(events)
        undated = rng.random() < undated_rate
        published = None if undated else event["day"] + timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 5)))
        kind, verb, counted, subjects, unit = event["kind"]
        words = " ".join(rng.sample(event["words"], 2))
        title = f"{words.capitalize()} in {event['place']}" if rng.random() < 0.8 else ""
        articles.append({"article_id": article_id, "title": title, "outlet": outlet, "published": _iso(published)})
        first_row = len(figures)
        for k in range(rng.randint(1, 5)):
            own = event if k == 0 or rng.random() < 0.7 else rng.choice(events)
            kind, verb, counted, subjects, unit = own["kind"]
            value = own["value"] if rng.random() < 0.75 else float(max(1, round(own["value"] * rng.choice(
                (0.3, 0.5, 2.0, 3.0)))))
            qualifier = rng.choice(QUALIFIERS)
            surface, v, lo, hi = _surface(value, qualifier, rng)
            location = own["place"] if rng.random() < 0.93 else ""
            dated = rng.random() < event_date_rate
            event_day = own["day"] + timedelta(days=rng.choice((0, 0, 0, 0, -1, 1))) if dated else None
            source = rng.choice(SOURCES)
            sentence = (f"{source} said {surface} {counted} {verb} in {location or 'the area'} after the "
                        f"{' '.join(rng.sample(own['words'], rng.randint(1, 4)))}.")
            row = _row(article_id, rng, kind, v, lo, hi, qualifier, unit, surface, sentence, location, places,
                       own, counted, rng.choice(subjects), source, event_day)
            row["published"] = "" if rng.random() < 0.5 else _iso(published)  # else the article's fills it
            row["outlet"] = "" if rng.random() < 0.3 else outlet
            figures.append(row)
            if event_day is not None and rng.random() < 0.35:
                # The headline restating it, undated: prepare gives it this sentence's event date.
                head = dict(row, figure_id=_id(rng), event_date="", sentence=title or sentence, start=0,
                            surface=surface)
                figures.append(head)
            if kind in ("killed", "wounded") and rng.random() < 0.25:
                # "..., including N children": a part naming this total (sometimes above it: a conflict)
                part_value = float(max(1, round(value * rng.choice((0.2, 0.5, 1.5)))))
                part = dict(row, figure_id=_id(rng), subject="children", counted="children", value=part_value,
                            low=part_value, high=part_value, qualifier="exact", surface=f"{part_value:g}",
                            part_of=row["figure_id"], start=row["start"] + 40)
                figures.append(part)
            if rng.random() < 0.06:  # a distance of the town from a city
                ref = rng.choice(REFERENCES)
                km = float(rng.choice((55, 63, 110, 175, 210, 400)))
                figures.append(_row(article_id, rng, "distance", km, km, km, "approximate", "km", f"{km:g} km",
                                    f"{location or 'The town'} lies {km:g} km from {ref}.", location or own["place"],
                                    places, own, "", "", outlet, None, reference_place=ref))
            if rng.random() < 0.05:  # loose: no interval
                figures.append(_row(article_id, rng, kind, math.nan, math.nan, math.nan, "vague", unit, "many",
                                    f"Many {counted} {verb}.", location, places, own, counted, "", source, event_day))
        made = figures[first_row:]
        if len(made) > 1 and rng.random() < 0.15:  # a later figure of the article updates an earlier one
            made[-1]["supersedes"] = made[0]["figure_id"]
        ids.extend(r["figure_id"] for r in made)
    _cross_links(figures, ids, rng)
    frame = pd.DataFrame(figures)
    if rng.random() < 0.3:  # articles' rows not together, not in order (a hand-built or joined table)
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame = _typed(frame)
    if rng.random() < 0.3:  # a batch of a bigger table (``figures.iloc[rows]``): its index is the table's rows
        frame.index = np.sort(rng.sample(range(10 * len(frame) + 10), len(frame)))
    table = pd.DataFrame(articles)
    roll = rng.random()
    if roll < 0.05:  # no articles at all: nothing fills a figure's outlet, date or headline
        table = table.iloc[:0]
    elif roll < 0.1:  # articles without headlines
        table = table.drop(columns="title")
    elif roll < 0.2:  # some figures' articles missing, one article twice (the first row of an id counts)
        table = table.sample(frac=0.8, random_state=seed)
        table = pd.concat([table, table.head(1).assign(title="Another headline", published="2014-01-01")])
    return Case(f"gen-{seed}", frame, table.reset_index(drop=True))


def _id(rng: random.Random) -> str:
    return "f%012x" % rng.getrandbits(48)


def _row(article_id: str, rng: random.Random, category: str, value: float, low: float, high: float, qualifier: str,
         unit: str, surface: str, sentence: str, location: str, places: dict[str, tuple[str, str, str]],
         event: dict[str, Any], counted: str, subject: str, source: str, event_day: date | None,
         reference_place: str = "") -> dict[str, Any]:
    """One figure row (the contract's columns), its place written as the extraction may give it."""
    place_id = admin1 = country = ""
    if location and rng.random() < 0.6:  # the extraction resolved the place (else the gazetteer does)
        kind, admin1, country = places.get(location, ("city", "", event["country"]))
        place_id = PLACE_IDS.get(location, "")
        if rng.random() < 0.2:
            admin1 = ""
    elif location in UNKNOWN_TOWNS:
        country = event["country"]
        admin1 = rng.choice(("", "", "Anbar", "Borno"))
    start = rng.randint(0, 5000)
    return {
        "figure_id": _id(rng), "article_id": article_id, "path": f"/corpus/{article_id}.txt", "start": start,
        "end": start + len(surface), "surface": surface, "sentence": sentence, "category": category,
        "value": value, "low": low, "high": high, "qualifier": qualifier, "unit": unit,
        "reported_value": value, "reported_unit": "", "counted": counted, "subject": subject,
        "location": location, "source": source,
        "source_type": "outlet" if source in OUTLETS else rng.choice(("person", "organisation", "unattributed")),
        "published": "", "outlet": "", "group_id": "", "reference_place": reference_place,
        "sentence_start": 0, "sentence_end": len(sentence), "supersedes": "", "evidence": "", "part_of": "",
        "scope": event["scope"] if category != "distance" else "incident",
        "event_date": _iso(event_day) if category != "distance" else "", "place_id": place_id,
        "admin1": admin1, "country": country, "incident_id": "", "told": "", "event_total": "",
    }


def _cross_links(figures: list[dict[str, Any]], ids: list[str], rng: random.Random) -> None:
    """Links across articles (so across keys and dates): a part naming a total elsewhere, a figure superseding
    one of another article, figure ids repeated (a reprinted file, a hand-built table), part-of both ways."""
    if len(figures) < 4:
        return
    for _ in range(rng.randint(0, 3)):
        part, total = rng.sample(range(len(figures)), 2)
        if figures[part]["category"] != "distance":
            figures[part]["part_of"] = figures[total]["figure_id"]
    if rng.random() < 0.3:
        a, b = rng.sample(range(len(figures)), 2)
        figures[a]["supersedes"] = figures[b]["figure_id"]
    for _ in range(rng.choice((0, 0, 1, 3))):  # an id repeated in another row
        a, b = rng.sample(range(len(figures)), 2)
        figures[b]["figure_id"] = figures[a]["figure_id"]
    if rng.random() < 0.1:  # two figures naming each other as their total
        a, b = rng.sample(range(len(figures)), 2)
        figures[a]["part_of"], figures[b]["part_of"] = figures[b]["figure_id"], figures[a]["figure_id"]


def _fig(figure_id: str, article_id: str, value: float, location: str, event_date: str = "", **fields: Any
         ) -> dict[str, Any]:
    """A hand-built figure row (killed, exact, no place id: the gazetteer places it) with ``fields`` over it."""
    sentence = fields.pop("sentence", f"Officials said {value:g} people were killed in {location or 'the area'}.")
    row = {"figure_id": figure_id, "article_id": article_id, "path": "", "start": 0, "end": 0, "surface": f"{value:g}",
           "sentence": sentence, "category": "killed", "value": value, "low": value, "high": value,
           "qualifier": "exact", "unit": "count", "reported_value": value, "reported_unit": "", "counted": "people",
           "subject": "", "location": location, "source": "", "source_type": "unattributed", "published": "",
           "outlet": "", "group_id": "", "reference_place": "", "sentence_start": 0, "sentence_end": 0,
           "supersedes": "", "evidence": "", "part_of": "", "scope": "incident", "event_date": event_date,
           "place_id": "", "admin1": "", "country": "", "incident_id": "", "told": "", "event_total": ""}
    row.update(fields)
    return row


def _case(name: str, rows: list[dict[str, Any]], articles: dict[str, tuple[str, str, str]]) -> Case:
    """A hand-built case; ``articles``: ``article_id -> (outlet, published, title)``."""
    return Case(name, _typed(pd.DataFrame(rows)), pd.DataFrame(
        [{"article_id": a, "outlet": o, "published": p, "title": t} for a, (o, p, t) in articles.items()]))


def targeted_cases() -> list[Case]:
    """Hand-built tables of what streaming in date segments must get right, each a few dozen rows (a
    segment of 7 cuts them many times)."""
    cases = []
    day0 = date(2016, 3, 1)
    # A part and its total far apart in one key (a run of daily reports) and in another key (another
    # country): the part above its total is a part_of conflict whichever segment holds each.
    rows, arts = [], {}
    for k in range(30):
        a = f"run{k:02d}"
        arts[a] = (OUTLETS[k % len(OUTLETS)], _iso(day0 + timedelta(days=k)), f"Fighting near Mosul day {k}")
        rows.append(_fig(f"fr{k:03d}", a, 10.0 + k, "Mosul", sentence=f"Clashes near Mosul killed {10 + k} people."))
    rows.append(_fig("fpart-late", "run29", 90.0, "Mosul", subject="children", counted="children",
                     part_of="fr000", sentence="Clashes near Mosul killed 39 people, including 90 children."))
    arts["kabul"] = ("AP", _iso(day0 + timedelta(days=15)), "Kabul blast")
    rows.append(_fig("fpart-away", "kabul", 60.0, "Kabul", subject="children", counted="children",
                     part_of="fr003", sentence="A blast in Kabul killed 60 children."))
    rows.append(_fig("fr003", "run03", 100.0, "Mosul", sentence="A repeated id: its last row (100, not 13) is the total."))
    # Two figures naming each other, each above the other (bounds a hand-built table may invert): only the
    # earlier row's naming is their conflict, by row position, wherever their segments are.
    rows.append(_fig("fx-a", "run01", 50.0, "Mosul", qualifier="range", low=50.0, high=10.0, part_of="fx-b",
                     subject="children", counted="children"))
    rows.append(_fig("fx-b", "run25", 60.0, "Mosul", qualifier="range", low=60.0, high=20.0, part_of="fx-a",
                     subject="civilians", counted="civilians"))
    cases.append(_case("part-far-from-total", rows, arts))
    # Undated reports (no event date, undated article) of a key whose dated runs are long: they join the
    # largest run and are scored against every pool's incidents at the end, towns, provinces, the country.
    rows, arts = [], {}
    towns = ("Ramadi", "Fallujah", "Tikrit", "Baiji", "Mosul", "Kirkuk")
    for k in range(36):
        a = f"d{k:02d}"
        town = towns[k % len(towns)]
        arts[a] = ("Reuters", _iso(day0 + timedelta(days=k // 3)), f"Mortar attack on {town} market")
        rows.append(_fig(f"fd{k:03d}", a, float(5 + k % 4), town, sentence=f"A mortar attack on the {town} market "
                         f"killed {5 + k % 4} people, police said."))
    for k, where in enumerate(("Ramadi", "Anbar", "Iraq", "Mosul", "Nineveh", "Iraq")):
        a = f"u{k}"
        arts[a] = ("Rudaw", "", f"Mortar attack on {where} market")
        rows.append(_fig(f"fu{k}", a, float(5 + k % 4), where, sentence=f"A mortar attack on the {where} market "
                         f"killed {5 + k % 4} people, police said."))
    for k in range(3):  # displaced: a province-level (exact) category, undated country-level reports too
        arts[f"ud{k}"] = ("IOM", "" if k else _iso(day0), "Families flee")
        rows.append(_fig(f"fud{k}", f"ud{k}", 300.0 + k, ("Iraq", "Anbar", "Ramadi")[k], category="displaced",
                         counted="families", sentence="Hundreds of families fled."))
    cases.append(_case("undated-join-the-run", rows, arts))
    # A segment boundary inside one day: many reports of one day, equal figure ids, headline siblings (the
    # undated headline takes its sentence's event date, days before the publication).
    rows, arts = [], {}
    for k in range(24):
        a = f"s{k:02d}"
        arts[a] = (OUTLETS[k % 5], _iso(day0 + timedelta(days=9)), f"Car bomb kills {20 + k % 3} in Baghdad")
        rows.append(_fig(f"fs{k % 8:03d}", a, float(20 + k % 3), "Baghdad", event_date=_iso(day0 + timedelta(days=1)),
                         sentence=f"A car bomb killed {20 + k % 3} people in Baghdad on Tuesday."))
        rows.append(_fig(f"fh{k:03d}", a, float(20 + k % 3), "Baghdad", sentence=f"Car bomb kills {20 + k % 3}"))
    cases.append(_case("boundary-inside-a-day", rows, arts))
    # Two attacks in one town on one day told apart by their words (no event date: it would outweigh them; ids collide: resolved by each incident's
    # smallest figure id across blocks), one of them in another country's key too (same place key).
    rows, arts = [], {}
    for k in range(16):
        a = f"c{k:02d}"
        market = k % 2 == 0
        arts[a] = ("AFP", _iso(day0), "Suicide bomber hits market" if market else "Drone strikes army convoy")
        words = ("suicide bomber blew himself up in the crowded vegetable market" if market else
                 "drone struck an army convoy on the highway bridge")
        rows.append(_fig(f"f{'ab'[k % 2]}{99 - k:03d}", a, float(7 + k % 2 * 30), "Aleppo",
                         sentence=f"A {words}, killing {7 + k % 2 * 30} people."))
    rows.append(_fig("fz000", "c00", 7.0, "Aleppo", country="TR",
                     sentence="A suicide bomber blew himself up in the crowded vegetable market, killing 7."))
    cases.append(_case("id-collision", rows, arts))
    # A headline's sibling in another incident (a province's headline, its town's dated sentence: a displacement
    # is placed exactly, so two incidents): the headline, historical, is dated only by its sibling, else loose.
    rows, arts = [], {}
    for k in range(12):
        a = f"h{k:02d}"
        families = float(300 + 10 * (k % 3))
        arts[a] = ("IOM", _iso(day0 + timedelta(days=k)), f"{families:g} families fled Anbar")
        rows.append(_fig(f"fh{k:03d}", a, families, "Ramadi", event_date=_iso(day0 + timedelta(days=k - 30)),
                         category="displaced", counted="families", scope="historical",
                         sentence=f"In the offensive last month {families:g} families fled Ramadi."))
        rows.append(_fig(f"fg{k:03d}", a, families, "Anbar", category="displaced", counted="families",
                         scope="historical", sentence=f"{families:g} families fled Anbar"))
    cases.append(_case("sibling-in-another-incident", rows, arts))
    # Supersedes across segments and keys, cumulative tolls over a month, loose and distance figures.
    rows, arts = [], {}
    for k in range(20):
        a = f"m{k:02d}"
        arts[a] = ("UN", _iso(day0 + timedelta(days=2 * k)), "Toll since January")
        rows.append(_fig(f"fm{k:03d}", a, float(100 + 10 * k), "Gaza City", scope="cumulative",
                         supersedes=f"fm{k - 1:03d}" if k else "fd999",
                         sentence=f"Since January, {100 + 10 * k} people have been killed in Gaza City."))
        rows.append(_fig(f"fl{k:03d}", a, math.nan, "Gaza City", low=math.nan, high=math.nan, qualifier="vague",
                         sentence="Many were killed."))
        rows.append(_fig(f"fk{k:03d}", a, 40.0 + k % 2, "Gaza City", category="distance", unit="km",
                         reference_place="Rafah", qualifier="approximate", counted="",
                         sentence=f"Gaza City lies about {40 + k % 2} km from Rafah."))
    rows.append(_fig("fd999", "m00", 12.0, "Gaza City", sentence="A figure superseded by a later article."))
    cases.append(_case("supersedes-cumulative-loose-distance", rows, arts))
    return cases


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract's columns and dtypes (as the extraction's table has them)."""
    from auditor.model import FIGURE_COLUMNS

    frame = frame.reindex(columns=list(FIGURE_COLUMNS))
    for column in FIGURE_COLUMNS:
        if column in ("value", "low", "high", "reported_value"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif column in ("start", "end", "sentence_start", "sentence_end"):
            frame[column] = frame[column].fillna(0).astype("int64")
        else:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def real_cases(path: Path, n: int, seed: int) -> list[Case]:
    """Slices of a real figure table (``path``; its articles in ``<stem>art.parquet`` beside it, or
    ``articles.parquet``): random windows of dates (with the undated rows of the same articles)."""
    figures = pd.read_parquet(path)
    art_path = path.with_name(path.stem + "art.parquet")
    articles = pd.read_parquet(art_path if art_path.exists() else path.with_name("articles.parquet"))
    from auditor.model import FIGURE_COLUMNS

    for column in FIGURE_COLUMNS:
        if column not in figures:
            figures[column] = 0 if column in ("end", "sentence_start", "sentence_end") else ""
    figures = _typed(figures)
    day = pd.to_datetime(figures["event_date"].where(figures["event_date"] != "",
                                                     figures["published"]).str[:10], errors="coerce")
    rng = random.Random(seed)
    cases = []
    for k in range(n):
        width = rng.choice((2, 5, 20))
        first = day.dropna().sample(1, random_state=rng.randint(0, 2**31)).iloc[0]
        inside = (day >= first) & (day <= first + pd.Timedelta(days=width))
        chosen = figures["article_id"][inside].unique()
        chosen = chosen[: rng.choice((40, 150, 400, 2000))]
        rows = figures[figures["article_id"].isin(chosen)].reset_index(drop=True)
        kept = articles[articles["article_id"].isin(chosen)].reset_index(drop=True)
        if k % 2:  # a few articles undated (no date at all): swept last, against every incident of the key
            gone = set(rng.sample(list(chosen), max(1, len(chosen) // 50)))
            kept.loc[kept["article_id"].isin(gone), "published"] = ""
            rows.loc[rows["article_id"].isin(gone), ["published", "event_date"]] = ""
        cases.append(Case(f"real-{seed}-{k}", rows, kept))
    return cases


# --- running a task both ways -------------------------------------------------------------------------


def run_task(case: Case, source: str, segment: int, folder: Path, chunk: int | None = None
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The claims task of ``case`` with the stream threshold ``segment``, its rows given as ``source``
    (``frame``: a DataFrame; ``file``: the file the parent writes; ``spill``: rows of a spill file, the task
    writing its runs; ``spill-cached``: rows of a spill file, the tables pickled, as with a claims cache):
    the filled columns (in row order), groups and conflicts."""
    from auditor import claims
    from auditor._parallel import settings
    from auditor._spill import SpillWriter, figure_batch, read_run
    from auditor.model import FIGURE_COLUMNS

    saved = getattr(claims, KNOB), claims._CHUNK_FIGURES, getattr(claims, ABOVE, None)
    setattr(claims, KNOB, segment)
    if saved[2] is not None:  # the threshold apart: every task streamed (in segments of ``segment``), or none
        setattr(claims, ABOVE, WHOLE if segment >= WHOLE else 0)
    if chunk is not None:
        claims._CHUNK_FIGURES = chunk
    streamed = _count_streamed()
    try:
        if source == "frame":
            return claims._claims_task(case.figures.copy(), case.articles.copy(), settings())
        with tempfile.TemporaryDirectory(dir=folder) as where:
            where = Path(where)
            if source == "file":
                path = claims._write_frames(where / "batch.pickle", case.figures, case.articles)
                return claims._result(claims._claims_task(path, None, settings()))
            writer = SpillWriter(where)
            writer.CHUNK = 64  # many record batches: a segment's rows read from several
            rows = list(case.figures[list(FIGURE_COLUMNS)].itertuples(index=False, name=None))
            for first in range(0, len(rows), 53):
                writer.extend(figure_batch(rows[first:first + 53]))
            spilled = writer.finish()
            try:
                run_folders = tuple(where / name for name in ("filled", "groups", "conflicts"))
                for made in run_folders:
                    made.mkdir()
                articles = claims._write_frames(where / "articles.pickle", case.articles)
                if source == "spill-cached":  # a cached run's task: its tables pickled beside the articles' file
                    built = claims._result(claims._claims_task(spilled.part(np.arange(len(rows))), articles,
                                                               settings()))
                else:
                    paths = claims._claims_task(spilled.part(np.arange(len(rows))), articles, settings(), run_folders)
                    built = tuple(read_run(path) for path in paths)
                # What the task wrote for itself (a copy of its rows, parts) is gone once it ends
                left = [p.name for p in where.rglob("*") if p.is_file() and p.name.startswith(("spool", "claims-parts"))]
                if left:
                    raise AssertionError(f"the task left {left} in its folder")
                return built  # type: ignore[return-value]
            finally:
                spilled.remove()
    finally:
        setattr(claims, KNOB, saved[0])
        claims._CHUNK_FIGURES = saved[1]
        if saved[2] is not None:
            setattr(claims, ABOVE, saved[2])
        ran = streamed()
        if not SELF_CHECK and segment < len(case.figures) and not ran:
            # Else the comparison would be of the whole task with itself
            raise AssertionError(f"the streamed path did not run ({KNOB}={segment}, {len(case.figures)} figures)")


def _count_streamed() -> Callable[[], int]:
    """Count the streamed tasks run until the function returned is called (it puts the stages back and says
    how many ran): whether a small threshold really made the task stream."""
    try:
        from auditor import _claims_stream
    except ImportError:
        return lambda: 0
    original, ran = _claims_stream.streamed_stages, [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        ran[0] += 1
        return original(*args, **kwargs)

    _claims_stream.streamed_stages = counted

    def done() -> int:
        _claims_stream.streamed_stages = original
        return ran[0]

    return done


def difference(whole: tuple, streamed: tuple) -> str | None:
    """The first difference between two tasks' tables (``None``: equal in values, order and types)."""
    for name, a, b in zip(("filled", "groups", "conflicts"), whole, streamed):
        a, b = a.reset_index(drop=True), b.reset_index(drop=True)
        if list(a.columns) != list(b.columns):
            return f"{name}: columns {list(a.columns)} != {list(b.columns)}"
        if len(a) != len(b):
            return f"{name}: {len(a)} rows whole, {len(b)} streamed"
        for column in a.columns:
            if str(a[column].dtype) != str(b[column].dtype):
                return f"{name}.{column}: dtype {a[column].dtype} whole, {b[column].dtype} streamed"
            x, y = a[column].to_numpy(dtype=object), b[column].to_numpy(dtype=object)
            same = np.array([u == v or (u != u and v != v) for u, v in zip(x, y)], dtype=bool)
            if not same.all():
                row = int(np.flatnonzero(~same)[0])
                order_only = sorted(map(repr, x)) == sorted(map(repr, y))
                return (f"{name}.{column} row {row}: {x[row]!r} whole, {y[row]!r} streamed "
                        f"({int((~same).sum())} rows differ{'; the same values in another order' if order_only else ''})")
    return None


def check(case: Case, source: str, segment: int, folder: Path, chunk: int | None, sizes: dict | None = None
          ) -> str | None:
    """The difference between ``case``'s whole and streamed task (``None``: none; an exception is one).
    ``SELF_CHECK``: the second run is not streamed but builds groups 3 figures at a time (an equality that
    already holds: the harness's own test)."""
    try:
        whole = run_task(case, source, WHOLE, folder, chunk)
    except Exception as error:  # noqa: BLE001 - the whole path failing is a finding too
        return f"whole task raised {type(error).__name__}: {error}"
    try:
        streamed = run_task(case, source, WHOLE, folder, 3) if SELF_CHECK else \
            run_task(case, source, segment, folder, chunk)
    except Exception as error:  # noqa: BLE001
        import traceback

        # Where in the auditor it failed (the library frames under it say little)
        ours = [f for f in traceback.extract_tb(error.__traceback__) if "auditor" in Path(f.filename).parts]
        where = "".join(traceback.format_list(ours[-3:]))
        return f"streamed task raised {type(error).__name__}: {error}\n{where}"
    if sizes is not None:
        sizes.update(groups=len(whole[1]), conflicts=len(whole[2]),
                     part_conflicts=int((whole[2]["relation"] == "part_of").sum()) if len(whole[2]) else 0)
    return difference(whole, streamed)


def minimised(case: Case, still_differs: Callable[[Case], bool], budget: float) -> Case:
    """The smallest table found (whole articles, then rows, dropped while ``still_differs``) in ``budget`` s."""
    deadline = time.monotonic() + budget

    def without(rows: np.ndarray) -> Case:
        figures = case.figures.drop(index=case.figures.index[rows]).reset_index(drop=True)
        kept = set(figures["article_id"])
        return Case(case.name, figures, case.articles[case.articles["article_id"].isin(kept)].reset_index(drop=True))

    for unit in ("article", "row"):
        size = 2
        while time.monotonic() < deadline:
            ids = case.figures["article_id"].to_numpy() if unit == "article" else np.arange(len(case.figures))
            distinct = pd.unique(ids)
            if len(distinct) <= 1:
                break
            pieces = np.array_split(np.arange(len(distinct)), min(size, len(distinct)))
            reduced = False
            for piece in pieces:
                rows = np.flatnonzero(np.isin(ids, distinct[piece]))
                trial = without(rows)
                if len(trial.figures) and still_differs(trial):
                    case, reduced = trial, True
                    size = max(size - 1, 2)
                    break
                if time.monotonic() > deadline:
                    break
            if not reduced:
                if size >= len(distinct):
                    break
                size = min(len(distinct), size * 2)
    return case


def coverage(case: Case) -> dict[str, int]:
    """What a table holds of the things streaming must get right."""
    from auditor import claims

    f = case.figures
    of_article = case.articles.drop_duplicates("article_id").set_index("article_id")["published"]
    published = f["published"].where(f["published"] != "", f["article_id"].map(of_article).astype(object).fillna(""))
    ids = set(f["figure_id"])
    keys = claims.blocking_keys(f)
    key_of = dict(zip(f["figure_id"], keys))
    parts = f[f["part_of"] != ""]
    return {
        "rows": len(f), "articles": f["article_id"].nunique(), "keys": keys.nunique(),
        "largest_key": int(keys.value_counts().max()),
        "undated": int(((f["event_date"] == "") & (published == "")).sum()),
        "parts": len(parts),
        "cross_key_parts": int(sum(t in ids and key_of[t] != key_of[p] for p, t in
                                   zip(parts["figure_id"], parts["part_of"]))),
        "supersedes": int((f["supersedes"] != "").sum()), "dup_ids": int(f["figure_id"].duplicated().sum()),
    }


# --- the reference (another revision's whole task) ------------------------------------------------------


def reference_tables(rev: str, cases: list[Case], folder: Path) -> list[tuple]:
    """Each case's whole task (a DataFrame given) run by the code of git revision ``rev``."""
    tree = folder / f"ref-{rev}"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "auditor"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    given, made = folder / "ref-in.pickle", folder / "ref-out.pickle"
    with open(given, "wb") as handle:
        pickle.dump([(c.figures, c.articles) for c in cases], handle)
    subprocess.run([sys.executable, __file__, "--reference-worker", str(tree), str(given), str(made)], check=True)
    with open(made, "rb") as handle:
        return pickle.load(handle)


def _reference_worker(tree: str, given: str, made: str) -> None:
    sys.path.insert(0, tree)
    from auditor import claims  # the revision's

    assert Path(claims.__file__).resolve().is_relative_to(Path(tree).resolve()), claims.__file__
    from auditor._parallel import settings

    with open(given, "rb") as handle:
        cases = pickle.load(handle)
    out = [claims._claims_task(figures, articles, settings()) for figures, articles in cases]
    with open(made, "wb") as handle:
        pickle.dump(out, handle)


# --- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100, help="generated tables")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--segments", type=int, nargs="+", default=[1, 3, 7, 50, 500],
                        help="stream thresholds tried (each case: one, in turn; one not below the table's rows: "
                             "a third of them, so that every case streams)")
    parser.add_argument("--sources", nargs="+", default=["frame", "file", "spill", "spill-cached"],
                        choices=["frame", "file", "spill", "spill-cached"])
    parser.add_argument("--real", type=Path, help="a real figure table (parquet) whose date slices are fuzzed too")
    parser.add_argument("--real-cases", type=int, default=10)
    parser.add_argument("--reference", help="a git revision whose whole task every case must equal")
    parser.add_argument("--minimise", type=float, default=60.0, help="seconds spent minimising a difference")
    parser.add_argument("--stop-after", type=int, default=3, help="differences found before stopping")
    parser.add_argument("--self-check", action="store_true",
                        help="compare the whole task with itself building groups 3 figures at a time (no knob needed)")
    parser.add_argument("--reference-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference_worker:
        _reference_worker(*args.reference_worker)
        return 0
    from auditor import claims

    global SELF_CHECK
    SELF_CHECK = args.self_check
    if SELF_CHECK and not hasattr(claims, KNOB):
        setattr(claims, KNOB, WHOLE)  # read by nothing: run_task sets and restores it
    if not hasattr(claims, KNOB):
        print(f"auditor.claims has no {KNOB}: the streamed claims task has not landed; nothing to compare")
        return 2
    places = _places()
    cases = targeted_cases() + [make_case(args.seed * 100_003 + k, places) for k in range(args.cases)]
    if args.real:
        cases += real_cases(args.real, args.real_cases, args.seed)
    found = 0
    started = time.monotonic()
    totals: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="fuzz-claims-") as folder:
        folder = Path(folder)
        if args.reference:
            t = time.monotonic()
            references = reference_tables(args.reference, cases, folder)
            for case in cases:
                diff = difference(references.pop(0), run_task(case, "frame", WHOLE, folder))
                if diff:
                    found += 1
                    print(f"{case.name}: whole task differs from {args.reference}'s: {diff}")
            print(f"reference {args.reference}: {len(cases)} cases compared in {time.monotonic() - t:.1f} s, "
                  f"{found} differ")
        for k, case in enumerate(cases):
            rng = random.Random(k)
            segment = args.segments[k % len(args.segments)]
            if segment >= len(case.figures):
                segment = max(1, len(case.figures) // 3)
            source = args.sources[(k // len(args.segments)) % len(args.sources)]
            chunk = rng.choice((None, None, 5, 64))  # groups built a few incidents at a time too
            covered = coverage(case)
            for name, value in covered.items():
                if name == "largest_key":
                    totals[name] = max(totals.get(name, 0), value)
                    continue
                totals[name] = totals.get(name, 0) + value
            t = time.monotonic()
            sizes: dict[str, int] = {}
            diff = check(case, source, segment, folder, chunk, sizes)
            elapsed = time.monotonic() - t
            covered.update(sizes)
            for name, value in sizes.items():
                totals[name] = totals.get(name, 0) + value
            print(f"{case.name:>12} {source:>12} segment={segment:<4} chunk={chunk or '-':<4} "
                  + " ".join(f"{n}={v}" for n, v in covered.items()) + f" {elapsed:.2f}s {'DIFF' if diff else 'ok'}",
                  flush=True)
            if diff is None:
                continue
            found += 1
            print(f"  difference: {diff}")
            small = minimised(case, lambda c: check(c, source, segment, folder, chunk) is not None, args.minimise)
            print(f"  minimised to {len(small.figures)} rows, {small.articles['article_id'].nunique()} articles: "
                  f"{check(small, source, segment, folder, chunk)}")
            shown = [c for c in small.figures.columns if c in (
                "figure_id", "article_id", "category", "value", "low", "high", "qualifier", "subject", "location",
                "place_id", "admin1", "country", "published", "event_date", "scope", "part_of", "supersedes",
                "reference_place")]
            with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 24):
                print(small.figures[shown].to_string())
                print(small.articles.to_string())
            dump = Path(tempfile.gettempdir()) / f"fuzz-claims-{case.name}.pickle"
            with open(dump, "wb") as handle:
                pickle.dump((small.figures, small.articles, source, segment, chunk), handle)
            print(f"  saved: {dump}")
            if found >= args.stop_after:
                break
    print(f"{k + 1} cases in {time.monotonic() - started:.0f} s; totals: "
          + " ".join(f"{n}={v}" for n, v in totals.items()) + f"; {found} differ")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
