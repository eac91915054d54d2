"""The build's guarantees, on a small copy of the book (introduction, one period chapter,
bibliography): notebooks execute exactly when their code or data changed, and the output says
which and why; a clean build prints no warning; a data edit changes the printed number; a
raising cell fails the build naming the chapter and error, and the last good build stays
published."""
from __future__ import annotations

import csv
import re
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


def test_build_cycle(mini):
    # 1. cold build: both notebooks execute, the site is published
    first = build(mini)
    assert first.returncode == 0, first.stderr[-3000:]
    assert executed(mini) == ["intro", "p4-iraqi-control"]
    # a clean build is quiet: no warning at all (not even the kernels' TCP notice), and it
    # says which notebooks ran and why, and how long each step took
    assert "WARNING" not in first.stdout + first.stderr, first.stdout + first.stderr
    assert f"{CHAPTER}.md: first build" in first.stdout, first.stdout
    assert re.search(r"HTML site built in \d+\.\d s", first.stdout), first.stdout
    assert (mini / "_build" / "html" / f"{CHAPTER}.html").exists()

    # 2. nothing changed: nothing is rebuilt; prose edited: no notebook executes
    again = build(mini)
    assert again.returncode == 0 and "nothing changed since the last build" in again.stdout
    assert executed(mini) == []
    chapter = mini / f"{CHAPTER}.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "\n## ", "\nAn added sentence of prose.\n\n## ", 1), encoding="utf-8")
    prose = build(mini)
    assert prose.returncode == 0
    assert executed(mini) == []
    assert "2 notebook(s) unchanged" in prose.stdout, prose.stdout
    assert "An added sentence of prose." in html_text(mini, CHAPTER)

    # 3. code edited in one chapter: exactly that notebook executes
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "ch = Chapter(", "ch = Chapter(  # edited\n    ", 1), encoding="utf-8")
    code = build(mini)
    assert code.returncode == 0
    assert executed(mini) == ["p4-iraqi-control"]
    assert f"{CHAPTER}.md: its code changed" in code.stdout, code.stdout
    assert "1 notebook(s) unchanged" in code.stdout, code.stdout

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
