"""How to cite the book, each of its chapters and its data: one scheme, made from
CITATION.cff (authors, title, version, date, licences), _config.yml (the site's address) and
data/datapackage.json (the data's title and version), so no page types its own.

    from analysis.citation import cite_chapter
    cite_chapter("p5-raid-and-liberty")     # in the last cell of chapters/p5-raid-and-liberty.md

The scheme, the same for the book ("book"), a chapter (its docname) and the data ("data"):
- BibTeX types @book, @incollection and @misc; keys carry the version
  (camp-ashraf-1.1.0, camp-ashraf-1.1.0-<chapter>, camp-ashraf-data-<data version>); a copy
  built from data no release has carried is version "1.1.0+dev" (keys camp-ashraf-1.1.0-dev…),
  and says in its note which release it was built after;
- the release date as year, month and date; the version in `note` (never `edition`, which
  BibTeX styles print as "1.1.0 edition");
- titles in double braces, so that no style lowercases "Camp Liberty";
- addresses under the site's one canonical address (html: baseurl: in _config.yml).
Every BibTeX line is at most BIBTEX_WIDTH characters, so the PDF prints it unbroken and a
reader can copy it from there as valid BibTeX.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import ROOT

BIBTEX_WIDTH = 100
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class Book:
    authors: tuple[str, ...]
    title: str
    version: str
    released: str      # YYYY-MM-DD
    site: str          # the site's canonical address, ending in /
    repository: str
    licences: tuple[str, ...] = ()   # SPDX identifiers from CITATION.cff
    doi: str = ""      # the version's DOI once Zenodo has minted one (CITATION.cff doi:)

    @property
    def year(self) -> str:
        return self.released[:4]

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.released)

    @property
    def long_date(self) -> str:
        d = self.day
        return f"{d.day} {d:%B %Y}"


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
    released = str(cff["date-released"])
    try:
        dt.date.fromisoformat(released)
    except ValueError:
        raise _fail(cff_path, f"date-released {released!r} is not a date YYYY-MM-DD") from None
    site = str(cfg.get("html", {}).get("baseurl") or cff.get("url") or "")
    if not site:
        raise _fail(cfg_path, "no html: baseurl: (the site's address)")
    licences = cff.get("license") or ()
    licences = (licences,) if isinstance(licences, str) else tuple(licences)
    doi = str((cff.get("preferred-citation") or {}).get("doi") or cff.get("doi") or "")
    return Book(tuple(names), str(cff["title"]), str(cff["version"]), released,
                site.rstrip("/") + "/", str(cff.get("repository-code") or ""), licences, doi)


def chapter_title(doc: str, root: Path = ROOT) -> str:
    """The first '# ' heading of chapters/<doc>.md."""
    path = root / "chapters" / f"{doc}.md"
    m = re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), re.M)
    if not m:
        raise _fail(path, "no title (a line starting with '# ')")
    return m.group(1).strip()


def data_package(root: Path = ROOT) -> tuple[str, str]:
    """The data package's title and version (data/datapackage.json)."""
    path = root / "data" / "datapackage.json"
    pkg = json.loads(path.read_text(encoding="utf-8"))
    if not pkg.get("title") or not pkg.get("version"):
        raise _fail(path, "no 'title' or no 'version'")
    return str(pkg["title"]), str(pkg["version"])


def data_released(dversion: str, root: Path = ROOT) -> bool:
    """Whether a book release has carried data package version `dversion`: the changelog's
    "Book version X.Y.Z" entry (written by tools/release.py) names the data version it was
    released with. A data version no release names is a pre-release, built into this copy."""
    path = root / "chapters" / "changelog.md"
    if not path.exists():
        return True
    text = path.read_text(encoding="utf-8")
    return bool(re.search(rf"^- Released with data package version {re.escape(dversion)}\.",
                          text, re.M))


def build_version(root: Path = ROOT) -> tuple[str, bool]:
    """The version this copy of the book is: the release's own (CITATION.cff) when the data
    package it carries was released with a book version, else that version with '+dev'
    ("1.1.0+dev": built after release 1.1.0 from data no release has carried, so its figures
    may differ from the release's). Returns (version, released)."""
    b = book(root)
    released = data_released(data_package(root)[1], root)
    return (b.version if released else f"{b.version}+dev"), released


def _bib(text: str) -> str:
    """A BibTeX field value: braces balanced, special characters escaped."""
    return re.sub(r"([{}&%$#_])", r"\\\1", text)


def _entry(kind: str, key: str, fields: list[tuple[str, str]]) -> str:
    """A BibTeX entry; fields given as (name, value with its delimiters)."""
    import textwrap

    lines = [f"@{kind}{{{key},"]
    for name, value in fields:
        # a long value (a title) wraps at spaces: BibTeX reads a line break as a space
        lines += textwrap.wrap(f"  {name:<9} = {value},", BIBTEX_WIDTH, subsequent_indent=" " * 4,
                               break_long_words=False, break_on_hyphens=False)
    lines.append("}")
    too_long = [line for line in lines if len(line) > BIBTEX_WIDTH]
    if too_long:
        raise ValueError(f"BibTeX line longer than {BIBTEX_WIDTH} characters (the PDF would "
                         f"break it, and a copy would not parse): {too_long[0]}")
    return "\n".join(lines)


def _common(b: Book) -> list[tuple[str, str]]:
    return [("author", "{" + " and ".join("{" + _bib(a) + "}" for a in b.authors) + "}")]


def _dates(b: Book, released: bool = True) -> list[tuple[str, str]]:
    """A release's year, month and day; an unreleased build's year only: the release's day
    is not its date (review of b007e09-b, #9), and its own build day would make two builds of
    one commit differ."""
    if not released:
        return [("year", f"{{{b.year}}}")]
    return [("year", f"{{{b.year}}}"), ("month", MONTHS[b.day.month - 1]),
            ("date", f"{{{b.released}}}")]


def citation(what: str, root: Path = ROOT) -> dict[str, str]:
    """The citation of the book (what="book"), of the data (what="data") or of one chapter
    (its docname, e.g. "p5-raid-and-liberty"): 'text' (the reference as Markdown), 'url',
    'key', 'kind' (the BibTeX type) and 'bibtex'."""
    from .text import md_escape

    b = book(root)
    version, released = build_version(root)
    # an unreleased build says so in its version, its key and its note, so that nobody cites
    # its figures as those of the release it was built after
    slug = version.replace("+", "-")
    shown = version if released else (f"{version} (unreleased, built after version "
                                      f"{b.version} of {b.long_date})")
    when = f", {b.long_date}" if released else ""
    who = md_escape("; ".join(b.authors))
    title = "{{" + _bib(b.title) + "}}"
    if what == "book":
        url, key, kind = b.site, f"camp-ashraf-{slug}", "book"
        fields = [*_common(b), ("title", title), *_dates(b, released),
                  ("note", f"{{Version {_bib(shown)}}}"), ("url", f"{{{url}}}")]
        text = (f"{who} ({b.year}). *{md_escape(b.title)}*. Version {shown}{when}. "
                f"<{url}>")
    elif what == "data":
        dtitle, dversion = data_package(root)
        url, key, kind = f"{b.site}chapters/data.html", f"camp-ashraf-data-{dversion}", "misc"
        if released:
            note = f"Data package version {dversion}, published with the book's version {b.version}"
        else:  # the data changed since the last book release: say so, do not borrow its label
            note = (f"Data package version {dversion} (pre-release), built with book version "
                    f"{shown}")
        fields = [*_common(b), ("title", "{{" + _bib(dtitle) + "}}"), *_dates(b, released),
                  ("note", f"{{{_bib(note)}}}"), ("url", f"{{{url}}}")]
        text = f"{who} ({b.year}). *{md_escape(dtitle)}* [data set]. {note}{when}. <{url}>"
    else:
        ctitle = chapter_title(what, root)
        url = f"{b.site}chapters/{what}.html"
        key, kind = f"camp-ashraf-{slug}-{what}", "incollection"
        fields = [*_common(b), ("title", "{{" + _bib(ctitle) + "}}"), ("booktitle", title),
                  *_dates(b, released), ("note", f"{{Version {_bib(shown)}}}"),
                  ("url", f"{{{url}}}")]
        text = (f"{who} ({b.year}). “{md_escape(ctitle)}”. In *{md_escape(b.title)}*. "
                f"Version {shown}{when}. <{url}>")
    if b.doi and what != "data":  # a DOI names a version of the book, not the data package
        fields.append(("doi", f"{{{b.doi}}}"))
        text += f" <https://doi.org/{b.doi}>"
    return {"text": text, "url": url, "key": key, "kind": kind,
            "bibtex": _entry(kind, key, fields)}


def chapter_citation(doc: str, root: Path = ROOT) -> dict[str, str]:
    """The citation of one chapter (see citation())."""
    return citation(doc, root)


def citation_markdown(what: str, root: Path = ROOT, intro: str = "Cite this chapter as:") -> str:
    """A citation as Markdown: the reference as text, then its BibTeX entry."""
    c = citation(what, root)
    return "\n".join([intro, "", f"> {c['text']}", "", "BibTeX:", "",
                      "```bibtex", c["bibtex"], "```", ""])


def cite_chapter(doc: str, root: Path = ROOT):
    """The 'how to cite this chapter' block of a chapter notebook (Markdown output)."""
    text = citation_markdown(doc, root) + "\nThe whole book, its data and its licences: {doc}`cite`.\n"
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)
