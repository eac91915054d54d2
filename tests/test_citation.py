"""A scholar can cite the book, a chapter or the data, with one scheme everywhere: the
citations made by analysis/citation.py agree with CITATION.cff, .zenodo.json, the PDF's title
page, the cite and data pages, every chapter's "How to cite this chapter" box and the PDF,
and each BibTeX entry is valid BibTeX, also as copied from the PDF."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pybtex.database import parse_string

from analysis.citation import BIBTEX_WIDTH, book, citation
from conftest import ROOT, toc_docnames


def load(name: str):
    text = (ROOT / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def cited_chapters() -> list[str]:
    """Every page with a "How to cite this chapter" box (the chapters' last cell)."""
    return [d.split("/")[-1] for d in toc_docnames()
            if "cite_chapter(" in (ROOT / f"{d}.md").read_text(encoding="utf-8")]


def everything() -> list[str]:
    return ["book", "data", *cited_chapters()]


def page_text(built_html: Path, doc: str) -> str:
    """A built page's text: tags dropped (code highlighting splits BibTeX into spans)."""
    raw = (built_html / "chapters" / f"{doc}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


@pytest.fixture(scope="module")
def pdf_text(built_pdf) -> str:
    return subprocess.run(["pdftotext", str(built_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def bibtex_entries(text: str) -> dict[str, str]:
    """Every BibTeX entry of the book's own citations in a text, by key: from '@type{key,'
    to the line '}' that closes it."""
    return {m.group(2): m.group(0) for m in re.finditer(
        r"^@(\w+)\{(camp-ashraf-[^,\s]+),\n.*?^\}$", text, re.M | re.S)}


def squash(s: str) -> str:
    return " ".join(s.replace("’", "'").split())


def test_citation_cff_validates_against_the_schema():
    """CFF 1.2.0's JSON schema (vendored in tests/schemas/, from the Citation File Format
    project) with check-jsonschema, offline."""
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run([str(exe if exe.exists() else shutil.which("check-jsonschema")),
                           "--default-filetype", "yaml", "--schemafile",
                           str(ROOT / "tests" / "schemas" / "citation-file-format-1.2.0.json"),
                           str(ROOT / "CITATION.cff")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("what", everything())
def test_each_citation_follows_the_scheme(what):
    b = book()
    c = citation(what)
    entries = parse_string(c["bibtex"], "bibtex").entries
    assert list(entries) == [c["key"]], "one entry, under its own key"
    entry = entries[c["key"]]
    f = entry.fields
    kind = {"book": "book", "data": "misc"}.get(what, "incollection")
    assert entry.type == kind
    version = json.loads((ROOT / "data" / "datapackage.json").read_text(
        encoding="utf-8"))["version"] if what == "data" else b.version
    assert version in c["key"], f"the key {c['key']} does not name the version {version}"
    assert "edition" not in f, "edition = {1.1.0} prints as '1.1.0 edition'"
    assert f"ersion {version}" in f["note"]
    from analysis.citation import build_version

    if build_version()[1]:   # a release: its year and day
        assert (f["year"], f["date"]) == (b.year, b.released)
    else:   # a +dev build: the year only; the release's day is not its date (b007e09-b, #9)
        assert f["year"] == b.year and "date" not in f and "month" not in f
        assert f"built after version {b.version} of {b.long_date}" in " ".join(f["note"].split())
    assert c["url"].startswith(b.site) and f["url"] == c["url"]
    for field in ("title", "booktitle"):
        if field in f:  # double braces: no style lowercases "Camp Liberty"
            assert f[field].startswith("{") and f[field].endswith("}"), f"{field} unprotected"
    assert [str(p) for p in entry.persons["author"]] == ["{" + a + "}" for a in b.authors]
    assert max(len(line) for line in c["bibtex"].splitlines()) <= BIBTEX_WIDTH
    assert b.version in c["text"] and c["url"] in c["text"] and b.year in c["text"]


def test_citation_cff_and_zenodo_agree_with_the_scheme():
    b, cff, zen, cfg = book(), load("CITATION.cff"), load(".zenodo.json"), load("_config.yml")
    pref = cff["preferred-citation"]
    assert pref["type"] == "book"
    assert [a["name"] for a in pref["authors"]] == list(b.authors)
    assert (pref["title"], pref["version"], str(pref["date-released"])) == (
        b.title, b.version, b.released)
    assert (pref["year"], pref["month"]) == (int(b.year), b.day.month)
    assert pref["url"] == cff["url"] == cfg["html"]["baseurl"] == b.site
    assert cfg["sphinx"]["config"]["release"] == b.version
    assert cff["repository-code"] == pref["repository-code"] == cfg["repository"]["url"]
    # both licences: the text's and data's, and the code's
    assert {"CC-BY-4.0", "MIT"} <= set(cff["license"])
    assert "MIT" in cff["message"] and "CC BY 4.0" in cff["message"]
    assert (zen["title"], zen["version"], zen["publication_date"]) == (
        b.title, b.version, b.released)
    assert [c["name"] for c in zen["creators"]] == list(b.authors)
    assert b.site in [r["identifier"] for r in zen["related_identifiers"]]
    assert "MIT" in zen["notes"] and "CC BY 4.0" in zen["notes"]


def test_no_doi_is_promised_before_one_exists(built_html):
    cff, cfg = load("CITATION.cff"), load("_config.yml")
    title_page = cfg["sphinx"]["config"]["latex_elements"]["maketitle"]
    cite = page_text(built_html, "cite")
    if "doi" in cff or "doi" in cff.get("preferred-citation", {}):
        pytest.skip("a DOI exists: CITATION.cff names it")
    assert "DOI" not in title_page
    assert "No version has a DOI yet" in cite
    assert "doi = {10.5281/zenodo." in cite, "the cite page says how a DOI will appear"
    for doc in ("data", "intro"):
        assert "DOI" not in page_text(built_html, doc)


def test_licences_are_stated(built_html):
    cite = page_text(built_html, "cite")
    for words in ("Text of the book: Creative Commons Attribution 4.0 (CC BY 4.0)",
                  "Code (analysis/, tools/, tests/): MIT"):
        assert words in " ".join(cite.split())
    assert "CC BY 4.0" in (ROOT / "README.md").read_text(encoding="utf-8")
    title_page = load("_config.yml")["sphinx"]["config"]["latex_elements"]["maketitle"]
    assert "CC BY 4.0" in title_page and "MIT" in title_page


def test_the_site_prints_the_same_citations(built_html):
    """The cite page the book's and the data's, the data page the data's, every chapter
    its own: the same entry, character for character."""
    where = {"cite": ["book", "data"], "data": ["data"],
             **{doc: [doc] for doc in cited_chapters()}}
    for page, whats in where.items():
        text = page_text(built_html, page)
        for what in whats:
            c = citation(what)
            assert c["bibtex"] in text, f"{page}.html lacks the BibTeX of {what}"
            assert squash(c["url"]) in text


def test_the_pdf_prints_the_same_citations_as_valid_bibtex(pdf_text):
    """Each entry copied out of the PDF (pdftotext, as a reader's copy and paste) parses
    as BibTeX and is the entry the site prints: no continuation marks, no broken lines."""
    found = bibtex_entries(pdf_text)
    for what in everything():
        c = citation(what)
        assert c["key"] in found, f"the PDF lacks the BibTeX entry of {what} ({c['key']})"
        copied = found[c["key"]]
        parsed = parse_string(copied, "bibtex").entries[c["key"]]
        assert dict(parsed.fields) == dict(parse_string(c["bibtex"], "bibtex").entries[
            c["key"]].fields), f"{what}: the BibTeX copied from the PDF differs"
        assert squash(copied) == squash(c["bibtex"])


def test_pdf_title_page_names_version_date_and_address(pdf_text):
    """The title page names the version, its date and the address; a build from unreleased
    data says '+dev' and 'unreleased' there and in every page's running header (review of
    c60c8b1, #4), never the release's bare number."""
    from analysis.citation import build_version

    b = book()
    version, released = build_version()
    head = " ".join(pdf_text[:3000].split())
    assert f"Version {version}" in head and b.long_date in head
    assert b.site.rstrip("/") in head
    if not released:
        assert "unreleased" in head
        headers = re.findall(r"an executable history, Version (\S+)", pdf_text)
        assert len(headers) > 100, "no running header with the version"
        assert set(headers) == {version}, set(headers)


def test_a_doi_in_citation_cff_reaches_every_citation(tmp_path):
    """Once Zenodo has minted a version's DOI and CITATION.cff names it, the book's and each
    chapter's citation carry it (the data package's does not: the DOI names the book)."""
    for name in ("CITATION.cff", "_config.yml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "chapters", tmp_path / "chapters",
                    ignore=shutil.ignore_patterns("_static"))
    shutil.copytree(ROOT / "data", tmp_path / "data")
    cff = load("CITATION.cff")
    cff["preferred-citation"]["doi"] = "10.5281/zenodo.1234567"
    (tmp_path / "CITATION.cff").write_text(yaml.safe_dump(cff, allow_unicode=True),
                                           encoding="utf-8")
    for what in ("book", "intro"):
        c = citation(what, tmp_path)
        assert "doi       = {10.5281/zenodo.1234567}," in c["bibtex"]
        assert c["text"].endswith("<https://doi.org/10.5281/zenodo.1234567>")
    assert "doi" not in citation("data", tmp_path)["bibtex"]
    assert "doi" not in citation("book")["bibtex"], "no DOI exists yet: none is printed"


def test_a_build_from_unreleased_data_is_cited_as_unreleased_and_a_release_is_not(tmp_path):
    """Review of c60c8b1, #4: a copy built from a data version no release has carried is
    version 'X.Y.Z+dev', and its citations say it is unreleased (keys '-dev'), so its figures
    are not cited as the release's. Once the changelog records a release with that data
    version, the same files cite the release's own number."""
    from analysis.citation import build_version, data_package

    for name in ("CITATION.cff", "_config.yml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "chapters", tmp_path / "chapters",
                    ignore=shutil.ignore_patterns("_static", "_build"))
    shutil.copytree(ROOT / "data", tmp_path / "data")
    b, dversion = book(tmp_path), data_package(tmp_path)[1]
    log = tmp_path / "chapters" / "changelog.md"
    text = log.read_text(encoding="utf-8")
    released_line = f"- Released with data package version {dversion}."
    text = "\n".join(line for line in text.splitlines() if line != released_line) + "\n"
    log.write_text(text, encoding="utf-8")
    assert build_version(tmp_path) == (f"{b.version}+dev", False)
    for what in ("book", "intro"):
        c = citation(what, tmp_path)
        assert c["key"].startswith(f"camp-ashraf-{b.version}-dev"), c["key"]
        assert f"Version {b.version}+dev (unreleased" in c["text"].replace("\\", "")
        assert "unreleased" in parse_string(c["bibtex"], "bibtex").entries[c["key"]].fields["note"]
    log.write_text(text + f"\n## Book version 9.9.9\n\n{released_line}\n", encoding="utf-8")
    assert build_version(tmp_path) == (b.version, True)
    c = citation("book", tmp_path)
    assert c["key"] == f"camp-ashraf-{b.version}" and "+dev" not in c["text"]
    assert "unreleased" not in c["bibtex"]
