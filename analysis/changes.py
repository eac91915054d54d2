"""What changed in each event since the previous release (issue 17).

The previous release's events.csv is kept in data/releases/<version>/events.csv so that the
comparison works from a fresh clone. ``changed_events`` lists every event whose best estimate,
grade, dates or type differ, with the old and the new value and the reason given in
data/changes.csv (event_id, field, reason; event_id '*' gives a reason for a field across the
release, e.g. the new grade rule). The validator requires a reason for every change.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from . import data_dir

PREVIOUS = "1.1.0"
FIELDS = ("killed_best", "wounded_best", "grade", "start_date", "end_date", "event_type")


def _csv(path: Path) -> pd.DataFrame:
    with open(path, newline="", encoding="utf-8") as fh:
        return pd.DataFrame(list(csv.DictReader(fh)), dtype="string").fillna("")


def reasons(folder=None) -> dict[tuple[str, str], str]:
    path = data_dir(folder) / "changes.csv"
    if not path.exists():
        return {}
    return {(r.event_id, r.field): r.reason for r in _csv(path).itertuples(index=False)}


def changed_events(folder=None, previous: str = PREVIOUS) -> pd.DataFrame:
    """One row per (event, field) changed since ``previous``: event_id, field, old, new,
    reason ('' where data/changes.csv gives none) and release_wide (the reason is a
    release-wide one, event_id '*', such as the new grade rule). An event new since then is
    listed with field 'event' and old ''."""
    folder = data_dir(folder)
    old = _csv(folder / "releases" / previous / "events.csv").set_index("event_id")
    new = _csv(folder / "events.csv").set_index("event_id")
    why = reasons(folder)
    rows = []
    for eid, r in new.iterrows():
        if eid not in old.index:
            rows.append((eid, "event", "", "added", why.get((eid, "event"), ""), False))
            continue
        for f in FIELDS:
            a, b = old.at[eid, f] if f in old.columns else "", r.get(f, "")
            if a != b:
                own = why.get((eid, f))
                rows.append((eid, f, a, b, own or why.get(("*", f), ""),
                             not own and ("*", f) in why))
    for eid in old.index.difference(new.index):
        rows.append((eid, "event", "present", "removed", why.get((eid, "event"), ""), False))
    return pd.DataFrame(rows, columns=["event_id", "field", "old", "new", "reason",
                                       "release_wide"])


FIELD_LABELS = {"killed_best": "killed (best estimate)", "wounded_best": "wounded (best estimate)",
                "grade": "grade", "start_date": "start date", "end_date": "end date",
                "event_type": "type", "event": "event", "dates": "dates"}


def _value(field: str, value: str) -> str:
    """A changed value as readers see it elsewhere in the book: a grade by its label
    ('single source', not 'single_source'); an empty best estimate as 'no best estimate' (not
    'none', which reads as nobody hurt); any other empty value as 'none'."""
    from .derive import GRADE_LABELS

    if not value:
        return "no best estimate" if field.endswith("_best") else "none"
    return GRADE_LABELS.get(value, value) if field == "grade" else value


def _dates_merged(frame: pd.DataFrame) -> pd.DataFrame:
    """One 'dates' row for an event whose start and end date both changed, its values
    'start – end' (one date where start and end are the same day) and its reason said once
    (both reasons, labelled, where they differ)."""
    rows = []
    for eid, group in frame.groupby("event_id", sort=False):
        by_field = {r.field: r for r in group.itertuples(index=False)}
        start, end = by_field.get("start_date"), by_field.get("end_date")
        if start is None or end is None or start.release_wide != end.release_wide:
            rows += [tuple(r) for r in group.itertuples(index=False)]
            continue
        def span(a: str, b: str) -> str:
            return a if a == b or not b else f"{a} – {b}"
        why = (start.reason if start.reason == end.reason else
               "; ".join(f"{w}: {r}" for w, r in (("start", start.reason), ("end", end.reason))
                         if r))
        for r in group.itertuples(index=False):
            if r.field == "start_date":
                rows.append((eid, "dates", span(start.old, end.old), span(start.new, end.new),
                             why, start.release_wide))
            elif r.field != "end_date":
                rows.append(tuple(r))
    return pd.DataFrame(rows, columns=list(frame.columns))


def release_wide_reasons(folder=None) -> dict[str, str]:
    """The release-wide reasons of data/changes.csv (event_id '*'), by field label: what the
    changelog says once above the table of the changes they explain."""
    return {FIELD_LABELS.get(f, f): r for (e, f), r in reasons(folder).items() if e == "*"}


def changes_table(folder=None, previous: str = PREVIOUS, release_wide: bool = False
                  ) -> pd.DataFrame:
    """``changed_events`` for readers: the event's title beside its id, fields named in words,
    grades by their labels, an empty old or new value shown as 'none'. By default the changes
    with a reason of their own (column 'Why'); with ``release_wide=True`` the changes that
    follow from a release-wide reason (the new grade rule), without a 'Why' column: that
    reason is given once, above the table (``release_wide_reasons``), and in full in each
    event's register entry. Sorted by event, then field; an event whose start and end dates
    both changed has one 'dates' row, its values start – end."""
    from .load import load

    frame = _dates_merged(changed_events(folder, previous))
    frame = frame[frame["release_wide"] == release_wide]
    if not release_wide:
        frame = frame.assign(reason=[r or ("an event new in this release" if n == "added" else "")
                                     for r, n in zip(frame["reason"], frame["new"])])
    titles = load(folder).events.set_index("event_id")["title"].to_dict()
    out = pd.DataFrame({
        "Event": [f"{titles.get(e, e)} ({e})" for e in frame["event_id"]],
        "Field": [FIELD_LABELS.get(f, f) for f in frame["field"]],
        f"In {previous}": [_value(f, v) for f, v in zip(frame["field"], frame["old"])],
        "Now": [_value(f, v) for f, v in zip(frame["field"], frame["new"])],
    })
    if not release_wide:
        out["Why"] = list(frame["reason"])
    elif out["Field"].nunique() == 1:  # one field (the grade): named in the note and caption
        out = out.drop(columns="Field")
    return out
