"""The book's analysis package as a wheel for readers outside a clone, and the pinned
requirements a downloaded notebook needs. The site offers both in python/ (tools/bookext.py
writes them after the HTML build):

    python3 -m venv camp-ashraf
    camp-ashraf/bin/pip install -r SITE/python/requirements.txt SITE/python/WHEEL

    python tools/readerwheel.py OUT_DIR     (writes both into OUT_DIR; needs the book's .venv)

The wheel carries analysis/ and, in analysis/_book/, what the package reads besides its own
code: data/ (the data package), CITATION.cff, _config.yml, references.bib and the chapters'
sources (their titles; which chapter shows which period). analysis/__init__.py reads that copy
when the package is not in a clone; CAMP_ASHRAF_DATA still points it at another copy of the
data. The wheel is written by hand (a zip with its dist-info), byte for byte the same for
the same sources: fixed timestamps, sorted entries.

requirements.txt pins, at the lock file's versions, everything a notebook needs to run:
the package's dependencies (pyproject.toml), ipykernel and nbclient (a kernel, and
`python -m analysis run`), with all that they require in turn on Python 3.11 to 3.13.
"""
from __future__ import annotations

import base64
import hashlib
import io
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ("data", "CITATION.cff", "_config.yml", "references.bib", "chapters")
RUNNER = ("ipykernel", "nbclient")   # besides the package's dependencies
PYTHONS = ("3.11", "3.12", "3.13")
STAMP = (1980, 1, 1, 0, 0, 0)


def project(root: Path = ROOT) -> dict:
    """pyproject.toml's [project], its version that of this build: the release's, or with
    '+dev' (a PEP 440 local version) when the build carries data no release has carried, so
    that pip does not take a wheel of newer data for the release's, installed already
    (review of 50accb7, overviews #2)."""
    import sys
    import tomllib

    p = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from analysis.citation import data_package, data_released

    if (root / "data" / "datapackage.json").exists() and not data_released(
            data_package(root)[1], root):
        p = {**p, "version": f"{p['version']}+dev"}
    return p


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(root: Path = ROOT) -> str:
    p = project(root)
    return f"{p['name'].replace('-', '_')}-{p['version']}-py3-none-any.whl"


def bundled_files(root: Path = ROOT) -> list[tuple[str, Path]]:
    """(path in the wheel, file) for the package and its copy of the book's files."""
    out = [(f"analysis/{p.relative_to(root / 'analysis').as_posix()}", p)
           for p in sorted((root / "analysis").rglob("*.py"))]
    for name in BUNDLE:
        top = root / name
        if top.is_dir():
            files = sorted(p for p in top.iterdir() if p.is_file() and not p.name.startswith(".")
                           and (name != "chapters" or p.suffix == ".md"))
        else:
            files = [top]
        out += [(f"analysis/_book/{p.relative_to(root).as_posix()}", p) for p in files]
    return out


def metadata(root: Path = ROOT) -> str:
    p = project(root)
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}",
             f"Summary: {p['description']}", f"Requires-Python: {p['requires-python']}",
             "License: MIT (code); CC BY 4.0 (text and data, in analysis/_book)"]
    lines += [f"Classifier: {c}" for c in p.get("classifiers", [])]
    lines += [f"Project-URL: {k}, {v}" for k, v in p.get("urls", {}).items()]
    lines += [f"Requires-Dist: {d}" for d in p["dependencies"]]
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(out_dir: Path, root: Path = ROOT) -> Path:
    """Write the wheel into out_dir; returns its path."""
    p = project(root)
    dist = f"{p['name'].replace('-', '_')}-{p['version']}.dist-info"
    entries = [(name, path.read_bytes()) for name, path in bundled_files(root)]
    entries += [
        (f"{dist}/METADATA", metadata(root).encode()),
        (f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: camp-ashraf tools/readerwheel.py\n"
                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist}/top_level.txt", b"analysis\n"),
    ]
    record = [_record_line(n, d) for n, d in entries] + [f"{dist}/RECORD,,"]
    entries.append((f"{dist}/RECORD", ("\n".join(record) + "\n").encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel_name(root)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    target.write_bytes(buf.getvalue())
    return target


def lock(root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """canonical name -> (name, version) of every package pinned in requirements.txt."""
    out = {}
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            out[canonical(m.group(1))] = (m.group(1), m.group(2))
    return out


def reader_requirements(root: Path = ROOT) -> list[str]:
    """name==version lines: the closure of the package's dependencies and RUNNER, as this
    environment's installed metadata declares them, for every supported Python (markers
    evaluated for each), pinned to the lock file. A package missing from the lock fails."""
    from importlib import metadata as md

    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    pins = lock(root)
    envs = [{**default_environment(), "python_version": v, "python_full_version": v + ".0",
             "extra": ""} for v in PYTHONS]
    todo = [canonical(Requirement(d).name) for d in project(root)["dependencies"]]
    todo += list(RUNNER)
    seen: set[str] = set()
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        if name not in pins:
            raise SystemExit(f"{name} is needed to run a notebook but is not pinned in "
                             "requirements.txt (the lock file)")
        seen.add(name)
        try:
            requires = md.requires(pins[name][0]) or []
        except md.PackageNotFoundError:
            requires = md.requires(name) or []
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or any(req.marker.evaluate(e) for e in envs):
                todo.append(req.name)
    return [f"{pins[n][0]}=={pins[n][1]}" for n in sorted(seen)]


def write_requirements(out_dir: Path, root: Path = ROOT) -> Path:
    p = project(root)
    head = [f"# What a notebook of '{p['description'].split(':')[0]}' needs to run, pinned "
            "(Python 3.11, 3.12 or 3.13):",
            "#   python3 -m venv camp-ashraf",
            f"#   camp-ashraf/bin/pip install -r requirements.txt {wheel_name(root)}"]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "requirements.txt"
    target.write_text("\n".join(head + reader_requirements(root)) + "\n", encoding="utf-8")
    return target


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else ROOT / "_build" / "python"
    for path in (build_wheel(out), write_requirements(out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
