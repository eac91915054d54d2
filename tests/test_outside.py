"""A chapter runs outside a clone: as a reader who only has the site would.

The built site is served on a loopback port. A chapter's notebook is downloaded from it into
a fresh folder outside the repository; the commands of its first cell (the site's address
replaced by the local one) make a fresh virtual environment there, install the site's
pinned requirements and the analysis wheel with one pip command, and execute the notebook.
Its outputs must be those the site offers, with no warning printed on the way.

pip installs from a wheelhouse (_build/wheelhouse): filled once from the package index
(`pip download`), it makes every later run offline and quick. The wheel and the requirements
themselves always come from the local site.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, serve
from test_publishing import code_outputs, config

CHAPTER = "chapters/p4-iraqi-control"
WHEELHOUSE = ROOT / "_build" / "wheelhouse"
WARNING = re.compile(r"warn|eavesdrop|traceback|error", re.I)


def fetch(url: str, dest: Path) -> Path:
    with urllib.request.urlopen(url, timeout=60) as resp:
        dest.write_bytes(resp.read())
    return dest


def first_cell_commands(nb: dict) -> list[str]:
    cell = nb["cells"][0]
    assert cell["cell_type"] == "markdown"
    text = "".join(cell["source"])
    block = re.search(r"^```sh\n(.*?)^```", text, re.S | re.M)
    assert block, "the first cell of a downloaded notebook shows no commands"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def pip_env(offline: bool) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CAMP_ASHRAF_DATA", "VIRTUAL_ENV", "PIP_FIND_LINKS",
                        "PIP_NO_INDEX", "JUPYTER_PATH", "PYTHONHOME")}
    env["PYTHONHASHSEED"] = "0"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_COMPILE"] = "1"   # modules compile when first imported; saves a third
    if offline:
        env["PIP_NO_INDEX"] = "1"
        env["PIP_FIND_LINKS"] = str(WHEELHOUSE)
    return env


def fill_wheelhouse(requirements: Path) -> None:
    """Download every pinned requirement once (needs the package index, or pip's cache)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    env = pip_env(offline=False)
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary",
                           ":all:", "-d", str(WHEELHOUSE), "-r", str(requirements)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def reader(built_html, tmp_path_factory):
    """A reader's folder outside the repository with the downloaded notebook and the
    environment its first cell makes."""
    home = tmp_path_factory.mktemp("reader")
    assert ROOT not in home.parents
    base = config()["html"]["baseurl"].rstrip("/")
    with serve(built_html) as url:
        name = Path(CHAPTER).name + ".ipynb"
        nb_path = fetch(f"{url}/_sources/{CHAPTER}.ipynb", home / name)
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        commands = first_cell_commands(nb)
        assert len(commands) == 3, commands
        venv, install, run = [c.replace(base, url) for c in commands]
        assert re.fullmatch(r"python3 -m venv (\S+)", venv), venv
        pip = install.split()
        assert pip[1:4] == ["install", "-r", f"{url}/python/requirements.txt"], install
        assert len(pip) == 5 and pip[4].startswith(f"{url}/python/") and pip[4].endswith(
            "-py3-none-any.whl"), "one pip install: the site's requirements and its wheel"
        reqs = fetch(f"{url}/python/requirements.txt", home / "site-requirements.txt")
        # the documented python3, where this machine has another first on PATH: the one
        # the book's environment was made with (a supported version)
        python = Path(getattr(sys, "_base_executable", sys.executable))
        steps = [venv.replace("python3 ", f"{python} ", 1)]
        proc = subprocess.run(["bash", "-c", steps[0]], cwd=home, env=pip_env(True),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run(["bash", "-c", install + " -q"], cwd=home, env=pip_env(True),
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:   # the wheelhouse lacks something: fill it, then again
            fill_wheelhouse(reqs)
            proc = subprocess.run(["bash", "-c", install + " -q"], cwd=home,
                                  env=pip_env(True), capture_output=True, text=True,
                                  timeout=900)
        assert proc.returncode == 0, f"`{install}` failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    env = pip_env(offline=True)
    return {"home": home, "notebook": nb_path, "run": run, "env": env,
            "python": home / venv.split()[-1] / "bin" / "python"}


def test_the_downloaded_notebook_runs_outside_a_clone_with_the_sites_outputs(reader):
    home = reader["home"]
    proc = subprocess.run(["bash", "-c", reader["run"]], cwd=home, env=reader["env"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    noisy = [line for line in (proc.stdout + proc.stderr).splitlines() if WARNING.search(line)]
    assert not noisy, f"`{reader['run']}` printed: {noisy}"
    out = home / (reader["notebook"].stem + "-run.ipynb")
    again = json.loads(out.read_text(encoding="utf-8"))
    offered = json.loads(reader["notebook"].read_text(encoding="utf-8"))
    assert any(code_outputs(again)), "the run gave no outputs"
    assert code_outputs(again) == code_outputs(offered), \
        "the notebook re-run outside a clone differs from the site's"
    charts = [o["data"]["text/html"] for c in again["cells"] for o in c.get("outputs", [])
              if "text/html" in o.get("data", {}) and "<svg" in "".join(o["data"]["text/html"])]
    assert charts, "the re-run drew no chart (no inline SVG among the outputs)"


PROBE = ("import analysis, json; print(json.dumps({'file': analysis.__file__, "
         "'data': str(analysis.data_dir())}))")


def test_the_installed_package_reads_its_own_copy_and_camp_ashraf_data(reader, built_html,
                                                                       tmp_path):
    python, env = str(reader["python"]), reader["env"]
    proc = subprocess.run([python, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    where = json.loads(proc.stdout)
    assert ROOT not in Path(where["file"]).parents, "analysis came from the repository"
    assert Path(where["data"]).parts[-3:] == ("analysis", "_book", "data")
    # the site's data zip, unpacked, through CAMP_ASHRAF_DATA: the chapter's citation too
    with zipfile.ZipFile(built_html / "data" / "camp-ashraf-data.zip") as zf:
        zf.extractall(tmp_path / "unzipped")
    folder = next((tmp_path / "unzipped").iterdir())
    code = ("from analysis.chapter import Chapter; from analysis.citation import cite_chapter;"
            " ch = Chapter('p4', glue=False); print(len(ch.events));"
            " print(cite_chapter('p4-iraqi-control').data[:60])")
    proc = subprocess.run([python, "-c", code], cwd=tmp_path,
                          env={**env, "CAMP_ASHRAF_DATA": str(folder)}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[0]) > 0 and "Cite this chapter" in proc.stdout
    # a folder without the data: one message naming the variable and the wheel
    proc = subprocess.run([python, "-c", "from analysis.load import load; load()"],
                          cwd=tmp_path, env={**env, "CAMP_ASHRAF_DATA": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "CAMP_ASHRAF_DATA" in last and "wheel" in last, last


def test_the_wheel_is_the_same_for_the_same_sources(built_html, tmp_path):
    from readerwheel import build_wheel, wheel_name

    site = built_html / "python" / wheel_name()
    assert build_wheel(tmp_path).read_bytes() == site.read_bytes()
    with zipfile.ZipFile(site) as zf:
        names = set(zf.namelist())
    for need in ("analysis/__init__.py", "analysis/_book/CITATION.cff",
                 "analysis/_book/_config.yml", "analysis/_book/references.bib",
                 "analysis/_book/data/datapackage.json", f"analysis/_book/{CHAPTER}.md"):
        assert need in names, need
