"""Independent sources of a claim group: one article, one outlet (however written, or credited by a
figure), one sentence text, or a reprint of it are one source; the near-linear clustering finds the
same sources as comparing every pair of reports."""

import itertools
import random

import pandas as pd

from auditor._claim_rules import load_config, outlet_key, prepare
from auditor.claims import build_claims
from auditor.relations import _shingles, _sketch, source_clusters
from conftest import make_figure_row as fig
from conftest import make_figures_frame

WORDS = ("shelling hit the market in the north of the city on tuesday morning killing civilians and wounding "
         "dozens more according to local health officials who said rescue teams were still searching").split()
OUTLETS = ["AP", "Associated Press", "Reuters", "AFP", "Agence France-Presse", "Al Jazeera", ""]


def _sentence(rng: random.Random) -> str:
    start = rng.randrange(len(WORDS) - 12)
    return " ".join(WORDS[start:start + rng.randint(5, 12)]).capitalize() + "."


def _reworded(sentence: str, rng: random.Random) -> str:
    """A reprint with one or two words changed (near the reprint threshold), or the same text."""
    words = sentence.rstrip(".").split()
    for _ in range(rng.randint(0, 2)):
        words[rng.randrange(len(words))] = rng.choice(["Kharkiv", "Khartoum", "Goma", "Sittwe", "Kismayo"])
    return " ".join(words) + "."


def _random_group(seed: int) -> pd.DataFrame:
    """Reports of one quantity from a few articles: shared and reworded wire texts, outlets written
    several ways or missing, figures credited to an outlet."""
    rng = random.Random(seed)
    texts = [_sentence(rng) for _ in range(rng.randint(1, 4))]
    outlet_of = {f"a{k}": rng.choice(OUTLETS) for k in range(8)}
    rows = []
    for n in range(rng.randint(2, 12)):
        article = f"a{rng.randrange(8)}"
        credited = rng.random() < 0.2
        rows.append(fig(f"f{n:02d}", article, 10, outlet=outlet_of[article],
                        sentence=_reworded(rng.choice(texts), rng),
                        source=rng.choice(OUTLETS[:-1]) if credited else "",
                        source_type="outlet" if credited else "unattributed"))
    return make_figures_frame(rows)


def _pairwise_sources(rows: list[int], prep, figures: pd.DataFrame, threshold: float) -> set[frozenset[int]]:
    """The sources by comparing every pair of reports: same article, outlet key (named or credited),
    same long text, or texts sharing a sketch 3-gram whose Jaccard similarity reaches the threshold."""
    col = prep.col

    def keys(r):
        names = [col["outlet"][r]] + ([figures["source"][r]] if figures["source_type"][r] == "outlet" else [])
        return {outlet_key(n) for n in names} - {""}

    parent = {r: r for r in rows}

    def find(r):
        while parent[r] != r:
            r = parent[r]
        return r

    for a, b in itertools.combinations(rows, 2):
        ga, gb = _shingles(col["sentence"][a]), _shingles(col["sentence"][b])
        same = (col["article_id"][a] == col["article_id"][b] or keys(a) & keys(b)
                or (ga and col["sentence"][a] == col["sentence"][b])
                or (ga and gb and set(_sketch(ga)) & set(_sketch(gb))
                    and len(ga & gb) / len(ga | gb) >= threshold))
        if same:
            parent[find(a)] = find(b)
    clusters: dict[int, set[int]] = {}
    for r in rows:
        clusters.setdefault(find(r), set()).add(r)
    return {frozenset(c) for c in clusters.values()}


def _partition(sources: dict[int, int]) -> set[frozenset[int]]:
    clusters: dict[int, set[int]] = {}
    for r, source in sources.items():
        clusters.setdefault(source, set()).add(r)
    return {frozenset(c) for c in clusters.values()}


def test_sources_are_those_of_comparing_every_pair_of_reports():
    config = load_config()
    merged = 0
    for seed in range(300):
        figures = _random_group(seed)
        prep = prepare(figures, config)
        rows = list(range(prep.n))
        found = _partition(source_clusters(rows, prep, config))
        assert found == _pairwise_sources(rows, prep, figures, config.reprint_similarity), seed
        merged += len(found) < len({prep.col["article_id"][r] for r in rows})
    assert merged > 100  # the inputs do join articles into sources (outlets, texts, reprints)


def _wire_story():
    wire = ("Gunmen killed 32 villagers in an overnight raid on Kasuwan Daji market in Niger State, "
            "police said on Sunday.")
    return make_figures_frame([
        fig("f1", "a1", 32, outlet="Premium Times", sentence=wire, location="Kasuwan Daji", country="NG",
            published="2025-01-05", event_date="2025-01-04"),
        fig("f2", "a2", 32, outlet="Channels TV", sentence=wire.replace("Sunday", "Sunday morning"),
            location="Kasuwan Daji", country="NG", published="2025-01-05", event_date="2025-01-04"),
        fig("f3", "a3", 32, outlet="AFP", location="Kasuwan Daji", country="NG", published="2025-01-05",
            event_date="2025-01-04",
            sentence="At least 32 people died when gunmen stormed a market in north-central Nigeria, AFP was told."),
    ])


def test_a_wire_story_reprinted_by_two_outlets_is_one_source():
    _, groups, _ = build_claims(_wire_story(), pd.DataFrame())
    assert groups["n_figures"].tolist() == [3]
    assert groups["n_sources"].tolist() == [2]  # the reprint counted once, AFP's own story once


def test_the_sentence_shingles_are_freed_with_the_groups_built():
    from auditor import relations

    build_claims(_wire_story(), pd.DataFrame())
    assert relations._shingles.cache_info().currsize == 0 and relations._sketch.cache_info().currsize == 0


def _wire_stories(towns):
    """The wire story reprinted in each of ``towns`` (one incident each, three reports)."""
    frames = []
    for k, town in enumerate(towns):
        story = _wire_story()
        story["figure_id"] = story["figure_id"] + f"-{k}"
        story["article_id"] = story["article_id"] + f"-{k}"
        story["location"] = town
        story["sentence"] = story["sentence"].str.replace("Kasuwan Daji", town)
        frames.append(story)
    return pd.concat(frames, ignore_index=True)


def test_the_shingles_held_while_grouping_stay_bounded_and_change_no_source(monkeypatch):
    from auditor import relations

    figures = _wire_stories(["Kasuwan Daji", "Zurmi", "Gusau", "Maru", "Anka", "Bungudu"])
    _, expected, _ = build_claims(figures, pd.DataFrame())
    held = []
    clusters = relations.source_clusters

    def watched(rows, prep, config):
        held.append(relations._shingles.cache_info().currsize)
        return clusters(rows, prep, config)

    monkeypatch.setattr(relations, "source_clusters", watched)
    monkeypatch.setattr(relations, "_SHINGLES_HELD", 3)  # freed after each incident's three reports
    _, groups, _ = build_claims(figures, pd.DataFrame())
    assert len(held) == 6 and max(held) <= 3  # one incident's sentences at most, not all six incidents'
    pd.testing.assert_frame_equal(groups, expected)
    assert groups["n_sources"].tolist() == [2] * 6
