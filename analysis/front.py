"""The front page of the site (chapters/index.md): the 1986–2025 chart of control with the
attacks, and a card per period. The page is for the site only: the PDF has its own title page,
so everything here is HTML-only output (raw HTML for the chart, Markdown wrapped in an
``{only} html`` block for the cards)."""
from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pandas as pd

from . import ROOT
from .chapter import Overview
from .figdata import show_html
from .text import md_escape

ALT = ("A timeline from 1986 to 2025 of who controlled Camp Ashraf: the MEK's base under the "
       "Iraqi state until 2003, US forces until the end of 2008, then the Iraqi government, and "
       "after the residents left in 2013 armed groups. Circles below the band mark the attacks "
       "on the camp, sized by the best estimate of people killed; the largest fall in 2009, "
       "2011 and 2013.")
CAPTION = ("Who controlled Camp Ashraf from 1986 to today, and the attacks on the camp "
           "(circles, sized by the best estimate of people killed). The chapter on control "
           "explains the chart and its sources.")


def svg_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")  # the legend too
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def chart(book: Overview | None = None):
    """The 1986–2025 chart of control with the attacks, as HTML (an image with alt text and a
    caption linking to the chapter on control), displayed for the site only; outside a
    notebook the HTML is returned."""
    from IPython import get_ipython

    book = book or Overview(glue=False)
    uri = svg_data_uri(book.control_figure())
    text = (
        '<div class="front-chart">'
        f'<img src="{uri}" alt="{html.escape(ALT)}" style="width:100%;height:auto" '
        'width="630" height="330">'
        f'<p class="front-caption">{html.escape(CAPTION)} '
        '<a href="overview-control.html">Control of the camp, 1986–2025</a>.</p></div>')
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
