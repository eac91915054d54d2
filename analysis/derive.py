"""Derived tables: each event's low / best / high from its claims, its grade, totals, control,
source mix.

The rule (also printed in the methods chapter, from ``RULE``):
- Only claims about camp residents count (claims whose ``group`` is ``residents``), and only
  figures for the event itself (``tally`` ``event``) or for a part of it (``tally``
  ``partial``, e.g. the wounded one hospital received); figures about security forces or other
  groups, and running totals, are kept and shown, but not summed in.
- low  = the smallest figure any source gives (a claim's minimum; for "up to n", n);
- high = the largest figure any source gives (a claim's maximum; for "at least n", n);
- best = the figure of the most independent kind of speaker that gave one, ranked
  UN > NGO > academic or court > press > governments (their officials, police and
  hospitals). The speaker is whoever gave the figure, not the outlet that carried it: a UN
  count reported by a news agency ranks as the UN's, a hospital's count reported by a news
  agency as the Iraqi government's. Within that kind the most recent claim wins (a later count
  supersedes an earlier one; an undated claim, with no date stated and no dated document,
  ranks after every dated claim of its kind, since the rule does not guess its age), and on a
  tie the larger figure.
- A party's figure is not independent: a figure from the MEK/NCRI or an Iranian-state-aligned
  source, or from the government whose forces carried out the act or are said by a source to
  have (the event's ``acting_party``: the Iraqi government's count of a raid by Iraqi forces,
  Albania's of a search by its police). Nor is a figure of an encyclopedia in its own voice
  (a tertiary text that names no source for it), of a commissioned report, of a source of
  unassessed alignment, or of an 'other' source. Where no independent speaker gives a figure,
  these figures give the best estimate only if they all agree (the one shown is the first by
  the ranking above, continued commissioned > encyclopedia > unassessed > partisan > other: the
  MEK's one figure for a raid that no one else counted is its best); where they disagree, the
  event has a low and a high but no best estimate, and the book prints the range rather than
  choose between the parties. A death that one source counts as killed and another as died of
  other causes (the police's heart attack against the MEK's killing) is such a disagreement.
- Three kinds of figure never give the best estimate, whatever their speaker: a figure from a
  source the research notes flag as unreliable (``flagged`` in sources.csv), a figure
  known only second-hand, as another text quotes a document nobody on the team read
  (``second_hand`` in casualty_claims.csv), and a count of part of the event (``tally``
  ``partial``: one hospital's intake is not the number of wounded). They still bound the low
  and the high. Where every figure is of these kinds, the event has a low and a high but no
  best estimate.
- A figure whose source's words could not be found in any copy read (a claim with a
  ``no_quote_reason`` and no quote) is shown with its source but enters neither the low, the
  best nor the high: as for the grades, a source counts only for what it is quoted as saying.
"""
from __future__ import annotations

import pandas as pd

RULE = __doc__.split("The rule (also printed in the methods chapter, from ``RULE``):\n", 1)[1]

SOURCE_RANK = {
    "un": 1, "ngo": 2, "academic": 3, "court": 3, "press": 4,
    "us_government": 5, "iraqi_government": 5, "iranian_government": 5, "other_government": 5,
    "commissioned": 5, "encyclopedia": 6, "unassessed": 7, "mek_ncri": 8, "iran_state_aligned": 8, "other": 9,
    "editors": 9,
}
SOURCE_CLASS = {  # the coarse classes used in charts of "who reports what"
    "un": "UN", "ngo": "NGOs", "academic": "Academic and courts", "court": "Academic and courts",
    "press": "Press", "encyclopedia": "Encyclopedia",
    "us_government": "Governments", "iraqi_government": "Governments",
    "iranian_government": "Governments", "other_government": "Governments",
    "commissioned": "Other", "unassessed": "Other",
    "mek_ncri": "MEK / NCRI", "iran_state_aligned": "Iranian-state-aligned", "other": "Other",
    "editors": "Other",
}
# the charts of each attack's figures tell the governments apart (an Iraqi official's count of
# a raid by Iraqi forces is not the US State Department's); the overview's tables keep one class
CHART_CLASS = {**SOURCE_CLASS, "us_government": "US government",
               "iraqi_government": "Iraqi officials", "iranian_government": "Other governments",
               "other_government": "Other governments"}
PARTISAN = ("mek_ncri", "iran_state_aligned")
NOT_INDEPENDENT = PARTISAN + ("unassessed", "commissioned", "other", "editors")
MONITORS = ("un", "ngo", "court")
GRADES = ("confirmed", "corroborated", "single_source", "partisan_only", "contested")
GRADE_LABELS = {"confirmed": "confirmed", "corroborated": "corroborated",
                "single_source": "single source", "partisan_only": "no independent source",
                "contested": "contested"}

# Each grade in one line, as the register and the codebook (datapackage.json's description of
# events.grade) print it: a summary of GRADE_RULE, whose order it keeps.
GRADE_GLOSS = {
    "contested": "the sources dispute who was responsible",
    "confirmed": "the acting body's own record establishes the act, or two or more independent "
                 "first-hand witnesses report it, one of them a UN body, an NGO or a court",
    "corroborated": "two or more independent first-hand witnesses report it",
    "single_source": "one independent witness reports it, or several of which at most one is "
                     "first-hand",
    "partisan_only": "no independent witness: only partisan, commissioned, flagged, unassessed "
                     "or other sources, or none with a quote",
}


GRADE_RULE = """\
Every event is graded from its attestations (attestations.csv): one row per source that reports
it, with the source's own words. Only what the sources say counts:

- only a row with a quote counts, and only if the source itself says the event happened
  (``attests`` holds 'occurred'); a row without a quote (print only, paywalled, audio, not in
  any stored copy) counts for nothing;
- copies of one text count once (a ``witness_group`` in sources.csv: every Wikipedia text, a
  wire story's reprints), and so do several texts of one organisation (one ``label`` in
  sources.csv: Amnesty's three statements on one raid, two AP stories on one attack are one
  witness each: a body does not corroborate itself); a relay counts as the party it relays, once: a UN statement
  reposted on a partisan site is the UN's, read through a relay; Wikipedia or a newspaper
  repeating what the MEK said is the MEK's word, not an independent one;
- a witness is independent unless its speaker (the source's, or for a relay the party relayed)
  is partisan (MEK/NCRI, Iranian-state-aligned), of unassessed alignment, commissioned, 'other',
  or the source is flagged as unreliable; a government is a witness like any other, also to
  its own forces' acts (its admission that an act took place is evidence that it did), though
  its figures for its own acts are a party's (the estimate rule above);
- a first-hand witness is a source reporting on its own account (``stance`` 'first_hand') or
  the acting body's own record of its own act ('own_act'); an encyclopedia is never first-hand,
  whatever its row says: it compiles what others reported, so in its own voice it counts as
  one independent witness at second hand (enough for 'single_source', never for more);
- a government's own announcement of its act, read in a press report (Iran's of its air raids
  of 1992 and 1993), is a relay of that government: the actor's admission counts as one
  witness that the act occurred, not as the reporter's first-hand account and not as the
  acting body's own record (which is its own published text).

The grades, in order; the first grade that applies is the event's:

- contested: the sources dispute who was responsible (``perpetrator_status`` 'disputed');
- confirmed: the acting body's own record of the act (a Federal Register notice, an Official
  Journal, a court judgment, Hansard, a UN body's release about its own action) establishes it;
  or two or more independent first-hand witnesses report it, one of them a UN body, an NGO or a
  court;
- corroborated: two or more independent first-hand witnesses report it;
- single source (code ``single_source``): one independent witness reports it (a single secondary or relayed mention
  never outranks two independent first-hand reports);
- no independent source (code ``partisan_only``): no independent witness; only partisan,
  flagged, unassessed or other voices, or no quoted attestation at all.
"""
GRADE_MEANINGS = {
    "confirmed": "The act is on the acting body's own record, or two independent first-hand "
                 "reports, one by the UN, an NGO or a court, agree that it happened.",
    "corroborated": "Two independent first-hand reports say it happened.",
    "single_source": "One independent source says it happened; nobody independent confirms it.",
    "partisan_only": "Only a party to the conflict (or a source of unknown or poor standing) "
                     "says it happened.",
    "contested": "The sources agree something happened but dispute who was responsible.",
}
"""What each grade means to a reader, in one sentence."""

RANGE_TALLIES = ("event", "partial")
"""The tallies that enter an event's low and high (a 'partial' count never gives the best)."""
MEASURES = ("killed", "wounded", "detained", "missing", "relocated", "died")
ATTACK_TYPES = ("air_raid", "missile_attack", "bombing", "raid", "rocket_attack", "assault")
"""Event types counted as attacks; restrictions, demonstrations and police operations are not."""
ESTIMATE_COLUMNS = {
    "killed": ("killed_low", "killed_best", "killed_high"),
    "wounded": ("wounded_low", "wounded_best", "wounded_high"),
    "detained": (None, "detained", None),
    "missing": (None, "missing", None),
    "relocated": (None, "relocated", None),
}


def _sources_frame(sources: pd.DataFrame) -> pd.DataFrame:
    """sources with witness_group and flagged filled in (older frames may lack them)."""
    s = sources.copy()
    if "witness_group" not in s.columns:
        s["witness_group"] = s["source_key"]
    s["witness_group"] = s["witness_group"].astype("string").fillna(s["source_key"].astype("string"))
    if "flagged" not in s.columns:
        s["flagged"] = False
    s["flagged"] = s["flagged"].astype("boolean").fillna(False).astype(bool)
    return s


def claims_with_sources(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Claims joined to their source (label, publisher_type, witness_group, flagged), ranked and
    classed by who gave the figure (the claim's speaker_type); with a point value and
    ``eligible`` (may give the best estimate: not flagged, not second-hand, not a partial
    count)."""
    src = _sources_frame(sources)[["source_key", "speaker_type", "label", "witness_group",
                                   "flagged"]].rename(
        columns={"speaker_type": "publisher_type"}).astype({"publisher_type": "string"})
    out = claims.merge(src, on="source_key", how="left", validate="many_to_one")
    if "speaker_type" in out.columns:
        out["speaker_type"] = out["speaker_type"].astype("string").fillna(out["publisher_type"])
    else:
        out["speaker_type"] = out["publisher_type"]
    if "tally" not in out.columns:
        out["tally"] = "event"
    out["tally"] = out["tally"].astype("string").fillna("event")
    if "second_hand" not in out.columns:
        out["second_hand"] = False
    out["second_hand"] = out["second_hand"].astype("boolean").fillna(False).astype(bool)
    out["flagged"] = out["flagged"].astype("boolean").fillna(False).astype(bool)
    out["eligible"] = ~(out["flagged"] | out["second_hand"] | (out["tally"] == "partial"))
    out["rank"] = out["speaker_type"].map(SOURCE_RANK).astype("Int64")
    out["source_class"] = out["speaker_type"].map(SOURCE_CLASS)
    out["chart_class"] = out["speaker_type"].map(CHART_CLASS)
    out["point"] = out["value_min"].fillna(out["value_max"])
    out["upper"] = out["value_max"].fillna(out["value_min"])
    return out


def _quoted(c: pd.DataFrame) -> pd.Series:
    """Claims whose figure stands on the source's quoted words: not those entered with a
    ``no_quote_reason`` (frames without the column count every claim)."""
    if "no_quote_reason" not in c.columns:
        return pd.Series(True, index=c.index)
    reason = c["no_quote_reason"].astype("string").fillna("").str.strip()
    return reason == ""


def _in_range(c: pd.DataFrame) -> pd.Series:
    """Claims that enter an event's low and high: about residents, counting the event or a
    part of it (``RANGE_TALLIES``), on the source's quoted words."""
    return ((c["group"].astype("string") == "residents")
            & c["tally"].astype("string").isin(RANGE_TALLIES) & _quoted(c))


def acting_parties(events: pd.DataFrame | None) -> dict[str, frozenset[str]]:
    """Each event's acting party (``acting_party``, ';'-separated speaker types): whose
    figures about the event are a party's. Events without one are left out."""
    if events is None or "acting_party" not in events.columns:
        return {}
    out = {}
    for event_id, value in zip(events["event_id"], events["acting_party"]):
        if isinstance(value, str) and value.strip():
            out[str(event_id)] = frozenset(v.strip() for v in value.split(";") if v.strip())
    return out


def _independent(c: pd.DataFrame, events: pd.DataFrame | None) -> pd.Series:
    """Claims whose speaker is independent of their event (``RULE``): not partisan, not an
    encyclopedia in its own voice, not commissioned, unassessed or other, and not the
    event's acting party."""
    acting = acting_parties(events)
    kind = c["speaker_type"].astype("string").fillna("")
    party = [k in acting.get(str(e), ()) for e, k in zip(c["event_id"], kind)]
    return (~kind.isin(NOT_INDEPENDENT + ("encyclopedia",))
            & ~pd.Series(party, index=c.index, dtype=bool))


def estimates(claims: pd.DataFrame, sources: pd.DataFrame,
              events: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (event_id, measure) with low, best, high, the claim chosen as best, the
    number of claims and of witnesses; derived from the residents' claims by ``RULE``. best
    (and best_claim_id) are empty where every figure is flagged, second-hand or partial, or
    where no independent speaker gives one and the others disagree. ``n_eligible``: the
    figures that may give the best (none: every figure is set aside; some, yet no best: the
    parties disagree); ``best_independent``: whether an independent speaker gave the best.
    ``events`` gives each event's acting party; without it no government counts as a party."""
    c = claims_with_sources(claims, sources)
    c = c[_in_range(c)]
    c = c.assign(independent=_independent(c, events))
    keys = ["event_id", "measure"]
    out = (c.groupby(keys, observed=True, sort=True)
           .agg(low=("point", "min"), high=("upper", "max"), n_claims=("claim_id", "size"),
                n_sources=("witness_group", "nunique"), n_eligible=("eligible", "sum"))
           .reset_index())
    # the best: within each (event, measure), the first eligible claim, independent speakers
    # first, then by rank, the latest date (undated last) and the higher figure; a stable sort
    # of the whole table keeps the data's order among ties. Where no independent speaker gave
    # a figure, the others give the best only where they agree.
    el = c[c["eligible"]]
    has_independent = el.groupby(keys, observed=True)["independent"].transform("any")
    agree = el.groupby(keys, observed=True)["point"].transform("nunique") <= 1
    # a death one source gives as violent ('killed') and another as not ('died', e.g. a heart
    # attack in the police's account): the sources disagree on the cause, so the killed
    # figures agree with each other but not with the other account, and the died figures
    # neither (review of b007e09-b, #1: the police's 'died' stood as the figure)
    measure = c["measure"].astype("string")
    both = set(c.loc[measure == "died", "event_id"]) & set(c.loc[measure == "killed", "event_id"])
    agree &= ~(el["measure"].astype("string").isin(["killed", "died"])
               & el["event_id"].isin(both))
    el = el[has_independent | agree]
    top = (el.assign(dependent=~el["independent"])
           .sort_values(["dependent", "rank", "claim_date", "point"],
                        ascending=[True, True, False, False],
                        kind="stable", na_position="last")
           .drop_duplicates(keys, keep="first")[keys + ["point", "claim_id", "independent"]]
           .rename(columns={"point": "best", "claim_id": "best_claim_id",
                            "independent": "best_independent"}))
    out = out.merge(top, on=keys, how="left")
    cols = ["event_id", "measure", "low", "best", "high", "best_claim_id", "best_independent",
            "n_claims", "n_sources", "n_eligible"]
    out = pd.DataFrame({col: [None if pd.isna(v) else v for v in out[col].tolist()]
                        for col in cols}, columns=cols)
    return out.astype({"low": "Int64", "best": "Int64", "high": "Int64"})


# the measures a table of events prints as a range (best, with lowest and highest)
RANGE_MEASURES = ("killed", "wounded")


def range_setters(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One row per (event_id, measure) of the residents' killed and wounded, as ``estimates`` ranges them:
    ``low_ids`` and ``high_ids``, the claims whose figure is the lowest / the highest of the
    range (flagged and second-hand figures included, as they are in the range). A table of
    an attack's figures must show one of each, or the range it prints elsewhere comes from
    a figure the reader never sees."""
    c = claims_with_sources(claims, sources)
    c = c[_in_range(c) & c["measure"].astype("string").isin(RANGE_MEASURES)]
    rows = []
    for (event_id, measure), grp in c.groupby(["event_id", "measure"], observed=True, sort=True):
        rows.append({"event_id": event_id, "measure": measure,
                     "low_ids": frozenset(grp.loc[grp["point"] == grp["point"].min(), "claim_id"]),
                     "high_ids": frozenset(grp.loc[grp["upper"] == grp["upper"].max(),
                                                   "claim_id"])})
    return pd.DataFrame(rows, columns=["event_id", "measure", "low_ids", "high_ids"])


def missing_range_setters(claims: pd.DataFrame, sources: pd.DataFrame, shown: list[str],
                          measures_of: str = "shown",
                          setters: pd.DataFrame | None = None,
                          best: pd.DataFrame | None = None,
                          events: pd.DataFrame | None = None) -> list[str]:
    """What a set of claims tables leaves out: for every attack with a figure in ``shown``
    and every measure of it (``measures_of='all'``) or only the measures ``shown`` has
    figures for (``'shown'``), a line naming the lowest or highest figure of the range, or
    the figure taken as the best estimate, that no shown claim gives. Empty when the tables
    agree with the summary's ranges and best estimates. ``setters``: ``range_setters(claims,
    sources)``, ``best``: ``estimates(claims, sources, events)``, when the caller has them
    already; ``events``, for the estimates' acting parties."""
    if measures_of not in ("shown", "all"):
        raise ValueError(f"measures_of must be 'shown' or 'all', not {measures_of!r}")
    shown_set = set(shown)
    mine = claims[claims["claim_id"].isin(shown_set)]
    res = mine[mine["group"].astype("string") == "residents"]
    shown_events = set(mine["event_id"])
    pairs = set(zip(res["event_id"], res["measure"].astype("string")))
    out = []
    setters = range_setters(claims, sources) if setters is None else setters
    for r in setters.itertuples(index=False):
        if r.event_id not in shown_events:
            continue
        if measures_of == "shown" and (r.event_id, str(r.measure)) not in pairs:
            continue
        for bound, ids in (("lowest", r.low_ids), ("highest", r.high_ids)):
            if not ids & shown_set:
                out.append(f"{r.event_id} {r.measure}: the {bound} figure of the range "
                           f"({', '.join(sorted(ids))}) is in no row")
    best = estimates(claims, sources, events) if best is None else best
    for e in best.itertuples(index=False):
        if (e.event_id not in shown_events or pd.isna(e.best_claim_id)
                or str(e.measure) not in RANGE_MEASURES):
            continue
        if measures_of == "shown" and (e.event_id, str(e.measure)) not in pairs:
            continue
        if e.best_claim_id not in shown_set:
            out.append(f"{e.event_id} {e.measure}: the best estimate's figure "
                       f"({e.best_claim_id}) is in no row")
    return out


def _keys(value) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [k for k in str(value).split(";") if k]


def _attestations_frame(events: pd.DataFrame, attestations) -> pd.DataFrame:
    """attestations, or (for frames without one) every source key of an event as a quoted
    first-hand report of its occurrence."""
    if attestations is not None:
        return attestations
    rows = [{"event_id": e.event_id, "source_key": k, "attests": "occurred",
             "stance": "first_hand", "relays": pd.NA, "quote": "(source_keys)"}
            for e in events.itertuples(index=False) for k in _keys(getattr(e, "source_keys", ""))]
    return pd.DataFrame(rows, columns=["event_id", "source_key", "attests", "stance", "relays",
                                       "quote"])


def _text(v) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()


def witnesses(events: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame,
              attestations: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (event, witness) by ``GRADE_RULE``: the witness (a witness group, or
    'relay:<speaker>' for a relayed party), its kind (speaker type), whether it is independent,
    first-hand, the acting body's own record; from the quoted attestations that say the event
    occurred. (claims is accepted for the older signature and not used: a claim's source
    counts when it has an attestation row.)"""
    s = _sources_frame(sources).drop_duplicates("source_key").set_index("source_key")
    by_key = s[["flagged", "speaker_type", "witness_group"]].to_dict("index")
    # the witness is the organisation: where the group is a source key (a text and its
    # copies), the label of that text's source; a named group ("wikipedia") stays as it is
    labels = s["label"].astype("string").to_dict() if "label" in s.columns else {}
    for src in by_key.values():
        group = str(src["witness_group"])
        if isinstance(labels.get(group), str) and labels[group]:
            src["witness_group"] = labels[group]
    a = _attestations_frame(events, attestations)
    rows: dict[tuple[str, str], dict] = {}
    for r in a.itertuples(index=False):
        if not _text(r.quote) or "occurred" not in _text(r.attests).split(";"):
            continue
        src = by_key.get(r.source_key)
        if src is None:
            continue
        stance = _text(r.stance) or "first_hand"
        flagged = bool(src["flagged"])
        if stance == "relay":
            kind = _text(r.relays) or "unassessed"
            group = f"relay:{kind}"
        else:
            kind = str(src["speaker_type"])
            group = str(src["witness_group"])
        indep = kind not in NOT_INDEPENDENT and not flagged
        # an encyclopedia compiles what others reported: never first-hand (GRADE_RULE)
        first = stance in ("first_hand", "own_act") and kind != "encyclopedia"
        key = (r.event_id, group)
        old = rows.get(key)
        new = {"event_id": r.event_id, "witness_group": group, "kind": kind,
               "independent": indep, "first_hand": first,
               "own_act": stance == "own_act" and kind != "encyclopedia"}
        if old is None:
            rows[key] = new
        else:  # a group is as strong as its strongest copy
            for f in ("independent", "first_hand", "own_act"):
                old[f] = old[f] or new[f]
    return pd.DataFrame(list(rows.values()),
                        columns=["event_id", "witness_group", "kind", "independent",
                                 "first_hand", "own_act"])


def grade_of(mine: pd.DataFrame, perpetrator_status: str = "") -> tuple[str, str]:
    """(grade, why) for one event's witnesses (rows of ``witnesses``)."""
    # plain records, not pandas filters: this runs once per event in every validation
    rows = mine.to_dict("records")
    indep = [r for r in rows if bool(r["independent"])]
    first = [r for r in indep if bool(r["first_hand"])]
    own = [r for r in rows if bool(r["own_act"]) and r["kind"] not in PARTISAN]
    n_first, n_indep = len(first), len(indep)
    monitor = any(r["kind"] in MONITORS for r in first)
    if perpetrator_status == "disputed":
        return "contested", "the sources dispute who was responsible"
    if own:
        return "confirmed", (f"the acting body's own record ({own[0]['witness_group']}) "
                             "establishes the act")
    if n_first >= 2 and monitor:
        return "confirmed", (f"{n_first} independent first-hand witnesses, one a UN body, "
                             "an NGO or a court")
    if n_first >= 2:
        return "corroborated", f"{n_first} independent first-hand witnesses"
    if n_indep >= 1:
        return "single_source", ("one independent witness" if n_indep == 1 else
                                 f"{n_indep} independent witnesses, at most one of them "
                                 "first-hand")
    if len(mine):
        return "partisan_only", ("one quoted witness, not independent" if len(mine) == 1 else
                                 f"{len(mine)} quoted witnesses, none independent")
    return "partisan_only", "no source is quoted as saying that it happened"


def grades(events: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame,
           attestations: pd.DataFrame | None = None, why: bool = False) -> pd.Series:
    """Each event's grade by ``GRADE_RULE``, indexed by event_id (with why=True, the one-line
    reason instead)."""
    w = witnesses(events, claims, sources, attestations)
    by_event = dict(tuple(w.groupby("event_id", sort=False))) if len(w) else {}
    out = {}
    for e in events.itertuples(index=False):
        mine = by_event.get(e.event_id, w.iloc[0:0])
        status = "" if pd.isna(e.perpetrator_status) else str(e.perpetrator_status)
        grade, reason = grade_of(mine, status)
        out[e.event_id] = reason if why else grade
    return pd.Series(out, name="why" if why else "grade", dtype="string")


def count_witnesses(source_keys, sources: pd.DataFrame) -> int:
    """How many witnesses some source keys are (copies of one text count once); keys unknown
    to sources.csv count as their own witness."""
    keys = _keys(source_keys) if isinstance(source_keys, str) else list(source_keys)
    groups = _sources_frame(sources).set_index("source_key")["witness_group"].to_dict()
    return len({groups.get(k, k) for k in keys})


def expected_event_counts(claims: pd.DataFrame, sources: pd.DataFrame,
                          events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The values events.csv must hold in its count columns, one row per event with claims
    (``events``: for each event's acting party, see ``estimates``)."""
    est = estimates(claims, sources, events)
    out: dict[str, dict[str, int]] = {}
    for row in est.itertuples(index=False):
        if row.measure not in ESTIMATE_COLUMNS:  # 'died' fills no column
            continue
        low_col, best_col, high_col = ESTIMATE_COLUMNS[row.measure]
        rec = out.setdefault(row.event_id, {})
        if pd.notna(row.best):
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
    """Attacks at Camp Ashraf and their casualties, by who controlled the camp at the time:
    every controller the spells give Camp Ashraf, those under whom no attack happened with 0
    attacks (and no casualty total), in the order of their first spell."""
    att = with_controller(attacks(events), spells)
    att = att[att["place"].astype("string") == "ashraf"]
    cols = ["killed_low", "killed_best", "killed_high", "wounded_low", "wounded_best",
            "wounded_high"]
    grp = att.groupby("controller", observed=True, sort=False)
    out = grp["event_id"].count().rename("attacks").to_frame()
    for c in cols:  # no figure for any attack is no total, not zero
        out[c] = grp[c].sum(min_count=1).astype("Int64")
    out.index = out.index.astype("string")
    at_ashraf = spells[spells["site"].astype("string") == "ashraf"].sort_values(
        "start_date", kind="stable")
    every = list(dict.fromkeys(at_ashraf["controller"].astype("string")))
    every += [c for c in out.index if c not in every]
    out = out.reindex(every)
    out["attacks"] = out["attacks"].fillna(0).astype(int)
    out.index.name = "controller"
    return out.reset_index()


def cumulative_killed(events: pd.DataFrame) -> pd.DataFrame:
    """Running totals of killed (low, best, high) over all attacks, by date, and
    ``killed_best_ashraf``: the running best estimate of those killed at Camp Ashraf alone (the
    camp whose controllers a chart may show beside it)."""
    att = attacks(events).sort_values("start_date", kind="stable")
    att = att[att["killed_best"].notna()]
    out = att[["start_date", "event_id", "place"]].copy()
    for c in ("killed_low", "killed_best", "killed_high"):
        out[c] = att[c].astype("Int64").cumsum()
    at_ashraf = att["place"].astype("string") == "ashraf"
    out["killed_best_ashraf"] = att["killed_best"].astype("Int64").where(at_ashraf, 0).cumsum()
    return out.reset_index(drop=True)


def claims_by_source_class(claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """How many figures each class of source gives, by measure."""
    c = claims_with_sources(claims, sources)
    tab = c.pivot_table(index="source_class", columns="measure", values="claim_id",
                        aggfunc="count", fill_value=0, observed=True)
    tab = tab.reindex(columns=[m for m in MEASURES if m in tab.columns])
    tab["all"] = tab.sum(axis=1)
    return tab.sort_values("all", ascending=False, kind="stable")


ABOUT_BAND = 0.1
"""How far an 'about n' figure reaches either side of n when figures are compared for
agreement ('about 400' agrees with an exact 397)."""


def _interval(qualifier: str, lo, hi) -> tuple[float, float]:
    """The values a figure allows: exact n is n, about n is n give or take ``ABOUT_BAND``,
    at least n is n and more, up to n is 0 to n."""
    q = str(qualifier)
    lo = None if pd.isna(lo) else float(lo)
    hi = None if pd.isna(hi) else float(hi)
    if q == "at_least":
        return (lo if lo is not None else 0.0, float("inf"))
    if q == "up_to":
        return (0.0, hi if hi is not None else float("inf"))
    a = lo if lo is not None else hi
    b = hi if hi is not None else lo
    if q == "about":
        return (a * (1 - ABOUT_BAND), b * (1 + ABOUT_BAND))
    return (a, b)


def disagreements(claims: pd.DataFrame, sources: pd.DataFrame,
                  event_ids: list[str] | None = None) -> pd.DataFrame:
    """Claims of every (event, measure, group) on which sources' figures conflict: no one
    number is allowed by them all (so 'about 40', 'about 40' and 'at least 40' agree, and
    'exactly 3' and 'at least 5' conflict). Only counts of the event itself are compared: a
    running total or a count of part of the event (tally 'cumulative' or 'partial') measures
    something else, and so does a figure whose words were not found (no_quote_reason)."""
    c = claims_with_sources(claims, sources)
    if event_ids is not None:
        c = c[c["event_id"].isin(event_ids)]
    c = c[(c["tally"].astype("string") == "event") & _quoted(c)]
    parts = []
    for _, grp in c.groupby(["event_id", "measure", "group"], observed=True, sort=True):
        spans = [_interval(q, lo, hi) for q, lo, hi in
                 zip(grp["qualifier"], grp["value_min"], grp["value_max"])]
        if len(spans) > 1 and max(a for a, _ in spans) > min(b for _, b in spans):
            parts.append(grp.sort_values(["point", "claim_date", "claim_id"], kind="stable"))
    if not parts:
        return c.iloc[0:0]
    return pd.concat(parts).reset_index(drop=True)


def unquantified_disagreements(claims: pd.DataFrame, unquantified: pd.DataFrame,
                               sources: pd.DataFrame,
                               event_ids: list[str] | None = None) -> pd.DataFrame:
    """Accounts that differ without numbers: for every (event, measure, group) with a claim
    qualified 'unquantified' (a source speaks of casualties but gives no number) and at least
    one other account from another speaker (a figure, such as a denial recorded as 0, or
    another unquantified account), all those claims, figures first. Empty when there are
    none."""
    both = pd.concat([claims, unquantified], ignore_index=True)
    if both.empty:
        return both
    c = claims_with_sources(both, sources)
    if event_ids is not None:
        c = c[c["event_id"].isin(event_ids)]
    parts = []
    for _, grp in c.groupby(["event_id", "measure", "group"], observed=True, sort=True):
        vague = grp["qualifier"].astype("string") == "unquantified"
        if vague.any() and grp["speaker_type"].astype("string").nunique() > 1:
            parts.append(grp.assign(_vague=vague.astype(int))
                         .sort_values(["_vague", "claim_date", "claim_id"], kind="stable")
                         .drop(columns="_vague"))
    if not parts:
        return c.iloc[0:0]
    return pd.concat(parts).reset_index(drop=True)


COUNT_COLUMNS_RULE = [c for trio in ESTIMATE_COLUMNS.values() for c in trio if c]


def grade_examples(events: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame,
                   attestations: pd.DataFrame) -> pd.DataFrame:
    """One worked example per grade, for the methods chapter: of the events with that grade,
    the one with the most quoted attestations (the earliest on a tie), with the rule's
    one-line reason. Columns: grade, event_id, title, quoted (how many quoted attestations),
    why."""
    why = grades(events, claims, sources, attestations, why=True)
    quoted = attestations[attestations["quote"].fillna("").astype(str).str.strip() != ""]
    n = quoted.groupby("event_id").size()
    rows = []
    for g in GRADES:
        mine = events[events["grade"] == g].copy()
        if mine.empty:
            continue
        mine["quoted"] = mine["event_id"].map(n).fillna(0).astype(int)
        best = mine.sort_values(["quoted", "start_date"], ascending=[False, True]).iloc[0]
        rows.append((g, best["event_id"], best["title"], int(best["quoted"]),
                     why.get(best["event_id"], "")))
    return pd.DataFrame(rows, columns=["grade", "event_id", "title", "quoted", "why"])
