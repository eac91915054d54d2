"""The book's voice: words that one side of the conflict uses about another may appear on a
built page only inside quotation marks or in a sentence that says who uses them.

One list, one rule, used by tests/test_voice.py (over the built site) and runnable by hand:

    .venv/bin/python tests/voice.py [_build/html]

prints every loaded word found outside an attribution, with its page and sentence.

The rule, sentence by sentence (a sentence is split from one block of text: a paragraph, list
item, heading, table cell, caption or the page title):
- an occurrence inside quotation marks (straight "…" or curly “…”, ‘…’) is allowed;
- otherwise the sentence must name who uses the word: a speaker (an organisation, a
  government, an official, a source, or a pronoun directly before a verb of saying) and a verb
  of attribution (said, says, called, calls, described, termed, according to, in its words,
  designated, listed, …), or the form "what X calls";
- entries of the bibliography are attributed by their author (a title is its author's words);
- web addresses and the data's identifiers (citation keys, event and claim ids) are not prose.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Each side's vocabulary about the other (and the press's about the MEK and its camps).
# Patterns are matched case-insensitively as whole words unless they start with "(?-i)".
TERMS: dict[str, list[str]] = {
    "the MEK/NCRI about the Iranian and Iraqi governments and their allies": [
        r"regime", r"mullahs?", r"siege", r"besieg\w*", r"massacre[sd]?", r"puppets?",
        r"agents?", r"mercenar\w+", r"henchm[ae]n", r"lackeys?", r"blockade[sd]?",
        r"religious fascis\w+", r"death squads?", r"hostages?", r"martyr\w*",
        r"criminal \w+ regime", r"Quds Force agents?", r"terrorist Quds Force",
        r"psychological torture", r"crimes? against humanity",
        r"occupation", r"occupied", r"occupiers?",
    ],
    "the Iranian government about the MEK": [
        r"MKO", r"monafe[qg]h?in", r"hypocrites?", r"terrorists?", r"terrorism", r"cult\w*",
        r"grouplets?", r"traitors?", r"Saddam'?s army", r"PMOI terrorists",
    ],
    "the Iraqi government about the MEK": [
        r"terrorist organi[sz]ations?", r"outlaws?", r"illegal (?:presence|entity|group)",
        r"criminals?", r"infiltrators?", r"remnants of the former regime",
    ],
    "the press about the MEK and its camps": [
        r"compounds?", r"militants?", r"guerrill?as?", r"rebels?", r"fanatic\w*",
        r"extremists?", r"enclave",
    ],
    "euphemisms that take one side's view (the MEK 'hosted' as a 'guest'; its fighters 'freedom fighters')": [
        r"guests?", r"freedom fighters?", r"safe haven", r"hospitality", r"host(?:ed)? the (?:MEK|group|PMOI)",
        r"host(?:ed|s|ing)? by (?:Iraq|Albania|Saddam)\w*", r"(?:its|their|the group's|the MEK's|Iraqi|Albanian) hosts?",
        r"hosting of the (?:MEK|group|PMOI)", r"host (?:state|country|government)s?",
    ],
}

# Who may be named as using a word: organisations, governments, officials, sources.
SPEAKERS = [
    r"MEK", r"PMOI", r"NCRI", r"Mojahedin", r"Mujahedin", r"Rajavi", r"Kia", r"Gobadi",
    r"Iran", r"Iranian", r"Tehran", r"Iraq", r"Iraqi", r"Baghdad", r"Maliki", r"Dabbagh",
    r"Rubaie", r"Ghaidan", r"Moussawi",
    r"government", r"ministry", r"minister", r"spokes(?:man|woman|person)", r"officials?",
    r"adviser", r"ambassador", r"embassy", r"police", r"army", r"forces", r"commander",
    r"court", r"judges?", r"tribunal", r"commission", r"council", r"parliament",
    r"UN", r"United Nations", r"UNAMI", r"UNHCR", r"OHCHR", r"Secretary-General",
    r"High Commissioner", r"Security Council", r"Kobler", r"Melkert", r"Pillay", r"Colville",
    r"Boumedra", r"State Department", r"Department", r"United States", r"US", r"Washington",
    r"Clinton", r"Kerry", r"Nuland", r"Engel", r"European Union", r"EU", r"United Kingdom",
    r"UK", r"Home Secretary", r"Britain", r"British", r"Albania", r"Albanian",
    r"Amnesty", r"Human Rights Watch", r"HRW", r"RAND", r"CNS", r"Perseus", r"MEFD",
    r"Nejat", r"Habilian", r"Fars", r"Tasnim", r"Mehr", r"PressTV", r"IRNA", r"ABNA",
    r"Reuters", r"AP", r"Associated Press", r"AFP", r"Agence France-Presse", r"Al Jazeera",
    r"TIME", r"Guardian", r"BBC", r"VOA", r"Voice of America", r"Rudaw", r"Foreign Policy",
    r"Iran International", r"Iran Times", r"antiwar\.com", r"Politico", r"Xinhua", r"Trend",
    r"Wikipedia", r"article", r"report", r"statement", r"study", r"source", r"sources",
    r"site", r"sites", r"outlets?", r"blog", r"press", r"media", r"witness(?:es)?",
    r"former members?", r"defectors?", r"residents", r"families", r"relatives",
    r"Jaish al-Mukhtar", r"Battat", r"Badr", r"PMF", r"Popular Mobilization",
]

# Verbs and phrases that attribute words to a speaker.
VERBS = [
    r"said", r"says", r"say", r"saying", r"stated", r"states", r"called", r"calls?",
    r"calling", r"described?", r"describes", r"describing", r"termed", r"terms?",
    r"named", r"names", r"labell?ed", r"labels?", r"branded", r"brands?", r"dubbed",
    r"according to", r"in (?:its|their|his|her) words", r"in the words of", r"wrote",
    r"writes", r"write", r"told", r"tells", r"spoke of", r"speaks? of", r"speaking of",
    r"claimed", r"claims that", r"alleged", r"alleges?", r"accused", r"accuses?",
    r"denounced", r"condemned", r"condemns?", r"reported", r"reports that",
    r"relay(?:s|ed)?", r"found", r"finds", r"ruled", r"rules that", r"held that",
    r"concluded",
    r"quoted", r"quotes?", r"refer(?:s|red)? to", r"presents?", r"presented",
    r"designat\w+", r"list(?:s|ed|ing)?", r"delist\w*", r"proscri\w+", r"outlaw\w*",
    r"titled", r"headlined", r"announced", r"declared", r"charged", r"regards?",
    r"regarded", r"considers?", r"considered", r"uses?", r"used by",
]

QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^‘’\n]*’|«[^»\n]*»")


def _alt(words: list[str]) -> str:
    return "|".join(f"(?:{w})" for w in words)


TERM_RE = re.compile(rf"\b(?:{_alt([t for ts in TERMS.values() for t in ts])})\b", re.I)
SPEAKER_RE = re.compile(rf"\b(?:{_alt(SPEAKERS)})\b")          # names keep their case
VERB_RE = re.compile(rf"\b(?:{_alt(VERBS)})\b", re.I)
WHAT_CALLS = re.compile(r"\bwhat (?:\w+ ){0,4}(?:calls?|called|terms?|termed|describes?|"
                        r"described)\b", re.I)
PRONOUN_SAYS = re.compile(rf"\b(?:it|they|he|she|its|their|his|her)\b \b(?:{_alt(VERBS)})\b",
                          re.I)
SENTENCE_END = re.compile(r"(?<=[.!?;:])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")


@dataclass(frozen=True)
class Hit:
    where: str
    term: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.where}: «{self.term}» in: {self.sentence}"


def sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    return [s for s in SENTENCE_END.split(text) if s]


def attributed(sentence: str) -> bool:
    """Does the sentence name who uses its words?"""
    if WHAT_CALLS.search(sentence) or PRONOUN_SAYS.search(sentence):
        return True
    return bool(SPEAKER_RE.search(sentence) and VERB_RE.search(sentence))


# Not prose: web addresses, the names of laws (the Terrorism Act 2000), and identifiers of the data (citation keys, event and claim ids
# such as `2013-09-01-attack--wikipedia-massacre-52`), which name a source or a row.
NOT_PROSE = re.compile(r"\b(?:https?://|www\.)\S+|\bTerrorism Act(?: \d{4})?|(?<![\w-])[a-z0-9]+(?:--?[a-z0-9]+){2,}(?![\w-])")


def loaded_terms(sentence: str) -> list[str]:
    """Loaded words of the sentence that stand outside quotation marks (web addresses and
    data identifiers are not prose and are not read)."""
    bare = QUOTED.sub(" ", NOT_PROSE.sub(" ", sentence))
    return [m.group(0) for m in TERM_RE.finditer(bare)]


def check_text(text: str, where: str = "text") -> list[Hit]:
    """Every loaded word in the text that is neither quoted nor attributed."""
    hits = []
    # a quotation may hold several sentences: its words are the source's, wherever it breaks
    text = QUOTED.sub(lambda m: "“" + "x" * 3 + "”", re.sub(r"\s+", " ", text))
    for s in sentences(text):
        terms = loaded_terms(s)
        if terms and not attributed(s):
            hits.extend(Hit(where, t, s) for t in terms)
    return hits


BLOCKS = ["title", "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "caption",
          "figcaption", "dt", "dd", "summary"]


def page_blocks(html: str) -> list[str]:
    """The text of a built page, one string per block (page title, headings, paragraphs, list
    items, table cells, captions); nested blocks are read once, by their innermost block;
    bibliography entries, code, scripts and the search index are left out."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    labels = [svg["aria-label"] for svg in soup.find_all("svg") if svg.get("aria-label")]
    # the words drawn in a chart: each <text> of an inline SVG (an axis label, a label of a
    # change of control, a legend entry) is read as a block of its own
    labels += svg_texts(soup)
    for tag in soup(["script", "style", "noscript", "pre", "code", "svg", "template"]):
        tag.decompose()
    for tag in soup.select(".citation, [role=doc-biblioentry], .bibtex, "
                           "div.cell_input, .headerlink"):
        tag.decompose()
    out = []
    for tag in soup.find_all(BLOCKS):
        if tag.find(BLOCKS):       # an outer block: its inner blocks are read on their own
            own = "".join(t for t in tag.find_all(string=True, recursive=False))
            if own.strip():
                out.append(own)
            continue
        out.append(tag.get_text(" "))
    for img in soup.find_all("img"):
        if img.get("alt"):
            out.append(img["alt"])
    return out + labels   # a chart's alt text is its SVG's aria-label


def svg_texts(soup) -> list[str]:
    """The text drawn in the SVG figures of a parsed page or SVG file: one string per
    <text> element (matplotlib writes its text as text, svg.fonttype 'none')."""
    return [t.get_text(" ") for svg in soup.find_all("svg")
            for t in svg.find_all("text") if t.get_text(strip=True)]


# The modules that hold the words of the charts: labels of controllers, kinds of control,
# changes of control, legends and axes.
CHART_MODULES = ("analysis/plot.py", "analysis/style.py", "analysis/labels.py")


def source_strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a Python module that could be drawn (docstrings are left
    out: they describe the code, they are not drawn), with its line; the literal pieces of
    f-strings are read too."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef,
                              ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs and n.value.strip()]


def check_chart_labels(root: Path) -> list[Hit]:
    """Every loaded word outside an attribution in the label strings of the chart modules."""
    hits = []
    for rel in CHART_MODULES:
        for line, text in source_strings(root / rel):
            hits.extend(check_text(text, f"{rel}:{line}"))
    return hits


def check_site(html_dir: Path) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")) or rel in ("search.html",
                                                                            "genindex.html"):
            continue
        for block in page_blocks(page.read_text(encoding="utf-8")):
            for hit in check_text(block, rel):
                if (hit.term.lower(), hit.sentence) not in seen:
                    seen.add((hit.term.lower(), hit.sentence))
                    hits.append(hit)
    # figures written as files (the site inlines its charts, but any SVG image is read)
    from bs4 import BeautifulSoup
    for image in sorted(html_dir.rglob("*.svg")):
        rel = image.relative_to(html_dir).as_posix()
        if rel.startswith("_static/"):
            continue
        soup = BeautifulSoup(image.read_text(encoding="utf-8"), "html.parser")
        for block in svg_texts(soup):
            hits.extend(check_text(block, rel))
    return hits


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parent.parent / "_build" / "html"
    found = check_site(root) + check_chart_labels(Path(__file__).resolve().parent.parent)
    for h in found:
        print(h)
    print(f"{len(found)} loaded word(s) outside an attribution")
    sys.exit(1 if found else 0)
