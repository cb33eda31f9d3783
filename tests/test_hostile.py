"""Hostile and careless input (issue 11): every case built in a temporary folder, run through the real CLI.

Each test asserts what a user relies on: the exit status, the errors.csv row that names the file and
the reason, the previous audit left whole when a run cannot finish, and review decisions never lost.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from auditor.export import META_DIR, OutputFolder
from auditor.readers import ReadOptions, load_articles
from auditor.review import ReviewStore

CONTRACT_FILES = ("articles.csv", "figures.csv", "groups.csv", "conflicts.csv", "errors.csv", "decisions.csv")
# As root every permission is granted: permission cases run the CLI without the capabilities that allow it.
WITHOUT_ROOT_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] \
    if os.geteuid() == 0 else []
AUDIT_MODULE = importlib.import_module("auditor.audit")  # ``auditor.audit`` the attribute is the function

# Two outlets disagreeing on one attack, one more article elsewhere: the audit finds a conflict.
STORIES = {
    "sudan-a.txt": "---\ntitle: Attack on El Fasher market\noutlet: Reuters\npublished: 2024-05-12\n---\n"
                   "Shelling hit the main market in El Fasher on Sunday.\n\n"
                   "Medics said 30 people were killed in El Fasher.\n",
    "sudan-b.txt": "---\ntitle: El Fasher shelling\noutlet: AFP\npublished: 2024-05-12\n---\n"
                   "A local monitor said 95 people were killed in El Fasher.\n\n"
                   "The paramilitary group denied the attack.\n",
    "haiti.txt": "---\ntitle: Port-au-Prince clashes\noutlet: AP\npublished: 2024-03-04\n---\n"
                 "Police said 12 people were killed in Port-au-Prince during clashes.\n",
}


# --- helpers ----------------------------------------------------------------------------------------------


def _env(**extra):
    env = dict(os.environ)
    env.pop("FIGURE_AUDIT_PAUSE_AT", None)
    env.update(extra)
    return env


def run(*args, permissions=False, timeout=180, **env):
    """``figure-audit run ARGS`` in a subprocess; returns the CompletedProcess (text).

    ``permissions``: file permissions apply even when the tests run as root.
    """
    cmd = [sys.executable, "-m", "auditor.cli", "run", *[os.fsdecode(a) for a in args]]
    if permissions:
        cmd = WITHOUT_ROOT_OVERRIDE + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(**env))


def rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def errors_by_name(out):
    return {Path(r["path"]).name: r["error"] for r in rows(out / "errors.csv")}


def snapshot(out):
    """Bytes of every output file a user sees, and a digest of the review store."""
    seen = {name: (out / name).read_bytes() for name in CONTRACT_FILES if (out / name).exists()}
    store = out / "review.sqlite"
    seen["review.sqlite"] = hashlib.sha256(store.read_bytes()).hexdigest() if store.exists() else None
    return seen


def one_line(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in STORIES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def audited(tmp_path, corpus):
    """An output folder holding a finished audit of ``corpus`` and one review decision."""
    out = tmp_path / "out"
    done = run(corpus, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    conflicts = rows(out / "conflicts.csv")
    assert conflicts, "the corpus must yield a conflict to review"
    ReviewStore(out).record(conflicts[0]["conflict_id"], "dismissed", "different markets")
    return out


# --- 1. one claim reported many times: output grows linearly, never N² pairs -------------------------------


def test_many_reports_of_one_claim_give_linear_conflict_output(tmp_path):
    n = 150
    lines = [json.dumps({"id": f"r{i}", "outlet": f"Outlet {i % 40}", "published": "2023-02-20",
                         "text": f"Officials said {10 + i * 3} people were killed in Bakhmut."}) for i in range(n)]
    (tmp_path / "wires.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run(tmp_path / "wires.jsonl", "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 0, done.stderr
    assert len(rows(tmp_path / "out" / "articles.csv")) == n
    # every pair of 150 disagreeing reports would be 11,175 rows
    assert len(rows(tmp_path / "out" / "conflicts.csv")) <= n


# --- 2. a failed run leaves the previous audit and the decisions untouched ---------------------------------


def test_a_run_that_audits_nothing_keeps_the_previous_audit_and_decisions(tmp_path, audited):
    before = snapshot(audited)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_bytes(b"")
    done = run(empty, "--out", audited)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "blank.txt" in line and "previous audit" in line and "kept" in line
    assert snapshot(audited) == before
    assert ReviewStore(audited).decisions()["orphaned"].tolist() == [0]


def test_an_audit_that_crashes_keeps_the_previous_audit(audited, corpus, monkeypatch, capsys):
    from auditor.cli import main

    before = snapshot(audited)

    def crash(*args, **kwargs):
        raise RuntimeError("simulated failure in extraction")

    monkeypatch.setattr(AUDIT_MODULE, "audit", crash)
    assert main(["run", str(corpus), "--out", str(audited)]) == 1
    line = one_line(capsys.readouterr().err)
    assert "simulated failure" in line and "kept" in line
    assert snapshot(audited) == before


def test_a_disk_full_while_writing_keeps_the_previous_set_and_leaves_no_litter(audited, corpus, monkeypatch,
                                                                                capsys):
    import errno

    import auditor.export as export
    from auditor.cli import main

    before = snapshot(audited)
    real = export._write_csv_file

    def fill_up(path, frame, columns):
        if path.name == "groups.csv":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, frame, columns)

    monkeypatch.setattr(export, "_write_csv_file", fill_up)
    assert main(["run", str(corpus), "--out", str(audited), "--quiet"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "no space left on device" in line and "kept" in line
    assert snapshot(audited) == before
    assert len(list((audited / META_DIR / "sets").iterdir())) == 1  # the half-written set is gone
    assert not [p for p in audited.rglob("*") if p.name.endswith(".tmp")]


# --- 3. the output folder switches as one unit (the kill -9 cases are in test_kill.py) ----------------------


def test_two_runs_into_one_folder_never_interleave(tmp_path, corpus):
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "auditor.cli", "run", str(corpus), "--out", str(out)],
                             stderr=subprocess.PIPE, text=True, env=_env(FIGURE_AUDIT_PAUSE_AT="locked"))
    try:
        assert "paused at locked" in first.stderr.readline()
        started = time.monotonic()
        second = run(corpus, "--out", out)
        assert second.returncode == 2
        line = one_line(second.stderr)
        assert f"pid {first.pid}" in line and "another figure-audit run" in line
        assert time.monotonic() - started < 30  # refused at once, before auditing anything
    finally:
        first.kill()
        first.wait(timeout=30)
        first.stderr.close()
    # the lock dies with its holder: the next run goes through
    assert run(corpus, "--out", out, "--quiet").returncode == 0


# --- 4. figure ids survive edits elsewhere; a decision follows its figures ---------------------------------


def test_an_edit_elsewhere_keeps_ids_and_the_decision_follows_the_moved_figures(tmp_path, corpus, audited):
    ids_before = {(r["article_id"], r["surface"]): r["figure_id"] for r in rows(audited / "figures.csv")}
    decided = ReviewStore(audited).decisions().to_dict("records")
    assert [d["decision"] for d in decided] == ["dismissed"]
    for name in ("sudan-a.txt", "sudan-b.txt"):  # a new first paragraph and blank lines move every figure
        path = corpus / name
        head, body = path.read_text(encoding="utf-8").split("---\n", 2)[1:]
        path.write_text(f"---\n{head}---\nUpdated at 14:00 GMT with a new paragraph.\n\n\n{body}", encoding="utf-8")
    done = run(corpus, "--out", audited, "--quiet")
    assert done.returncode == 0, done.stderr
    after = rows(audited / "figures.csv")
    assert {(r["article_id"], r["surface"]): r["figure_id"] for r in after} == ids_before
    assert {int(r["start"]) for r in after} != set()  # offsets moved, ids did not
    conflict = next(c for c in rows(audited / "conflicts.csv") if c["conflict_id"] == decided[0]["conflict_id"])
    assert (conflict["decision"], conflict["note"]) == ("dismissed", "different markets")
    assert rows(audited / "decisions.csv")[0]["orphaned"] == "0"


# --- 5. review store corrupted or locked --------------------------------------------------------------------


def test_a_corrupted_store_is_kept_aside_and_its_decisions_restored(audited, corpus):
    run(corpus, "--out", audited, "--quiet")  # decisions.csv now holds the decision
    garbage = b"not a database, a half-copied file\x00" * 100
    (audited / "review.sqlite").write_bytes(garbage)
    done = run(corpus, "--out", audited, "--quiet")
    assert done.returncode == 0
    line = one_line(done.stderr)
    assert "review.sqlite" in line and "kept as" in line
    kept = list(audited.glob("review.sqlite.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage
    restored = rows(audited / "decisions.csv")
    assert [(d["decision"], d["note"]) for d in restored] == [("dismissed", "different markets")]


def test_a_locked_store_is_reported_at_once_and_nothing_is_replaced(audited, corpus):
    before = snapshot(audited)
    holder = sqlite3.connect(audited / "review.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        done = run(corpus, "--out", audited)
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1
    assert "locked" in one_line(done.stderr)
    assert elapsed < 20  # the store's own timeout is 3 s; interpreter start-up is the rest
    assert snapshot(audited) == before


# --- 6. file names that are not UTF-8 -------------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_audited_and_listed(tmp_path, corpus):
    raw = os.fsencode(corpus) + b"/r\xe9sum\xe9-gaza.txt"
    with open(raw, "wb") as handle:
        handle.write("Health officials said 41 people were killed in Khan Younis.".encode("utf-8"))
    out = tmp_path / "out"
    done = run(corpus, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    errors = errors_by_name(out)
    assert "not valid UTF-8" in errors["r\\xe9sum\\xe9-gaza.txt"]
    figures = [r for r in rows(out / "figures.csv") if r["article_id"] == "r\\xe9sum\\xe9-gaza"]
    assert figures and all(f["figure_id"] for f in figures)


# --- 7. FIFOs, devices, huge and sparse files -------------------------------------------------------------


def test_a_fifo_and_a_link_to_a_device_are_listed_not_read(tmp_path, corpus):
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "zero.txt").symlink_to("/dev/zero")
    out = tmp_path / "out"
    done = run(corpus, "--out", out, "--quiet", timeout=60)  # a FIFO opened for reading would block for ever
    assert done.returncode == 0, done.stderr
    errors = errors_by_name(out)
    assert "named pipe" in errors["pipe.txt"]
    assert "outside the audited paths" in errors["zero.txt"]
    followed = run(corpus, "--out", out, "--quiet", "--follow-symlinks", timeout=60)
    assert followed.returncode == 0
    assert "character device" in errors_by_name(out)["zero.txt"]


def test_a_sparse_huge_file_is_rejected_before_reading(tmp_path, corpus):
    with open(corpus / "huge.txt", "wb") as handle:
        handle.truncate(1024**3)  # 1 GB of holes: takes no disk, would take 1 GB of memory to read
    tracemalloc.start()
    loaded = load_articles(corpus)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 1024**2
    errors = {Path(e.path).name: e.error for e in loaded.errors}
    assert errors["huge.txt"].startswith("file is 1 GB, over the 50 MB limit")
    out = tmp_path / "out"
    assert run(corpus, "--out", out, "--quiet", "--max-file-size", "10KB").returncode == 0
    assert "over the 10 KB limit" in errors_by_name(out)["huge.txt"]
    assert len(rows(out / "articles.csv")) == 3


# --- 8. symbolic links leading outside the audited folder ----------------------------------------------------


def test_links_outside_the_audited_folder_are_not_followed_unless_asked(tmp_path, corpus):
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "notes.txt").write_text("Private notes: 7 sources were arrested.", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "elsewhere").symlink_to(secret)
    (corpus / "loop").symlink_to(corpus)  # a folder linking to itself must not recurse for ever
    out = tmp_path / "out"
    assert run(corpus, "--out", out, "--quiet").returncode == 0
    errors = errors_by_name(out)
    assert "outside the audited paths" in errors["passwd.txt"]
    assert "outside the audited paths" in errors["elsewhere"]
    assert {r["article_id"] for r in rows(out / "articles.csv")} == {"sudan-a", "sudan-b", "haiti"}
    assert run(corpus, "--out", out, "--quiet", "--follow-symlinks").returncode == 0
    assert {"passwd", "notes"} <= {r["article_id"] for r in rows(out / "articles.csv")}


# --- 10. the tool never audits its own outputs ---------------------------------------------------------------


def test_outputs_inside_the_audited_folder_are_never_read(corpus, monkeypatch):
    monkeypatch.chdir(corpus)
    for _ in range(2):
        done = run(".", "--out", "audit-out", "--html", "--quiet")
        assert done.returncode == 0, done.stderr
    out = corpus / "audit-out"
    assert {r["article_id"] for r in rows(out / "articles.csv")} == {"sudan-a", "sudan-b", "haiti"}
    assert rows(out / "errors.csv") == []
    shutil.copytree(out, corpus / "old-audit", symlinks=True)  # an older output folder kept in the corpus
    shutil.copy(out / "figures.csv", corpus / "figures-copy.csv")  # and a loose copy of one table
    shutil.copy(out / "report.html", corpus / "report-copy.html")
    assert run(".", "--out", "audit-out", "--quiet").returncode == 0
    errors = errors_by_name(out)
    assert errors["old-audit"] == "an output folder of figure-audit, not read"
    assert "written by figure-audit" in errors["figures-copy.csv"]
    assert "written by figure-audit" in errors["report-copy.html"]
    assert len(rows(out / "articles.csv")) == 3


# --- 11. unreadable folders, bad --out, malformed CSV, UTF-16 without BOM, --jobs ----------------------------


def test_an_unreadable_folder_is_listed(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    (corpus / "ok.txt").write_text("Rescuers said 9 people were missing in Derna.", encoding="utf-8")
    (corpus / "locked" / "x.txt").write_text("Hidden 5 killed.", encoding="utf-8")
    (corpus / "locked").chmod(0o000)
    out = tmp_path / "out"
    try:
        done = run(corpus, "--out", out, "--quiet", permissions=True)
    finally:
        (corpus / "locked").chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert errors_by_name(out)["locked"] == "cannot open the folder: permission denied"
    assert [r["article_id"] for r in rows(out / "articles.csv")] == ["ok"]


@pytest.mark.parametrize("case", ["file", "read-only", "under-a-file"])
def test_an_unusable_out_is_refused_before_the_audit(tmp_path, case):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("Officials said 14 soldiers were killed near Sake.", encoding="utf-8")
    if case == "file":
        out = tmp_path / "out.csv"
        out.write_text("not a folder")
    elif case == "read-only":
        (tmp_path / "ro").mkdir(mode=0o555)
        out = tmp_path / "ro" / "out"
    else:
        (tmp_path / "f").write_text("x")
        out = tmp_path / "f" / "out"
    # paused at "locked" the run would hang: returning at all shows it stopped before the audit
    done = run(corpus, "--out", out, permissions=True, FIGURE_AUDIT_PAUSE_AT="locked", timeout=60)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert str(out) in line
    assert {"file": "is a file", "read-only": "permission denied", "under-a-file": "is a file"}[case] in line
    assert not (tmp_path / "ro" / "out").exists()


def test_a_nearly_full_disk_is_refused_before_the_audit(tmp_path, corpus, monkeypatch, capsys):
    from collections import namedtuple

    from auditor.cli import main

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("shutil.disk_usage", lambda path: usage(10**9, 10**9 - 2 * 1024**2, 2 * 1024**2))
    monkeypatch.setattr(AUDIT_MODULE, "audit", lambda *a, **k: pytest.fail("the audit ran"))
    assert main(["run", str(corpus), "--out", str(tmp_path / "out")]) == 2
    assert "only 2 MB free" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_a_csv_with_an_unterminated_quote_is_an_error_not_merged_rows(tmp_path):
    path = tmp_path / "wires.csv"
    path.write_text('id,text\n'
                    'ok1,"Officials said 20 people were killed in Kabul."\n'
                    'bad,"The ministry said 8 were wounded in Herat.\n'
                    'ok2,Police said 3 were killed in Kandahar.\n', encoding="utf-8")
    done = run(path, "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 0
    assert [r["article_id"] for r in rows(tmp_path / "out" / "articles.csv")] == ["ok1"]
    error = errors_by_name(tmp_path / "out")["wires.csv"]
    assert error.startswith("row 3 (line 3): malformed CSV (a quote opened there is never closed)")


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_arabic_utf16_without_bom_is_read_not_called_binary(tmp_path, order):
    text = "قال مسؤولون إن 23 شخصا قتلوا في الفاشر يوم الأحد.\nوأصيب 40 آخرون.\n"
    (tmp_path / "ar.txt").write_bytes(text.encode(order))
    loaded = load_articles(tmp_path, ReadOptions())
    assert loaded.errors == []
    assert loaded.articles[0].text == text


def test_too_many_jobs_are_capped_to_the_cores(tmp_path, corpus):
    done = run(corpus, "--out", tmp_path / "out", "--jobs", "256")
    assert done.returncode == 0
    assert f"capped to the {len(os.sched_getaffinity(0))} cores" in done.stderr


def test_output_folder_lock_is_held_by_a_python_writer_too(tmp_path, corpus):
    with OutputFolder(tmp_path / "out"):
        done = run(corpus, "--out", tmp_path / "out")
    assert done.returncode == 2 and "another figure-audit run" in done.stderr
