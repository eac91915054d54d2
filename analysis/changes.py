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
    reason ('' where data/changes.csv gives none). An event new since then is listed with
    field 'event' and old ''."""
    folder = data_dir(folder)
    old = _csv(folder / "releases" / previous / "events.csv").set_index("event_id")
    new = _csv(folder / "events.csv").set_index("event_id")
    why = reasons(folder)
    rows = []
    for eid, r in new.iterrows():
        if eid not in old.index:
            rows.append((eid, "event", "", "added", why.get((eid, "event"), "")))
            continue
        for f in FIELDS:
            a, b = old.at[eid, f] if f in old.columns else "", r.get(f, "")
            if a != b:
                rows.append((eid, f, a, b, why.get((eid, f)) or why.get(("*", f), "")))
    for eid in old.index.difference(new.index):
        rows.append((eid, "event", "present", "removed", why.get((eid, "event"), "")))
    return pd.DataFrame(rows, columns=["event_id", "field", "old", "new", "reason"])


FIELD_LABELS = {"killed_best": "killed (best estimate)", "wounded_best": "wounded (best estimate)",
                "grade": "grade", "start_date": "start date", "end_date": "end date",
                "event_type": "type", "event": "event"}


RELEASE_WIDE = "a rule change of this release (see the notes above)"


def changes_table(folder=None, previous: str = PREVIOUS) -> pd.DataFrame:
    """``changed_events`` for readers: the event's title beside its id, fields named in words,
    an empty old or new value shown as 'none'. A change that follows from a release-wide
    reason (event_id '*', e.g. the new grade rule) says so briefly: the reason itself is given
    once, in the changelog's notes, and in full in each event's register entry. Sorted by
    event, then field."""
    from .load import load

    frame = changed_events(folder, previous)
    release_wide = {r for (e, _f), r in reasons(folder).items() if e == "*"}
    frame["reason"] = [RELEASE_WIDE if r in release_wide else
                       r or ("an event new in this release" if n == "added" else "")
                       for r, n in zip(frame["reason"], frame["new"])]
    titles = load(folder).events.set_index("event_id")["title"].to_dict()
    out = pd.DataFrame({
        "Event": [f"{titles.get(e, e)} ({e})" for e in frame["event_id"]],
        "Field": [FIELD_LABELS.get(f, f) for f in frame["field"]],
        f"In {previous}": [v or "none" for v in frame["old"]],
        "Now": [v or "none" for v in frame["new"]],
        "Why": list(frame["reason"]),
    })
    return out
