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


def _execute(job: tuple[str, dict, str]) -> tuple[str, dict | str, float]:
    """Execute one notebook (in a worker process) as myst-nb would: in its own folder.
    Returns the executed notebook, or the error's text (cell and traceback) when a cell
    raised."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    path, nb, _ = job
    nb = nbformat.from_dict(nb)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=120,
                                 allow_errors=False, meta_override=True,
                                 shutdown_kernel="immediate",  # as analysis/rerun.py
                                 **kernel_options())
    return path, (f"{result.err}" or repr(result.err) if result.err else nb), result.time


def kernel_options() -> dict:
    """Kernels talk to the build over CurveZMQ-encrypted sockets where pyzmq supports it (as
    ipykernel asks): a plain-TCP kernel prints a warning about eavesdropping at every start,
    which would read as alarming in a build where warnings fail."""
    import zmq
    from jupyter_client import KernelManager
    from traitlets.config import Config

    if not zmq.has("curve") or "transport_encryption" not in KernelManager.class_trait_names():
        return {}
    return {"config": Config({"KernelManager": {"transport_encryption": "auto"}})}


# --- why a notebook executes ------------------------------------------------------------
RECORD = "executions.json"  # under the staging _build/: what the last execution saw


def _code_hash(nb) -> str:
    import hashlib

    code = "\0".join(c.source for c in nb.cells if c.cell_type == "code")
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _input_hashes(root: Path) -> dict:
    sys.path.insert(0, str(root / "tools"))
    from bookext import HASHED, files_hash

    return {name: files_hash(root, [name])[:16] for name in HASHED}


def execution_reasons(root: Path, stage: Path, todo: list[tuple[str, dict]]) -> dict[str, str]:
    """Why each notebook that lacks cached outputs executes: compared with what the last
    execution saw (recorded in _build/.stage/_build/executions.json)."""
    import json

    path = stage / "_build" / RECORD
    last = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    now = _input_hashes(root)
    reasons = {}
    for md, nb in todo:
        name = Path(md).relative_to(root).as_posix()
        if last is None:
            reasons[name] = "first build (no earlier execution recorded)"
            continue
        why = [f"{k}{'/' if (root / k).is_dir() else ''} changed" for k in now
               if last.get(k) != now[k]]
        old = last.get("code", {}).get(name)
        if old is None:
            why.append("new notebook")
        elif old != _code_hash(nb):
            why.append("its code changed")
        reasons[name] = ", ".join(why) or "its outputs were not in the execution cache"
    return reasons


def record_execution(root: Path, stage: Path, notebooks: dict[str, dict]) -> None:
    """Remember what the notebooks now in the cache were executed with."""
    import json

    record = {**_input_hashes(root),
              "code": {name: _code_hash(nb) for name, nb in sorted(notebooks.items())}}
    path = stage / "_build" / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def prefill_cache(root: Path, stage: Path, env: dict) -> list[str]:
    """Execute, two at a time, the notebooks the execution cache lacks, and store them in
    it; Sphinx then finds every notebook cached. (myst-nb executes notebooks one after
    another while it reads the pages.) Returns the chapters executed, and the reader-facing
    reason of each that failed (explain): a failure stops the build here, before Sphinx
    would execute the notebook once more only to report the same error."""
    import jupytext
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    sys.path.insert(0, str(root / "tools"))
    from bookext import inputs_hash

    cache = get_cache(str(stage / "_build" / ".jupyter_cache" / f"inputs-{inputs_hash(root)}"))
    todo, cached = [], {}
    for md in notebook_pages(root):
        nb = jupytext.read(md)
        try:
            cache.match_cache_notebook(nb)
            cached[md.relative_to(root).as_posix()] = nb
        except KeyError:
            todo.append((str(md), nb, ""))
    reasons = execution_reasons(root, stage, [(md, nb) for md, nb, _ in todo])
    if cached:
        print(f"    {len(cached)} notebook(s) unchanged (same code, data/ and analysis/ as "
              "when they last ran): their outputs come from the cache", flush=True)
    if not todo:
        record_execution(root, stage, cached)
        return [], []
    done, failed, t_start = [], [], time.monotonic()
    say(f"executing {len(todo)} notebook(s), two at a time:")
    for name, why in reasons.items():
        print(f"    {name}: {why}", flush=True)
    old = dict(os.environ)
    os.environ.update(env)  # the workers and their kernels see the build's environment
    try:
        with ProcessPoolExecutor(max_workers=2) as pool:
            for path, nb, secs in pool.map(_execute, todo):
                name = Path(path).relative_to(root)
                if isinstance(nb, str):
                    print(f"    {name}: a cell raised", flush=True)
                    failed.append(explain_cell(name.as_posix(), nb))
                    continue
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, path, data={"execution_seconds": secs}),
                    check_validity=False, overwrite=True)
                print(f"    {name}: executed in {secs:.1f} s", flush=True)
                done.append(name.as_posix())
                cached[name.as_posix()] = nbformat.from_dict(nb)
    finally:
        os.environ.clear()
        os.environ.update(old)
    if failed:
        return done, failed  # nothing recorded: the failed notebooks run again next time
    record_execution(root, stage, cached)
    say(f"{len(done)} notebook(s) executed in {time.monotonic() - t_start:.1f} s")
    return done, []


def toc_pages(root: Path) -> list[Path]:
    """The Markdown files of the book's table of contents."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            names += [ch["file"]] + [s["file"] for s in ch.get("sections", [])]
    return [root / (re.sub(r"\.(md|ipynb)$", "", n) + ".md") for n in names]


def reduce_book(book: Path, toc: dict) -> None:
    """Turn a copy of the book into a smaller one (tests' mini book, the benchmark's empty
    book): `toc` becomes its _toc.yml, and its links to the pages left out are not warnings
    (every other warning still fails its build)."""
    import yaml

    (book / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    cfg = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    cfg["sphinx"]["config"]["suppress_warnings"] = ["ref.doc", "ref.ref", "ref.numref",
                                                    "myst.xref_missing"]
    (book / "_config.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")


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


STATIC = "chapters/_static"   # html_static_path in _config.yml
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


def jupyter_book(root: Path, builder: str, stage: Path, log: Path,
                 all_pages: bool = False) -> tuple[int, str]:
    """Run one jupyter-book build, streaming its progress lines, keeping the full log.
    ``all_pages``: read and write every page afresh (jupyter-book's --all; the notebooks'
    outputs still come from the execution cache)."""
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(root), "--path-output", str(stage), "--builder", builder,
           *STRICT, *(["--all"] if all_pages else [])]
    env = {**os.environ, **build_env(root)}
    lines = []
    progress = Progress()
    with subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env, bufsize=1) as proc:
        for line in proc.stdout:
            lines.append(line)
            progress.feed(line)
    progress.close()
    log.write_text("".join(lines), encoding="utf-8")
    return proc.returncode, "".join(lines)


# Lines known to be harmless, never shown: ipykernel's notice that a kernel's sockets are
# not encrypted (kernels get CurveZMQ where pyzmq supports it, see kernel_options).
HARMLESS = re.compile(r"\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption")
PROBLEM = re.compile(r"WARNING|ERROR|Error|Exception|Traceback|finished with problems")
PHASE = re.compile(r"^(reading sources|writing output)\.\.\. \[\s*\d+%\]")


class Progress:
    """Condenses a jupyter-book run into a few lines: each Sphinx phase once, with its page
    count and time; each LaTeX pass; a notebook myst-nb executes itself; and every warning
    or error in full (the full output is kept in _build/logs/)."""

    def __init__(self):
        self.phase, self.count, self.since = None, 0, time.monotonic()

    def _show(self, text: str) -> None:
        print("    " + text, flush=True)

    def _end_phase(self) -> None:
        if self.phase:
            self._show(f"{self.phase}: {self.count} page(s) in "
                       f"{time.monotonic() - self.since:.1f} s")
        self.phase, self.count = None, 0

    def feed(self, raw: str) -> None:
        line = ANSI.sub("", raw).rstrip()
        if not line or HARMLESS.search(line):
            return
        phase = PHASE.match(line)
        if phase:
            if phase.group(1) != self.phase:
                self._end_phase()
                self.phase, self.since = phase.group(1), time.monotonic()
            self.count += 1
        elif "Using cached notebook" in line:
            pass  # prefill_cache already said which notebooks come from the cache
        elif "Executing notebook" in line:
            self._show(f"myst-nb executes {line.split(': Executing')[0].strip()} itself "
                       "(not found in the execution cache)")
        elif PROBLEM.search(line):
            self._show(line[:300])
        elif line.startswith("Running 'xelatex"):
            self._end_phase()
            self._show("LaTeX: a xelatex pass")
        elif line.startswith("Output written on"):
            self._show("LaTeX: " + line)
        elif line.startswith("build succeeded"):
            self._end_phase()

    def close(self) -> None:
        self._end_phase()


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def explain(output: str) -> str:
    """The reader-facing reason of a failed build: a failing notebook names its chapter, the
    cell and the error; otherwise LaTeX's errors or the warnings."""
    output = ANSI.sub("", output)
    chapter = re.search(r"([^\s:]+\.(?:md|ipynb))(?::\d+)?: WARNING: Executing notebook failed",
                        output)
    if chapter:
        return explain_cell(chapter.group(1), output)
    latex = re.findall(r"^! .*$|^.*LaTeX Error.*$", output, re.M)
    if latex:
        return "LaTeX failed:\n  " + "\n  ".join(latex[:10])
    warnings = re.findall(r"^.*(?:WARNING|ERROR):.*$", output, re.M)
    if warnings:
        return "warnings are errors in this book:\n  " + "\n  ".join(warnings[:20])
    tail = "\n  ".join(output.strip().splitlines()[-15:])
    return f"the build stopped:\n  {tail}"


def explain_cell(chapter: str, output: str) -> str:
    """A notebook's failure in a few lines: its chapter, the error and the cell that raised."""
    output = ANSI.sub("", output)
    cell = re.search(r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+",
                     output, re.S)
    errors = [f"{a}: {b}" for a, b in
              re.findall(r"^(\w*(?:Error|Exception|Interrupt)): (.+)$", output, re.M)
              if a not in ("ExecutionError", "CellExecutionError", "RuntimeError")]
    where = Path(chapter)
    msg = f"a notebook cell raised in chapter {where.parent.name}/{where.name}"
    msg += f": {errors[0]}" if errors else ""
    if cell:
        src = "\n      ".join(cell.group(1).strip().splitlines()[:8])
        msg += f"\n  in the cell:\n      {src}"
    return msg


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
    say(f"data valid ({time.monotonic() - t0:.1f} s)")

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
    # Sphinx copies the static files (chapters/_static: the book's CSS and script) only when
    # some page is out of date: a change to them alone would leave the old ones published.
    # When they changed since the last build, every page is written afresh.
    from bookext import files_hash
    static_stamp = stage / "static.sha256"
    static_digest = files_hash(root, [STATIC])
    static_changed = not static_stamp.exists() or static_stamp.read_text() != static_digest
    if static_changed and (stage / "_build").exists():
        say(f"{STATIC}/ changed: every page is written afresh")
    executed, failed = prefill_cache(root, stage, build_env(root))
    if failed:
        (logs / "executed.txt").write_text("".join(f"{p}\n" for p in executed),
                                           encoding="utf-8")
        return fail("\n".join(failed), root)
    builders = [("html", "HTML site")] + ([] if args.html_only else [("pdflatex", "PDF")])
    (logs / "executed.txt").write_text("", encoding="utf-8")
    stage_pdf = stage / "_build" / "latex" / PDF
    stage_pdf.unlink(missing_ok=True)  # so that a LaTeX failure cannot pass off an old PDF
    for builder, label in builders:
        say(f"building the {label}")
        t_step = time.monotonic()
        code, output = jupyter_book(root, builder, stage, logs / f"{builder}.log",
                                    all_pages=static_changed)
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
        say(f"{label} built in {time.monotonic() - t_step:.1f} s")
    stage_out = stage / "_build"
    if not args.html_only and not (stage_out / "latex" / PDF).exists():
        return fail(f"LaTeX ran but {PDF} was not written; see {logs / 'pdflatex.log'}", root)

    publish(stage_out, root, args.html_only)
    stamp.write_text(digest)
    static_stamp.write_text(static_digest)
    say(f"done in {time.monotonic() - t0:.0f} s")
    print(f"    HTML: {root / '_build' / 'html' / 'index.html'}")
    if not args.html_only:
        print(f"    PDF:  {root / '_build' / 'latex' / PDF}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
