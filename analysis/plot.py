"""The book's charts. Each function takes typed tables (from ``load``/``derive``) and returns a
matplotlib Figure; nothing here reads files or computes a figure the data does not hold."""
from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator

from . import style
from .derive import GRADE_LABELS, SOURCE_CLASS, attacks
from .labels import began_label, kind_label
from .register import anchor
from .text import fmt_count, fmt_span, short_date



REGISTER = "register.html"   # the register of events, beside every chapter page
LABEL_ROWS = (1.42, 1.72, 2.02, 2.32)   # heights of the labels of changes of control
LABEL_SIZE = 8
NARROW = 3.9   # inches: the width of a chart's phone layout (its text stays >= 9 px at 390 px)


def link(fig: Figure, artist, gid: str, url: str, tip: str, tab: bool = True) -> None:
    """Make a mark a link (on the site; ``figdata`` leaves it out of the PDF) with a tooltip.
    ``tab``: whether the link is in the keyboard's tab order (one per event is enough)."""
    artist.set_gid(gid)
    artist.set_url(url)
    links = getattr(fig, "chart_links", {})
    if gid in links:
        raise ValueError(f"two marks share the id {gid}")
    links[gid] = (url, tip, tab)
    fig.chart_links = links


def event_url(event_id: str) -> str:
    return f"{REGISTER}#{anchor(event_id)}"


def event_tip(e) -> str:
    """What a mark of an event says on hover: date, title, grade and best estimates."""
    grade = getattr(e, "grade", None)
    parts = [f"{fmt_span(e.start_date, e.end_date, e.date_precision)}: {e.title}"]
    if isinstance(grade, str) and grade:
        parts.append(f"grade: {GRADE_LABELS.get(grade, grade)}")
    parts.append("killed (best estimate): " + (fmt_count(e.killed_best)
                 if pd.notna(e.killed_best) else "no figure"))
    if pd.notna(getattr(e, "wounded_best", pd.NA)):
        parts.append(f"wounded (best estimate): {fmt_count(e.wounded_best)}")
    return "; ".join(parts) + ". Open its entry in the register."


def _new(height: float, ncols: int = 1, width: float = style.WIDTH,
         **kw) -> tuple[Figure, list]:
    style.apply()
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False, **kw)[0]
    return fig, list(axes)


def _wrap(text: str, width: int) -> str:
    """A label broken onto as many lines as it needs: never cut short with an ellipsis (a
    reader must be able to tell two attacks apart by their labels)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _date_axis(ax, start: pd.Timestamp, end: pd.Timestamp, narrow: bool = False) -> None:
    ax.set_xlim(start, end)
    years = (end - start).days / 365.25
    if years > 12:
        ax.xaxis.set_major_locator(mdates.YearLocator(10 if narrow else 5))
    elif years > 4:
        ax.xaxis.set_major_locator(mdates.YearLocator(2 if narrow else 1))
    elif narrow and years > 1.5:
        ax.xaxis.set_major_locator(mdates.YearLocator(1))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        return
    elif years > 1.5:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    if years > 4:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))


STACK_STEP = 0.2    # axis units between two rows of attack markers
STACK_GAP = 0.015   # share of the chart's time span within which two markers would touch


def stack_rows(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """For attacks in date order, the row (0, 1, 2 …) each marker is drawn in: the first row
    whose last marker is at least STACK_GAP of the time span away, so that no marker hides
    another (the rockets and mortars of 25, 27 and 28 December 2011)."""
    gap = (end - start) * STACK_GAP
    last: list[pd.Timestamp] = []   # the date of the last marker in each row
    rows = []
    for d in dates:
        row = next((i for i, t in enumerate(last) if d - t >= gap), len(last))
        if row == len(last):
            last.append(d)
        else:
            last[row] = d
        rows.append(row)
    return np.array(rows, dtype=float)


# an attack for which no source gives a number of people killed: a grey diamond, not a dot
# sized as if the count were known to be none
NO_FIGURE = {"marker": "D", "ms": 5.0, "mfc": "#BBBBBB"}

# labels of the patches laid over a control chart's band (not spells; kept out of legends)
OVERLAY = {"uncertain": "_uncertain date", "outside": "_outside the period"}


def control_timeline(spells: pd.DataFrame, events: pd.DataFrame,
                     start: pd.Timestamp, end: pd.Timestamp,
                     today: pd.Timestamp | None = None, narrow: bool = False,
                     period: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> Figure:
    """Who controlled Camp Ashraf between two dates: one band of control spells (colour and
    hatch per controller), each change of control marked with how it happened, and the
    attacks on the camp below it, sized by the best estimate of people killed. ``narrow``:
    the layout for a phone (NARROW wide, fewer ticks, the legend in two columns).
    A change of control dated only to the year or month is drawn over the whole year or
    month it may fall in (UNCERTAIN: faded and hatched); ``period``: the chapter's own
    dates, the time of the window outside them shaded grey (OUTSIDE). Every spell from the
    first of the emptied camp on is pale: whoever held the site then, no residents lived
    there (spells in time order)."""
    today = today or pd.Timestamp.today().normalize()
    fig, (ax,) = _new(4.8, width=NARROW) if narrow else _new(3.3)
    shown = set()
    emptied = None   # the controller of a spell of the empty camp drawn (pale: no one inside)
    changes: list[tuple[pd.Timestamp, str]] = []
    last_cid = None   # the controller of the spell drawn before
    band: list = []   # (bar, its label): a label is kept only where it fits inside its bar
    no_residents = False   # from the first spell of the emptied camp on, no one lived there
    for s in spells.itertuples(index=False):
        no_residents = no_residents or str(s.control_kind) == "empty_site"
        s_end = s.end_date if pd.notna(s.end_date) else today
        if s_end < start or s.start_date > end:
            continue
        left, right = max(s.start_date, start), min(s_end, end)
        cid = str(s.controller)
        shown.add(cid)
        bar = ax.barh(1.0, right - left, left=left, height=0.55,
                      color=style.controller_colour(cid), hatch=style.controller_hatch(cid),
                      edgecolor="white", linewidth=0.8,
                      alpha=EMPTY_ALPHA if no_residents else 1.0)
        if no_residents and emptied is None:
            emptied = cid
        band.append((bar.patches[0], ax.text(
            left + (right - left) / 2, 1.0,
            kind_label(str(s.control_kind), style.controller_label(cid)), ha="center",
            va="center", fontsize=8, color="black",
            bbox={"boxstyle": "round,pad=0.2", "lw": 0, "fc": "white", "alpha": 0.9})))
        if start < s.start_date <= end:
            # up to the top of the band: the label above is tied to it by place or leader
            ax.axvline(s.start_date, ymin=0.0, ymax=(BAND_TOP + 0.45) / 2.9,
                       color="#444444", lw=0.7, ls="--")
            said = began_label(str(s.began_how), str(s.status))
            if str(s.began_how) == "capture":  # say by whom: the band's colour may not show
                said = said.replace("captured", f"to {CAPTOR_NAMES.get(cid, cid)}", 1)
            # two handovers in a row to one controller (one colour): told apart by their kind
            # (different controllers, as in the two captures, differ by their colours already)
            if changes and changes[-1][1].split(" (")[0] == said and cid == last_cid:
                said = f"{said} ({kind_label(str(s.control_kind), style.controller_label(cid))})"
            changes.append((s.start_date, said))
        last_cid = cid
    uncertain = uncertain_bounds(spells, start, end, today)
    for lo, hi in uncertain:
        ax.barh(1.0, hi - lo, left=lo, height=0.55, zorder=2.2,
                **UNCERTAIN).patches[0].set_label(OVERLAY["uncertain"])
    outside = []
    if period is not None:
        outside = [(lo, hi) for lo, hi in ((start, period[0]), (period[1], end)) if lo < hi]
        for lo, hi in outside:
            ax.axvspan(lo, hi, zorder=3.5, **OUTSIDE).set_label(OVERLAY["outside"])
    ax.set_xlim(start, end)   # before the attacks: their marks are set apart on screen
    att = attacks(events)
    att = att[(att["place"].astype("string") == "ashraf")
              & (att["start_date"] >= start) & (att["start_date"] <= end)]
    att = att.sort_values("start_date", kind="stable")
    if len(att):
        killed = att["killed_best"].astype("Float64").fillna(0).to_numpy(dtype=float)
        sizes = 18 + 9 * np.sqrt(killed)
        # attacks a few days apart would hide one another: each steps down a row below the
        # last one it would touch (STACK_STEP), its stem drawn down to it
        rows = stack_rows(att["start_date"], start, end)
        ys = -STACK_STEP * rows
        ax.vlines(att["start_date"], ys, 0.7, color="#666666", lw=0.6)
        # a date known only between two dates: a bar from the first to the last possible day
        ranged = _uncertain_date(att).fillna(False).to_numpy(bool)
        wide = att[ranged]
        # only a bar wide enough to see is drawn (and then listed in the legend)
        px = ax.transData.transform(np.column_stack([
            mdates.date2num(wide["end_date"]), np.zeros(len(wide))]))[:, 0] - \
            ax.transData.transform(np.column_stack([
                mdates.date2num(wide["start_date"]), np.zeros(len(wide))]))[:, 0] \
            if len(wide) else np.zeros(0)
        seen = px >= BAR_MIN_PX
        # each bar on its attack's row (stack_rows may have moved the mark down)
        wide_ys = ys[ranged][seen]
        wide = wide[seen]
        if len(wide):
            ax.hlines(wide_ys, wide["start_date"], wide["end_date"],
                      color="#444444", lw=2.2, zorder=2)
        partisan = _partisan_only(att)
        unknown = att["killed_best"].isna().to_numpy()
        for e, size, hollow, nofig, y in zip(att.itertuples(index=False), sizes, partisan,
                                             unknown, ys):
            if nofig:   # no source gives a number: not drawn as a small count
                mark, = ax.plot([e.start_date], [y], ls="", marker=NO_FIGURE["marker"],
                                ms=NO_FIGURE["ms"], mfc=NO_FIGURE["mfc"],
                                mec=style.OKABE_ITO["vermillion"] if hollow else "black",
                                mew=0.9, zorder=3, clip_on=False)
                link(fig, mark, f"ev-{e.event_id}", event_url(e.event_id), event_tip(e))
                continue
            mark, = ax.plot([e.start_date], [y], ls="", marker="o", ms=float(np.sqrt(size)),
                            mfc="white" if hollow else style.OKABE_ITO["vermillion"],
                            mec=style.OKABE_ITO["vermillion"] if hollow else "black",
                            mew=0.9 if hollow else 0.5, zorder=3, clip_on=False)
            link(fig, mark, f"ev-{e.event_id}", event_url(e.event_id), event_tip(e))
    lowest = float(ys.min()) if len(att) else 0.0
    ax.set_ylim(min(-0.45, lowest - 0.3), 2.45)
    ax.set_yticks([0, 1], ["attacks", "control"])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    _date_axis(ax, start, end, narrow)
    handles = [Patch(facecolor=style.controller_colour(c), hatch=style.controller_hatch(c),
                     edgecolor="white", label=style.controller_label(c))
               for c in style.CONTROLLERS if c in shown]
    if emptied:
        handles.append(Patch(facecolor=style.controller_colour(emptied),
                             hatch=style.controller_hatch(emptied), alpha=EMPTY_ALPHA, edgecolor="white",
                             label="pale: no residents (the camp emptied)"))
    if uncertain:
        handles.append(Patch(**UNCERTAIN, label="faded |||: change dated only to year/month"))
    if outside:
        handles.append(Patch(**OUTSIDE, label="grey: outside this chapter's years"))
    if len(att):
        has = att["killed_best"].notna()
        for n in (1, 10, 50) if has.any() else ():
            handles.append(Line2D([], [], marker="o", ls="", markersize=np.sqrt(18 + 9 * np.sqrt(n)),
                                  markerfacecolor=style.OKABE_ITO["vermillion"],
                                  markeredgecolor="black",
                                  label=f"attack, {n} killed" if n > 1 else "attack, 0–1 killed"))
        if att["killed_best"].isna().any():
            handles.append(Line2D([], [], ls="", marker=NO_FIGURE["marker"],
                                  markersize=NO_FIGURE["ms"], markerfacecolor=NO_FIGURE["mfc"],
                                  markeredgecolor="black", label="attack, no figure given"))
        only = _partisan_only(att)
        if (only & att["killed_best"].notna().to_numpy()).any():
            handles.append(Line2D([], [], marker="o", ls="", markersize=np.sqrt(27),
                                  markerfacecolor="white",
                                  markeredgecolor=style.OKABE_ITO["vermillion"],
                                  label="hollow: no independent source"))
        if (only & att["killed_best"].isna().to_numpy()).any():
            # drawn as the chart draws it: the no-figure diamond with an orange edge
            handles.append(Line2D([], [], ls="", marker=NO_FIGURE["marker"],
                                  markersize=NO_FIGURE["ms"], markerfacecolor=NO_FIGURE["mfc"],
                                  markeredgecolor=style.OKABE_ITO["vermillion"], mew=0.9,
                                  label="orange edge: no figure, no independent source"))
        if len(wide):
            handles.append(Line2D([], [], color="#444444", lw=2.2,
                                  label="bar: date known only within a range"))
    fig.legend(handles=handles, loc="outside lower center", ncols=1 if narrow else 3)
    _label_changes(fig, ax, changes, band)
    return fig


EMPTY_ALPHA = 0.35   # a spell of the emptied camp: pale, so "forces inside" ends at the emptying
BAR_MIN_PX = 6   # pixels: a date range narrower than this is drawn as its mark alone


BAND_TOP = 1.0 + 0.55 / 2   # the top of the band of control, in the axis' units
LABEL_GAP = 8   # points: the least horizontal gap between two labels of changes of control


def _label_changes(fig: Figure, ax, changes, band) -> None:
    """Label each change of control above the band, left to right in one row: a label
    starts at its dashed line where it can; where the label before it is in the way it is
    moved right (and the row to the left, if it runs out of the frame) and a leader line
    ties it to its line. No two labels share any horizontal stretch (LABEL_GAP apart, boxes
    measured by the renderer, not guessed), so none is stacked above another and none sits
    between lines it does not belong to. Where one row cannot hold them all (the phone's
    chart of the whole book) the labels stand upright, and then alternate between
    LABEL_ROWS, each row laid out the same way. Raises if no layout fits.
    A label inside the band is kept only where it fits inside its bar."""
    changes = sorted(changes, key=lambda c: c[0])
    texts = [ax.annotate(label, (x, BAND_TOP), xytext=(x, LABEL_ROWS[0]), textcoords="data",
                         ha="left", va="bottom", fontsize=LABEL_SIZE, color="#333333",
                         zorder=5,
                         bbox={"boxstyle": "square,pad=0.1", "lw": 0, "fc": "white",
                               "alpha": 0.85})
             for x, label in changes]
    fig.draw_without_rendering()
    renderer = fig._get_renderer()  # the renderer that draw used (Agg, as for the PDF/SVG)
    for bar, label in band:
        inside, box = bar.get_window_extent(renderer), label.get_window_extent(renderer)
        if box.x0 < inside.x0 + 2 or box.x1 > inside.x1 - 2:
            label.remove()
    if not texts:
        return
    frame = ax.get_window_extent(renderer)
    gap = LABEL_GAP * fig.dpi / 72
    to_data = ax.transData.inverted()
    line_x = [ax.transData.transform((mdates.date2num(x), 0))[0] for x, _ in changes]
    widths = {0: [t.get_window_extent(renderer).width for t in texts]}
    for t in texts:
        t.set_rotation(90)
    widths[90] = [t.get_window_extent(renderer).width for t in texts]

    def layout(idx):   # left edges (pixels) of the labels idx in one row, or None
        lefts, right = [], frame.x0 - gap
        for i in idx:
            left = max(line_x[i] + 2, right + gap)
            lefts.append(left)
            right = left + width[i]
        if right > frame.x1:   # push back from the frame's right edge only the labels
            bound = frame.x1   # in the way, so the others stay at their lines
            for k in range(len(lefts) - 1, -1, -1):
                lefts[k] = min(lefts[k], bound - width[idx[k]])
                bound = lefts[k] - gap
            if lefts[0] < frame.x0:
                return None
        return lefts

    # one row of level labels; where they do not fit (the phone's whole-book chart), one
    # row of upright labels; then upright labels in alternate rows
    for rotation, nrows in [(0, 1)] + [(90, n) for n in range(1, len(LABEL_ROWS) + 1)]:
        width = widths[rotation]
        rows = [list(range(len(texts)))[r::nrows] for r in range(nrows)]
        lefts = [layout(idx) for idx in rows]
        if all(x is not None for x in lefts):
            break
    else:
        raise ValueError("no room for the labels of the changes of control: "
                         + ", ".join(t.get_text() for t in texts))
    for r, (idx, xs) in enumerate(zip(rows, lefts)):
        for i, left in zip(idx, xs):
            texts[i].remove()
            x = mdates.num2date(to_data.transform((left, 0))[0]).replace(tzinfo=None)
            # a leader line from the top of the change's dashed line to its label: to its
            # near corner (the right one for a label pushed wholly left of its line)
            near = (1.0, 0.0) if left + width[i] < line_x[i] else (0.0, 0.0)
            ax.annotate(changes[i][1], (changes[i][0], BAND_TOP), xytext=(x, LABEL_ROWS[r]),
                        textcoords="data", ha="left", va="bottom", fontsize=LABEL_SIZE,
                        color="#333333", zorder=5, rotation=rotation,
                        # a thin frame: labels side by side read as separate labels, not
                        # as one phrase ("emptied captured, one source ...")
                        bbox={"boxstyle": "square,pad=0.2", "lw": 0.5, "ec": "#AAAAAA",
                              "fc": "white", "alpha": 0.9},
                        arrowprops={"arrowstyle": "-", "lw": 0.7, "color": "#444444",
                                    "ls": "--", "shrinkA": 0, "shrinkB": 0,
                                    "relpos": near})


UNCERTAIN = {"facecolor": (1.0, 1.0, 1.0, 0.6), "edgecolor": "#222222", "hatch": "|||",
             "linewidth": 0}   # a change of control known only to the year or month
OUTSIDE = {"facecolor": (0.45, 0.45, 0.45, 0.22), "edgecolor": "none",
           "linewidth": 0}   # the padding of a chapter's chart: time outside its period


def uncertain_bounds(spells: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                     today: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The stretches of time (clipped to the window) in which a change of control dated
    only to the year or month may fall: for a start or end date of precision 'year' the
    whole year from it, for 'month' the whole month. Each stretch once, in date order."""
    step = {"year": pd.DateOffset(years=1), "month": pd.DateOffset(months=1)}
    out = set()
    for s in spells.itertuples(index=False):
        s_end = s.end_date if pd.notna(s.end_date) else today
        if s_end < start or s.start_date > end:
            continue
        for date, precision in ((s.start_date, s.start_precision),
                                (s.end_date, s.end_precision)):
            if pd.isna(date) or str(precision) not in step:
                continue
            lo, hi = max(date, start), min(date + step[str(precision)], end)
            if lo < hi:
                out.add((lo, hi))
    return sorted(out)


def _uncertain_date(events: pd.DataFrame) -> pd.Series:
    """Events whose date is known only within a range (bracketed, month, year, span), not
    events that lasted several known days."""
    return (events["end_date"] > events["start_date"]) & \
        (events["date_precision"].astype("string") != "day")


def _partisan_only(events: pd.DataFrame) -> np.ndarray:
    """Events graded 'partisan_only' (drawn hollow): no independent witness reports them."""
    if "grade" not in events.columns:
        return np.zeros(len(events), dtype=bool)
    return (events["grade"].astype("string") == "partisan_only").fillna(False).to_numpy(bool)


def casualty_ranges(events: pd.DataFrame, claims: pd.DataFrame,
                    measures: tuple[str, ...] = ("killed", "wounded")) -> Figure:
    """For each attack: the range from the lowest to the highest figure any source gives
    (grey bar), the best estimate (black tick) and every source's claim as a marker whose
    shape and colour say what kind of source gave it (open markers: "at least" / "up to")."""
    att = attacks(events).sort_values("start_date", ascending=False, kind="stable")
    no_figure = att[[f"{m}_low" for m in measures]].isna().all(axis=None) if len(att) else True
    if att.empty or no_figure:
        message = ("No attack on the camp or its residents is recorded in this period."
                   if att.empty else "No source gives a figure of people killed or wounded "
                   "for the attacks of this period:\n" + "\n".join(
                       f"{short_date(e.start_date, e.date_precision, e.end_date)}: {e.title}"
                       for e in att.itertuples(index=False)))
        fig, (ax,) = _new(0.9 + 0.25 * message.count("\n"))
        ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
                fontsize=9.5, linespacing=1.5)
        ax.set_axis_off()
        return fig
    # a panel only for a measure some attack has a figure of: no empty panel of "no figure
    # given" rows (the caption and alt text say that no source counted it)
    measures = tuple(m for m in measures if att[f"{m}_low"].notna().any())
    labels = [_wrap(f"{short_date(e.start_date, e.date_precision, e.end_date)}: {e.title}"
                    + (" [no independent source]" if p else ""), 44)
              for e, p in zip(att.itertuples(index=False), _partisan_only(att))]
    # a row as tall as its label's lines need (a label may take three lines)
    height = 1.4 + sum(max(0.42, 0.14 * (label.count("\n") + 1)) for label in labels)
    fig, axes = _new(height, ncols=len(measures), sharey=True)
    ypos = np.arange(len(att))
    used = set()
    marks: list = []   # (axes, row, mark) of every source's figure: set apart once laid out
    rings: list = []   # (mark, ring) of a figure from a flagged source: the ring follows it
    tabbed: set[str] = set()
    for ax, measure in zip(axes, measures):
        low, best, high = (f"{measure}_low", f"{measure}_best", f"{measure}_high")
        for y, e in zip(ypos, att.itertuples(index=False)):
            lo, be, hi = getattr(e, low), getattr(e, best), getattr(e, high)
            url, tip = event_url(e.event_id), event_tip(e)
            first = e.event_id not in tabbed   # one stop of the tab key per event
            tabbed.add(e.event_id)
            if pd.isna(lo):
                none = ax.text(0.02, y, "no figure given", va="center", ha="left", fontsize=8,
                               color="#666666", transform=ax.get_yaxis_transform())
                link(fig, none, f"ev-{e.event_id}-{measure}", url, tip, tab=first)
                continue
            bar, = ax.plot([lo, hi], [y, y], color="#BBBBBB", lw=5, solid_capstyle="butt",
                           zorder=1)
            link(fig, bar, f"ev-{e.event_id}-{measure}", url, tip, tab=first)
            if pd.notna(be):  # no tick where no source may give the best estimate
                # above the sources' marks: a figure equal to the best does not hide the tick
                tick, = ax.plot([be, be], [y - 0.32, y + 0.32], color="black", lw=1.6, zorder=4)
                link(fig, tick, f"ev-{e.event_id}-{measure}-best", url, tip, tab=False)
            mine = claims[(claims["event_id"] == e.event_id) & (claims["measure"] == measure)
                          & (claims["group"].astype("string") == "residents")]
            mine = mine.sort_values(["point", "claim_id"], kind="stable")
            for c in mine.itertuples(index=False):
                cls = c.chart_class if isinstance(c.chart_class, str) else "Other"
                marker, colour = style.SOURCE_MARKERS[cls]
                used.add(cls)
                open_ = str(c.qualifier) in ("at_least", "up_to")
                mark, = ax.plot([c.point], [y], ls="", marker=marker, ms=float(np.sqrt(26)),
                                zorder=3, mfc="white" if open_ else colour, mec=colour,
                                mew=0.9)
                marks.append((ax, y, mark))
                if bool(getattr(c, "flagged", False)):   # ringed, as in the residents charts
                    ring, = ax.plot([c.point], [y], ls="", marker="o", ms=10, mfc="none",
                                    mec="#555555", mew=0.9, zorder=3, label=FLAGGED_RING)
                    rings.append((mark, ring))
                link(fig, mark, f"claim-{c.claim_id}", url,
                     f"{c.quoted}: {fmt_count(c.point)} {measure}"
                     f"{' (' + str(c.qualifier).replace('_', ' ') + ')' if open_ else ''}. "
                     + tip, tab=False)
        values = pd.concat([att[f"{measure}_{x}"] for x in ("low", "best", "high")])
        values = values.dropna().astype(float)
        top = float(values.max()) if len(values) else 1.0
        positive = values[values > 0]
        if len(positive) and top / float(positive.min()) > 40:
            # figures from one to hundreds: a scale linear up to 10, logarithmic above; its
            # ticks are the powers of ten from 10 (no "0" on an axis labelled logarithmic)
            ax.set_xscale("symlog", linthresh=10, linscale=0.6)
            # room to the right of the highest mark: on a log scale half as much again is a
            # hair's breadth, so the axis runs to the next power of ten (at least double)
            right = max(top * 2.0, 10.0 ** np.ceil(np.log10(top)))
            ax.set_xlim(-0.6, right)
            ax.xaxis.set_major_locator(FixedLocator(
                [10.0 ** k for k in range(1, int(np.log10(right)) + 1)]))
            ax.xaxis.set_major_formatter(lambda v, _: fmt_count(v))
            ax.xaxis.set_minor_locator(FixedLocator([]))
            ax.set_xlabel(f"{measure} (log scale)")
        else:
            ax.set_xlim(-0.04 * max(top, 1), max(top, 1) * 1.08)
            ax.set_xlabel(measure)
        ax.grid(axis="x", color="#EEEEEE", lw=0.6)
        ax.set_axisbelow(True)
    axes[0].set_yticks(ypos, labels)
    axes[0].set_ylim(-0.7, len(att) - 0.3)
    handles = [Line2D([], [], color="#BBBBBB", lw=5, label="lowest to highest figure"),
               Line2D([], [], color="black", lw=1.6, marker="|", ls="", markersize=9,
                      label="best estimate"),
               Line2D([], [], marker="o", ls="", markerfacecolor="white",
                      markeredgecolor="#555555", label="open: at least / up to")]
    handles += [Line2D([], [], marker=style.SOURCE_MARKERS[c][0], ls="",
                       color=style.SOURCE_MARKERS[c][1], label=c)
                for c in style.SOURCE_MARKERS if c in used]
    if rings:
        handles.append(_flagged_key())
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    for _ in range(4):   # a row too crowded for its marks: a taller chart, then again
        if not _set_apart(fig, marks):
            break
        fig.set_figheight(fig.get_figheight() * 1.2)
    for mark, ring in rings:   # where _set_apart moved the mark
        ring.set_data(mark.get_xdata(), mark.get_ydata())
    return fig


CLAIM_ROW = 0.45   # axis units: the farthest a source's mark moves from its attack's row
CLAIM_TOUCH = 0.75   # share of a mark's width by which two marks must stand apart


def _set_apart(fig: Figure, marks: list) -> int:
    """Moves the marks of sources' figures up or down within their attack's row so that no
    mark hides another (four sources giving 11 killed in 2009 hid the UN's): once the figure
    is laid out, each mark, in the order drawn, takes the first height (the row, then a mark's
    width above, below, two widths above...) where it meets no mark already placed.
    Returns how many marks found no such height (each then takes the least crowded one)."""
    if not marks:
        return 0
    fig.draw_without_rendering()   # the layout: the axes' final size in pixels
    placed: dict = {}
    crowded = 0
    for ax, row, mark in marks:
        x = ax.transData.transform((mark.get_xdata()[0], row))[0]
        unit = abs(ax.transData.transform((0, 1))[1] - ax.transData.transform((0, 0))[1])
        # two marks closer than this (pixels) hide one another; they may touch by a quarter
        width = (mark.get_markersize() * fig.dpi / 72 + 1.5) * CLAIM_TOUCH
        step = width / unit
        heights = [0.0] + [sign * k * step for k in range(1, int(CLAIM_ROW / step) + 1)
                           for sign in (1, -1)]
        others = placed.setdefault((id(ax), row), [])

        def clashes(dy):
            return sum(abs(x - ox) < width and abs(dy - oy) * unit < width for ox, oy in others)

        dy = min(heights, key=clashes)   # the first free height; if none, the least crowded
        crowded += clashes(dy) > 0
        others.append((x, dy))
        mark.set_ydata([row + dy])
    return crowded


VAGUE_COUNT = "count-dated-to-year-or-month"   # gid prefix of such a count's faded bar


def population(pop: pd.DataFrame, start: pd.Timestamp | None = None,
               end: pd.Timestamp | None = None, flagged: frozenset = frozenset()) -> Figure:
    """Counts of residents over time, one marker per place (in one grey: no controller's
    hue); a vertical line spans a range given by a source, an open marker is an "at least" or
    "up to" figure, a faded bar (dashed for "at least" or "up to", with no marker) the year or
    month a count is dated to, and a dashed ring a
    count from a source the research notes flag as unreliable (``flagged``: source keys)."""
    fig, (ax,) = _new(2.8)
    data = pop.copy()
    if start is not None:
        data = data[(data["date"] >= start) & (data["date"] <= end)]
    if data.empty:
        ax.text(0.5, 0.5, "No count of residents is recorded for this period.",
                ha="center", va="center", transform=ax.transAxes, fontsize=9)
        ax.set_axis_off()
        return fig
    data = data.assign(point=data["value_min"].fillna(data["value_max"]),
                       upper=data["value_max"].fillna(data["value_min"]))
    inferred = data["source_key"].astype("string") == INFERRED_SOURCE
    step = {"year": pd.DateOffset(years=1), "month": pd.DateOffset(months=1)}
    precision = data["date_precision"].astype("string").fillna("day")
    vague = precision.isin(list(step)).to_numpy(bool)
    for place, grp in data[~inferred].groupby("place", observed=True, sort=False):
        colour = style.PLACE_COLOURS.get(str(place), style.OKABE_ITO["grey"])
        marker = style.PLACE_MARKERS.get(str(place), "o")
        ax.vlines(grp["date"], grp["point"], grp["upper"], color=colour, lw=1.5)
        ax.scatter([], [], color=colour, s=26, marker=marker,
                   label=style.PLACES.get(str(place), str(place)))
        for r, fuzzy in zip(grp.itertuples(index=False), vague[data.index.get_indexer(
                grp.index)]):
            closed = str(r.qualifier) in ("exact", "about")
            x = r.date
            if fuzzy:   # a count dated only to its year or month: a faded bar across it,
                # with no mark at its middle (that would date it to a day no source gives);
                # the bar stops at the first count of the place dated more closely within
                # it (a "2012" bar does not run past June's count as if it still held)
                hi = r.date + step[str(r.date_precision)]
                closer = grp[(grp["date"] > r.date) & (grp["date"] < hi)
                             & (precision.loc[grp.index] != str(r.date_precision))]["date"]
                if len(closer):
                    hi = closer.min()
                ax.hlines(r.point, r.date, hi, color=colour, lw=3, alpha=0.45, zorder=2,
                          linestyles="solid" if closed else (0, (2, 1)),
                          gid=f"{VAGUE_COUNT}-{r.population_id}")  # one id per count, as claim-<id>
                x = r.date + (hi - r.date) / 2
            else:
                ax.scatter([x], [r.point], zorder=3, marker=marker, s=26,
                           facecolor=colour if closed else "white", edgecolor=colour,
                           clip_on=False)
            if str(r.source_key) in flagged:
                ax.scatter([x], [r.point], zorder=3, marker="o", s=110, facecolor="none",
                           edgecolor="#555555", linestyle=(0, (2, 1.5)), lw=0.9,
                           clip_on=False, label=FLAGGED_RING)
    zeros = data[inferred]
    if len(zeros):
        ax.scatter(zeros["date"], zeros["point"], marker="x", s=30, color="#555555", zorder=3,
                   label="no one left (the editors' inference, not a count)", clip_on=False)
    top = float(data["upper"].max())
    ax.set_ylim(bottom=-0.05 * top, top=top * 1.1)   # no mark cut by the axis
    ax.set_ylabel("residents")
    ax.yaxis.set_major_formatter(lambda v, _: fmt_count(v) if v >= 0 else "")
    ax.grid(axis="y", color="#EEEEEE", lw=0.6)
    ax.set_axisbelow(True)
    lo = start if start is not None else data["date"].min() - pd.Timedelta(days=200)
    hi = end if end is not None else data["date"].max() + pd.Timedelta(days=200)
    # the window is the chapter's years, no wider (no chart runs past the book's last year):
    # a mark on its first or last day is drawn whole over the edge (clip_on=False above)
    _date_axis(ax, lo, hi)
    handles, _ = ax.get_legend_handles_labels()
    if (~data["qualifier"].astype("string").isin(["exact", "about"])).any():
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white",
                              markeredgecolor="#555555", label="open: at least / up to"))
    if vague.any():
        handles.append(Line2D([], [], color="#555555", lw=3, alpha=0.45,
                              label="faded bar: dated only to the year or month"))
    if data["source_key"].astype("string").isin(list(flagged)).any():
        handles.append(_flagged_key())
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


def _flagged_key() -> Line2D:
    """The legend's key to the dashed ring drawn round a flagged source's figure (casualty and
    residents charts alike)."""
    return Line2D([], [], marker="o", ls="", markersize=9, markerfacecolor="none",
                  markeredgecolor="#555555", label="ringed: a source flagged as unreliable")


INFERRED_SOURCE = "editors-inference"   # a zero the editors infer, no source's count
FLAGGED_RING = "_flagged ring"   # the label (kept out of legends) of a ring around a count from
# a flagged source: a mark on a count, not a count (a label, not a gid: no id repeated in SVG)


def period_totals(totals: pd.DataFrame, measure: str = "killed") -> Figure:
    """Casualties of attacks per period: best estimate (bar) and low to high (whisker)."""
    fig, (ax,) = _new(3.0)
    t = totals.iloc[::-1]
    y = np.arange(len(t))
    best = t[f"{measure}_best"].astype("Float64").fillna(0).to_numpy(float)
    ax.barh(y, best, color=style.OKABE_ITO["vermillion"], height=0.6)
    low = t[f"{measure}_low"].astype("Float64").fillna(0).to_numpy(float)
    high = t[f"{measure}_high"].astype("Float64").fillna(0).to_numpy(float)
    ax.errorbar(best, y, xerr=[best - low, high - best],
                fmt="none", ecolor="black", elinewidth=0.8, capsize=3)
    ax.set_yticks(y, [_wrap(title, 40) for title in t["title"]])
    ax.set_xlabel(f"people {measure} in attacks (best estimate; whiskers: lowest to highest)")
    ax.grid(axis="x", color="#EEEEEE", lw=0.6)
    ax.set_axisbelow(True)
    return fig


# who captured a site, in a change's label on a chart ("to ISIS, one source": short, as a
# longer label would squeeze the chart)
CAPTOR_NAMES = {"isis": "ISIS", "badr_pmf": "Badr/PMF"}


def cumulative(cum: pd.DataFrame, spells: pd.DataFrame, start: pd.Timestamp,
               end: pd.Timestamp) -> Figure:
    """People killed in attacks on the MEK's camps, cumulated over time: best estimate (line)
    between the cumulated lowest and highest figures (band), and the dead at Camp Ashraf alone
    (dashed), the camp whose control is shaded below,
    drawn as in the control charts: pale from the emptying of the camp on, and a change of
    control dated only to its year or month faded and hatched over that year or month."""
    fig, (ax,) = _new(3.3)
    top = float(cum["killed_high"].max()) * 1.08
    shown, no_residents, pale = [], False, False
    for s in spells.itertuples(index=False):
        s_end = s.end_date if pd.notna(s.end_date) else end
        cid = str(s.controller)
        no_residents = no_residents or str(s.control_kind) == "empty_site"
        pale = pale or no_residents
        # drawn as the legend shows it: the controller's colour with its hatch in white
        # (fill_between's color= would paint the hatch in the fill's own colour: no hatch)
        ax.fill_between([max(s.start_date, start), min(s_end, end)], -0.09 * top, -0.03 * top,
                        facecolor=style.controller_colour(cid),
                        hatch=style.controller_hatch(cid), lw=0, edgecolor="white",
                        alpha=EMPTY_ALPHA if no_residents else 1.0)
        if cid not in shown:
            shown.append(cid)
    uncertain = uncertain_bounds(spells, start, end, end)
    for lo, hi in uncertain:
        ax.fill_between([lo, hi], -0.09 * top, -0.03 * top, **UNCERTAIN)
    x = pd.concat([pd.Series([start]), cum["start_date"], pd.Series([end])])
    def steps(col):
        return np.concatenate([[0], cum[col].to_numpy(float), [cum[col].iloc[-1]]])
    ax.fill_between(x, steps("killed_low"), steps("killed_high"), step="post",
                    color="#DDDDDD", label="lowest to highest")
    ax.step(x, steps("killed_best"), where="post", color="black", lw=1.4,
            label="best estimate, every place")
    # the strip shows Ashraf's controllers: the dead at Liberty and elsewhere are not theirs
    ax.step(x, steps("killed_best_ashraf"), where="post", color="black", lw=1.1,
            ls=(0, (4, 2)), label="of which at Camp Ashraf")
    ax.set_ylim(-0.1 * top, top)
    ax.axhline(0, color="#888888", lw=0.6)
    ax.set_ylabel("people killed (cumulative)")
    _date_axis(ax, start, end)
    # two legends: the lines' inside the chart, the strip's below it under its own heading
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    handles = [Patch(facecolor=style.controller_colour(c), hatch=style.controller_hatch(c),
                      edgecolor="white", label=style.controller_label(c))
                for c in shown]
    if pale:
        handles.append(Patch(facecolor="#BBBBBB", alpha=EMPTY_ALPHA, edgecolor="white",
                             label="pale: no residents (the camp emptied)"))
    if uncertain:
        handles.append(Patch(**UNCERTAIN, label="faded |||: change dated only to year/month"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8,
               title="strip below zero: who controlled Camp Ashraf", title_fontsize=8)
    return fig


def claims_by_source(table: pd.DataFrame) -> Figure:
    """How many figures each kind of source gives, split by what they count."""
    fig, (ax,) = _new(2.9)
    t = table.drop(columns="all").iloc[::-1]
    left = np.zeros(len(t))
    colours = [style.OKABE_ITO[c] for c in ("vermillion", "orange", "blue", "sky", "green")] \
        + ["#882255"]
    hatches = ["", "//", "..", "\\\\", "xx", "++"]
    if len(t.columns) > len(colours):   # zip would silently leave a measure out
        raise ValueError(f"no colour for the measures {list(t.columns[len(colours):])}")
    for (measure, colour, hatch) in zip(t.columns, colours, hatches):
        vals = t[measure].to_numpy(float)
        ax.barh(t.index, vals, left=left, color=colour, hatch=hatch, edgecolor="white",
                lw=0.5, label=measure)
        left += vals
    ax.set_xlabel("figures given (claims)")
    ax.grid(axis="x", color="#EEEEEE", lw=0.6)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=len(t.columns))
    return fig


__all__ = ["control_timeline", "casualty_ranges", "population", "period_totals",
           "cumulative", "claims_by_source", "SOURCE_CLASS"]
