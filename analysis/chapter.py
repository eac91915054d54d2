"""What a chapter notebook calls. One line sets a chapter up and glues every number its prose
may quote; each figure, table and note is then one call.

Glue keys (use them in prose as {glue:text}`KEY`):
- ``<event_id>.killed_best`` / ``.killed_low`` / ``.killed_high`` / ``.killed_range``, the same
  for ``wounded``; ``<event_id>.detained``, ``.missing``, ``.relocated``
- ``<event_id>.<measure>_best_by``: who gave the figure chosen as best, and where it was read,
  worded for a sentence ("the MEK, as reported by AFP"; "UNHCR"): ``text.speaker_phrase``
- ``<event_id>.<measure>_best_as_given``: the best estimate with its source's qualifier
  ("at least 27"), for prose that states the figure as given;
- ``<event_id>.best_by``: both best estimates' speakers in one phrase, for "N killed and M
  wounded, {best_by}": "both given by UNHCR", or "given by X and by Y respectively"
- ``<claim_id>``: one source's figure in words ("at least 9", "about 400")
- ``<population_id>``: one population count in words; ``<population_id>.n``: its number alone
- ``<period_id>.killed_sum``: the period's killed in words ("8 killed: for each attack, the
  sources that give a number of dead agree", or the range and the best estimate; no apostrophe: Sphinx would curl it)
- ``<period_id>.events``, ``.attacks``, ``.killed_best``, ``.killed_low``, ``.killed_high``,
  ``.wounded_best``, ``.wounded_low``, ``.wounded_high``
- book-wide (``Overview``): ``book.events``, ``book.attacks``, ``book.claims``,
  ``book.sources`` (witnesses: copies of one text count once), ``book.references`` (entries
  of references.bib), ``book.claim_sources`` (witnesses that give a figure),
  ``book.residents_counts`` (population counts of residents), ``book.killed_best`` /
  ``_low`` / ``_high``, ``book.spells``, ``book.grade.<grade>`` (events per grade); every
  attack's keys and every population count as above; and the analysis keys of
  ``analysis_keys`` (residents' counts by place, the deadliest attacks, control by
  controller, population first/peak/last, figures by kind of source)
"""
from __future__ import annotations

import re

import pandas as pd

from . import derive, figdata, plot, register, style
from .labels import BEGAN_LABELS, TYPE_LABELS, began_label, kind_label  # noqa: F401  (chapter.TYPE_LABELS, as before)
from .load import Dataset, load
from .text import (both_given_by, cite, fmt_claim, fmt_count, fmt_date, fmt_range, fmt_span,
                   md_escape, md_table, speaker_phrase)

COUNT_COLUMNS = ("killed_low", "killed_best", "killed_high", "wounded_low", "wounded_best",
                 "wounded_high", "detained", "missing", "relocated")


def _place(e) -> str:
    if str(e.place) == "elsewhere" and isinstance(e.place_detail, str) and e.place_detail:
        return e.place_detail
    return style.PLACES.get(str(e.place), str(e.place))


def flagged_sources(sources: pd.DataFrame) -> frozenset:
    """Keys of the sources the research notes flag as unreliable (sources.flagged)."""
    return frozenset(sources.loc[sources["flagged"].fillna(False).astype(bool),
                                 "source_key"].astype(str))


def residents(pop: pd.DataFrame) -> pd.DataFrame:
    """Population counts of residents (not of defectors held apart)."""
    return pop[pop["group"].astype("string") == "residents"]


def _sums_note(t: pd.DataFrame) -> str:
    """The note under a table of sums: what the three sums are, and, where a best-estimate sum
    falls below its bracket (review of b007e09-b, #6: "67 (280–917)" read as an error), why."""
    note = ("\nKilled and wounded: the sum of the attacks' best estimates, with the sums of "
            "their lowest and of their highest figures in brackets.")
    below = any((t[f"{m}_best"].astype("Float64") < t[f"{m}_low"].astype("Float64"))
                .fillna(False).any() for m in ("killed", "wounded"))
    if below:
        note += (" The first sum leaves out the attacks that have no best estimate (the "
                 "sources disagree and none of them is independent); the bracketed sums "
                 "include them, so a sum of best estimates can fall below its bracket.")
    return note + "\n"


def _caveat(claim) -> str:
    """What a reader must know of a figure that may not give a best estimate: its source is
    flagged as unreliable, or it is known only second-hand."""
    if bool(getattr(claim, "flagged", False)):
        return ", a source the research notes flag as unreliable: never a best estimate"
    if bool(getattr(claim, "second_hand", False)):
        return ", known only second-hand: never a best estimate"
    return ""


# what a claim counts, for the "Counts" column of a claims table
GROUP_LABELS = {"residents": "residents", "security_forces": "Iraqi security forces",
                "combined": "residents and others", "others": "others"}


def _marks(claim) -> list[str]:
    """Which of 'flagged' and 'second-hand' a claim is (from its flags)."""
    return [m for m, on in (("flagged", getattr(claim, "flagged", False)),
                            ("second-hand", getattr(claim, "second_hand", False))) if bool(on)]


def _mark(claim) -> str:
    """' (flagged)', ' (second-hand)', ' (flagged; second-hand)' or ''."""
    marks = _marks(claim)
    return f" ({'; '.join(marks)})" if marks else ""


def _markdown(text: str):
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)


# every value glued in this process, by key: what analysis.lab shows in a chapter's prose
# in JupyterLab (Binder)
GLUED: dict[str, str] = {}
GLUE_PREFIX = "application/papermill.record/"  # myst-nb's mime prefix of a hidden glued value


class _Base:
    def __init__(self, data: Dataset | None = None, glue: bool = True):
        style.apply()
        style.use_vector_output()
        self.data = data or load()
        self.claims = derive.claims_with_sources(self.data.claims, self.data.sources)
        # "today" for charts is the data package's own date, so that a re-run on another
        # day draws the same figures
        created = self.data.descriptor.get("created")
        self.today = (pd.Timestamp(created[:10]) if created
                      else pd.Timestamp.today().normalize())
        self._glue_on = glue
        self.glued: dict[str, str] = {}
        # the book's charts end with the last year the data records anything (the book's
        # title says 1986–that year), not at the data package's date
        self.book_end = min(last_record_year_end(self.data), self.today)

    def glue(self, key: str, value: str) -> None:
        """Glue a value as text, hidden where it is glued ({glue:text} shows it unquoted)."""
        self.glued[key] = value
        GLUED[key] = str(value)   # for the chapters in JupyterLab (analysis.lab)
        if self._glue_on:
            try:
                from IPython.display import display
            except ImportError:
                return
            # what myst_nb.glue(key, value, display=False) outputs for a str, written
            # directly: myst-nb's glue runs every IPython formatter on each of a chapter's
            # hundreds of values and imports nbformat, about a second per notebook
            # (tests/test_analysis.py checks that the output is the same)
            display({GLUE_PREFIX + "text/plain": repr(str(value))}, raw=True,
                    metadata={"scrapbook": {"name": key, "mime_prefix": GLUE_PREFIX}})

    def _glue_events(self, events: pd.DataFrame) -> None:
        for e in events.itertuples(index=False):
            for col in COUNT_COLUMNS:
                val = getattr(e, col)
                if pd.notna(val):
                    self.glue(f"{e.event_id}.{col}", fmt_count(val))
            for m in ("killed", "wounded"):
                if pd.notna(getattr(e, f"{m}_best")):
                    self.glue(f"{e.event_id}.{m}_range",
                              fmt_range(getattr(e, f"{m}_low"), getattr(e, f"{m}_best"),
                                        getattr(e, f"{m}_high")))
        mine = self.claims[self.claims["event_id"].isin(events["event_id"])]
        for c in mine.itertuples(index=False):
            self.glue(c.claim_id, fmt_claim(c.qualifier, c.value_min, c.value_max))
        by_id = mine.set_index("claim_id")
        est = self.data.derived(derive.estimates)
        best_by: dict[str, dict[str, str]] = {}
        for e in est[est["event_id"].isin(events["event_id"])].itertuples(index=False):
            if pd.isna(e.best_claim_id):
                continue
            best = by_id.loc[e.best_claim_id]
            phrase = speaker_phrase(best["quoted"], best["label"])
            self.glue(f"{e.event_id}.{e.measure}_best_by", phrase)
            # the best estimate as its source gave it ("at least 27" where the count is 27)
            self.glue(f"{e.event_id}.{e.measure}_best_as_given",
                      fmt_claim(best["qualifier"], best["value_min"], best["value_max"]))
            best_by.setdefault(e.event_id, {})[e.measure] = phrase
        for event_id, by in best_by.items():
            if "killed" in by or "wounded" in by:
                self.glue(f"{event_id}.best_by",
                          both_given_by(by.get("killed"), by.get("wounded")))

    def _glue_population(self, pop: pd.DataFrame) -> None:
        for p in pop.itertuples(index=False):
            self.glue(p.population_id, fmt_claim(p.qualifier, p.value_min, p.value_max))
            # the bare number, for the two ends of a range a source gives ("4,000 to 5,000",
            # kept as an "at least" row and an "up to" row)
            self.glue(f"{p.population_id}.n", fmt_count(
                p.value_min if pd.notna(p.value_min) else p.value_max))

    def events_table(self, events: pd.DataFrame, caption: str, name: str):
        """The events as a numbered table (date at its precision, what happened, its kind,
        killed and wounded as best estimate with the range, and the grade), then each event's
        sources as a list. Where a source gives a death during the event that it
        does not call violent (a 'died' claim: police citing a heart attack) while another
        counts it as killed, the Killed cell says that the cause is disputed."""
        died = set(self.data.claims.loc[self.data.claims["measure"] == "died", "event_id"])
        # a best estimate that no independent source gave (the party's own figure, an
        # encyclopedia's, one of unassessed alignment) is marked, so that a reader does not
        # take it for an independent count (review of 6de8688, a#11)
        est = self.data.derived(derive.estimates).dropna(subset=["best_claim_id"])
        partys = {(r.event_id, str(r.measure)) for r in est.itertuples(index=False)
                  if not r.best_independent}

        def marked(e, measure: str, cell: str) -> str:
            if (e.event_id, measure) not in partys or cell.startswith("–"):
                return cell
            head, _, rest = cell.partition(" ")
            return f"{head}†" + (f" {rest}" if rest else "")

        def killed(e) -> str:
            cell = marked(e, "killed", fmt_range(e.killed_low, e.killed_best, e.killed_high))
            return f"{cell} (cause disputed)" if e.event_id in died and cell != "–" else cell
        rows = pd.DataFrame({
            "No.": [str(i) for i in range(1, len(events) + 1)],
            "Date": [fmt_span(e.start_date, e.end_date, e.date_precision, short=True)
                     for e in events.itertuples(index=False)],
            # the title links the register entry, which gives the place in full
            "Event": [f"[{md_escape(e.title)}](#{register.anchor(e.event_id)})"
                      for e in events.itertuples(index=False)],
            "Kind": [TYPE_LABELS.get(str(e.event_type), str(e.event_type).replace("_", " "))
                     for e in events.itertuples(index=False)],
            "Killed": [killed(e) for e in events.itertuples(index=False)],
            "Wounded": [marked(e, "wounded", fmt_range(e.wounded_low, e.wounded_best,
                                                       e.wounded_high))
                        for e in events.itertuples(index=False)],
            "Grade": [derive.GRADE_LABELS.get(str(g), str(g)) if pd.notna(g) else "–"
                      for g in events["grade"]] if "grade" in events.columns
            else ["–"] * len(events),
        })
        table = md_table(rows, caption, name,
                         escape={"Date", "Kind", "Killed", "Wounded", "Grade"},
                         widths=[5, 15, 29, 13, 10, 12, 16])
        sources = "\n".join(f"{i}. {cite(k)}" for i, k in
                             enumerate(events["source_keys"], start=1))
        cells = rows["Killed"].tolist() + rows["Wounded"].tolist()
        dates = " ".join(rows["Date"])
        who = ("the camp's residents" if (events["start_date"] >= pd.Timestamp("2003-01-01")).all()
               else "the group's members at its bases, later the camp's residents")
        # the brackets are promised only where a cell has them (review of c60c8b1, #32)
        note = [f"Killed and wounded: the best estimate, counting {who}"
                + (", with the lowest and highest figures any source gives in brackets."
                   if any("(" in c for c in cells) else ".")]
        if any(c.startswith("– (") for c in cells):
            note.append("A dash with figures in brackets: the sources give figures, but none "
                        "qualifies as a best estimate (the parties disagree and no independent "
                        "source counted, or every figure is of a kind the rule in the methods "
                        "chapter sets aside).")
        if any("†" in c for c in cells):
            note.append("†: no independent source gave a figure; the best estimate is the one "
                        "figure, or the figure all agree on, of a party to the event (the MEK, an "
                        "Iranian-state-aligned outlet, the government whose forces acted) or of an "
                        "encyclopedia or a source of unassessed alignment; the event's entry in "
                        "the register says whose.")
        if any("cause disputed" in c for c in cells):
            note.append("'Cause disputed': a source gives a death as not violent; the event's "
                        "entry in the register gives both accounts.")
        note.append("Grade: how well the event is attested, by the rule in the methods chapter "
                    "(confirmed, corroborated, single source, no independent source, contested).")
        if re.search(r"\bor\b|between|\bc\.", dates):
            note.append("Dates: 'or' and 'between' mark one date known only between two "
                        "reported dates; 'c.' a period with approximate ends.")
        note.append("Each title links to the event's entry in the register, with its place "
                    "and its sources' own words. Sources of each numbered event:")
        note = " ".join(note)
        return _markdown(table + "\n" + note + "\n\n" + sources + "\n")

    def claims_table(self, claim_ids: list[str], caption: str, name: str,
                     by_date: bool = False):
        """Competing figures as a small numbered table, one row per claim in the order given
        (with ``by_date``: by the claim's date, undated last, then by who gave the figure,
        within each run of rows that count one thing, the runs in the order given): the
        figure, what it counts (whose killed or wounded), who gave it (marked where the
        source is flagged as unreliable or known only second-hand), when (the claim's date,
        or 'undated'), and the source. Where every row counts the same thing, the Counts
        column is left out (a phone shows four columns without scrolling) and the caption
        must say what the table counts (ValueError otherwise). A chapter's paragraph names a
        few of the figures and points to the table for the rest. Refuses (ValueError) a table
        that leaves out the lowest or the highest residents' figure of a measure it shows, or
        the figure taken as the best estimate: the range and the best estimate printed in the
        chapter's table of events must come from rows the reader sees."""
        if not claim_ids:
            raise ValueError(f"claims_table {name}: no claim ids given")
        by_id = self.claims.set_index("claim_id")  # joined to sources: flagged
        unknown = [c for c in claim_ids if c not in by_id.index]
        if unknown:
            raise KeyError(f"claims_table {name}: no claim {', '.join(unknown)} in "
                           "data/casualty_claims.csv")
        missing = derive.missing_range_setters(self.data.claims, self.data.sources, claim_ids,
                                               setters=self.data.derived(derive.range_setters),
                                               best=self.data.derived(derive.estimates))
        if missing:
            raise ValueError(f"claims_table {name}: " + "; ".join(missing) + ". Add the "
                             "claim (flagged and second-hand figures are marked as such)")
        if by_date:
            runs: dict[tuple[str, str], int] = {}
            for c in claim_ids:
                runs.setdefault((str(by_id.at[c, "measure"]), str(by_id.at[c, "group"])),
                                len(runs))

            def when(c):
                d = by_id.at[c, "claim_date"]
                return (pd.isna(d), "" if pd.isna(d) else pd.Timestamp(d).isoformat())
            # ties (one giver, one date: a hospital's successive counts) keep the order given
            claim_ids = sorted(claim_ids, key=lambda c: (
                runs[(str(by_id.at[c, "measure"]), str(by_id.at[c, "group"]))], *when(c),
                str(by_id.at[c, "quoted"]).lower()))
        rows = [by_id.loc[c] for c in claim_ids]
        counts = [f"{GROUP_LABELS.get(str(r.group), str(r.group).replace('_', ' '))} "
                  f"{r.measure}" for r in rows]
        frame = pd.DataFrame({
            "Figure": [fmt_claim(r.qualifier, r.value_min, r.value_max) for r in rows],
            "Counts": counts,
            "Given by": [str(r.quoted) + _mark(r) for r in rows],
            "Date": [fmt_date(r.claim_date, r.claim_date_precision)
                     if pd.notna(r.claim_date) else "undated"
                     for r in rows],
            "Source": [cite(r.source_key) for r in rows],
        })
        widths = [11, 17, 32, 17, 23]
        if len(set(counts)) == 1:
            # one measure of one group: the column would repeat one phrase on every row, so
            # the caption says it instead
            r = rows[0]
            said = [str(r.measure)] + ([] if str(r.group) == "residents" else
                                       [GROUP_LABELS.get(str(r.group), str(r.group))])
            unsaid = [w for w in said if w.lower() not in caption.lower()]
            if unsaid:
                raise ValueError(f"claims_table {name}: every row counts {counts[0]}, so the "
                                 f"table has no Counts column and its caption must say what "
                                 f"it counts ({', '.join(repr(w) for w in unsaid)} not in "
                                 f"{caption!r})")
            frame = frame.drop(columns="Counts")
            widths = [14, 36, 22, 28]
        table = md_table(frame, caption, name, escape={"Figure", "Counts", "Given by", "Date"},
                         widths=widths)
        marks = {m for r in rows for m in _marks(r)}
        if not marks:
            return _markdown(table)
        notes = {"flagged": "flagged: a source the research notes flag as unreliable",
                 "second-hand": "second-hand: known only through another text's quotation"}
        note = ("; ".join(notes[m] for m in ("flagged", "second-hand") if m in marks).capitalize()
                + ". Such a figure counts in the range of the table of events but never gives "
                "the best estimate.")
        return _markdown(table + "\n" + note + "\n")

    def disagreements(self, events: pd.DataFrame):
        """A 'sources disagree' note: for each event and measure on which sources give
        different numbers, who said what, each with its citation; and for each event and
        measure where a source speaks of casualties without a number (a claim qualified
        'unquantified') and another source gives a different account, both accounts, with a
        link to the event. Only when neither occurs: 'no two sources give different numbers'."""
        dis = derive.disagreements(self.data.claims, self.data.sources,
                                   events["event_id"].tolist())
        und = derive.unquantified_disagreements(self.data.claims, self.data.unquantified,
                                                self.data.sources, events["event_id"].tolist())
        if dis.empty and und.empty:
            # a titled admonition: a {note} takes its argument for body text ("Note: Sources
            # agree No two sources ..."); the title speaks of numbers only, since the chapter
            # may still tell disputes about other questions
            return _markdown(":::{admonition} No conflicting numbers\n:class: note\n\n"
                             "No two sources give different numbers of casualties for the "
                             "events of this chapter, and no account without a number differs "
                             "from another. The disputes the chapter tells are about other "
                             "questions.\n:::\n")
        # each bullet names the attack by its date: several attacks share a title
        titles = {e.event_id: f"{md_escape(e.title)}, "
                  f"{md_escape(fmt_span(e.start_date, e.end_date, e.date_precision))}"
                  for e in events.itertuples(index=False)}

        def whom(group) -> str:
            return "" if str(group) == "residents" else \
                f" ({md_escape(str(group).replace('_', ' '))})"

        def figure(c, keys=None) -> str:
            keys = keys or [c.source_key]
            if str(c.qualifier) == "unquantified":
                return f"casualties without a number ({md_escape(c.quoted)}, {cite(keys)})"
            return (f"{fmt_claim(c.qualifier, c.value_min, c.value_max)} "
                    f"({md_escape(c.quoted)}, {cite(keys)}{_caveat(c)})")

        def per_witness(grp) -> str:
            """One entry per witness, speaker and figure: copies of one text (a witness group,
            such as the Wikipedia texts) giving the same figure are one witness, cited once with
            all their keys; two speakers in one text (police and UN officials in one AP
            sentence) are two entries; the entries keep the order of the claims."""
            same = grp.assign(
                _w=grp["witness_group"].astype("string").fillna(grp["source_key"].astype("string")),
                _f=grp["qualifier"].astype("string") + ":"
                + grp["value_min"].astype("string").fillna("") + "-"
                + grp["value_max"].astype("string").fillna(""))
            return "; ".join(
                figure(next(one.itertuples(index=False)), list(dict.fromkeys(one["source_key"])))
                for _, one in same.groupby(["_w", "_f", "speaker_type"], sort=False,
                                           observed=True, dropna=False))

        if dis.empty:
            lines = [":::{admonition} Numbers agree, accounts differ", ":class: warning", "",
                     "No two sources give different numbers for the events of this chapter, "
                     "but for the events below one source's account gives no number and "
                     "another's differs:", ""]
        else:
            lines = [":::{admonition} Sources disagree", ":class: warning", ""]
        for (eid, measure, group), grp in dis.groupby(["event_id", "measure", "group"],
                                                       sort=False, observed=True):
            who = per_witness(grp)
            lines.append(f"- **{titles.get(eid, md_escape(eid))}**, {measure}{whom(group)}: "
                         f"{who}.")
        if not dis.empty and not und.empty:
            lines += ["", "Accounts that differ where one source gives no number:", ""]
        for (eid, measure, group), grp in und.groupby(["event_id", "measure", "group"],
                                                       sort=False, observed=True):
            who = "; ".join(figure(c) for c in grp.itertuples(index=False))
            lines.append(f"- **[{titles.get(eid, md_escape(eid))}](#{register.anchor(eid)})**, "
                         f"{measure}{whom(group)}: {who}.")
        # what the box leaves out, and why (review of c60c8b1, #9): a reader comparing it with
        # the tables of figures must not think a figure was dropped in silence
        shown = set(dis["event_id"])
        mine = self.claims[self.claims["event_id"].isin(shown)]
        left = []
        if (mine["tally"].astype("string") == "partial").any():
            left.append("counts of part of an event (one hospital's patients)")
        if (mine["tally"].astype("string") == "cumulative").any():
            left.append("running totals")
        reason = (mine["no_quote_reason"].astype("string").fillna("").str.strip()
                  if "no_quote_reason" in mine.columns else pd.Series(dtype="string"))
        if (reason != "").any():
            left.append("figures whose source's words were not found in any copy read")
        if left:
            lines += ["", "Not set against the others here: " + "; ".join(left) + ". They "
                      "measure something else or stand on no quoted words; the tables of "
                      "figures and each event's entry in the register give them."]
        lines.append(":::")
        return _markdown("\n".join(lines) + "\n")


class Chapter(_Base):
    """One period chapter: its events, claims and population, glued and charted."""

    def __init__(self, period_id: str, data: Dataset | None = None, glue: bool = True):
        super().__init__(data, glue)
        periods = self.data.periods
        match = periods[periods["period_id"] == period_id]
        if match.empty:
            raise KeyError(f"no period '{period_id}' in data/periods.csv; "
                           f"known: {', '.join(periods['period_id'])}")
        self.period = match.iloc[0]
        self.id = period_id
        ev = self.data.events
        self.events = ev[ev["period_id"] == period_id].reset_index(drop=True)
        self.start = self.period["start_date"]
        self.end = min(self.period["end_date"], self.book_end)
        pop = residents(self.data.population)
        self.population = pop[(pop["date"] >= self.start) & (pop["date"] <= self.end)]
        self._glue_events(self.events)
        allpop = self.data.population
        self._glue_population(allpop[(allpop["date"] >= self.start) & (allpop["date"] <= self.end)])
        totals = derive.period_totals(ev, periods)
        row = totals[totals["period_id"] == period_id].iloc[0]
        for col in ("events", "attacks", "killed_best", "killed_low", "killed_high",
                    "wounded_best", "wounded_low", "wounded_high"):
            self.glue(f"{period_id}.{col}", fmt_count(row[col]))
        # the period's killed in one phrase, which does not repeat a figure all sources share
        low, best, high = (fmt_count(row[c]) for c in ("killed_low", "killed_best",
                                                        "killed_high"))
        self.glue(f"{period_id}.killed_sum",
                  f"{best} killed: for each attack, the sources that give a number of dead "
                  f"agree" if low == high
                  else f"from {low} to {high} killed, depending on whose figures are taken, "
                       f"against a best estimate of {best}")

    def control_window(self, pad_years: float = 1.0) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The dates the chart of control spans: the period with a year either side, ending
        no later than the book's last year."""
        pad = pd.Timedelta(days=round(365.25 * pad_years))
        return self.start - pad, min(self.end + pad, self.book_end)

    def control_figure(self, pad_years: float = 1.0):
        """Control of Camp Ashraf over the period (with a year either side), attacks below."""
        start, end = self.control_window(pad_years)
        wide, narrow = (plot.control_timeline(self.data.spells, self.data.events, start, end,
                                              today=self.today, narrow=n,
                                              period=(self.start, self.end))
                        for n in (False, True))
        rows = figdata.control_rows(self.data.spells, self.data.events, start, end, self.today)
        return figdata.Chart(wide, f"{self.id}-control",
                             figdata.alt_control(rows, start, end, CONTROLLER_LABELS), narrow)

    def casualty_figure(self):
        """Killed and wounded in the period's attacks: ranges, best estimates, every claim."""
        return figdata.Chart(plot.casualty_ranges(self.events, self.claims),
                             f"{self.id}-casualty",
                             figdata.alt_casualty(self.figure_rows("casualty")))

    def has_casualty_figures(self) -> bool:
        """Whether any attack of the period has a figure of people killed or wounded, i.e.
        whether a chart of casualties would draw anything."""
        att = derive.attacks(self.events)
        return bool(len(att)) and bool(
            att[["killed_low", "wounded_low"]].notna().any(axis=None))

    def no_casualty_chart(self):
        """In place of an empty chart of casualties, a note that says why the chapter has
        none. Refuses (ValueError) where the period's attacks have figures: then the chapter
        must draw them with ``casualty_figure``."""
        if self.has_casualty_figures():
            raise ValueError(f"{self.id}: the period's attacks have casualty figures; draw them "
                             "with ch.casualty_figure() instead of ch.no_casualty_chart()")
        why = ("None of this chapter's events is an attack on the camps or their residents"
               if derive.attacks(self.events).empty else
               "No source gives a figure of people killed or wounded in this chapter's attacks")
        # a titled admonition: {note} takes no title, and would run the title into the text
        return _markdown(":::{admonition} No chart of casualties\n:class: note\n" + why + ", so the chapter has "
                         "no chart of people killed and wounded; the attacks of the other "
                         "periods are charted in their chapters and in the overview of "
                         "casualties.\n:::\n")

    def population_figure(self):
        return figdata.Chart(plot.population(self.population, self.start, self.end,
                                             flagged_sources(self.data.sources)),
                             f"{self.id}-population",
                             figdata.alt_population(self.figure_rows("population"),
                                                    style.PLACES))

    def figure_rows(self, which: str) -> pd.DataFrame:
        """The rows a chart of this chapter draws: 'control', 'casualty' or 'population'."""
        if which == "control":
            start, end = self.control_window()
            return figdata.control_rows(self.data.spells, self.data.events, start, end,
                                        self.today)
        if which == "casualty":
            return figdata.casualty_rows(self.events, self.claims)
        if which == "population":
            return figdata.population_rows(self.population, self.start, self.end)
        raise KeyError(f"no chart '{which}' in a period chapter: control, casualty, population")

    def figure_data(self, which: str) -> None:
        """Under a chart: its rows as a CSV download and a collapsed table (site only)."""
        what = {"control": "spells of control and attacks", "casualty": "each attack's "
                "estimates and every figure about residents", "population": "counts of "
                "residents"}[which]
        figdata.Block(self.figure_rows(which), f"{self.id}-{which}", what).show()

    def table(self):
        return self.events_table(self.events,
                                 f"Events of the period: {self.period['title']}",
                                 f"tbl-{self.id}-events")

    def sources_disagree(self):
        return self.disagreements(self.events)


class Overview(_Base):
    """The whole book's data: control 1986 to today, all attacks, population, sources."""

    def __init__(self, data: Dataset | None = None, glue: bool = True):
        super().__init__(data, glue)
        d = self.data
        self.start = pd.Timestamp("1986-01-01")
        self.end = self.book_end
        self.totals = derive.period_totals(d.events, d.periods)
        att = derive.attacks(d.events)
        for key, value in {
            "book.events": len(d.events), "book.attacks": len(att),
            "book.claims": len(d.claims),
            # sources are counted as witnesses: copies of one text (all Wikipedia texts) once
            "book.sources": derive.count_witnesses(d.sources["source_key"], d.sources),
            "book.references": len(d.sources),
            "book.claim_sources": derive.count_witnesses(d.claims["source_key"].unique(),
                                                         d.sources),
            "book.residents_counts": len(residents(d.population)),
            "book.spells": len(d.spells), "book.population": len(d.population),
            "book.killed_best": att["killed_best"].fillna(0).sum(),
            "book.killed_low": att["killed_low"].fillna(0).sum(),
            "book.killed_high": att["killed_high"].fillna(0).sum(),
            "book.wounded_best": att["wounded_best"].fillna(0).sum(),
        }.items():
            self.glue(key, fmt_count(value))
        for grade in derive.GRADES:
            self.glue(f"book.grade.{grade}",
                      fmt_count((d.events["grade"].astype("string") == grade).sum()))
        for row in self.totals.itertuples(index=False):
            for col in ("events", "attacks", "killed_best", "killed_low", "killed_high"):
                self.glue(f"{row.period_id}.{col}", fmt_count(getattr(row, col)))
        self._glue_analysis()

    def _glue_analysis(self) -> None:
        """Keys for the overviews' analysis (see ``analysis_keys``)."""
        for key, value in analysis_keys(self.data).items():
            self.glue(key, value)
        att = derive.attacks(self.data.events)
        self._glue_events(att)
        self._glue_population(self.data.population)

    def control_figure(self, name: str = "overview-control"):
        wide, narrow = (plot.control_timeline(self.data.spells, self.data.events, self.start,
                                              self.end, today=self.today, narrow=n)
                        for n in (False, True))
        return figdata.Chart(wide, name, figdata.alt_control(
            self.figure_rows("control"), self.start, self.end, CONTROLLER_LABELS), narrow)

    def totals_figure(self, measure: str = "killed"):
        return figdata.Chart(plot.period_totals(self.totals, measure), "overview-totals",
                             figdata.alt_totals(figdata.totals_rows(self.totals, measure),
                                                measure))

    def cumulative_figure(self):
        fig = plot.cumulative(derive.cumulative_killed(self.data.events), self.data.spells,
                              self.start, self.end)
        return figdata.Chart(fig, "overview-cumulative", figdata.alt_cumulative(
            self.figure_rows("cumulative"), self.start, self.end))

    def population_figure(self):
        pop = residents(self.data.population)
        start = pop["date"].min() - pd.Timedelta(days=200)  # the first count, with a margin
        return figdata.Chart(plot.population(pop, start, self.end,
                                             flagged_sources(self.data.sources)),
                             "overview-population", figdata.alt_population(
                                 self.figure_rows("population"), style.PLACES))

    def sources_figure(self):
        return figdata.Chart(plot.claims_by_source(derive.claims_by_source_class(
            self.data.claims, self.data.sources)), "overview-sources",
            figdata.alt_sources(self.figure_rows("sources")))

    def figure_rows(self, which: str) -> pd.DataFrame:
        """The rows a chart of the overview draws: 'control', 'totals', 'cumulative',
        'population' or 'sources'."""
        d = self.data
        if which == "control":
            return figdata.control_rows(d.spells, d.events, self.start, self.end, self.today)
        if which == "totals":
            return figdata.totals_rows(self.totals, "killed")
        if which == "cumulative":
            return figdata.cumulative_rows(derive.cumulative_killed(d.events))
        if which == "population":
            return figdata.population_rows(residents(d.population))
        if which == "sources":
            return figdata.sources_rows(derive.claims_by_source_class(d.claims, d.sources))
        raise KeyError(f"no chart '{which}' in the overview: control, totals, cumulative, "
                       "population, sources")

    def figure_data(self, which: str) -> None:
        """Under a chart: its rows as a CSV download and a collapsed table (site only)."""
        what = {"control": "spells of control and attacks", "totals": "people killed in "
                "attacks, by period", "cumulative": "people killed, cumulated by attack",
                "population": "counts of residents", "sources": "figures given, by kind of "
                "source"}[which]
        figdata.Block(self.figure_rows(which), f"overview-{which}", what).show()

    def attacks_table(self):
        att = derive.attacks(self.data.events)
        return self.events_table(att, f"Every attack in the data, {self.start.year}–{self.end.year}",
                                 "tbl-all-attacks")

    def spells_table(self):
        """Control spells as a numbered table, with each spell's sources listed below it."""
        s = self.data.spells
        rows = pd.DataFrame({
            "No.": [str(i) for i in range(1, len(s) + 1)],
            "From": [fmt_span(x.start_date, x.start_date, x.start_precision)
                     for x in s.itertuples(index=False)],
            "Until": [fmt_span(x.end_date, x.end_date, x.end_precision) if pd.notna(x.end_date)
                      else "today" for x in s.itertuples(index=False)],
            "Controller": [style.controller_label(str(c)) for c in s["controller"]],
            # the controller and the attestation have columns of their own: the kind and the
            # beginning are printed without them ("held", not "held by ISIS"; "captured", not
            # "captured, one source")
            "Kind of control": [
                {"held_by_armed_group": "held",  # the column beside it says how it began:
                 "formal_responsibility": "formal responsibility"}.get(  # not "handover" twice
                    str(k)) or kind_label(str(k), "")
                for k in s["control_kind"]],
            "How it began": [began_label(str(b)) for b in s["began_how"]],
            "Attested": [str(k).replace("_", " ") for k in s["status"]],
        })
        table = md_table(rows, f"Who controlled Camp Ashraf, {self.start.year}–{self.end.year}",
                         "tbl-control-spells", widths=[5, 13, 13, 19, 21, 14, 15])
        sources = "\n".join(f"{i}. {cite(k)}" for i, k in enumerate(s["source_keys"], start=1))
        return _markdown(table + "\nSources of each numbered spell:\n\n" + sources + "\n")

    def totals_table(self):
        t = self.totals
        rows = pd.DataFrame({
            "Period": t["title"].tolist(),
            "Events": [fmt_count(v) for v in t["events"]],
            "Attacks": [fmt_count(v) for v in t["attacks"]],
            "Killed": [fmt_range(a, b, c) for a, b, c in
                       zip(t["killed_low"], t["killed_best"], t["killed_high"])],
            "Wounded": [fmt_range(a, b, c) for a, b, c in
                        zip(t["wounded_low"], t["wounded_best"], t["wounded_high"])],
        })
        return _markdown(md_table(rows, "Events, attacks and casualties by chapter",
                                  "tbl-period-totals") + _sums_note(t))

    def controller_table(self):
        """Attacks at Camp Ashraf and their casualties, by who controlled the camp."""
        t = derive.controller_totals(self.data.events, self.data.spells)
        order = {c: i for i, c in enumerate(style.CONTROLLERS)}
        t = t.sort_values("controller", key=lambda c: c.map(order), kind="stable")
        rows = pd.DataFrame({
            "Controller of Camp Ashraf": [style.controller_label(c) for c in t["controller"]],
            "Attacks": [fmt_count(v) for v in t["attacks"]],
            "Killed": [fmt_range(a, b, c) for a, b, c in
                       zip(t["killed_low"], t["killed_best"], t["killed_high"])],
            "Wounded": [fmt_range(a, b, c) for a, b, c in
                        zip(t["wounded_low"], t["wounded_best"], t["wounded_high"])],
        })
        return _markdown(md_table(rows, "Attacks on Camp Ashraf and their casualties, by who "
                                  "controlled the camp at the time", "tbl-controller-totals")
                         + _sums_note(t))

    def sources_table(self):
        tab = derive.claims_by_source_class(self.data.claims, self.data.sources)
        rows = tab.reset_index().rename(columns={"source_class": "Kind of source"})
        rows = rows.astype({c: "string" for c in rows.columns})
        return _markdown(md_table(rows, "Figures given, by kind of source and what they count",
                                  "tbl-claims-by-source"))


CONTROLLER_LABELS = {c: style.controller_label(c) for c in style.CONTROLLERS}


def last_record_year_end(d: Dataset) -> pd.Timestamp:
    """31 December of the last year in which the data dates anything (an event, a count of
    residents, a change of control): where the book's span, and its charts, end."""
    dates = pd.concat([d.events["start_date"], d.population["date"], d.spells["start_date"]])
    return pd.Timestamp(year=int(dates.max().year), month=12, day=31)


def wikipedia_keys(sources: pd.DataFrame) -> set[str]:
    """The source keys of Wikipedia's texts (current, older, mirrors, translations, summaries),
    which data/sources.csv puts in one witness group, 'wikipedia'."""
    s = sources
    return set(s.loc[s["witness_group"].astype("string") == "wikipedia", "source_key"]
               .astype("string"))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _share(part, whole) -> str:
    return f"{round(100 * float(part) / float(whole))} per cent" if whole else "–"


def _times(high, low) -> str:
    ratio = float(high) / float(low)
    return f"{ratio:.1f}".rstrip("0").rstrip(".")


def analysis_keys(d: Dataset) -> dict[str, str]:
    """Numbers the overview chapters analyse, as text to glue.

    - ``book.population_residents``: dated counts of residents; ``book.population_at.<place>``
    - ``book.claim_entries``: bibliography entries the figures cite (``book.claim_sources``,
      glued by ``Overview``, counts them as witnesses); ``book.wikipedia_texts``: how many
      of those entries are Wikipedia's texts (one witness), so that the entries less these
      texts, plus one, are the witnesses
    - ``book.deadliest.<n>.<x>`` (n = 1, 2, 3 by best estimate of killed): ``title``, ``date``,
      ``place``, ``killed_best`` / ``_low`` / ``_high``, ``best_by``, ``spread`` (a phrase);
      ``book.deadliest.top3_share``: their share of the best estimate of all killed
    - ``book.attacks_disputed`` / ``_agreed`` / ``_single`` / ``_no_figure``: attacks whose
      sources give different figures for the killed / several sources, one figure / one
      source's figure / no figure (each attack in exactly one; they add up to the attacks)
    - ``book.attacks_at.<place>``, ``book.killed_at.<place>``: attacks and best estimate by place
    - ``book.controller.<id>.attacks`` / ``.killed_best`` / ``.killed_share`` (attacks at
      Ashraf; the share is of all attacks' best estimate); ``book.attacks_grade.<grade>``;
      ``book.control.<id>.years``; ``book.control.changes``, ``book.control.single_source``
    - ``book.population.{first,peak,last}.{value,date,place,by}``
    - ``book.claims_by.<class>``, ``book.claims_share.<class>``, ``book.sources_by.<class>``,
      ``book.best_by.<class>`` (best estimates, all measures), ``book.best_estimates``
    """
    out: dict[str, str] = {}
    pop = residents(d.population)
    out["book.population_residents"] = fmt_count(len(pop))
    for place, n in pop["place"].astype("string").value_counts().items():
        out[f"book.population_at.{place}"] = fmt_count(n)
    keys = sorted(set(d.claims["source_key"].astype("string")))
    out["book.claim_entries"] = fmt_count(len(keys))   # entries of references.bib cited
    out["book.wikipedia_texts"] = fmt_count(len(set(wikipedia_keys(d.sources)) & set(keys)))

    att = derive.attacks(d.events)
    claims = derive.claims_with_sources(d.claims, d.sources)
    est = d.derived(derive.estimates)
    by_id = claims.set_index("claim_id")
    killed = est[est["measure"] == "killed"].set_index("event_id")
    ranked = att[att["killed_best"].notna()].sort_values(
        ["killed_best", "start_date"], ascending=[False, True], kind="stable")
    for n, e in enumerate(ranked.head(3).itertuples(index=False), start=1):
        k = f"book.deadliest.{n}"
        out[f"{k}.title"] = str(e.title)
        out[f"{k}.date"] = fmt_span(e.start_date, e.end_date, e.date_precision)
        out[f"{k}.place"] = _place(e)
        for col in ("killed_best", "killed_low", "killed_high"):
            out[f"{k}.{col}"] = fmt_count(getattr(e, col))
        if e.event_id in killed.index and pd.notna(killed.loc[e.event_id, "best_claim_id"]):
            c = by_id.loc[killed.loc[e.event_id, "best_claim_id"]]
            out[f"{k}.best_by"] = str(c["quoted"])
        low, high = e.killed_low, e.killed_high
        out[f"{k}.spread"] = (
            "every source gives the same figure" if low == high else
            f"the lowest figure any source gives is none at all and the highest {fmt_count(high)}"
            if low == 0 else
            f"the highest figure any source gives is {_times(high, low)} times the lowest")
    total = att["killed_best"].fillna(0).sum()
    out["book.deadliest.top3_share"] = _share(ranked.head(3)["killed_best"].sum(), total)
    res = claims[(claims["measure"] == "killed") & (claims["group"].astype("string") == "residents")
                 & claims["event_id"].isin(att["event_id"])]
    # every attack in exactly one of four groups (the four numbers add up to the attacks):
    # sources that differ, several sources that agree, one source's figure, no figure
    ids = att["event_id"]
    figures = res.groupby("event_id")["value_min"].agg(
        lambda s: s.dropna().nunique()).reindex(ids).fillna(0).to_numpy()
    counts = res.groupby("event_id")["claim_id"].count().reindex(ids).fillna(0).to_numpy()
    none = att["killed_best"].isna().to_numpy() & (figures == 0)
    out["book.attacks_disputed"] = fmt_count(((figures > 1) & ~none).sum())
    out["book.attacks_agreed"] = fmt_count(((figures <= 1) & (counts > 1) & ~none).sum())
    out["book.attacks_single"] = fmt_count(((figures <= 1) & (counts <= 1) & ~none).sum())
    out["book.attacks_no_figure"] = fmt_count(none.sum())
    for place, grp in att.groupby(att["place"].astype("string")):
        out[f"book.attacks_at.{place}"] = fmt_count(len(grp))
        out[f"book.killed_at.{place}"] = fmt_count(grp["killed_best"].fillna(0).sum())

    ct = derive.controller_totals(d.events, d.spells)
    for r in ct.itertuples(index=False):
        out[f"book.controller.{r.controller}.attacks"] = fmt_count(r.attacks)
        out[f"book.controller.{r.controller}.killed_best"] = fmt_count(r.killed_best)
        out[f"book.controller.{r.controller}.killed_share"] = _share(
            0 if pd.isna(r.killed_best) else r.killed_best, total)
    if "grade" in att.columns:
        for g, n in att["grade"].astype("string").value_counts().items():
            out[f"book.attacks_grade.{g}"] = fmt_count(n)
    created = d.descriptor.get("created")
    today = pd.Timestamp(created[:10]) if created else pd.Timestamp.today().normalize()
    s = d.spells
    years: dict[str, float] = {}
    for x in s.itertuples(index=False):
        end = x.end_date if pd.notna(x.end_date) else today
        years[str(x.controller)] = years.get(str(x.controller), 0.0) + \
            (end - x.start_date).days / 365.25
    for c, y in years.items():
        out[f"book.control.{c}.years"] = fmt_count(y)
    out["book.control.changes"] = fmt_count(len(s) - 1)
    out["book.control.single_source"] = fmt_count(
        (s["status"].astype("string") != "attested").sum())

    pts = pop.assign(value=pop["value_min"].fillna(pop["value_max"]))
    pts = pts[pts["value"].notna()].sort_values(["date", "population_id"], kind="stable")
    pos = pts[pts["value"] > 0]
    for name, row in (("first", pos.iloc[0]), ("last", pos.iloc[-1]),
                      ("peak", pos.sort_values("value", ascending=False, kind="stable").iloc[0])):
        out[f"book.population.{name}.value"] = fmt_claim(row["qualifier"], row["value_min"],
                                                         row["value_max"])
        out[f"book.population.{name}.date"] = fmt_date(row["date"], row["date_precision"])
        out[f"book.population.{name}.place"] = style.PLACES.get(str(row["place"]),
                                                                str(row["place"]))
        out[f"book.population.{name}.by"] = str(row["quoted"])

    cls = claims["source_class"].astype("string")
    for c, n in cls.value_counts().items():
        out[f"book.claims_by.{_slug(c)}"] = fmt_count(n)
        out[f"book.claims_share.{_slug(c)}"] = _share(n, len(claims))
    src = d.sources.assign(source_class=d.sources["speaker_type"].astype("string")
                           .map(derive.SOURCE_CLASS))
    for c, n in src["source_class"].value_counts().items():
        out[f"book.sources_by.{_slug(c)}"] = fmt_count(n)
    best = by_id.loc[est["best_claim_id"].dropna(), "source_class"].astype("string")
    out["book.best_estimates"] = fmt_count(len(best))
    for c in cls.unique():
        out[f"book.best_by.{_slug(c)}"] = fmt_count((best == c).sum())
    return out
