"""Binder works: the launch button's environment is what repo2docker makes from binder/
alone, and every chapter ran in it, top to bottom, with the kernel in chapters/.

The environment is made by tools/notebooks.py (the first step of `make test`): a fresh
virtual environment without system site packages, binder/requirements.txt, then
binder/postBuild; and a kernel of it (camp-ashraf-binder) in which nbval re-executes every
chapter the site offers and compares each output with the book's. These tests check the
environment, how that kernel starts, and that nbval is given it."""
from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import ROOT

ENV = ROOT / "_build" / "binder-venv"


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
    if not (ENV / "pyvenv.cfg").exists():
        pytest.fail("no Binder environment: run `make test` (tools/notebooks.py makes it)")
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


def test_the_binder_kernel_starts_in_chapters_with_the_installed_analysis(monkeypatch):
    """The kernel nbval runs the chapters in (camp-ashraf-binder) is the Binder environment's
    python, in chapters/, and finds `analysis` and its data through the installed package,
    even when this process points PYTHONPATH and CAMP_ASHRAF_DATA elsewhere."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from notebooks import KERNEL, KERNEL_DIR, PROBE

    if not (KERNEL_DIR / "kernels" / KERNEL).exists():
        pytest.fail(f"no kernel {KERNEL}: run `make test` (tools/notebooks.py makes it)")
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests"))
    monkeypatch.setenv("CAMP_ASHRAF_DATA", str(ROOT / "no-such-folder"))
    km = KernelManager(kernel_name=KERNEL,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[
                           str(KERNEL_DIR / "kernels")]))
    km.start_kernel(cwd=str(ROOT / "tests"))  # nbval starts it in the notebook's folder
    try:
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=120)
        out = []
        reply = client.execute_interactive(
            PROBE, timeout=120,
            output_hook=lambda m: out.append(m["content"].get("text", "")))
        assert reply["content"]["status"] == "ok", reply["content"]
        client.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    where = json.loads("".join(out))
    assert Path(where["prefix"]) == ENV
    assert Path(where["cwd"]) == ROOT / "chapters"
    assert Path(where["analysis"]) == ROOT / "analysis" / "__init__.py"
    assert Path(where["data"]) == ROOT / "data"


def test_nbval_runs_every_chapter_in_the_binder_kernel_against_the_books_outputs(request):
    """`make test` gives nbval the site's executed notebooks (the book's outputs) and the
    Binder kernel: every chapter re-executes there and each output is compared."""
    from notebooks import KERNEL, NBVAL_ARGS

    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert " ".join(NBVAL_ARGS) in " ".join(recipe.replace("\\\n", " ").split()), \
        "make test does not run nbval with the Binder kernel"
    if request.config.option.nbval:
        assert request.config.option.nbval_kernel_name == KERNEL
    nbval = ROOT / "_build" / "nbval"
    chapters = notebook_chapters()
    assert sorted(p.name for p in nbval.glob("*.ipynb")) == sorted(
        p.stem + ".ipynb" for p in chapters), "tools/notebooks.py has not copied every chapter"
    for md in chapters:
        offered = ROOT / "_build" / "html" / "_sources" / "chapters" / f"{md.stem}.ipynb"
        compared = nbval / f"{md.stem}.ipynb"
        assert compared.read_bytes() == offered.read_bytes(), \
            f"{compared.name} is not the notebook the site offers"
        nb = json.loads(compared.read_text())
        assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), md.name
