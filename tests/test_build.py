"""The build's guarantees, on a small copy of the book (introduction, one period chapter,
bibliography): notebooks execute exactly when their code or data changed, and the output says
which and why; a clean build prints no warning; a data edit changes the printed number; a
raising cell fails the build naming the chapter and error, and the last good build stays
published; two clean builds of the same sources are identical. The clean (cold) build is done
once and shared by the build cycle and the two-clean-builds test."""
from __future__ import annotations

import csv
import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI_CHAPTER as CHAPTER, make_mini_book, read_csv, write_csv


def build(book: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "tools/build.py", "--html-only"], cwd=book,
                          capture_output=True, text=True, timeout=600)


def executed(book: Path) -> list[str]:
    """The notebooks the last build executed (tools/build.py lists them)."""
    text = (book / "_build" / "logs" / "executed.txt").read_text(encoding="utf-8")
    return sorted(Path(p).stem for p in text.split())


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return make_mini_book(tmp_path_factory.mktemp("mini") / "book")


@pytest.fixture(scope="module")
def cold(mini, tmp_path_factory) -> dict:
    """The mini book's first (clean) build, done once for the two tests that need one: the
    build cycle starts from it, and the two-clean-builds test compares a snapshot of its site
    (taken before the cycle edits the book) with a second clean build."""
    proc = build(mini)
    snapshot = tmp_path_factory.mktemp("cold") / "html"
    if proc.returncode == 0:
        shutil.copytree(mini / "_build" / "html", snapshot)
    return {"proc": proc, "executed": executed(mini) if proc.returncode == 0 else None,
            "html": snapshot}


def html_text(book: Path, doc: str) -> str:
    html = (book / "_build" / "html" / f"{doc}.html").read_text(encoding="utf-8")
    return re.sub(r"<[^>]+>", " ", html)


def pick_claim(book: Path) -> tuple[str, dict]:
    """A killed claim of the chapter's period whose figure the prose quotes."""
    prose = (book / f"{CHAPTER}.md").read_text(encoding="utf-8")
    with open(book / "data" / "casualty_claims.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if f"{{glue:text}}`{row['claim_id']}`" in prose and row["qualifier"] == "exact":
                return row["claim_id"], row
    pytest.fail("the chapter quotes no exact claim")


def set_claim(book: Path, claim_id: str, value: int) -> None:
    path = book / "data" / "casualty_claims.csv"
    header, body = read_csv(path)
    for row in body:
        if row["claim_id"] == claim_id:
            row["value_min"] = row["value_max"] = str(value)
    write_csv(path, header, body)
    subprocess.run([sys.executable, "-m", "analysis", "fill-estimates", str(book / "data")],
                   cwd=book, check=True, capture_output=True)


def test_build_cycle(mini, cold):
    # 1. cold build (the shared fixture's): both notebooks execute, the site is published
    first = cold["proc"]
    assert first.returncode == 0, first.stderr[-3000:]
    assert cold["executed"] == ["intro", "p4-iraqi-control"]
    # a clean build is quiet: no warning at all (not even the kernels' TCP notice), and it
    # says which notebooks ran and why, and how long each step took
    assert "WARNING" not in first.stdout + first.stderr, first.stdout + first.stderr
    assert f"{CHAPTER}.md: first build" in first.stdout, first.stdout
    assert re.search(r"HTML site built in \d+\.\d s", first.stdout), first.stdout
    assert (mini / "_build" / "html" / f"{CHAPTER}.html").exists()

    # 2. nothing changed: nothing is rebuilt
    again = build(mini)
    assert again.returncode == 0 and "nothing changed since the last build" in again.stdout
    assert executed(mini) == []

    # 2b. only the book's stylesheet edited: no notebook runs, and the site gets the new
    # stylesheet (Sphinx alone copies static files only when some page is out of date)
    css = mini / "chapters" / "_static" / "book.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.seeded-rule { color: #010203; }\n",
                   encoding="utf-8")
    styled = build(mini)
    assert styled.returncode == 0, styled.stderr[-3000:]
    assert executed(mini) == []
    assert ".seeded-rule" in (mini / "_build" / "html" / "_static" / "book.css").read_text(
        encoding="utf-8"), "a change to chapters/_static/book.css alone was not published"

    # 3. in one build, the introduction's prose and the chapter's code edited: exactly the
    # chapter's notebook executes (a prose edit executes none), and the new prose is shown
    intro = mini / "chapters" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace(
        "\n## ", "\nAn added sentence of prose.\n\n## ", 1), encoding="utf-8")
    chapter = mini / f"{CHAPTER}.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "ch = Chapter(", "ch = Chapter(  # edited\n    ", 1), encoding="utf-8")
    code = build(mini)
    assert code.returncode == 0, code.stderr[-3000:]
    assert executed(mini) == ["p4-iraqi-control"]
    assert f"{CHAPTER}.md: its code changed" in code.stdout, code.stdout
    assert "chapters/intro.md" not in "".join(
        line for line in code.stdout.splitlines(True) if "changed" in line), code.stdout
    assert "1 notebook(s) unchanged" in code.stdout, code.stdout
    assert "An added sentence of prose." in html_text(mini, "chapters/intro")

    # 4. a data edit re-executes every notebook and changes the number in the page
    claim_id, row = pick_claim(mini)
    new_value = int(row["value_min"]) + 1000
    shown = f"{new_value:,}"
    assert shown not in html_text(mini, CHAPTER)
    set_claim(mini, claim_id, new_value)
    data = build(mini)
    assert data.returncode == 0
    assert executed(mini) == ["intro", "p4-iraqi-control"]
    assert f"{CHAPTER}.md: data/ changed" in data.stdout, data.stdout
    assert "WARNING" not in data.stdout + data.stderr
    assert shown in html_text(mini, CHAPTER), "the edited figure is not in the page"

    # 5. a raising cell fails the build, names the chapter and the error, publishes nothing
    good = (mini / "_build" / "html" / f"{CHAPTER}.html").read_bytes()
    chapter.write_text(chapter.read_text(encoding="utf-8") +
                       "\n```{code-cell} ipython3\nraise ValueError('broken on purpose')\n```\n",
                       encoding="utf-8")
    bad = build(mini)
    assert bad.returncode == 1
    assert "p4-iraqi-control" in bad.stderr
    assert "ValueError: broken on purpose" in bad.stderr
    assert "last good build is untouched" in bad.stderr
    assert (mini / "_build" / "html" / f"{CHAPTER}.html").read_bytes() == good


def test_two_clean_builds_are_identical(cold, tmp_path):
    """Same sources, two clean builds: every file of the site (pages, figures, search index,
    the downloadable notebooks with their outputs) is byte-identical. Known exceptions, none
    at present, would be listed in README's "What is guaranteed". The first build is the
    build cycle's cold build (its site as it was before any edit); the second is made here
    from a fresh copy of the sources."""
    assert cold["proc"].returncode == 0, cold["proc"].stderr[-3000:]
    book = make_mini_book(tmp_path / "two")
    proc = build(book)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = cold["html"], book / "_build" / "html"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert any(str(f).endswith(".ipynb") for f in files) and any(
        str(f).endswith(".svg") for f in files)
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    differ = [str(f) for f in files if not filecmp.cmp(a / f, b / f, shallow=False)]
    assert differ == [], f"files differ between two clean builds: {differ}"
    shutil.rmtree(tmp_path, ignore_errors=True)
