"""kill -9 of a real `figure-audit run` at every stage: the output folder holds the old set or the new one, whole.

The run is paused at a named stage (``FIGURE_AUDIT_PAUSE_AT``, a hook in ``auditor/export.py``) and
killed there, or killed after a delay. Every process started here is killed and reaped by the test.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.export import META_DIR

VISIBLE = ("articles.csv", "figures.csv", "groups.csv", "conflicts.csv", "errors.csv", "decisions.csv")
ALLOWED_AT_TOP = set(VISIBLE) | {"review.sqlite", META_DIR}

OLD = {
    "ukraine.txt": "---\noutlet: Reuters\npublished: 2023-01-15\n---\n"
                   "Officials said 40 people were killed in Dnipro when a missile hit an apartment block.\n",
    "ukraine-b.txt": "---\noutlet: AP\npublished: 2023-01-15\n---\n"
                     "Rescuers said 25 people were killed in Dnipro.\n",
}
NEW = {
    **OLD,
    "ukraine-b.txt": "---\noutlet: AP\npublished: 2023-01-16\n---\n"
                     "Rescuers said 45 people were killed in Dnipro and 79 were wounded.\n",
    "somalia.txt": "---\noutlet: AFP\npublished: 2023-01-16\n---\n"
                   "Police said 11 people were killed in Mogadishu in a car bomb attack.\n",
}


def _write(folder: Path, stories: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in list(os.listdir(folder)):
        (folder / name).unlink()
    for name, text in stories.items():
        (folder / name).write_text(text, encoding="utf-8")


def _cmd(corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "auditor.cli", "run", str(corpus), "--out", str(out), "--quiet"]


def _env(stage: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FIGURE_AUDIT_PAUSE_AT", None)
    env.pop("FIGURE_AUDIT_DEBUG", None)
    if stage:
        env["FIGURE_AUDIT_PAUSE_AT"] = stage
    return env


def _visible_set(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in VISIBLE if (out / name).exists()}


def _table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill") / "corpus"
    _write(folder, OLD)
    return folder


def _fresh_out(tmp_path: Path, corpus: Path) -> tuple[Path, dict[str, bytes]]:
    """An output folder holding the OLD set (returned as bytes); the corpus then holds the NEW content."""
    out = tmp_path / "out"
    _write(corpus, OLD)
    done = subprocess.run(_cmd(corpus, out), capture_output=True, text=True, timeout=300, env=_env())
    assert done.returncode == 0, done.stderr
    _write(corpus, NEW)
    old = _visible_set(out)
    assert set(old) == set(VISIBLE)
    return out, old


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stderr:
        process.stderr.close()


def _assert_whole(out: Path, old: dict[str, bytes]) -> str:
    """The files a user sees are the old set byte for byte, or a complete, self-consistent new set of the
    NEW corpus; nothing else lies at the top of the folder."""
    assert set(os.listdir(out)) <= ALLOWED_AT_TOP, os.listdir(out)
    seen = _visible_set(out)
    if seen == old:
        return "old"
    assert set(seen) == set(VISIBLE), f"files missing: {set(VISIBLE) - set(seen)}"
    assert not any(seen[name] == old[name] for name in ("articles.csv", "figures.csv")), "old and new mixed"
    tables = {name: _table(data) for name, data in seen.items()}
    articles = {r["article_id"] for r in tables["articles.csv"]}
    assert articles == {Path(name).stem for name in NEW}
    figures = {r["figure_id"]: r for r in tables["figures.csv"]}
    assert {f["article_id"] for f in figures.values()} <= articles
    assert {f["group_id"] for f in figures.values()} <= {g["group_id"] for g in tables["groups.csv"]}
    for conflict in tables["conflicts.csv"]:
        assert {conflict["figure_a"], conflict["figure_b"]} <= set(figures) | {""}
    return "new"


def _recovers(out: Path, corpus: Path, old: dict[str, bytes]) -> None:
    done = subprocess.run(_cmd(corpus, out), capture_output=True, text=True, timeout=300, env=_env())
    assert done.returncode == 0, done.stderr
    assert _assert_whole(out, old) == "new"
    assert len(os.listdir(out / META_DIR / "sets")) == 1  # what the killed run left is collected
    assert not [p for p in (out / META_DIR).iterdir() if p.name.startswith(("link.", "current.new"))]


@pytest.mark.parametrize("stage, outcome", [
    ("locked", "old"), ("audited", "old"), ("set:articles.csv", "old"), ("set:conflicts.csv", "old"),
    ("set-complete", "old"), ("switched", "new"),
])
def test_kill_at_a_stage_leaves_a_whole_set(tmp_path, corpus, stage, outcome):
    out, old = _fresh_out(tmp_path, corpus)
    run = subprocess.Popen(_cmd(corpus, out), stderr=subprocess.PIPE, text=True, env=_env(stage))
    try:
        line = run.stderr.readline()
        assert f"paused at {stage}" in line, line + run.stderr.read()
    finally:
        _kill(run)
    assert _assert_whole(out, old) == outcome
    _recovers(out, corpus, old)


def test_kills_at_arbitrary_moments_leave_a_whole_set(tmp_path, corpus):
    out, _ = _fresh_out(tmp_path, corpus)
    started = time.monotonic()
    done = subprocess.run(_cmd(corpus, out), capture_output=True, text=True, timeout=300, env=_env())
    assert done.returncode == 0
    duration = time.monotonic() - started
    outcomes = []
    for fraction in (0.3, 0.6, 0.8, 0.9, 0.95, 0.99):
        out, old = _fresh_out(tmp_path, corpus)
        run = subprocess.Popen(_cmd(corpus, out), stderr=subprocess.PIPE, text=True, env=_env())
        try:
            time.sleep(duration * fraction)
        finally:
            _kill(run)
        outcomes.append(_assert_whole(out, old))
    _recovers(out, corpus, old)


def test_kill_while_adopting_outputs_of_an_older_version(tmp_path, corpus):
    """Plain files at the top (written before sets existed) are moved under a set first, safely."""
    made, old = _fresh_out(tmp_path / "made", corpus)
    out = tmp_path / "out"
    out.mkdir()
    for name, data in old.items():
        (out / name).write_bytes(data)
    run = subprocess.Popen(_cmd(corpus, out), stderr=subprocess.PIPE, text=True, env=_env("set:articles.csv"))
    try:
        assert "paused at set:articles.csv" in run.stderr.readline()
    finally:
        _kill(run)
    assert _assert_whole(out, old) == "old"
    assert all((out / name).is_symlink() for name in VISIBLE)  # adopted: now reached through the set link
    _recovers(out, corpus, old)
