"""The re-run instructions are true: every shell command shown in the README and in the
"Re-run this book" chapter is run here (in a scratch copy of the book that uses the
environment `make book` made), or is named below with the test that covers it. A command
that prints a warning (the kernel's one about unencrypted TCP, say) fails as much as one that
exits non-zero. The commands of a downloaded notebook's first cell are run by
test_outside.py."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = ("README.md", "chapters/rerun.md")
# commands shown but covered elsewhere: by `make test` itself, by CI, or by another test
COVERED = {
    r"make book": "make test runs make book first (and CI runs both)",
    r"make test": "the suite itself",
    r"git clone https://github\.com/\S+": "needs the network; the address is checked in "
                                          "test_publishing.test_addresses_agree",
    r"cd camp-ashraf-book": "follows git clone",
    r"make release VERSION=\d+\.\d+\.\d+": "test_publishing.test_make_release_*",
    r"git tag v\S+ && git push origin main v\S+": "pushes a release (needs the network)",
}
RUNNABLE = re.compile(r"^(?:[A-Z_]+=\S+ )*(?:\.venv/bin/\S+|make validate|make help)\b")
WARNING = re.compile(r"warn|eavesdrop|traceback|error", re.I)


def shell_commands() -> list[tuple[str, str]]:
    """(document, command) for every line of every ```sh block, comments removed; a line
    ending in a backslash continues on the next (as the shell reads it)."""
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, re.S | re.M):
            for line in re.sub(r"\s*\\\n\s*", " ", block).splitlines():
                cmd = re.sub(r"\s+#.*$", "", line).strip()
                if cmd and not cmd.startswith("#"):
                    found.append((doc, cmd))
    return found


def test_every_documented_command_is_run_or_covered():
    unknown = [(doc, cmd) for doc, cmd in shell_commands()
               if not RUNNABLE.match(cmd) and not any(re.fullmatch(p, cmd) for p in COVERED)]
    assert not unknown, f"documented commands no test runs: {unknown}"
    assert any(RUNNABLE.match(c) for _, c in shell_commands())


def test_no_bare_python_or_missing_tools_in_the_instructions():
    """Commands name the environment's programs (.venv/bin/...) or make targets: a bare
    `python -m analysis` fails outside the venv; `jupyter lab` and `nbconvert` are not in
    the lock file."""
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        bare = re.findall(r"(?<![/\w])(?:python3?|jupyter|jupytext|pip) [^\n`]*", text)
        bare = [b for b in bare if not b.startswith(("python 3", "Python 3"))]
        assert not bare, f"{doc}: commands without .venv/bin/: {bare}"
        assert "jupyter lab" not in text and "nbconvert" not in text, doc
        assert "jupyter execute" not in text, f"{doc}: it reads no chapter's .md and warns"
    lock = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    assert "jupyterlab==" not in lock  # so the docs must not send readers to it


@pytest.fixture(scope="module")
def scratch_book(tmp_path_factory):
    """A copy of the book's sources using the environment `make book` made (.venv)."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.fail("no .venv: run make book first")
    book = tmp_path_factory.mktemp("rerun") / "camp-ashraf-book"
    book.mkdir()
    for name in ("analysis", "data", "chapters", "tools", "tests"):
        shutil.copytree(ROOT / name, book / name,
                        ignore=shutil.ignore_patterns("__pycache__", "_static"))
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "references.bib",
                 "_toc.yml", "_config.yml", "CITATION.cff"):
        shutil.copy2(ROOT / name, book / name)
    (book / ".venv").symlink_to(ROOT / ".venv")
    (book / "tmp").mkdir()
    return book


def test_documented_commands_work(scratch_book):
    """Run in the order shown. /tmp/ in a command is a fresh folder of the test; `make` is
    told the environment is set up (-o), so that it never reinstalls into .venv from the
    copy."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CAMP_ASHRAF_DATA")}
    env["PYTHONHASHSEED"] = "0"
    ran = []
    for doc, cmd in shell_commands():
        if not RUNNABLE.match(cmd) or cmd in ran:  # a command shown twice is run once
            continue
        run = cmd.replace("/tmp/", f"{scratch_book}/tmp/")
        run = re.sub(r"^make ", "make -s -o .venv/.installed ", run)
        proc = subprocess.run(["bash", "-c", run], cwd=scratch_book, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (f"{doc}: `{cmd}` failed:\n{proc.stdout[-1500:]}\n"
                                      f"{proc.stderr[-1500:]}")
        noisy = [line for line in (proc.stdout + proc.stderr).splitlines()
                 if WARNING.search(line)]
        assert not noisy, f"{doc}: `{cmd}` printed a warning: {noisy}"
        ran.append(cmd)
        if "p4-run" in cmd:
            out = scratch_book / "tmp" / "p4-run.ipynb"
            assert out.exists() and '"outputs"' in out.read_text(), cmd
            text = out.read_text()
            assert "chart-svg" in text, f"`{cmd}` wrote a notebook without its figures"
            out.unlink()
    assert len(ran) >= 5
    assert any("-m analysis run chapters/" in c for c in ran), "no chapter re-run shown"


def test_make_help_lists_the_targets_and_plain_make_prints_it():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    helps = [subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
             for args in (["make", "help"], ["make"])]
    for proc in helps:
        assert proc.returncode == 0, proc.stderr
    assert helps[0].stdout == helps[1].stdout, "plain make does not print the help"
    lines = helps[0].stdout.splitlines()
    targets = {m.group(1) for line in lines if (m := re.match(r"^  make (\S+)\s{2,}\S", line))}
    assert {"book", "test", "validate", "help", "clean", "release"} <= targets, lines
    makefile = (ROOT / "Makefile").read_text()
    declared = set(re.findall(r"^([a-z-]+):", makefile, re.M)) - {"check-python"}
    assert declared <= targets, f"targets without a help line: {declared - targets}"


@pytest.mark.parametrize("python", ["2.7.18", "3.10.13"])
def test_an_unsupported_python_gets_one_clear_line(python, tmp_path):
    """make refuses it before anything is installed, in one line naming the versions."""
    exe = Path(f"/root/.pyenv/versions/{python}/bin/python")
    if not exe.exists():
        # where pyenv has no such interpreter: this Python, reporting that version to the
        # Makefile's own check (run as `$(PYTHON) -c CODE`)
        exe = tmp_path / "python"
        v = tuple(int(x) for x in python.split("."))
        prelude = ("import sys, collections; sys.version_info = collections.namedtuple("
                   "'V', 'major minor micro releaselevel serial')(%d, %d, %d, 'final', 0); "
                   "exec(sys.argv[1])" % v)
        exe.write_text(f'#!/bin/sh\nexec {sys.executable} -c "{prelude}" "$2"\n')
        exe.chmod(0o755)
    # as a user types it: not as a sub-make of `make test` (which would add "Entering directory")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(["make", "book", f"PYTHON={exe}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)
    out = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode != 0 and len(out) == 1, out
    assert f"Python {python}" in out[0] and "3.11, 3.12 or 3.13" in out[0], out[0]
