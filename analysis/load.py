"""Load data/ with explicit types taken from datapackage.json.

Every value is converted by its field's declared type: dates become datetimes, enum fields
categoricals, integers nullable integers. Anything that does not convert is reported with its
file, row (the line number in the CSV, the header being row 1), field, the bad value and what
was expected; nothing is silently coerced to missing.
"""
from __future__ import annotations

import csv
import io
import inspect
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import data_dir as _data_dir

RESOURCES = ("periods", "sources", "events", "casualty_claims", "attestations", "control_spells",
             "population")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located as precisely as it can be."""

    file: str
    row: int | None
    field: str | None
    message: str
    expected: str = ""
    fix: str = ""

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = ", ".join(where) + ": " + self.message
        if self.expected:
            text += f"; expected {self.expected}"
        if self.fix:
            text += f". To fix: {self.fix}"
        return text


class DataError(ValueError):
    """Raised when data/ cannot be loaded; carries every Problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems[:50])
        more = f"\n  … and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{lines}{more}")


def read_descriptor(folder: Path) -> dict:
    path = folder / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError([Problem(_rel(path), None, None, "file not found",
                                 "a Frictionless datapackage.json describing the CSVs")])
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError([Problem(_rel(path), getattr(err, "lineno", None), None,
                                 f"not valid UTF-8 JSON ({err})", "a JSON object")])


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def resource_schema(descriptor: dict, name: str) -> dict:
    for res in descriptor.get("resources", []):
        if res.get("name") == name:
            return res
    raise DataError([Problem("datapackage.json", None, None,
                             f"no resource named '{name}'", f"resources {', '.join(RESOURCES)}")])


def read_rows(path: Path, fields: list[str]) -> tuple[list[dict], list[Problem]]:
    """Read a CSV strictly: UTF-8 without BOM, the exact header, the right number of cells."""
    name = _rel(path)
    if not path.exists():
        return [], [Problem(name, None, None, "file not found", "a CSV file")]
    raw = path.read_bytes()
    if not raw.strip():
        return [], [Problem(name, None, None, "file is empty",
                            "a header row: " + ",".join(fields))]
    if raw.startswith(b"\xef\xbb\xbf"):
        return [], [Problem(name, 1, None, "file starts with a byte-order mark (BOM)",
                            "UTF-8 without BOM")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return [], [Problem(name, line, None,
                            f"byte 0x{raw[err.start]:02x} is not valid UTF-8", "UTF-8 text")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    problems: list[Problem] = []
    if header != fields:
        missing = [f for f in fields if f not in header]
        extra = [f for f in header if f not in fields]
        detail = []
        if missing:
            detail.append("missing column(s) " + ", ".join(missing))
        if extra:
            detail.append("unexpected column(s) " + ", ".join(repr(f) for f in extra))
        if not detail:
            detail.append("columns in the wrong order")
        return [], [Problem(name, 1, None, "wrong header: " + "; ".join(detail),
                            "the header " + ",".join(fields))]
    rows = []
    for line_no, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(fields):
            problems.append(Problem(name, line_no, None,
                                    f"{len(cells)} cells instead of {len(fields)}",
                                    f"{len(fields)} comma-separated cells"))
            continue
        rows.append({"csv_row": line_no, **dict(zip(fields, cells))})
    return rows, problems


def _convert(rows: list[dict], res: dict, name: str) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    fields = res["schema"]["fields"]
    frame = pd.DataFrame({"csv_row": [r["csv_row"] for r in rows]}, dtype="Int64")
    for field in fields:
        fname, ftype = field["name"], field.get("type", "string")
        enum = field.get("constraints", {}).get("enum")
        raw = [r[fname] for r in rows]
        values = []
        for row, cell in zip(rows, raw):
            if cell == "":
                values.append(None)
                continue
            try:
                if ftype == "integer":
                    if not cell.lstrip("-").isdigit():
                        raise ValueError
                    values.append(int(cell))
                elif ftype == "date":
                    values.append(pd.Timestamp.fromisoformat(cell) if len(cell) == 10 else _bad())
                elif ftype == "boolean":
                    values.append({"true": True, "false": False}[cell])
                else:
                    if enum and cell not in enum:
                        near = suggest_code(cell, enum)
                        problems.append(Problem(
                            name, row["csv_row"], fname,
                            f"'{cell}' is not an allowed value"
                            + (f" (did you mean '{near}'?)" if near else ""),
                            "one of " + ", ".join(enum),
                            f"write '{near}'" if near else ""))
                        values.append(None)
                        continue
                    values.append(cell)
            except (ValueError, KeyError):
                expected = {"integer": "a whole number", "date": "a date as YYYY-MM-DD",
                            "boolean": "true or false"}[ftype]
                problems.append(Problem(name, row["csv_row"], fname,
                                        f"'{cell}' is not a valid {ftype}", expected))
                values.append(None)
        if ftype == "integer":
            frame[fname] = pd.array(values, dtype="Int64")
        elif ftype == "date":
            frame[fname] = pd.to_datetime(pd.Series(values, dtype="object"))
        elif ftype == "boolean":
            frame[fname] = pd.array(values, dtype="boolean")
        elif enum:
            frame[fname] = pd.Categorical(values, categories=enum)
        else:
            frame[fname] = pd.array(values, dtype="string")
    return frame, problems


def suggest_code(cell: str, enum: list[str]) -> str | None:
    """The allowed code a misspelt value most likely means: the same words in another case or
    with spaces or hyphens for underscores ('at least', 'Day', 'About'), else a close match."""
    import difflib

    norm = "_".join(cell.strip().lower().replace("-", " ").split())
    if norm in enum:
        return norm
    close = difflib.get_close_matches(norm, enum, n=1, cutoff=0.75)
    return close[0] if close else None


def _bad():
    raise ValueError


def load_table(name: str, folder: Path | str | None = None,
               descriptor: dict | None = None) -> pd.DataFrame:
    """One table of the data package, typed; raises DataError naming file, row and field."""
    folder = _data_dir(folder)
    descriptor = descriptor or read_descriptor(folder)
    res = resource_schema(descriptor, name)
    path = folder / res["path"]
    fields = [f["name"] for f in res["schema"]["fields"]]
    rows, problems = read_rows(path, fields)
    if problems:
        raise DataError(problems)
    frame, problems = _convert(rows, res, _rel(path))
    if problems:
        raise DataError(problems)
    return frame


class Dataset:
    """All tables of data/, typed. Tables load on first use."""

    def __init__(self, folder: Path | str | None = None):
        self.folder = _data_dir(folder)
        self.descriptor = read_descriptor(self.folder)

    def derived(self, fn):
        """``fn(self.claims, self.sources)`` (``derive.estimates``, ``derive.range_setters``),
        with ``events=self.events`` where ``fn`` takes it (the estimates' acting parties),
        computed once for this dataset, whose tables are read once and never changed in place:
        a chapter needs the estimates for its glue, its charts and each of its tables. Each
        caller gets its own copy."""
        cache = self.__dict__.setdefault("_derived", {})
        if fn not in cache:
            takes_events = "events" in inspect.signature(fn).parameters
            cache[fn] = (fn(self.claims, self.sources, events=self.events) if takes_events
                         else fn(self.claims, self.sources))
        return cache[fn].copy()

    def table(self, name: str) -> pd.DataFrame:
        return load_table(name, self.folder, self.descriptor)

    @cached_property
    def periods(self) -> pd.DataFrame:
        return self.table("periods").sort_values("order", kind="stable").reset_index(drop=True)

    @cached_property
    def sources(self) -> pd.DataFrame:
        return self.table("sources")

    @cached_property
    def events(self) -> pd.DataFrame:
        """The events in date order (``date_order``)."""
        return date_order(self.table("events"))

    @cached_property
    def claims(self) -> pd.DataFrame:
        """The figures of casualty_claims.csv: every row with a number. Rows qualified
        'unquantified' (a source speaks of casualties without a number) are not figures and
        are kept out of every count and chart; see ``unquantified``."""
        c = self.table("casualty_claims")
        return c[c["qualifier"].astype("string") != "unquantified"].reset_index(drop=True)

    @cached_property
    def unquantified(self) -> pd.DataFrame:
        """The rows of casualty_claims.csv qualified 'unquantified': a source's account of an
        event's casualties that gives no number (Tehran radio's 'heavy casualties')."""
        c = self.table("casualty_claims")
        return c[c["qualifier"].astype("string") == "unquantified"].reset_index(drop=True)

    @cached_property
    def attestations(self) -> pd.DataFrame:
        """One row per (event, source reporting it), with the source's words (may be empty in
        folders written before version 1.2.0, which have no attestations.csv)."""
        if not (self.folder / "attestations.csv").exists():
            return pd.DataFrame(columns=[f["name"] for f in resource_schema(
                self.descriptor, "attestations")["schema"]["fields"]]) \
                if any(r["name"] == "attestations" for r in self.descriptor["resources"]) \
                else pd.DataFrame(columns=["attestation_id", "event_id", "source_key", "quote"])
        return self.table("attestations")

    @cached_property
    def spells(self) -> pd.DataFrame:
        return self.table("control_spells").sort_values("start_date", kind="stable") \
            .reset_index(drop=True)

    @cached_property
    def population(self) -> pd.DataFrame:
        return self.table("population").sort_values(["date", "population_id"], kind="stable") \
            .reset_index(drop=True)

    def load_all(self) -> "Dataset":
        """Load every table now, raising one DataError with the problems of all files."""
        problems: list[Problem] = []
        for attr in ("periods", "sources", "events", "claims", "attestations", "spells",
                     "population"):
            try:
                getattr(self, attr)
            except DataError as err:
                problems.extend(err.problems)
        if problems:
            raise DataError(problems)
        return self


def load(folder: Path | str | None = None) -> Dataset:
    """The whole dataset, every table loaded and typed (raises DataError on bad values)."""
    return Dataset(folder).load_all()


def date_order(events: pd.DataFrame) -> pd.DataFrame:
    """Events in the order a reader expects: an event known to the day or a span by its start;
    one known only to the month or the year, or bracketed between two dates, by the middle of
    that time, so that "June 2013" follows "15 June 2013" and "2014" follows "11 February
    2014" rather than standing first on a placeholder first day."""
    start, end = events["start_date"], events["end_date"]
    vague = events["date_precision"].astype("string").isin(["month", "year", "bracketed"])
    middle = start + (end.fillna(start) - start) / 2
    key = start.where(~vague.fillna(False), middle)
    return (events.assign(_when=key).sort_values(["_when", "event_id"], kind="stable")
            .drop(columns="_when").reset_index(drop=True))
