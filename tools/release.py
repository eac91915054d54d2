"""Set the book's version everywhere it appears, for a release: `make release VERSION=X.Y.Z`.

    python tools/release.py X.Y.Z [--date YYYY-MM-DD] [--root DIR]

Writes the version (and the release date, today in UTC unless --date is given) into:
CITATION.cff (version, date-released, and those of its preferred-citation), .zenodo.json
(version, publication_date), pyproject.toml (the analysis package), _config.yml (Sphinx
release, version and today; the PDF's title page; the copyright year) and
chapters/changelog.md (a "Book version X.Y.Z" entry naming the data package's version).
The citations of the book, its chapters and its data on the pages are made from these
files by analysis/citation.py: no page types a version.

It does not touch data/datapackage.json: the data package has its own version, raised when
the data change, and a book release records which data version it carries.

Refuses, changing nothing, a version that is not X.Y.Z, not greater than the current one
(CITATION.cff), already tagged (git tag vX.Y.Z) or already in the changelog.
Only the standard library is used, so it runs before `make book` has made the venv.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class Refused(Exception):
    pass


def parse(version: str) -> tuple[int, int, int]:
    m = VERSION.match(version)
    if not m:
        raise Refused(f"version {version!r} is not of the form X.Y.Z (three numbers, "
                      f"e.g. 1.1.0); run: make release VERSION=X.Y.Z")
    return tuple(int(g) for g in m.groups())


def current_version(root: Path) -> str:
    text = (root / "CITATION.cff").read_text(encoding="utf-8")
    return re.search(r'^version:\s*"?([^"\n]+)"?\s*$', text, re.M).group(1)


def git_tags(root: Path) -> set[str]:
    try:
        out = subprocess.run(["git", "-C", str(root), "tag", "--list"], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()  # not a git checkout (e.g. an unpacked release): no tags to clash with
    return set(out.split())


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def sub(text: str, pattern: str, repl: str, where: str, count: int = 1) -> str:
    new, n = re.subn(pattern, repl, text, flags=re.M)
    if n < count:
        raise Refused(f"{where}: could not find where the version goes (pattern {pattern!r}); "
                      f"was the file edited by hand?")
    return new


def check(version: str, root: Path) -> None:
    new = parse(version)
    old = current_version(root)
    if new <= parse(old):
        raise Refused(f"version {version} is not greater than the current version {old} "
                      f"(CITATION.cff); choose a higher one")
    if f"v{version}" in git_tags(root):
        raise Refused(f"version {version} is already used: the git tag v{version} exists")
    changelog = (root / "chapters" / "changelog.md").read_text(encoding="utf-8")
    if re.search(rf"^## Book version {re.escape(version)}\b", changelog, re.M):
        raise Refused(f"version {version} is already used: chapters/changelog.md has an "
                      f"entry for it")


def release(version: str, day: dt.date, root: Path = ROOT) -> list[str]:
    """Write the version and date everywhere; returns the files changed."""
    check(version, root)
    iso, long = day.isoformat(), long_date(day)
    major_minor = ".".join(version.split(".")[:2])
    data_version = json.loads((root / "data" / "datapackage.json").read_text(
        encoding="utf-8"))["version"]
    edits = {}

    path = root / "CITATION.cff"
    text = path.read_text(encoding="utf-8")
    # the work's own fields and those of its preferred-citation (the book, this version)
    text = sub(text, r'^( *)version:.*$', rf'\g<1>version: "{version}"', "CITATION.cff", 2)
    text = sub(text, r'^( *)date-released:.*$', rf'\g<1>date-released: "{iso}"',
               "CITATION.cff", 2)
    text = sub(text, r'^( +)year:.*$', rf'\g<1>year: {day.year}', "CITATION.cff")
    text = sub(text, r'^( +)month:.*$', rf'\g<1>month: {day.month}', "CITATION.cff")
    edits[path] = text

    path = root / ".zenodo.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["version"], meta["publication_date"] = version, iso
    edits[path] = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"

    path = root / "pyproject.toml"
    edits[path] = sub(path.read_text(encoding="utf-8"), r'^version = ".*"$',
                      f'version = "{version}"', "pyproject.toml")

    path = root / "_config.yml"
    text = path.read_text(encoding="utf-8")
    text = sub(text, r"^(\s+)release: .*$", rf"\g<1>release: {version}", "_config.yml")
    text = sub(text, r"^(\s+)version: .*$", rf"\g<1>version: '{major_minor}'", "_config.yml")
    text = sub(text, r"^(\s+)today: .*$", rf"\g<1>today: {long}", "_config.yml")
    text = sub(text, r"^copyright: .*$", f'copyright: "{day.year}"', "_config.yml")
    text = sub(text, r"Version [0-9.]+ \\textperiodcentered\{\} [^\\]*?\\par",
               rf"Version {version} \\textperiodcentered{{}} {long}\\par",
               "_config.yml (title page)")
    edits[path] = text

    path = root / "chapters" / "changelog.md"
    text = path.read_text(encoding="utf-8")
    entry = (f"## Book version {version} — {long}\n\n"
             f"- Released with data package version {data_version}.\n\n")
    first = re.search(r"^## ", text, re.M)
    at = first.start() if first else len(text)
    edits[path] = text[:at] + entry + text[at:]

    for path, text in edits.items():  # all found: now write
        path.write_text(text, encoding="utf-8")
    return [p.relative_to(root).as_posix() for p in edits]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("version", nargs="?", default="")
    ap.add_argument("--date", help="release date, YYYY-MM-DD (default: today, UTC)")
    ap.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args(argv)
    if not args.version:
        print("usage: make release VERSION=X.Y.Z   (the current version is "
              f"{current_version(args.root)})", file=sys.stderr)
        return 2
    try:
        day = (dt.date.fromisoformat(args.date) if args.date
               else dt.datetime.now(dt.timezone.utc).date())
    except ValueError:
        print(f"release refused: --date {args.date!r} is not YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        changed = release(args.version, day, args.root.resolve())
    except Refused as why:
        print(f"release refused: {why}. Nothing was changed.", file=sys.stderr)
        return 1
    print(f"==> version {args.version} ({long_date(day)}) written to: {', '.join(changed)}")
    print("    next: add the changes of this version under its heading in "
          "chapters/changelog.md, run make test, commit, then\n"
          f"    git tag v{args.version} && git push origin main v{args.version}  "
          "(the release workflow builds, tests and publishes the GitHub release)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
