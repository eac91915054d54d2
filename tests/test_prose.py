"""The prose types no count: every number about events, casualties, control or population is
glued from the data. Dates (days, months, years, spans of years) and document identifiers
may be written; nothing else with a digit may stand in a chapter's prose."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT, figure_cells, period_chapters, toc_docnames

MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
         r"December)")
ALLOWED = [
    rf"\b\d{{1,2}}(?:–\d{{1,2}})? {MONTH}(?: \d{{4}})?",    # 28–29 July 2009, 1 September
    rf"\b{MONTH} \d{{1,2}}(?!\d)(?:, \d{{4}})?",          # (US style, in quotations)
    rf"\b{MONTH} \d{{4}}",                                # July 2009
    r"\b(?:19[89]\d|20[0-3]\d)s\b",                       # the 1990s
    r"\b(?:19[89]\d|20[0-3]\d)(?:[–-](?:19[89]\d|20[0-3]\d))?\b",  # 2013, 1986–1991
    r"\b[Rr]esolution \d+\b",                             # UN Security Council resolution 1883
    r"\bMDE \d+/\d+/\d+\b",                               # Amnesty document number
    r"\bCamp Ashraf 3\b|\bAshraf 3\b",                    # a place name
    r"\b\d+\.\d+(?:\.\d+)?\b",                           # versions: 1.0.0, Python 3.11
    r"\bCC BY \d\.\d\b",                                 # a licence's name
]


def prose(doc: str, root=ROOT) -> str:
    text = (root / f"{doc}.md").read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)           # front matter
    text = re.sub(r"^(`{3,}|:{3,}).*?^\1\s*$", "", text, flags=re.S | re.M)  # code, directives
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)                     # roles: glue, cite, ref
    text = re.sub(r"`[^`]*`", "", text)                                 # inline code
    text = re.sub(r"^\(.*\)=\s*$", "", text, flags=re.M)               # labels
    text = re.sub(r"\]\([^)]*\)", "]", text)                            # link targets
    return text


def typed_numbers(doc: str, root=ROOT) -> list[str]:
    text = prose(doc, root)
    for pattern in ALLOWED:
        text = re.sub(pattern, "", text)
    return [m.group(0) for m in re.finditer(r"[^\n]{0,30}\d[^\n]{0,30}", text)]


@pytest.mark.parametrize("doc", toc_docnames())
def test_no_count_is_typed_in_prose(doc):
    assert typed_numbers(doc) == [], \
        f"{doc}: numbers typed into prose; glue them from the data instead"


def test_the_checker_catches_a_typed_count(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "x.md").write_text(
        "# T\n\nOn 28 July 2009 the raid killed 11 people, in 2009 {glue:text}`k`.\n")
    found = typed_numbers("chapters/x", tmp_path)
    assert len(found) == 1 and "11" in found[0]


@pytest.mark.parametrize("doc", period_chapters())
def test_period_chapter_has_control_and_casualty_charts_and_sources(doc):
    from analysis.chapter import Chapter

    names = [f["name"] for f in figure_cells(doc)]
    assert any(n.endswith("-control") for n in names), f"{doc}: no chart of control"
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    # a chart of casualties where the period's attacks have figures; where none has, a note
    # in its place and no empty chart (issue 18: empty Fig. 2.2 and 9.2)
    # (a period whose attacks all lack figures may chart them by name, as p3 does)
    from analysis import derive

    ch = Chapter(re.match(r"chapters/(p\d+)", doc).group(1), glue=False)
    if ch.has_casualty_figures():
        assert any(n.endswith("-casualties") for n in names), f"{doc}: no chart of casualties"
    elif derive.attacks(ch.events).empty:
        assert not any(n.endswith("-casualties") for n in names), f"{doc}: an empty chart"
        assert "ch.no_casualty_chart()" in text and "-casualties`" not in text
    assert "ch.table()" in text and "ch.sources_disagree()" in text
    assert "{cite" in text, f"{doc}: no citation in the prose"
    for f in figure_cells(doc):  # alt text is made from the chart's data (analysis.figdata)
        assert not f["alt"], f"{doc}: figure {f['name']} has a typed alt text, which goes stale"


def test_every_period_has_its_chapter():
    import csv
    with open(ROOT / "data" / "periods.csv", newline="", encoding="utf-8") as fh:
        ids = [r["period_id"] for r in csv.DictReader(fh)]
    chapters = period_chapters()
    for pid in ids:
        hits = [c for c in chapters
                if f'Chapter("{pid}")' in (ROOT / f"{c}.md").read_text(encoding="utf-8")]
        assert len(hits) == 1, f"period {pid} should have exactly one chapter: {hits}"


# --- figures per paragraph: more than four sources' figures in one paragraph read as a list;
# competing figures go into a small table (Chapter.claims_table) and the prose names a few.
# What is counted is the figures a reader meets (each glued claim or population count), not
# the distinct sources: five figures from four sources (the MEK's rising counts, two of a
# government's) read as a list just the same. The book's own estimates (best, low, high) are
# not a source's figure and are not counted.
MAX_SOURCES_PER_PARAGRAPH = 4


def _figure_sources(root=ROOT) -> dict[str, str]:
    """Every glue key that is one source's figure (a claim or a population count): its
    source_key."""
    import csv
    out = {}
    for name, key in (("casualty_claims.csv", "claim_id"), ("population.csv", "population_id")):
        with open(root / "data" / name, newline="", encoding="utf-8") as fh:
            out.update({r[key]: r["source_key"] for r in csv.DictReader(fh)})
    return out


def source_paragraphs(doc: str, root=ROOT) -> list[str]:
    """A chapter's paragraphs as written (its code cells and directive blocks left out)."""
    text = (root / f"{doc}.md").read_text(encoding="utf-8")
    text = re.sub(r"^(`{3,}|:{3,}).*?^\1\s*$", "", text, flags=re.S | re.M)
    return re.split(r"\n\s*\n", text)


def crowded_paragraphs(doc: str, root=ROOT, limit=MAX_SOURCES_PER_PARAGRAPH) -> list[str]:
    """Paragraphs of a chapter's prose that glue more than ``limit`` sources' figures."""
    sources = _figure_sources(root)
    found = []
    for para in source_paragraphs(doc, root):
        # "<population_id>.n" is a count's bare number: the count's own source
        keys = [k.removesuffix(".n") for k in re.findall(r"\{glue:text\}`([^`]+)`", para)]
        unknown = [k for k in keys if "--" in k and k not in sources]
        assert not unknown, f"{doc}: glue keys that are no claim or count: {unknown}"
        if len({k for k in keys if k in sources}) > limit:
            found.append(" ".join(para.split())[:120])
    return found


@pytest.mark.parametrize("doc", period_chapters())
def test_no_paragraph_crowds_more_than_four_sources_figures(doc):
    assert crowded_paragraphs(doc) == [], \
        f"{doc}: paragraphs with figures from more than {MAX_SOURCES_PER_PARAGRAPH} sources; " \
        "move the competing figures into a table (Chapter.claims_table)"


def built_paragraph_sources(doc: str, page: str, glued: dict[str, str],
                            root=ROOT) -> list[tuple[str, set[str]]]:
    """Each paragraph (<p>) of a built page that shows glued figures: its text and its
    sources' figures (the claim or count ids). A built paragraph's figures (myst-nb's
    pasted-text spans) are matched to the chapter paragraph whose glue keys give those values
    in that order; a built paragraph that matches none fails, so the count is always of what
    the reader sees."""
    import html as htmllib

    from bs4 import BeautifulSoup

    sources = _figure_sources(root)
    text = (root / f"{doc}.md").read_text(encoding="utf-8")
    by_values: dict[tuple[str, ...], set[frozenset]] = {}
    for para in re.split(r"\n\s*\n", text):
        keys = re.findall(r"\{glue:text\}`([^`]+)`", para)
        if keys and all(k in glued for k in keys):
            values = tuple(" ".join(glued[k].split()) for k in keys)
            by_values.setdefault(values, set()).add(frozenset(k for k in keys if k in sources))
    out = []
    body = BeautifulSoup(page, "html.parser").find("main") or BeautifulSoup(page, "html.parser")
    for p in body.find_all("p"):
        values = tuple(" ".join(htmllib.unescape(s.get_text()).split())
                       for s in p.find_all("span", class_="pasted-text"))
        if not values:
            continue
        found = by_values.get(values)
        assert found, f"{doc}: a built paragraph's figures {values} match no paragraph of " \
                      f"the chapter's source: {p.get_text()[:100]!r}"
        out.append((" ".join(p.get_text().split()), set().union(*found)))
    return out


@pytest.mark.parametrize("doc", period_chapters())
def test_no_built_paragraph_shows_figures_from_more_than_four_sources(built_html, doc):
    """Issue 18's done-means, on the built page a reader sees: no paragraph (<p>) of a period
    chapter shows more than four figures of sources."""
    from analysis.chapter import Chapter

    glued = Chapter(re.match(r"chapters/(p\d+)", doc).group(1), glue=False).glued
    page = (built_html / f"{doc}.html").read_text(encoding="utf-8")
    paras = built_paragraph_sources(doc, page, glued)
    assert paras, f"{doc}: no paragraph with glued figures found in the built page"
    crowded = [(t[:100], sorted(s)) for t, s in paras if len(s) > MAX_SOURCES_PER_PARAGRAPH]
    assert not crowded, f"{doc}: built paragraphs with figures from more than " \
                        f"{MAX_SOURCES_PER_PARAGRAPH} sources: {crowded}"


def test_the_built_page_count_sees_a_crowded_paragraph(tmp_path):
    """The check on built pages counts the five figures of five sources."""
    import shutil
    (tmp_path / "chapters").mkdir()
    shutil.copytree(ROOT / "data", tmp_path / "data")
    five = ["2009-07-28-raid--ncri-4", "2009-07-28-raid--ap-iraqi-officials-6",
            "2009-07-28-raid--hrw-iraqi-officials-7", "2009-07-28-raid--state-11",
            "2009-07-28-raid--reuters-residents-13"]
    glued = {k: f"v{i}" for i, k in enumerate(five)}
    (tmp_path / "chapters" / "x.md").write_text(
        "# T\n\n" + " ".join(f"{{glue:text}}`{k}`" for k in five) + "\n", encoding="utf-8")
    page = "<main><p>" + " ".join(f'<span class="pasted-text">v{i}</span>'
                                  for i in range(5)) + "</p><p>none</p></main>"
    (_text, found), = built_paragraph_sources("chapters/x", page, glued, tmp_path)
    assert len(found) == 5
    with pytest.raises(AssertionError, match="match no paragraph"):
        built_paragraph_sources("chapters/x", '<p><span class="pasted-text">v9</span></p>',
                                glued, tmp_path)


def test_the_crowding_check_counts_figures_not_only_sources(tmp_path):
    """Five figures crowd a paragraph whether five sources gave them or two (the MEK's rising
    counts and the NCRI's: the July 2009 wounded paragraph had seven figures from four sources
    and passed the old count of sources); four do not."""
    import shutil
    (tmp_path / "chapters").mkdir()
    shutil.copytree(ROOT / "data", tmp_path / "data")
    five = ["2009-07-28-raid--ncri-4", "2009-07-28-raid--ap-iraqi-officials-6",
            "2009-07-28-raid--hrw-iraqi-officials-7", "2009-07-28-raid--state-11",
            "2009-07-28-raid--reuters-residents-13"]
    same = ["2009-07-28-raid--mek-400", "2009-07-28-raid--mek-300", "2009-07-28-raid--mek-450",
            "2009-07-28-raid--mek-500", "2009-07-28-raid--ncri-4"]
    four = same[:4] + ["2009-07-28-raid.killed_best", "2009-07-28-raid.killed_high"]
    glued = lambda ids: " ".join(f"{{glue:text}}`{i}`" for i in ids)  # noqa: E731
    (tmp_path / "chapters" / "x.md").write_text(
        f"# T\n\n{glued(five)}\n\n{glued(same)}\n\n{glued(four)}\n", encoding="utf-8")
    found = crowded_paragraphs("chapters/x", tmp_path)
    assert len(found) == 2
    assert "ap-iraqi-officials-6" in found[0] and "mek-450" in found[1]


# --- each glued figure is cited to its own source --------------------------------------------
ROLE = re.compile(r"\{glue:text\}`([^`]+)`|\{cite(?::[pt])?\}`([^`]+)`")


def miscited_figures(doc: str, root=ROOT) -> list[str]:
    """Glued figures of a source (claims, population counts) whose next citation in the same
    paragraph does not name that source, or that no citation follows: a reader who follows
    the note after a number must reach the document that gives it."""
    sources = _figure_sources(root)
    out = []
    for para in source_paragraphs(doc, root):
        pending: list[str] = []
        for m in ROLE.finditer(para):
            if m.group(1):
                if m.group(1) in sources:
                    pending.append(m.group(1))
                continue
            cited = {k.strip() for k in m.group(2).split(",")}
            out += [f"{k} (source {sources[k]}) is followed by a citation of {sorted(cited)}"
                    for k in pending if sources[k] not in cited]
            pending = []
        out += [f"{k} (source {sources[k]}) has no citation after it in its paragraph"
                for k in pending]
    return out


@pytest.mark.parametrize("doc", sorted(f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("*.md")))
def test_every_glued_figure_is_cited_to_its_own_source(doc):
    assert miscited_figures(doc) == [], f"{doc}: cite each figure's own source after it"


def test_the_citation_check_catches_a_figure_cited_to_another_source(tmp_path):
    """Seeded from the book's own slips: the MEK's 500 (read in Reuters) cited to the MEK's
    statements page, and a figure left without any citation."""
    import shutil
    (tmp_path / "chapters").mkdir()
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "chapters" / "x.md").write_text(
        "# T\n\nA resident spoke of {glue:text}`2009-07-28-raid--mek-500` "
        "{cite:p}`pmoi-2009-07-raid-statements`.\n\n"
        "The NCRI gave {glue:text}`2009-07-28-raid--ncri-4`.\n\n"
        "Reuters: {glue:text}`2009-07-28-raid--mek-500` "
        "{cite:p}`x,reuters-2009-07-29-iraq-denies-killings`.\n", encoding="utf-8")
    found = miscited_figures("chapters/x", tmp_path)
    assert len(found) == 2
    assert "reuters-2009-07-29" in found[0] and "no citation" in found[1]


# --- the disputes page: each disputed question links to the register -----------------------
DISPUTES = "chapters/disputes"
REF_TO_EVENT = re.compile(r"\{ref\}`[^`<]*<ev-([^>`]+)>`")


def dispute_sections(doc: str = DISPUTES, root=ROOT) -> dict[str, list[str]]:
    """Each '## ' section of the disputes page (but the citation block): the event ids it links
    to with {ref}`text <ev-EVENT_ID>`."""
    text = (root / f"{doc}.md").read_text(encoding="utf-8")
    out = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        title, _, body = block.partition("\n")
        if title.strip().lower().startswith("how to cite"):
            continue
        out[title.strip()] = REF_TO_EVENT.findall(body)
    return out


def test_the_disputes_page_is_in_the_book():
    assert DISPUTES in toc_docnames(), "chapters/disputes.md is not in _toc.yml"
    titles = list(dispute_sections())
    for must in ("1 September 2013", "July 2009", "Camp Liberty", "legal status",
                 "before 2003", "Iran", "life inside"):
        assert any(must.lower() in t.lower() for t in titles), f"no disputed question on {must!r}"


def test_every_disputed_question_links_to_an_existing_register_entry():
    import csv
    with open(ROOT / "data" / "events.csv", newline="", encoding="utf-8") as fh:
        events = {r["event_id"] for r in csv.DictReader(fh)}
    for title, linked in dispute_sections().items():
        assert linked, f"disputes: «{title}» links to no register entry"
        missing = [e for e in linked if e not in events]
        assert not missing, f"disputes: «{title}» links to events not in the data: {missing}"


def test_the_disputes_check_catches_a_section_without_a_link(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "d.md").write_text(
        "# D\n\n## Linked\n\nSee {ref}`the raid <ev-2009-07-28-raid>`.\n\n## Unlinked\n\n"
        "Nothing here.\n\n## How to cite this page\n\nx\n", encoding="utf-8")
    assert dispute_sections("chapters/d", tmp_path) == {"Linked": ["2009-07-28-raid"],
                                                        "Unlinked": []}


@pytest.mark.parametrize("doc", period_chapters() + [DISPUTES])
def test_chapter_opens_with_an_in_brief_box(doc):
    """Issue 18: each period chapter and the disputes page open with the same 'In brief' box
    (two bold-led paragraphs with citations) before their first section."""
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    box = re.search(r"^:::\{admonition\} In brief\n:class: tip\n(.*?)^:::$", text, re.S | re.M)
    assert box, f"{doc}: no 'In brief' box"
    assert box.start() < text.find("\n## "), f"{doc}: the 'In brief' box is not at the start"
    leads = re.findall(r"^\*\*([^*]+)\*\*", box.group(1), re.M)
    assert len(leads) == 2 and "{cite" in box.group(1), (doc, leads)


def test_a_chapter_without_a_casualty_chart_says_why_under_its_own_title(built_html):
    """Where a period has no chart of casualties (p1, p8), the page says why in a note titled
    "No chart of casualties", and the title does not run into the note's first sentence."""
    found = 0
    for doc in period_chapters():
        if "ch.no_casualty_chart()" not in (ROOT / f"{doc}.md").read_text(encoding="utf-8"):
            continue
        page = (built_html / f"{doc}.html").read_text(encoding="utf-8")
        assert '<p class="admonition-title">No chart of casualties</p>' in page, \
            f"{doc}: the note has no title of its own"
        assert not re.search(r"<p>\s*No chart of casualties", page), \
            f"{doc}: the note's title runs into its text"
        found += 1
    assert found, "no period chapter uses ch.no_casualty_chart(): the test checks nothing"


# --- a word said twice ---------------------------------------------------------------------

# A glued figure carries its own qualifier ("at least 50", "about 100"): prose that says
# "at" or "about" before it reads "at at least 50". Words that may rightly repeat are few.
DOUBLED = re.compile(r"\b([A-Za-z]+) \1\b")
MAY_REPEAT = {"that", "had"}


def doubled_words(page_html: str) -> list[str]:
    """Words said twice in a row in a page's prose (not in charts, code or scripts)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    main = soup.find("article") or soup
    for tag in main(["script", "style", "pre", "code", "svg", "figure"]):
        tag.decompose()
    text = " ".join(main.get_text(" ").split())
    return [text[max(0, m.start() - 50):m.end() + 20] for m in DOUBLED.finditer(text)
            if m.group(1).lower() not in MAY_REPEAT]


def test_no_built_page_says_a_word_twice(built_html):
    found = {p.name: hits for p in sorted((built_html / "chapters").glob("*.html"))
             if (hits := doubled_words(p.read_text(encoding="utf-8")))}
    assert not found, "a word said twice: " + "; ".join(
        f"{page}: …{h}…" for page, hits in found.items() for h in hits)


def test_the_doubled_word_check_catches_a_glued_qualifier_after_at():
    page = ('<article><p>They put the dead at <span class="pasted-text">at least 50</span>.'
            '</p><figure><svg><text>handover</text><text>handover</text></svg></figure>'
            '</article>')
    assert len(doubled_words(page)) == 1
