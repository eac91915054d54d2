"""CONTRIBUTING.md, followed as written on a small copy of the book.

The guide marks the blocks a contributor copies with invisible comments
(``<!-- recipe: append FILE -->``, ``<!-- recipe: run -->`` …). This test reads those blocks, so it
breaks when the guide drifts from the data or the commands: it appends the guide's source,
event, two claims and population count to the copy, runs the guide's `make` commands, builds
the copy once and checks that the event shows in its chapter's table, casualty chart and
totals. Then it follows the correction recipe, and seeds the guide's typical mistakes one
at a time, comparing `make validate`'s output with what the guide quotes. The field tables
of the guide must list exactly the fields and allowed values of data/datapackage.json.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI_CHAPTER, ROOT, read_csv, write_csv

GUIDE = ROOT / "CONTRIBUTING.md"
BLOCK = re.compile(r"^<!-- (recipe|mistake|fields): ?([^\n]*?) -->\n(?:```(\w*)\n(.*?)\n```|(.*?)\n\n)",
                   re.S | re.M)
CHAPTER_PERIOD = "p4"  # the period of the mini book's one chapter (conftest.MINI_CHAPTER)


# --- reading the guide ----------------------------------------------------------------------
def blocks(kind: str, action: str | None = None) -> list[tuple[str, str]]:
    """The guide's marked blocks of one kind, in order: (argument after the action, body)."""
    out = []
    for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8")):
        if m.group(1) != kind:
            continue
        head = m.group(2).strip()
        body = m.group(4) if m.group(4) is not None else m.group(5)
        if action is None:
            out.append((head, body))
        elif head.split(" ", 1)[0] == action:
            out.append((head.split(" ", 1)[1] if " " in head else "", body))
    return out


def csv_rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames), list(reader)


def field_tables() -> dict[str, dict[str, str]]:
    """resource name -> {field: the 'what to write' cell} from the guide's field tables."""
    out = {}
    for name, body in blocks("fields"):
        rows = {}
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            m = re.fullmatch(r"`([a-z_]+)`", cells[0])
            if m:
                rows[m.group(1)] = cells[-1]
        out[name] = rows
    return out


def package() -> dict:
    return json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))


# --- running the guide's commands on a copy -------------------------------------------------
def link_venv(book: Path) -> None:
    """The copy uses the running environment as its .venv (never installs into it)."""
    (book / ".venv").symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)


def make(book: Path, line: str) -> subprocess.CompletedProcess:
    words = shlex.split(line)
    assert words[0] == "make", f"the guide runs `{line}`: recipes use make targets only"
    # -o: treat the environment as installed; the copy must never install anything
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", *words[1:]],
                          cwd=book, capture_output=True, text=True, timeout=300)


def run_block(book: Path, body: str) -> list[subprocess.CompletedProcess]:
    lines = [ln.split("#", 1)[0].strip() for ln in body.splitlines()]
    return [make(book, ln) for ln in lines if ln]


def append(book: Path, target: str, lang: str, body: str) -> None:
    path = book / target
    old = path.read_text(encoding="utf-8")
    if lang == "csv":
        header, _ = csv_rows(body)
        assert header == read_csv(path)[0], (
            f"CONTRIBUTING.md's header line for {target} is not the file's header:\n"
            f"  guide: {','.join(header)}\n  file:  {','.join(read_csv(path)[0])}")
        body = body.split("\n", 1)[1]
    path.write_text(old.rstrip("\n") + "\n" + body.strip("\n") + "\n", encoding="utf-8")


def row_of(book: Path, target: str, row_id: str) -> tuple[int, dict]:
    """The spreadsheet row number (header = 1) and the row whose first column is row_id."""
    header, body = read_csv(book / target)
    for i, row in enumerate(body):
        if row[header[0]] == row_id:
            return i + 2, row
    pytest.fail(f"{target} has no row '{row_id}'")


def set_cells(book: Path, target: str, row_id: str, values: dict[str, str]) -> int:
    header, body = read_csv(book / target)
    line, _ = row_of(book, target, row_id)
    for field in values:
        assert field in header, f"the guide edits an unknown field '{field}' of {target}"
    body[line - 2].update(values)
    write_csv(book / target, header, body)
    return line


def glued(book: Path, key: str) -> dict[str, str]:
    """The text values glued by the build's executed notebook that glues `key` (read from
    whichever executed copy the build keeps: its cache, or the download once it has outputs)."""
    found = {}
    for path in sorted((book / "_build").rglob("*.ipynb"), key=lambda p: p.stat().st_mtime):
        nb = json.loads(path.read_text(encoding="utf-8"))
        out = {}
        for cell in nb["cells"]:
            for o in cell.get("outputs", []):
                meta = o.get("metadata", {}).get("scrapbook")
                if meta:
                    text = o["data"][meta.get("mime_prefix", "") + "text/plain"]
                    out[meta["name"]] = text.strip("'\"")
        if key in out:
            found = out  # the newest notebook that glues the key
    assert found, f"no executed notebook of the build glues '{key}'"
    return found


def text_of(html: str) -> str:
    import html as html_lib

    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def number(text: str) -> int:
    return int(text.replace(",", ""))


# --- the guide's example, followed once ----------------------------------------------------
def period_counts(events: list[dict]) -> dict:
    """The chapter's period in a list of events: events, attacks and the attacks' best
    killed (as the chapter glues them)."""
    from analysis.derive import ATTACK_TYPES

    mine = [e for e in events if e["period_id"] == CHAPTER_PERIOD]
    attacks = [e for e in mine if e["event_type"] in ATTACK_TYPES]
    return {"events": len(mine), "attacks": len(attacks),
            "killed_best": sum(int(e["killed_best"]) for e in attacks if e["killed_best"])}


def follow_guide(book: Path, tmp_path_factory) -> dict:
    """Recipes 1-4 followed on a mini book and validated with the guide's commands (not
    built: conftest's `mini_built` builds the book once, for this file and test_publish.py).
    Returns the book, the commands' results, the period's counts before the recipes and a
    copy of the valid, contributed data (for the seeded mistakes and the correction)."""
    link_venv(book)
    before = period_counts(read_csv(book / "data" / "events.csv")[1])

    lang = {m.group(2).strip(): m.group(3) for m in BLOCK.finditer(GUIDE.read_text("utf-8"))}
    for target, body in blocks("recipe", "append"):
        append(book, target, lang[f"append {target}"], body)
    # the guide's prose example, added to the chapter as a contributor would
    (_, prose), = blocks("recipe", "prose")
    chapter = book / f"{MINI_CHAPTER}.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + prose + "\n",
                       encoding="utf-8")
    runs = blocks("recipe", "run")
    first_run = run_block(book, runs[0][1])
    # a copy of the valid, contributed data for the seeded mistakes and the correction
    valid = tmp_path_factory.mktemp("valid") / "book"
    valid.mkdir()
    for name in ("Makefile", "references.bib"):
        shutil.copy2(book / name, valid / name)
    for name in ("analysis", "data"):
        shutil.copytree(book / name, valid / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    link_venv(valid)
    return {"book": book, "runs": first_run, "before": before, "valid": valid,
            "events": {e["event_id"] for e in read_csv(book / "data" / "events.csv")[1]}}


@pytest.fixture(scope="module")
def followed(mini_built) -> dict:
    """The guide followed on the shared mini book (conftest's `mini_built`), built once. The
    same build carries test_publish.py's hostile event (in this chapter's period, added after
    the recipes ran): the totals expected after the recipes are those of the events before
    the recipes plus that added event's."""
    got = dict(mini_built["guide"])
    events = read_csv(got["book"] / "data" / "events.csv")[1]
    others = period_counts([e for e in events if e["event_id"] not in got["events"]])
    got["before"] = {k: v + others[k] for k, v in got["before"].items()}
    got["built"] = mini_built["built"]
    return got


def the_event() -> dict:
    (_, body), = [b for b in blocks("recipe", "append") if b[0] == "data/events.csv"]
    _, rows = csv_rows(body)
    assert len(rows) == 1, "the guide's event recipe adds one event"
    return rows[0]


def test_field_tables_match_the_data_package():
    """Each table in the guide lists every field of its resource, no other, and for a field
    with allowed values exactly the package's values."""
    tables = field_tables()
    resources = {r["name"]: r for r in package()["resources"]}
    assert set(tables) == {"sources", "events", "casualty_claims", "population"}
    for name, listed in tables.items():
        fields = resources[name]["schema"]["fields"]
        assert list(listed) == [f["name"] for f in fields], (
            f"CONTRIBUTING.md's table of {name} lists {list(listed)}; "
            f"datapackage.json has {[f['name'] for f in fields]}")
        for f in fields:
            cell = listed[f["name"]]
            enum = (f.get("constraints") or {}).get("enum")
            shown = re.findall(r"`([^`]+)`", cell.split("one of", 1)[1]) if "one of" in cell \
                else []
            if enum:
                assert shown[:len(enum)] == list(enum), (
                    f"CONTRIBUTING.md, {name}.{f['name']}: lists {shown}, the package allows "
                    f"{enum}")
            else:
                assert not shown, f"CONTRIBUTING.md lists values for free field {name}.{f['name']}"
            required = bool((f.get("constraints") or {}).get("required"))
            row = next(line for line in GUIDE.read_text("utf-8").splitlines()
                       if line.startswith(f"| `{f['name']}` |") and cell in line)
            assert row.split("|")[2].strip() == ("yes" if required else "no"), (
                f"CONTRIBUTING.md, {name}.{f['name']}: 'required' disagrees with the package")


def test_period_rule_matches_the_data():
    """The guide's rule for overlapping periods: the overlaps it names are the ones
    periods.csv declares, and every event of the data at those places and years follows it."""
    (_, table), = blocks("recipe", "periods")
    rule = []
    for line in table.splitlines()[2:]:
        years, places, chapter = [c.strip() for c in line.strip().strip("|").split("|")]
        first, _, last = years.partition("–")
        rule.append((int(first), int(last or first), re.findall(r"`(\w+)`", places),
                     chapter.split(",")[0].split()[0]))
    _, periods = read_csv(ROOT / "data" / "periods.csv")
    declared = {frozenset((p["period_id"], q)) for p in periods
                for q in p["overlaps"].split(";") if q}
    g = re.findall(r"\((p\d) with (p\d), (p\d) with (p\d)\)", GUIDE.read_text("utf-8"))[0]
    assert declared == {frozenset(g[:2]), frozenset(g[2:])}, (
        f"periods.csv declares the overlaps {sorted(map(sorted, declared))}; "
        f"CONTRIBUTING.md names {g}")
    _, events = read_csv(ROOT / "data" / "events.csv")
    checked = 0
    for e in events:
        year = int(e["start_date"][:4])
        for first, last, places, chapter in rule:
            if first <= year <= last and e["place"] in places:
                assert e["period_id"] == chapter, (
                    f"{e['event_id']} ({e['place']}, {year}) is in {e['period_id']}; "
                    f"CONTRIBUTING.md says {chapter}")
                checked += 1
    assert checked >= 10


def test_guide_uses_make_targets_only():
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    lines = [ln for _, body in blocks("recipe", "run") for ln in body.splitlines() if ln.strip()]
    assert lines
    for ln in lines:
        words = ln.split()
        assert words[0] == "make" and words[1] in targets, f"`{ln}` is not a make target"
    for script in re.findall(r"\.venv/bin/python (\S+\.py)", GUIDE.read_text("utf-8")):
        assert (ROOT / script).exists(), f"the guide runs {script}, which does not exist"
    assert "python -m analysis" not in GUIDE.read_text("utf-8"), \
        "the guide shows a bare `python -m analysis` (it fails outside the venv)"
    (bib,) = [body for target, body in blocks("recipe", "append") if target == "references.bib"]
    assert re.search(r"^\s*(url|doi|isbn|number)\s*=", bib, re.M), \
        "the guide's source has no URL, DOI, ISBN or document number a reader could open"
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "(CONTRIBUTING.md)" in readme, "README.md does not link CONTRIBUTING.md"


def test_recipes_validate_as_quoted(followed):
    for step in followed["runs"]:
        assert step.returncode == 0, step.args[-1] + ":\n" + step.stdout + step.stderr
    (_, quoted), = blocks("recipe", "output")
    shown = "\n".join(s.stdout.strip() for s in followed["runs"]).splitlines()
    book = str(followed["book"]) + "/"
    shown = [ln.replace(book, "") for ln in shown]
    assert len(shown) == len(quoted.splitlines())
    # the guide quotes the output of the shipped data plus the example; counts may grow
    for have, want in zip(shown, quoted.splitlines()):
        assert re.sub(r"\d+", "N", have) == re.sub(r"\d+", "N", want), (have, want)
    (head, body), = blocks("recipe", "filled")
    target, event_id = head.split()
    cols, (want,) = csv_rows(body)
    _, row = row_of(followed["book"], target, event_id)
    assert {c: row[c] for c in cols} == want, "make estimates did not write what the guide says"


def test_new_event_in_chapter_table_chart_and_totals(followed):
    built = followed["built"]
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    book, event = followed["book"], the_event()
    assert event["period_id"] == CHAPTER_PERIOD
    html = (book / "_build" / "html" / f"{MINI_CHAPTER}.html").read_text(encoding="utf-8")

    # the events table: a row with the title, the date and the killed best (low-high)
    table = re.search(r'<table[^>]*id="tbl-p4-events".*?</table>', html, re.S) or \
        re.search(r'<table.*?tbl-p4-events.*?</table>', html, re.S)
    assert table, "no events table in the chapter"
    rows = [text_of(r) for r in re.findall(r"<tr.*?</tr>", table.group(0), re.S)]
    row = [r for r in rows if event["title"].replace("Example: ", "") in r]
    assert len(row) == 1, "the new event is not one row of the chapter's events table"
    assert "20 Nov 2010" in row[0] and "2 (2–3)" in row[0], row[0]
    (_, filled), = blocks("recipe", "filled")
    grade = csv_rows(filled)[1][0]["grade"]
    assert grade.replace("_", " ") in row[0], f"the grade '{grade}' is not in the row: {row[0]}"

    # the casualty chart: the event's date and title are a label of the SVG
    fig = re.search(r'<figure[^>]*id="fig-p4-casualties".*?</figure>', html, re.S)
    assert fig and "<svg" in fig.group(0), "no casualty chart (inline SVG) in the chapter"
    labels = " ".join(re.findall(r"<text[^>]*>([^<]*)", fig.group(0)))
    assert "20 Nov 2010: Example:" in labels, "the new event is not drawn in the casualty chart"

    # the totals: one event and one attack more, the period's best killed grows by 2
    values, before = glued(book, "p4.events"), followed["before"]
    assert number(values["p4.events"]) == before["events"] + 1
    assert number(values["p4.attacks"]) == before["attacks"] + 1
    assert number(values["p4.killed_best"]) == before["killed_best"] + 2
    assert values[f"{event['event_id']}.killed_range"] == "2 (2–3)"
    assert values["2010-11-20-rockets-example--mek"] == "at least 3"
    assert values["2010-11-ashraf--example-agency"] == "about 3,400"
    # the guide's prose example, added to the chapter, shows the glued figure and cites
    page = text_of(html)
    (_, prose), = blocks("recipe", "prose")
    shown = re.sub(r"\{glue:text\}`([^`]+)`", lambda m: values[m.group(1)], prose)
    shown = re.sub(r"\s*\{cite:p\}`[^`]+`", "", shown)
    assert re.sub(r"\s+", " ", shown).rstrip(".") in page, "the prose example is not in the page"
    assert "Example News Agency 2010" in page, "the prose example's citation is not rendered"
    # and the chapter's own sentences show the new counts where they glue them
    source = (book / f"{MINI_CHAPTER}.md").read_text(encoding="utf-8")
    for key in ("p4.events", "p4.attacks"):
        for before in re.findall(r"(\w+)\s+\{glue:text\}`" + re.escape(key) + "`", source):
            assert f"{before} {values[key]}" in page, f"'{before} {values[key]}' not in the page"


def test_correction_recipe(followed, tmp_path):
    """On a copy of the contributed data (the shared book itself stays as built)."""
    book = tmp_path / "book"
    shutil.copytree(followed["valid"], book, symlinks=True)
    (target, diff), = blocks("recipe", "correct")
    old = [ln[1:] for ln in diff.splitlines() if ln.startswith("-")]
    new = [ln[1:] for ln in diff.splitlines() if ln.startswith("+")]
    path = book / target
    text = path.read_text(encoding="utf-8")
    for o, n in zip(old, new):
        assert o + "\n" in text, f"the line the guide corrects is not in {target}: {o}"
        text = text.replace(o + "\n", n + "\n")
    path.write_text(text, encoding="utf-8")
    for step in run_block(book, blocks("recipe", "run")[1][1]):
        assert step.returncode == 0, step.stdout + step.stderr
    _, row = row_of(book, "data/events.csv", the_event()["event_id"])
    assert (row["killed_low"], row["killed_best"], row["killed_high"]) == ("2", "2", "4")


MISTAKES = blocks("mistake")


@pytest.mark.parametrize("edit,quoted", MISTAKES, ids=[f"mistake{i + 1}" for i in
                                                        range(len(MISTAKES))])
def test_seeded_mistake(followed, tmp_path, edit, quoted):
    """The guide's edit, on the valid contributed data: `make validate` fails with one
    message per edited row, on that row, worded as the guide quotes it."""
    book = tmp_path / "book"
    shutil.copytree(followed["valid"], book, symlinks=True)
    edited, target = [], None
    for word in shlex.split(edit):
        if "=" in word:
            field, value = word.split("=", 1)
            edited[-1][2][field] = value
        elif word.endswith(".csv"):
            target = word
        else:
            edited.append((target, word, {}))
    edited = [(t, r, v, set_cells(book, t, r, v)) for t, r, v in edited]
    result = make(book, "make validate")
    assert result.returncode != 0, "the mistake passed validation"
    lines = result.stdout.strip().splitlines()
    # a located message names a file and a row; notes that a rule could not run do not
    located = [ln for ln in lines if re.match(r"[\w./-]+, row \d+", ln)]
    for target, row_id, values, line in edited:
        on_row = [ln for ln in located if ln.startswith(f"{target}, row {line},")]
        assert len(on_row) == 1, (f"{target} row {line} ('{row_id}', edited {values}) has "
                                  f"{len(on_row)} messages, not one:\n{result.stdout}")
        assert "expected" in on_row[0], on_row[0]
    assert len(located) == len(edited), (
        f"{len(edited)} wrong row(s) gave {len(located)} located message(s):\n{result.stdout}")
    normal = [re.sub(r"row \d+", "row N", ln) for ln in lines]
    want = [re.sub(r"row \d+", "row N", ln) for ln in quoted.strip().splitlines()]
    assert normal == want, ("make validate's messages differ from what CONTRIBUTING.md quotes "
                            "(rows aside):\n" + result.stdout)
