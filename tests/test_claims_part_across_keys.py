"""A part that names its total in another blocking key (another country, another scope) is checked
against it however the claims are cut: one process, several workers, cached buckets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import _key_cut, _parallel, claims
from auditor.audit import audit

# (article, outlet, published, text): each names a total in another key than its part's.
_ACROSS = [
    ("darfur-chad", "Reuters", "2024-05-03",
     "Fighting in El Geneina killed 40 people, including 52 Sudanese refugees in Adre, Chad, officials said."),
    ("kharkiv-moldova", "AP", "2023-03-10",
     ("A Russian missile strike on Kharkiv killed 11 people, including 14 Moldovan workers in Chisinau, Moldova, "
      "regional officials said.")),
    ("borno-cameroon", "Premium Times", "2023-06-12",
     "Gunmen killed 25 villagers in Maiduguri, including 31 Cameroonian traders in Maroua, Cameroon, residents said."),
    ("ituri-since-january", "Reuters", "2024-02-10",
     "Since January, 1,200 people have been displaced in Ituri, including 1,800 on Friday alone."),
    ("idlib-since-december", "Al Jazeera", "2020-02-20",
     "Since December, 900 civilians have been killed in Idlib, including 1,100 on Thursday alone, rescuers said."),
]
# Other reporting, many wars and days: many blocking keys, so that two workers' batches split them.
_PLACES = ["Khartoum", "Mariupol", "Gaza City", "Culiacan", "Mandalay", "Mogadishu", "Aleppo", "Mosul", "Sanaa",
           "Goma", "Kabul", "Mekelle", "Port-au-Prince", "Kherson", "Kaduna", "Rafah"]


def _write(folder: Path, name: str, outlet: str, published: str, text: str) -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {name}\noutlet: {outlet}\npublished: {published}\n---\n{text}\n",
                                       encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("across-keys")
    for name, outlet, published, text in _ACROSS:
        _write(folder, name, outlet, published, text)
    # The totals reported again elsewhere: the total's group has more than the part's article
    _write(folder, "darfur-un", "AFP", "2024-05-03", "Clashes in El Geneina killed 40 people on Friday, a UN spokesman "
                                                    "said.")
    _write(folder, "kharkiv-governor", "Ukrainska Pravda", "2023-03-10",
           "The governor said 11 people were killed in the missile strike on Kharkiv.")
    for k, place in enumerate(_PLACES):
        for day, outlet in ((3 + k % 5, "Reuters"), (17 + k % 7, "AFP")):
            _write(folder, f"{place.lower().replace(' ', '-')}-{day}", outlet, f"2023-{1 + k % 12:02d}-{day:02d}",
                   f"{5 + 3 * k + day} people were killed and {2 + k + day} wounded in shelling of {place} on "
                   f"Tuesday, officials said. About {200 * (k + 1)} families fled {place}, aid groups said.")
    return folder


def _tables(result) -> dict[str, pd.DataFrame]:
    return {"figures": result.read_figures(), "groups": result.groups.reset_index(drop=True),
            "conflicts": result.conflicts.reset_index(drop=True)}


@pytest.fixture(scope="module")
def one_process(corpus):
    return _tables(audit(corpus, jobs=1))


def test_each_part_above_its_total_in_another_key_is_a_conflict(one_process):
    figures, conflicts = one_process["figures"], one_process["conflicts"]
    by_id = figures.set_index("figure_id")
    for name, *_ in _ACROSS:
        parts = figures[(figures["article_id"] == name) & (figures["part_of"] != "")]
        assert len(parts) == 1, name
        part, total = parts.iloc[0], by_id.loc[parts.iloc[0]["part_of"]]
        # the corpus is what it says: the part and its total are in two blocking keys
        assert (part["country"], part["scope"]) != (total["country"], total["scope"]), name
        found = conflicts[(conflicts["relation"] == "part_of") & (conflicts["figure_a"] == part["figure_id"])]
        assert found["figure_b"].tolist() == [total.name], name
        group = one_process["groups"].set_index("group_id").loc[part["group_id"]]
        assert group["status"] == "conflict", name


@pytest.mark.parametrize("jobs, cached, shares", [(2, False, None), (1, True, None), (2, True, None), (2, False, 7),
                                                  (2, True, 7)])
def test_workers_and_cached_buckets_give_the_claims_of_one_process(corpus, one_process, tmp_path, monkeypatch, jobs,
                                                                   cached, shares):
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_CHARS", 1)  # a small corpus on two workers all the same
    if shares:  # the keys' parts made in many shares, and cut in many partitions
        monkeypatch.setattr(claims, "_KEY_CHUNK_ROWS", shares)
        monkeypatch.setattr(_key_cut, "PARTITION_ROWS", 3)
    runs = 2 if cached else 1  # cached: the run that stores the buckets, then the run that reads them
    for _ in range(runs):
        result = audit(corpus, jobs=jobs, cache=tmp_path / "cache" if cached else None)
        assert result.figures_spilled == (jobs > 1)  # two workers: the spilled table's keys cut on a worker
        for name, table in _tables(result).items():
            pd.testing.assert_frame_equal(table, one_process[name], obj=name)


def test_keys_given_as_the_cluster_gives_them_build_the_claims_of_one_process(corpus):
    # cluster.claims_on_cluster: the keys made in the parent, batches sent to workers (here: run here)
    result = audit(corpus, jobs=1)
    figures, articles = result.figures, result.articles
    keys = claims.blocking_keys(figures)
    by_batches = claims.build_claims_by_blocks(figures, articles, claims.run_here, 2, keys=keys)
    whole = claims.build_claims(figures, articles)
    assert len(claims._packed(pd.Categorical(keys).codes.astype(np.int64), 4)) == 4  # split, unless joined
    for name, got, expected in zip(("figures", "groups", "conflicts"), by_batches, whole):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), obj=name)


def _figures(ids: list[str], part_of: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"figure_id": ids, "part_of": part_of})


def test_batches_and_buckets_keep_a_part_with_its_total_in_another_key():
    # keys a..h, two rows each; the part in "h|..." names its total in "a|..."; "c" names "e" in turn
    names = ["a|SD", "b|UA", "c|NG", "d|SO", "e|CM", "f|SY", "g|YE", "h|TD"]
    keys = pd.Series(np.repeat(names, 2))
    ids = [f"f{k}" for k in range(len(keys))]
    part_of = [""] * len(keys)
    part_of[15], part_of[4] = "f0", "f8"
    figures = _figures(ids, part_of)
    assert claims._part_links(figures).tolist() == [[4, 8], [15, 0]]
    plain = pd.Categorical(keys).codes.astype(np.int64)
    names_of, codes = claims._key_codes(keys, figures)
    assert codes.tolist() == np.repeat([0, 1, 2, 3, 2, 5, 6, 0], 2).tolist()  # each joined key: its smallest's code
    batch_of = {}
    for number, rows in enumerate(claims._packed(codes, 4)):
        batch_of.update(dict.fromkeys(rows.tolist(), number))
    assert batch_of[15] == batch_of[0] and batch_of[4] == batch_of[8]
    split = claims._packed(plain, 4)  # without joining, these keys fall in other batches
    assert not any({0, 15} <= set(rows.tolist()) for rows in split)
    buckets = claims._buckets(names_of, codes, len(keys))
    assert buckets[15] == buckets[0] and buckets[4] == buckets[8]
    # a bucket is the hash of the smallest joined key's name, whichever side names the other
    assert buckets[15] == claims._buckets(pd.Index(["a|SD"]), np.zeros(1, dtype=np.int64), len(keys))[0]
    reversed_naming = _figures(ids, [""] * len(keys))
    reversed_naming.loc[0, "part_of"] = "f15"
    assert (claims._buckets(*claims._key_codes(keys, reversed_naming), len(keys))[[0, 15]] == buckets[0]).all()


def test_keys_without_links_and_totals_not_in_the_table_are_cut_as_before():
    keys = pd.Series(["x|a", "y|b", "y|b", "z|c"])
    plain = pd.Categorical(keys).codes.astype(np.int64)
    for figures in (_figures(["f1", "f2", "f3", "f4"], ["", "", "", ""]),
                    _figures(["f1", "f2", "f3", "f4"], ["", "f9", None, ""]),  # f9: not among them
                    pd.DataFrame({"figure_id": ["f1", "f2", "f3", "f4"]})):  # no part_of column
        assert claims._key_codes(keys, figures)[1].tolist() == plain.tolist()
    # a part in its total's own key joins nothing
    assert claims._key_codes(keys, _figures(["f1", "f2", "f3", "f4"], ["", "", "f2", ""]))[1].tolist() \
        == plain.tolist()
