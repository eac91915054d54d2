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
import re

import numpy as np
import pandas as pd

from . import derive
from .labels import kind_label

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
                             "source_class": c.chart_class if isinstance(
                                 c.chart_class, str) else "Other",
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
    return cum[["start_date", "event_id", "place", "killed_low", "killed_best",
                "killed_high", "killed_best_ashraf"]].reset_index(drop=True)


def sources_rows(table: pd.DataFrame) -> pd.DataFrame:
    """plot.claims_by_source: figures given per kind of source and measure."""
    return table.reset_index().rename(columns={"source_class": "kind_of_source"})


# --- how a chart reaches the page ---------------------------------------------------------

MIN_TEXT_PX = 9.0        # the smallest chart text a reader sees, in CSS pixels
_FONT = re.compile(r"font(?:-size)?:\s*(?:italic\s+|bold\s+|normal\s+)*([0-9.]+)px")
_ID = re.compile(r'\bid="([^"]+)"')


def _links(fig) -> dict[str, tuple[str, str, bool]]:
    """gid -> (address, tooltip, in tab order) of the marks ``plot.link`` made links."""
    return getattr(fig, "chart_links", {})


def svg_text(fig, name: str) -> str:
    """The figure as SVG to put inline in a page: no XML prologue, no metadata; every id
    prefixed with the chart's name (several charts share one page, and one HTML document
    may not repeat an id); each linked mark's <a> carries a <title> (its tooltip and
    accessible name) and opens in the same tab. Deterministic: same figure, same bytes."""
    import io

    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": f"camp-ashraf-{name}"}):
        fig.savefig(buf, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    links = _links(fig)
    ids = set(_ID.findall(svg))

    def new_id(old: str) -> str:
        return f"{prefix}-{old}"

    svg = _ID.sub(lambda m: f'id="{new_id(m.group(1))}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{new_id(m.group(1))})"
                 if m.group(1) in ids else m.group(0), svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{new_id(m.group(1))}"'
                 if m.group(1) in ids else m.group(0), svg)
    for gid, (url, tip, tab) in links.items():
        start = svg.find(f'<g id="{new_id(gid)}">')
        if start < 0:
            raise ValueError(f"chart {name}: the linked mark {gid} is not in the SVG")
        a = svg.find("<a ", start)
        end = svg.find(">", a)
        attrs = f'href="{html.escape(url)}"' + ("" if tab else ' tabindex="-1"')
        svg = svg[:a] + f"<a {attrs}><title>{html.escape(tip)}</title>" + svg[end + 1:]
    return svg.strip() + "\n"


def min_width_px(svg: str) -> int:
    """The width (CSS px) below which the chart's smallest text would be drawn smaller than
    MIN_TEXT_PX: the chart never shrinks below it (its frame scrolls sideways instead)."""
    width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))
    sizes = [float(s) for s in _FONT.findall(svg)]
    smallest = min(sizes) if sizes else 10.0
    return int(np.ceil(MIN_TEXT_PX * width / smallest))


def pdf_base64(fig) -> str:
    """The figure as PDF (for the LaTeX book), without links: the PDF stays static."""
    import io

    saved = {}
    for artist in fig.findobj(lambda a: a.get_gid() in _links(fig)):
        saved[artist] = artist.get_url()
        artist.set_url(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", bbox_inches="tight")
    for artist, url in saved.items():
        artist.set_url(url)
    return base64.b64encode(buf.getvalue()).decode("ascii")


class Chart:
    """A chart as a notebook shows it: on the site, the SVG inline in the page (so that its
    marks can be links with tooltips), named by its alt text, in a frame that keeps its text
    legible on a phone, with a link that opens it full size (plain CSS, see
    chapters/_static/charts.css); in the PDF, the same figure as vector PDF. The alt text is
    made from the rows the chart draws (``alt_*`` below), so it cannot go stale."""

    def __init__(self, fig, name: str, alt: str, narrow=None):
        if not alt.strip():
            raise ValueError(f"chart {name}: empty alt text")
        self.fig, self.name, self.alt, self.narrow = fig, name, alt, narrow

    def _svg(self, fig, name: str) -> str:
        svg = svg_text(fig, name)
        role = "group" if _links(fig) else "img"
        svg = svg.replace(
            "<svg ", f'<svg class="chart-svg" role="{role}" aria-label="{html.escape(self.alt)}" '
            f'style="min-width:{min_width_px(svg)}px" ', 1)
        return re.sub(r'(<svg[^>]*?) width="[^"]+" height="[^"]+"', r"\1", svg, count=1)

    def html(self) -> str:
        """The chart's HTML; with a ``narrow`` figure, both layouts, the narrow one shown on
        a phone instead of the wide one (chapters/_static/charts.css; the other is hidden
        with display:none, so a screen reader meets one chart)."""
        box = f"chart-{self.name}"
        body = f'<div class="chart-scroll chart-wide">{self._svg(self.fig, self.name)}</div>'
        if self.narrow is not None:
            body += ('<div class="chart-scroll chart-narrow">'
                     f'{self._svg(self.narrow, self.name + "-narrow")}</div>')
        return (f'<div class="chart-box" id="{box}-box"><div class="chart" id="{box}">{body}'
                f'<p class="chart-tools"><a class="chart-open" href="#{box}">Open the chart '
                f'full size</a><a class="chart-close" href="#{box}-box">Close the full-size '
                "chart</a></p></div></div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html(), "application/pdf": pdf_base64(self.fig),
                "text/plain": f"[chart {self.name}: {self.alt}]"}


# --- alt text, made from the rows each chart draws -----------------------------------------

def _when(ts) -> str:
    return f"{ts.day} {ts.strftime('%B')} {ts.year}"


def _month(ts) -> str:
    return f"{ts.strftime('%B')} {ts.year}"


def _n(v) -> str:
    return "no figure" if v is None or pd.isna(v) else f"{int(v):,}"


def alt_control(rows: pd.DataFrame, start, end, labels: dict[str, str]) -> str:
    """plot.control_timeline, from control_rows."""
    spells = rows[rows["row"] == "control"]
    att = rows[rows["row"] == "attack"]
    parts = [f"A timeline from {start.year} to {end.year} of who controlled Camp Ashraf."]
    parts.append("Band of control: " + "; ".join(
        f"{labels.get(s.controller, s.controller)} "
        f"({kind_label(s.control_kind, labels.get(s.controller, s.controller))}) "
        f"from {_month(s.start_date)} to {_month(s.end_date)}" for s in spells.itertuples())
        + ".")
    if att.empty:
        parts.append("No attack on the camp is recorded in these years.")
        return " ".join(parts)
    parts.append(f"Circles below the band mark {len(att)} attack{'s' if len(att) != 1 else ''}"
                 " on the camp, sized by the best estimate of people killed")
    shown = att if len(att) <= 6 else att.sort_values(
        ["killed_best", "start_date"], ascending=[False, True], na_position="last").head(3)
    lead = ": " if len(att) <= 6 else "; the deadliest: "
    parts[-1] += lead + "; ".join(
        f"{_when(e.start_date)}, {e.title} ({_n(e.killed_best)} killed"
        f"{', ' + e.grade.replace('_', ' ') if e.grade else ''})"
        for e in shown.sort_values("start_date").itertuples()) + "."
    return " ".join(parts)


def alt_casualty(rows: pd.DataFrame) -> str:
    """plot.casualty_ranges, from casualty_rows."""
    if rows.empty:
        return "No attack on the camp or its residents is recorded in this period."
    events = rows.drop_duplicates("event_id")
    # a measure no attack has a figure of gets no panel (plot.casualty_ranges leaves it out)
    drawn = [m for m in rows["measure"].drop_duplicates()
             if rows.loc[rows["measure"] == m, "low"].notna().any()]
    missing = [m for m in rows["measure"].drop_duplicates() if m not in drawn]
    panels = (f"One panel, {drawn[0]}," if len(drawn) == 1 else
              f"Two panels, {' and '.join(drawn)},")
    parts = [f"{panels} with a row for each of {len(events)} "
             f"attack{'s' if len(events) != 1 else ''}: the range from the lowest to the highest "
             "figure any source gives, the best estimate and each source's figure."]
    if missing:
        parts.append(f"No panel of people {' or '.join(missing)}: no source gives a figure "
                     "of them for these attacks.")
    for e in events.itertuples():
        mine = rows[rows["event_id"] == e.event_id]
        said = []
        for m, grp in mine.groupby("measure", sort=False):
            g = grp.iloc[0]
            figures = grp["figure"].notna().sum()
            if pd.isna(g["low"]) or figures == 0:
                said.append(f"{m}: no figure given")
            else:
                said.append(f"{m}: best estimate {_n(g['best'])}, figures from {_n(g['low'])} "
                            f"to {_n(g['high'])} ({figures} figure{'s' if figures != 1 else ''})")
        parts.append(f"{_when(e.date)}, {e.title}: " + "; ".join(said) + ".")
    return " ".join(parts)


def alt_population(rows: pd.DataFrame, places: dict[str, str]) -> str:
    """plot.population, from population_rows."""
    if rows.empty:
        return "No count of residents is recorded for this period."
    value = rows["value_min"].fillna(rows["value_max"])
    parts = [f"{len(rows)} counts of residents from {rows['date'].min().year} to "
             f"{rows['date'].max().year}, one marker per place:"]
    for place, grp in rows.assign(value=value).groupby("place", sort=False, observed=True):
        parts.append(f"{places.get(str(place), str(place))}, {len(grp)} count"
                     f"{'s' if len(grp) != 1 else ''} from {_n(grp['value'].min())} to "
                     f"{_n(grp['value'].max())};")
    peak = rows.assign(value=value).sort_values("value", ascending=False).iloc[0]
    parts.append(f"the highest, {_n(peak['value'])}, at {places.get(str(peak['place']))} in "
                 f"{peak['date'].year}.")
    return " ".join(parts)


def alt_totals(rows: pd.DataFrame, measure: str = "killed") -> str:
    return (f"Horizontal bars, one per chapter, of people {measure} in attacks (best estimate, "
            "whiskers from the lowest to the highest sum of figures): " + "; ".join(
                f"{r.title}, " + ("no figure" if pd.isna(getattr(r, measure + "_best")) else
                                  f"{_n(getattr(r, measure + '_best'))} "
                                  f"({_n(getattr(r, measure + '_low'))} to "
                                  f"{_n(getattr(r, measure + '_high'))})")
                for r in rows.itertuples()) + ".")


def alt_cumulative(rows: pd.DataFrame, start, end) -> str:
    last = rows.iloc[-1]
    return (f"A step line of people killed in attacks, cumulated from {start.year} to "
            f"{end.year}: {len(rows)} steps, one per attack with a figure, the first on "
            f"{_when(rows['start_date'].iloc[0])}, rising to a best estimate of "
            f"{_n(last['killed_best'])} inside a band from {_n(last['killed_low'])} to "
            f"{_n(last['killed_high'])}; a dashed line counts only the dead at Camp Ashraf, "
            f"{_n(last['killed_best_ashraf'])} by the best estimates, and a coloured strip "
            "along the bottom shows who controlled Camp Ashraf.")


def alt_sources(rows: pd.DataFrame) -> str:
    cols = [c for c in rows.columns if c not in ("kind_of_source", "all")]
    return ("Stacked horizontal bars of the figures given, one bar per kind of source, split "
            "by what they count: " + "; ".join(
                f"{r['kind_of_source']}, " + ", ".join(f"{int(r[c])} {c}" for c in cols
                                                        if r[c]) for _, r in rows.iterrows())
            + ".")
