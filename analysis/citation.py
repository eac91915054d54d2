"""How to cite the book and each of its chapters, made from CITATION.cff (authors, title,
version, date, URLs) and _config.yml (the site's address), so no chapter types its own.

    from analysis.citation import cite_chapter
    cite_chapter("p5-raid-and-liberty")     # in the last cell of chapters/p5-raid-and-liberty.md
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import ROOT


@dataclass(frozen=True)
class Book:
    authors: tuple[str, ...]
    title: str
    version: str
    released: str      # YYYY-MM-DD
    site: str          # the site's address, ending in /
    repository: str

    @property
    def year(self) -> str:
        return self.released[:4]


def _fail(path: Path, what: str) -> ValueError:
    return ValueError(f"{path}: {what}; fix the file (see the 'How to cite' chapter)")


def book(root: Path = ROOT) -> Book:
    """The book's citation metadata, from CITATION.cff and _config.yml."""
    import yaml

    cff_path, cfg_path = root / "CITATION.cff", root / "_config.yml"
    cff = yaml.safe_load(cff_path.read_text(encoding="utf-8"))
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    names = []
    for a in cff.get("authors") or []:
        name = a.get("name") or " ".join(x for x in (a.get("given-names"),
                                                      a.get("family-names")) if x)
        if name:
            names.append(name)
    if not names:
        raise _fail(cff_path, "no author (authors: - name: ...)")
    for key in ("title", "version", "date-released"):
        if not cff.get(key):
            raise _fail(cff_path, f"no '{key}'")
    site = str(cfg.get("html", {}).get("baseurl") or cff.get("url") or "")
    if not site:
        raise _fail(cfg_path, "no html: baseurl: (the site's address)")
    return Book(tuple(names), str(cff["title"]), str(cff["version"]),
                str(cff["date-released"]), site.rstrip("/") + "/",
                str(cff.get("repository-code") or ""))


def chapter_title(doc: str, root: Path = ROOT) -> str:
    """The first '# ' heading of chapters/<doc>.md."""
    path = root / "chapters" / f"{doc}.md"
    m = re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), re.M)
    if not m:
        raise _fail(path, "no title (a line starting with '# ')")
    return m.group(1).strip()


def _bib(text: str) -> str:
    """A BibTeX field value: braces balanced, special characters escaped."""
    return re.sub(r"([{}&%$#_])", r"\\\1", text)


def chapter_citation(doc: str, root: Path = ROOT) -> dict[str, str]:
    """The citation of one chapter: 'text' (the reference as prose, Markdown), 'url',
    'key' and 'bibtex' (an @incollection entry)."""
    b, title = book(root), chapter_title(doc, root)
    url = f"{b.site}chapters/{doc}.html"
    key = f"camp-ashraf-{b.version}-{doc}"
    authors = " and ".join("{" + _bib(a) + "}" for a in b.authors)
    bibtex = "\n".join([
        f"@incollection{{{key},",
        f"  author    = {{{authors}}},",
        f"  title     = {{{_bib(title)}}},",
        f"  booktitle = {{{_bib(b.title)}}},",
        f"  edition   = {{{_bib(b.version)}}},",
        f"  year      = {{{b.year}}},",
        f"  url       = {{{url}}},",
        "}"])
    text = (f"{'; '.join(b.authors)} ({b.year}). “{title}”. In *{b.title}*, version "
            f"{b.version}. <{url}>")
    return {"text": text, "url": url, "key": key, "bibtex": bibtex}


def cite_chapter(doc: str, root: Path = ROOT):
    """The 'how to cite this chapter' block of a chapter notebook (Markdown output)."""
    from .text import md_escape

    c = chapter_citation(doc, root)
    b = book(root)
    fence = "````" if "```" in c["bibtex"] else "```"
    text = "\n".join([
        "Cite this chapter as:", "",
        f"> {md_escape('; '.join(b.authors))} ({b.year}). “{md_escape(chapter_title(doc, root))}”. "
        f"In *{md_escape(b.title)}*, version {md_escape(b.version)}. <{c['url']}>", "",
        "BibTeX:", "", f"{fence}bibtex", c["bibtex"], fence, "",
        "The whole book, its data and its licences: {doc}`cite`.", ""])
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)
