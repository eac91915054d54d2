"""Binder shows the numbers: a chapter opened as a Binder user opens it, in JupyterLab started
from the environment binder/ builds (_build/binder-venv, made by tools/notebooks.py from
binder/ alone: the lock file, JupyterLab, jupyterlab-myst, then binder/postBuild), in a real
browser (Playwright driving Debian's Chromium). After "Run All Cells" the chapter's prose
shows the glued numbers and citations as author and year, not raw {glue:text} or {cite:p}
roles; saving keeps the book's roles in the file."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ARTIFACTS, ROOT

playwright = pytest.importorskip("playwright.sync_api")

ENV = ROOT / "_build" / "binder-venv"
CHAPTER = "chapters/p4-iraqi-control.md"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_every_chapter_goes_to_jupyterlab_and_back_unchanged():
    """What the Jupyter server sends for a chapter, saved back, is the chapter's file."""
    from analysis import lab

    for path in sorted((ROOT / "chapters").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        shown = lab.to_lab(text)
        assert lab.from_lab(shown) == text, path.name
        if "{glue:text}" in text or "{cite:p}" in text:
            prose = re.sub(r"^```.*?^```", "", shown, flags=re.S | re.M)
            assert "{glue" not in prose and "{cite:" not in prose, path.name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """`jupyter lab` of the Binder environment, with a fresh home (no saved workspace or
    settings of this machine). It serves a copy of the chapters, as Binder serves its own copy
    of the repository (the kernel finds analysis and the data through the installed package):
    nothing JupyterLab saves reaches this repository; autosave is off all the same."""
    lab = ENV / "bin" / "jupyter-lab"
    if not lab.exists():
        pytest.fail("no Binder environment: run `make test` (tools/notebooks.py makes it)")
    home = tmp_path_factory.mktemp("binder-home")
    served = home / "book"
    shutil.copytree(ROOT / "chapters", served / "chapters",
                    ignore=shutil.ignore_patterns("_static", "__pycache__"))
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / \
        "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    # every cell rendered (not only those in view), so that the whole prose can be read
    tracker = settings.parent / "notebook-extension"
    tracker.mkdir()
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CAMP_ASHRAF_DATA", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR",
                        "VIRTUAL_ENV")}
    env.update(HOME=str(home), PATH=f"{ENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               VIRTUAL_ENV=str(ENV), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               IPYTHONDIR=str(home / "ipython"), PYTHONHASHSEED="0")
    log = open(home / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [str(lab), "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
         "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={served}"], cwd=served, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (home / "jupyterlab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield {"url": url, "log": home / "jupyterlab.log", "served": served}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def glued_values() -> dict[str, str]:
    from analysis.chapter import Chapter

    return Chapter("p4", glue=False).glued


def test_a_chapter_in_binders_jupyterlab_shows_glued_numbers_and_citations(jupyterlab):
    values = glued_values()
    source = (ROOT / CHAPTER).read_text(encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(f"{jupyterlab['url']}/lab/tree/{CHAPTER}?reset")
        page.wait_for_selector(".jp-Notebook .jp-MarkdownCell", timeout=90_000)
        # the kernel started (the status bar names it and says Idle), as a reader waits for
        page.wait_for_selector(".jp-StatusBar-Widget:has-text('Idle')", timeout=90_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        prose = page.locator(".jp-MarkdownCell", has_text="On the first day of 2009")
        # the first paragraph glues the period's counts
        want = f"records {values['p4.events']} events"
        deadline = time.monotonic() + 120
        while want not in prose.inner_text() and time.monotonic() < deadline:
            page.wait_for_timeout(1000)
        text = prose.inner_text()
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        prose.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "binder-jupyterlab-p4.png"))
        assert want in text, f"the prose in JupyterLab lacks the glued count:\n{text[:800]}"
        assert f"counts {values['p4.attacks']} of them" in text
        assert "p4.events" not in text and "{glue" not in text and "{eval}" not in text
        # citations read as author and year, not keys
        # (the handover's: "(US Embassy … 2008; Wikipedia contributors 2025)" or as JupyterLab
        # words it: author and year in brackets, never the key)
        assert re.search(r"\([^()]*\b\d{4}; Wikipedia contributors 2025\)", text), text[-600:]
        assert "wikipedia-camp-ashraf-2011" not in text and "{cite" not in text
        # every paragraph of the chapter: no raw role left in the rendered prose
        everything = " ".join(page.locator(".jp-MarkdownCell").all_inner_texts())
        assert "{glue" not in everything and "{cite" not in everything
        browser.close()
    assert (ROOT / CHAPTER).read_text(encoding="utf-8") == source
    log = jupyterlab["log"].read_text()
    assert "Deriving an AsyncTextFileContentsManager from ContentsManager" in log, \
        "the Jupyter server does not read chapters through analysis.lab (binder/postBuild)"


SAVE_BACK = """
import asyncio, json, sys
from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from analysis.lab import ContentsManager

async def main(root):
    cm = build_async_jupytext_contents_manager_class(ContentsManager)(root_dir=root)
    model = await cm.get("chapter.md")
    prose = "".join(c["source"] for c in model["content"]["cells"] if c["cell_type"] == "markdown")
    await cm.save({"type": "notebook", "content": model["content"]}, "chapter.md")
    # the same chapter opened and saved by jupytext alone
    plain = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=root)
    model = await plain.get("plain.md")
    await plain.save({"type": "notebook", "content": model["content"]}, "plain.md")
    print(json.dumps({"type": model["type"], "eval": prose.count("{eval}"),
                      "raw": prose.count("{glue:text}") + prose.count("{cite:p}")}))

asyncio.run(main(sys.argv[1]))
"""


def test_saving_in_jupyterlab_keeps_the_books_roles(tmp_path):
    """The server of the Binder environment sends the prose with {eval} expressions and, on
    save (JupyterLab autosaves), writes the book's roles back: the file is unchanged."""
    python = ENV / "bin" / "python"
    if not python.exists():
        pytest.fail("no Binder environment: run `make test` (tools/notebooks.py makes it)")
    source = (ROOT / CHAPTER).read_text(encoding="utf-8")
    (tmp_path / "chapter.md").write_text(source, encoding="utf-8")
    (tmp_path / "plain.md").write_text(source, encoding="utf-8")
    proc = subprocess.run([str(python), "-c", SAVE_BACK, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["type"] == "notebook" and seen["eval"] > 10 and seen["raw"] == 0, seen
    saved = (tmp_path / "chapter.md").read_text(encoding="utf-8")
    # what jupytext alone writes (it adds its version and blank lines to the header and the
    # cells' options): the roles of the book, as in the file
    assert saved == (tmp_path / "plain.md").read_text(encoding="utf-8")
    assert saved.count("{glue:text}") == source.count("{glue:text}") and "{eval}" not in saved
