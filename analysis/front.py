"""The front page of the site (chapters/index.md): the chart of control with the
attacks, and a card per period. The page is for the site only: the PDF has its own title page,
so everything here is HTML-only output (raw HTML for the chart, Markdown wrapped in an
``{only} html`` block for the cards)."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from . import ROOT
from .chapter import Overview
from .figdata import show_html
from .text import md_escape

CAPTION = ("Who controlled Camp Ashraf from {first} to {last}, and the attacks on the camp "
           "(circles, sized by the best estimate of people killed; each opens its entry in the "
           "register of events). The chapter on control explains the chart and its sources.")


def chart(book: Overview | None = None):
    """The chart of control with the attacks over the book's whole span, inline (its circles
    are links to the register; its alt text is made from the data it draws), with a caption
    linking to the chapter on control; displayed for the site only; outside a notebook the
    HTML is returned."""
    from IPython import get_ipython

    book = book or Overview(glue=False)
    first, last = book.start.year, book.end.year
    text = (
        '<div class="front-chart">' + book.control_figure("front-control").html()
        + f'<p class="front-caption">{html.escape(CAPTION.format(first=first, last=last))} '
        f'<a href="overview-control.html">Control of the camp, {first}–{last}</a>.</p></div>')
    show_html(text)
    return text if get_ipython() is None else None


def _years(p) -> str:
    end = p.end_date if pd.notna(p.end_date) else None
    a = p.start_date.year
    b = end.year if end is not None else "today"
    return f"{a}" if a == b else f"{a}–{b}"


def _n(count, noun: str) -> str:
    return f"{int(count):,} {noun}{'' if int(count) == 1 else 's'}"


def chapter_docs(root: Path = ROOT) -> dict[str, str]:
    """period_id -> the chapter that sets it up (``Chapter("p1")`` in chapters/*.md)."""
    out = {}
    for path in sorted((root / "chapters").glob("*.md")):
        for pid in re.findall(r'Chapter\("(\w+)"\)', path.read_text(encoding="utf-8")):
            out.setdefault(pid, path.stem)
    return out


def period_cards(book: Overview | None = None, docs: dict[str, str] | None = None):
    """A card per period, in order: its title (linked to its chapter), years, the number of
    events and attacks, and its one-line description from data/periods.csv."""
    book = book or Overview(glue=False)
    totals = book.totals.set_index("period_id")
    docs = chapter_docs() if docs is None else docs
    cards = []
    for p in book.data.periods.sort_values("order").itertuples(index=False):
        t = totals.loc[p.period_id]
        link = f":link: {docs[p.period_id]}\n:link-type: doc\n" if p.period_id in docs else ""
        cards.append(
            f":::{{grid-item-card}} {md_escape(p.title)}\n{link}\n"
            f"**{md_escape(_years(p))}** · {_n(t['events'], 'event')}, "
            f"{_n(t['attacks'], 'attack')}\n\n{md_escape(p.description)}\n:::\n")
    text = ("::::::{only} html\n:::::{grid} 1 2 2 2\n:gutter: 2\n\n" + "\n".join(cards)
            + ":::::\n::::::\n")
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)
