"""`figure-audit run`: outputs, exit codes, errors that name the file and the reason."""

import csv
import subprocess
import sys
from pathlib import Path

from auditor.cli import main
from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_every_csv_with_contract_columns(tmp_path):
    assert main(["run", str(ROOT / "seeds"), "--out", str(tmp_path), "--quiet"]) == 0
    for name, columns in (("articles", ARTICLE_COLUMNS), ("figures", FIGURE_COLUMNS), ("errors", ERROR_COLUMNS)):
        with open(tmp_path / f"{name}.csv", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header[: len(columns)] == list(columns)
    assert {"groups.csv", "conflicts.csv"} <= {p.name for p in tmp_path.iterdir()}
    assert len(_rows(tmp_path / "articles.csv")) == 5


def test_spans_index_the_file_text(tmp_path):
    main(["run", str(ROOT / "seeds"), "--out", str(tmp_path), "--quiet"])
    for row in _rows(tmp_path / "figures.csv"):
        text = Path(row["path"]).read_text(encoding="utf-8")
        assert text[int(row["start"]):int(row["end"])] == row["surface"]


def test_same_text_same_ids(tmp_path):
    main(["run", str(ROOT / "seeds"), "--out", str(tmp_path / "a"), "--quiet"])
    main(["run", str(ROOT / "seeds"), "--out", str(tmp_path / "b"), "--quiet", "--jobs", "1"])
    assert [r["figure_id"] for r in _rows(tmp_path / "a" / "figures.csv")] == \
        [r["figure_id"] for r in _rows(tmp_path / "b" / "figures.csv")]


def test_bad_files_are_listed_and_the_rest_goes_on(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Officials said 30 people were killed in Mosul.", encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "broken.jsonl").write_text('{"id": "x", "text": "5 killed"}\nnot json\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(corpus), "--out", str(out)]) == 0
    errors = _rows(out / "errors.csv")
    assert {Path(e["path"]).name for e in errors} == {"empty.txt", "broken.jsonl"}
    assert all(e["error"] for e in errors)
    assert "empty.txt" in capsys.readouterr().err
    assert {r["article_id"] for r in _rows(out / "figures.csv")} == {"good", "x"}


def test_nothing_to_audit_is_an_error_with_a_reason(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    done = subprocess.run([sys.executable, "-m", "auditor.cli", "run", str(tmp_path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "empty.txt" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_missing_path_is_an_argument_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "auditor.cli", "run", str(tmp_path / "nope"), "--out",
                           str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "nope" in done.stderr


def test_formulas_in_article_text_are_neutralised(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "evil.txt").write_text("=HYPERLINK(\"http://x\") said 30 people were killed.\n", encoding="utf-8")
    main(["run", str(corpus), "--out", str(tmp_path / "o"), "--quiet"])
    (row,) = _rows(tmp_path / "o" / "figures.csv")
    assert row["sentence"].startswith("'=")
    assert _rows(tmp_path / "o" / "articles.csv")[0]["title"].startswith("'=")


# --- options of issue 11: formats, size limit, links ----------------------------------------------------------


def test_format_both_writes_csv_and_parquet_of_the_same_tables(tmp_path):
    import pandas as pd

    out = tmp_path / "out"
    assert main(["run", str(ROOT / "seeds"), "--out", str(out), "--quiet", "--format", "both"]) == 0
    for table in ("articles", "figures", "groups", "conflicts", "errors", "decisions"):
        assert len(pd.read_parquet(out / f"{table}.parquet")) == len(_rows(out / f"{table}.csv"))
    assert main(["run", str(ROOT / "seeds"), "--out", str(out), "--quiet", "--format", "parquet"]) == 0
    assert (out / "figures.parquet").exists() and not (out / "figures.csv").exists()


def test_max_file_size_takes_units_and_rejects_nonsense(tmp_path, capsys):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "long.txt").write_text("Officials said 30 people were killed in Mosul. " * 100, encoding="utf-8")
    (corpus / "short.txt").write_text("Officials said 4 people were wounded in Juba.", encoding="utf-8")
    assert main(["run", str(corpus), "--out", str(tmp_path / "o"), "--quiet", "--max-file-size", "2kb"]) == 0
    assert [r["article_id"] for r in _rows(tmp_path / "o" / "articles.csv")] == ["short"]
    assert "over the 2 KB limit" in _rows(tmp_path / "o" / "errors.csv")[0]["error"]
    for bad in ("lots", "-5MB", "0"):
        done = subprocess.run([sys.executable, "-m", "auditor.cli", "run", str(corpus), "--out", str(tmp_path / "x"),
                               f"--max-file-size={bad}"], capture_output=True, text=True)
        assert done.returncode == 2 and "not a size" in done.stderr


def test_outputs_are_listed_at_their_usual_names(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(ROOT / "seeds"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ("articles.csv", "figures.csv", "groups.csv", "conflicts.csv", "errors.csv", "decisions.csv"):
        assert str(out / name) in printed
        assert (out / name).is_file()  # a link into the set in force, read like any file


_TEARDOWN_SPY = (
    "import runpy, sys\n"
    "class Spy:\n"
    "    def __del__(self):\n"
    "        print('torn down', flush=True)\n"
    "spy = Spy()  # freed only by the interpreter's teardown (its module's objects)\n"
    "from auditor.cli import main\n"
    "{call}\n"
)
_COMMAND_LINE = "runpy.run_module('auditor.cli', run_name='__main__', alter_sys=True)  # python -m auditor.cli"


def test_the_command_line_ends_without_the_interpreters_teardown(tmp_path):
    """`figure-audit run` (main() parsing sys.argv) ends the process at once with its status and output:
    the interpreter's teardown would free every object one by one for nothing. A caller's main(argv) does not."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Officials said 40 people were killed in Dnipro.\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    runs = {}
    for name, call, folder in [("cli", _COMMAND_LINE, corpus), ("caller", "sys.exit(main(sys.argv[1:]))", corpus),
                               ("nothing", _COMMAND_LINE, tmp_path / "empty")]:
        runs[name] = subprocess.run([sys.executable, "-c", _TEARDOWN_SPY.format(call=call), "run", str(folder),
                                     "--out", str(tmp_path / f"out-{name}"), "--no-cache"],
                                    capture_output=True, text=True, timeout=300)
    assert runs["cli"].returncode == 0 and "torn down" not in runs["cli"].stdout
    assert "figures" in runs["cli"].stdout and (tmp_path / "out-cli" / "figures.csv").stat().st_size > 0
    assert runs["caller"].returncode == 0 and runs["caller"].stdout.rstrip().endswith("torn down")
    assert runs["nothing"].returncode == 1 and "nothing could be audited" in runs["nothing"].stderr
    assert "torn down" not in runs["nothing"].stdout


_CALLER = (
    "import atexit, sys\n"
    "log = open(sys.argv.pop(1), 'w')\n"
    "atexit.register(lambda: print('my cleanup', flush=True))\n"
    "from auditor.cli import main\n"
    "log.write(f'audit ended: {main()}\\n')  # main() reads sys.argv; the line is flushed at the end\n"
)


def test_a_script_calling_main_keeps_its_files_and_exit_handlers(tmp_path):
    """A caller's script running main() on its own sys.argv ends as usual: what it wrote is flushed at
    the end and its exit handlers run (only the command line itself skips the interpreter's teardown)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Officials said 40 people were killed in Dnipro.\n", encoding="utf-8")
    log = tmp_path / "caller.log"
    done = subprocess.run([sys.executable, "-c", _CALLER, str(log), "run", str(corpus), "--out", str(tmp_path / "out"),
                           "--no-cache", "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert log.read_text() == "audit ended: 0\n"
    assert done.stdout.rstrip().endswith("my cleanup")
