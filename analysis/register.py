"""The event register: one entry per event of data/events.csv, as MyST Markdown.

Each entry is anchored by a label made from its ``event_id`` (``ev-<event_id>``, see
``anchor``), so that a link to it never changes; the period tables of the chapters link to
these labels (``link``). An entry gives the date at its precision, the place, the kind of
event, the grade when the data has one, the perpetrator as far as the sources establish it,
the description; for each measure the low, best and high estimate and the table of every
claim behind them; the note; and the sources with their links.

Every value from the data passes through ``text.md_escape``: no HTML, MyST role or LaTeX in
the data can act, in the site or in the PDF.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import derive, style
from .labels import TYPE_LABELS
from .load import Dataset, date_order, load
from .text import cite, fmt_count, fmt_date, fmt_span, md_escape

DOC = "register"  # the register's page: chapters/register.md
PRECISION = {"day": "known to the day", "month": "known to the month",
             "year": "known to the year",
             "bracketed": "happened once, at a time between the two dates",
             "span": "lasted over this period, whose ends are approximate"}
GRADE = derive.GRADE_GLOSS  # one wording with the codebook (derive.GRADE_GLOSS)
STATUS = {
    "confirmed": "confirmed: the actor acknowledged it, or independent sources agree",
    "claimed": "claimed: the actor said it did it",
    "alleged": "alleged: a party to the conflict, or a single source, says so; not established",
    "disputed": "disputed: sources name different actors",
    "unknown": "unknown: the sources do not establish who",
}
SPEAKER = {
    "un": "UN", "ngo": "NGO", "academic": "academic", "court": "court", "press": "press",
    "encyclopedia": "encyclopedia", "us_government": "US government",
    "iraqi_government": "Iraqi government", "iranian_government": "Iranian government",
    "other_government": "another government", "mek_ncri": "MEK / NCRI",
    "iran_state_aligned": "aligned with the Iranian state", "other": "other",
}
QUALIFIER = {"exact": "exactly", "about": "about", "at_least": "at least", "up_to": "up to"}
GROUP = {"residents": "residents", "security_forces": "security forces",
         "combined": "residents and security forces together", "other": "others"}
MEASURES = derive.MEASURES
_URL = re.compile(r"^https?://[^\s<>()\[\]{}`\\|^\"']+$")

# Relay sites whose alignment the data already records (their own texts are coded `mek_ncri`
# or `iran_state_aligned` in data/sources.csv): a quote read in a copy on one of them says so.
RELAY_ALIGNMENT = {
    **dict.fromkeys(("usccar.org", "usfliberty.org", "delistmek.com", "defendashraf.org",
                     "ashrafcity.wordpress.com", "ashrafcity.blogspot.com", "ncr-iran.org",
                     "iran-e-azad.org", "mojahedin.org", "english.mojahedin.org",
                     "iranliberty.net", "irannewsupdate.com", "iran-update.com", "smvi.nl",
                     "stopfundamentalism.com", "iranprobe.com", "ncpdaus.org", "fffi.se",
                     "ligicword.blogspot.com"), "an MEK-aligned site"),
    **dict.fromkeys(("nejatngo.org", "habilian.ir"), "an Iranian-state-aligned site"),
}


def _host(url: str) -> str:
    from urllib.parse import urlparse
    host = urlparse(str(url).strip()).netloc.lower()
    return host[4:] if host.startswith("www.") else host


def _read_where(read_as, read_at, url: str) -> str:
    """Where a quote was read, said by comparing addresses and hosts (not by the field the
    address came from): nothing when it is the entry's own address, read as the publisher's;
    a copy is named by its host, with the host's alignment when the data records one."""
    if not isinstance(read_at, str) or not read_at or str(read_as) not in ("original", "copy"):
        return ""
    host = _host(read_at)
    relay = f"{host}, {RELAY_ALIGNMENT[host]}" if host in RELAY_ALIGNMENT else host
    if read_at.strip() == (url or "").strip():  # the address printed is where it was read
        return "read at this address, a copy on " + relay if str(read_as) == "copy" else ""
    if str(read_as) == "copy":
        return f"read in a copy on {relay}: {_url_md(read_at)}"
    if url and host == _host(url):
        return f"read at another page of the publisher's site: {_url_md(read_at)}"
    return f"read at the publisher's own address: {_url_md(read_at)}"


def _token(value) -> str:
    """A code of the data as a class name's part: lower case letters, digits and hyphens."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")


# Speakers whose name already says their kind: the register prints "UNAMI", not "UNAMI (UN)"
_KIND_IN_NAME = {"un": re.compile(r"^(UN|UN[A-Z]{2,}|the UN\b|UN Secretary|United Nations)"),
                 "mek_ncri": re.compile(r"^(the )?(MEK|NCRI|PMOI)\b|\((MEK|NCRI)\b|MEK-aligned")}


def _names_its_kind(quoted, speaker_type) -> bool:
    """Whether a speaker's name says its kind ('UNHCR' is a UN body, 'NCRI' is MEK / NCRI):
    then the kind in brackets would only repeat it."""
    pattern = _KIND_IN_NAME.get(str(speaker_type))
    return bool(pattern and isinstance(quoted, str) and pattern.search(quoted.strip()))


def anchor(event_id: str) -> str:
    """The label of an event's entry: ``ev-`` and the event_id (an id may not begin with a
    digit in HTML and LaTeX labels, and every event_id begins with its date)."""
    return f"ev-{event_id}"


def link(event_id: str, text: str) -> str:
    """A MyST link to an event's entry, from any page (HTML and PDF). ``text`` must be
    plain (no backtick, no angle bracket); data text is not allowed here."""
    if re.search(r"[`<>]", text):
        raise ValueError(f"link text for {event_id} must be plain: {text!r}")
    return f"{{ref}}`{text} <{anchor(event_id)}>`"


@lru_cache(maxsize=4)
def _bib_links(bib_path: str) -> dict[str, str]:
    """key -> the URL (or DOI as a URL) of each entry of references.bib that has one."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(bib_path).entries.items():
        f = {k.lower(): v for k, v in entry.fields.items()}
        url = f.get("url") or (f"https://doi.org/{f['doi']}" if f.get("doi") else "")
        if url:
            out[key] = url.strip()
    return out


# a percent-encoded byte of a non-ASCII character (an Arabic or Persian path is %D8%A7...)
_ENCODED = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")


def _url_text(url: str) -> str:
    """How a URL is shown: as it is; a Latin segment with an encoded dash or accent is shown
    decoded. A path that spells words of another script in percent codes (an Arabic or Persian
    title, %D8%A7...) is shown whole, codes and all: a printed copy must be able to follow
    it (review of 6de8688-b, #10: it was cut after the host with an ellipsis)."""
    from urllib.parse import unquote, urlsplit

    if not _ENCODED.search(url):
        return url
    parts = urlsplit(url)
    path = unquote(parts.path)
    if re.search(r"[^\x00-\u024f\u2010-\u2027]", path):  # words in another script: as is
        return url
    # a Latin word with an encoded dash or accent: decoded
    return (f"{parts.scheme}://{parts.netloc}{path}"
            + (f"?{unquote(parts.query)}" if parts.query else ""))


def _url_md(url: str) -> str:
    """A link to a URL, shown as its text (_url_text); a URL that is not plain shows as
    escaped text."""
    if _URL.match(url):
        return f"[{md_escape(_url_text(url))}]({url})"
    return md_escape(url)


def _value(vmin, vmax) -> str:
    if pd.notna(vmin) and pd.notna(vmax) and vmin != vmax:
        return f"{fmt_count(vmin)}–{fmt_count(vmax)}"
    return fmt_count(vmin if pd.notna(vmin) else vmax)


def _label(mapping: dict, value) -> str:
    if value is None or pd.isna(value) or str(value) == "":
        return ""
    return mapping.get(str(value), str(value).replace("_", " "))


class Register:
    """The register of every event in the data (or of the events of one period)."""

    def __init__(self, data: Dataset | None = None, bib: Path | None = None):
        self.data = data or load()
        self.bib = Path(bib) if bib else self.data.folder.parent / "references.bib"
        # every row of casualty_claims.csv, the accounts without a number among them (shown
        # as such; the estimates use the figures only)
        self.claims = derive.claims_with_sources(
            pd.concat([self.data.claims, self.data.unquantified], ignore_index=True),
            self.data.sources)
        self.estimates = self.data.derived(derive.estimates)
        self.labels = dict(zip(self.data.sources["source_key"], self.data.sources["label"]))
        self.att = self.data.attestations
        self.why = derive.grades(self.data.events, self.data.claims, self.data.sources,
                                 self.att, why=True)
        try:
            from .changes import _dates_merged, changed_events
            # an event whose start and end date both changed: one 'dates' line
            self.changes = _dates_merged(changed_events(self.data.folder))
        except FileNotFoundError:  # a folder without the previous release's snapshot
            self.changes = pd.DataFrame(columns=["event_id", "field", "old", "new", "reason"])

    def links(self) -> dict[str, str]:
        return _bib_links(str(self.bib)) if self.bib.exists() else {}

    def events(self, period_id: str | None = None) -> pd.DataFrame:
        ev = self.data.events
        if period_id is not None:
            ev = ev[ev["period_id"] == period_id]
        return date_order(ev)

    def markdown(self, period_id: str | None = None) -> str:
        """The entries of every event (or of one period's events), in date order, each in
        its box (``box``) for the site's filter."""
        return "\n".join(self.box(e, self.entry(e))
                         for e in self.events(period_id).itertuples(index=False))

    @staticmethod
    def box(e, text: str) -> str:
        """An entry inside a MyST div whose classes carry what the site's filter
        (chapters/_static/book.js) selects by: ``reg-entry``, ``rp-<period>``,
        ``rt-<kind>``, ``rg-<grade>``. Each code is reduced to ``[a-z0-9-]`` (``_token``), so no
        text of the data reaches the markup; the PDF prints the entries as they are."""
        classes = ["reg-entry", f"rp-{_token(e.period_id)}", f"rt-{_token(e.event_type)}"]
        grade = getattr(e, "grade", None)
        if grade is not None and pd.notna(grade) and str(grade):
            classes.append(f"rg-{_token(grade)}")
        # four colons: the entry's own tables are three-colon fences
        return f"::::{{div}} {' '.join(c for c in classes if not c.endswith('-'))}\n\n{text}\n::::\n"

    def entry(self, e) -> str:
        date = fmt_span(e.start_date, e.end_date, e.date_precision)  # as the events tables
        prec = PRECISION.get(str(e.date_precision), str(e.date_precision).replace("_", " "))
        place = style.PLACES.get(str(e.place), str(e.place))
        detail = e.place_detail.strip() if isinstance(e.place_detail, str) else ""
        if detail and str(e.place) == "elsewhere" or detail.startswith(place):
            place = detail
        elif detail:
            place = f"{place} ({detail})"
        kind = TYPE_LABELS.get(str(e.event_type), str(e.event_type).replace("_", " "))
        facts = [f"**Date:** {md_escape(date)} ({md_escape(prec)})",
                 f"**Place:** {md_escape(place)}", f"**Kind of event:** {md_escape(kind)}"]
        grade = getattr(e, "grade", None)
        if grade is not None and pd.notna(grade) and str(grade):
            label = getattr(derive, "GRADE_LABELS", {}).get(str(grade),
                                                                str(grade).replace("_", " "))
            meaning = GRADE.get(str(grade))
            facts.append(f"**Grade:** {md_escape(label)}"
                         + (f" ({md_escape(meaning)})" if meaning else ""))
            why = self.why.get(e.event_id)
            if isinstance(why, str) and why:
                # the record a grade rests on is cited as the bibliography prints it, not by
                # its raw key
                m = re.search(r" \(([\w.-]+)\)", why)
                text = (md_escape(why[:m.start()]) + " " + cite(m.group(1)) + " "
                        + md_escape(why[m.end():].lstrip())
                        if m and m.group(1) in self.labels else md_escape(why))
                facts.append(f"**Why this grade:** {text} (see the rule in the "
                             "methods chapter)")
        perp = e.perpetrator if isinstance(e.perpetrator, str) and e.perpetrator else ""
        status = _label(STATUS, e.perpetrator_status)
        if perp:
            facts.append(f"**Perpetrator, as the sources establish it:** {md_escape(perp)}"
                         + (f" ({md_escape(status)})" if status else ""))
        elif status:
            facts.append(f"**Perpetrator:** {md_escape(status)}")
        lines = [f"({anchor(e.event_id)})=",
                 # a tilde fence: a backtick fence's info string may not hold the
                 # (escaped) backticks a title can contain
                 f"~~~{{rubric}} {md_escape(date)}: {md_escape(e.title)}", "~~~", "",
                 # the entry's lasting address, as a link to itself (to copy)
                 f"Event [`{e.event_id}`](#{anchor(e.event_id)})"
                 if re.fullmatch(r"[\w.-]+", e.event_id)
                 else f"Event {md_escape(e.event_id)}", "",
                 " \\\n".join(facts), "", md_escape(e.description), ""]
        lines += self._figures(e)
        note = e.note if isinstance(e.note, str) and e.note.strip() else ""
        if note:
            lines += [f"**Note:** {md_escape(note)}", ""]
        lines += self._changes(e)
        lines += self._sources(e)
        return "\n".join(lines) + "\n"

    def _changes(self, e) -> list[str]:
        mine = self.changes[self.changes["event_id"] == e.event_id]
        if mine.empty:
            return []
        from .changes import FIELD_LABELS, _value

        out = ["**Changed since version 1.1.0 of the data:**", ""]
        for c in mine.itertuples(index=False):
            field = str(c.field)
            old, new = _value(field, c.old or ""), _value(field, c.new or "")
            # a release-wide reason (the new grade rule) is given once, in the changelog and
            # the methods chapter: an entry points to it instead of repeating it
            why = ("the new grading rule of this version; see the data changelog"
                   if getattr(c, "release_wide", False) else c.reason)
            out.append(f"- {md_escape(FIELD_LABELS.get(field, field.replace('_', ' ')))}: "
                       f"{md_escape(old)} → {md_escape(new)}"
                       + (f" ({md_escape(why)})" if why else ""))
        return out + [""]

    def _figures(self, e) -> list[str]:
        mine = self.claims[self.claims["event_id"] == e.event_id]
        est = self.estimates[self.estimates["event_id"] == e.event_id].set_index("measure")
        if mine.empty:
            return ["No figure of people killed, wounded, detained, missing or moved is "
                    "recorded as a claim for this event; any number in its summary or note is "
                    "not counted.", ""]
        out = ["**Figures** (low, best and high estimates count residents only; see the "
               "methods chapter for the rule):", ""]
        for m in MEASURES:
            if m in est.index:
                r = est.loc[m]
                if pd.isna(r["best"]):  # a range without a best: say so, not a bare dash
                    span = (f"no best estimate; figures give {fmt_count(r['low'])}"
                            if r["low"] == r["high"] else
                            f"no best estimate; low {fmt_count(r['low'])}, "
                            f"high {fmt_count(r['high'])}")
                else:
                    span = (fmt_count(r["best"]) if r["low"] == r["high"] else
                            f"best {fmt_count(r['best'])}, low {fmt_count(r['low'])}, "
                            f"high {fmt_count(r['high'])}")
                n, groups = int(r["n_claims"]), int(r["n_sources"])
                # who gave them, so that an estimate resting on one side's figures says so
                # (only figures: an account without a number, Tehran radio's 'heavy
                # casualties' of 1994, gave none)
                kinds = sorted({_label(SPEAKER, k) for k in mine.loc[
                    (mine["measure"].astype(str) == m)
                    & (mine["group"].astype(str) == "residents")
                    & (mine["qualifier"].astype(str) != "unquantified"), "speaker_type"]})
                # a dash for the best says why: the parties disagree with no independent
                # figure beside them, or no figure of the event may give it
                nobest = "" if pd.notna(r["best"]) else (
                    "; no best estimate: no independent source gave a figure and those of the "
                    "parties (or of an encyclopedia) disagree" if r["n_eligible"] else
                    "; none may give the best: each is from a flagged source, known "
                    "only second-hand or a count of part of the event")
                # copies of one text (an article and its mirrors) count once (methods)
                copies = (f", {fmt_count(groups)} distinct source{'s' if groups != 1 else ''}"
                          if groups != n else "")
                out.append(f"- {m.capitalize()}: {span} (from {fmt_count(n)} "
                           f"figure{'s' if n != 1 else ''} about residents{copies}"
                           + (f", given by: {md_escape(', '.join(kinds))}" if kinds else "")
                           + nobest + ")")
        others = sorted(set(mine["measure"].astype(str)) - set(est.index))
        for m in (x for x in MEASURES if x in others):
            of_m = mine[mine["measure"].astype(str) == m]
            res = of_m[of_m["group"].astype(str) == "residents"]
            why = ("no figure about residents" if res.empty else
                   "the figures about residents are running totals, not counts of this event"
                   if (res["tally"].astype(str) == "cumulative").all() else
                   "no figure about residents gives a number")
            out.append(f"- {m.capitalize()}: no estimate ({why})")
        # widths make the PDF wrap the columns within the page; no title: not a numbered table
        # (a measure, 'relocated', and a short date, '12 Sep 2013', each fit on one line)
        out += ["", ":::{table}", ":widths: 12 10 18 17 11 32", ":class: longtable", "",
                "| What | Figure | Who gave it | Source | Stated | Note |",
                "| --- | --- | --- | --- | --- | --- |"]
        order = {m: i for i, m in enumerate(MEASURES)}
        mine = mine.assign(_m=mine["measure"].astype(str).map(order)).sort_values(
            ["_m", "claim_date", "claim_id"], kind="stable", na_position="last")
        for c in mine.itertuples(index=False):
            figure = ("no number given" if str(c.qualifier) == "unquantified" else
                      f"{_label(QUALIFIER, c.qualifier)} {_value(c.value_min, c.value_max)}")
            who = md_escape(c.quoted) if isinstance(c.quoted, str) and c.quoted else ""
            kind = _label(SPEAKER, c.speaker_type)
            if not who:
                who = md_escape(kind)
            elif not _names_its_kind(c.quoted, c.speaker_type):  # not "UNAMI (UN)"
                who = f"{who} ({md_escape(kind)})"
            # at its precision, short: '5 Mar 2012', 'Mar 2012' or '2012'
            stated = (md_escape(fmt_date(c.claim_date, c.claim_date_precision, short=True))
                      if pd.notna(c.claim_date) else "")
            note = []
            if str(c.group) != "residents":
                note.append(f"counts {_label(GROUP, c.group)}")
            if str(getattr(c, "tally", "")) == "partial":
                note.append("counts part of the event: bounds the range, not the best estimate")
            elif str(getattr(c, "tally", "")) == "cumulative":
                note.append("a running total, not a count of this event")
            if isinstance(c.note, str) and c.note.strip():
                note.append(c.note)
            src = cite(c.source_key)
            cells = [md_escape(str(c.measure)), md_escape(figure), who, src, stated,
                     md_escape("; ".join(note))]
            out.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        out += [":::", ""]
        return out + self._figure_words(e, mine)

    def _figure_words(self, e, mine) -> list[str]:
        """Each figure in its source's own words (casualty_claims.quote), so that a reader can
        check every number from the page; a quote already printed with the source's entry
        below (the same words) is not repeated."""
        said = {(k, q) for k, q in zip(
            self.att.loc[self.att["event_id"] == e.event_id, "source_key"].astype(str),
            self.att.loc[self.att["event_id"] == e.event_id, "quote"].astype(str))}
        lines = []
        for c in mine.itertuples(index=False):
            figure = ("no number" if str(c.qualifier) == "unquantified" else
                      f"{_label(QUALIFIER, c.qualifier)} {_value(c.value_min, c.value_max)}")
            who = c.quoted if isinstance(c.quoted, str) and c.quoted else _label(
                SPEAKER, c.speaker_type)
            head = f"{md_escape(str(c.measure))}, {md_escape(figure)} ({md_escape(who)})"
            quote = c.quote if isinstance(c.quote, str) else ""
            if not quote:
                reason = str(getattr(c, "no_quote_reason", "") or "not recorded")
                lines.append(f"- {head}: no quote ({md_escape(reason.replace('_', ' '))})")
                continue
            if (str(c.source_key), quote) in said:
                lines.append(f"- {head}: in the words of its source's entry below")
                continue
            text = f"- {head}: “{md_escape(quote)}”"
            gloss = c.gloss if isinstance(c.gloss, str) else ""
            if gloss and str(c.quote_language) != "en":
                text += f" ({md_escape(str(c.quote_language))}; in English: “{md_escape(gloss)}”)"
            lines.append(text)
        return ["**Each figure in its source's words:**", ""] + lines + [""]

    def _sources(self, e) -> list[str]:
        keys = [k for k in str(e.source_keys).split(";") if k]
        keys += [k for k in self.claims.loc[self.claims["event_id"] == e.event_id,
                                            "source_key"].astype(str) if k not in keys]
        urls = self.links()
        out = ["**Sources:**", ""]
        for k in dict.fromkeys(keys):
            label = self.labels.get(k)
            text = (md_escape(label) + " " if isinstance(label, str) and label else "") + cite(k)
            if k in urls:
                text += ": " + _url_md(urls[k])
            a = self.att[(self.att["event_id"] == e.event_id) & (self.att["source_key"] == k)]
            if len(a):
                a = a.iloc[0]
                quote = a["quote"] if isinstance(a["quote"], str) else ""
                if quote:
                    text += f". It says: “{md_escape(quote)}”"
                    lang = a.get("quote_language")
                    gloss = a.get("gloss")
                    if isinstance(lang, str) and lang != "en" and isinstance(gloss, str):
                        text += f" ({md_escape(lang)}; in English: “{md_escape(gloss)}”)"
                    how = _read_where(a["read_as"], a["read_at"], urls.get(k, ""))
                    if how:
                        text += f" ({how})"
                else:
                    reason = str(a["no_quote_reason"]).replace("_", " ")
                    text += f" (no quote: {md_escape(reason)}; counts for nothing in the grade)"
            out.append(f"- {text}")
        return out + [""]


# kinds of event as nouns, singular and plural, for a period's opening sentence
_KIND_NOUNS = {
    "legal": ("legal act", "legal acts"), "diplomatic": ("diplomatic act", "diplomatic acts"),
    "report": ("report", "reports"), "control_change": ("change of control", "changes of control"),
    "founding": ("founding event", "founding events"), "relocation": ("relocation", "relocations"),
    "deployment": ("deployment of forces", "deployments of forces"),
    "restriction": ("restriction", "restrictions"),
}


def period_intro(period_id: str, data: Dataset | None = None) -> str:
    """A period's opening line in the register: how many events it holds, of which kinds,
    and the chapter that tells them (the chapter's title in quotation marks, so that a title
    beginning with "The" does not stand capitalised mid-sentence)."""
    data = data or load()
    doc = next((data.folder.parent / "chapters").glob(f"{period_id}-*.md")).stem
    ev = data.events[data.events["period_id"] == period_id]
    counts = ev["event_type"].astype(str).value_counts(sort=False)
    counts = sorted(counts.items(), key=lambda kv: (-kv[1], list(TYPE_LABELS).index(kv[0])
                                                    if kv[0] in TYPE_LABELS else 99))
    parts = []
    for kind, n in counts:
        one = TYPE_LABELS.get(kind, kind.replace("_", " "))
        noun = _KIND_NOUNS.get(kind, (one, one + "s"))[0 if n == 1 else 1]
        parts.append(f"{fmt_count(n)} {noun}")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    n = len(ev)
    return (f"The {fmt_count(n)} event{'s' if n != 1 else ''} of the chapter "
            f"“{{doc}}`{doc}`”, by kind: {listed}.\n\n")


def markdown(period_id: str | None = None, data: Dataset | None = None):
    """The register (or one period's part of it), displayed as Markdown in a notebook; a
    period's part opens with ``period_intro``."""
    text = Register(data).markdown(period_id)
    if period_id is not None:
        text = period_intro(period_id, data) + text
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)
