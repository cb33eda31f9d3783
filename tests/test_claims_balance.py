"""A small corpus's claims step gives each worker one batch, and its slowest task ends the step: the
batches are packed by what their figures cost (a point event's report costs a task about twice a
distance's), and when whole categories share out evenly enough they are the batches, with no round of
key parts and cut to wait for. Either way the tables are those of one process."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest
from conftest import generated_unclaimed

from auditor import claims
from auditor._claim_rules import load_config
from auditor._key_cut import FIGURE_COST, batch_of_costed_block, key_costs, key_kind
from auditor.claims import blocking_keys, build_claims, build_claims_by_blocks


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return generated_unclaimed(tmp_path_factory, seed=23)


def _tasks_giving_the_tables_of_one_process(figures: pd.DataFrame, articles: pd.DataFrame, folder) -> list[str]:
    """The claims step on 2 workers (each task run here), checked against ``build_claims`` in one
    process: the names of the tasks it ran, in order."""
    calls: list[str] = []

    def submit(function, *args):
        calls.append(function.__name__)
        future = Future()
        future.set_result(function(*args))
        return future

    found, groups, conflicts = build_claims_by_blocks(figures, articles, submit, 2, shared_folder=folder)
    expected = build_claims(figures, articles)
    pd.testing.assert_frame_equal(groups, expected[1])
    pd.testing.assert_frame_equal(conflicts, expected[2])
    for column in ("group_id", "incident_id"):
        assert found[column].tolist() == expected[0][column].tolist()
    return calls


@pytest.mark.parametrize(("name", "kind"), [
    ("killed|incident|UA|2022-03-01", "point"),
    ("wounded|incident|SD|2023-04-16", "point"),
    ("airstrikes|incident|YE|2015-03-26", "point"),
    ("airstrikes|cumulative|YE|2015-03-26", "cumulative"),
    ("displaced|cumulative|ET|2021-11-02", "cumulative"),
    ("displaced|incident|CD|2024-01-20", "incident"),
    ("fighters|incident|ML|all", "incident"),
    ("trapped|incident|TR|2023-02-06", "incident"),
    ("distance|geonames:703448|kherson", "distance"),
    ("distance|single|f000123", "single"),
    ("killed|single|f000042", "single"),
    ("killed|incident||2014-07-17", "point"),  # no country
])
def test_a_key_s_kind_is_read_from_its_name(name, kind):
    point_events = load_config().point_events
    assert key_kind(name, point_events) == kind
    assert key_costs([name], point_events).tolist() == [FIGURE_COST[kind]]


def test_point_events_cost_the_most_and_distances_the_least():
    assert FIGURE_COST["point"] == max(FIGURE_COST.values())
    assert FIGURE_COST["distance"] == min(FIGURE_COST.values())


def test_costed_blocks_go_costliest_first_into_the_cheapest_batch_with_room():
    # Two point-event keys of 100 figures, then cheaper keys: the two dear ones are split up, the rest fill
    # whichever batch costs less (not whichever holds fewer figures)
    rows = [100, 100, 120, 60]
    costs = [100.0, 100.0, 36.0, 36.0]
    # (by figures alone the 120 would go with one 100 and the 60 with the other: the same costs here)
    assert batch_of_costed_block(rows, costs, 2, 10**6).tolist() == [0, 1, 0, 1]
    # A cheap block joins the cheaper batch even when it holds more figures
    assert batch_of_costed_block([100, 300, 50], [100.0, 60.0, 30.0], 2, 10**6).tolist() == [0, 1, 1]
    # A batch with no room left (``most_rows``) takes nothing more while another has room
    assert batch_of_costed_block([5, 5, 5], [10.0, 9.0, 8.0], 2, 10).tolist() == [0, 1, 1]
    # None has room: the batch of the fewest figures
    assert batch_of_costed_block([8, 4, 9], [10.0, 9.0, 8.0], 2, 10).tolist() == [0, 1, 1]
    assert batch_of_costed_block([], [], 2, 10).tolist() == []
    assert batch_of_costed_block([3, 3], [1.0, 1.0], 5, 10).tolist() == [0, 1]  # no more batches than blocks


def test_every_blocking_key_holds_one_category_only(audited):
    # What cutting by category rests on: a key never spans two categories
    figures, _ = audited
    keys = blocking_keys(figures)
    per_key = figures.groupby(keys.to_numpy(), observed=True)["category"].nunique()
    assert len(per_key) > 20 and per_key.max() == 1


def test_whole_categories_make_the_batches_when_they_share_out_evenly(audited, tmp_path):
    figures, articles = audited
    assert figures["category"].nunique() >= 4
    calls = _tasks_giving_the_tables_of_one_process(figures, articles, tmp_path)
    assert calls.count("_claims_task") == 2
    assert "_key_parts_task" not in calls and "_cut_task" not in calls  # no keys computed before the tasks


def test_category_batches_are_whole_categories_of_similar_cost(audited):
    figures, _ = audited
    batches = claims._category_batches(figures, 2, 10**6)
    assert batches is not None and len(batches) == 2
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(figures)))  # each figure once
    categories = [set(figures["category"].iloc[rows]) for rows in batches]
    assert not categories[0] & categories[1]
    point_events = load_config().point_events
    kinds = [figures.iloc[rows].apply(lambda f: key_kind(f"{f['category']}|{f['scope'] or 'incident'}|",
                                                         point_events), axis=1) for rows in batches]
    costs = [kind.map(FIGURE_COST).sum() for kind in kinds]
    assert max(costs) <= (1 + claims._CATEGORY_SLACK) * sum(costs) / 2


def test_one_category_or_too_many_figures_falls_back_to_the_key_cut(audited, tmp_path):
    figures, articles = audited
    killed = figures[figures["category"] == "killed"].reset_index(drop=True)
    assert len(killed) > 50 and claims._category_batches(killed, 2, 10**6) is None
    assert claims._category_batches(figures, 2, len(figures) // 3) is None  # a batch above a task's share
    calls = _tasks_giving_the_tables_of_one_process(killed, articles, tmp_path)
    assert "_key_parts_task" in calls and calls.count("_claims_task") == 2


def test_a_part_naming_its_total_in_another_category_goes_with_it(audited, monkeypatch):
    figures, _ = audited
    figures = figures.copy()
    total = figures.index[figures["category"] == "killed"][0]
    part = figures.index[figures["category"] == "wounded"][0]
    separate = claims._category_batches(figures, 2, 10**6)
    assert [total in set(rows.tolist()) for rows in separate] != [part in set(rows.tolist()) for rows in separate]
    figures.loc[part, "part_of"] = figures.loc[total, "figure_id"]
    monkeypatch.setattr(claims, "_CATEGORY_SLACK", 10.0)  # (joined, the two may no longer share out evenly)
    batches = claims._category_batches(figures, 2, 10**6)
    assert [total in set(rows.tolist()) for rows in batches] == [part in set(rows.tolist()) for rows in batches]
    categories = [set(figures["category"].iloc[rows]) for rows in batches]
    assert {"killed", "wounded"} <= categories[0] or {"killed", "wounded"} <= categories[1]


def test_the_key_cut_packs_one_batch_per_worker_by_cost(audited, tmp_path, monkeypatch):
    # Categories not even enough (forced): keys are cut, and packed by cost, as evenly as the keys allow
    figures, articles = audited
    monkeypatch.setattr(claims, "_CATEGORY_SLACK", -1.0)
    point_events = load_config().point_events
    keys = blocking_keys(figures)
    names, codes = claims._key_codes(keys, figures)
    cost_of_key = key_costs(names, point_events)
    batches = claims._packed(codes, 2, cost_of_key, 10**6)
    cost_of_row = cost_of_key[codes]  # (a joined key's: its root's)
    costs = [cost_of_row[rows].sum() for rows in batches]
    assert max(costs) - min(costs) <= np.bincount(codes, weights=cost_of_row).max()  # by the costliest key at most
    calls = _tasks_giving_the_tables_of_one_process(figures, articles, tmp_path)
    assert "_key_parts_task" in calls and calls.count("_claims_task") == 2
