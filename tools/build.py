"""Build the book: validate the data, then HTML and PDF into a staging area, and publish both
only when everything succeeded. A failed build leaves the last good outputs untouched.

    python tools/build.py [--html-only] [--root DIR]

Published outputs: _build/html/ (the site, with camp-ashraf.pdf at its root) and
_build/latex/camp-ashraf.pdf. Staging (kept between runs for incremental builds and the
execution cache): _build/.stage/_build/.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDF = "camp-ashraf.pdf"
STRICT = ["-W", "-n", "--keep-going"]


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def fail(msg: str, root: Path) -> int:
    print(f"\nBUILD FAILED: {msg}", file=sys.stderr)
    html = root / "_build" / "html" / "index.html"
    if html.exists():
        print(f"The last good build is untouched: {html.parent}", file=sys.stderr)
    return 1


def _execute(job: tuple[str, dict, str]) -> tuple[str, dict | None, float]:
    """Execute one notebook (in a worker process) as myst-nb would: in its own folder."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    path, nb, _ = job
    nb = nbformat.from_dict(nb)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=120,
                                 allow_errors=False, meta_override=True)
    return path, (None if result.err else nb), result.time


def prefill_cache(root: Path, stage: Path, env: dict) -> list[str]:
    """Execute, two at a time, the notebooks the execution cache lacks, and store them in
    it; Sphinx then finds every notebook cached. (myst-nb executes notebooks one after
    another while it reads the pages.) A notebook that fails here is left to Sphinx, which
    executes it again and reports the error in the build. Returns the chapters executed."""
    import jupytext
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    sys.path.insert(0, str(root / "tools"))
    from bookext import inputs_hash

    cache = get_cache(str(stage / "_build" / ".jupyter_cache" / f"inputs-{inputs_hash(root)}"))
    todo = []
    for md in notebook_pages(root):
        nb = jupytext.read(md)
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append((str(md), nb, ""))
    if not todo:
        return []
    done = []
    say(f"executing {len(todo)} notebook(s), two at a time")
    old = dict(os.environ)
    os.environ.update(env)  # the workers and their kernels see the build's environment
    try:
        with ProcessPoolExecutor(max_workers=2) as pool:
            for path, nb, secs in pool.map(_execute, todo):
                name = Path(path).relative_to(root)
                if nb is None:
                    print(f"    {name}: failed; the build will report it", flush=True)
                    continue
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, path, data={"execution_seconds": secs}),
                    check_validity=False, overwrite=True)
                print(f"    {name}: executed in {secs:.1f} s", flush=True)
                done.append(name.as_posix())
    finally:
        os.environ.clear()
        os.environ.update(old)
    return done


def toc_pages(root: Path) -> list[Path]:
    """The Markdown files of the book's table of contents."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            names += [ch["file"]] + [s["file"] for s in ch.get("sections", [])]
    return [root / (re.sub(r"\.(md|ipynb)$", "", n) + ".md") for n in names]


def notebook_pages(root: Path) -> list[Path]:
    """The pages of the table of contents that are notebooks (have code cells)."""
    return [p for p in toc_pages(root)
            if p.exists() and "```{code-cell}" in p.read_text(encoding="utf-8")]


def build_env(root: Path) -> dict:
    return {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", release_epoch(root)),
            "PYTHONHASHSEED": "0",
            # notebooks import this book's analysis/ (and so read its data/), even when
            # the environment was set up for another copy of the repository
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root),
                                                        os.environ.get("PYTHONPATH")]))}


SOURCES = ("_config.yml", "_toc.yml", "references.bib", "CITATION.cff", "requirements.txt",
           "chapters", "data", "analysis", "tools")


def sources_hash(root: Path, html_only: bool) -> str:
    """A hash of everything the book is built from (and of what is asked for)."""
    sys.path.insert(0, str(root / "tools"))
    from bookext import files_hash

    return files_hash(root, SOURCES, b"html-only" if html_only else b"html+pdf")


def release_epoch(root: Path) -> str:
    """The release date of CITATION.cff as a Unix time: the date stamped into the PDF and
    the figures, the same for every build of one release."""
    import datetime as dt

    text = (root / "CITATION.cff").read_text(encoding="utf-8")
    day = re.search(r'^date-released:\s*"?(\d{4}-\d{2}-\d{2})', text, re.M).group(1)
    return str(int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()))


def jupyter_book(root: Path, builder: str, stage: Path, log: Path) -> tuple[int, str]:
    """Run one jupyter-book build, streaming its progress lines, keeping the full log."""
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(root), "--path-output", str(stage), "--builder", builder,
           *STRICT]
    env = {**os.environ, **build_env(root)}
    lines = []
    with subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env, bufsize=1) as proc:
        for line in proc.stdout:
            lines.append(line)
            if _progress(line) and "IPKernelApp" not in line:
                print("    " + ANSI.sub("", line).rstrip()[:160], flush=True)
    log.write_text("".join(lines), encoding="utf-8")
    return proc.returncode, "".join(lines)


_PROGRESS = re.compile(r"(Executing notebook|Executed notebook|reading sources|writing output|"
                       r"WARNING|ERROR|Error|Exception|Traceback|build succeeded|"
                       r"finished with problems|Output written|Latexmk: All targets|"
                       r"Running '|Rule 'xelatex|Finished generating|Cached executed|"
                       r"Using cached notebook)")


def _progress(line: str) -> bool:
    return bool(_PROGRESS.search(line))


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def explain(output: str) -> str:
    """The reader-facing reason of a failed build: a failing notebook names its chapter, the
    cell and the error; otherwise LaTeX's errors or the warnings."""
    output = ANSI.sub("", output)
    chapter = re.search(r"([^\s:]+\.(?:md|ipynb))(?::\d+)?: WARNING: Executing notebook failed",
                        output)
    if chapter:
        cell = re.search(r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+",
                         output, re.S)
        errors = [f"{a}: {b}" for a, b in
                  re.findall(r"^(\w*(?:Error|Exception|Interrupt)): (.+)$", output, re.M)
                  if a not in ("ExecutionError", "CellExecutionError", "RuntimeError")]
        where = Path(chapter.group(1))
        msg = f"a notebook cell raised in chapter {where.parent.name}/{where.name}"
        msg += f": {errors[0]}" if errors else ""
        if cell:
            src = "\n      ".join(cell.group(1).strip().splitlines()[:8])
            msg += f"\n  in the cell:\n      {src}"
        return msg
    latex = re.findall(r"^! .*$|^.*LaTeX Error.*$", output, re.M)
    if latex:
        return "LaTeX failed:\n  " + "\n  ".join(latex[:10])
    warnings = re.findall(r"^.*(?:WARNING|ERROR):.*$", output, re.M)
    if warnings:
        return "warnings are errors in this book:\n  " + "\n  ".join(warnings[:20])
    tail = "\n  ".join(output.strip().splitlines()[-15:])
    return f"the build stopped:\n  {tail}"


def publish(stage_out: Path, root: Path, html_only: bool) -> None:
    """Swap the staged outputs into _build/ in one move each."""
    out = root / "_build"
    html_new = out / "html.new"
    shutil.rmtree(html_new, ignore_errors=True)
    shutil.copytree(stage_out / "html", html_new)
    if not html_only:
        shutil.copyfile(stage_out / "latex" / PDF, html_new / PDF)
        (out / "latex").mkdir(parents=True, exist_ok=True)
        tmp = out / "latex" / (PDF + ".new")
        shutil.copyfile(stage_out / "latex" / PDF, tmp)
        os.replace(tmp, out / "latex" / PDF)
    old = out / "html.old"
    shutil.rmtree(old, ignore_errors=True)
    if (out / "html").exists():
        os.replace(out / "html", old)
    os.replace(html_new, out / "html")
    shutil.rmtree(old, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html-only", action="store_true", help="skip the PDF")
    ap.add_argument("--root", type=Path, default=ROOT, help="the book's folder")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    stage = root / "_build" / ".stage"
    logs = root / "_build" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    say("validating data/")
    sys.path.insert(0, str(root))
    from analysis.validate import validate
    problems = validate(root / "data", root / "references.bib")
    if problems:
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return fail(f"{len(problems)} problem(s) in data/; no notebook was executed", root)
    say("data valid")

    stamp = stage / "sources.sha256"
    digest = sources_hash(root, args.html_only)
    published = (root / "_build" / "html" / "index.html").exists() and (
        args.html_only or (root / "_build" / "latex" / PDF).exists())
    if published and stamp.exists() and stamp.read_text() == digest:
        (logs / "executed.txt").write_text("", encoding="utf-8")
        say("nothing changed since the last build: the published book is up to date")
        print(f"    HTML: {root / '_build' / 'html' / 'index.html'}")
        if not args.html_only:
            print(f"    PDF:  {root / '_build' / 'latex' / PDF}")
        return 0
    stamp.unlink(missing_ok=True)
    executed = prefill_cache(root, stage, build_env(root))
    builders = [("html", "HTML site")] + ([] if args.html_only else [("pdflatex", "PDF")])
    (logs / "executed.txt").write_text("", encoding="utf-8")
    stage_pdf = stage / "_build" / "latex" / PDF
    stage_pdf.unlink(missing_ok=True)  # so that a LaTeX failure cannot pass off an old PDF
    for builder, label in builders:
        say(f"building the {label} (notebooks execute only when their code or data changed)")
        code, output = jupyter_book(root, builder, stage, logs / f"{builder}.log")
        executed += [Path(p).relative_to(root).as_posix() for p in
                     re.findall(r"^(\S+\.(?:md|ipynb)): Executing notebook", ANSI.sub("", output),
                                re.M)]
        # which notebooks ran in this build (read by the tests and the benchmark)
        (logs / "executed.txt").write_text("".join(f"{p}\n" for p in executed),
                                           encoding="utf-8")
        if code == 0 and builder == "pdflatex" and re.search(
                r"^! |Latexmk: Errors|LaTeX Error", output, re.M):
            code = 1  # jupyter-book reports success even when LaTeX failed
        if code != 0:
            print(f"  full log: {logs / f'{builder}.log'}", file=sys.stderr)
            return fail(f"the {label} build failed: {explain(output)}", root)
    stage_out = stage / "_build"
    if not args.html_only and not (stage_out / "latex" / PDF).exists():
        return fail(f"LaTeX ran but {PDF} was not written; see {logs / 'pdflatex.log'}", root)

    publish(stage_out, root, args.html_only)
    stamp.write_text(digest)
    say(f"done in {time.monotonic() - t0:.0f} s")
    print(f"    HTML: {root / '_build' / 'html' / 'index.html'}")
    if not args.html_only:
        print(f"    PDF:  {root / '_build' / 'latex' / PDF}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
