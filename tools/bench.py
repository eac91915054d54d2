"""Benchmark the book on this machine and write a dated table to BENCHMARKS.md.

    python tools/bench.py [--runs N]      (make bench; packages must be installed)

Everything runs in a scratch copy of the repository, so the published _build/ is untouched.
Measured (median of N runs where a step is repeated):
- cold build (HTML + PDF) and its floor: the notebooks' own execution time (each run alone
  with nbclient) plus an empty book's build;
- rebuild with nothing changed; after a prose edit; after a code edit in one chapter; after a
  data edit — with the number of notebooks each executed;
- the test suite's wall time (notebooks for nbval, then pytest), setup excluded, and its five
  slowest tests (pytest --durations);
- each notebook's execution time; each page's weight (gzip-compressed, as a web server sends
  it: its HTML and every local file it makes the browser fetch, tools/weight.py), the whole
  site, the PDF's size and page count.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TARGETS = {
    "cold": "≤ 1.5 × floor and < 60 s", "noop": "< 5 s", "notebook": "< 3 s each",
    "page": "≤ 500 KB compressed", "pdf": "< 5 MB", "test": "≤ 4 min",
}


def copy_repo(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        "_build", ".venv", ".git", "test-artifacts", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    return dest


def timed(cmd, cwd, may_fail: bool = False) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    secs = time.monotonic() - t0
    if proc.returncode != 0 and not may_fail:
        sys.exit(f"benchmark step failed: {' '.join(map(str, cmd))}\n"
                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return secs, proc


def build(book: Path, html_only: bool = False) -> tuple[float, int]:
    cmd = [PY, "tools/build.py"] + (["--html-only"] if html_only else [])
    secs, _ = timed(cmd, book)
    executed = (book / "_build" / "logs" / "executed.txt").read_text(encoding="utf-8").split()
    return secs, len(executed)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def notebook_times(book: Path) -> dict[str, float]:
    sys.path.insert(0, str(book / "tools"))
    os.environ["PYTHONPATH"] = str(book)
    import notebooks  # tools/notebooks.py of the copy

    out = {}
    for path in notebooks.chapters():
        name, secs, err = notebooks.run_one(path)
        if err:
            sys.exit(f"{name} failed: {err}")
        out[name] = secs
    return out


def empty_book(tmp: Path) -> float:
    book = copy_repo(tmp / "empty")
    from build import reduce_book  # tools/build.py: as the tests' mini book

    reduce_book(book, {"format": "jb-book", "root": "chapters/changelog"})
    secs, _ = build(book)
    return secs


def page_weights(site: Path) -> dict[str, int]:
    """Every page's compressed weight: HTML, styles, scripts, fonts, images (tools/weight.py)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import weight

    return weight.weights(site)


def slowest_tests(output: str) -> list[tuple[float, str, str]]:
    """(seconds, phase, test) of pytest's --durations list in its output, slowest first."""
    return [(float(m.group(1)), m.group(2), m.group(3)) for m in re.finditer(
        r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S+)", output, re.M)]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    runs = max(1, args.runs)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmpdir:
        tmp = Path(tmpdir)
        print("==> validate", flush=True)
        vbook = copy_repo(tmp / "v")
        validate_s = median([timed([PY, "-m", "analysis", "validate", "data"], vbook)[0]
                             for _ in range(runs)])
        print("==> notebooks alone (nbclient)", flush=True)
        nb_times = notebook_times(copy_repo(tmp / "nb"))
        floor_nb = sum(nb_times.values())
        print("==> empty book", flush=True)
        floor_empty = median([empty_book(tmp / f"e{i}") for i in range(runs)])
        floor = floor_nb + floor_empty

        cold, noop, prose, code, data = [], [], [], [], []
        counts = {}
        for i in range(runs):
            print(f"==> build cycle {i + 1}/{runs}", flush=True)
            book = copy_repo(tmp / f"b{i}")
            s, n = build(book)
            cold.append(s)
            counts["cold"] = n
            s, n = build(book)
            noop.append(s)
            counts["noop"] = n
            ch = book / "chapters" / "p4-iraqi-control.md"
            edit(ch, "\n## ", "\nA sentence added for the benchmark.\n\n## ")
            s, n = build(book)
            prose.append(s)
            counts["prose"] = n
            edit(ch, 'ch = Chapter("p4")', 'ch = Chapter("p4")  # benchmark edit')
            s, n = build(book)
            code.append(s)
            counts["code"] = n
            desc = book / "data" / "datapackage.json"  # any byte of data/ counts
            desc.write_text(desc.read_text(encoding="utf-8").rstrip() + "\n\n",
                            encoding="utf-8")
            s, n = build(book)
            data.append(s)
            counts["data"] = n
            site = book / "_build" / "html"
            pdf = book / "_build" / "latex" / "camp-ashraf.pdf"

        print("==> test suite (on a clean copy, built first)", flush=True)
        tbook = copy_repo(tmp / "t")
        # the suite's re-run test uses the environment `make book` made, as a reader would
        (tbook / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
        build(tbook)
        # the Binder environment is an install (`make setup-test` makes it, and it is made
        # again only when binder/ or the requirements change): timed apart from the suite
        t_env, _ = timed([PY, "tools/notebooks.py", "--env-only"], tbook)
        t_nb, _ = timed([PY, "tools/notebooks.py", "_build/nbval"], tbook)
        import notebooks  # tools/notebooks.py: nbval's options as `make test` gives them
        # as `make test` runs it: two processes, one test file each at a time (the slowest
        # files first, tests/conftest.py); the slowest tests are listed in the table
        t_py, proc = timed([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                            "--dist", "loadfile", "--durations", "5", "tests",
                            "_build/nbval", *notebooks.NBVAL_ARGS], tbook, may_fail=True)
        tests_ok = proc.returncode == 0
        if not tests_ok:  # keep the failures for whoever reads the table
            log = ROOT / "_build" / "bench-tests.log"
            log.parent.mkdir(exist_ok=True)
            log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
            print(f"    the test suite failed in the benchmark's copy; output: {log}")
        test_summary = (proc.stdout.strip().splitlines() or ["no output"])[-1]
        slowest = slowest_tests(proc.stdout)
        weights = page_weights(site)
        site_bytes = dir_size(site)
        pdf_bytes = pdf.stat().st_size
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))

    n_nb = len(nb_times)
    ok = lambda cond: "met" if cond else "**missed**"  # noqa: E731
    cold_m = median(cold)
    rows += [
        ("Validate data/ (python -m analysis validate)", f"{validate_s:.1f} s", "< 5 s",
         ok(validate_s < 5)),
        ("Cold build, HTML + PDF (packages installed)", f"{cold_m:.1f} s",
         TARGETS["cold"], ok(cold_m <= 1.5 * floor and cold_m < 60)),
        ("— floor: notebooks alone + empty book", f"{floor:.1f} s "
         f"({floor_nb:.1f} + {floor_empty:.1f})", "", ""),
        ("— ratio cold / floor", f"{cold_m / floor:.2f}", "≤ 1.5", ok(cold_m <= 1.5 * floor)),
        ("Rebuild, nothing changed", f"{median(noop):.1f} s, {counts['noop']} notebooks run",
         TARGETS["noop"] + ", 0 run", ok(median(noop) < 5 and counts["noop"] == 0)),
        ("Rebuild after a prose edit (one chapter)",
         f"{median(prose):.1f} s, {counts['prose']} notebooks run", "0 run",
         ok(counts["prose"] == 0)),
        ("Rebuild after a code edit (one chapter)",
         f"{median(code):.1f} s, {counts['code']} notebooks run", "exactly 1 run",
         ok(counts["code"] == 1)),
        ("Rebuild after a data edit", f"{median(data):.1f} s, {counts['data']} notebooks run",
         f"all {n_nb} run", ok(counts["data"] == n_nb)),
        ("Test suite after installs (notebooks for nbval + pytest)", f"{t_nb + t_py:.0f} s "
         f"({t_nb:.0f} + {t_py:.0f}); {test_summary.strip('= ')}", TARGETS["test"],
         ok(t_nb + t_py <= 240 and tests_ok)),
        ("— before it, not counted: the Binder environment, an install (make setup-test)",
         f"{t_env:.0f} s", "", ""),
        *[(f"— slowest: {name} ({phase})", f"{secs:.0f} s", "", "")
          for secs, phase, name in slowest],
        ("Whole site", f"{site_bytes / 1e6:.1f} MB", "", ""),
        ("PDF", f"{pdf_bytes / 1e6:.2f} MB, {pages} pages", TARGETS["pdf"],
         ok(pdf_bytes < 5e6)),
    ]
    for name, secs in sorted(nb_times.items()):
        rows.append((f"Notebook {name}", f"{secs:.1f} s", TARGETS["notebook"], ok(secs < 3)))
    heaviest = max(weights.values())
    rows.append((f"Heaviest page (of {len(weights)}), compressed", f"{heaviest / 1e3:.0f} KB",
                 TARGETS["page"], ok(heaviest <= 500e3)))
    for name, size in sorted(weights.items()):
        rows.append((f"Page {name}, compressed with all it loads", f"{size / 1e3:.0f} KB",
                     TARGETS["page"], ok(size <= 500e3)))

    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"## {stamp} — {os.cpu_count()} cores, median of {runs} run(s)", "",
             "| What | Measured | Target | |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    bench = ROOT / "BENCHMARKS.md"
    head = ("# Benchmarks\n\nWritten by `make bench` (tools/bench.py); newest first. Times in "
            "seconds on the machine named in each heading.\n\n")
    old = bench.read_text(encoding="utf-8").split("\n", 4)[-1] if bench.exists() else ""
    old = old[old.find("## "):] if "## " in old else ""
    bench.write_text(head + "\n".join(lines) + "\n\n" + old, encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten: {bench}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
