"""Derived tables: each event's low / best / high from its claims, totals, control, source mix.

The rule (also printed in the methods chapter, from ``RULE``):
- Only claims about camp residents count (claims whose ``group`` is ``residents``); figures
  about security forces or other groups are kept and shown, but not summed in.
- low  = the smallest figure any source gives (a claim's minimum; for "up to n", n);
- high = the largest figure any source gives (a claim's maximum; for "at least n", n);
- best = the figure of the most independent kind of speaker that gave one, ranked
  UN > NGO > academic or court > press > encyclopedia > governments > partisan (MEK/NCRI,
  Iranian-state-aligned) > other. The speaker is whoever gave the figure, not the outlet
  that carried it: a UN count reported by a news agency ranks as the UN's, a hospital's
  count reported by a news agency as the Iraqi government's. Within that kind the most
  recent claim wins (a later count supersedes an earlier one; an undated claim counts as
  the oldest), and on a tie the larger figure.
"""
from __future__ import annotations

import pandas as pd

RULE = __doc__.split("The rule (also printed in the methods chapter, from ``RULE``):\n", 1)[1]

SOURCE_RANK = {
    "un": 1, "ngo": 2, "academic": 3, "court": 3, "press": 4, "encyclopedia": 5,
    "us_government": 6, "iraqi_government": 6, "iranian_government": 6, "other_government": 6,
    "mek_ncri": 7, "iran_state_aligned": 7, "other": 8,
}
SOURCE_CLASS = {  # the coarse classes used in charts of "who reports what"
    "un": "UN", "ngo": "NGOs", "academic": "Academic and courts", "court": "Academic and courts",
    "press": "Press", "encyclopedia": "Encyclopedia",
    "us_government": "Governments", "iraqi_government": "Governments",
    "iranian_government": "Governments", "other_government": "Governments",
    "mek_ncri": "MEK / NCRI", "iran_state_aligned": "Iranian-state-aligned", "other": "Other",
}
MEASURES = ("killed", "wounded", "detained", "missing", "relocated")
ATTACK_TYPES = ("air_raid", "missile_attack", "bombing", "raid", "rocket_attack", "assault")
ESTIMATE_COLUMNS = {
    "killed": ("killed_low", "killed_best", "killed_high"),
    "wounded": ("wounded_low", "wounded_best", "wounded_high"),
    "detained": (None, "detained", None),
    "missing": (None, "missing", None),
    "relocated": (None, "relocated", None),
}


def claims_with_sources(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Claims joined to their source (label, publisher_type), ranked and classed by who gave
    the figure (the claim's speaker_type); with a point value."""
    src = sources[["source_key", "speaker_type", "label"]].rename(
        columns={"speaker_type": "publisher_type"}).astype({"publisher_type": "string"})
    out = claims.merge(src, on="source_key", how="left", validate="many_to_one")
    if "speaker_type" in out.columns:
        out["speaker_type"] = out["speaker_type"].astype("string").fillna(out["publisher_type"])
    else:
        out["speaker_type"] = out["publisher_type"]
    out["rank"] = out["speaker_type"].map(SOURCE_RANK).astype("Int64")
    out["source_class"] = out["speaker_type"].map(SOURCE_CLASS)
    out["point"] = out["value_min"].fillna(out["value_max"])
    out["upper"] = out["value_max"].fillna(out["value_min"])
    return out


def estimates(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One row per (event_id, measure) with low, best, high, the claim chosen as best, and the
    number of claims; derived from the residents' claims by the rule in ``RULE``."""
    c = claims_with_sources(claims, sources)
    c = c[c["group"].astype("string") == "residents"]
    rows = []
    for (event_id, measure), grp in c.groupby(["event_id", "measure"], observed=True, sort=True):
        ranked = grp.sort_values(["rank", "claim_date", "point"], ascending=[True, False, False],
                                 kind="stable", na_position="last")
        top = ranked.iloc[0]
        rows.append({
            "event_id": event_id, "measure": measure,
            "low": int(grp["point"].min()), "best": int(top["point"]),
            "high": int(grp["upper"].max()),
            "best_claim_id": top["claim_id"], "n_claims": len(grp),
            "n_sources": grp["source_key"].nunique(),
        })
    out = pd.DataFrame(rows, columns=["event_id", "measure", "low", "best", "high",
                                      "best_claim_id", "n_claims", "n_sources"])
    return out.astype({"low": "Int64", "best": "Int64", "high": "Int64"})


def expected_event_counts(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """The values events.csv must hold in its count columns, one row per event with claims."""
    est = estimates(claims, sources)
    out: dict[str, dict[str, int]] = {}
    for row in est.itertuples(index=False):
        low_col, best_col, high_col = ESTIMATE_COLUMNS[row.measure]
        rec = out.setdefault(row.event_id, {})
        rec[best_col] = row.best
        if low_col:
            rec[low_col] = row.low
            rec[high_col] = row.high
    cols = [c for trio in ESTIMATE_COLUMNS.values() for c in trio if c]
    frame = pd.DataFrame.from_dict(out, orient="index").reindex(columns=cols)
    frame.index.name = "event_id"
    return frame.astype("Int64")


def attacks(events: pd.DataFrame) -> pd.DataFrame:
    """Violent events (air and missile attacks, bombings, raids, rocket attacks, assaults)."""
    return events[events["event_type"].astype("string").isin(ATTACK_TYPES)].copy()


def controller_at(spells: pd.DataFrame, when: pd.Timestamp) -> str | None:
    """Who controlled Camp Ashraf on a date (spells are [start, end), the last one open)."""
    for s in spells.itertuples(index=False):
        if s.start_date <= when and (pd.isna(s.end_date) or when < s.end_date):
            return str(s.controller)
    return None


def with_controller(events: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """Events with the controller of Camp Ashraf on their start date (Ashraf events only;
    events elsewhere get the place's name as their 'controller' group)."""
    out = events.copy()
    ctl = [controller_at(spells, e.start_date) if str(e.place) == "ashraf" else None
           for e in events.itertuples(index=False)]
    out["controller"] = pd.array(ctl, dtype="string")
    return out


def period_totals(events: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Per period: number of events, of attacks, and killed / wounded low, best, high summed
    over its attacks (an attack without a figure adds nothing)."""
    att = attacks(events)
    rows = []
    for p in periods.itertuples(index=False):
        ev = events[events["period_id"] == p.period_id]
        at = att[att["period_id"] == p.period_id]
        rows.append({
            "period_id": p.period_id, "title": p.title,
            "events": len(ev), "attacks": len(at),
            # a period whose attacks give no figure has no total (not zero)
            **{c: at[c].sum(min_count=1) for c in
               ("killed_low", "killed_best", "killed_high",
                "wounded_low", "wounded_best", "wounded_high")},
        })
    out = pd.DataFrame(rows)
    for c in ("killed_low", "killed_best", "killed_high", "wounded_low", "wounded_best",
              "wounded_high"):
        out[c] = out[c].astype("Int64")
    return out


def controller_totals(events: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """Attacks at Camp Ashraf and their casualties, by who controlled the camp at the time."""
    att = with_controller(attacks(events), spells)
    att = att[att["place"].astype("string") == "ashraf"]
    cols = ["killed_low", "killed_best", "killed_high", "wounded_low", "wounded_best",
            "wounded_high"]
    grp = att.groupby("controller", observed=True, sort=False)
    out = grp["event_id"].count().rename("attacks").to_frame()
    for c in cols:  # no figure for any attack is no total, not zero
        out[c] = grp[c].sum(min_count=1).astype("Int64")
    return out.reset_index()


def cumulative_killed(events: pd.DataFrame) -> pd.DataFrame:
    """Running totals of killed (low, best, high) over all attacks, by date."""
    att = attacks(events).sort_values("start_date", kind="stable")
    att = att[att["killed_best"].notna()]
    out = att[["start_date", "event_id", "place"]].copy()
    for c in ("killed_low", "killed_best", "killed_high"):
        out[c] = att[c].astype("Int64").cumsum()
    return out.reset_index(drop=True)


def claims_by_source_class(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """How many figures each class of source gives, by measure."""
    c = claims_with_sources(claims, sources)
    tab = c.pivot_table(index="source_class", columns="measure", values="claim_id",
                        aggfunc="count", fill_value=0, observed=True)
    tab = tab.reindex(columns=[m for m in MEASURES if m in tab.columns])
    tab["all"] = tab.sum(axis=1)
    return tab.sort_values("all", ascending=False, kind="stable")


def disagreements(claims: pd.DataFrame, sources: pd.DataFrame,
                  event_ids: list[str] | None = None) -> pd.DataFrame:
    """Claims of every (event, measure, group) on which sources give different figures."""
    c = claims_with_sources(claims, sources)
    if event_ids is not None:
        c = c[c["event_id"].isin(event_ids)]
    keyed = c.assign(_span=c["value_min"].astype("string").fillna("") + "-"
                     + c["value_max"].astype("string").fillna("") + c["qualifier"].astype("string"))
    parts = []
    for _, grp in keyed.groupby(["event_id", "measure", "group"], observed=True, sort=True):
        if grp["_span"].nunique() > 1:
            parts.append(grp.sort_values(["point", "claim_date", "claim_id"], kind="stable"))
    if not parts:
        return c.iloc[0:0]
    return pd.concat(parts).drop(columns="_span").reset_index(drop=True)


COUNT_COLUMNS_RULE = [c for trio in ESTIMATE_COLUMNS.values() for c in trio if c]
