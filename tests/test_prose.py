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
    names = [f["name"] for f in figure_cells(doc)]
    assert any(n.endswith("-control") for n in names), f"{doc}: no chart of control"
    assert any(n.endswith("-casualties") for n in names), f"{doc}: no chart of casualties"
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
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
