"""`figure-audit run` into the same --out with nothing changed is up to date (issue 13, item 3): it prints what
the last run printed and exits with its status, without auditing (pandas is never imported); anything that
changes outputs — an article's bytes, a review decision, an output file, an option, a damaged record — makes
a normal run. Every case runs the real command line in a subprocess, with relative paths from a copy of one
audited folder (the record keeps paths as given, so a copy is up to date as the original is).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor._uptodate import META_DIR, RECORD_NAME

# Two outlets disagreeing on one shelling in Sudan, an airstrike in Myanmar, a missile strike in Ukraine,
# and an empty file that cannot be audited (a read error every run must print).
ARTICLES = {
    "sudan-reuters.txt": "---\ntitle: Shelling of El Fasher market\noutlet: Reuters\npublished: 2024-05-12\n---\n"
                         "At least 40 civilians were killed when shells hit the main market in El Fasher on "
                         "Sunday, the local resistance committee said.\n",
    "sudan-ap.txt": "---\ntitle: Market shelled in North Darfur\noutlet: AP\npublished: 2024-05-12\n---\n"
                    "Twelve civilians were killed when shells hit the El Fasher market on Sunday, a doctor at "
                    "the city's hospital told AP.\n",
    "myanmar.md": "---\ntitle: Airstrike on Sagaing village\noutlet: Irrawaddy\npublished: 2024-03-02\n---\n"
                  "A military airstrike on a village in Sagaing region killed 17 people, including 5 children, "
                  "residents said.\n",
    "kharkiv.txt": "Missiles hit Kharkiv overnight\n\nRussian missiles struck Kharkiv overnight, wounding 23 people, "
                   "the regional governor said on Telegram.\n",
    "empty.txt": "",
}
HEAVY = ("pandas", "numpy", "pyarrow")
# The command line in a fresh process; afterwards the heavy modules it imported go to the file named first.
_PROBE = ("import sys\nfrom auditor.cli import main\ncode = main(sys.argv[2:])\n"
          "open(sys.argv[1], 'w').write(' '.join(m for m in %r if m in sys.modules))\nsys.exit(code)\n" % (HEAVY,))


class Run:
    def __init__(self, proc: subprocess.CompletedProcess, loaded: set[str]) -> None:
        self.code, self.stdout, self.stderr, self.loaded = proc.returncode, proc.stdout, proc.stderr, loaded

    @property
    def up_to_date(self) -> bool:
        return "up to date" in self.stdout

    @property
    def summary(self) -> str:
        """The first line without its timing ("... unreadable inputs in 0.4s")."""
        return self.stdout.splitlines()[0].rsplit(" in ", 1)[0]


def run_cli(where: Path, *extra: str) -> Run:
    probe = where.parent / f"{where.name}-loaded.txt"
    probe.unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(probe), "run", "corpus", "--out", "out", *extra],
                          cwd=where, capture_output=True, text=True, timeout=600)
    loaded = set(probe.read_text().split()) if probe.exists() else set()
    return Run(proc, loaded)


def outputs(where: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file of the output set in force: (inode, modification time, bytes)."""
    current = where / "out" / META_DIR / "current"
    found = {"current": (0, 0, os.readlink(current).encode())}
    for path in sorted(current.resolve().iterdir()):
        info = path.stat()
        found[path.name] = (info.st_ino, info.st_mtime_ns, path.read_bytes())
    return found


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A folder holding ``corpus/`` and ``out/``, audited once, and what that first run printed."""
    where = tmp_path_factory.mktemp("audited") / "work"
    (where / "corpus").mkdir(parents=True)
    for name, text in ARTICLES.items():
        (where / "corpus" / name).write_text(text, encoding="utf-8")
    first = run_cli(where)
    assert first.code == 0, first.stderr
    assert not first.up_to_date and "pandas" in first.loaded
    return where, first


@pytest.fixture
def work(audited, tmp_path):
    """A copy of the audited folder (files, links and modification times as they are)."""
    copy = tmp_path / "work"
    shutil.copytree(audited[0], copy, symlinks=True)
    return copy


def test_unchanged_corpus_is_up_to_date_without_pandas(audited, work):
    before = outputs(work)
    again = run_cli(work)
    assert again.code == 0 and again.up_to_date, again.stdout + again.stderr
    assert again.loaded == set()  # no pandas, numpy or pyarrow: nothing was audited
    assert again.summary == audited[1].summary
    assert again.stdout.splitlines()[1:-1] == audited[1].stdout.splitlines()[1:]  # the files it lists
    assert outputs(work) == before  # not rewritten: same files, same times, same bytes
    # --no-cache skips the check: a full run, the same outputs
    forced = run_cli(work, "--no-cache")
    assert forced.code == 0 and not forced.up_to_date and "pandas" in forced.loaded
    assert {k: v[2] for k, v in outputs(work).items() if k.endswith(".csv")} == \
        {k: v[2] for k, v in before.items() if k.endswith(".csv")}


def test_read_errors_are_printed_again_with_the_same_status(audited, work):
    first = audited[1]
    assert "figure-audit: skipped corpus/empty.txt: empty file" in first.stderr
    again = run_cli(work)
    assert again.up_to_date
    assert (again.code, again.stderr) == (first.code, first.stderr)
    quiet = run_cli(work, "--quiet")  # up to date too: nothing imported, nothing but the errors printed
    assert (quiet.code, quiet.stdout, quiet.stderr, quiet.loaded) == (first.code, "", first.stderr, set())


def test_article_edited_keeping_size_and_mtime_is_audited_again(work):
    path = work / "corpus" / "kharkiv.txt"
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    assert "wounding 23 people" in text
    path.write_text(text.replace("wounding 23 people", "wounding 29 people"), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    again = run_cli(work)
    assert again.code == 0 and not again.up_to_date and "pandas" in again.loaded
    values = {r["value"] for r in rows(work / "out" / "figures.csv") if r["article_id"] == "kharkiv"}
    assert "29" in values and "23" not in values
    assert run_cli(work).up_to_date  # and now that is what the outputs say


def test_a_new_or_removed_article_is_audited(work):
    (work / "corpus" / "myanmar.md").unlink()
    again = run_cli(work)
    assert not again.up_to_date
    assert "myanmar" not in {r["article_id"] for r in rows(work / "out" / "articles.csv")}


def test_review_decision_recorded_after_the_run_is_written_out(work):
    from auditor.review import ReviewStore

    group = rows(work / "out" / "groups.csv")[0]["group_id"]
    ReviewStore(work / "out").record_group(group, "dismissed", note="different scope: city vs province")
    again = run_cli(work)
    assert again.code == 0 and not again.up_to_date
    decided = {r["group_id"]: r for r in rows(work / "out" / "groups.csv")}[group]
    assert (decided["decision"], decided["decision_note"]) == ("dismissed", "different scope: city vs province")
    third = run_cli(work)
    assert third.up_to_date  # the run did not change the store itself: the next one has nothing to do
    assert ReviewStore(work / "out").group_decisions()["note"].tolist() == ["different scope: city vs province"]


@pytest.mark.parametrize("change", ["deleted", "edited"])
def test_output_file_deleted_or_edited_is_written_again(audited, work, change):
    figures = work / "out" / "figures.csv"
    original = figures.read_bytes()
    if change == "deleted":
        figures.unlink()
    else:  # through the link, the set's own file; same size
        figures.resolve().write_bytes(original[:-2] + b"x\n")
    again = run_cli(work)
    assert again.code == 0 and not again.up_to_date
    assert figures.read_bytes() == original


@pytest.mark.parametrize("options", [["--format", "both"], ["--profile", "sudan"], ["--html"],
                                     ["--vague-convention", "acled"], ["--max-file-size", "1MB"]])
def test_other_options_make_a_full_run(work, options):
    again = run_cli(work, *options)
    assert again.code == 0 and not again.up_to_date and "pandas" in again.loaded
    if options == ["--format", "both"]:
        assert (work / "out" / "figures.parquet").is_file()
    assert run_cli(work, *options).up_to_date  # the same options again: nothing to do
    if options == ["--format", "both"]:
        assert not run_cli(work).up_to_date  # back to the first options: the outputs differ (no Parquet)


@pytest.mark.parametrize("damage", [b"{not json", b'{"format": 1}', b""])
def test_damaged_record_makes_a_normal_run(work, damage):
    record = work / "out" / META_DIR / RECORD_NAME
    assert record.is_file()
    record.write_bytes(damage)
    again = run_cli(work)
    assert again.code == 0 and not again.up_to_date and "pandas" in again.loaded
    assert run_cli(work).up_to_date  # the normal run wrote a good record


def test_killed_run_leaves_no_record(work):
    """A run killed after the audit, before writing, must not leave the old record saying "up to date"."""
    (work / "corpus" / "kharkiv.txt").write_text(ARTICLES["kharkiv.txt"].replace("23", "31"), encoding="utf-8")
    env = {**os.environ, "FIGURE_AUDIT_PAUSE_AT": "audited"}
    proc = subprocess.Popen([sys.executable, "-m", "auditor.cli", "run", "corpus", "--out", "out"], cwd=work,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        line = ""
        while "paused at audited" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None
        assert "paused at audited" in line
        assert not (work / "out" / META_DIR / RECORD_NAME).exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    # The article changed back: the outputs are still those of the first run, but without a record the run
    # cannot know it, so it audits (and finds the same figures).
    (work / "corpus" / "kharkiv.txt").write_text(ARTICLES["kharkiv.txt"], encoding="utf-8")
    again = run_cli(work)
    assert again.code == 0 and not again.up_to_date
    assert run_cli(work).up_to_date


def test_package_and_command_line_import_no_pandas_until_used():
    """`import auditor.cli` (what every run starts with) loads none of pandas, numpy, pyarrow; the public names
    still come from `auditor`, and `auditor.audit` stays the function once the module of that name is loaded."""
    script = (
        "import sys, auditor, auditor.cli\n"
        "print(' '.join(m for m in %r if m in sys.modules) or '-')\n"
        "assert set(auditor.__all__) <= set(dir(auditor))\n"
        "from auditor.audit import AuditResult as Result\n"
        "from auditor import Article, AuditResult, audit, load_articles, open_audit\n"
        "assert auditor.audit is audit and callable(audit) and audit.__module__ == 'auditor.audit'\n"
        "assert AuditResult is Result and callable(load_articles) and callable(open_audit)\n"
        "print('pandas' in sys.modules)\n" % (HEAVY,))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-", "True"]


def test_a_run_digests_its_inputs_as_it_reads_them(tmp_path, monkeypatch, capsys):
    """A first run on several workers reads each input once: the record holds the digests of the bytes the
    workers read (no pass over the files here); a run whose reads come from the figure cache digests the
    files after the run (they were not touched since before it started); both re-runs are up to date."""
    import hashlib
    import json

    from auditor import _uptodate, cli

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from make_corpus import write_corpus

    corpus = tmp_path / "corpus"
    write_corpus(300, corpus, seed=8)  # enough text for a pool
    time.sleep(_uptodate._RACY_SECONDS + 0.2)  # files not touched since: neither racy nor read again for that
    digested: list[str] = []
    real = _uptodate._digest_file
    monkeypatch.setattr(_uptodate, "_digest_file", lambda path: digested.append(os.fspath(path)) or real(path))
    inputs = {os.fspath(p): p.read_bytes() for p in corpus.rglob("*") if p.is_file()}

    def run(out: str) -> str:
        assert cli.main(["run", str(corpus), "--out", str(tmp_path / out), "--jobs", "2",
                         "--cache", str(tmp_path / "cache")]) == 0
        return capsys.readouterr().out

    assert "up to date" not in run("first")
    assert not set(digested) & set(inputs)  # read once, by the workers
    for out in ("first", "second"):  # the second run's reads all come from the cache: digested after it
        if out == "second":
            assert "up to date" not in run(out) and set(inputs) <= set(digested)
        record = json.loads((tmp_path / out / META_DIR / RECORD_NAME).read_text(encoding="utf-8"))
        assert record["files"] == {p: [len(data), hashlib.sha256(data).hexdigest()] for p, data in inputs.items()}
        assert "up to date" in run(out)
