"""Validate data/: the CSVs' structure, frictionless (types and constraints of
datapackage.json, keys), then the rules across fields and tables.

`python -m analysis validate [DIR]` prints one line per problem (file, row, field, what is
wrong, what was expected) and exits 1, or prints a one-line summary and exits 0.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from . import ROOT, data_dir
from .derive import COUNT_COLUMNS_RULE, expected_event_counts
from .load import RESOURCES, Dataset, DataError, Problem, read_descriptor, read_rows, _rel

EARLIEST = pd.Timestamp("1986-01-01")
BIB_KEY = re.compile(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", re.M)


def _structure(folder: Path, descriptor: dict) -> list[Problem]:
    problems = []
    for name in RESOURCES:
        res = next((r for r in descriptor.get("resources", []) if r.get("name") == name), None)
        if res is None:
            problems.append(Problem(_rel(folder / "datapackage.json"), None, None,
                                    f"no resource named '{name}'",
                                    "a resource for each of " + ", ".join(RESOURCES)))
            continue
        fields = [f["name"] for f in res["schema"]["fields"]]
        _, found = read_rows(folder / res["path"], fields)
        problems.extend(found)
    return problems


def _frictionless(folder: Path) -> list[Problem]:
    from frictionless import Package  # slow import: only when validating

    problems = []
    package = Package(str(folder / "datapackage.json"))
    report = package.validate()
    for task in report.tasks:
        path = _rel(folder / Path(task.place).name) if task.place else _rel(folder)
        for err in task.errors:
            row = getattr(err, "row_number", None)
            field = getattr(err, "field_name", None)
            if not field and getattr(err, "field_names", None):
                field = ", ".join(err.field_names)  # a foreign-key error names its fields
            cell = getattr(err, "cell", None)
            note = err.note or err.message
            msg = f"{err.title.lower()}: {note}"
            if cell not in (None, ""):
                msg = f"value '{cell}' fails: " + msg
            problems.append(Problem(path, row, field, msg, _expected(err, package, task)))
    for err in report.errors:
        problems.append(Problem(_rel(folder / "datapackage.json"), None, None, err.message))
    return problems


def _expected(err, package, task) -> str:
    field_name = getattr(err, "field_name", None)
    if not field_name:
        return ""
    try:
        res = package.get_resource(task.name)
        field = res.schema.get_field(field_name)
    except Exception:  # noqa: BLE001 - best effort description only
        return ""
    desc = [field.type]
    cons = field.constraints or {}
    if "enum" in cons:
        desc.append("one of " + ", ".join(map(str, cons["enum"])))
    if "minimum" in cons:
        desc.append(f"≥ {cons['minimum']}")
    if cons.get("required"):
        desc.append("required")
    if "pattern" in cons:
        desc.append(f"matching {cons['pattern']}")
    return "a value: " + ", ".join(desc)


def _bib_keys(path: Path) -> set[str]:
    return set(BIB_KEY.findall(path.read_text(encoding="utf-8")))


def rules(d: Dataset, bib: Path) -> list[Problem]:
    """The rules across fields and tables (after every table has loaded cleanly)."""
    f = {name: _rel(d.folder / name) for name in
         ("events.csv", "casualty_claims.csv", "control_spells.csv", "population.csv",
          "sources.csv", "periods.csv")}
    out: list[Problem] = []
    today = pd.Timestamp.today().normalize()
    ev, cl, sp, po, so, pe = d.events, d.claims, d.spells, d.population, d.sources, d.periods

    # unique ids, with the row of the repeat
    for frame, file, col in ((ev, f["events.csv"], "event_id"),
                             (cl, f["casualty_claims.csv"], "claim_id"),
                             (sp, f["control_spells.csv"], "spell_id"),
                             (po, f["population.csv"], "population_id"),
                             (so, f["sources.csv"], "source_key"),
                             (pe, f["periods.csv"], "period_id")):
        dup = frame[frame[col].duplicated(keep="first")]
        for r in dup.itertuples(index=False):
            out.append(Problem(file, r.csv_row, col,
                               f"'{getattr(r, col)}' is used by an earlier row too",
                               "a unique id"))

    # sources: one to one with references.bib; every key used exists
    keys = set(so["source_key"])
    bib_keys = _bib_keys(bib)
    for r in so.itertuples(index=False):
        if r.source_key not in bib_keys:
            out.append(Problem(f["sources.csv"], r.csv_row, "source_key",
                               f"'{r.source_key}' has no entry in {bib.name}",
                               f"a key of {bib.name}"))
    for k in sorted(bib_keys - keys):
        out.append(Problem(_rel(bib), None, None, f"entry '{k}' is not listed in sources.csv",
                           "every bibliography entry classified in data/sources.csv"))
    for frame, file, col in ((ev, f["events.csv"], "source_keys"),
                             (sp, f["control_spells.csv"], "source_keys")):
        for r in frame.itertuples(index=False):
            value = getattr(r, col)
            for k in ("" if pd.isna(value) else value).split(";"):
                if k and k not in keys:
                    out.append(Problem(file, r.csv_row, col, f"unknown source key '{k}'",
                                       "keys of data/sources.csv separated by ';'"))
    for frame, file in ((cl, f["casualty_claims.csv"]), (po, f["population.csv"])):
        for r in frame.itertuples(index=False):
            if r.source_key not in keys:
                out.append(Problem(file, r.csv_row, "source_key",
                                   f"unknown source key '{r.source_key}'",
                                   "a key of data/sources.csv"))

    # events: dates, period, precision, counts
    periods = pe.set_index("period_id")
    for r in ev.itertuples(index=False):
        if r.end_date < r.start_date:
            out.append(Problem(f["events.csv"], r.csv_row, "end_date",
                               f"ends {r.end_date:%Y-%m-%d} before it starts "
                               f"{r.start_date:%Y-%m-%d}", "end_date ≥ start_date"))
        for col in ("start_date", "end_date"):
            when = getattr(r, col)
            if when < EARLIEST or when > today:
                out.append(Problem(f["events.csv"], r.csv_row, col,
                                   f"{when:%Y-%m-%d} is outside the book's time span",
                                   f"a date from 1986-01-01 to today ({today:%Y-%m-%d})"))
        if str(r.date_precision) == "month" and r.start_date.day != 1:
            out.append(Problem(f["events.csv"], r.csv_row, "start_date",
                               "a month-precision date does not start on day 1",
                               "the first day of the month"))
        if str(r.date_precision) == "year" and (r.start_date.month, r.start_date.day) != (1, 1):
            out.append(Problem(f["events.csv"], r.csv_row, "start_date",
                               "a year-precision date does not start on 1 January",
                               "YYYY-01-01"))
        if r.period_id in periods.index:
            p = periods.loc[r.period_id]
            if not (p["start_date"] <= r.start_date <= p["end_date"]):
                out.append(Problem(f["events.csv"], r.csv_row, "period_id",
                                   f"starts {r.start_date:%Y-%m-%d}, outside period "
                                   f"{r.period_id} ({p['start_date']:%Y-%m-%d} to "
                                   f"{p['end_date']:%Y-%m-%d})",
                                   "the period whose range holds start_date"))
        for m in ("killed", "wounded"):
            lo, be, hi = (getattr(r, f"{m}_{x}") for x in ("low", "best", "high"))
            present = [pd.notna(v) for v in (lo, be, hi)]
            if any(present) and not all(present):
                out.append(Problem(f["events.csv"], r.csv_row, f"{m}_best",
                                   f"{m} low / best / high are only partly filled",
                                   "all three or none"))
            elif all(present) and not (lo <= be <= hi):
                out.append(Problem(f["events.csv"], r.csv_row, f"{m}_low",
                                   f"{m} low {lo}, best {be}, high {hi} are out of order",
                                   "low ≤ best ≤ high"))

    # claims: qualifier and min/max agree; the event exists
    event_ids = set(ev["event_id"])
    for r in cl.itertuples(index=False):
        _check_figure(out, f["casualty_claims.csv"], r)
        if r.event_id not in event_ids:
            out.append(Problem(f["casualty_claims.csv"], r.csv_row, "event_id",
                               f"unknown event '{r.event_id}'", "an event_id of events.csv"))
    for r in po.itertuples(index=False):
        _check_figure(out, f["population.csv"], r)

    # events' counts equal what the written rule derives from the claims
    if not out:
        expected = expected_event_counts(cl, so)
        for r in ev.itertuples(index=False):
            for col in COUNT_COLUMNS_RULE:
                want = expected.at[r.event_id, col] if r.event_id in expected.index else pd.NA
                have = getattr(r, col)
                if pd.isna(want) and pd.isna(have):
                    continue
                if pd.isna(want) or pd.isna(have) or int(want) != int(have):
                    w = "empty (no claim gives this figure)" if pd.isna(want) else str(int(want))
                    h = "empty" if pd.isna(have) else str(int(have))
                    out.append(Problem(f["events.csv"], r.csv_row, col,
                                       f"holds {h}, but the claims give {w} by the rule "
                                       "in analysis/derive.py", w))

    # control spells: contiguous, non-overlapping, from 1986, only the last open
    sp_sorted = sp.sort_values("start_date", kind="stable")
    rows = list(sp_sorted.itertuples(index=False))
    if rows and rows[0].start_date.year != 1986:
        out.append(Problem(f["control_spells.csv"], rows[0].csv_row, "start_date",
                           f"the first spell starts {rows[0].start_date:%Y-%m-%d}",
                           "a first spell starting in 1986"))
    for prev, nxt in zip(rows, rows[1:]):
        if pd.isna(prev.end_date):
            out.append(Problem(f["control_spells.csv"], prev.csv_row, "end_date",
                               "an open-ended spell is followed by another spell",
                               "only the last spell without end_date"))
        elif nxt.start_date < prev.end_date:
            out.append(Problem(f["control_spells.csv"], nxt.csv_row, "start_date",
                               f"starts {nxt.start_date:%Y-%m-%d}, overlapping spell "
                               f"'{prev.spell_id}' which ends {prev.end_date:%Y-%m-%d}",
                               f"start_date = {prev.end_date:%Y-%m-%d}"))
        elif nxt.start_date > prev.end_date:
            out.append(Problem(f["control_spells.csv"], nxt.csv_row, "start_date",
                               f"starts {nxt.start_date:%Y-%m-%d}, leaving a gap after spell "
                               f"'{prev.spell_id}' which ends {prev.end_date:%Y-%m-%d}",
                               f"start_date = {prev.end_date:%Y-%m-%d} (or an 'unknown' "
                               "spell for the gap)"))
    for r in rows:
        if pd.notna(r.end_date) and r.end_date <= r.start_date:
            out.append(Problem(f["control_spells.csv"], r.csv_row, "end_date",
                               "the spell ends on or before its start", "end_date > start_date"))
        if pd.notna(r.began_event_id) and r.began_event_id not in event_ids:
            out.append(Problem(f["control_spells.csv"], r.csv_row, "began_event_id",
                               f"unknown event '{r.began_event_id}'", "an event_id of events.csv"))
        if pd.isna(r.began_event_id) and str(r.controller) != "unknown":
            out.append(Problem(f["control_spells.csv"], r.csv_row, "began_event_id",
                               "missing", "the event that began the spell"))
    if rows and pd.notna(rows[-1].end_date):
        out.append(Problem(f["control_spells.csv"], rows[-1].csv_row, "end_date",
                           "the last spell ends; nobody controls the camp after it",
                           "an empty end_date (ongoing) or a further spell"))

    # every event at Camp Ashraf lies inside one control spell
    for r in ev[ev["place"].astype("string") == "ashraf"].itertuples(index=False):
        inside = [s for s in rows if s.start_date <= r.start_date and
                  (pd.isna(s.end_date) or r.end_date <= s.end_date)]
        if not inside:
            out.append(Problem(f["events.csv"], r.csv_row, "start_date",
                               f"{r.start_date:%Y-%m-%d} to {r.end_date:%Y-%m-%d} is not "
                               "inside one control spell", "dates within one spell of "
                               "control_spells.csv"))
    return out


def _check_figure(out, file, r) -> None:
    q, lo, hi = str(r.qualifier), r.value_min, r.value_max
    ok = {"exact": pd.notna(lo) and pd.notna(hi) and lo == hi,
          "about": pd.notna(lo) and pd.notna(hi) and lo == hi,
          "at_least": pd.notna(lo) and pd.isna(hi),
          "up_to": pd.isna(lo) and pd.notna(hi)}.get(q, True)
    want = {"exact": "value_min = value_max", "about": "value_min = value_max",
            "at_least": "value_min and an empty value_max",
            "up_to": "value_max and an empty value_min"}.get(q, "")
    if not ok:
        out.append(Problem(file, r.csv_row, "qualifier",
                           f"'{q}' does not fit value_min {_s(lo)} / value_max {_s(hi)}", want))


def _s(v) -> str:
    return "empty" if pd.isna(v) else str(int(v))


def validate(folder: Path | str | None = None, bib: Path | str | None = None) -> list[Problem]:
    """Every problem in the data package; an empty list means it is valid."""
    folder = data_dir(folder)
    bib = Path(bib) if bib else (folder.parent / "references.bib")
    try:
        descriptor = read_descriptor(folder)
    except DataError as err:
        return err.problems
    problems = _structure(folder, descriptor)
    if problems:
        return problems
    problems = _frictionless(folder)
    try:
        d = Dataset(folder).load_all()
    except DataError as err:
        problems.extend(p for p in err.problems if p not in problems)
        return problems
    if problems:
        return problems
    if not bib.exists():
        return [Problem(_rel(bib), None, None, "file not found", "the book's BibTeX file")]
    return rules(d, bib)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else ROOT / "data"
    problems = validate(folder)
    if problems:
        for p in problems:
            print(p)
        print(f"data invalid: {len(problems)} problem(s) in {_rel(folder)}", file=sys.stderr)
        return 1
    d = Dataset(folder).load_all()
    print(f"data valid: {len(d.events)} events, {len(d.claims)} claims, {len(d.spells)} "
          f"control spells, {len(d.population)} population counts, {len(d.sources)} sources")
    return 0
