"""A run warns before it starts when a disk may not hold what it writes, and says so when a disk fills."""

import errno
import os
from pathlib import Path

import pytest

from auditor import _disk
from auditor.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def _seed_bytes() -> int:
    return sum(p.stat().st_size for p in SEEDS.iterdir() if p.is_file())


def _disks(monkeypatch, free_of):
    """Every folder's disk is ``free_of(folder) -> (device, free bytes)``."""
    monkeypatch.setattr(_disk, "_free", free_of)


def test_folders_on_one_disk_are_counted_together(tmp_path, monkeypatch):
    _disks(monkeypatch, lambda folder: (7, 1_000))
    wanted = [(tmp_path / "tmp", 600, "temporary files"), (tmp_path / "out", 600, "outputs")]
    short = _disk.shortfalls(wanted)
    assert len(short) == 1  # each fits alone, not both
    assert (short[0].needed, short[0].free, short[0].what) == (1_200, 1_000, "temporary files and outputs")
    assert short[0].folder == tmp_path / "tmp"


def test_each_disk_is_checked_alone(tmp_path, monkeypatch):
    devices = {"tmp": (1, 10_000), "out": (2, 100), "cache": (3, 5_000)}
    _disks(monkeypatch, lambda folder: devices[folder.name])
    wanted = [(tmp_path / "tmp", 6_000, "temporary files"), (tmp_path / "out", 400, "outputs"),
              (tmp_path / "cache", 5_000, "cache")]
    assert [(s.folder.name, s.needed, s.free) for s in _disk.shortfalls(wanted)] == [("out", 400, 100)]
    devices["out"] = (2, 400)
    assert _disk.shortfalls(wanted) == []  # exactly enough is enough


def test_a_folder_not_made_yet_is_looked_up_on_its_parent_disk(tmp_path):
    made = _disk._free(tmp_path)
    assert made is not None and made[0] == os.stat(tmp_path).st_dev
    assert _disk._free(tmp_path / "not" / "made" / "yet")[0] == made[0]


def test_what_a_run_needs_grows_with_the_text_and_the_formats(tmp_path):
    csv = dict((what, n) for _f, n, what in _disk.space_needed(1_000_000, tmp_path, ["csv"]))
    both = dict((what, n) for _f, n, what in _disk.space_needed(2_000_000, tmp_path, ["csv", "parquet"],
                                                                  cache=tmp_path / "c", cache_size=10**9))
    assert set(csv) == {"temporary files", "outputs"}
    assert both["temporary files"] == 2 * csv["temporary files"]
    assert both["outputs"] > 2 * csv["outputs"]  # Parquet too
    assert both["cache"] > 0
    capped = _disk.space_needed(10**9, tmp_path, ["csv"], cache=tmp_path / "c", cache_size=1_000)
    assert [n for _f, n, what in capped if what == "cache"] == [1_000]  # the cache never outgrows its size
    on_cluster = _disk.space_needed(10**9, tmp_path, ["csv"], temporary=False)
    assert [what for _f, _n, what in on_cluster] == ["outputs"]


def test_a_short_disk_is_warned_of_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    _disks(monkeypatch, lambda folder: (1, 1_000))
    assert main(["run", str(SEEDS), "--out", str(out), "--quiet", "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "1.0 KB free" in err
    # the amount follows the text read: the seeds' bytes times what a run writes per byte
    needed = int(_seed_bytes() * _disk.TEMPORARY_PER_BYTE) + int(_seed_bytes() * _disk.OUTPUT_PER_BYTE["csv"])
    assert _disk._size(needed) in err
    assert "TMPDIR" in err
    assert (out / "figures.csv").exists()


def test_no_warning_when_the_disks_have_room(tmp_path, capsys):
    assert main(["run", str(SEEDS), "--out", str(tmp_path / "out"), "--quiet", "--no-cache"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"),  # as Arrow raises it
])
def test_a_disk_that_fills_while_writing_is_named_with_what_the_run_needs(tmp_path, monkeypatch, capsys, error):
    from auditor import export

    out = tmp_path / "out"
    assert main(["run", str(SEEDS), "--out", str(out), "--quiet", "--no-cache"]) == 0
    before = (out / "figures.csv").read_bytes()

    def full(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(export.OutputFolder, "write", full)
    assert main(["run", str(SEEDS), "--out", str(out), "--quiet", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "a disk is full" in err and "of outputs in" in err and str(out) in err
    assert "the previous audit" in err and (out / "figures.csv").read_bytes() == before


def test_a_disk_that_fills_during_the_audit_is_named(tmp_path, monkeypatch, capsys):
    import importlib

    audit_module = importlib.import_module("auditor.audit")  # (the package's ``audit`` is the function)

    def full(*_args, **_kwargs):
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as cause:
            raise RuntimeError("a claims task failed") from cause

    monkeypatch.setattr(audit_module, "audit", full)
    assert main(["run", str(SEEDS), "--out", str(tmp_path / "out"), "--quiet", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "a claims task failed" in err and "a disk is full" in err and "of temporary files in" in err


def test_other_failures_are_not_called_a_full_disk():
    assert not _disk.is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not _disk.is_disk_full(ValueError("bad"))
    assert _disk.is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
