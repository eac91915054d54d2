"""The Nu HTML Checker (vnu.jar, pinned in tools/node/package-lock.json) finds no error in
any page of the built site: every page, whatever pages the book has, in one Java process."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import ROOT, toc_docnames
from weight import site_pages  # tools/weight.py: every HTML page of the built site

VNU = ROOT / "tools" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def run_vnu(pages: list[Path]) -> list[dict]:
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is missing (the Nu HTML Checker needs it): run `make setup-test` "
                    "(tools/system-deps.sh test installs default-jre-headless)")
    if not VNU.exists():
        pytest.fail(f"{VNU.relative_to(ROOT)} is missing: run `make setup-test` "
                    "(npm ci --prefix tools/node --ignore-scripts)")
    proc = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json",
                           *map(str, pages)], capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stderr or proc.stdout)  # vnu writes its JSON report to stderr
    return report["messages"]


def describe(message: dict, site: Path) -> str:
    where = unquote(urlparse(message.get("url", "")).path)
    try:
        where = Path(where).relative_to(site.resolve()).as_posix()
    except ValueError:
        pass
    return f"{where}:{message.get('lastLine', '?')}: {message['message']}"


BAD = ("<!DOCTYPE html><html lang=en><head><title>t</title></head><body>"
       "<details><summary><p>Show</p></summary>x</details></body></html>")


def test_nu_html_checker_finds_no_error_in_any_page(built_html, tmp_path):
    pages = site_pages(built_html)
    assert len(pages) >= len(toc_docnames()), f"only {len(pages)} pages built"
    # the check can fail: a <p> inside <summary> (what hide-input cells wrote) is an error
    # (checked in the same run: one Java start for everything)
    bad = tmp_path / "bad.html"
    bad.write_text(BAD, encoding="utf-8")
    messages = run_vnu(pages + [bad])
    caught = [m for m in messages if m.get("url", "").endswith("/bad.html")]
    assert any("summary" in m["message"] for m in caught), messages
    assert describe(caught[0], tmp_path).startswith("bad.html:1: "), describe(caught[0], tmp_path)
    errors = [m for m in messages if m not in caught
              and m.get("type") in ("error", "non-document-error")]
    shown = [describe(m, built_html) for m in errors[:30]]
    assert not errors, f"{len(errors)} Nu HTML Checker error(s):\n  " + "\n  ".join(shown)
