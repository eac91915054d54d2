"""Validate data/: the CSVs' structure, frictionless (types and constraints of
datapackage.json, keys), then the rules across fields and tables.

`python -m analysis validate [DIR]` prints one line per problem (file, row, field, what is
wrong, what was expected) and exits 1, or prints a one-line summary and exits 0.
"""
from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import pandas as pd

from . import ROOT, data_dir
from .derive import COUNT_COLUMNS_RULE, expected_event_counts, grades
from .load import RESOURCES, Dataset, DataError, Problem, read_descriptor, read_rows, _rel

EARLIEST = pd.Timestamp("1980-01-01")
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


# Each resource is validated on its own within the package (its types, constraints, keys, and
# its foreign keys against the resources they point to), and its findings are kept per content:
# of its descriptor, its file and the descriptors and files its foreign keys read. A second
# validation in the same process (the test suite validates the data a hundred times, each copy
# with one fault) re-validates only the resources the fault can change. The findings are the
# same as from validating the whole package at once (tests/test_validate.py checks it).
_SEEN: dict[str, list[tuple]] = {}


def _resource_key(folder: Path, res: dict, by_name: dict) -> str:
    import hashlib
    import json

    h = hashlib.sha256()
    names = [res["name"]] + sorted({(fk.get("reference") or {}).get("resource") or res["name"]
                                    for fk in (res.get("schema") or {}).get("foreignKeys", [])})
    for name in names:
        dep = by_name.get(name)
        h.update(json.dumps(dep, sort_keys=True).encode() + b"\0")
        file = folder / dep["path"] if dep else None
        h.update((file.read_bytes() if file and file.is_file() else b"-") + b"\0")
    return h.hexdigest()


def _frictionless(folder: Path) -> list[Problem]:
    import json

    from frictionless import Package  # slow import: only when validating

    try:
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        resources = descriptor["resources"]
        by_name = {r["name"]: r for r in resources}
        if not all(isinstance(r.get("name"), str) and isinstance(r.get("path"), str)
                   for r in resources):
            raise ValueError("a resource without a name or a path")
    except Exception:  # noqa: BLE001 - the whole package below reports what is wrong
        descriptor = None
    package = Package(str(folder / "datapackage.json"))
    found: list[tuple] = []   # (file name or None, row, field, message, expected)
    if descriptor is None:
        found += _findings(package.validate(), package)
    else:
        for res in resources:
            key = _resource_key(folder, res, by_name)
            if key not in _SEEN:
                _SEEN[key] = _findings(package.get_resource(res["name"]).validate(), package)
            found += _SEEN[key]
    return [Problem(_rel(folder / name) if name else _rel(folder / "datapackage.json"),
                    row, field, msg, expected)
            for name, row, field, msg, expected in found]


def _findings(report, package) -> list[tuple]:
    out = []
    for task in report.tasks:
        name = Path(task.place).name if task.place else "."
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
            out.append((name, row, field, msg, _expected(err, package, task)))
    for err in report.errors:
        out.append((None, None, None, err.message, ""))
    return out


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


def _bib_syntax(path: Path) -> list[Problem]:
    """The bibliography parses as BibTeX (the book's build reads it with pybtex too)."""
    error = _bib_error(path.read_bytes())
    if error is None:
        return []
    line = re.search(r"line (\d+)", error)
    return [Problem(_rel(path), int(line.group(1)) if line else None, None,
                    f"not valid BibTeX ({error})",
                    "entries of the form @kind{key, field = {value}, ...}",
                    "close every brace and quote of the entry near that line")]


@functools.lru_cache(maxsize=8)
def _bib_error(text: bytes) -> str | None:
    """pybtex's error on a bibliography's bytes, or None; kept per content, since a session
    (the tests, a contributor's repeated `make validate` in one process) reads the same file
    many times."""
    import io

    import pybtex.errors
    from pybtex.database.input import bibtex

    pybtex.errors.set_strict_mode(True)
    try:
        bibtex.Parser().parse_stream(io.StringIO(text.decode("utf-8")))
    except Exception as err:  # noqa: BLE001 - pybtex has several error classes
        return str(err)
    return None


def _bib_keys(path: Path) -> set[str]:
    return set(BIB_KEY.findall(path.read_text(encoding="utf-8")))


FIX_ESTIMATES = "run `make estimates` (python -m analysis fill-estimates, then validate)"
PRECISIONS_MAX_DAY_SPAN = 14  # days an event at 'day' precision may last


class _Tables:
    """The tables of a dataset that loaded; each missing one is named with the reason."""

    def __init__(self, d: Dataset):
        self.d = d
        self.failed: dict[str, str] = {}
        for attr, file in (("periods", "periods.csv"), ("sources", "sources.csv"),
                           ("events", "events.csv"), ("claims", "casualty_claims.csv"),
                           ("attestations", "attestations.csv"), ("spells", "control_spells.csv"),
                           ("population", "population.csv")):
            try:
                getattr(d, attr)
            except DataError:
                self.failed[attr] = file

    def missing(self, *attrs: str) -> list[str]:
        return [self.failed[a] for a in attrs if a in self.failed]


def _latest(d: Dataset) -> pd.Timestamp:
    created = d.descriptor.get("created")
    try:
        return pd.Timestamp(str(created)[:10]) if created else pd.Timestamp.today().normalize()
    except ValueError:
        return pd.Timestamp.today().normalize()


def rules(d: Dataset, bib: Path) -> list[Problem]:
    """The rules across fields and tables. Each runs if the tables it reads loaded; a rule
    that cannot run says so (naming the file whose errors stopped it)."""
    t = _Tables(d)
    out: list[Problem] = []
    for rule, needs in RULES:
        missing = t.missing(*needs)
        if missing:
            out.append(Problem(_rel(d.folder), None, None,
                               f"rule '{_title(rule)}' could not run "
                               f"because {', '.join(missing)} has errors listed above",
                               "", "fix those errors and validate again"))
            continue
        try:
            out.extend(rule(d, bib))
        except Exception as err:  # noqa: BLE001 - a rule must not hide the others
            out.append(Problem(_rel(d.folder), None, None,
                               f"rule '{_title(rule)}' could not run "
                               f"({type(err).__name__}: {err})", "",
                               "fix the problems listed above and validate again"))
    return out


def _title(rule) -> str:
    """A rule's docstring on one line (the whole sentence, not its first line)."""
    return " ".join(rule.__doc__.split())


def _f(d: Dataset, name: str) -> str:
    return _rel(d.folder / name)


def _rule_unique_ids(d, bib):
    """unique ids"""
    out = []
    for attr, name, col in (("events", "events.csv", "event_id"),
                            ("claims", "casualty_claims.csv", "claim_id"),
                            ("spells", "control_spells.csv", "spell_id"),
                            ("population", "population.csv", "population_id"),
                            ("sources", "sources.csv", "source_key"),
                            ("periods", "periods.csv", "period_id")):
        try:
            frame = getattr(d, attr)
        except DataError:
            continue
        dup = frame[frame[col].duplicated(keep="first")]
        for r in dup.itertuples(index=False):
            out.append(Problem(_f(d, name), r.csv_row, col,
                               f"'{getattr(r, col)}' is used by an earlier row too",
                               "a unique id"))
    return out


def _rule_sources(d, bib):
    """sources are one to one with references.bib and every key used exists"""
    out = []
    so, ev, sp, po = d.sources, d.events, d.spells, d.population
    cl = pd.concat([d.claims, d.unquantified], ignore_index=True)
    keys = set(so["source_key"])
    bib_keys = _bib_keys(bib)
    for r in so.itertuples(index=False):
        if r.source_key not in bib_keys:
            out.append(Problem(_f(d, "sources.csv"), r.csv_row, "source_key",
                               f"'{r.source_key}' has no entry in {bib.name}",
                               f"a key of {bib.name}",
                               f"add an entry @...{{{r.source_key}, ...}} to {bib.name}"))
    for k in sorted(bib_keys - keys):
        out.append(Problem(_rel(bib), None, None, f"entry '{k}' is not listed in sources.csv",
                           "every bibliography entry classified in data/sources.csv",
                           f"add a row for '{k}' to data/sources.csv"))
    for frame, name in ((ev, "events.csv"), (sp, "control_spells.csv")):
        for r in frame.itertuples(index=False):
            for k in _split(r.source_keys):
                if k not in keys:
                    out.append(Problem(_f(d, name), r.csv_row, "source_keys",
                                       f"unknown source key '{k}'",
                                       "keys of data/sources.csv separated by ';'",
                                       "correct the key, or add the source to data/sources.csv "
                                       "and references.bib"))
    for frame, name in ((cl, "casualty_claims.csv"), (po, "population.csv")):
        for r in frame.itertuples(index=False):
            if r.source_key not in keys:
                out.append(Problem(_f(d, name), r.csv_row, "source_key",
                                   f"unknown source key '{r.source_key}'",
                                   "a key of data/sources.csv",
                                   "correct the key, or add the source to data/sources.csv "
                                   "and references.bib"))
    return out


def _split(value) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [k for k in str(value).split(";") if k]


def _rule_dates(d, bib):
    """every date lies between 1980 and the data package's created date"""
    out = []
    latest = _latest(d)
    for attr, name, cols in (("events", "events.csv", ("start_date", "end_date")),
                             ("claims", "casualty_claims.csv", ("claim_date",)),
                             ("spells", "control_spells.csv", ("start_date", "end_date")),
                             ("population", "population.csv", ("date",)),
                             ("periods", "periods.csv", ("start_date", "end_date"))):
        try:
            frame = getattr(d, attr)
        except DataError:
            continue
        for r in frame.itertuples(index=False):
            for col in cols:
                when = getattr(r, col)
                if pd.notna(when) and (when < EARLIEST or when > latest):
                    out.append(Problem(_f(d, name), r.csv_row, col,
                                       f"{when:%Y-%m-%d} is outside the book's time span",
                                       f"a date from {EARLIEST:%Y-%m-%d} to the data "
                                       f"package's created date ({latest:%Y-%m-%d})",
                                       "correct the date, or raise 'created' in "
                                       "data/datapackage.json when adding newer data"))
    return out


def _rule_events(d, bib):
    """events' dates agree with their precision and period; counts are ordered"""
    out = []
    ev, pe = d.events, d.periods
    f = _f(d, "events.csv")
    periods = pe.set_index("period_id")
    for r in ev.itertuples(index=False):
        if r.end_date < r.start_date:
            out.append(Problem(f, r.csv_row, "end_date",
                               f"ends {r.end_date:%Y-%m-%d} before it starts "
                               f"{r.start_date:%Y-%m-%d}", "end_date ≥ start_date"))
        else:
            out.extend(_span_problems(f, r.csv_row, "date_precision", r.start_date,
                                      r.end_date, str(r.date_precision)))
        if r.period_id in periods.index:
            p = periods.loc[r.period_id]
            if not (p["start_date"] <= r.start_date <= p["end_date"]):
                out.append(Problem(f, r.csv_row, "period_id",
                                   f"starts {r.start_date:%Y-%m-%d}, outside period "
                                   f"{r.period_id} ({p['start_date']:%Y-%m-%d} to "
                                   f"{p['end_date']:%Y-%m-%d})",
                                   "the period whose range holds start_date"))
        for m in ("killed", "wounded"):
            lo, be, hi = (getattr(r, f"{m}_{x}") for x in ("low", "best", "high"))
            if pd.notna(lo) != pd.notna(hi) or (pd.notna(be) and pd.isna(lo)):
                out.append(Problem(f, r.csv_row, f"{m}_best",
                                   f"{m} low / best / high are only partly filled",
                                   "low and high together, best with them or (when every "
                                   "figure is flagged or second-hand) empty", FIX_ESTIMATES))
            elif pd.notna(be) and not (lo <= be <= hi):
                out.append(Problem(f, r.csv_row, f"{m}_low",
                                   f"{m} low {lo}, best {be}, high {hi} are out of order",
                                   "low ≤ best ≤ high", FIX_ESTIMATES))
            elif pd.notna(lo) and lo > hi:
                out.append(Problem(f, r.csv_row, f"{m}_low",
                                   f"{m} low {lo} is above high {hi}", "low ≤ high",
                                   FIX_ESTIMATES))
    return out


def _span_problems(file, row, field, start, end, precision) -> list[Problem]:
    """A date span that contradicts its precision code."""
    days = (end - start).days
    last_of_month = (start + pd.offsets.MonthEnd(0))
    want = ""
    if precision == "month":
        field = "start_date" if start.day != 1 else "end_date"
    elif precision == "year":
        field = "start_date" if (start.month, start.day) != (1, 1) else "end_date"
    if precision == "day" and days > PRECISIONS_MAX_DAY_SPAN:
        want = (f"an event at 'day' precision lasting at most {PRECISIONS_MAX_DAY_SPAN} days; "
                "use 'span' for a longer period with approximate ends, 'bracketed' for one "
                "date between two reported dates")
    elif precision == "bracketed" and days < 1:
        want = "a bracketed date with end_date after start_date (else 'day')"
    elif precision == "month" and (start.day != 1 or end != last_of_month):
        want = (f"a month-precision date running from the 1st to the last day of one month "
                f"({start:%Y-%m}-01 to {last_of_month:%Y-%m-%d}); use 'bracketed' or 'span' "
                "for several months")
    elif precision == "year" and ((start.month, start.day) != (1, 1)
                                  or (end.year, end.month, end.day) != (start.year, 12, 31)):
        want = (f"a year-precision date running from {start.year}-01-01 to {start.year}-12-31; "
                "use 'bracketed' or 'span' for several years")
    elif precision == "span" and days <= PRECISIONS_MAX_DAY_SPAN:
        want = (f"a span longer than {PRECISIONS_MAX_DAY_SPAN} days (else 'day' or "
                "'bracketed')")
    if not want:
        return []
    return [Problem(file, row, field,
                    f"'{precision}' does not fit {start:%Y-%m-%d} to {end:%Y-%m-%d}", want)]


def _rule_claims(d, bib):
    """claims: figures fit their qualifier, belong to an existing event named by their id, and
    are not dated before their event; a partial count (tally 'partial') counts residents and
    says in its note what part of the event it counts"""
    out = []
    cl, ev = pd.concat([d.claims, d.unquantified], ignore_index=True), d.events
    f = _f(d, "casualty_claims.csv")
    events = ev.set_index("event_id")
    for r in cl.itertuples(index=False):
        _check_figure(out, f, r)
        if r.event_id not in events.index:
            out.append(Problem(f, r.csv_row, "event_id",
                               f"unknown event '{r.event_id}'", "an event_id of events.csv",
                               "correct the event_id, or add the event to data/events.csv"))
            continue
        owner = str(r.claim_id).split("--", 1)[0]
        if owner != r.event_id:
            out.append(Problem(
                f, r.csv_row, "event_id",
                f"claim '{r.claim_id}' is named for event '{owner}' but its event_id is "
                f"'{r.event_id}' (a claim moved to another event?)",
                "a claim_id that starts with its event_id followed by '--'",
                f"if the figure belongs to '{r.event_id}', rename the claim to "
                f"'{r.event_id}--{str(r.claim_id).split('--', 1)[-1]}' (and any glue key "
                "using it); otherwise set event_id back; then run `make estimates`"))
        start = events.loc[r.event_id, "start_date"]
        if isinstance(start, pd.Series):
            start = start.iloc[0]
        precision = "" if _blank(r.claim_date_precision) else str(r.claim_date_precision)
        # a date known only to the month or year is not before an event that starts within it
        if pd.notna(r.claim_date) and r.claim_date < _floor(start, precision):
            out.append(Problem(f, r.csv_row, "claim_date",
                               f"{r.claim_date:%Y-%m-%d} is before its event "
                               f"'{r.event_id}' starts ({start:%Y-%m-%d})",
                               "a claim dated on or after its event's start_date"))
        out.extend(_claim_precision_problems(f, r.csv_row, r.claim_date, precision))
        tally = "" if _blank(getattr(r, "tally", None)) else str(r.tally)
        if tally == "partial" and str(r.group) != "residents":
            out.append(Problem(f, r.csv_row, "tally",
                               f"'partial' on a count of {r.group}",
                               "'partial' only on a count of residents (counts of other groups "
                               "never enter an estimate)", "set tally to 'event'"))
        if tally == "partial" and _blank(getattr(r, "note", None)):
            out.append(Problem(f, r.csv_row, "note", "empty for a partial count",
                               "a note saying what part of the event the figure counts (e.g. "
                               "the wounded one hospital received)"))
    return out


CLAIM_PRECISIONS = ("day", "month", "year")


def _floor(ts, precision: str):
    """The first day of the month or year a date falls in, at 'month' or 'year' precision."""
    if precision == "month":
        return ts.replace(day=1)
    if precision == "year":
        return ts.replace(month=1, day=1)
    return ts


def _claim_precision_problems(file, row, date, precision: str) -> list[Problem]:
    """A claim's date precision: one of the codes, given exactly when there is a date, and a
    date that is the first day of its month ('month') or year ('year')."""
    field = "claim_date_precision"
    if precision and precision not in CLAIM_PRECISIONS:
        return [Problem(file, row, field, f"'{precision}' is not a precision code",
                        "one of " + ", ".join(CLAIM_PRECISIONS))]
    if pd.isna(date):
        return [] if not precision else [Problem(
            file, row, field, f"'{precision}' given for a claim with no claim_date",
            "empty when claim_date is empty (date_basis 'undated')")]
    if not precision:
        return [Problem(file, row, field, "empty for a dated claim",
                        "'day', 'month' or 'year': how much of claim_date the source shows")]
    if precision == "month" and date.day != 1:
        return [Problem(file, row, "claim_date",
                        f"{date:%Y-%m-%d} at 'month' precision is not the 1st of a month",
                        f"{date:%Y-%m}-01 (the month only), or claim_date_precision 'day'")]
    if precision == "year" and (date.month, date.day) != (1, 1):
        return [Problem(file, row, "claim_date",
                        f"{date:%Y-%m-%d} at 'year' precision is not 1 January",
                        f"{date.year}-01-01 (the year only), or claim_date_precision 'day' "
                        "or 'month'")]
    return []


def _rule_population(d, bib):
    """population counts fit their qualifier; conflicting counts in one month carry a note"""
    out = []
    po = d.population
    f = _f(d, "population.csv")
    for r in po.itertuples(index=False):
        _check_figure(out, f, r)
    res = po[po["group"].astype("string") == "residents"].copy()
    res["month_"] = res["date"].dt.strftime("%Y-%m")
    res["v_"] = res["value_min"].fillna(res["value_max"])
    for _, grp in res.groupby(["place", "month_"], observed=True):
        if grp["v_"].nunique() > 1:
            for r in grp.itertuples(index=False):
                if pd.isna(r.note) or not str(r.note).strip():
                    out.append(Problem(f, r.csv_row, "note",
                                       f"counts of {r.place} in {r.month_} disagree "
                                       f"({', '.join(sorted(set(str(int(v)) for v in grp['v_'])))})"
                                       " but this row has no note",
                                       "a note saying how this count relates to the others"))
    return out


def _rule_estimates(d, bib):
    """events' counts and grade equal what the written rules derive"""
    out = []
    ev, cl, so = d.events, d.claims, d.sources
    f = _f(d, "events.csv")
    known = set(ev["event_id"])
    # a claim with an error of its own (an unknown event or source, or moved to another event)
    # is reported on its own row; the events it touches are not checked here, since their
    # stored counts are not what is wrong and `make estimates` is not the fix
    owner = cl["claim_id"].astype("string").str.split("--", n=1).str[0]
    bad = ~cl["event_id"].isin(known) | ~cl["source_key"].isin(set(so["source_key"])) \
        | (owner != cl["event_id"].astype("string"))
    held = sorted((set(cl.loc[bad, "event_id"]) | set(owner[bad])) & known)
    if held:
        out.append(Problem(_rel(d.folder), None, None,
                           f"the counts and grade of event(s) {', '.join(held)} were not "
                           "checked because of the claim error(s) listed above", "",
                           "fix those claims, then run `make estimates`"))
    cl = cl[~bad]
    expected = expected_event_counts(cl, so, ev)
    graded = grades(ev, cl, so, d.attestations)
    for r in ev.itertuples(index=False):
        if r.event_id in held:
            continue
        for col in COUNT_COLUMNS_RULE:
            want = expected.at[r.event_id, col] if r.event_id in expected.index else pd.NA
            have = getattr(r, col)
            if pd.isna(want) and pd.isna(have):
                continue
            if pd.isna(want) or pd.isna(have) or int(want) != int(have):
                w = "empty (no eligible claim gives this figure)" if pd.isna(want) \
                    else str(int(want))
                h = "empty" if pd.isna(have) else str(int(have))
                out.append(Problem(f, r.csv_row, col,
                                   f"holds {h}, but the claims give {w} by the rule "
                                   "in analysis/derive.py", w, FIX_ESTIMATES))
        want = graded.get(r.event_id)
        have = "" if pd.isna(r.grade) else str(r.grade)
        if want is not None and have != want:
            out.append(Problem(f, r.csv_row, "grade",
                               f"holds '{have or 'empty'}', but its sources and claims give "
                               f"'{want}' by GRADE_RULE in analysis/derive.py", f"'{want}'",
                               FIX_ESTIMATES))
    return out


def _rule_periods(d, bib):
    """periods declare exactly the periods they overlap"""
    out = []
    pe = d.periods
    f = _f(d, "periods.csv")
    for r in pe.itertuples(index=False):
        actual = sorted(o.period_id for o in pe.itertuples(index=False)
                        if o.period_id != r.period_id and o.start_date <= r.end_date
                        and r.start_date <= o.end_date)
        declared = sorted(_split(r.overlaps))
        if actual != declared:
            out.append(Problem(f, r.csv_row, "overlaps",
                               f"declares '{';'.join(declared) or 'none'}', but its dates "
                               f"overlap '{';'.join(actual) or 'none'}'",
                               ";".join(actual) or "empty"))
    return out


BEGAN_HOW_TYPES = {"founding": {"founding"}, "raid": {"raid"}, "relocation": {"relocation"},
                   "agreement": {"control_change"}, "handover": {"control_change"},
                   "capture": {"control_change"}}


def _rule_spells(d, bib):
    """control spells are contiguous from 1986 and each begins with a matching event; every
    control_change event begins a spell"""
    out = []
    sp, ev = d.spells, d.events
    f, fe = _f(d, "control_spells.csv"), _f(d, "events.csv")
    event_ids = set(ev["event_id"])
    types = dict(zip(ev["event_id"], ev["event_type"].astype("string")))
    rows = list(sp.sort_values("start_date", kind="stable").itertuples(index=False))
    if rows and rows[0].start_date.year != 1986:
        out.append(Problem(f, rows[0].csv_row, "start_date",
                           f"the first spell starts {rows[0].start_date:%Y-%m-%d}",
                           "a first spell starting in 1986"))
    for prev, nxt in zip(rows, rows[1:]):
        if pd.isna(prev.end_date):
            out.append(Problem(f, prev.csv_row, "end_date",
                               "an open-ended spell is followed by another spell",
                               "only the last spell without end_date"))
        elif nxt.start_date < prev.end_date:
            out.append(Problem(f, nxt.csv_row, "start_date",
                               f"starts {nxt.start_date:%Y-%m-%d}, overlapping spell "
                               f"'{prev.spell_id}' which ends {prev.end_date:%Y-%m-%d}",
                               f"start_date = {prev.end_date:%Y-%m-%d}"))
        elif nxt.start_date > prev.end_date:
            out.append(Problem(f, nxt.csv_row, "start_date",
                               f"starts {nxt.start_date:%Y-%m-%d}, leaving a gap after spell "
                               f"'{prev.spell_id}' which ends {prev.end_date:%Y-%m-%d}",
                               f"start_date = {prev.end_date:%Y-%m-%d} (or an 'unknown' "
                               "spell for the gap)"))
    began = {}
    for r in rows:
        if pd.notna(r.end_date) and r.end_date <= r.start_date:
            out.append(Problem(f, r.csv_row, "end_date",
                               "the spell ends on or before its start", "end_date > start_date"))
        if pd.notna(r.began_event_id):
            began[r.began_event_id] = r
            if r.began_event_id not in event_ids:
                out.append(Problem(f, r.csv_row, "began_event_id",
                                   f"unknown event '{r.began_event_id}'",
                                   "an event_id of events.csv"))
            else:
                allowed = BEGAN_HOW_TYPES.get(str(r.began_how))
                kind = str(types[r.began_event_id])
                if allowed and kind not in allowed:
                    out.append(Problem(f, r.csv_row, "began_event_id",
                                       f"began by '{r.began_how}', but event "
                                       f"'{r.began_event_id}' is of type '{kind}'",
                                       "an event of type " + " or ".join(sorted(allowed))))
        if pd.isna(r.began_event_id) and str(r.controller) != "unknown":
            out.append(Problem(f, r.csv_row, "began_event_id",
                               "missing", "the event that began the spell"))
    if rows and pd.notna(rows[-1].end_date):
        out.append(Problem(f, rows[-1].csv_row, "end_date",
                           "the last spell ends; nobody controls the camp after it",
                           "an empty end_date (ongoing) or a further spell"))
    for r in ev.itertuples(index=False):
        if str(r.event_type) == "control_change" and r.event_id not in began:
            out.append(Problem(fe, r.csv_row, "event_type",
                               "'control_change' but no spell of control_spells.csv begins "
                               "with this event",
                               "'control_change' only for an event that begins a control "
                               "spell ('deployment' or 'report' for forces seen at a site)"))
    # every event at Camp Ashraf lies inside one control spell (a span may cross spells)
    at_ashraf = ev[(ev["place"].astype("string") == "ashraf")
                   & (ev["date_precision"].astype("string") != "span")]
    for r in at_ashraf.itertuples(index=False):
        inside = [s for s in rows if s.start_date <= r.start_date and
                  (pd.isna(s.end_date) or r.end_date <= s.end_date)]
        if not inside:
            out.append(Problem(fe, r.csv_row, "start_date",
                               f"{r.start_date:%Y-%m-%d} to {r.end_date:%Y-%m-%d} is not "
                               "inside one control spell", "dates within one spell of "
                               "control_spells.csv"))
    return out


QUOTE_LIMIT = 300
QUOTE_TARGET = 0.95
"""Share of attestations and of claims that must carry a quote, and of references.bib entries
that must open at a page (not a site's home page)."""


def _blank(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v)) or str(v).strip() == ""


def _quote_problems(f, r, out) -> None:
    """A row's quote, or the reason it has none; language, gloss and where it was read."""
    if _blank(r.quote):
        if _blank(r.no_quote_reason):
            out.append(Problem(f, r.csv_row, "quote", "no quote and no no_quote_reason",
                               "the source's own words (at most 300 characters), or a "
                               "no_quote_reason (print_only, paywalled, audio_video, "
                               "not_in_stored_copy)"))
        return
    if len(str(r.quote)) > QUOTE_LIMIT:
        out.append(Problem(f, r.csv_row, "quote",
                           f"quote of {len(str(r.quote))} characters",
                           f"at most {QUOTE_LIMIT} characters (elide with '…')"))
    if not _blank(r.no_quote_reason):
        out.append(Problem(f, r.csv_row, "no_quote_reason",
                           f"'{r.no_quote_reason}' given although the row has a quote",
                           "no_quote_reason empty when quote is given"))
    if _blank(r.quote_language):
        out.append(Problem(f, r.csv_row, "quote_language", "empty",
                           "the ISO 639-1 code of the quote's language"))
    elif str(r.quote_language) != "en" and _blank(r.gloss):
        out.append(Problem(f, r.csv_row, "gloss",
                           f"no English gloss for a quote in '{r.quote_language}'",
                           "an English translation of the quote"))
    if _blank(r.read_as) or str(r.read_as) == "not_read":
        out.append(Problem(f, r.csv_row, "read_as",
                           f"'{'' if _blank(r.read_as) else r.read_as}' for a quoted row",
                           "'original' or 'copy' (a quote was read somewhere)"))
    elif _blank(r.read_at) or _home_page(str(r.read_at)):
        out.append(Problem(f, r.csv_row, "read_at",
                           "empty" if _blank(r.read_at) else f"'{r.read_at}' is a home page",
                           "the full URL of the page where the quote was read"))


def _home_page(url: str) -> bool:
    """True for a URL that is only a site's home page: empty path, '/', or an index page."""
    from urllib.parse import urlparse
    u = urlparse(url.strip())
    path = u.path.rstrip("/")
    return not u.netloc or (path in ("", "/") or re.fullmatch(
        r"/?(index|default|home)(\.[a-z]+)?", path, re.I) is not None) and not u.query


def _rule_attestations(d, bib):
    """attestations and claims carry a quote or a reason, within the length limit; claims carry
    a date or date_basis 'undated'; events.source_keys lists exactly its attestations' sources"""
    out = []
    f = _f(d, "attestations.csv")
    a = d.attestations
    for r in a.itertuples(index=False):
        want = f"{r.event_id}--{r.source_key}"
        if r.attestation_id != want:
            out.append(Problem(f, r.csv_row, "attestation_id", f"'{r.attestation_id}'",
                               f"'{want}' (event_id--source_key)"))
        _quote_problems(f, r, out)
        if str(r.stance) == "relay" and _blank(r.relays):
            out.append(Problem(f, r.csv_row, "relays", "empty for a relay",
                               "the speaker_type of the party whose statement is repeated"))
    fc = _f(d, "casualty_claims.csv")
    for r in pd.concat([d.claims, d.unquantified], ignore_index=True).itertuples(index=False):
        _quote_problems(fc, r, out)
        if pd.isna(r.claim_date) and str(r.date_basis) != "undated":
            out.append(Problem(fc, r.csv_row, "claim_date",
                               "no date and no stated reason",
                               "the date the figure was given, or date_basis 'undated' "
                               "(with a note saying why)"))
        if pd.notna(r.claim_date) and _blank(r.date_basis):
            out.append(Problem(fc, r.csv_row, "date_basis", "empty",
                               "'stated' or 'published': how the claim_date is known"))
    if "source_keys" in d.events.columns:
        fe = _f(d, "events.csv")
        by_event = a.groupby("event_id")["source_key"].apply(set).to_dict() if len(a) else {}
        for r in d.events.itertuples(index=False):
            keys = set(_split(r.source_keys))
            att = by_event.get(r.event_id, set())
            if keys != att:
                extra, lack = sorted(keys - att), sorted(att - keys)
                out.append(Problem(
                    fe, r.csv_row, "source_keys",
                    "differs from attestations.csv" +
                    (f": no attestation for {', '.join(extra)}" if extra else "") +
                    (f"; attested but not listed: {', '.join(lack)}" if lack else ""),
                    "exactly the source keys of the event's rows in attestations.csv",
                    "add an attestation row per source (or drop the key), then validate"))
    return out


def _bib_urls(bib: Path) -> dict[str, str]:
    text = bib.read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)(?=\n@|\Z)", text, re.S):
        u = re.search(r"\burl\s*=\s*[{\"]([^}\"]*)", m.group(2))
        out[m.group(1)] = u.group(1).strip() if u else ""
    return out


def coverage(d: Dataset, bib: Path | None = None) -> dict[str, tuple[int, int]]:
    """(with, of) for quotes on attestations, quotes on claims and openable references (a URL
    that is not only a site's home page)."""
    bib = bib or d.folder.parent / "references.bib"
    a, c = d.attestations, d.claims
    urls = _bib_urls(bib) if bib.exists() else {}
    return {
        "attestations with a quote": (int((~a["quote"].map(_blank)).sum()), len(a)),
        "claims with a quote": (int((~c["quote"].map(_blank)).sum()), len(c)),
        "references opening at a page (home pages excluded)":
            (sum(1 for u in urls.values() if u and not _home_page(u)), len(urls)),
    }


def coverage_lines(d: Dataset, bib: Path | None = None) -> list[str]:
    return [f"{name}: {n} of {total} ({(n / total if total else 0):.1%}; target "
            f"{QUOTE_TARGET:.0%})" for name, (n, total) in coverage(d, bib).items()]


def _rule_changes(d, bib):
    """every change since the previous release to an event's best estimate, grade, dates or
    type has a reason in data/changes.csv"""
    from .changes import PREVIOUS, changed_events
    if not (d.folder / "releases" / PREVIOUS / "events.csv").exists():
        return [Problem(_rel(d.folder / "releases" / PREVIOUS / "events.csv"), None, None,
                        "file not found", f"the events.csv of release {PREVIOUS}")]
    out = []
    for r in changed_events(d.folder).itertuples(index=False):
        if not r.reason and r.new != "added":  # a new event needs no reason
            out.append(Problem(_f(d, "changes.csv"), None, "reason",
                               f"event '{r.event_id}': {r.field} changed since {PREVIOUS} "
                               f"('{r.old}' to '{r.new}') with no reason",
                               f"a row '{r.event_id},{r.field},<why>'"))
    return out


RULES = [  # (rule, the tables it reads)
    (_rule_unique_ids, ()),
    (_rule_dates, ()),
    (_rule_sources, ("sources", "events", "spells", "claims", "population")),
    (_rule_events, ("events", "periods")),
    (_rule_claims, ("claims", "events")),
    (_rule_population, ("population",)),
    (_rule_periods, ("periods",)),
    (_rule_spells, ("spells", "events")),
    (_rule_estimates, ("events", "claims", "sources", "attestations")),
    (_rule_attestations, ("attestations", "claims", "events")),
    (_rule_changes, ("events",)),
]


def _check_figure(out, file, r) -> None:
    q, lo, hi = str(r.qualifier), r.value_min, r.value_max
    ok = {"exact": pd.notna(lo) and pd.notna(hi) and lo == hi,
          "about": pd.notna(lo) and pd.notna(hi) and lo == hi,
          "at_least": pd.notna(lo) and pd.isna(hi),
          "up_to": pd.isna(lo) and pd.notna(hi),
          "unquantified": pd.isna(lo) and pd.isna(hi)}.get(q, True)
    want = {"exact": "value_min = value_max", "about": "value_min = value_max",
            "at_least": "value_min and an empty value_max",
            "up_to": "value_max and an empty value_min",
            "unquantified": "value_min and value_max both empty"}.get(q, "")
    if not ok:
        out.append(Problem(file, r.csv_row, "qualifier",
                           f"'{q}' does not fit value_min {_s(lo)} / value_max {_s(hi)}", want))


def _s(v) -> str:
    return "empty" if pd.isna(v) else str(int(v))


def validate(folder: Path | str | None = None, bib: Path | str | None = None) -> list[Problem]:
    """Every problem in the data package, all in one pass: each file's structure and values,
    frictionless (constraints, keys), then every rule across fields and tables whose tables
    loaded (a rule that cannot run says why). An empty list means the data is valid."""
    folder = data_dir(folder)
    bib = Path(bib) if bib else (folder.parent / "references.bib")
    try:
        descriptor = read_descriptor(folder)
    except DataError as err:
        return err.problems
    problems = _structure(folder, descriptor)
    broken_files = {p.file for p in problems}
    d = Dataset(folder)
    for attr in ("periods", "sources", "events", "claims", "attestations", "spells",
                 "population"):
        try:
            getattr(d, attr)
        except DataError as err:
            problems.extend(p for p in err.problems if p not in problems)
    if not bib.exists():
        problems.append(Problem(_rel(bib), None, None, "file not found",
                                "the book's BibTeX file"))
    else:
        problems.extend(_bib_syntax(bib))
        problems.extend(rules(d, bib))
    # frictionless last: keep only what the checks above did not already say of that cell
    # (one message per mistake), and nothing about a file whose structure is broken
    seen = {(p.file, p.row, p.field) for p in problems}
    for p in _frictionless(folder):
        if p.file in broken_files or (p.file, p.row, p.field) in seen:
            continue
        seen.add((p.file, p.row, p.field))
        problems.append(p)
    return problems


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
          f"control spells, {len(d.population)} population counts, {len(d.sources)} sources, "
          f"{len(d.attestations)} attestations")
    for line in coverage_lines(d):
        print(line)
    return 0
