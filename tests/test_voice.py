"""The book's own voice takes no side: a word that one side uses about another (siege, regime,
massacre, cult, terrorists, compound, …; the list is in tests/voice.py) appears on a built page
only inside quotation marks or in a sentence that names who uses it. Titles, headings, table
cells (event titles and types), captions and alt text count."""
from __future__ import annotations

import re

import pytest

import voice
from conftest import toc_docnames
from test_prose import prose


def test_built_site_has_no_loaded_word_outside_an_attribution(built_html):
    hits = voice.check_site(built_html)
    assert not hits, ("loaded words in the book's own voice (quote them or say who uses "
                      "them):\n" + "\n".join(map(str, hits[:40])))


def chapter_hits(doc: str, root=None) -> list:
    text = prose(doc) if root is None else prose(doc, root)
    blocks = re.split(r"\n\s*\n|^#+ ", text, flags=re.M)
    return [h for block in blocks for h in voice.check_text(block, doc)]


@pytest.mark.parametrize("doc", toc_docnames())
def test_chapter_prose_has_no_loaded_word_outside_an_attribution(doc):
    """The same rule on each chapter's source, so that an author sees it before a build."""
    hits = chapter_hits(doc)
    assert not hits, "\n".join(map(str, hits))


SEEDED_CHAPTER = """---
jupytext: {}
---
# A seeded chapter

## The years of hospitality

The residents lived at Ashraf as guests of the Iraqi state {cite:p}`hrw-2005-05-no-exit`.

In 2010 Iraqi forces tightened the blockade of the camp.

The MEK said it had been a guest of Iraq, and it called the restrictions a siege.
"""


def test_a_seeded_euphemism_and_charged_word_in_a_chapter_are_caught(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "seeded.md").write_text(SEEDED_CHAPTER, encoding="utf-8")
    caught = {h.term.lower() for h in chapter_hits("chapters/seeded", tmp_path)}
    assert "guests" in caught or "guest" in caught, caught          # a euphemism
    assert "hospitality" in caught, caught                          # a euphemism, in a heading
    assert "blockade" in caught, caught                             # a charged word
    sentences = " ".join(h.sentence for h in chapter_hits("chapters/seeded", tmp_path))
    assert "The MEK said" not in sentences                          # attributed: passes


def test_every_side_has_its_vocabulary():
    sides = " ".join(voice.TERMS)
    for side in ("MEK", "Iranian government", "Iraqi government", "press"):
        assert side in sides
    assert all(len(terms) >= 5 for terms in voice.TERMS.values())


PAGE = """<html><head><title>The siege of Ashraf — Camp Ashraf</title></head><body>
<h2>The gate attack and the massacre</h2>
<p>In 2010 the regime tightened its grip on the camp. The MEK calls the restrictions a siege.
The cult's members stayed inside the compound.</p>
<table><caption>Events of the period</caption>
<tr><td>Iraqi forces keep up the siege of the camp</td><td>siege measure</td></tr></table>
<figure><img src="x.svg" alt="Militants fire rockets at the camp."><figcaption>Rockets fired
by what the NCRI calls mercenaries of the regime</figcaption></figure>
<p>The NCRI said that "agents of the mullahs' regime" had gathered at the gate. An Iranian
outlet described the group as a cult.</p>
<div class="citation"><p>Wikipedia. 2013 Camp Ashraf massacre.</p></div>
</body></html>"""


def test_the_checker_catches_loaded_words_in_titles_cells_captions_and_alt_text(tmp_path):
    site = tmp_path / "html"
    site.mkdir()
    (site / "p.html").write_text(PAGE, encoding="utf-8")
    hits = voice.check_site(site)
    caught = {(h.term.lower(), h.sentence.split()[0]) for h in hits}
    assert ("siege", "The") in caught                  # the page title
    assert ("massacre", "The") in caught               # a heading
    assert ("regime", "In") in caught                  # a sentence in the book's voice
    assert ("cult's", "The") in caught or ("cult", "The") in caught
    assert ("compound", "The") in caught
    assert ("siege", "Iraqi") in caught and ("siege", "siege") in caught   # table cells
    assert ("militants", "Militants") in caught        # alt text
    sentences = " ".join(h.sentence for h in hits)
    # attributed or quoted: not caught
    assert "The MEK calls" not in sentences
    assert "what the NCRI calls" not in sentences
    assert "agents of the mullahs" not in sentences
    assert "described the group" not in sentences
    assert "2013 Camp Ashraf massacre" not in sentences   # a title in the bibliography


@pytest.mark.parametrize("sentence", [
    "Iraqi forces tightened the siege of Camp Ashraf.",
    "The camp was besieged for two years.",
    "Gunmen carried out the massacre at dawn.",
    "The MKO terrorists fled to Iraq.",
    "The group is a cult.",
    "Regime agents rallied at the gate.",
    "The regime-backed militia shelled the camp (see https://example.org/a).",
    "Anti-terrorist units entered the camp.",
    "The MEK stayed at Ashraf as a guest of the Iraqi government.",
    "Iraq hosted the MEK at the camp for two decades.",
    "The MEK under its Iraqi host, 1986–2003.",
    "The site was a base hosted by Iraq.",
    "A police search under the law of the host country.",
    "Albania's hosting of the MEK angered Tehran.",
])
def test_an_unattributed_sentence_is_caught(sentence):
    assert voice.check_text(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "The MEK calls the restrictions a siege.",
    "Restrictions that the MEK calls a siege grew in 2010.",
    "The NCRI said that regime agents had rallied at the gate.",
    "According to the Nejat Society, the group is a cult.",
    "The UN Secretary-General described the killings as a massacre.",
    "In 1997 the US State Department designated the MEK a Foreign Terrorist Organization.",
    "The camp's people lived under what Reuters called a siege.",
    'The day was a "massacre", in the MEK\'s words.',
    "Tehran calls the group “monafeqin”, the hypocrites.",
    "Tasnim [Tasnim News Agency 2016]: https://www.tasnimnews.com/en/news/mko-terrorists-leave",
    "2013-09-01-attack--wikipedia-massacre-52",
    "An order under the Terrorism Act 2000 added the group to the list.",
    "The commission found no evidence that the group had planned terrorist acts.",
    "The MEK said it had been a guest of Iraq.",
    "Iran's foreign ministry said Albania was hosting the MEK.",
    # a source's words in the register: a quotation of several sentences stays a quotation
    "It says: “Three days after the massacre in the camp, the toll rose. The terrorists fled.”",
])
def test_an_attributed_or_quoted_sentence_passes(sentence):
    assert voice.check_text(sentence) == [], sentence


def _data_text_hits(rows):
    return [h for r in rows for col in ("title", "description", "note")
            for h in voice.check_text(r.get(col) or "", f"events.csv {r['event_id']} {col}")]


def test_event_texts_in_the_data_keep_the_books_voice():
    """Titles, descriptions and notes of data/events.csv: the same rule as the built pages."""
    import csv
    from pathlib import Path
    with open(Path(__file__).resolve().parents[1] / "data" / "events.csv", encoding="utf-8") as f:
        hits = _data_text_hits(list(csv.DictReader(f)))
    assert not hits, "\n".join(map(str, hits))


@pytest.mark.parametrize("description", [
    "The MEK lived at Ashraf as a guest of the Iraqi government.",   # euphemism
    "Regime forces shelled the camp.",                                # charged word
])
def test_a_seeded_loaded_word_in_an_event_description_is_caught(description):
    row = {"event_id": "seeded", "title": "Seeded event", "description": description, "note": ""}
    assert _data_text_hits([row])


# --- the words drawn in the charts ---------------------------------------------------------

def test_chart_labels_in_the_code_keep_the_books_voice():
    """The label strings of the charts (the kinds of control and how they began in
    analysis/labels.py, the legends' and axes' texts in analysis/plot.py and the
    controllers' names in analysis/style.py)."""
    from conftest import ROOT

    hits = voice.check_chart_labels(ROOT)
    assert not hits, "loaded words in a chart's label:\n" + "\n".join(map(str, hits))


def test_a_seeded_charged_word_in_a_chart_label_is_caught(tmp_path, monkeypatch):
    from conftest import ROOT

    (tmp_path / "analysis").mkdir()
    code = (ROOT / "analysis" / "labels.py").read_text(encoding="utf-8")
    seeded = code.replace('"empty_site": "empty site"', '"empty_site": "under siege"')
    assert seeded != code
    for rel in voice.CHART_MODULES:
        (tmp_path / rel).write_text(seeded if rel.endswith("labels.py") else
                                    (ROOT / rel).read_text(encoding="utf-8"), encoding="utf-8")
    hits = voice.check_chart_labels(tmp_path)
    assert [(h.term, h.where.split(":")[0]) for h in hits] == [("siege", "analysis/labels.py")]
    # a docstring describes the code and is not drawn: not read
    (tmp_path / "analysis" / "labels.py").write_text('"""The regime of the charts."""\n',
                                                      encoding="utf-8")
    assert voice.check_chart_labels(tmp_path) == []


SVG_PAGE = """<!DOCTYPE html><html><head><title>Chart</title></head><body>
<figure><svg aria-label="Control of the camp." xmlns="http://www.w3.org/2000/svg">
<g><text x="1" y="1">held by armed group</text><text x="1" y="9">massacre</text></g>
</svg><figcaption>Control of the camp.</figcaption></figure></body></html>"""


def test_a_charged_word_drawn_in_a_built_chart_is_caught(tmp_path):
    """The text of an inline SVG chart of a page, and of an SVG image file, is read."""
    site = tmp_path / "html"
    (site / "_images").mkdir(parents=True)
    (site / "p.html").write_text(SVG_PAGE, encoding="utf-8")
    assert [(h.term, h.where) for h in voice.check_site(site)] == [("massacre", "p.html")]
    (site / "p.html").write_text(SVG_PAGE.replace("massacre", "attack"), encoding="utf-8")
    assert voice.check_site(site) == []
    (site / "_images" / "fig.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><text>regime forces</text></svg>',
        encoding="utf-8")
    assert [(h.term, h.where) for h in voice.check_site(site)] == [
        ("regime", "_images/fig.svg")]
