"""The column-at-a-time CSV writer: every text cell of every table neutralised, numbers left as numbers,
and the same bytes as writing each cell through the one cell rule (``export._cell``)."""

import csv
import io
import math

import numpy as np
import pandas as pd
import pytest

from auditor import export
from auditor.export import write_outputs
from auditor.review import ReviewStore

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def cell_by_cell(frame, columns):
    """What the writer must produce: the header and each cell through ``export._cell``, row by row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = list(columns) + [c for c in frame.columns if c not in columns]
    writer.writerow([export.neutralise_cell(c) for c in header])
    cells = [list(frame[c]) if c in frame else [""] * len(frame) for c in header]  # Python scalars
    writer.writerows([export._cell(v) for v in row] for row in zip(*cells))
    return buffer.getvalue().encode("utf-8")


def _is_text(series):
    return not (isinstance(series.dtype, np.dtype) and series.dtype.kind in "iubf")


def test_a_hostile_cell_in_every_text_column_of_every_table_is_neutralised(corpus_audit, tmp_path):
    result = corpus_audit("hostile")
    conflict = result.conflicts.iloc[0]
    out = tmp_path / "out"
    ReviewStore(out).record(conflict["conflict_id"], "confirmed", "=WEBSERVICE(\"http://evil\")")
    result.out_dir = out
    planted = {}
    for table in ("articles", "figures", "groups", "conflicts", "errors"):
        frame = getattr(result, table).copy()
        if frame.empty:  # errors: one unreadable file
            frame = pd.DataFrame({c: ["x"] for c in frame.columns})
        for n, column in enumerate(frame.columns):
            if _is_text(frame[column]):
                frame[column] = frame[column].astype(object)
                frame.loc[frame.index[0], column] = HOSTILE[n % len(HOSTILE)]
                planted[(table, column)] = HOSTILE[n % len(HOSTILE)]
        setattr(result, table, frame)
    result.figures["value"] = -5.0  # a negative number is data, not a formula
    result.figures["start"] = result.figures["start"].astype("int64") * 0 - 7
    written = write_outputs(result, out)
    assert len(planted) > 60  # every table has text columns
    for table in ("articles", "figures", "groups", "conflicts", "errors"):
        header, first = read_rows(written[table])[:2]
        row = dict(zip(header, first))
        for (name, column), value in planted.items():
            if name == table:
                assert row[column] == "'" + value, (table, column)
    figures = read_rows(written["figures"])
    header = figures[0]
    assert {r[header.index("value")] for r in figures[1:]} == {"-5"}
    assert {r[header.index("start")] for r in figures[1:]} == {"-7"}
    decisions = dict(zip(*read_rows(written["decisions"])[:2]))
    assert decisions["note"] == "'=WEBSERVICE(\"http://evil\")"
    # Nothing starts like a formula anywhere, and each file is what the one cell rule writes.
    for table, path in written.items():
        for row in read_rows(path):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (table, cell)
                if cell.startswith("-"):
                    float(cell)  # only numbers may start with a minus
        frame = result.__dict__.get(table) if table != "decisions" else ReviewStore(out).decisions()
        assert path.read_bytes() == cell_by_cell(frame, export._tables(result)[table][1]), table


def test_every_kind_of_column_is_written_as_the_cell_rule_says(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CSV_CHUNK_ROWS", 4)  # several chunks, one ragged
    n = 11
    floats = [0.0, -0.0, -5.0, 249.44832000000002, 2.675, 1e15, 999999999999999.0, 1.5e-7, math.inf, -math.inf,
              math.nan]
    frame = pd.DataFrame({
        "text": pd.Series(["=1+1", "Baiji", None, "-", "a,b", 'say "hi"', "two\nlines", "", "+", "@", "ok"],
                          dtype="str"),
        "objects": pd.Series(["=x", 1.0, -3, None, pd.NA, True, "\rz", 2.5, "plain", math.nan, b"raw"],
                             dtype=object),
        "float": pd.Series(floats, dtype="float64"),
        "float32": pd.Series(floats, dtype="float32"),
        "int": pd.Series(range(-5, 6), dtype="int64"),
        "bool": pd.Series([True, False] * 5 + [True]),
        "nullable": pd.Series([1, None] * 5 + [-2], dtype="Int64"),
        "empty": pd.Series([None] * n, dtype=object),
        "when": pd.to_datetime(["2024-05-12"] * 10 + [None]),
    })
    frame.index = range(100, 100 + n)  # not a default index
    columns = ["absent", "text", "=formula header"]
    path = tmp_path / "x.csv"
    export._write_csv_file(path, frame, columns)
    assert path.read_bytes() == cell_by_cell(frame, columns)
    rows = read_rows(path)
    assert rows[0][:3] == ["absent", "text", "'=formula header"]
    column = {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}
    assert column["text"][:5] == ["'=1+1", "Baiji", "", "'-", "a,b"] and column["text"][6] == "two\nlines"
    assert column["float"][:7] == ["0", "0", "-5", "249.44832", "2.675", "1000000000000000.0", "999999999999999"]
    assert column["float"][8:] == ["inf", "-inf", ""]
    assert column["int"][0] == "-5" and column["objects"][2] == "-3" and column["nullable"][1] == ""
    assert column["objects"][:2] == ["'=x", "1"] and column["objects"][6] == "'\rz"


def test_write_csv_takes_a_frame_like_the_output_folder(tmp_path):
    frame = pd.DataFrame({"b": ["=x", None], "a": [-1.0, 2.25], "n": pd.Series([1, None], dtype="Int64")})
    path = export.write_csv(tmp_path / "x.csv", frame, ["a", "b"])
    assert read_rows(path) == [["a", "b", "n"], ["-1", "'=x", "1"], ["2.25", "", ""]]


@pytest.mark.parametrize("rows", [0, 1])
def test_tables_without_rows_or_columns_still_have_their_header(tmp_path, rows):
    path = tmp_path / "x.csv"
    export._write_csv_file(path, pd.DataFrame({"path": ["=a"] * rows}), ["path", "error"])
    assert read_rows(path) == [["path", "error"]] + [["'=a", ""]] * rows
    export._write_csv_file(path, None, ["path", "error"])
    assert read_rows(path) == [["path", "error"]]


def test_typed_tables_are_joined_by_arrow_with_the_csv_modules_quoting(tmp_path, monkeypatch):
    """The contract's tables (text, float, int, bool columns) take the Arrow path, chunk by chunk, and
    still quote, double quotes, keep line breaks and neutralise exactly as the csv module and the cell rule."""
    used = []
    arrow_rows = export._arrow_rows
    monkeypatch.setattr(export, "_arrow_rows", lambda chunk, header: used.append(arrow_rows(chunk, header)) or used[-1])
    monkeypatch.setattr(export, "CSV_CHUNK_ROWS", 3)
    texts = ["=cmd|' /C calc'!A0", "Kharkiv, Ukraine", 'the "official" toll', "two\nlines", "-", "+", "é ∞",
             "back\\slash", "\r\nstart", "", None, "@x"]
    n = len(texts)
    frame = pd.DataFrame({
        "sentence": pd.Series(texts, dtype="str"),
        "outlet": pd.Series(list(reversed(texts)), dtype=object),
        "value": pd.Series([-5.0, 2.675, math.nan, 1e15, -0.0, 0.1 + 0.2, 12.0, math.inf, 3.5, 7.0, 8.0, 9.25]),
        "start": pd.Series(range(-3, n - 3), dtype="int64"),
        "flag": pd.Series([True, False] * (n // 2)),
    })
    path = tmp_path / "x.csv"
    export._write_csv_file(path, frame, ["figure_id", "sentence"])
    assert len(used) == 4 and all(chunk is not None for chunk in used)
    assert path.read_bytes() == cell_by_cell(frame, ["figure_id", "sentence"])
    rows = read_rows(path)
    assert [r[1] for r in rows[1:4]] == ["'=cmd|' /C calc'!A0", "Kharkiv, Ukraine", 'the "official" toll']
    assert rows[4][1] == "two\nlines" and rows[9][1] == "'\r\nstart" and rows[1][3] == "-5" and rows[1][4] == "-3"


def test_text_columns_joined_from_several_frames_are_written_like_one(tmp_path):
    """``pd.concat`` of Arrow-backed text columns (per-batch claims, an opened audit loaded in parts)
    gives columns of several Arrow chunks: written, neutralised and quoted as one column would be."""
    parts = [pd.DataFrame({"sentence": pd.Series(["=2+2", "Goma, DR Congo"], dtype="string[pyarrow]"),
                           "value": [3.0, -1.0]}),
             pd.DataFrame({"sentence": pd.Series(['"12" dead', "@ Marib"], dtype="string[pyarrow]"),
                           "value": [12.0, 40.5]})]
    joined = pd.concat(parts, ignore_index=True)
    whole = pd.DataFrame({"sentence": pd.Series(list(joined["sentence"]), dtype="string[pyarrow]"),
                          "value": joined["value"]})
    export._write_csv_file(tmp_path / "joined.csv", joined, ["sentence", "value"])
    export._write_csv_file(tmp_path / "whole.csv", whole, ["sentence", "value"])
    assert (tmp_path / "joined.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert [r[0] for r in read_rows(tmp_path / "joined.csv")[1:]] == ["'=2+2", "Goma, DR Congo", '"12" dead', "'@ Marib"]
