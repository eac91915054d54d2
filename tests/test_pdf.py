"""The built PDF, read as a citing scholar would meet it (poppler-utils)."""
from __future__ import annotations

import re
import subprocess

import pytest

from conftest import chapter_title, figure_cells, period_chapters, toc_docnames


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


def test_page_count_and_metadata(built_pdf):
    info = run("pdfinfo", str(built_pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert 20 <= pages <= 250, f"{pages} pages"
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
