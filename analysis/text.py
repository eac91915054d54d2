"""Turning data into text for the book: numbers, dates, claims, and MyST Markdown that shows
data values literally (no markup, HTML, role or LaTeX in a data cell is ever interpreted)."""
from __future__ import annotations

import re
import string

import pandas as pd

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
QUALIFIER_WORDS = {"exact": "{}", "about": "about {}", "at_least": "at least {}",
                   "up_to": "up to {}"}
_PUNCT = set(string.punctuation)


def md_escape(value) -> str:
    """Escape a data value for MyST Markdown: every ASCII punctuation character is
    backslash-escaped (CommonMark treats that as the literal character), newlines fold."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = " ".join(str(value).split())
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in text)


def md_escape_prose(value) -> str:
    """Like md_escape, but a `backquoted` span (a file name or command in a description)
    stays a code span instead of printing its backquotes."""
    text = " ".join(str(value).split()) if value is not None and not (
        not isinstance(value, str) and pd.isna(value)) else ""
    parts = re.split(r"(`[^`]+`)", text)
    return "".join(p if i % 2 else "".join("\\" + ch if ch in _PUNCT else ch for ch in p)
                   for i, p in enumerate(parts))


def fmt_count(n) -> str:
    if n is None or pd.isna(n):
        return "–"
    return f"{int(round(float(n))):,}"


def fmt_claim(qualifier, vmin, vmax) -> str:
    value = vmin if pd.notna(vmin) else vmax
    return QUALIFIER_WORDS[str(qualifier)].format(fmt_count(value))


def fmt_range(low, best, high) -> str:
    """'34 (0–36)'; '2' where every source agrees; '– (12)' or '– (1–3)' where sources give
    figures but none may give the best estimate (flagged or second-hand); '–' for none."""
    if pd.isna(best):
        if low is None or pd.isna(low):
            return "–"
        inner = fmt_count(low) if low == high else f"{fmt_count(low)}–{fmt_count(high)}"
        return f"– ({inner})"
    if low == high:
        return fmt_count(best)
    return f"{fmt_count(best)} ({fmt_count(low)}–{fmt_count(high)})"


def fmt_date(ts, precision="day", short: bool = False) -> str:
    """A date at its precision: '28 July 2009', 'July 2009', '2009' (short: 'Jul')."""
    if ts is None or pd.isna(ts):
        return ""
    precision = str(precision)
    month = MONTHS[ts.month - 1][:3] if short else MONTHS[ts.month - 1]
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return f"{month} {ts.year}"
    return f"{ts.day} {month} {ts.year}"


def _month_bounds(start, end) -> bool:
    return start.day == 1 and end == end + pd.offsets.MonthEnd(0)


def fmt_span(start, end, precision="day", short: bool = False) -> str:
    """A date or a span of dates as precise as its precision code says, and no more:
    '28–29 July 2009' (day), 'July 2009' (month), '2009' (year), '5 or 6 April 1992' and
    'between 15 and 22 April 2003' (bracketed: one date between two reported dates),
    'c. April 2003 – January 2009' (span: a period with approximate ends)."""
    precision = str(precision)
    if start is None or pd.isna(start):
        return ""
    if pd.isna(end):
        end = start
    if precision == "bracketed" and end > start:
        if _month_bounds(start, end):
            a, b = fmt_date(start, "month", short), fmt_date(end, "month", short)
            if start.year == end.year:
                a = MONTHS[start.month - 1][:3] if short else MONTHS[start.month - 1]
            months = (end.year - start.year) * 12 + end.month - start.month
            return f"{a} or {b}" if months == 1 else f"between {a} and {b}"
        b = fmt_date(end, "day", short)
        if start.year == end.year and start.month == end.month:
            a = str(start.day)
        elif start.year == end.year:
            a = fmt_date(start, "day", short).rsplit(" ", 1)[0]
        else:
            a = fmt_date(start, "day", short)
        return f"{a} or {b}" if (end - start).days == 1 else f"between {a} and {b}"
    if precision == "span":
        def end_text(ts, first: bool) -> str:
            if (ts.month, ts.day) == ((1, 1) if first else (12, 31)):
                return str(ts.year)
            if ts.day == 1 if first else ts == ts + pd.offsets.MonthEnd(0):
                return fmt_date(ts, "month", short)
            return fmt_date(ts, "day", short)
        return f"c. {end_text(start, True)} – {end_text(end, False)}"
    a, b = fmt_date(start, precision, short), fmt_date(end, precision, short)
    if a == b:
        return a
    if precision == "day" and start.year == end.year and start.month == end.month:
        return f"{start.day}–{b}"
    return f"{a} – {b}"


def short_date(ts, precision="day", end=None) -> str:
    """A short date ('5 Apr 1992'); with an end, a short span at its precision."""
    if end is not None:
        return fmt_span(ts, end, precision, short=True)
    return fmt_date(ts, precision, short=True)


# Who gave a figure, in a sentence ("the figure given by ..."). The claims' ``quoted`` and the
# sources' ``label`` are written for table cells ("MEK", "Baquba hospital", "Wikipedia
# (starting text)"); prose needs articles, no editors' notes in brackets, and the speaker and
# the outlet each named once.
CARRIER_NAMES = {"US State Dept": "the US State Department", "HRW": "Human Rights Watch",
                 "Maryam Rajavi site": "Maryam Rajavi's website", "BBC": "the BBC",
                 "Los Angeles Times": "the Los Angeles Times",
                 "Orlando Sentinel": "the Orlando Sentinel", "Nejat Society": "the Nejat Society"}
"""Source labels that read badly in a sentence, with the name prose uses."""
_TAKES_THE = {"MEK", "NCRI", "PMOI", "UN", "US", "EU", "Iraqi government",
              "Washington Report on Middle East Affairs"}
_ROLE_A = {"official", "source", "representative", "lawyer", "colonel", "resident",
           "spokesman", "spokesperson", "statement", "text", "version", "summary", "officer"}
_ROLE_THE = {"governor", "hospital", "team", "secretariat", "secretary-general", "government",
             "agency", "ministry", "website", "office"}
_DETERMINERS = {"a", "an", "the", "two", "three", "some", "several", "his", "her", "its",
                "their"}


def _indefinite(word: str) -> str:
    if word.isupper() and len(word) > 1:  # an acronym, read letter by letter: "an MEK lawyer"
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def carrier_name(label: str) -> str:
    """A source's label as prose names the outlet: the editors' bracketed note dropped
    ('Wikipedia (starting text)' -> 'Wikipedia'), a few labels spelled out."""
    name = " ".join(str(label).split())
    if name in CARRIER_NAMES:
        return CARRIER_NAMES[name]
    bare = name.split(" (", 1)[0].strip() or name
    return CARRIER_NAMES.get(bare) or with_article(bare)


def with_article(who: str) -> str:
    """A speaker as the subject of a sentence: 'MEK' -> 'the MEK', 'Iraqi official' -> 'an
    Iraqi official', 'Baquba hospital' -> 'the Baquba hospital'; names, plurals and phrases
    that already have a determiner are left as they are."""
    who = " ".join(str(who).split())
    if not who:
        raise ValueError("with_article: an empty speaker")
    head = who.split(",", 1)[0].split(" (", 1)[0].split(" of ", 1)[0].split(" via ", 1)[0]
    words = head.split()
    if words[0].lower() in _DETERMINERS or "'s" in words[0]:
        return who
    last = words[-1].lower()
    if "'s " in head:  # "UN Secretary-General's spokesperson": one known person
        out = "the " + who
    elif last in _ROLE_A:
        out = f"{_indefinite(words[0])} {who}"
    elif last in _ROLE_THE or head in _TAKES_THE:
        out = "the " + who
    elif words[0].split("/")[0] in _TAKES_THE and not last.endswith("s"):
        out = "the " + who  # "the UN Secretary-General", "the NCRI Secretariat"
    else:
        out = who
    # "police and UN" -> "police and the UN"
    for name in ("UN", "MEK", "NCRI", "PMOI"):
        out = out.replace(f" and {name}", f" and the {name}")
    return out


def _initials(text: str) -> str:
    return "".join(w[0] for w in text.replace("-", " ").split() if w[:1].isupper())


def speaker_phrase(quoted: str, label: str) -> str:
    """Who gave a figure and where it was read, for prose ("the figure given by ..."): the
    speaker once and the outlet once, and the outlet alone where it is the speaker.

    'MEK' via 'AFP' -> 'the MEK, as reported by AFP'; 'UNHCR' via 'UNHCR' -> 'UNHCR';
    'Washington Report on Middle East Affairs' via 'WRMEA' -> the name alone; 'the article' via
    'Wikipedia (starting text)' -> 'Wikipedia' (so is 'the Wikipedia article'); 'unnamed sources cited by the article' ->
    'unnamed sources cited by Wikipedia'."""
    q = " ".join(str(quoted).split())
    if not q or str(quoted) == "nan":
        raise ValueError(f"speaker_phrase: no speaker for a figure read in {label!r}")
    carrier = carrier_name(label)
    bare = carrier[4:] if carrier.startswith("the ") else carrier
    q = re.sub(r"\bthe (?:Wikipedia )?article\b", bare, q)
    who = with_article(q)
    ql, bl = q.lower(), bare.lower()
    if (bl in ql or ql in bl or _initials(q) == bare
            or ql.split(" (", 1)[0] in bl):
        return who
    return f"{who}, as reported by {carrier}"


def both_given_by(killed: str | None, wounded: str | None) -> str:
    """Who gave an event's two best estimates, in one phrase for "N killed and M wounded, ...":
    'both given by UNHCR' when one speaker gave both, 'given by X and by Y respectively' when
    they differ, and 'given by X' when only one measure has a best estimate."""
    given = [s for s in (killed, wounded) if s]
    if not given:
        raise ValueError("both_given_by: no best estimate has a speaker")
    if len(given) == 1:
        return f"given by {given[0]}"
    if killed == wounded:
        return f"both given by {killed}"
    return f"given by {killed} and by {wounded} respectively"


def cite(keys) -> str:
    """A MyST citation role for a ';'-separated list of keys (or a list of keys)."""
    if isinstance(keys, str):
        keys = [k for k in keys.split(";") if k]
    keys = [k for k in keys if k]
    return "{cite:p}`" + ",".join(keys) + "`" if keys else ""


def md_table(frame: pd.DataFrame, caption: str, name: str, escape: set[str] | None = None,
             widths: list[int] | None = None) -> str:
    """A numbered, captioned MyST table. Columns named in ``escape`` (default: all) are
    escaped as literal text; the others are trusted markup made by this package."""
    escape = set(frame.columns) if escape is None else escape
    head = "| " + " | ".join(md_escape(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = []
    for row in frame.itertuples(index=False):
        cells = [md_escape(v) if col in escape else str(v).replace("|", "\\|")
                 for col, v in zip(frame.columns, row)]
        body.append("| " + " | ".join(cells) + " |")
    opts = f":name: {name}\n:class: longtable\n"  # longtable: breaks across PDF pages
    if widths:
        opts += ":widths: " + " ".join(str(w) for w in widths) + "\n"
    return f":::{{table}} {md_escape(caption)}\n{opts}\n" + "\n".join([head, rule, *body]) + "\n:::\n"
