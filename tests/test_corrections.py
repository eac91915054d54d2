"""Corrections of the prose pinned so that they cannot come back: Wikipedia's texts are one
witness and never cited as confirming each other; the overviews analyse their charts; the
context a historian expects (terrorist listings, court rulings, UN positions, former members'
accounts) stays in the data and in the chapters; specific wrong attributions stay out."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT, read_csv, toc_docnames
from test_prose import prose

CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
OVERVIEWS = ["chapters/overview-control", "chapters/overview-casualties",
             "chapters/overview-population", "chapters/overview-sources"]


def wikipedia_keys() -> set[str]:
    _, rows = read_csv(ROOT / "data" / "sources.csv")
    return {r["source_key"] for r in rows if r["witness_group"] == "wikipedia"}


def cite_groups(doc: str, root=ROOT) -> list[list[str]]:
    text = (root / f"{doc}.md").read_text(encoding="utf-8")
    return [[k.strip() for k in g.split(",")] for g in CITE.findall(text)]


def corroborating_wikipedia(doc: str, wiki: set[str], root=ROOT) -> list[list[str]]:
    """Citation groups (one {cite} backs one statement) that cite two Wikipedia texts."""
    return [g for g in cite_groups(doc, root) if len(set(g) & wiki) > 1]


def test_the_wikipedia_texts_are_one_witness_group():
    wiki = wikipedia_keys()
    assert {"wikipedia-camp-ashraf-2011", "wikisum-camp-ashraf",
            "wikipedia-camp-ashraf-raid-2011", "wikipedia-es-ashraf-city"} <= wiki


@pytest.mark.parametrize("doc", toc_docnames())
def test_no_citation_cites_two_wikipedia_texts_as_corroboration(doc):
    bad = corroborating_wikipedia(doc, wikipedia_keys())
    assert not bad, (f"{doc}: Wikipedia's texts cited together as if they confirmed each other "
                     f"(cite one and say 'Wikipedia's texts'): {bad}")


def test_the_wikipedia_check_catches_two_copies_in_one_citation(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "x.md").write_text(
        "Three copies give 318 {cite:p}`wikipedia-camp-ashraf-2011,wikisum-camp-ashraf,"
        "ap-2011-04-08-raid`. One copy {cite:p}`wikisum-camp-ashraf,ap-2011-04-08-raid`.\n")
    bad = corroborating_wikipedia("chapters/x", wikipedia_keys(), tmp_path)
    assert len(bad) == 1 and "wikipedia-camp-ashraf-2011" in bad[0]


@pytest.mark.parametrize("doc", OVERVIEWS)
def test_overview_is_an_analysis_of_at_least_400_words_and_cites(doc):
    words = prose(doc).split()
    assert len(words) >= 400, f"{doc}: {len(words)} words of prose; an overview needs 400"
    assert len(cite_groups(doc)) >= 5, f"{doc}: an overview should cite its sources"
    assert "{glue:text}`book." in (ROOT / f"{doc}.md").read_text(encoding="utf-8")


# the context a historian expects: each a dated event in the data, with its source cited
# in the prose of a chapter
CONTEXT_EVENTS = [
    "1997-10-08-us-fto-designation", "2001-03-29-uk-proscription", "2002-06-01-eu-listing",
    "2006-12-12-cfi-annulment", "2007-11-30-poac-ruling", "2008-05-07-court-of-appeal",
    "2008-06-23-uk-deproscription", "2008-12-04-cfi-annulment", "2009-01-01-eu-delisting",
    "2010-07-16-dc-circuit-remand", "2012-09-28-us-delisting",
    "2009-01-23-rubaie-handover-remarks", "2010-01-02-iraqi-tribunal-warrants",
    "2009-10-26-unami-non-refoulement", "2011-08-29-un-against-deportation",
    "2011-12-01-kobler-asks-extension", "2012-08-22-boumedra-account",
    "2010-05-14-unsg-report", "2005-05-19-hrw-no-exit", "2009-07-01-rand-study",
    "2010-01-01-rand-reply",
]


def test_the_missing_context_is_in_the_data_and_in_the_chapters():
    _, events = read_csv(ROOT / "data" / "events.csv")
    by_id = {e["event_id"]: e for e in events}
    chapters = " ".join((ROOT / f"{d}.md").read_text(encoding="utf-8") for d in toc_docnames())
    cited = {k.strip() for g in CITE.findall(chapters) for k in g.split(",")}
    for eid in CONTEXT_EVENTS:
        assert eid in by_id, f"context event {eid} is missing from data/events.csv"
        keys = [k for k in by_id[eid]["source_keys"].split(";") if k]
        assert set(keys) & cited, f"{eid}: none of its sources {keys} is cited in a chapter"


def test_former_members_accounts_come_with_the_replies():
    p3 = (ROOT / "chapters" / "p3-us-custody.md").read_text(encoding="utf-8")
    for key in ("hrw-2005-05-no-exit", "hrw-2006-02-15-no-exit-responses",
                "rand-2009-mek-in-iraq", "livingstone-2010-courting-disaster"):
        assert key in p3, f"p3 should cite {key}"
    assert "Friends of a Free Iran" in p3


@pytest.mark.parametrize("doc,wrong", [
    # the speaker of the 30 officers hurt is Iraqi officials, not the State Department
    ("chapters/p4-iraqi-control", "the State Department counted"),
    # the explanation of Reuters' 13 (11 + 2 who died later) is Wikipedia's, not Reuters'
    ("chapters/p4-iraqi-control", "a total that\nincludes people who died of their wounds"),
    # the starting article is the current article cut short, not a 2011 version
    ("chapters/intro", "older version of the article"),
    # Hurriya is the Arabic and UN name, not a name Iraq gave the camp
    ("chapters/p6-emptying-ashraf", "which the Iraqi government\ncalled Camp Hurriya"),
    # the Perseus report is commissioned; its title, not the book, calls it independent
    ("chapters/p6-emptying-ashraf", "published an independent report"),
    # the book's own voice
    ("chapters/p4-iraqi-control", "tightening siege"),
    ("chapters/p5-raid-and-liberty", "besieged settlement"),
    ("chapters/p5-raid-and-liberty", "The gate attack of January 2011"),
    ("chapters/p6-emptying-ashraf", "gunmen attacked the residents"),
])
def test_a_corrected_wording_does_not_come_back(doc, wrong):
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    assert " ".join(wrong.split()).lower() not in flat.lower(), f"{doc}: '{wrong}' is back"


def test_counts_of_sources_and_residents_use_the_right_keys():
    intro = (ROOT / "chapters" / "intro.md").read_text(encoding="utf-8")
    assert "book.claim_sources" in intro and "book.references" in intro
    pop = (ROOT / "chapters" / "overview-population.md").read_text(encoding="utf-8")
    assert "{glue:text}`book.residents_counts` dated counts of residents" in pop
