"""Check one chapter quickly, without building the book: it executes, every glued key its prose
uses exists, every citation key is in references.bib, no count is typed into its prose.

    python tools/check_chapter.py chapters/p4-iraqi-control.md [...]
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def glued_keys(nb) -> set[str]:
    keys = set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                keys.add(meta["name"])
    return keys


def check(path: Path) -> list[str]:
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from test_prose import typed_numbers
    from analysis.validate import _bib_keys
    from build import kernel_options  # no eavesdropping warning from the kernel

    problems = []
    text = path.read_text(encoding="utf-8")
    nb = jupytext.read(path)
    with tempfile.TemporaryDirectory() as cwd:
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": cwd}}, **kernel_options()).execute()
        except CellExecutionError as err:
            return [f"a cell raised: {str(err).strip().splitlines()[-1]}"]
    have = glued_keys(nb)
    for key in re.findall(r"\{glue(?::text)?\}`([^`]+)`", text):
        key = key.rsplit(":", 1)[0] if ":" in key and "::" not in key else key
        if key not in have:
            problems.append(f"glue key not glued by the chapter: {key}")
    bib = _bib_keys(ROOT / "references.bib")
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
        for key in group.split(","):
            if key.strip() not in bib:
                problems.append(f"citation key not in references.bib: {key.strip()}")
    doc = path.relative_to(ROOT).with_suffix("").as_posix()
    for hit in typed_numbers(doc):
        problems.append(f"number typed into prose: …{hit.strip()}…")
    words = len(re.sub(r"```.*?```", "", text, flags=re.S).split())
    print(f"{path.name}: executed; {len(have)} keys glued; about {words} words of prose")
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    bad = 0
    for arg in argv:
        problems = check(Path(arg).resolve())
        for p in problems:
            print(f"  {arg}: {p}")
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
