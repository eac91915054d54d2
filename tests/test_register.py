"""The ways into the record: the event register (an anchor per event that the period tables
link to), the data behind every chart (a CSV that matches what the chart draws), the locator
map, each chapter's citation and the front page."""
from __future__ import annotations

import csv
import html
import io
import re

import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from conftest import ROOT, figure_cells, period_chapters, toc_docnames


def _events() -> list[dict]:
    with open(ROOT / "data" / "events.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _claims() -> list[dict]:
    with open(ROOT / "data" / "casualty_claims.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _page(built_html, doc: str) -> str:
    return (built_html / f"{doc}.html").read_text(encoding="utf-8")


# --- the register -----------------------------------------------------------------------

def test_every_event_has_an_anchor_in_the_register(built_html):
    page = _page(built_html, "chapters/register")
    ids = set(re.findall(r'id="ev-([^"]+)"', page))
    missing = [e["event_id"] for e in _events() if e["event_id"] not in ids]
    assert missing == [], f"events without a register entry: {missing[:10]}"
    for e in _events()[:5] + _events()[-5:]:  # the entry shows the event's own title
        entry = page.split(f'id="ev-{e["event_id"]}"', 1)[1][:3000]
        # the site sets typographic apostrophes (Sphinx's smartquotes): MEK's -> MEK’s
        entry = entry.replace("\u2019", "'")
        assert html.escape(" ".join(e["title"].split()), quote=False) in entry


@pytest.mark.parametrize("doc", period_chapters())
def test_period_table_links_every_event_to_its_entry(built_html, doc):
    page = re.sub(r"<svg\b.*?</svg>", "", _page(built_html, doc), flags=re.S)  # the table's
    pid = re.search(r'Chapter\("(\w+)"\)', (ROOT / f"{doc}.md").read_text(encoding="utf-8"))[1]
    wanted = {e["event_id"] for e in _events() if e["period_id"] == pid}
    linked = set(re.findall(r'href="register\.html#ev-([^"]+)"', page))
    assert wanted and wanted == linked, f"not linked: {sorted(wanted - linked)}"


def test_register_shows_every_claim(built_html):
    page = _page(built_html, "chapters/register")
    body = page.split('id="ev-', 1)[1]
    rows = re.findall(r"<tr class=\"row-(?:odd|even)\">", body.split("</main>")[0])
    # one table row per claim (the header rows are in <thead>)
    heads = len(re.findall(r"<thead>", body))
    assert len(rows) - heads == len(_claims())


def test_register_is_in_the_pdf(built_pdf):
    import subprocess
    import unicodedata

    text = subprocess.run(["pdftotext", str(built_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = unicodedata.normalize("NFKC", " ".join(text.split()))
    assert "Register of events" in flat
    for e in _events()[::20]:
        assert e["event_id"] in flat, f"{e['event_id']} is not in the PDF's register"


def test_register_text_escapes_data():
    from analysis.load import load
    from analysis.register import Register

    data = load()
    ev = data.events.copy()
    ev.loc[0, "title"] = "<b>x</b> {ref}`y <z>` `code` *em* $m$"
    ev.loc[0, "description"] = "```{raw} html\n<script>1</script>\n```"
    data.__dict__["events"] = ev  # replaces the loaded table (a cached property)
    text = Register(data).entry(next(data.events.itertuples(index=False)))
    assert "{ref}`y" not in text and "<b>" not in text and "```{raw}" not in text
    assert "\\<b\\>" in text and "\\`\\`\\`\\{raw\\}" in text
    # the heading's fence must not be a backtick fence (its info string cannot hold backticks)
    assert re.search(r"^~~~\{rubric\} .*\\`code\\`", text, re.M)


# --- the data behind every chart ----------------------------------------------------------

def _figure_rows(name: str) -> pd.DataFrame:
    from analysis import geo
    from analysis.chapter import Chapter, Overview

    if name == "intro-map":
        return geo.map_data()
    owner, which = name.split("-", 1)
    obj = Overview(glue=False) if owner == "overview" else Chapter(owner, glue=False)
    return obj.figure_rows(which)


@pytest.mark.parametrize("doc", [d for d in toc_docnames() if figure_cells(d)])
def test_every_chart_links_its_data_as_csv(built_html, doc):
    from analysis.figdata import decode_data_uri, to_csv

    page = _page(built_html, doc)
    links = re.findall(r'<a download="([^"]+)\.csv" href="([^"]+)">', page)
    assert len(links) == len(figure_cells(doc)), "a chart without its CSV link"
    for name, uri in links:
        got = decode_data_uri(html.unescape(uri))
        assert got == to_csv(_figure_rows(name)), f"{name}.csv differs from what is drawn"
        assert got.splitlines()[0].count(",") >= 1, f"{name}.csv has no header"
    # the table behind each chart is there too, collapsed
    assert page.count('<div class="figure-data"') == len(links)
    assert page.count("The data behind this chart") == len(links)


@pytest.mark.parametrize("pid", ["p2", "p4", "p5", "p7"])
def test_chart_rows_are_what_the_chart_draws(pid):
    from analysis.chapter import Chapter

    ch = Chapter(pid, glue=False)
    # control: one bar per spell, one circle (a link to the register) per attack at Ashraf
    fig, rows = ch.control_figure().fig, ch.figure_rows("control")
    ax = fig.axes[0]
    circles = sorted(line.get_gid()[3:] for line in ax.lines
                     if (line.get_gid() or "").startswith("ev-"))
    assert circles == sorted(rows.loc[rows["row"] == "attack", "event_id"])
    from analysis.plot import OVERLAY

    spells = [p for p in ax.patches if p.get_label() not in OVERLAY.values()]
    assert len(spells) == (rows["row"] == "control").sum()
    # casualties: one marker per figure about residents
    fig, rows = ch.casualty_figure().fig, ch.figure_rows("casualty")
    markers = [line.get_gid() for a in fig.axes for line in a.lines
               if (line.get_gid() or "").startswith("claim-")]
    assert len(markers) == rows["figure"].notna().sum()
    assert sorted(markers) == sorted(f"claim-{c}" for c in rows["claim_id"] if c)
    # population: one marker per count dated to the day, one faded bar per count dated only
    # to a year or month
    fig, rows = ch.population_figure().fig, ch.figure_rows("population")
    from analysis.plot import FLAGGED_RING, VAGUE_COUNT   # a ring marks a count, is not one
    markers = sum(len(c.get_offsets()) for a in fig.axes for c in a.collections
                  if isinstance(c, PathCollection) and c.get_label() != FLAGGED_RING)
    bars = sum(1 for a in fig.axes for c in a.collections if str(c.get_gid()).startswith(VAGUE_COUNT))
    assert markers + bars == len(rows)
    assert bars == sum(1 for p in ch.data.population.itertuples()
                       if p.population_id in set(rows["population_id"])
                       and str(p.date_precision) in ("year", "month"))


def test_overview_rows_are_what_the_charts_draw():
    from analysis.chapter import Overview

    book = Overview(glue=False)
    fig, rows = book.totals_figure("killed").fig, book.figure_rows("totals")
    assert len(fig.axes[0].patches) == len(rows)
    fig, rows = book.control_figure().fig, book.figure_rows("control")
    ax = fig.axes[0]
    assert sum((line.get_gid() or "").startswith("ev-") for line in ax.lines) == \
        (rows["row"] == "attack").sum()


def test_csv_survives_hostile_text():
    from analysis.figdata import Block, decode_data_uri, to_csv

    frame = pd.DataFrame({"title": ['<script>x</script> "q", \n ok'], "n": [1]})
    out = Block(frame, "t", "test")._repr_html_()
    assert "<script>x" not in out and "&lt;script&gt;x" in out
    uri = re.search(r'href="([^"]+)"', out)[1]
    back = pd.read_csv(io.StringIO(decode_data_uri(html.unescape(uri))))
    assert back.loc[0, "title"] == frame.loc[0, "title"] and to_csv(frame).count("\n") == 3


# --- the map ------------------------------------------------------------------------------

def test_places_have_sources_and_the_map_draws_them():
    from analysis import geo
    from analysis.validate import _bib_keys

    places = geo.places()
    assert set(places["place"]) >= {"ashraf", "liberty", "baghdad", "baquba", "ashraf3"}
    assert set(places["source"]) <= _bib_keys(ROOT / "references.bib")
    names = {f["properties"]["name"] for f in geo.countries()}
    assert {"Iraq", "Iran", "Albania"} <= names
    fig = geo.locator_map()
    big, small = fig.axes
    labels = [t.get_text() for t in big.texts + small.texts]
    for name in places["name"]:
        assert name in labels, f"{name} is not labelled on the map"
    # the region map holds the Iraqi places, inside its frame
    x0, y0, x1, y1 = geo.REGION
    for r in places[places["place"] != "ashraf3"].itertuples():
        assert x0 < r.lon < x1 and y0 < r.lat < y1


def test_places_csv_rejects_bad_rows(tmp_path):
    from analysis import geo

    (tmp_path / "places.csv").write_text(
        "place,name,lat,lon,source,precision,note\nx,X,95,44,k,nearby,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2.*lat/lon|row 2, field 'precision'"):
        geo.places(tmp_path)


def test_map_is_in_the_introduction_with_caption_and_alt():
    from analysis import geo

    figs = {f["name"]: f for f in figure_cells("chapters/intro")}
    assert "fig-intro-map" in figs
    alt = geo.locator_chart().alt
    for name in geo.places()["name"]:
        assert name in alt, f"{name} is on the map but not in its alt text"


# --- citation of each chapter ---------------------------------------------------------------

CITED = [d for d in toc_docnames() if d != "chapters/index"
         and "```{code-cell}" in (ROOT / f"{d}.md").read_text(encoding="utf-8")]


@pytest.mark.parametrize("doc", CITED)
def test_chapter_ends_with_its_citation(built_html, doc):
    import yaml

    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8").rstrip()
    name = doc.split("/")[-1]
    assert text.endswith(f'cite_chapter("{name}")\n```'), f"{doc} does not end with its citation"
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    page = html.unescape(re.sub(r"<[^>]+>", "", _page(built_html, doc)))  # text, no markup
    from analysis.citation import citation

    mine = citation(name)  # the version: the release's, or '+dev' for a build between releases
    assert f"@incollection{{{mine['key']}," in page and mine["key"].startswith(
        f"camp-ashraf-{cff['version']}")
    note = re.search(r"note\s*=\s*\{([^}]*)\}", mine["bibtex"]).group(1)
    assert f"note      = {{{note}}}" in page and note.startswith(f"Version {cff['version']}")
    assert f"{cff['url'].rstrip('/')}/{doc}.html" in page


# --- the front page -------------------------------------------------------------------------

def test_front_page_shows_the_record(built_html):
    from analysis.chapter import Overview

    page = _page(built_html, "chapters/index")
    book = Overview(glue=False)
    assert re.search(r'<svg class="chart-svg" role="group" aria-label="A timeline from '
                     rf'{book.start.year} to {book.end.year}', page)
    for key in ("book.events", "book.attacks", "book.sources", "book.killed_best",
                "book.killed_low", "book.killed_high"):
        assert book.glued[key] in page, f"{key} ({book.glued[key]}) is not on the front page"
    cards = re.findall(r'class="sd-card[^"]*"', page)
    assert len(cards) >= len(book.data.periods)
    for doc in period_chapters():
        assert f'href="{doc.split("/")[-1]}.html"' in page
    for target in ("../camp-ashraf.pdf", "intro.html", "cite.html", "rerun.html",
                   "register.html", "codebook.html"):
        assert f'href="{target}' in page, f"no link to {target}"


def test_analysis_imports_form_no_circle():
    """analysis/ modules import each other without a circle (chapter and register once did:
    the labels both print now live in analysis/labels.py, below both)."""
    import ast

    pkg = ROOT / "analysis"
    mods = {p.stem for p in pkg.glob("*.py")}
    graph = {}
    for p in pkg.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps |= {a.name for a in node.names}
        graph[p.stem] = deps & mods
    state: dict[str, int] = {}

    def visit(m, path):
        if state.get(m) == 1:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(m):] + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for d in sorted(graph[m]):
            visit(d, path + [m])
        state[m] = 2

    for m in sorted(graph):
        visit(m, [])


def test_register_entries_carry_filter_classes_from_codes_only():
    """Each entry is boxed with the classes the site's filter selects by, made of the data's
    codes reduced to [a-z0-9-]: hostile text in a code cannot reach the markup."""
    from analysis.register import Register, _token

    assert _token('p5" onmouseover="x') == "p5-onmouseover-x"
    assert _token("single_source") == "single-source"
    text = Register().markdown("p5")
    boxes = re.findall(r"^::::\{div\} (.*)$", text, re.M)
    assert boxes and all(re.fullmatch(r"[a-z0-9 -]+", b) for b in boxes), boxes[:3]
    assert all("reg-entry" in b.split() and "rp-p5" in b.split() for b in boxes)
    assert text.count("\n::::\n") == len(boxes)


def test_every_figure_is_printed_with_its_sources_words():
    """A reader can check each figure from the register: every claim's quote is printed in
    its event's entry (under the figures, or with its source's entry when the words are the
    same), and a figure without a quote says so."""
    from analysis.load import load
    from analysis.register import Register
    from analysis.text import md_escape

    data = load(ROOT / "data")
    text = Register(data).markdown(None)
    missing = [c.claim_id for c in data.claims.itertuples(index=False)
               if isinstance(c.quote, str) and c.quote and md_escape(c.quote) not in text]
    assert missing == [], f"claims whose words the register does not print: {missing[:10]}"
    assert text.count("no quote (") >= sum(
        1 for q in data.claims["quote"] if not (isinstance(q, str) and q))


def test_where_a_quote_was_read_is_said_by_comparing_addresses():
    """The register said 'read in a copy on another host' and then gave the entry's own
    address, and called a third-party digest 'the publisher's own address' (review of
    December 2026): the label now comes from comparing the address read with the entry's."""
    from analysis.register import _read_where
    own = "https://www.un.org/press/en/2011/sc10472.doc.htm"
    assert _read_where("original", own, own) == ""
    assert _read_where("copy", "https://nejatngo.org/en/posts/1", "https://nejatngo.org/en/posts/1") \
        == "read at this address, a copy on nejatngo.org, an Iranian-state-aligned site"
    text = _read_where("copy", "https://www.usfliberty.org/documents/x/", own)
    assert text.startswith("read in a copy on usfliberty.org, an MEK-aligned site: ")
    assert _read_where("copy", "https://example.net/a", own).startswith("read in a copy on example.net: ")
    assert _read_where("original", "https://un.org/other", own).startswith(
        "read at another page of the publisher's site: ")
    assert "another host" not in _read_where("copy", own, own)


def test_no_address_is_printed_cut_short():
    """Review of 6de8688-b, #10: addresses with an Arabic or Persian path were printed as
    "https://arabi21.co/story/945837/…", which a reader of the printed book cannot follow.
    Every source address in the data is now shown whole (decoded only where it stays Latin)."""
    from urllib.parse import unquote

    from analysis import load
    from analysis.register import _url_text

    data = load.load()
    urls = set(data.attestations["read_at"].dropna()) | set(data.claims["read_at"].dropna())
    encoded = [u for u in urls if "%D8" in u or "%D9" in u or "%DB" in u]
    assert encoded, "no address with an Arabic or Persian path to check"
    for url in urls:
        shown = _url_text(str(url))
        assert "…" not in shown and unquote(shown) == unquote(str(url)), (url, shown)


def test_an_account_without_a_number_is_not_named_among_a_figures_speakers():
    """Review of b007e09-b, #18: the 1994 missile strike read 'Killed: 0 (from 1 figure …,
    given by: Iranian government, MEK / NCRI)', but Tehran radio gave no number ('heavy
    casualties'); only the MEK's 0 is a figure."""
    from analysis.register import Register

    reg = Register()
    e = next(e for e in reg.data.events.itertuples(index=False)
             if e.event_id == "1994-11-01-scud-attack")
    killed = next(line for line in reg._figures(e) if line.startswith("- Killed:"))
    assert "given by: MEK \\/ NCRI)" in killed and "Iranian government" not in killed, killed
