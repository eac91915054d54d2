"""The data behind each chart, as a reader can take it away: under every chart of the site a
link to the rows it draws, as CSV (the file travels inside the page as a ``data:`` address,
so the link needs no file beside the page and works offline), and the same rows as a table in
a collapsed ``<details>`` block: a text alternative to the chart beyond its alt text.

The companions that return the rows (``control_rows``, ``casualty_rows``, ...) select exactly
what the plotting functions of ``analysis.plot`` draw; tests/test_figdata.py draws each chart
and checks its marks against these rows.

The block is for the site only (the PDF has the chapters' tables and the data package
instead).
"""
from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

from . import derive

ENCODING = "utf-8"


def to_csv(frame: pd.DataFrame) -> str:
    """The rows as CSV text: UTF-8, '\\n' line ends, ISO dates, no index; deterministic."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, lineterminator="\n")


def data_uri(frame: pd.DataFrame) -> str:
    payload = base64.b64encode(to_csv(frame).encode(ENCODING)).decode("ascii")
    return f"data:text/csv;charset={ENCODING};base64,{payload}"


def decode_data_uri(uri: str) -> str:
    """The CSV text of a link made by ``data_uri`` (for tests and readers' scripts)."""
    head, _, payload = uri.partition(",")
    if not head.startswith("data:text/csv") or ";base64" not in head:
        raise ValueError(f"not a CSV data address: {uri[:60]}")
    return base64.b64decode(payload).decode(ENCODING)


class Block:
    """HTML shown on the site only: a CSV download link and a collapsed data table."""

    def __init__(self, frame: pd.DataFrame, name: str, what: str):
        self.frame, self.name, self.what = frame, name, what

    def _repr_html_(self) -> str:
        f = self.frame
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in f.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in f.itertuples(index=False))
        n = len(f)
        return (f'<div class="figure-data" id="data-{html.escape(self.name)}">'
                f'<p><a download="{html.escape(self.name)}.csv" href="{data_uri(f)}">'
                f"Download the data of this chart (CSV, {n} row{'s' if n != 1 else ''})</a>"
                f"</p><details><summary>The data behind this chart: {html.escape(self.what)}"
                f"</summary><div class=\"table-wrapper\" style=\"overflow-x:auto\"><table class=\"table\">"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
                "</details></div>")

    def show(self) -> None:
        show_html(self._repr_html_())


def show_html(text: str) -> None:
    """Display HTML for the site and nothing for the PDF: the output carries the HTML and, as
    its Markdown alternative, a MyST comment (the LaTeX builder, which cannot use HTML, takes
    the comment and prints nothing; no plain-text repr is added)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display({"text/html": text, "text/markdown": "% shown on the site only"}, raw=True)


def _cell(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


# --- the rows each chart draws ----------------------------------------------------------

def control_rows(spells: pd.DataFrame, events: pd.DataFrame, start, end, today) -> pd.DataFrame:
    """plot.control_timeline: the spells of control within the window (clipped to it) and
    the attacks at Camp Ashraf within it, with the best estimate of killed that sizes them."""
    rows = []
    for s in spells.itertuples(index=False):
        s_end = s.end_date if pd.notna(s.end_date) else today
        if s_end < start or s.start_date > end:
            continue
        rows.append({"row": "control", "start_date": max(s.start_date, start),
                     "end_date": min(s_end, end), "controller": str(s.controller),
                     "control_kind": str(s.control_kind), "event_id": "", "title": "",
                     "grade": "", "killed_best": pd.NA})
    att = derive.attacks(events)
    att = att[(att["place"].astype("string") == "ashraf")
              & (att["start_date"] >= start) & (att["start_date"] <= end)]
    for e in att.itertuples(index=False):
        rows.append({"row": "attack", "start_date": e.start_date, "end_date": e.end_date,
                     "controller": "", "control_kind": "", "event_id": e.event_id,
                     "title": e.title, "grade": str(getattr(e, "grade", "") or ""),
                     "killed_best": e.killed_best})
    cols = ["row", "start_date", "end_date", "controller", "control_kind", "event_id",
            "title", "grade", "killed_best"]
    out = pd.DataFrame(rows, columns=cols)
    out["killed_best"] = out["killed_best"].astype("Int64")
    return out


def casualty_rows(events: pd.DataFrame, claims: pd.DataFrame,
                  measures=("killed", "wounded")) -> pd.DataFrame:
    """plot.casualty_ranges: per attack and measure the low, best and high estimate, and
    every residents' figure drawn as a marker (one row per figure; an attack or measure
    without a figure has one row with no figure)."""
    att = derive.attacks(events).sort_values("start_date", ascending=False, kind="stable")
    rows = []
    for e in att.itertuples(index=False):
        for m in measures:
            base = {"event_id": e.event_id, "date": e.start_date, "title": e.title,
                    "measure": m, "low": getattr(e, f"{m}_low"),
                    "best": getattr(e, f"{m}_best"), "high": getattr(e, f"{m}_high")}
            mine = claims[(claims["event_id"] == e.event_id) & (claims["measure"] == m)
                          & (claims["group"].astype("string") == "residents")]
            if pd.isna(base["low"]) or mine.empty:
                rows.append({**base, "claim_id": "", "source_key": "", "source_class": "",
                             "qualifier": "", "figure": pd.NA})
                continue
            for c in mine.sort_values(["point", "claim_id"], kind="stable").itertuples(
                    index=False):
                rows.append({**base, "claim_id": c.claim_id, "source_key": c.source_key,
                             "source_class": c.source_class if isinstance(
                                 c.source_class, str) else "Other",
                             "qualifier": str(c.qualifier), "figure": c.point})
    cols = ["event_id", "date", "title", "measure", "low", "best", "high", "claim_id",
            "source_key", "source_class", "qualifier", "figure"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("low", "best", "high", "figure"):
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    return out


def population_rows(pop: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """plot.population: each count of residents drawn (one marker each)."""
    data = pop
    if start is not None:
        data = data[(data["date"] >= start) & (data["date"] <= end)]
    cols = ["population_id", "date", "place", "qualifier", "value_min", "value_max",
            "source_key", "quoted"]
    out = data[cols].copy()
    out["place"] = out["place"].astype("string")
    out["qualifier"] = out["qualifier"].astype("string")
    return out.reset_index(drop=True)


def totals_rows(totals: pd.DataFrame, measure: str = "killed") -> pd.DataFrame:
    """plot.period_totals: one bar per period, best with low and high."""
    cols = ["period_id", "title", f"{measure}_low", f"{measure}_best", f"{measure}_high"]
    return totals[cols].reset_index(drop=True)


def cumulative_rows(cum: pd.DataFrame) -> pd.DataFrame:
    """plot.cumulative: the running totals, one step per attack with a figure."""
    return cum[["start_date", "event_id", "killed_low", "killed_best",
                "killed_high"]].reset_index(drop=True)


def sources_rows(table: pd.DataFrame) -> pd.DataFrame:
    """plot.claims_by_source: figures given per kind of source and measure."""
    return table.reset_index().rename(columns={"source_class": "kind_of_source"})
