"""A corpus of broken datasets: the shipped data/ mutated one fault at a time, plus fuzzing.
Each must be rejected by `analysis.validate` with its own message naming file, row and field;
`make validate` and the build must stop with it before any notebook executes."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.validate import validate
from conftest import ROOT, read_csv, write_csv


@pytest.fixture
def data(tmp_path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    shutil.copyfile(ROOT / "references.bib", tmp_path / "references.bib")
    return dest


def rows(folder: Path, name: str) -> tuple[list[str], list[dict]]:
    return read_csv(folder / name)


def write(folder: Path, name: str, header: list[str], body: list[dict]) -> None:
    write_csv(folder / name, header, body)


def set_cell(folder, name, index, field, value) -> int:
    """Set one cell (index: 0-based data row, negative from the end); returns its CSV row."""
    header, body = rows(folder, name)
    index = index % len(body)
    body[index][field] = value
    write(folder, name, header, body)
    return index + 2


def first(folder, name, pred) -> int:
    _, body = rows(folder, name)
    return next(i for i, r in enumerate(body) if pred(r))


def problems_text(folder: Path) -> list[str]:
    return [str(p) for p in validate(folder, folder.parent / "references.bib")]


def assert_reported(folder, file, row, field, *fragments):
    found = problems_text(folder)
    assert found, "the broken data was accepted"
    want = f"{file}" + (f", row {row}" if row else "") + (f", field '{field}'" if field else "")
    hits = [p for p in found if want in p and all(f.lower() in p.lower() for f in fragments)]
    assert hits, f"no problem like {want!r} with {fragments}; got:\n" + "\n".join(found[:10])


# --- one fault at a time -------------------------------------------------------------------

def test_shipped_data_is_valid():
    assert problems_text(ROOT / "data") == []


CELL_FAULTS = [  # (file, row picker, field, bad value, words expected in the message)
    ("events.csv", 0, "start_date", "2009-13-45", ("date",)),
    ("events.csv", 0, "start_date", "28/07/2009", ("date",)),
    ("events.csv", 1, "place", "mars", ("mars",)),
    ("events.csv", 1, "event_type", "picnic", ("picnic",)),
    ("events.csv", 2, "date_precision", "week", ("week",)),
    ("events.csv", 2, "perpetrator_status", "sure", ("sure",)),
    ("events.csv", 3, "title", "", ("required",)),
    ("events.csv", 3, "period_id", "p9", ("p9",)),
    ("events.csv", 4, "source_keys", "no-such-source", ("unknown source key",)),
    ("casualty_claims.csv", 0, "value_min", "-3", ("-3",)),
    ("casualty_claims.csv", 0, "value_min", "12.5", ("12.5",)),
    ("casualty_claims.csv", 1, "measure", "injured", ("injured",)),
    ("casualty_claims.csv", 1, "qualifier", "roughly", ("roughly",)),
    ("casualty_claims.csv", 2, "source_key", "no-such-source", ("no-such-source",)),
    ("casualty_claims.csv", 2, "event_id", "2099-01-01-nothing", ("2099-01-01-nothing",)),
    ("casualty_claims.csv", 3, "quoted", "", ("required",)),
    ("casualty_claims.csv", 0, "claim_date_precision", "week", ("week",)),
    ("control_spells.csv", 0, "controller", "martians", ("martians",)),
    ("control_spells.csv", 1, "control_kind", "total", ("total",)),
    ("control_spells.csv", 1, "began_how", "magic", ("magic",)),
    ("control_spells.csv", 2, "began_event_id", "1999-01-01-nothing", ("1999-01-01-nothing",)),
    ("population.csv", 0, "value_max", "-1", ("-1",)),
    ("population.csv", 0, "place", "moon", ("moon",)),
    ("population.csv", 1, "date", "yesterday", ("date",)),
    ("sources.csv", 0, "speaker_type", "oracle", ("oracle",)),
    ("periods.csv", 0, "start_date", "1986-02-30", ("date",)),
]


@pytest.mark.parametrize("file,index,field,value,words", CELL_FAULTS,
                         ids=[f"{c[0]}:{c[2]}={c[3]!r}" for c in CELL_FAULTS])
def test_bad_cell_is_reported_with_file_row_field(data, file, index, field, value, words):
    row = set_cell(data, file, index, field, value)
    assert_reported(data, file, row, field, *words)


def test_duplicate_id(data):
    header, body = rows(data, "events.csv")
    body[1]["event_id"] = body[0]["event_id"]
    write(data, "events.csv", header, body)
    assert_reported(data, "events.csv", 3, "event_id", body[0]["event_id"])


def test_low_above_high(data):
    i = first(data, "events.csv", lambda r: r["killed_best"] not in ("", "0"))
    _, body = rows(data, "events.csv")
    row = set_cell(data, "events.csv", i, "killed_low", str(int(body[i]["killed_high"]) + 5))
    assert_reported(data, "events.csv", row, "killed_low", "out of order")


def test_partial_estimate(data):
    i = first(data, "events.csv", lambda r: r["killed_best"] != "")
    row = set_cell(data, "events.csv", i, "killed_high", "")
    assert_reported(data, "events.csv", row, "killed_best", "partly filled")


def test_estimate_not_matching_the_claims(data):
    i = first(data, "events.csv", lambda r: r["killed_best"] not in ("",)
              and r["killed_low"] != r["killed_high"])
    _, body = rows(data, "events.csv")
    row = set_cell(data, "events.csv", i, "killed_best", body[i]["killed_low"])
    assert_reported(data, "events.csv", row, "killed_best", "the claims give")


def test_start_after_end(data):
    i = first(data, "events.csv", lambda r: r["start_date"] == r["end_date"])
    _, body = rows(data, "events.csv")
    y = int(body[i]["end_date"][:4])
    row = set_cell(data, "events.csv", i, "end_date", f"{y - 1}{body[i]['end_date'][4:]}")
    assert_reported(data, "events.csv", row, "end_date", "before it starts")


def test_date_before_1986(data):
    row = set_cell(data, "events.csv", 0, "start_date", "1979-02-11")
    assert_reported(data, "events.csv", row, "start_date", "outside the book's time span")


def test_date_in_the_future(data):
    row = set_cell(data, "events.csv", -1, "end_date", "2099-01-01")
    assert_reported(data, "events.csv", row, "end_date", "outside the book's time span")


def test_event_outside_its_period(data):
    i = first(data, "events.csv", lambda r: r["period_id"] == "p4")
    row = set_cell(data, "events.csv", i, "period_id", "p1")
    assert_reported(data, "events.csv", row, "period_id", "outside period p1")


def test_month_precision_not_on_day_one(data):
    i = first(data, "events.csv", lambda r: r["date_precision"] == "month")
    _, body = rows(data, "events.csv")
    row = set_cell(data, "events.csv", i, "start_date", body[i]["start_date"][:8] + "15")
    assert_reported(data, "events.csv", row, "start_date", "month-precision")


def test_claim_qualifier_does_not_fit_values(data):
    i = first(data, "casualty_claims.csv", lambda r: r["qualifier"] == "exact")
    row = set_cell(data, "casualty_claims.csv", i, "qualifier", "at_least")
    assert_reported(data, "casualty_claims.csv", row, "qualifier", "does not fit")


def test_unquantified_claim_with_a_number(data):
    """An account without a number ('heavy casualties') must leave both values empty."""
    i = first(data, "casualty_claims.csv", lambda r: r["qualifier"] == "exact")
    row = set_cell(data, "casualty_claims.csv", i, "qualifier", "unquantified")
    assert_reported(data, "casualty_claims.csv", row, "qualifier", "does not fit")


def test_partial_count_of_another_group_or_without_a_note(data):
    """A partial count (one hospital's intake) counts residents and says what part it counts."""
    i = first(data, "casualty_claims.csv", lambda r: r["group"] == "security_forces")
    row = set_cell(data, "casualty_claims.csv", i, "tally", "partial")
    assert_reported(data, "casualty_claims.csv", row, "tally", "partial")
    j = first(data, "casualty_claims.csv", lambda r: r["tally"] == "partial"
              and r["group"] == "residents")
    row = set_cell(data, "casualty_claims.csv", j, "note", "")
    assert_reported(data, "casualty_claims.csv", row, "note", "partial")


def test_population_qualifier_does_not_fit_values(data):
    i = first(data, "population.csv", lambda r: r["qualifier"] in ("about", "exact"))
    row = set_cell(data, "population.csv", i, "qualifier", "up_to")
    assert_reported(data, "population.csv", row, "qualifier", "does not fit")


def test_overlapping_spells(data):
    header, body = rows(data, "control_spells.csv")
    body[2]["start_date"] = body[1]["start_date"][:4] + "-06-01" \
        if body[1]["start_date"][:4] != body[2]["start_date"][:4] else body[1]["start_date"]
    write(data, "control_spells.csv", header, body)
    assert_reported(data, "control_spells.csv", 4, "start_date", "overlapping")


def test_gap_between_spells(data):
    header, body = rows(data, "control_spells.csv")
    end = body[0]["end_date"]
    body[0]["end_date"] = f"{int(end[:4]) - 1}{end[4:]}"
    write(data, "control_spells.csv", header, body)
    assert_reported(data, "control_spells.csv", 3, "start_date", "gap")


def test_last_spell_closed(data):
    header, body = rows(data, "control_spells.csv")
    body[-1]["end_date"] = "2025-06-01"
    body[-1]["end_precision"] = "day"
    write(data, "control_spells.csv", header, body)
    assert_reported(data, "control_spells.csv", len(body) + 1, "end_date", "last spell ends")


def test_source_missing_from_bibliography(data):
    _, body = rows(data, "sources.csv")
    key = body[0]["source_key"]
    bib = data.parent / "references.bib"
    text = bib.read_text(encoding="utf-8")
    start = text.index("{" + key + ",")
    start = text.rindex("@", 0, start)
    end = text.find("\n@", start + 1)
    bib.write_text(text[:start] + (text[end + 1:] if end > 0 else ""), encoding="utf-8")
    assert_reported(data, "sources.csv", 2, "source_key", key, "has no entry")


def test_bibliography_entry_not_in_sources(data):
    bib = data.parent / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") +
                   "\n@misc{orphan-entry,\n  title = {An orphan},\n  year = {2020}\n}\n",
                   encoding="utf-8")
    assert_reported(data, "references.bib", None, None, "orphan-entry", "not listed")


def test_bibliography_with_a_lost_brace(data):
    """A merge that loses an entry's closing brace is caught before the build (Sphinx would
    fail on it much later), with the line where the parser gave up."""
    bib = data.parent / "references.bib"
    text = bib.read_text(encoding="utf-8")
    cut = text.index("\n}\n", text.index("\n@", 10))  # the second entry's closing brace
    bib.write_text(text[:cut] + "\n" + text[cut + 3:], encoding="utf-8")
    line = text[:cut].count("\n") + 3
    found = [p for p in problems_text(data) if "not valid BibTeX" in p]
    assert len(found) == 1, problems_text(data)[:5]
    assert found[0].startswith("references.bib, row ") or "references.bib" in found[0]
    row = int(re.search(r"row (\d+)", found[0]).group(1))
    assert abs(row - line) <= 12, (row, line)


# --- faults of a whole file ----------------------------------------------------------------

def test_bom(data):
    p = data / "events.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert_reported(data, "events.csv", 1, None, "byte-order mark")


def test_wrong_encoding(data):
    p = data / "casualty_claims.csv"
    text = p.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ",Ré", 1) if "," in lines[3] else lines[3]
    p.write_bytes("".join(lines).encode("latin-1", errors="replace"))
    assert_reported(data, "casualty_claims.csv", 4, None, "not valid UTF-8")


def test_wrong_header(data):
    p = data / "population.csv"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace("value_min", "minimum")
    p.write_text("".join(lines), encoding="utf-8")
    assert_reported(data, "population.csv", 1, None, "missing column(s) value_min",
                    "'minimum'")


def test_missing_column(data):
    header, body = rows(data, "sources.csv")
    write(data, "sources.csv", [h for h in header if h != "label"], body)
    assert_reported(data, "sources.csv", 1, None, "missing column(s) label")


def test_extra_column(data):
    header, body = rows(data, "periods.csv")
    write(data, "periods.csv", header + ["comment"], [{**r, "comment": "x"} for r in body])
    assert_reported(data, "periods.csv", 1, None, "unexpected column(s) 'comment'")


def test_columns_in_wrong_order(data):
    header, body = rows(data, "periods.csv")
    write(data, "periods.csv", header[::-1], body)
    assert_reported(data, "periods.csv", 1, None, "wrong order")


def test_empty_file(data):
    (data / "control_spells.csv").write_text("", encoding="utf-8")
    assert_reported(data, "control_spells.csv", None, None, "empty")


def test_missing_file(data):
    (data / "population.csv").unlink()
    assert_reported(data, "population.csv", None, None, "not found")


def test_row_with_too_few_cells(data):
    p = data / "events.csv"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "2009-01-01,2009-01-01\n"
    p.write_text("".join(lines), encoding="utf-8")
    assert_reported(data, "events.csv", 3, None, "cells instead of")


def test_broken_descriptor(data):
    (data / "datapackage.json").write_text("{ not json", encoding="utf-8")
    assert_reported(data, "datapackage.json", None, None, "not valid")


def test_descriptor_missing_a_resource(data):
    p = data / "datapackage.json"
    pkg = json.loads(p.read_text(encoding="utf-8"))
    pkg["resources"] = [r for r in pkg["resources"] if r["name"] != "population"]
    p.write_text(json.dumps(pkg), encoding="utf-8")
    assert_reported(data, "datapackage.json", None, None, "no resource named 'population'")


# --- the command line and the build stop before any notebook ---------------------------------

def test_validate_command_exit_code_and_lines(data):
    row = set_cell(data, "casualty_claims.csv", 0, "value_min", "-3")
    proc = subprocess.run([sys.executable, "-m", "analysis", "validate", str(data)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert re.search(rf"casualty_claims.csv, row {row}, field 'value_min'", proc.stdout)
    ok = subprocess.run([sys.executable, "-m", "analysis", "validate", str(ROOT / "data")],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0 and ok.stdout.startswith("data valid:")


BUILD_FAULTS = [  # a sample across files and kinds of fault; every fault goes through the
    # same validate() that these tests run in-process for the whole corpus above
    ("events.csv", 0, "place", "atlantis"),
    ("casualty_claims.csv", 0, "value_min", "-3"),
    ("control_spells.csv", 1, "start_date", "2003-05-11"),
    ("population.csv", 0, "date", "2009-02-30"),
    ("sources.csv", 0, "speaker_type", "oracle"),
]


@pytest.mark.parametrize("file,index,field,value", BUILD_FAULTS,
                         ids=[f"{f}:{c}" for f, _, c, _ in BUILD_FAULTS])
def test_build_stops_on_bad_data_before_any_notebook(book_copy, file, index, field, value):
    row = set_cell(book_copy / "data", file, index, field, value)
    proc = subprocess.run([sys.executable, "tools/build.py", "--html-only"], cwd=book_copy,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"{file}, row {row}, field '{field}'" in proc.stderr or \
        (field == "start_date" and f"{file}, row" in proc.stderr), proc.stderr[-2000:]
    assert "no notebook was executed" in proc.stderr
    assert "Executing notebook" not in proc.stdout + proc.stderr
    assert not (book_copy / "_build" / "html").exists()


# --- fuzzing: any single-cell change is either valid or reported at that file --------------

FILES = ["events.csv", "casualty_claims.csv", "control_spells.csv", "population.csv",
         "sources.csv", "periods.csv"]
NASTY = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "-1", "0", "1e3", "NaN", "2013-02-29", "9999-12-31", "<script>",
                     "\u202e", "a,b", '"', "\n", "p0", "day", "ashraf", "exact"]),
    st.integers(min_value=-10, max_value=10**7).map(str),
)


# Each case runs the whole validator (about a second), so the cases are few and fixed: one
# explicit case per file (every table is hit on every run, with a value of the wrong kind),
# then 12 drawn ones, derandomized (the same on every run, so a failure reproduces).
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=st.sampled_from(FILES), index=st.integers(0, 10_000), col=st.integers(0, 50),
       value=NASTY)
@example(file="events.csv", index=7, col=1, value="2013-02-29")
@example(file="casualty_claims.csv", index=11, col=3, value="-1")
@example(file="control_spells.csv", index=2, col=2, value="<script>")
@example(file="population.csv", index=3, col=2, value="NaN")
@example(file="sources.csv", index=5, col=0, value="")
@example(file="periods.csv", index=1, col=4, value="\u202e")
def test_fuzz_single_cell(tmp_path_factory, file, index, col, value):
    base = tmp_path_factory.mktemp("fuzz")
    folder = base / "data"
    shutil.copytree(ROOT / "data", folder)
    shutil.copyfile(ROOT / "references.bib", base / "references.bib")
    header, body = rows(folder, file)
    field = header[col % len(header)]
    index = index % len(body)
    original = body[index][field]
    body[index][field] = value
    write(folder, file, header, body)
    found = validate(folder, base / "references.bib")  # must never raise
    if value == original:
        assert found == []
    for p in found:
        assert p.file and p.message, p
    if found:
        assert any(Path(p.file).name in (file, "events.csv", "casualty_claims.csv",
                                         "control_spells.csv", "references.bib",
                                         "population.csv", "sources.csv", "periods.csv")
                   for p in found)


# --- one pass, one message per mistake, and the fix named ------------------------------------

def test_schema_and_cross_table_errors_in_one_pass(data):
    """A bad code in one table and a broken cross-table rule in another, in the same edit,
    are both listed by a single run."""
    row_c = set_cell(data, "casualty_claims.csv", 0, "qualifier", "roughly")
    i = first(data, "events.csv", lambda r: r["event_type"] == "diplomatic")
    row_e = set_cell(data, "events.csv", i, "event_type", "control_change")
    assert_reported(data, "casualty_claims.csv", row_c, "qualifier", "roughly")
    assert_reported(data, "events.csv", row_e, "event_type", "no spell")


def test_a_rule_that_cannot_run_says_why(data):
    set_cell(data, "events.csv", 0, "start_date", "not-a-date")
    found = problems_text(data)
    assert any("could not run because" in p and "events.csv" in p for p in found), found[:10]


def test_claim_moved_to_another_event_is_reported_on_its_own_row(data):
    _, claims = rows(data, "casualty_claims.csv")
    i = next(n for n, r in enumerate(claims) if r["event_id"] == "2011-04-08-raid")
    row = set_cell(data, "casualty_claims.csv", i, "event_id", "2009-07-28-raid")
    assert_reported(data, "casualty_claims.csv", row, "event_id", "2011-04-08-raid",
                    "make estimates")


@pytest.mark.parametrize("file,field,value,code", [
    ("casualty_claims.csv", "qualifier", "at least", "at_least"),
    ("casualty_claims.csv", "qualifier", "up to", "up_to"),
    ("casualty_claims.csv", "qualifier", "About", "about"),
    ("events.csv", "date_precision", "Day", "day"),
    ("casualty_claims.csv", "claim_date_precision", "Day", "day"),
])
def test_misspelt_code_gives_one_message_with_the_right_code(data, file, field, value, code):
    row = set_cell(data, file, 0, field, value)
    found = [p for p in problems_text(data) if f"{file}, row {row}," in p]
    assert len(found) == 1, found
    assert f"did you mean '{code}'" in found[0] and f"write '{code}'" in found[0]


def test_stale_estimate_says_run_make_estimates(data):
    i = first(data, "events.csv", lambda r: r["killed_best"] not in ("",))
    row = set_cell(data, "events.csv", i, "killed_best", "999")
    assert_reported(data, "events.csv", row, "killed_best", "run `make estimates`")


def test_grade_must_equal_the_rule(data):
    i = first(data, "events.csv", lambda r: r["grade"] != "contested")
    _, body = rows(data, "events.csv")
    was = body[i]["grade"]
    row = set_cell(data, "events.csv", i, "grade", "contested")
    assert_reported(data, "events.csv", row, "grade", f"'{was}'", "run `make estimates`")


@pytest.mark.parametrize("precision,start,end", [
    ("day", "2010-02-08", "2010-05-31"),      # months at 'day'
    ("year", "2016-01-01", "2019-12-31"),     # years at 'year'
    ("month", "2012-03-01", "2012-04-30"),    # two months at 'month'
    ("bracketed", "2011-04-08", "2011-04-08"),  # a bracket without two dates
    ("span", "2011-04-08", "2011-04-09"),     # a two-day 'span'
])
def test_span_contradicting_its_precision_is_rejected(data, precision, start, end):
    i = first(data, "events.csv", lambda r: r["event_id"] == "2011-04-08-raid")
    header, body = rows(data, "events.csv")
    body[i].update(date_precision=precision, start_date=start, end_date=end)
    write(data, "events.csv", header, body)
    found = [p for p in problems_text(data) if f"events.csv, row {i + 2}," in p]
    assert any(f"'{precision}' does not fit" in p for p in found), found


def test_control_change_must_begin_a_spell_and_spells_begin_with_matching_events(data):
    i = first(data, "events.csv", lambda r: r["event_id"] == "2009-02-20-iraqi-perimeter")
    row = set_cell(data, "events.csv", i, "event_type", "report")
    _, spells = rows(data, "control_spells.csv")
    srow = next(n for n, r in enumerate(spells)
                if r["began_event_id"] == "2009-02-20-iraqi-perimeter") + 2
    assert_reported(data, "control_spells.csv", srow, "began_event_id",
                    "2009-02-20-iraqi-perimeter", "type 'report'")
    j = first(data, "events.csv", lambda r: r["event_id"] == "2021-06-26-pmf-parade")
    row = set_cell(data, "events.csv", j, "event_type", "control_change")
    assert_reported(data, "events.csv", row, "event_type", "no spell")


def test_undeclared_period_overlap(data):
    i = first(data, "periods.csv", lambda r: r["period_id"] == "p8")
    row = set_cell(data, "periods.csv", i, "overlaps", "")
    assert_reported(data, "periods.csv", row, "overlaps", "p7")


def test_date_before_1980_in_any_table(data):
    row = set_cell(data, "population.csv", 0, "date", "1979-12-31")
    assert_reported(data, "population.csv", row, "date", "outside the book's time span")


def test_date_after_the_package_created_date(data):
    pkg = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    created = pkg["created"][:10]
    import datetime
    after = (datetime.date.fromisoformat(created) + datetime.timedelta(days=1)).isoformat()
    row = set_cell(data, "casualty_claims.csv", 0, "claim_date", after)
    assert_reported(data, "casualty_claims.csv", row, "claim_date", created)


def test_claim_dated_before_its_event(data):
    i = first(data, "casualty_claims.csv", lambda r: r["event_id"] == "2011-04-08-raid")
    row = set_cell(data, "casualty_claims.csv", i, "claim_date", "2011-04-01")
    assert_reported(data, "casualty_claims.csv", row, "claim_date", "before its event")


def test_conflicting_population_counts_need_a_note(data):
    i = first(data, "population.csv", lambda r: r["population_id"] == "2011-12-ashraf--afp")
    row = set_cell(data, "population.csv", i, "note", "")
    assert_reported(data, "population.csv", row, "note", "disagree")


# --- quotes, reasons and claim dates (issue 17) --------------------------------------------

QUOTED = {"quote": "Words of the source.", "quote_language": "en", "read_as": "original",
          "read_at": "https://example.org/report/1", "no_quote_reason": ""}


@pytest.mark.parametrize("name", ["attestations.csv", "casualty_claims.csv"])
def test_row_without_quote_and_without_reason(data, name):
    header, body = rows(data, name)
    body[0].update(quote="", no_quote_reason="")
    write(data, name, header, body)
    assert_reported(data, f"data/{name}", 2, "quote", "no quote and no no_quote_reason")


@pytest.mark.parametrize("name", ["attestations.csv", "casualty_claims.csv"])
def test_quote_longer_than_the_limit(data, name):
    header, body = rows(data, name)
    body[0].update(QUOTED, quote="x" * 301)
    write(data, name, header, body)
    assert_reported(data, f"data/{name}", 2, "quote", "at most 300")


@pytest.mark.parametrize("name", ["attestations.csv", "casualty_claims.csv"])
def test_a_quote_within_the_limit_is_accepted(data, name):
    header, body = rows(data, name)
    body[0].update(QUOTED, quote="x" * 300)
    write(data, name, header, body)
    assert not [p for p in problems_text(data) if f"data/{name}, row 2," in p]


def test_quote_not_in_english_needs_a_gloss(data):
    header, body = rows(data, "attestations.csv")
    body[0].update(QUOTED, quote_language="fr")
    write(data, "attestations.csv", header, body)
    assert_reported(data, "data/attestations.csv", 2, "gloss", "english gloss")


def test_quote_read_at_a_home_page(data):
    header, body = rows(data, "attestations.csv")
    body[0].update(QUOTED, read_at="https://www.example.org/")
    write(data, "attestations.csv", header, body)
    assert_reported(data, "data/attestations.csv", 2, "read_at", "home page")


def test_claim_without_date_and_without_reason(data):
    i = first(data, "casualty_claims.csv", lambda r: r["claim_date"])
    set_cell(data, "casualty_claims.csv", i, "claim_date", "")
    assert_reported(data, "data/casualty_claims.csv", i + 2, "claim_date",
                    "no date and no stated reason")


# --- the precision of a claim's date -------------------------------------------------------

def _day_claim(data) -> int:
    """A claim dated to a day other than the 1st, of an event that starts before that month."""
    _, events = rows(data, "events.csv")
    start = {e["event_id"]: e["start_date"] for e in events}
    return first(data, "casualty_claims.csv", lambda r: r["claim_date_precision"] == "day"
                 and not r["claim_date"].endswith("-01")
                 and start[r["event_id"]][:7] < r["claim_date"][:7])


def test_claim_date_precision_empty_for_a_dated_claim(data):
    i = _day_claim(data)
    row = set_cell(data, "casualty_claims.csv", i, "claim_date_precision", "")
    assert_reported(data, "casualty_claims.csv", row, "claim_date_precision",
                    "empty for a dated claim")


def test_claim_date_precision_given_for_an_undated_claim(data):
    i = _day_claim(data)
    header, body = rows(data, "casualty_claims.csv")
    body[i].update(claim_date="", date_basis="undated")
    write(data, "casualty_claims.csv", header, body)
    assert_reported(data, "casualty_claims.csv", i + 2, "claim_date_precision",
                    "'day' given for a claim with no claim_date")


def test_claim_at_month_precision_not_on_the_first(data):
    i = _day_claim(data)
    row = set_cell(data, "casualty_claims.csv", i, "claim_date_precision", "month")
    assert_reported(data, "casualty_claims.csv", row, "claim_date",
                    "at 'month' precision is not the 1st of a month")


def test_claim_at_year_precision_not_on_the_first_of_january(data):
    i = first(data, "casualty_claims.csv", lambda r: r["claim_date_precision"] == "month"
              and r["claim_date"][5:7] != "01")
    row = set_cell(data, "casualty_claims.csv", i, "claim_date_precision", "year")
    assert_reported(data, "casualty_claims.csv", row, "claim_date",
                    "at 'year' precision is not 1 january")


def test_claim_known_to_the_month_of_its_event_is_not_before_it(data):
    """A claim dated only to the month its event starts in is entered as the 1st of that
    month, before the event's day; it is not reported as dated before its event."""
    _, events = rows(data, "events.csv")
    start = {e["event_id"]: e["start_date"] for e in events}
    i = first(data, "casualty_claims.csv", lambda r: r["claim_date"]
              and not start[r["event_id"]].endswith("-01")
              and r["claim_date"][:7] == start[r["event_id"]][:7])
    header, body = rows(data, "casualty_claims.csv")
    body[i].update(claim_date=body[i]["claim_date"][:8] + "01", claim_date_precision="month")
    write(data, "casualty_claims.csv", header, body)
    assert not [p for p in problems_text(data) if f"casualty_claims.csv, row {i + 2}," in p]
    body[i].update(claim_date_precision="day")
    write(data, "casualty_claims.csv", header, body)
    assert_reported(data, "casualty_claims.csv", i + 2, "claim_date", "before its event")


def test_source_keys_must_equal_the_attestations(data):
    header, body = rows(data, "attestations.csv")
    gone = body.pop(0)
    write(data, "attestations.csv", header, body)
    assert_reported(data, "data/events.csv", 2, "source_keys", gone["source_key"])


def test_make_validate_prints_the_coverage():
    out = subprocess.run([sys.executable, "-m", "analysis", "validate"], cwd=ROOT,
                         capture_output=True, text=True)
    assert "attestations with a quote:" in out.stdout
    assert "claims with a quote:" in out.stdout
    assert "references opening at a page (home pages excluded):" in out.stdout


def test_frictionless_findings_kept_per_content_equal_a_fresh_validation(data):
    """analysis.validate keeps each resource's frictionless findings by the content they depend
    on (its file and the files its foreign keys read): a fault in a file a foreign key points
    to is found although the resource pointing to it did not change, and a warm validation
    gives exactly what a cold one does."""
    from analysis import validate as v

    problems_text(data)                      # warm: every resource's findings kept
    header, body = rows(data, "sources.csv")
    gone = body[0]["source_key"]             # claims/attestations/events point to it
    write(data, "sources.csv", header, body[1:])
    warm_fk = [str(p) for p in v._frictionless(data)]
    warm = sorted(problems_text(data))
    v._SEEN.clear()
    assert [str(p) for p in v._frictionless(data)] == warm_fk
    assert sorted(problems_text(data)) == warm
    # frictionless itself finds the claims (unchanged) that point to the removed source
    assert any("casualty_claims.csv" in p and "foreign" in p.lower() and gone in p
               for p in warm_fk), warm_fk[:5]
