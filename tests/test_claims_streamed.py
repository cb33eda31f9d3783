"""A claims task bigger than ``claims._STREAM_ABOVE_ROWS`` figures is streamed (``auditor._claims_stream``):
read and prepared a part at a time, its incidents linked in date segments. Its tables are the whole task's,
exactly (values, order, types), whatever the segment size and however the task is sent (a DataFrame, the file
the parent writes, rows of the spill file); no part it prepares holds more than a segment (or a chunk of whole
incidents and the totals their parts name)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import generated_corpus, generated_unclaimed, make_figure_row, make_figures_frame

from auditor import _claims_stream, claims, model
from auditor._parallel import settings
from auditor._spill import SpillWriter, figure_batch, read_run
from auditor.audit import audit
from auditor.model import FIGURE_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fuzz_claims_stream as fuzz  # noqa: E402

WHOLE = 10**12  # no task is bigger: the whole-task path

_TOWNS = [("Tikrit", "IQ"), ("Ramadi", "IQ"), ("Mosul", "IQ"), ("Aleppo", "SY"), ("Kharkiv", "UA"), ("Baiji", "IQ")]
_WIDE = [("Anbar", "IQ"), ("Nineveh", "IQ"), ("Iraq", "IQ"), ("Syria", "SY")]
_WORDS = ["market", "checkpoint", "mosque", "convoy", "bombing", "truck", "hospital", "school", "bridge", "drone"]


def _crafted(seed: int, n_articles: int = 90) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figures of articles over a few weeks: several keys (categories, countries, cumulative scope), many on
    one day (ties in day, repeated figure ids), undated ones (no date at all), headline figures taking their
    sentence's event date, parts naming their total in another article and key, figures superseding others,
    distances and loose figures (no place, no interval)."""
    rng = random.Random(seed)
    rows, articles = [], []
    totals: list[str] = []
    for a in range(n_articles):
        article = f"a{a:03d}"
        undated = rng.random() < 0.08
        day = 0 if rng.random() < 0.3 else rng.randrange(0, 40)  # many on day 0: a segment cuts a day
        published = "" if undated else f"2024-03-{1 + day // 2:02d}" if day < 60 else ""
        title = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} attack kills people in {rng.choice(_TOWNS)[0]}"
        articles.append({"article_id": article, "outlet": rng.choice(["Reuters", "AP", "AFP", ""]),
                         "published": published, "title": title, "path": f"{article}.md"})
        for k in range(rng.randrange(1, 6)):
            place, country = rng.choice(_TOWNS + _WIDE if rng.random() < 0.3 else _TOWNS)
            category = rng.choice(["killed", "killed", "wounded", "displaced", "distance"])
            value = rng.choice([5, 7, 12, 40, 41, 100, 1000])
            fid = f"f{rng.randrange(0, 10 * n_articles):04d}" if rng.random() < 0.05 else f"{article}-{k}"
            event = "" if undated or rng.random() < 0.5 else f"2024-03-{1 + max(0, day // 2 - rng.randrange(0, 3)):02d}"
            sentence = (f"{value} people {category} in a {rng.choice(_WORDS)} {rng.choice(_WORDS)} attack on "
                        f"the {rng.choice(_WORDS)} of {place}, officials said.")
            fields = dict(category=category, location=place, country=country, sentence=sentence,
                          published=published, event_date=event, scope="", part_of="", supersedes="")
            if category == "distance":
                fields.update(unit="km", reference_place=rng.choice(["Baghdad", "Damascus"]))
            if rng.random() < 0.05:
                fields.update(location="")  # loose: no place
            if rng.random() < 0.08:
                fields.update(scope="cumulative", event_date="")
            if rng.random() < 0.05:
                fields.update(qualifier="vague")
                value = None  # loose: no interval
            if totals and rng.random() < 0.1:
                fields.update(part_of=rng.choice(totals), subject="children")
                fields.update(country=rng.choice(["IQ", "SY"]))  # maybe another key than its total's
            if rows and rng.random() < 0.05:
                fields.update(supersedes=rng.choice(rows)["figure_id"])
            if k == 0 and rng.random() < 0.3:  # a headline figure: no date, its sentence's event date by sibling
                rows.append(make_figure_row(f"{fid}-h", article, value, **{**fields, "event_date": ""}))
            rows.append(make_figure_row(fid, article, value, **fields))
            if value is not None and rng.random() < 0.2:
                totals.append(fid)
    figures = make_figures_frame(rows).assign(scope=[r["scope"] for r in rows], part_of=[r["part_of"] for r in rows],
                                              event_date=[r["event_date"] for r in rows],
                                              country=[r["country"] for r in rows])
    return figures, pd.DataFrame(articles)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_unclaimed(tmp_path_factory, seed=33)


def _task(figures: pd.DataFrame, articles: pd.DataFrame, how: str, folder: Path) -> tuple[pd.DataFrame, ...]:
    """One claims task on ``figures`` sent as ``how`` ("frame", "file", "spill": as a --jobs 2 run sends it, its
    runs read): the filled columns, groups and conflicts it gives."""
    folder.mkdir(exist_ok=True)
    if how == "frame":
        return claims._claims_task(figures, articles, settings())
    if how == "file":
        path = claims._write_frames(folder / "batch.pickle", figures, articles)
        return claims._result(claims._claims_task(path, None, settings()))
    writer = SpillWriter(folder)
    writer.CHUNK = 64  # many record batches: a segment reads some of them
    rows = list(figures[list(FIGURE_COLUMNS)].itertuples(index=False, name=None))
    writer.extend(figure_batch(rows))
    spilled = writer.finish()
    run_folders = tuple(folder / name for name in ("filled", "groups", "conflicts"))
    for made in run_folders:
        made.mkdir()
    paths = claims._claims_task(spilled.part(np.arange(len(figures))), claims._write_frames(
        folder / "articles.pickle", articles), settings(), run_folders)
    tables = tuple(read_run(path) for path in paths)
    spilled.remove()
    return tables


def _same(got: tuple[pd.DataFrame, ...], expected: tuple[pd.DataFrame, ...]) -> None:
    for column in claims._FILLED:
        assert got[0][column].tolist() == expected[0][column].tolist(), column
    pd.testing.assert_frame_equal(got[1], expected[1])  # values, order and dtypes
    pd.testing.assert_frame_equal(got[2], expected[2])


@pytest.fixture
def prepared_sizes(monkeypatch):
    """The number of figures each prepare of a streamed task was given (its parts)."""
    sizes: list[int] = []
    original = _claims_stream.prepare

    def prepare(figures, *args, **kwargs):
        sizes.append(len(figures))
        return original(figures, *args, **kwargs)

    monkeypatch.setattr(_claims_stream, "prepare", prepare)
    return sizes


def _streamed_above(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    """Tasks of more than ``rows`` figures streamed, ``rows`` at a time."""
    monkeypatch.setattr(claims, "_STREAM_ABOVE_ROWS", rows)
    monkeypatch.setattr(claims, "_STREAM_SEGMENT_ROWS", rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("segment", [1, 4, 37])
def test_a_streamed_task_gives_the_whole_tasks_tables(seed, segment, monkeypatch, prepared_sizes, tmp_path):
    figures, articles = _crafted(seed)
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, "frame", tmp_path)
    assert not prepared_sizes
    assert len(expected[1]) > 50 and len(expected[2]) > 5
    _streamed_above(monkeypatch, segment)
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", 16)  # chunks of a few incidents: the totals a part names read
    _same(_task(figures, articles, "frame", tmp_path), expected)
    # Each part prepared: a segment of whole articles (the first pass), a segment, a chunk of incidents and
    # the totals their parts name: never the task
    assert prepared_sizes and max(prepared_sizes) < len(figures) / 2


def _daily(days: int, per_day: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A war's daily tolls: every figure dated (none undated: the sweep lets go of incidents as it passes
    them), in towns and the provinces and country around them, some incidents reported first for a province
    and then for a town (the sweep lists such an incident again, in the town's pools, after younger ones)."""
    rng = random.Random(seed)
    rows, articles = [], []
    start = pd.Timestamp("2023-01-01")
    for d in range(days):
        published = (start + pd.Timedelta(days=d)).strftime("%Y-%m-%d")
        for j in range(per_day):
            article = f"d{d:03d}-{j}"
            articles.append({"article_id": article, "outlet": rng.choice(["Reuters", "AP", "AFP", "BBC"]),
                             "published": published, "title": "", "path": f"{article}.md"})
            place, country = rng.choice(_TOWNS[:3] + _TOWNS[5:] + _WIDE[:3])
            event = (start + pd.Timedelta(days=max(0, d - rng.randrange(0, 3)))).strftime("%Y-%m-%d")
            value = rng.choice([3, 5, 8, 12, 20, 21])
            sentence = (f"{value} people were killed when a {rng.choice(_WORDS)} near the {rng.choice(_WORDS)} "
                        f"in {place} was hit, officials said.")
            rows.append(make_figure_row(f"{article}-0", article, value, category="killed", location=place,
                                        country=country, sentence=sentence, published=published,
                                        event_date=event if rng.random() < 0.6 else ""))
    figures = make_figures_frame(rows).assign(event_date=[r["event_date"] for r in rows],
                                              country=[r["country"] for r in rows])
    return figures, pd.DataFrame(articles)


def test_a_long_streamed_key_forgets_the_incidents_it_let_go_and_links_as_the_whole_task(monkeypatch, tmp_path):
    """The sweep of a streamed key drops, every so often, what no later report can read of the incidents it
    let go (their entries in its pools and list): the incidents, groups and conflicts are the whole task's."""
    from auditor import incidents

    figures, articles = _daily(days=160, per_day=7, seed=4)
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, "frame", tmp_path / "whole")
    assert expected[0]["incident_id"].nunique() > 300 and len(expected[2]) > 20
    dropped: list[int] = []
    forget = incidents.Sweep._forget

    def counted(self, day):
        before = len(self.incidents)
        forget(self, day)
        dropped.append(before - len(self.incidents))

    monkeypatch.setattr(incidents.Sweep, "_forget", counted)
    monkeypatch.setattr(incidents, "_FORGET_EVERY", 8)
    for segment in (16, 200):
        _streamed_above(monkeypatch, segment)
        _same(_task(figures, articles, "frame", tmp_path / f"streamed-{segment}"), expected)
    assert len(dropped) > 10 and sum(dropped) > 200  # it ran, and dropped most of the incidents


@pytest.mark.parametrize("how", ["frame", "spill"])
def test_a_streamed_task_of_many_places_and_ids_gives_the_whole_tasks_tables(how, monkeypatch, tmp_path):
    """A streamed task keeps each figure's place, province and reference place as a small integer (widened
    as more distinct values come) and its id as its rank among the task's: with hundreds of towns (past
    what a byte holds) and ids that repeat, each part's values and the sweep's order are the whole task's."""
    figures, articles = _crafted(7, n_articles=260)
    rng = random.Random(7)
    towns = [f"Village {k}" for k in range(140)]  # unknown to the gazetteer: each its own place
    figures["location"] = [rng.choice(towns) if place else place for place in figures["location"]]
    figures["reference_place"] = [rng.choice(towns) if ref else ref for ref in figures["reference_place"]]
    figures["figure_id"] = [fid if rng.random() < 0.9 else f"dup-{rng.randrange(20)}" for fid in figures["figure_id"]]
    assert figures["location"].nunique() > 128
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, how, tmp_path / "whole")
    assert len(expected[1]) > 100
    for segment in (5, 64):
        _streamed_above(monkeypatch, segment)
        _same(_task(figures, articles, how, tmp_path / f"streamed-{segment}"), expected)


def test_coded_columns_widen_as_distinct_values_come():
    """A coded column starts a byte per figure and widens when its distinct values outgrow it; its values
    read back are those added, wherever they were added."""
    n = 70_000
    coded = _claims_stream._Coded(n)
    positions = np.random.default_rng(3).permutation(n)
    expected = np.empty(n, dtype=object)
    for start, distinct in ((0, 5), (1_000, 300), (20_000, 40_000)):  # a byte, then two, then four
        at = np.sort(positions[start:start + 20_000 if start < 20_000 else n])
        values = [f"place {k % distinct}" for k in range(len(at))]
        coded.add(values, at)
        expected[at] = values
    assert coded.codes.dtype.itemsize == 4
    coded.done()
    assert coded[:].tolist() == expected.tolist()
    assert coded[np.array([5, 7])].tolist() == expected[[5, 7]].tolist()


@pytest.mark.parametrize("seed", range(6))
def test_keys_gathered_part_by_part_group_figures_as_the_whole_tables_keys(seed):
    """A streamed task's keys, gathered a part at a time (each prefix's distinct days, the texts of the figures
    keyed by themselves), put the figures in the same keys as the whole table's key parts do: runs of dates cut
    by each prefix's window (its first figure's), a prefix without a window or a date in one key, undated
    figures in the largest run, distances and loose figures by their own keys; anchor days from the event day,
    else the publication day."""
    from auditor._claim_rules import load_config
    from auditor.incidents import keys_of_parts

    rng = random.Random(seed)
    n = rng.choice([50, 400, 3_000])
    prefixes = [f"{c}|{s}|{k}" for c in ("killed", "wounded", "displaced") for s in ("incident", "cumulative")
                for k in ("NG", "UA", "MM")][:rng.randrange(1, 19)]
    window = {p: rng.choice([0.0, 1.0, 3.0, 30.0, float("nan")]) for p in prefixes}
    rows = []
    for _ in range(n):
        if rng.random() < 0.15:
            rows.append((rng.choice(["distance|Kyiv|Lviv", "distance|Goma|Bunia"]
                                    + [f"killed|single|f{rng.randrange(40):012x}"]), None, float("nan"),
                         float("nan")))
            continue
        prefix = rng.choice(prefixes)
        day = float("nan") if rng.random() < 0.1 else float(19_000 + rng.randrange(rng.choice([5, 60, 400])))
        rows.append(("", prefix, day, window[prefix]))
    parts = pd.DataFrame({"alone": pd.array([r[0] for r in rows], dtype="str"),
                          "prefix": pd.Categorical([r[1] for r in rows]),
                          "day": [r[2] for r in rows], "window": [r[3] for r in rows]})
    whole = keys_of_parts(parts, load_config()).codes
    gathered = _claims_stream._TaskKeys(n, load_config())
    positions = np.array(rng.sample(range(n), n))
    cuts = sorted({0, n, *(rng.randrange(n) for _ in range(5))})
    for start, stop in zip(cuts, cuts[1:]):
        at = np.sort(positions[start:stop])
        part = parts.iloc[at].reset_index(drop=True)
        part["prefix"] = part["prefix"].cat.remove_unused_categories()  # (a part's own categories)
        gathered.add(part, at)
    day = parts["day"].to_numpy(dtype="float32")
    from_event = np.array([rng.random() < 0.5 for _ in range(n)])
    event_day = np.where(from_event, day, np.nan).astype("float32")
    # (a dated event's own publication day is another: the event day decides)
    pub_day = np.where(from_event, np.where(np.isnan(day), np.nan, 18_000.0), day).astype("float32")
    keys = gathered.codes(event_day, pub_day)
    assert len(set(whole.tolist())) == len(set(keys.tolist())) > 1
    pairs = set(zip(whole.tolist(), keys.tolist()))
    assert len(pairs) == len(set(whole.tolist()))  # one key of the whole table's, one gathered, and back


def _run_ids(rng: random.Random, n: int, distinct: int) -> list[str]:
    """Ids of a run's form (model.figure_id), ``distinct`` of them, some repeated."""
    pool = [model.figure_id(f"article {k}", "Two were killed.", 0, 3) for k in range(distinct)]
    return [rng.choice(pool) for _ in range(n)]


@pytest.mark.parametrize("distinct", [100, 300, 40_000])
@pytest.mark.parametrize("form", ["run", "other", "mixed"])
def test_figure_ids_kept_as_ranks_order_as_the_ids(distinct, form):
    """What a streamed task keeps of a figure id (its dense rank among the task's) orders and ties figures as
    the ids themselves do, however many distinct ids there are: a run's ids (kept as numbers), ids of
    another form (a figures table made elsewhere: kept as strings), and a task where the other form
    comes in a later part. The ids that parts name as their totals are found at their last row."""
    rng = random.Random(distinct)
    if form == "run":
        ids = _run_ids(rng, 2 * distinct, distinct)
    else:
        ids = [f"{rng.choice(['a', 'b', 'ü', 'Z', 'f'])}{rng.randrange(distinct)}-{rng.randrange(3)}"
               for _ in range(2 * distinct)]
        if form == "mixed":
            ids[:distinct] = _run_ids(rng, distinct, distinct // 2)
    kept = _claims_stream._FigureIds()
    cuts = sorted({0, len(ids), *(rng.randrange(len(ids)) for _ in range(4))})
    read = np.array(rng.sample(range(len(ids)), len(ids)))  # the rows in the order parts read them
    for start, stop in zip(cuts, cuts[1:]):
        kept.add([ids[r] for r in read[start:stop]])
    assert kept.numeric == (form == "run")
    named = {ids[rng.randrange(len(ids))] for _ in range(20)} | {"f" + "0" * 12, "not an id"}
    ranks, whole_rows = kept.ranked(np.argsort(read, kind="stable"), named)
    ranks = ranks.tolist()
    pairs = [(rng.randrange(len(ids)), rng.randrange(len(ids))) for _ in range(5_000)]
    assert all((ranks[i] < ranks[j]) == (ids[i] < ids[j]) and (ranks[i] == ranks[j]) == (ids[i] == ids[j])
               for i, j in pairs)
    assert whole_rows == {name: max(r for r, v in enumerate(ids) if v == name) for name in named if name in ids}


def test_a_run_on_workers_whose_tasks_stream_finds_each_figures_article_without_its_id(tmp_path_factory,
                                                                                      monkeypatch):
    """A local run's figures follow their articles: each claims task is sent how many of its figures each of
    its articles has, and a streamed task fills its figures from their articles by these, with no index of
    the article ids (a big key's was the task's peak as it filled its rows), reading its articles a part at a
    time as it fills its rows in order, never all at once. The tables are one process's."""
    corpus = generated_corpus(tmp_path_factory, seed=21)
    expected = audit(corpus, jobs=1, cache=False)
    expected_tables = {name: getattr(expected, name) for name in ("figures", "groups", "conflicts")}
    assert len(expected_tables["figures"]) > 600 and len(expected_tables["conflicts"]) > 20

    def no_lookup(self):
        raise AssertionError("a streamed task looked its figures' article ids up")

    def no_whole_articles(part):
        raise AssertionError("a streamed task loaded its articles at once")

    _streamed_above(monkeypatch, 60)  # (set before the workers fork: every task streams)
    monkeypatch.setattr(_claims_stream._Rows, "_index_articles", no_lookup)
    monkeypatch.setattr(claims, "_loaded_articles", no_whole_articles)
    result = audit(corpus, jobs=2, cache=False)
    for name, table in expected_tables.items():
        pd.testing.assert_frame_equal(getattr(result, name), table)


def test_a_tasks_many_sorted_parts_merge_a_few_at_a_time_into_the_whole_tasks_tables(monkeypatch, tmp_path):
    """A task's groups and conflicts are written as sorted parts (one per chunk of incidents) and merged:
    many parts are merged a few at a time, in rounds, and the tables are the whole task's, rows and order."""
    figures, articles = _crafted(5)
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, "spill", tmp_path / "whole")
    merges: list[int] = []
    original = claims._SortedParts._merge

    def merge(self, paths, where):
        merges.append(len(paths))
        return original(self, paths, where)

    monkeypatch.setattr(claims._SortedParts, "_merge", merge)
    monkeypatch.setattr(claims, "_MERGE_FAN_IN", 3)
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", 8)  # dozens of parts
    _streamed_above(monkeypatch, 40)
    _same(_task(figures, articles, "spill", tmp_path / "streamed"), expected)
    assert max(merges) == 3 and len(merges) > 2 * len(figures) // 8 // 3  # rounds of three parts each


@pytest.mark.parametrize("how", ["frame", "spill"])
def test_figures_of_unlisted_articles_scattered_through_the_task_stay_with_their_siblings(how, monkeypatch,
                                                                                          prepared_sizes, tmp_path):
    """The first pass cuts the task into parts of whole articles, found by the articles' rows: figures whose
    article the articles table does not list (a third here) are kept together by their article id, and an
    article's figures scattered through the task (not one after another) still land in one part. A headline
    figure takes its sentence's event date from such a sibling, as in the whole task."""
    figures, articles = _crafted(4, n_articles=120)
    figures = figures.sample(frac=1.0, random_state=4).reset_index(drop=True)  # articles' figures apart
    listed = articles[articles["article_id"].str[1:].astype(int) % 3 != 0].reset_index(drop=True)
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, listed, how, tmp_path / "whole")
    _streamed_above(monkeypatch, 5)
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", 16)
    _same(_task(figures, listed, how, tmp_path / "streamed"), expected)
    assert prepared_sizes and max(prepared_sizes) < len(figures) / 2


def test_a_spilled_task_lets_go_of_its_articles_before_its_first_pass(monkeypatch, tmp_path):
    """Rows of the spill file are filled from their articles once, written to the task's own file, and
    the articles let go: the first pass and every later pass read filled rows (outlet, date, headline)
    without holding the articles (a big key's are as many as its figures: ~100 bytes each)."""
    figures, articles = _crafted(6, n_articles=150)
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, "spill", tmp_path / "whole")
    seen: list[tuple[object, list[str]]] = []
    original = _claims_stream._first_pass

    def first_pass(rows, config, size):
        frame = rows.read(np.arange(rows.n), frozenset({"outlet", "title"}))
        seen.append((rows.articles, frame["title"].tolist()))
        return original(rows, config, size)

    monkeypatch.setattr(_claims_stream, "_first_pass", first_pass)
    _streamed_above(monkeypatch, 40)
    _same(_task(figures, articles, "spill", tmp_path / "streamed"), expected)
    (held, titles), = seen
    assert held is None
    headline = dict(zip(articles["article_id"], articles["title"]))
    assert titles == [headline[a] for a in figures["article_id"]]


@pytest.mark.parametrize("how", ["frame", "spill"])
def test_a_spilled_task_sweeps_from_its_segments_files_not_from_arrays_it_holds(how, monkeypatch, tmp_path):
    """Rows of the spill file: what the sweep and pass 3 read of each figure (days, category, places, scope)
    is written with its row into its segment's file and read from there; the task holds no array of them
    (a big key's: ~15 bytes a figure through its sweep). Rows of a DataFrame have no such files: the
    arrays are held. The tables are the whole task's either way."""
    figures, articles = _crafted(8, n_articles=150)
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, how, tmp_path / "whole")
    held: list[tuple[bool, list[int]]] = []
    original = _claims_stream._FirstPass.prepared

    def prepared(self, at, frame, *args, **kwargs):
        sizes = [len(getattr(column, "codes", column)) for column in self.columns.values()]
        held.append((self.stored, sizes))
        return original(self, at, frame, *args, **kwargs)

    monkeypatch.setattr(_claims_stream._FirstPass, "prepared", prepared)
    _streamed_above(monkeypatch, 40)
    _same(_task(figures, articles, how, tmp_path / "streamed"), expected)
    assert len(held) > 3
    if how == "spill":
        assert all(stored and not any(sizes) for stored, sizes in held)
    else:
        assert all(not stored and min(sizes) == len(figures) for stored, sizes in held)


@pytest.mark.parametrize("how", ["frame", "file", "spill"])
@pytest.mark.parametrize("segment", [500, 61])
def test_a_generated_corpus_streamed_is_its_whole_task(generated, how, segment, monkeypatch, tmp_path):
    figures, articles = generated
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, how, tmp_path / "whole")
    _streamed_above(monkeypatch, segment)
    _same(_task(figures, articles, how, tmp_path / "streamed"), expected)


def test_undated_reports_join_incidents_as_in_the_whole_task(monkeypatch, tmp_path):
    """Undated reports are swept last against every open incident (no date bound): the incidents a
    streamed key keeps for them are those of the whole key (the words of incidents out of every dated
    report's reach are only let go in a key without undated reports)."""
    rows = []
    for day in range(30):
        for k in range(3):
            rows.append(make_figure_row(f"d{day:02d}-{k}", f"a{day:02d}-{k}", 10 + k,
                                        sentence=f"{10 + k} people killed in a {_WORDS[k]} bombing in Tikrit market.",
                                        location="Tikrit", country="IQ", published=f"2024-01-{1 + day:02d}"))
    for k in range(3):  # each joins the incident its words match, whatever the date
        rows.append(make_figure_row(f"u{k}", f"u{k}", 10 + k, location="Tikrit", country="IQ", published="",
                                    sentence=f"{10 + k} people killed in a {_WORDS[k]} bombing in Tikrit market."))
    figures = make_figures_frame(rows)
    articles = figures[["article_id", "published"]].assign(outlet="AP", title="")
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, "frame", tmp_path)
    undated = expected[0]["incident_id"].iloc[-3:].tolist()
    assert all(undated) and set(undated) <= set(expected[0]["incident_id"].iloc[:-3])
    _streamed_above(monkeypatch, 5)
    _same(_task(figures, articles, "frame", tmp_path), expected)


@pytest.mark.parametrize("how", ["frame", "spill"])
def test_a_keys_closed_incidents_are_written_out_as_it_is_swept_and_read_back_the_same(how, monkeypatch, tmp_path):
    """A key without undated reports lets go of each incident once no later report can join it: written to
    the task's file of incidents as the sweep goes, a few at a time, read back named. The tables are the
    whole task's (ids, ties of one kind, place and day broken by the smallest figure id, order)."""
    rng = random.Random(5)
    towns = [("Kharkiv", "UA"), ("Izium", "UA"), ("Bakhmut", "UA"), ("Kherson", "UA"), ("Goma", "CD"),
             ("Beni", "CD"), ("Bunia", "CD"), ("Mogadishu", "SO"), ("Kismayo", "SO"), ("Juba", "SS")]
    rows = []
    for a in range(240):  # a season of attacks, two or three on some days in one town (tied ids)
        day = a // 3
        town, country = rng.choice(towns)
        word = rng.choice(_WORDS)
        published = (pd.Timestamp("2023-05-01") + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
        for k in range(rng.randrange(1, 4)):  # reprints of one report
            value = rng.choice([4, 9, 15, 30])
            rows.append(make_figure_row(f"f{a:03d}-{k}", f"a{a:03d}-{k}", value, location=town, country=country,
                                        sentence=f"{value} people were killed when a {word} {word} attack hit a "
                                                 f"{rng.choice(_WORDS)} in {town}, officials said.",
                                        published=published, category=rng.choice(["killed", "wounded"])))
    figures = make_figures_frame(rows)
    articles = figures[["article_id", "published"]].assign(outlet="Reuters", title="")
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, how, tmp_path / "whole")
    let_go, finished = [], []
    original_add, original_finish = _claims_stream._IncidentFile.add, _claims_stream.Sweep.finish

    def add(self, incident):
        let_go.append(incident.rows[0])
        original_add(self, incident)

    def finish(self):
        kept = original_finish(self)
        finished.extend(kept)
        return kept

    monkeypatch.setattr(_claims_stream._IncidentFile, "add", add)
    monkeypatch.setattr(_claims_stream.Sweep, "finish", finish)
    monkeypatch.setattr(_claims_stream, "_INCIDENT_BATCH", 3)
    _streamed_above(monkeypatch, 40)
    got = _task(figures, articles, how, tmp_path / "streamed")
    _same(got, expected)
    assert len(let_go) - len(finished) > len(finished) > 0  # most written out before their key was done
    assert got[0]["incident_id"].nunique() == len(let_go) == expected[0]["incident_id"].nunique()


def test_a_part_checked_against_its_total_in_another_segment_and_key(monkeypatch, tmp_path):
    """A part naming (``part_of``) a total read in another segment and another key (another country) is
    still checked against it: its conflict is the whole task's."""
    rows = [make_figure_row("total", "a0", 40, location="El Geneina", country="SD", published="2024-05-03",
                            sentence="Fighting in El Geneina killed 40 people.")]
    for k in range(20):  # other reporting between them: the part lands in a later segment
        rows.append(make_figure_row(f"o{k}", f"o{k}", 3 + k, location="Khartoum", country="SD",
                                    published=f"2024-05-{4 + k % 20:02d}"))
    rows.append(make_figure_row("part", "a1", 52, location="Adre", country="TD", published="2024-05-25",
                                subject="refugees", part_of="total",
                                sentence="Fighting killed 40 people, including 52 refugees in Adre, Chad."))
    figures = make_figures_frame(rows).assign(part_of=[r.get("part_of", "") for r in rows],
                                              country=[r.get("country", "") for r in rows])
    articles = figures[["article_id", "published"]].assign(outlet="AP", title="")
    _streamed_above(monkeypatch, WHOLE)
    expected = _task(figures, articles, "frame", tmp_path)
    assert (expected[2]["relation"] == "part_of").sum() == 1
    _streamed_above(monkeypatch, 3)
    monkeypatch.setattr(claims, "_CHUNK_FIGURES", 2)
    _same(_task(figures, articles, "frame", tmp_path), expected)


# --- the most telling cases of benchmarks/fuzz_claims_stream.py (its hand-built ones, and generated tables of a
# few seeds), each run through the entry the parallel run uses (a DataFrame, the file the parent writes, rows of
# a spill file with or without run folders) with the stream threshold huge and small

TARGETED = {case.name: case for case in fuzz.targeted_cases()}
# Generated tables of under 300 figures that hold at once undated rows, parts naming totals in other keys,
# supersedes and repeated ids; and 100_045/100_062: a batch's index (not 0..n-1), 100_062: mostly undated,
# an article listed twice, 100_068: an article listed twice, 100_078: no articles at all.
SEEDS = (100_017, 100_045, 100_062, 100_068, 100_078)


@pytest.fixture(scope="module")
def fuzz_places():
    return fuzz._places()


@pytest.mark.parametrize("source", ["frame", "file", "spill"])
@pytest.mark.parametrize("name", sorted(TARGETED))
def test_a_fuzzers_targeted_case_streamed_gives_the_whole_tasks_tables(name, source, tmp_path):
    case = TARGETED[name]
    # Groups built from one chunk, or a few incidents at a time (each chunk's rows prepared alone)
    for segment, chunk in ((7, None), (16, 3)):
        whole = fuzz.run_task(case, source, fuzz.WHOLE, tmp_path, chunk)
        assert len(whole[1]) + len(whole[2]) > 2  # the case builds groups and conflicts to compare
        streamed = fuzz.run_task(case, source, segment, tmp_path, chunk)
        assert fuzz.difference(whole, streamed) is None, (name, segment, chunk)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_streamed_generated_table_gives_the_whole_tasks_tables(seed, fuzz_places, tmp_path):
    case = fuzz.make_case(seed, fuzz_places)
    for k, segment in enumerate((7, 50)):
        source = ("frame", "spill", "spill-cached")[(seed + k) % 3]  # spill-cached: a cached run's task
        whole = fuzz.run_task(case, source, fuzz.WHOLE, tmp_path, chunk=64)
        assert fuzz.difference(whole, fuzz.run_task(case, source, segment, tmp_path, chunk=64)) is None, segment
