"""A scholar can cite the book: CITATION.cff is valid and names the version the PDF prints."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT


def test_citation_cff_validates_against_the_schema():
    """CFF 1.2.0's JSON schema (vendored in tests/schemas/, from the Citation File Format
    project) with check-jsonschema, offline."""
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run([str(exe if exe.exists() else shutil.which("check-jsonschema")),
                           "--default-filetype", "yaml", "--schemafile",
                           str(ROOT / "tests" / "schemas" / "citation-file-format-1.2.0.json"),
                           str(ROOT / "CITATION.cff")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_versions_agree():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    release = cfg["sphinx"]["config"]["release"]
    assert cff["version"] == release
    cite = (ROOT / "chapters" / "cite.md").read_text(encoding="utf-8")
    assert f"version {release}" in cite and f"edition   = {{{release}}}" in cite
    assert cff["repository-code"] == cfg["repository"]["url"]


def test_licences_are_stated():
    cite = (ROOT / "chapters" / "cite.md").read_text(encoding="utf-8")
    for words in ("CC BY 4.0", "MIT"):
        assert words in cite
    assert "CC BY 4.0" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_pdf_names_the_version(built_pdf):
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    text = subprocess.run(["pdftotext", "-l", "2", str(built_pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(rf"Version {re.escape(cfg['sphinx']['config']['release'])}", text)
