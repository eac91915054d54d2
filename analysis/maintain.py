"""Data maintenance: write each event's derived counts and grade into events.csv.

`python -m analysis fill-estimates [DIR]` (or `make estimates`) sets killed / wounded low,
best, high and the detained, missing and relocated counts of every event to what the rule in
``derive`` gives from its claims (empty where no claim gives a figure), and its grade to what
``derive.GRADE_RULE`` gives from its sources and claims, leaving every other cell as it is.
The validator checks the same equalities on every build.
"""
from __future__ import annotations

import csv
import io

import pandas as pd

from . import data_dir
from .derive import COUNT_COLUMNS_RULE, expected_event_counts, grades
from .load import Dataset


def fill_estimates(folder=None) -> int:
    folder = data_dir(folder)
    d = Dataset(folder)
    expected = expected_event_counts(d.claims, d.sources)
    graded = grades(d.events, d.claims, d.sources)
    path = folder / "events.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, body = reader.fieldnames, list(reader)
    changed = 0
    for row in body:
        for col in COUNT_COLUMNS_RULE:
            want = expected.at[row["event_id"], col] if row["event_id"] in expected.index \
                else pd.NA
            new = "" if pd.isna(want) else str(int(want))
            if row[col] != new:
                row[col] = new
                changed += 1
        grade = graded.get(row["event_id"], "")
        if "grade" in row and row["grade"] != grade:
            row["grade"] = grade
            changed += 1
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(body)
    path.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{path}: {changed} count and grade cell(s) updated from the claims and sources")
    return 0
