"""The built PDF, read as a citing scholar would meet it (poppler-utils)."""
from __future__ import annotations

import re
import subprocess

import pytest

from bookext import ROOM
from conftest import ROOT, chapter_title, figure_cells, period_chapters, toc_docnames


def run(*cmd) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def text(built_pdf) -> str:
    return run("pdftotext", "-layout", str(built_pdf), "-")


def squash(s: str) -> str:
    """Compare text across line breaks and hyphenation: keep letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", s.lower())


def test_every_chapter_title_is_in_the_pdf(text):
    flat = squash(text)
    missing = [d for d in toc_docnames()
               if d != "chapters/bibliography" and squash(chapter_title(d)) not in flat]
    assert not missing, f"chapter titles missing from the PDF: {missing}"


def test_every_figure_caption_is_in_the_pdf(text):
    flat = squash(text)
    captions = [f["caption"] for d in toc_docnames() for f in figure_cells(d)]
    assert captions, "the book has no figures"
    missing = [c for c in captions if squash(c)[:60] not in flat]
    assert not missing, f"figure captions missing from the PDF: {missing}"


def test_no_unresolved_reference_or_lost_figure(text):
    assert "??" not in text, "an unresolved reference prints as ?? in the PDF"
    assert "<Figure size" not in text, "a figure reached the PDF as text, not as a drawing"
    assert "Traceback" not in text


def test_figures_are_vector(built_pdf):
    rows = run("pdfimages", "-list", str(built_pdf)).strip().splitlines()[2:]
    assert rows == [], f"raster images in the PDF: {rows[:5]}"


def test_every_figure_is_drawn(built_pdf):
    """Each figure is embedded as a vector PDF (an XObject form) — count the drawings."""
    expected = sum(len(figure_cells(d)) for d in toc_docnames())
    raw = built_pdf.read_bytes()
    forms = len(re.findall(rb"/Subtype\s*/Form", raw))
    assert forms >= expected, f"{forms} vector drawings in the PDF, {expected} figures in the book"


def test_fonts_are_embedded(built_pdf):
    rows = run("pdffonts", str(built_pdf)).strip().splitlines()[2:]
    assert rows
    not_embedded = [r for r in rows if r.split()[-5] != "yes"]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"


def test_code_and_bibtex_are_set_in_a_legible_monospace_in_black(built_pdf):
    """The cite boxes' BibTeX is 7 pt (its longest line fits unbroken): in FreeMono's thin
    strokes and the highlighter's pale colours it was hard to read (PDF reviews). Code is set
    in DejaVu Sans Mono, and the LaTeX build wraps each BibTeX block in \\bookblackcode,
    which keeps the highlighter's tokens (an entry copied out of the PDF still parses:
    test_citation) and drops their colours."""
    from types import SimpleNamespace

    from docutils import nodes

    from bookext import _keep_together_in_latex

    fonts = [r.split()[0].split("+")[-1] for r in
             run("pdffonts", str(built_pdf)).strip().splitlines()[2:]]
    assert "DejaVuSansMono" in fonts and not any("FreeMono" in f for f in fonts), fonts
    section = nodes.section()
    block = nodes.literal_block("@misc{x,\n}", "@misc{x,\n}", language="bibtex")
    section += block
    doc = nodes.document(None, None)
    doc += section
    _keep_together_in_latex(SimpleNamespace(builder=SimpleNamespace(format="latex")), doc, "x")
    opened = [n.astext() for n in section.findall(nodes.raw) if "begingroup" in n.astext()]
    assert opened and "\\bookblackcode" in opened[0] and "fontsize{7.4}" in opened[0], opened
    assert block["language"] == "bibtex"  # highlighted tokens, so that copying keeps spacing


def test_page_count_and_metadata(built_pdf):
    info = run("pdfinfo", str(built_pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    # 265 before issue 20; 326 with each figure in its words; 348 with issue 18's new events
    # and accounts (2003-2008 positions, register entries): a bound against a runaway layout
    assert 20 <= pages <= 380, f"{pages} pages"
    for key in ("Title", "Author", "Subject", "Keywords"):
        m = re.search(rf"^{key}:\s+(.+)$", info, re.M)
        assert m and m.group(1).strip(), f"PDF metadata {key} is empty"
    assert "Camp Ashraf" in re.search(r"^Title:\s+(.+)$", info, re.M).group(1)


def test_title_page_has_version_and_contents(text):
    head = text[:4000]
    assert "Camp Ashraf" in head
    assert re.search(r"Version \d+\.\d+\.\d+", head), "no version on the title page"
    assert "contents" in head.lower()
    assert "list of figures" in text.lower()


def test_period_chapters_are_numbered(text):
    flat = squash(text)
    for i, d in enumerate(period_chapters(), start=1):
        assert squash(chapter_title(d)) in flat


def test_citations_are_author_year(text):
    assert re.search(r"\[[A-Z][^\]]{1,80} (?:(?:19|20)\d\d[a-z]?|n\.d\.(?:-[a-z])?)\]", text), \
        "no author-year citation found"
    assert "Bibliography" in text


# --- a PDF a press would accept (issue 20) ------------------------------------------------
# Every word's box from one `pdftotext -bbox` run, shared by the tests below.

MARGIN = 72.0     # Sphinx's geometry: one inch on each side (sphinx.sty hmargin, vmargin)
SLACK = 1.0       # points: rounding in pdftotext's boxes
HEAD, FOOT = 60.0, 60.0  # the running head and the page number sit this close to the edge


class Page:
    def __init__(self, number: int, width: float, height: float, words: list[tuple]):
        self.number, self.width, self.height, self.words = number, width, height, words

    def lines(self, body_only: bool = True) -> list[tuple[float, list[tuple]]]:
        """The page's lines, top to bottom: (y, words left to right); without the running
        head and the page number unless body_only is False."""
        rows: dict[int, list[tuple]] = {}
        for w in self.words:
            if body_only and not (HEAD < w[1] < self.height - FOOT):
                continue
            rows.setdefault(round(w[1]), []).append(w)
        return [(y, sorted(ws)) for y, ws in sorted(rows.items())]

    def text_lines(self) -> list[str]:
        return [" ".join(w[4] for w in ws) for _, ws in self.lines()]

    @property
    def opens_chapter(self) -> bool:
        return any(w[4] == "CHAPTER" for w in self.words)

    def free_below(self, y: float) -> float:
        """The share of the text block below y (points from the page's top)."""
        return (self.height - MARGIN - y) / (self.height - 2 * MARGIN)

    def free_share(self) -> float:
        """The share of the text block left empty below the page's last line."""
        lines = self.lines()
        return self.free_below(max(w[3] for _, ws in lines for w in ws)) if lines else 1.0


@pytest.fixture(scope="module")
def pages(built_pdf) -> list[Page]:
    import html

    raw = run("pdftotext", "-bbox", str(built_pdf), "-")
    out = []
    for n, m in enumerate(re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>',
                                      raw, re.S), start=1):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in
                 re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                            r'yMax="([\d.]+)">(.*?)</word>', m.group(3))]
        out.append(Page(n, float(m.group(1)), float(m.group(2)), words))
    assert out, "pdftotext -bbox found no page"
    return out


def body_pages(pages: list[Page]) -> list[Page]:
    """The pages from the first chapter on (not the title page and the contents)."""
    first = next(i for i, p in enumerate(pages) if p.opens_chapter)
    return pages[first:]


def test_no_word_outside_the_text_block(pages):
    """A press sets nothing in the margins: every word lies within one inch of each edge."""
    outside = []
    for p in pages:
        for x0, y0, x1, y1, word in p.words:
            if (x0 < MARGIN - SLACK or x1 > p.width - MARGIN + SLACK
                    or y0 < MARGIN / 2 - SLACK or y1 > p.height - MARGIN / 2 + SLACK):
                outside.append(f"page {p.number}: {word[:40]!r} ({x0:.0f}–{x1:.0f} pt of "
                               f"{p.width:.0f})")
    assert not outside, f"{len(outside)} words outside the text block: {outside[:12]}"


HEADING = re.compile(r"^\d+(\.\d+)+ [A-Z]")


def table_breaks(pages: list[Page]) -> list[tuple[Page, int, float]]:
    """Each table that breaks across pages, as (its first page, the rows on it, where what
    opens the table starts, in points from the page's top: the heading or the paragraph
    ending in ":" that introduces it, or its caption). A broken
    table ends its page with "continues on next page" and repeats its header on the next,
    after "continued from previous page"; a row starts on a line with words in its first
    column and in at least one other column (a wrapped cell's next line has fewer)."""
    out = []
    for p, nxt in zip(pages, pages[1:]):
        lines = p.lines()
        ends = [i for i, (_, ws) in enumerate(lines)
                if " ".join(w[4] for w in ws).strip("()") == "continues on next page"]
        if not ends:
            continue
        text = nxt.text_lines()
        at = next((i for i, t in enumerate(text) if "continued from previous page" in t), None)
        if at is None or at + 1 >= len(text):
            continue
        header = text[at + 1]
        starts = [i for i, (_, ws) in enumerate(lines[:ends[-1]])
                  if " ".join(w[4] for w in ws) == header]
        if not starts:
            continue  # the table began on an earlier page
        head_words = lines[starts[-1]][1]
        columns = [head_words[0][0]]  # left edges of the columns: gaps wider than a space
        for a, b in zip(head_words, head_words[1:]):
            if b[0] - a[2] > 8:
                columns.append(b[0])

        def column(x):
            return max(i for i, c in enumerate(columns) if x >= c - 2) if x >= columns[0] - 2 \
                else -1

        rows = 0
        for _, ws in lines[starts[-1] + 1:ends[-1]]:
            used = {column(w[0]) for w in ws}
            if 0 in used and len(used) >= 2:
                rows += 1
        out.append((p, rows, lines[opening(lines, starts[-1])][0]))
    return out


def opening(lines: list[tuple[float, list[tuple]]], header: int) -> int:
    """The index of the line where a table whose header is lines[header] starts with what
    introduces it: the section heading or the paragraph ending in ":" just above its
    caption, or else the caption."""
    def text(i):
        return " ".join(w[4] for w in lines[i][1])

    top = next((i for i in range(header - 1, max(header - 4, -1), -1)
                if text(i).startswith("Table ")), header)
    if top > 0 and HEADING.match(text(top - 1)):
        return top - 1
    if top > 0 and text(top - 1).endswith(":"):
        top -= 1
        while (top > 0 and lines[top][0] - lines[top - 1][0] < 16
               and not text(top - 1).endswith(".") and not HEADING.match(text(top - 1))):
            top -= 1
    return top


def test_no_table_breaks_after_fewer_than_five_rows(pages):
    """A table breaks across pages after five rows at least; fewer only when it starts, with
    the heading or paragraph that introduces it, with more than ROOM of the text block free
    (tools/bookext.py), so that its rows (long quotes) fill the page rather than leave it a
    third empty or more."""
    breaks = table_breaks(pages)
    assert breaks, "no table breaks across pages: the register's tables should"
    # a heading's top is a line's height and its space above (about 30 pt) below the point
    # where LaTeX measures the room
    short = [f"page {p.number}: {rows} row(s), opened at {top:.0f} pt" for p, rows, top in breaks
             if rows < 5 and p.free_below(top - 30) <= ROOM]
    assert not short, f"tables break after fewer than five rows: {short}"


def test_short_tables_are_not_split(pages):
    """PDF review: a short table that does not fit where it starts, with no more than ROOM of
    the page free, goes whole to the next page (tools/bookext.py, BookRoomForAll) rather than
    carry one row over or split five rows from four (Table 13.1, figures by kind of source).
    The table of the dead of the raid of July 2009, once seven rows, holds fifteen since every
    figure of a quoted sentence is entered: a table that long may run on."""
    lines = [line for p in pages for line in p.text_lines()]
    split = {m.group(1) for line in lines
             for m in [re.match(r"Table (\d+\.\d+) – continued from previous page", line)] if m}
    assert split, "no table continues on a second page: the register's long tables should"
    short = {m.group(1): m.group(2) for line in lines for m in [re.match(
        r"Table (\d+\.\d+): (Figures given, by kind of source)", line)] if m}
    assert len(short) == 1, short   # the caption found
    assert not split & set(short), f"short tables split across pages: {sorted(split & set(short))}"


def opens_with_table_or_figure(p: Page) -> str:
    """What the page opens with, if it is a table with what introduces it (its caption among
    the first lines: under a heading or a short paragraph) or a figure (its caption "Fig. N.M:"
    with no line of prose above it); else ''."""
    width = p.width - 2 * MARGIN
    for line in p.text_lines()[:6]:
        if re.match(r"Table \d+\.\d+: ", line):
            return f"table: {line[:50]!r}"
    for _, ws in p.lines():
        line = " ".join(w[4] for w in ws)
        if re.match(r"Fig\. \d+\.\d+: ", line):
            return f"figure: {line[:30]!r}"
        gaps = [b[0] - a[2] for a, b in zip(ws, ws[1:])]
        if ws[-1][2] - ws[0][0] > 0.8 * width and gaps and max(gaps) < 10:
            return ""  # a line of prose
    return ""


def test_no_page_left_empty_before_a_table_or_figure(pages):
    """PDF review (pages 22, 49 and 79 of 1.1.0): no page but a chapter's last ends more
    than ROOM empty while the next page opens with a heading and its table, or with a
    figure: the table's first rows fill the room (they may break after any row there), and a
    figure too tall for it goes to the next page's top while the text goes on
    (tools/bookext.py). The tolerance is the space below a figure or above a heading (20 pt)."""
    body = body_pages(pages)
    empty = []
    for p, nxt in zip(body, body[1:]):
        if nxt.opens_chapter:
            continue
        free = p.free_share() - 20 / (p.height - 2 * MARGIN)
        what = opens_with_table_or_figure(nxt)
        if free > ROOM and what:
            empty.append(f"page {p.number}: {p.free_share():.0%} empty, then {what}")
    assert not empty, f"pages left a third empty or more before what follows: {empty}"


def test_no_stray_page(pages):
    """No page holds only a few lines that belong to the page before (the tail of a "How
    to cite this chapter" box, of a paragraph), and no page ends half empty before the end
    of its chapter (a figure or table pushed to the next page)."""
    heading = re.compile(r"^\d+(\.\d+)+ \S")
    stray, gaps = [], []
    body = body_pages(pages)
    for p, nxt in zip(body, body[1:] + [None]):
        lines = p.lines()
        if not lines or p.opens_chapter:
            continue
        first = " ".join(w[4] for w in lines[0][1])
        if len(lines) <= 6 and not heading.match(first):
            stray.append(f"page {p.number}: {len(lines)} line(s) from {first[:50]!r}")
        chapter_ends = nxt is None or nxt.opens_chapter
        bottom = max(w[3] for _, ws in lines for w in ws)
        if not chapter_ends and bottom < p.height / 2:
            gaps.append(f"page {p.number}: empty below {bottom:.0f} pt of {p.height:.0f}")
    assert not stray, f"pages holding only the tail of the page before: {stray}"
    assert not gaps, f"pages left half empty: {gaps}"


def test_a_label_is_not_left_at_a_page_foot(pages):
    """"Sources:", "BibTeX:", "Cite this chapter as:" are never a page's last line."""
    left = [f"page {p.number}: {p.text_lines()[-1]!r}" for p in body_pages(pages)
            if p.text_lines() and p.text_lines()[-1].endswith(":")
            and len(p.text_lines()[-1]) < 40]
    assert not left, f"labels stranded at a page foot: {left}"


def test_a_section_heading_is_not_left_at_a_page_foot(pages):
    """Issue 18: a section heading ("8.6 Events of the period") is never a page's last line,
    with what it introduces (the period's table) on the next page."""
    heading = re.compile(r"^\d+\.\d+(\.\d+)? [A-Z][^.]*$")
    left = [f"page {p.number}: {p.text_lines()[-1]!r}" for p in body_pages(pages)
            if p.text_lines() and heading.match(p.text_lines()[-1])]
    assert not left, f"headings stranded at a page foot: {left}"


def test_grades_are_not_hyphenated(text):
    """Issue 18: narrow table columns never split a grade ("con-firmed", "corrobo-rated")."""
    # a grade ends its cell: the continuation is followed by a column gap or the line's end
    # ("con-\nfirmed that the remaining members had left" is a verb in a quoted gloss)
    split = re.findall(r"\b(?:con|confir|cor|corro|corrobo|corrobor|sin|parti|par|contes)-\n"
                       r"\s*(?:firmed|med|roborated|rated|borated|gle|san|tisan|ted|tested)\b"
                       r"(?= {2,}|[ \t]*$)", text, re.M)
    lines = text.splitlines()
    layout = []  # a grade split in a table column continues on the next line, in that column
    for line, below in zip(lines, lines[1:]):
        for m in re.finditer(r"\b(?:con|corrobo|sin|parti)- {2,}", line):
            if re.search(r"(?:^|\s)(?:firmed|rated|roborated|gle|san|tisan)\b",
                         below[max(0, m.start() - 4):m.end() + 4]):
                layout.append(line[m.start():m.end()])
    assert not split, f"grades hyphenated: {split[:5]}"
    assert not layout, f"grades hyphenated in table columns: {len(layout)}"


def test_list_of_figures_uses_short_captions(text):
    """The list of figures gives each figure a line or two, not its whole caption."""
    lof = text[text.lower().index("list of figures"):text.lower().index("list of tables")]
    entries = re.split(r"\n\s*(?=\d+\.\d+\s)", lof)[1:]
    assert entries, "the list of figures is empty"
    def lines(entry):  # the entry's own lines: not the page numbers (v, vi) between pages
        return [x for x in entry.splitlines() if x.strip() and not re.fullmatch(r"\s*[ivxl]+\s*", x)]

    long = [e.split("\n")[0][:60] for e in entries if len(lines(e)) > 2]
    assert not long, f"figures listed with their whole caption: {long}"


def test_chapter_numbers_agree_with_the_site(text, built_html):
    """Every chapter's number in the PDF's contents is its number on the site."""
    import html

    contents = " ".join(text[:text.lower().index("list of figures")].split())
    wrong = []
    for doc in toc_docnames():
        page = (built_html / f"{doc}.html").read_text(encoding="utf-8")
        m = re.search(r'<h1><span class="section-number">(\d+)\. </span>([^<]+)', page)
        if not m:
            continue
        number, title = m.group(1), " ".join(html.unescape(m.group(2)).split())
        if f"{number} {title}" not in contents:
            wrong.append(f"{number}. {title}")
    assert not wrong, f"chapters numbered differently in the PDF's contents: {wrong}"


def test_an_arabic_quote_with_a_number_is_one_right_to_left_run():
    """Register review of 50accb7, #9: an Arabic quote was set as several right-to-left runs
    split at its numbers, laid out left to right, so the sentence read in the wrong order and
    its figure sat in the wrong place. The whole quote, numbers, commas and inner quotation
    marks included, is now one run."""
    from types import SimpleNamespace

    from docutils import nodes

    from bookext import _arabic_in_latex

    quote = ("بوصول مجموعة أخرى من السكان تتألف من 400 شخص اليوم إلى مخيم الحرية")
    para = nodes.paragraph()
    para += nodes.Text(f"relocated, exactly 400 (UN): “{quote}” (ar; in English: 400 residents)")
    doc = nodes.document(None, None)
    doc += para
    _arabic_in_latex(SimpleNamespace(builder=SimpleNamespace(format="latex")), doc, "x")
    runs = [n.astext() for n in para.findall(nodes.raw)]
    assert runs == ["{\\arabicfont\\beginR " + quote + "\\endR}"], runs
    assert para.astext().startswith("relocated, exactly 400 (UN): “")
    assert para.astext().endswith("” (ar; in English: 400 residents)")
    # a percent sign inside the run is escaped, not a LaTeX comment; it and the brackets and
    # hyphens the Arabic font lacks are set in the text font (else they print as boxes)
    para2 = nodes.paragraph()
    para2 += nodes.Text("نسبة 50% من (السكان) - اليوم")
    doc += para2
    _arabic_in_latex(SimpleNamespace(builder=SimpleNamespace(format="latex")), doc, "x")
    assert [n.astext() for n in para2.findall(nodes.raw)] == [
        "{\\arabicfont\\beginR نسبة 50{\\rmfamily \\%} من {\\rmfamily (}السكان{\\rmfamily )} "
        "{\\rmfamily -} اليوم\\endR}"]


def test_no_character_is_missing_from_its_font(built_pdf):
    """Review of 6de8688, #10: hyphens, slashes, brackets and quotation marks inside Arabic
    quotes printed as empty boxes, the Arabic font having no glyph for them. XeLaTeX logs each
    such character ('Missing character: There is no …'); the build's LaTeX log has none."""
    log = ROOT / "_build" / "logs" / "pdflatex.log"
    assert log.exists(), "no LaTeX log beside the PDF"
    missing = sorted({line.split("There is no ", 1)[1].strip()
                      for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                      if "Missing character: There is no " in line})
    assert not missing, f"characters without a glyph in their font: {missing[:10]}"
