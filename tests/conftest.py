"""Shared fixtures: where the book, its outputs and its chapters are."""
from __future__ import annotations

import contextlib
import csv
import functools
import http.server
import io
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest

try:
    import yaml
except ImportError:  # a bare `pytest` from another environment: see pytest_configure
    yaml = None

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "latex" / "camp-ashraf.pdf"
ARTIFACTS = ROOT / "test-artifacts"
sys.path.insert(0, str(ROOT / "tools"))


def pytest_configure(config):
    """A `pytest` from another environment than the book's: one line saying how to run the
    tests, instead of an import error per test file."""
    import importlib.util

    missing = [m for m in ("pandas", "yaml", "nbformat") if importlib.util.find_spec(m) is None]
    if missing:
        raise pytest.UsageError(
            f"this pytest ({sys.executable}) lacks the book's packages ({', '.join(missing)}): "
            "run `make test`, or `.venv/bin/pytest` after `make book`")
    # nbval's kernel for the chapters, the Binder environment's (made by tools/notebooks.py)
    from notebooks import KERNEL, KERNEL_DIR

    if getattr(config.option, "nbval_kernel_name", None) == KERNEL:
        if not (KERNEL_DIR / "kernels" / KERNEL / "kernel.json").exists():
            raise pytest.UsageError(f"no kernel {KERNEL}: run `make test` (tools/notebooks.py "
                                    "makes the Binder environment and its kernel)")
        import os

        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(KERNEL_DIR), *filter(None, [os.environ.get("JUPYTER_PATH")])])


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def write_csv(path: Path, header: list[str], body: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(body)
    path.write_text(buf.getvalue(), encoding="utf-8")


def toc_docnames() -> list[str]:
    """Every page of _toc.yml in reading order (root first)."""
    from build import toc_pages  # tools/build.py reads the table of contents for the build

    return [p.relative_to(ROOT).with_suffix("").as_posix() for p in toc_pages(ROOT)]


def chapter_title(docname: str) -> str:
    text = (ROOT / f"{docname}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def figure_cells(docname: str) -> list[dict]:
    """The figure metadata (name, caption, alt) of a chapter's code cells."""
    text = (ROOT / f"{docname}.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```\{code-cell\}[^\n]*\n---\n(.*?)\n---\n", text, re.S):
        meta = yaml.safe_load(block) or {}
        fig = (meta.get("mystnb") or {}).get("figure")
        if fig:
            out.append({"name": fig["name"], "caption": fig["caption"].strip(),
                        "alt": (meta["mystnb"].get("image") or {}).get("alt", "")})
    return out


def period_chapters() -> list[str]:
    return [d for d in toc_docnames() if re.match(r"chapters/p\d-", d)]


@pytest.fixture(scope="session")
def built_html() -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail("the site is not built: run `make book` (or `make test`, which builds it)")
    return HTML


@pytest.fixture(scope="session")
def built_pdf() -> Path:
    if not PDF.exists():
        pytest.fail("the PDF is not built: run `make book` (or `make test`, which builds it)")
    return PDF


MINI_CHAPTER = "chapters/p4-iraqi-control"


def make_mini_book(dest: Path) -> Path:
    """A copy of the book reduced to the introduction, one period chapter and the
    bibliography (fast to build); links to the pages left out are not warnings there."""
    from build import reduce_book

    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        "_build", ".venv", ".git", "test-artifacts", "__pycache__", ".pytest_cache",
        ".hypothesis", "node_modules"))
    toc = {"format": "jb-book", "root": "chapters/intro",
           "parts": [{"caption": "Test", "chapters": [{"file": MINI_CHAPTER},
                                                      {"file": "chapters/bibliography"}]}]}
    reduce_book(dest, toc)
    return dest


# The test files that share one session fixture (below) and so must run in one pytest-xdist
# worker: a session fixture is made once per worker process.
SHARED_SCOPES = {"tests/test_contributing.py": "mini book", "tests/test_publish.py": "mini book"}


# The slowest test files, slowest first (seconds of one worker of two on a 2-core machine
# also running other jobs, so only their ratios mean much): collected first, pytest-xdist
# hands them out first, so that no long file starts when the other worker is nearly done.
# The other files (and the notebooks nbval re-runs) follow in their usual order and fill
# the gaps.
SLOW_FIRST = (
    "tests/test_html.py",          # 230 s: every page in Chromium, axe on every page
    "tests/test_build.py",         # 160 s: a build cycle of the mini book, two clean builds
    "tests/test_contributing.py",  # 110 s with test_publish.py: their shared mini book
    "tests/test_publish.py",
    "tests/test_outside.py",       # 75 s: a reader's venv, the notebook run there
    "tests/test_charts.py",        # 40 s
    "tests/test_binder_lab.py",    # 30 s: JupyterLab of the Binder environment
    "tests/test_charts_html.py",   # 30 s
    "tests/test_nu_html.py",       # the Nu HTML Checker (Java) on every page
    "tests/test_rerun.py",         # 25 s
    "tests/test_register.py",      # 17 s
    "tests/test_publishing.py",    # 15 s
)


# Files whose tests share no fixture wider than a test: xdist hands out their tests one by one
# (to either worker), after everything else, to even out the two workers' ends.
# test_validate.py: 92 tests of 1-3 s (and the 30 s fuzzing), 165 s in all.
SPLIT = ("tests/test_validate.py",)


def pytest_collection_modifyitems(config, items):
    """The slow files first (SLOW_FIRST), the SPLIT files last, each file's tests in their
    own order."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    rank.update({name: len(rank) + 1 for name in SPLIT})
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, except that the files of SHARED_SCOPES run as one unit (in the same
    worker, so that the mini book they share is built once), the tests of the SPLIT files
    each as a unit of its own, and the units are handed out in the order collected
    (SLOW_FIRST), not reordered by their number of tests (xdist's default, which put the
    slow files with few tests, test_build.py, last)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            if scope in SPLIT:
                return nodeid
            return SHARED_SCOPES.get(scope, scope)

    return Scheduling(config, log)


@pytest.fixture(scope="session")
def mini_built(tmp_path_factory) -> dict:
    """One mini book built once (HTML and PDF) for two test files: CONTRIBUTING.md's recipes
    followed on it (test_contributing.follow_guide), then the event register added to its
    table of contents and a hostile event added to its data (test_publish). Tests read it;
    one that edits a book edits a copy."""
    import subprocess

    from test_contributing import follow_guide
    from test_publish import add_hostile_event, add_register

    book = make_mini_book(tmp_path_factory.mktemp("mini-built") / "book")
    guide = follow_guide(book, tmp_path_factory)
    add_register(book)
    add_hostile_event(book)
    built = subprocess.run([sys.executable, "tools/build.py"], cwd=book, capture_output=True,
                           text=True, timeout=900)
    return {"book": book, "guide": guide, "built": built}


@pytest.fixture
def book_copy(tmp_path) -> Path:
    """A copy of the book's sources (no _build, no .venv, not the Nu HTML Checker's 30 MB of
    tools/node/node_modules, which no build uses) to break on purpose."""
    dest = tmp_path / "book"
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        "_build", ".venv", ".git", "test-artifacts", "__pycache__", ".pytest_cache",
        ".hypothesis", "node_modules"))
    return dest


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """A web server on a free loopback port serving a folder (the built site); yields its
    address without a trailing slash and stops on exit."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
