"""The book's charts. Each function takes typed tables (from ``load``/``derive``) and returns a
matplotlib Figure; nothing here reads files or computes a figure the data does not hold."""
from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style
from .derive import SOURCE_CLASS, attacks
from .text import fmt_count, short_date

KIND = {"host_granted_base": "base hosted by Iraq", "military_custody": "US custody",
        "formal_responsibility": "formal handover",
        "security_perimeter": "perimeter", "forces_inside": "forces inside",
        "empty_site": "empty site", "occupation": "occupation", "unattested": "unattested"}
BEGAN = {"founding": "founded", "agreement": "agreement", "handover": "handover",
         "raid": "raid", "relocation": "emptied", "capture": "captured",
         "unknown": "unknown"}


def _new(height: float, ncols: int = 1, **kw) -> tuple[Figure, list]:
    style.apply()
    fig = Figure(figsize=(style.WIDTH, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False, **kw)[0]
    return fig, list(axes)


def _wrap(text: str, width: int, lines: int = 2) -> str:
    import textwrap

    parts = textwrap.wrap(text, width)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return "\n".join(parts)


def _date_axis(ax, start: pd.Timestamp, end: pd.Timestamp) -> None:
    ax.set_xlim(start, end)
    years = (end - start).days / 365.25
    if years > 12:
        ax.xaxis.set_major_locator(mdates.YearLocator(5))
    elif years > 4:
        ax.xaxis.set_major_locator(mdates.YearLocator(1))
    elif years > 1.5:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    if years > 4:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))


def control_timeline(spells: pd.DataFrame, events: pd.DataFrame,
                     start: pd.Timestamp, end: pd.Timestamp,
                     today: pd.Timestamp | None = None) -> Figure:
    """Who controlled Camp Ashraf between two dates: one band of control spells (colour and
    hatch per controller), each change of control marked with how it happened, and the
    attacks on the camp below it, sized by the best estimate of people killed."""
    today = today or pd.Timestamp.today().normalize()
    fig, (ax,) = _new(3.3)
    shown = set()
    n_changes = 0
    for s in spells.itertuples(index=False):
        s_end = s.end_date if pd.notna(s.end_date) else today
        if s_end < start or s.start_date > end:
            continue
        left, right = max(s.start_date, start), min(s_end, end)
        cid = str(s.controller)
        shown.add(cid)
        ax.barh(1.0, right - left, left=left, height=0.55,
                color=style.controller_colour(cid), hatch=style.controller_hatch(cid),
                edgecolor="white", linewidth=0.8)
        if (right - left) / (end - start) > 0.12:
            ax.text(left + (right - left) / 2, 1.0, KIND.get(str(s.control_kind), ""),
                    ha="center", va="center", fontsize=8, color="black",
                    bbox={"boxstyle": "round,pad=0.2", "lw": 0, "fc": "white", "alpha": 0.9})
        if start < s.start_date <= end:
            ax.axvline(s.start_date, ymin=0.0, ymax=1.0, color="#444444", lw=0.7, ls="--")
            ax.annotate(BEGAN.get(str(s.began_how), str(s.began_how)),
                        (s.start_date, 1.33), xytext=(-2, 0), textcoords="offset points",
                        rotation=90, ha="right", va="bottom", fontsize=7.5, color="#333333")
            n_changes += 1
    att = attacks(events)
    att = att[(att["place"].astype("string") == "ashraf")
              & (att["start_date"] >= start) & (att["start_date"] <= end)]
    if len(att):
        killed = att["killed_best"].astype("Float64").fillna(0).to_numpy(dtype=float)
        sizes = 18 + 9 * np.sqrt(killed)
        ax.vlines(att["start_date"], 0.0, 0.7, color="#666666", lw=0.6)
        # a date known only between two dates: a bar from the first to the last possible day
        wide = att[_uncertain_date(att)]
        if len(wide):
            ax.hlines(np.zeros(len(wide)), wide["start_date"], wide["end_date"],
                      color="#444444", lw=2.2, zorder=2)
        partisan = _partisan_only(att)
        for mask, face in ((~partisan, style.OKABE_ITO["vermillion"]), (partisan, "white")):
            if mask.any():
                ax.scatter(att["start_date"][mask], np.zeros(int(mask.sum())), s=sizes[mask],
                           marker="o", facecolor=face, edgecolor=style.OKABE_ITO["vermillion"]
                           if face == "white" else "black", lw=0.9 if face == "white" else 0.5,
                           zorder=3)
    ax.set_ylim(-0.45, 2.45)
    ax.set_yticks([0, 1], ["attacks", "control"])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    _date_axis(ax, start, end)
    handles = [Patch(facecolor=style.controller_colour(c), hatch=style.controller_hatch(c),
                     edgecolor="white", label=style.controller_label(c))
               for c in style.CONTROLLERS if c in shown]
    if len(att):
        for n in (1, 10, 50):
            handles.append(Line2D([], [], marker="o", ls="", markersize=np.sqrt(18 + 9 * np.sqrt(n)),
                                  markerfacecolor=style.OKABE_ITO["vermillion"],
                                  markeredgecolor="black",
                                  label=f"attack, {n} killed" if n > 1 else "attack, 0–1 killed"))
        if _partisan_only(att).any():
            handles.append(Line2D([], [], marker="o", ls="", markersize=np.sqrt(27),
                                  markerfacecolor="white",
                                  markeredgecolor=style.OKABE_ITO["vermillion"],
                                  label="hollow: partisan sources only"))
        if _uncertain_date(att).any():
            handles.append(Line2D([], [], color="#444444", lw=2.2,
                                  label="bar: date known only within a range"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


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
    labels = [_wrap(f"{short_date(e.start_date, e.date_precision, e.end_date)}: {e.title}"
                    + (" [partisan only]" if p else ""), 44)
              for e, p in zip(att.itertuples(index=False), _partisan_only(att))]
    height = 1.4 + 0.42 * max(len(att), 1)
    fig, axes = _new(height, ncols=len(measures), sharey=True)
    ypos = np.arange(len(att))
    used = set()
    for ax, measure in zip(axes, measures):
        low, best, high = (f"{measure}_low", f"{measure}_best", f"{measure}_high")
        for y, e in zip(ypos, att.itertuples(index=False)):
            lo, be, hi = getattr(e, low), getattr(e, best), getattr(e, high)
            if pd.isna(lo):
                ax.text(0.02, y, "no figure given", va="center", ha="left", fontsize=7,
                        color="#777777", transform=ax.get_yaxis_transform())
                continue
            ax.plot([lo, hi], [y, y], color="#BBBBBB", lw=5, solid_capstyle="butt", zorder=1)
            if pd.notna(be):  # no tick where no source may give the best estimate
                ax.plot([be, be], [y - 0.32, y + 0.32], color="black", lw=1.6, zorder=2)
            mine = claims[(claims["event_id"] == e.event_id) & (claims["measure"] == measure)
                          & (claims["group"].astype("string") == "residents")]
            mine = mine.sort_values(["point", "claim_id"], kind="stable")
            offsets = np.linspace(-0.22, 0.22, len(mine)) if len(mine) > 1 else [0.0]
            for dy, c in zip(offsets, mine.itertuples(index=False)):
                cls = c.source_class if isinstance(c.source_class, str) else "Other"
                marker, colour = style.SOURCE_MARKERS[cls]
                used.add(cls)
                open_ = str(c.qualifier) in ("at_least", "up_to")
                ax.scatter([c.point], [y + dy], marker=marker, s=26, zorder=3,
                           facecolor="white" if open_ else colour, edgecolor=colour, lw=0.9)
        values = pd.concat([att[f"{measure}_{x}"] for x in ("low", "best", "high")])
        values = values.dropna().astype(float)
        top = float(values.max()) if len(values) else 1.0
        positive = values[values > 0]
        if len(positive) and top / float(positive.min()) > 40:
            # figures from one to hundreds: a scale linear up to 10, logarithmic above
            ax.set_xscale("symlog", linthresh=10, linscale=0.6)
            ax.set_xlim(-0.6, top * 1.5)
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
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


def population(pop: pd.DataFrame, start: pd.Timestamp | None = None,
               end: pd.Timestamp | None = None) -> Figure:
    """Counts of residents over time, one colour per place; a vertical bar spans a range
    given by a source, an open marker is an "at least" or "up to" figure."""
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
    for place, grp in data.groupby("place", observed=True, sort=False):
        colour = style.PLACE_COLOURS.get(str(place), style.OKABE_ITO["grey"])
        closed = grp[grp["qualifier"].astype("string").isin(["exact", "about"])]
        opened = grp[~grp.index.isin(closed.index)]
        marker = style.PLACE_MARKERS.get(str(place), "o")
        ax.vlines(grp["date"], grp["point"], grp["upper"], color=colour, lw=1.5)
        ax.scatter(closed["date"], closed["point"], color=colour, s=26, zorder=3, marker=marker,
                   label=style.PLACES.get(str(place), str(place)))
        ax.scatter(opened["date"], opened["point"], facecolor="white", edgecolor=colour,
                   s=26, zorder=3, marker=marker)
    ax.set_ylim(bottom=0, top=float(data["upper"].max()) * 1.08)
    ax.set_ylabel("residents")
    ax.yaxis.set_major_formatter(lambda v, _: fmt_count(v))
    ax.grid(axis="y", color="#EEEEEE", lw=0.6)
    ax.set_axisbelow(True)
    if len(data):
        lo = start if start is not None else data["date"].min() - pd.Timedelta(days=200)
        hi = end if end is not None else data["date"].max() + pd.Timedelta(days=200)
        _date_axis(ax, lo, hi)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white",
                          markeredgecolor="#555555", label="open: at least / up to"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4)
    return fig


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


def cumulative(cum: pd.DataFrame, spells: pd.DataFrame, start: pd.Timestamp,
               end: pd.Timestamp) -> Figure:
    """People killed in attacks on the MEK's camps, cumulated over time: best estimate (line)
    between the cumulated lowest and highest figures (band); control of Ashraf shaded below."""
    fig, (ax,) = _new(3.3)
    top = float(cum["killed_high"].max()) * 1.08
    shown = []
    for s in spells.itertuples(index=False):
        s_end = s.end_date if pd.notna(s.end_date) else end
        cid = str(s.controller)
        ax.fill_between([max(s.start_date, start), min(s_end, end)], -0.09 * top, -0.03 * top,
                        color=style.controller_colour(cid), hatch=style.controller_hatch(cid),
                        lw=0, edgecolor="white")
        if cid not in shown:
            shown.append(cid)
    x = pd.concat([pd.Series([start]), cum["start_date"], pd.Series([end])])
    def steps(col):
        return np.concatenate([[0], cum[col].to_numpy(float), [cum[col].iloc[-1]]])
    ax.fill_between(x, steps("killed_low"), steps("killed_high"), step="post",
                    color="#DDDDDD", label="lowest to highest")
    ax.step(x, steps("killed_best"), where="post", color="black", lw=1.4, label="best estimate")
    ax.set_ylim(-0.1 * top, top)
    ax.axhline(0, color="#888888", lw=0.6)
    ax.set_ylabel("people killed (cumulative)")
    _date_axis(ax, start, end)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(facecolor=style.controller_colour(c), hatch=style.controller_hatch(c),
                      edgecolor="white", label=style.controller_label(c))
                for c in shown]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7.5,
               title="strip below zero: who controlled Camp Ashraf", title_fontsize=7.5)
    return fig


def claims_by_source(table: pd.DataFrame) -> Figure:
    """How many figures each kind of source gives, split by what they count."""
    fig, (ax,) = _new(2.9)
    t = table.drop(columns="all").iloc[::-1]
    left = np.zeros(len(t))
    colours = [style.OKABE_ITO[c] for c in ("vermillion", "orange", "blue", "sky", "green")]
    hatches = ["", "//", "..", "\\\\", "xx"]
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
