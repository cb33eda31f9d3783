"""A run killed while it writes a cache file (``auditor/_cache.py``) leaves a temporary file in the cache
folder; the next process using the folder removes it, but never the file a live run is writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from auditor import _cache

# Runs in the child: stores "probe" in the cache folder, stopping in the middle of the write.
_WRITER = textwrap.dedent("""
    import sys, time
    from auditor import _cache

    def stuck(data, codec):
        print("writing", flush=True)
        time.sleep(120)
        return b""

    _cache._dumps = stuck
    _cache.cached("probe", ["v1"], lambda: {"Khartoum": 1})
""")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(tmp_path))
    monkeypatch.setattr(_cache, "_swept", set())  # as a new process: the folder not looked at yet
    return _cache.cache_dir()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_the_file_a_killed_writer_left_is_removed_by_the_next_use(folder):
    child = subprocess.Popen([sys.executable, "-c", _WRITER], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, FIGURE_AUDITOR_CACHE=str(folder.parent)))
    try:
        assert child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.stdout.close()
    left = _leftovers(folder)
    assert left == [n for n in left if n.startswith(f".probe.{child.pid}.") and n.endswith(".tmp")] and left
    assert _cache.cached("units-probe", ["v1"], lambda: [1, 2]) == [1, 2]  # any name: the folder is swept
    assert _leftovers(folder) == []
    assert _cache.cached("probe", ["v1"], lambda: {"Khartoum": 1}) == {"Khartoum": 1}
    assert _leftovers(folder) == [] and len(list(folder.glob("probe-*.pickle"))) == 1


def test_a_live_writers_file_and_other_dotfiles_stay_old_leftovers_go(folder):
    folder.mkdir(parents=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait(timeout=30)
        names = {
            f".gazetteer.{live.pid}.ab3x_9kq.tmp": (0, True),  # a concurrent run writing: kept
            f".tables.{dead.pid}.zz81mmq2.tmp": (0, False),  # its writer is gone
            f".units.{live.pid}.q0q0q0q0.tmp": (600, False),  # ten minutes old: a leftover whatever the pid
            ".gazetteer-k2j4l6m8": (0, True),  # the older name without a pid: only by age
            ".tables-p9o8i7u6": (600, False),
            ".gazetteer.lock": (600, True),  # not a temporary file (the build lock)
        }
        now = time.time()
        for name, (age, _) in names.items():
            (folder / name).write_bytes(b"half")
            os.utime(folder / name, (now - age, now - age))
        assert _cache.cached("probe", ["v1"], lambda: "Mogadishu") == "Mogadishu"
        assert _leftovers(folder) == sorted(n for n, (_, kept) in names.items() if kept)
    finally:
        live.kill()
        live.wait(timeout=30)
