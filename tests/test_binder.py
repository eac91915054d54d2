"""Binder works: the launch button's environment is what repo2docker makes from binder/
alone, and every chapter ran in it, top to bottom, with the kernel in chapters/.

The environment and the run are made by tools/notebooks.py (the first step of `make test`):
a fresh virtual environment without system site packages, binder/requirements.txt, then
binder/postBuild; every chapter executed in it. nbval then compares those outputs with a
re-execution in .venv. These tests check what that run recorded."""
from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import ROOT

ENV = ROOT / "_build" / "binder-venv"
RUN = ROOT / "_build" / "nbval" / "binder-run.json"


def notebook_chapters() -> list[Path]:
    from build import notebook_pages

    return notebook_pages(ROOT)


def test_binder_files_use_the_lock_file_and_install_analysis():
    req = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text()
           .splitlines() if line.strip() and not line.startswith("#")]
    assert req[0] == "-r ../requirements.txt"
    # on top of the lock: JupyterLab with jupyterlab-myst and what they need, pinned exactly
    extra = req[1:]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+(; python_version < \"3\.\d+\")?", r)
               for r in extra), extra
    names = {r.split("==")[0].lower().replace("_", "-") for r in extra}
    assert {"jupyterlab", "jupyterlab-myst"} <= names
    lock = {line.split("==")[0].lower().replace("_", "-")
            for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    assert not names & lock, f"pinned twice: {names & lock}"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    lock_python = re.search(r"^# Python (\d+\.\d+)", (ROOT / "requirements.txt").read_text(),
                            re.M).group(1)
    assert runtime == f"python-{lock_python}"
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
    text = post.read_text()
    assert re.search(r"pip install --no-deps .*-e \.", text)
    assert "analysis.lab.ContentsManager" in text


def test_analysis_is_an_installed_package_not_a_pth_hack():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"] == ["analysis"]
    dist = metadata.distribution(project["project"]["name"])
    assert dist.version == project["project"]["version"]
    import yaml
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert project["project"]["version"] == cff["version"]
    purelib = Path(sys.prefix) / "lib"
    assert not list(purelib.glob("python3*/site-packages/camp_ashraf_repo.pth"))


def test_the_binder_environment_was_fresh_and_current():
    if not RUN.exists():
        pytest.fail("no Binder run recorded: run `make test` (tools/notebooks.py makes it)")
    cfg = (ENV / "pyvenv.cfg").read_text()
    assert re.search(r"^include-system-site-packages = false$", cfg, re.M)
    from bookext import files_hash
    from notebooks import ENV_INPUTS, ENV_RECIPE
    assert (ENV / "binder-inputs.sha256").read_text() == files_hash(
        ROOT, ENV_INPUTS, seed=ENV_RECIPE), \
        "binder/ or requirements.txt changed since the Binder environment was made"
    overrides = list(ENV.glob("share/jupyter/lab/settings/overrides.json"))
    assert overrides and "Jupytext Notebook" in overrides[0].read_text()
    server = ENV / "etc" / "jupyter" / "jupyter_server_config.json"
    assert "analysis.lab.ContentsManager" in server.read_text()


def test_every_chapter_ran_in_the_binder_environment_from_chapters():
    if not RUN.exists():
        pytest.fail("no Binder run recorded: run `make test` (tools/notebooks.py makes it)")
    run = json.loads(RUN.read_text())
    assert sorted(run) == sorted(p.name for p in notebook_chapters())
    for name, where in run.items():
        assert Path(where["prefix"]) == ENV, f"{name} ran in {where['prefix']}"
        assert Path(where["cwd"]) == ROOT / "chapters", name
        assert Path(where["analysis"]) == ROOT / "analysis" / "__init__.py", name
        assert Path(where["data"]) == ROOT / "data", name
        nb = json.loads((RUN.parent / (Path(name).stem + ".ipynb")).read_text())
        assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), name
