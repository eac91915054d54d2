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
    expected = expected_event_counts(d.claims, d.sources, d.events)
    graded = grades(d.events, d.claims, d.sources, d.attestations)
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


FRAGMENT_COLUMNS = ("record", "event_id", "claim_id", "source_key", "attests", "stance", "relays",
                    "quote", "quote_language", "gloss", "read_as", "read_at", "no_quote_reason",
                    "claim_date", "claim_date_precision", "date_basis", "note")
# a fragment may leave these out: a claim's precision then follows from the form of its date
OPTIONAL_FRAGMENT_COLUMNS = ("claim_date_precision",)
QUOTE_COLUMNS = ("quote", "quote_language", "gloss", "read_as", "read_at", "no_quote_reason")


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path, header, body) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(body)
    path.write_text(buf.getvalue(), encoding="utf-8")


def fold_quotes(fragments, folder=None) -> int:
    """Merge quote fragments (/work/quotes/FORMAT.md) into attestations.csv (upsert by
    event_id + source_key) and the quote columns of casualty_claims.csv (by claim_id); add a
    new attestation's source key to its event's source_keys. Prints every row it could not
    place (unknown event, claim or source; a claim of another event) and returns 1 if any."""
    folder = data_dir(folder)
    a_path, c_path, e_path = (folder / "attestations.csv", folder / "casualty_claims.csv",
                              folder / "events.csv")
    a_head, a_body = _read(a_path)
    c_head, c_body = _read(c_path)
    e_head, e_body = _read(e_path)
    s_head, s_body = _read(folder / "sources.csv")
    sources = {r["source_key"] for r in s_body}
    events = {r["event_id"]: r for r in e_body}
    att = {(r["event_id"], r["source_key"]): r for r in a_body}
    claims = {r["claim_id"]: r for r in c_body}
    unplaced, n_att, n_new, n_claim = [], 0, 0, 0
    for frag in fragments:
        head, body = _read(frag)
        missing = [c for c in FRAGMENT_COLUMNS
                   if c not in head and c not in OPTIONAL_FRAGMENT_COLUMNS]
        if missing:
            unplaced.append(f"{frag}: header lacks {', '.join(missing)}; expected "
                            f"{','.join(FRAGMENT_COLUMNS)}")
            continue
        for i, r in enumerate(body, start=2):
            r = {k: (v or "").strip() for k, v in r.items() if k}
            where = f"{frag}, row {i}"
            ev = r["event_id"]
            if ev not in events:
                unplaced.append(f"{where}: event_id '{ev}' is not in events.csv")
                continue
            if r["record"] == "event":
                key = r["source_key"]
                if key not in sources:
                    unplaced.append(f"{where}: source_key '{key}' is not in sources.csv")
                    continue
                row = att.get((ev, key))
                if row is None:
                    row = {h: "" for h in a_head}
                    row.update(attestation_id=f"{ev}--{key}", event_id=ev, source_key=key)
                    a_body.append(row)
                    att[(ev, key)] = row
                    n_new += 1
                    keys = [k for k in events[ev]["source_keys"].split(";") if k] \
                        if "source_keys" in events[ev] else None
                    if keys is not None and key not in keys:
                        events[ev]["source_keys"] = ";".join(keys + [key])
                for col in ("attests", "stance", "relays") + QUOTE_COLUMNS + ("note",):
                    row[col] = r.get(col, "")
                if row["quote"]:
                    row["no_quote_reason"] = ""
                n_att += 1
            elif r["record"] == "claim":
                row = claims.get(r["claim_id"])
                if row is None:
                    unplaced.append(f"{where}: claim_id '{r['claim_id']}' is not in "
                                    "casualty_claims.csv")
                    continue
                if row["event_id"] != ev:
                    unplaced.append(f"{where}: claim '{r['claim_id']}' belongs to event "
                                    f"'{row['event_id']}', not '{ev}'")
                    continue
                for col in QUOTE_COLUMNS:
                    row[col] = r.get(col, "")
                if row["quote"]:
                    row["no_quote_reason"] = ""
                if r.get("claim_date") and not row["claim_date"].startswith(r["claim_date"]):
                    # a YYYY or YYYY-MM date keeps a fuller date already within it
                    row["claim_date"] = _iso(r["claim_date"])
                    row["claim_date_precision"] = _precision(r["claim_date"])
                if r.get("claim_date_precision"):
                    row["claim_date_precision"] = r["claim_date_precision"]
                if r.get("date_basis"):
                    row["date_basis"] = r["date_basis"]
                if r.get("note") and r["note"] not in row.get("note", ""):
                    row["note"] = "; ".join(x for x in (row.get("note", ""), r["note"]) if x)
                n_claim += 1
            else:
                unplaced.append(f"{where}: record '{r['record']}'; expected 'event' or 'claim'")
    a_body.sort(key=lambda r: (r["event_id"], r["source_key"]))
    _write(a_path, a_head, a_body)
    _write(c_path, c_head, c_body)
    _write(e_path, e_head, e_body)
    print(f"folded {n_att} attestation row(s) ({n_new} new) and {n_claim} claim row(s)")
    for line in unplaced:
        print("not placed: " + line)
    return 1 if unplaced else 0


def _iso(value: str) -> str:
    """A fragment's YYYY or YYYY-MM as a day (the schema's date type): the first day of the
    year or month, which claim_date_precision marks as standing for the whole of it."""
    if len(value) in (4, 7):
        return value + ("-01-01" if len(value) == 4 else "-01")
    return value


def _precision(value: str) -> str:
    """The precision a fragment's date shows by its form: YYYY, YYYY-MM or YYYY-MM-DD."""
    return {4: "year", 7: "month"}.get(len(value), "day")
