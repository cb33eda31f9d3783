"""A claims task streamed in date segments gives the whole task's tables, exactly: the most telling cases of
``benchmarks/fuzz_claims_stream.py`` (hand-built ones, and generated tables of a few seeds), each run through
the entry the parallel run uses (a DataFrame, the file the parent writes, rows of a spill file with or without
run folders) with the stream threshold huge and small."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fuzz_claims_stream as fuzz  # noqa: E402

TARGETED = {case.name: case for case in fuzz.targeted_cases()}
# Generated tables of under 300 figures that hold at once undated rows, parts naming totals in other keys,
# supersedes and repeated ids; and 100_045/100_062: a batch's index (not 0..n-1), 100_062: mostly undated,
# an article listed twice, 100_068: an article listed twice, 100_078: no articles at all.
SEEDS = (100_017, 100_045, 100_062, 100_068, 100_078)


@pytest.fixture(scope="module")
def places():
    return fuzz._places()


@pytest.mark.parametrize("source", ["frame", "file", "spill"])
@pytest.mark.parametrize("name", sorted(TARGETED))
def test_a_streamed_task_gives_the_whole_tasks_tables(name, source, tmp_path):
    case = TARGETED[name]
    # Groups built from one chunk, or a few incidents at a time (each chunk's rows prepared alone)
    for segment, chunk in ((7, None), (16, 3)):
        whole = fuzz.run_task(case, source, fuzz.WHOLE, tmp_path, chunk)
        assert len(whole[1]) + len(whole[2]) > 2  # the case builds groups and conflicts to compare
        streamed = fuzz.run_task(case, source, segment, tmp_path, chunk)
        assert fuzz.difference(whole, streamed) is None, (name, segment, chunk)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_streamed_generated_table_gives_the_whole_tasks_tables(seed, places, tmp_path):
    case = fuzz.make_case(seed, places)
    for k, segment in enumerate((7, 50)):
        source = ("frame", "spill", "spill-cached")[(seed + k) % 3]  # spill-cached: a cached run's task
        whole = fuzz.run_task(case, source, fuzz.WHOLE, tmp_path, chunk=64)
        assert fuzz.difference(whole, fuzz.run_task(case, source, segment, tmp_path, chunk=64)) is None, segment
