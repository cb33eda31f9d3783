"""A claims task builds groups, conflicts and summaries a chunk of whole incidents at a time (its memory
follows the chunk, not the blocking key), reads only the columns the stages read and lets each go once
read: the tables are those of the whole key built at once."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import generated_unclaimed, make_figures_frame
from conftest import make_figure_row as fig

from auditor import _claim_rules, claims
from auditor._parallel import settings
from auditor.claims import build_claims

TOWNS = [("Maiduguri", "NG"), ("Bama", "NG"), ("Gwoza", "NG"), ("Konduga", "NG")]
OUTLETS = ["Reuters", "AP", "AFP", "Premium Times", "BBC", "Daily Trust", ""]


def _day(k: int) -> str:
    return (date(2021, 3, 1) + timedelta(days=k)).isoformat()


def dense_key(days: int = 45, seed: int = 3) -> pd.DataFrame:
    """Killings reported every day for ``days`` days in four Borno towns (one blocking key per
    category: the run of dates never breaks), by outlets that disagree; children counted apart (parts
    above their whole), a part naming a total reported in another town, tolls lowered on a later day,
    cumulative tolls since the start (a 30-day window: long chains), reprinted wire sentences and
    distances the map contradicts."""
    rng = random.Random(seed)
    rows = []
    n = 0

    def add(article: str, value: float, **fields) -> str:
        nonlocal n
        n += 1
        fid = f"f{n:05d}"
        rows.append(fig(fid, article, value, start=n, **fields))
        return fid

    for k in range(days):
        for t, (town, country) in enumerate(TOWNS):
            if rng.random() < 0.25:
                continue
            toll = 5 + (k * 7 + t * 3) % 40
            wire = f"Gunmen killed {toll} villagers in an attack on {town} on Tuesday, residents and officials said."
            for a in range(rng.randint(2, 5)):
                article = f"a{k:03d}{t}{a}"
                outlet = rng.choice(OUTLETS)
                value = toll if rng.random() < 0.7 else rng.choice([toll * 3, max(1, toll // 4), toll + 1])
                sentence = wire if rng.random() < 0.5 else f"{outlet or 'A witness'} said {value} people died in {town}."
                published = _day(k + rng.choice([0, 0, 1]))
                total = add(article, value, category="killed", subject="villagers", location=town, country=country,
                            outlet=outlet, published=published, sentence=sentence, title=f"Attack on {town}")
                if rng.random() < 0.3:  # the children among them: sometimes more than the total
                    add(article, rng.choice([2, toll + 10]), category="killed", subject="children", counted="children",
                        location=town, country=country, outlet=outlet, published=published, part_of=total,
                        sentence=f"{value} killed, including children.")
                if rng.random() < 0.2:  # the toll since the insurgency began, revised now and then
                    add(article, 300 + 9 * k - rng.choice([0, 0, 200]), category="killed", scope="cumulative",
                        subject="people", location="Borno", country=country, outlet=outlet, published=published,
                        sentence=f"More than {300 + 9 * k} people have been killed in Borno since January.")
                if rng.random() < 0.1:
                    add(article, rng.choice([20, 5, 300]), category="distance", unit="km", location="Maiduguri",
                        reference_place="Bama", outlet=outlet, published=published,
                        sentence=f"Bama lies some distance from Maiduguri, {outlet or 'residents'} said.")
    # A part naming a total reported in another town, days later: two incidents.
    whole = add("x1", 10, category="killed", subject="people", location="Gwoza", country="NG", outlet="AP",
                published=_day(3), sentence="Ten people were killed in Gwoza.")
    add("x2", 60, category="killed", subject="children", counted="children", location="Konduga", country="NG",
        outlet="AFP", published=_day(9), part_of=whole, sentence="Sixty children were among the dead, AFP said.")
    frame = make_figures_frame(rows)
    frame["part_of"] = [r.get("part_of", "") for r in rows]
    frame["scope"] = [r.get("scope", "") for r in rows]
    frame["country"] = [r.get("country", "") for r in rows]
    frame["title"] = [r.get("title", "") for r in rows]
    return frame


def _articles(figures: pd.DataFrame) -> pd.DataFrame:
    ids = figures["article_id"].drop_duplicates()
    return pd.DataFrame({"article_id": ids, "outlet": "", "published": "", "title": "Borno attacks"})


def _chunked(figures, articles, monkeypatch, size):
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", size)
    chunks = []
    original = claims._incident_chunks

    def counted(incidents, rows):
        for chunk in original(incidents, rows):
            chunks.append(len(chunk))
            yield chunk

    monkeypatch.setattr(claims, "_incident_chunks", counted)
    built = build_claims(figures, articles)
    monkeypatch.setattr(claims, "_incident_chunks", original)
    return built, chunks


def _assert_same(got, expected):
    for a, b in zip(got, expected):
        pd.testing.assert_frame_equal(a, b)


def test_a_dense_key_built_an_incident_at_a_time_equals_the_whole_key_at_once(monkeypatch):
    figures = dense_key()
    articles = _articles(figures)
    keys = claims.blocking_keys(figures)
    assert keys.value_counts().max() > 300  # one long run of dates: a big key
    whole, chunks_whole = _chunked(figures, articles, monkeypatch, 10**9)
    assert chunks_whole == [sum(chunks_whole)]
    for size in (1, 50):  # an incident a chunk; several
        built, chunks = _chunked(figures, articles, monkeypatch, size)
        assert len(chunks) == (sum(chunks_whole) if size == 1 else pytest.approx(len(figures) / size, rel=0.5))
        _assert_same(built, whole)
    assert sum(chunks_whole) > 40
    _found, groups, conflicts = whole
    relations = set(conflicts["relation"])
    assert {"same", "update", "part_of", "geography"} <= relations, relations
    assert conflicts["kind"].eq("geography").sum() >= 1
    assert groups["incident_label"].str.contains("cumulative").any()
    # The part naming its total in another incident (another town) is checked across chunks.
    named = conflicts[(conflicts["relation"] == "part_of") & conflicts["article_a"].eq("x2")]
    assert len(named) == 1 and named["article_b"].tolist() == ["x1"]


def test_generated_corpus_built_in_chunks_equals_the_whole_build(tmp_path_factory, monkeypatch):
    figures, articles = generated_unclaimed(tmp_path_factory, seed=17)
    whole, _ = _chunked(figures, articles, monkeypatch, 10**9)
    built, chunks = _chunked(figures, articles, monkeypatch, 7)
    assert len(chunks) > 10 and len(whole[2]) > 20
    _assert_same(built, whole)


@pytest.mark.parametrize("source", ["frame", "file"])
def test_a_task_reading_only_the_stages_columns_gives_the_whole_build(source, tmp_path, monkeypatch):
    figures = dense_key(days=20, seed=5)
    articles = _articles(figures)
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", 64)
    expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
    if source == "frame":
        sent = claims._claims_task(figures, articles, settings())
    else:
        path = claims._write_frames(tmp_path / "batch.pickle", figures, articles)
        read = claims._read_frames(path, (claims._CLAIM_COLUMNS, claims._ARTICLE_CLAIM_COLUMNS))
        assert "path" not in read[0] and "sentence" in read[0] and "url" not in read[1]
        sent = claims._result(claims._claims_task(path, None, settings()))
    filled, groups, conflicts = sent
    assert list(filled.columns) == list(claims._FILLED)
    for column in claims._FILLED:
        assert filled[column].tolist() == expected_figures[column].tolist(), column
    pd.testing.assert_frame_equal(groups, expected_groups)
    pd.testing.assert_frame_equal(conflicts, expected_conflicts)
    assert len(conflicts) > 10
    assert figures.columns.tolist()[:3] == ["figure_id", "article_id", "path"]  # the caller's table untouched


def test_prepared_floats_share_one_object_per_value_but_nan_stays_one_per_row():
    values = np.array([5.0, 5.0, math.nan, -0.0, 0.0, math.inf, 5.0, math.nan])
    got = _claim_rules._float_list(values)
    assert [repr(v) for v in got] == [repr(v) for v in values.tolist()]  # -0.0 kept apart from 0.0
    assert got[0] is got[1] is got[6]
    assert got[2] is not got[7]  # a NaN equals nothing: not even another row's NaN in a dict or tuple
    assert math.copysign(1.0, got[3]) == -1.0


def test_consumed_prepare_equals_the_plain_one_and_empties_the_table():
    figures = dense_key(days=8, seed=9)
    config = _claim_rules.load_config()
    plain = _claim_rules.prepare(figures, config)
    owned = figures.copy()
    consumed = _claim_rules.prepare(owned, config, consume=True)
    assert not (set(owned.columns) & {"sentence", "value", "start", "figure_id"})
    for field in ("lo", "hi", "stated_lo", "pub_day", "place", "subject", "loose", "support_lo"):
        assert [repr(v) for v in getattr(plain, field)] == [repr(v) for v in getattr(consumed, field)], field
    assert plain.col.keys() == consumed.col.keys()
    for name in plain.col:
        assert [repr(v) for v in plain.col[name]] == [repr(v) for v in consumed.col[name]], name


class _CountedPasses(list):
    """A column that counts the passes made over it whole."""

    passes = 0

    def __iter__(self):
        type(self).passes += 1
        return super().__iter__()


def test_parts_naming_their_total_find_it_without_a_pass_over_the_table_per_chunk(monkeypatch):
    # A pass over every figure id per chunk made the build quadratic in the figures of one table
    # (--jobs 1 builds the whole corpus as one: 100,000 figures, 25 chunks, 7x the parts' time).
    figures = dense_key(days=12, seed=8)
    articles = _articles(figures)
    prepare = claims.prepare

    def counted(*args, **kwargs):
        prep = prepare(*args, **kwargs)
        prep.col["figure_id"] = _CountedPasses(prep.col["figure_id"])
        return prep

    monkeypatch.setattr(claims, "prepare", counted)
    passes = {}
    for size in (10**9, 1):
        _CountedPasses.passes = 0
        (_found, _groups, conflicts), chunks = _chunked(figures, articles, monkeypatch, size)
        passes[size] = _CountedPasses.passes
        assert conflicts["relation"].eq("part_of").sum() >= 3  # parts above the total they name are found
    assert len(chunks) > 10
    assert passes[1] == passes[10**9]


REPORTS = {  # (outlet, day, text): parts reported in another town than their total, some above it
    "sudan-1": ("Reuters", "2024-05-03", (
        "Shelling killed 30 people in El Fasher and Nyala, including 42 in Nyala, residents said. "
        "Nyala lies about 195 km from El Fasher.")),
    "sudan-2": ("AFP", "2024-05-03", "Shelling killed 34 people in El Fasher on Friday, including 12 children, medics said."),
    "nigeria-1": ("Premium Times", "2024-05-05", (
        "Gunmen killed 25 people in Gwoza and Bama, including 40 in Bama, police said.")),
    "nigeria-2": ("AP", "2024-05-06", "The death toll in Gwoza has risen to 19, officials said on Monday."),
    "syria-1": ("Al Jazeera", "2024-05-07", (
        "Air strikes killed 18 people in Idlib and Aleppo, including 26 in Aleppo, the Observatory said.")),
    "syria-2": ("BBC", "2024-05-07", (
        "At least 21 people were killed in air strikes on Idlib on Tuesday, among them nine children.")),
    "congo-1": ("Reuters", "2024-05-08", (
        "Clashes killed 14 people in Goma and Bukavu, including 20 in Bukavu, the army said. "
        "Goma lies some 400 km from Bukavu.")),
    "somalia-1": ("AFP", "2024-05-09", "Five soldiers were among the 3 dead in Afgoye, the military said."),
}


def test_extracted_parts_above_a_total_in_another_town_are_one_conflict_built_in_chunks(tmp_path, monkeypatch):
    from auditor.audit import audit

    for name, (outlet, day, text) in REPORTS.items():
        (tmp_path / f"{name}.md").write_text(f"---\ntitle: Report\noutlet: {outlet}\npublished: {day}\n---\n{text}\n")
    result = audit(tmp_path, jobs=1)
    figures, articles = result.figures.assign(group_id="", incident_id=""), result.articles
    whole, chunks_whole = _chunked(figures, articles, monkeypatch, 10**9)
    built, chunks = _chunked(figures, articles, monkeypatch, 1)
    assert len(chunks) > 5 and len(chunks_whole) == 1
    _assert_same(built, whole)
    found, _groups, conflicts = whole
    incident = dict(zip(found["figure_id"], found["incident_id"]))
    parts = conflicts[conflicts["relation"] == "part_of"]
    across = parts[parts["figure_a"].map(incident) != parts["figure_b"].map(incident)]
    assert len(across) >= 2, conflicts[["relation", "explanation"]]
    assert not conflicts["conflict_id"].duplicated().any()


def test_two_figures_naming_each_other_as_total_keep_the_earlier_rows_conflict_in_chunks(monkeypatch):
    # Extraction never makes such a pair (nor a range whose low end is above its high end: both parts
    # above each other); a table given to build_claims may. The earlier row's naming is the conflict,
    # whichever incident is built first.
    rows = [
        fig("fa", "a1", None, qualifier="range", low=50.0, high=5.0, category="killed", subject="people",
            location="Bama", country="NG", published=_day(6), part_of="fb"),
        fig("fb", "a2", 20, category="killed", subject="people", location="Gwoza", country="NG",
            published=_day(5), part_of="fa"),
    ]
    figures = make_figures_frame(rows)
    figures["part_of"] = [r["part_of"] for r in rows]
    articles = _articles(figures)
    whole, _ = _chunked(figures, articles, monkeypatch, 10**9)
    built, chunks = _chunked(figures, articles, monkeypatch, 1)
    assert chunks == [1, 1]
    _assert_same(built, whole)
    conflicts = whole[2]
    assert conflicts[["relation", "figure_a", "figure_b"]].values.tolist() == [["part_of", "fa", "fb"]]
