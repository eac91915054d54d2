"""Nothing wrong gets published: hostile and special text in the data shows as literal text in
the site (no script runs) and in the PDF. (That two clean builds of the same sources are
identical is tested in test_build.py, which shares its clean mini build.)"""
from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from conftest import MINI_CHAPTER, read_csv, serve, write_csv

HOSTILE_TITLE = "<script>window.__pwned=1</script> &amp; {x}`y` *b* $x$ %_#~^\\ اشرف 🙂"
HOSTILE_PLACE = "<img src=x onerror=window.__pwned=2> [l](http://example.org) ``{doc}`z` ``"
HOSTILE_QUOTED = "<b>حزب</b> & ~^ {glue:text}`k` $$"
# shown only in the event register: the description, the perpetrator and the note
HOSTILE_DESC = ("<script>window.__pwned=3</script> ```{raw} html ``` \\end{document} "
                "{ref}`ev-x` [[x]] :::{note} %&$#_ 🙂")
HOSTILE_NOTE = "<style>body{display:none}</style> \\newpage $$1$$"
# a source's own words, shown in the register's attestations and claims
HOSTILE_QUOTE = "<svg onload=window.__pwned=4> {cite}`x` \\textbf{q} 50%"
HOSTILE_URL = "https://example.org/a?x=1&y=<2>"


def rewrite(path: Path, fn) -> None:
    header, body = read_csv(path)
    write_csv(path, header, fn(header, body))


def add_hostile_event(book: Path) -> None:
    data = book / "data"
    eid = "2010-06-01-hostile-text"

    def events(header, body):
        row = {h: "" for h in header}
        row.update(event_id=eid, start_date="2010-06-01", end_date="2010-06-01",
                   date_precision="day", place="elsewhere", place_detail=HOSTILE_PLACE,
                   event_type="assault", title=HOSTILE_TITLE, description=HOSTILE_DESC,
                   period_id="p4", perpetrator="<i>unknown</i>", perpetrator_status="unknown",
                   source_keys="wikipedia-camp-ashraf-2011", note=HOSTILE_NOTE)
        return body + [row]

    def claims(header, body):
        base = {h: "" for h in header}
        rows = []
        for n, value in enumerate(("3", "5")):
            row = dict(base)
            row.update(claim_id=f"{eid}--c{n}", event_id=eid, measure="wounded",
                       value_min=value, value_max=value, qualifier="exact",
                       source_key="wikipedia-camp-ashraf-2011", quoted=HOSTILE_QUOTED,
                       speaker_type="encyclopedia", group="residents",
                       tally="event", second_hand="false",  # ignored if not columns
                       claim_date="2010-06-02", claim_date_precision="day",
                       date_basis="published", quote=HOSTILE_QUOTE,
                       quote_language="en", read_as="copy", read_at=HOSTILE_URL)
            rows.append(row)
        return body + rows

    def attestations(header, body):
        row = {h: "" for h in header}
        row.update(attestation_id=f"{eid}--wikipedia-camp-ashraf-2011", event_id=eid,
                   source_key="wikipedia-camp-ashraf-2011", attests="occurred;figures",
                   stance="first_hand", quote=HOSTILE_QUOTE, quote_language="en",
                   read_as="copy", read_at=HOSTILE_URL, note=HOSTILE_NOTE)
        return body + [row]

    rewrite(data / "events.csv", events)
    rewrite(data / "casualty_claims.csv", claims)
    rewrite(data / "attestations.csv", attestations)
    subprocess.run([sys.executable, "-m", "analysis", "fill-estimates", str(data)], cwd=book,
                   check=True, capture_output=True)


def add_register(book: Path) -> None:
    """The event register in the mini book's table of contents (after its chapters), cut to
    the section of the mini book's period (the hostile event's): the other periods' entries
    would add some 150 pages to the mini book's PDF and check nothing more."""
    import yaml

    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    toc["parts"][0]["chapters"].append({"file": "chapters/register"})
    (book / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    register = book / "chapters" / "register.md"
    head, *sections = register.read_text(encoding="utf-8").split("\n## ")
    keep = [s for s in sections if 'markdown("p' not in s or 'markdown("p4")' in s]
    assert len(keep) == len(sections) - 7, "the register's sections are not one per period"
    register.write_text("\n## ".join([head, *keep]), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_book(mini_built) -> Path:
    """The shared mini book (conftest's `mini_built`: the register added, the hostile event
    in its data, built once, HTML and PDF, for this file and test_contributing.py)."""
    proc = mini_built["built"]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return mini_built["book"]


def test_hostile_text_is_literal_in_the_site(hostile_book):
    from playwright.sync_api import sync_playwright

    from test_html import ARGS, CHROMIUM

    with serve(hostile_book / "_build" / "html") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(f"{url}/{MINI_CHAPTER}.html", wait_until="networkidle")
        assert page.evaluate("() => window.__pwned") is None, "a script from the data ran"
        text = page.inner_text("article")
        # the event register: its entry for the hostile event, reached by its anchor
        page.goto(f"{url}/chapters/register.html#ev-2010-06-01-hostile-text",
                  wait_until="networkidle")
        assert page.evaluate("() => window.__pwned") is None, "a script ran in the register"
        assert page.locator("#ev-2010-06-01-hostile-text").count() == 1
        assert page.locator("article").is_visible(), "a style from the data hid the page"
        register = page.inner_text("article")
        browser.close()
    for literal in ("<script>window.__pwned=1</script>", "&amp;", "{x}`y`", "*b*", "$x$",
                    "%_#~^\\", "اشرف", "🙂", "<b>حزب</b>", "{glue:text}`k`"):
        assert literal in text, f"{literal!r} is not shown literally in the page"
    for literal in ("<script>window.__pwned=3</script>", "```{raw} html ```", "\\end{document}",
                    "{ref}`ev-x`", "[[x]]", ":::{note}", "%&$#_", "<i>unknown</i>",
                    "<style>body{display:none}</style>", "\\newpage $$1$$",
                    "<script>window.__pwned=1</script>", "<b>حزب</b>", "{glue:text}`k`",
                    HOSTILE_QUOTE, HOSTILE_PLACE):  # the place: the chapters' tables leave it out
        assert literal in register, f"{literal!r} is not shown literally in the register"


def test_hostile_text_is_literal_in_the_pdf(hostile_book):
    pdf = hostile_book / "_build" / "latex" / "camp-ashraf.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    # pdftotext gives Arabic in its presentation forms; NFKC maps them back to letters
    flat = unicodedata.normalize("NFKC", " ".join(text.split()))
    for literal in ("<script>window.__pwned=1</script>", "&amp;", "{x}", "*b*", "$x$",
                    "%_#~^\\", "🙂", "<img src=x"):
        assert literal in flat, f"{literal!r} is not in the PDF text"
    assert "اشرف" in flat or "فرشا" in flat, "the Arabic name is not in the PDF"
    # the register's entry: description, perpetrator and note appear nowhere else
    for literal in ("<script>window.__pwned=3</script>", "\\end{document}", "{ref}", "[[x]]",
                    ":::{note}", "<i>unknown</i>", "<style>body{display:none}</style>",
                    "\\newpage $$1$$", "<svg onload=window.__pwned=4>", "\\textbf{q} 50%"):
        assert literal in flat, f"{literal!r} is not in the PDF's register"

