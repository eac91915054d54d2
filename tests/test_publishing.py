"""The ways a reader reaches the book beyond a clone: the site published by a workflow, a
release with a DOI, the Binder button, the downloads (executed notebooks, the data package),
and every launch, download and repository link of the built site."""
from __future__ import annotations

import base64

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, serve, toc_docnames

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}


def tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else (shutil.which(name) or name)


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def workflow(name: str) -> dict:
    # PyYAML reads the key `on` as True
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


def uses(wf: dict) -> list[str]:
    return [s["uses"] for job in wf["jobs"].values() for s in job.get("steps", []) if "uses" in s]


def runs(wf: dict) -> str:
    return "\n".join(s.get("run", "") for job in wf["jobs"].values()
                     for s in job.get("steps", []))


# --- 1. workflows ---------------------------------------------------------------------------

def check_workflows(paths) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True, env={**os.environ, **OFFLINE})


def test_workflows_validate_offline_and_a_broken_one_is_rejected(tmp_path):
    assert {p.name for p in WORKFLOWS} == {"book.yml", "release.yml"}
    proc = check_workflows(WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("runs-on:", "runs_on:", 1))
    proc = check_workflows([broken])
    assert proc.returncode != 0 and "runs-on" in proc.stdout + proc.stderr


def test_book_workflow_builds_tests_and_deploys_main_only():
    wf = workflow("book.yml")
    assert wf["on"]["push"]["branches"] == ["main"] and "pull_request" in wf["on"]
    assert re.search(r"^make book$", runs(wf), re.M) and re.search(r"^make test$", runs(wf), re.M)
    steps = uses(wf)
    for action in ("actions/configure-pages", "actions/upload-pages-artifact",
                   "actions/deploy-pages", "actions/cache", "actions/checkout"):
        assert any(s.startswith(action + "@") for s in steps), action
    build = wf["jobs"]["build"]
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith(
        "actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert "pull_request" in upload["if"]
    deploy = wf["jobs"]["deploy"]
    assert "pull_request" in deploy["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    cache = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert "/var/cache/apt/archives" in cache["with"]["path"]
    assert wf["env"]["PIP_CACHE_DIR"] in cache["with"]["path"]


def test_release_workflow_publishes_pdf_data_and_notebooks(built_html, built_pdf):
    wf = workflow("release.yml")
    tags = wf["on"]["push"]["tags"]
    assert tags and all(t.startswith("v") for t in tags)
    text = runs(wf)
    assert re.search(r"^make book$", text, re.M) and re.search(r"^make test$", text, re.M)
    release = next(s for s in wf["jobs"]["release"]["steps"]
                   if s.get("uses", "").startswith("softprops/action-gh-release@"))
    files = release["with"]["files"]
    for kind in ("pdf", "data", "notebooks"):
        assert kind in files
    # the files the workflow copies exist in a built book
    for src in re.findall(r"\b_build/[\w./-]+", text):
        assert (ROOT / src).exists(), f"release.yml copies {src}, which a build does not make"
    assert list((built_html / "_sources" / "chapters").glob("*.ipynb"))


# --- 2. citable -----------------------------------------------------------------------------

def test_zenodo_metadata_agrees_with_citation_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    zen = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert zen["title"] == cff["title"]
    assert zen["version"] == cff["version"]
    assert zen["publication_date"] == str(cff["date-released"])
    assert [c["name"] for c in zen["creators"]] == [
        a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"]]
    assert zen["license"].lower() in [x.lower() for x in cff["license"]]
    assert "MIT" in cff["license"] and "MIT" in zen["notes"]
    assert zen["keywords"] == cff["keywords"]
    ids = [r["identifier"] for r in zen["related_identifiers"]]
    assert cff["repository-code"] in ids and cff["url"] in ids
    assert zen["upload_type"] == "publication" and zen["access_right"] == "open"


def test_addresses_agree():
    cfg = config()
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["repository-code"] == cfg["repository"]["url"]
    assert cff["url"] == cfg["html"]["baseurl"]
    data_page = (ROOT / "chapters" / "data.md").read_text(encoding="utf-8")
    sites = set(re.findall(r"https://[^\s\"')]+/data/", data_page))
    assert sites == {cfg["html"]["baseurl"] + "data/"}


def scratch_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "book"
    dest.mkdir()
    for name in ("CITATION.cff", ".zenodo.json", "pyproject.toml", "_config.yml", "Makefile",
                 "requirements.txt"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("chapters", "data", "tools"):
        shutil.copytree(ROOT / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "_static"))
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def make_release(book: Path, version: str, date: str = "2027-03-05"):
    return subprocess.run(["make", "-s", "release", f"VERSION={version}", f"DATE={date}",
                           f"PYTHON={sys.executable}"], cwd=book, capture_output=True,
                          text=True)


def snapshot(book: Path) -> dict:
    return {p: p.read_bytes() for p in book.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_make_release_sets_the_version_everywhere(tmp_path):
    book = scratch_copy(tmp_path)
    data_before = (book / "data" / "datapackage.json").read_bytes()
    proc = make_release(book, "1.4.0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cff = yaml.safe_load((book / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["version"] == "1.4.0" and str(cff["date-released"]) == "2027-03-05"
    zen = json.loads((book / ".zenodo.json").read_text(encoding="utf-8"))
    assert zen["version"] == "1.4.0" and zen["publication_date"] == "2027-03-05"
    assert 'version = "1.4.0"' in (book / "pyproject.toml").read_text()
    cfg = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    sph = cfg["sphinx"]["config"]
    assert (sph["release"], str(sph["version"]), sph["today"]) == ("1.4.0", "1.4", "5 March 2027")
    assert "Version 1.4.0 \\textperiodcentered{} 5 March 2027" in sph["latex_elements"]["maketitle"]
    assert cfg["copyright"] == "2027"
    pref = cff["preferred-citation"]
    assert (pref["version"], str(pref["date-released"])) == ("1.4.0", "2027-03-05")
    assert (pref["year"], pref["month"]) == (2027, 3)
    # the pages' citations are made from CITATION.cff: the released copy's say 1.4.0
    sys.path.insert(0, str(ROOT))
    from analysis.citation import citation
    entry = citation("book", book)["bibtex"]
    assert "@book{camp-ashraf-1.4.0," in entry and "note      = {Version 1.4.0}" in entry
    assert "date      = {2027-03-05}" in entry and "month     = mar" in entry
    log = (book / "chapters" / "changelog.md").read_text(encoding="utf-8")
    data_version = json.loads(data_before)["version"]
    assert re.search(rf"^## Book version 1\.4\.0 — 5 March 2027\n\n- Released with data "
                     rf"package version {re.escape(data_version)}\.", log, re.M)
    assert (book / "data" / "datapackage.json").read_bytes() == data_before
    # the tests that keep the metadata consistent hold on the released copy too
    assert zen["version"] == cff["version"] == sph["release"]


@pytest.mark.parametrize("version, why", [
    ("1.4", "not of the form X.Y.Z"),
    ("v1.4.0", "not of the form X.Y.Z"),
    ("1.04.0", "not of the form X.Y.Z"),
    ("0.9.9", "not greater than the current version"),
    ("CURRENT", "not greater than the current version"),
    ("TAGGED", "the git tag v2.0.0 exists"),
    ("LOGGED", "chapters/changelog.md has an entry"),
])
def test_make_release_refuses_a_bad_version_and_changes_nothing(tmp_path, version, why):
    book = scratch_copy(tmp_path)
    if version == "CURRENT":
        version = yaml.safe_load((book / "CITATION.cff").read_text())["version"]
    if version == "TAGGED":
        version = "2.0.0"
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(book)]
        subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "x"], check=True)
        subprocess.run(git + ["tag", "v2.0.0"], check=True)
    if version == "LOGGED":
        version = "3.0.0"
        log = book / "chapters" / "changelog.md"
        log.write_text(log.read_text() + "\n## Book version 3.0.0 — 1 January 2027\n")
    before = snapshot(book)
    proc = make_release(book, version)
    assert proc.returncode != 0
    assert "release refused" in proc.stderr and why in proc.stderr, proc.stderr
    assert snapshot(book) == before


# --- 3, 4. launch, download and repository links -------------------------------------------

def page_links(html: Path, docname: str) -> list[str]:
    text = (html / f"{docname}.html").read_text(encoding="utf-8")
    return re.findall(r'href="([^"]+)"', text)


def tracked_files() -> set[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else {
        p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()}


def test_every_launch_download_and_repository_link_leads_somewhere(built_html):
    cfg = config()
    repo = cfg["repository"]["url"].rstrip("/")
    branch = cfg["repository"]["branch"]
    owner_repo = repo.removeprefix("https://github.com/")
    tracked = tracked_files()
    assert "colab_url" not in cfg.get("launch_buttons", {})
    binder_seen = 0
    for doc in toc_docnames():
        for href in page_links(built_html, doc):
            assert "colab.research.google.com" not in href, f"{doc}: a Colab link: {href}"
            if href.startswith("https://mybinder.org/"):
                binder_seen += 1
                m = re.match(rf"https://mybinder\.org/v2/gh/{re.escape(owner_repo)}/"
                             rf"{re.escape(branch)}\?urlpath=lab/tree/(.+)$", href)
                assert m, f"{doc}: Binder link to another repository or branch: {href}"
                assert m.group(1) in tracked, f"{doc}: Binder opens {m.group(1)}, not in git"
            elif href.startswith(repo + "/"):
                rest = href[len(repo) + 1:]
                m = re.match(rf"(?:edit|blob)/{re.escape(branch)}/(.+)$", rest)
                if m:
                    assert m.group(1) in tracked, f"{doc}: {href} names a file not in git"
                else:
                    assert rest in ("issues/new?title=Issue%20on%20page%20%2F"
                                    + doc + ".html&body=Your%20issue%20content%20here.",) \
                        or rest.startswith("issues"), f"{doc}: unexpected link {href}"
            elif href.startswith("data:"):
                # a chart's rows, carried inside the page: a CSV with a header row
                head, _, body = href.partition(",")
                assert head == "data:text/csv;charset=utf-8;base64", f"{doc}: {head}"
                rows = base64.b64decode(body).decode("utf-8").splitlines()
                assert len(rows) >= 1 and "," in rows[0], f"{doc}: a data link holds no CSV"
            elif not re.match(r"^(https?:|mailto:|#)", href):
                target = (built_html / doc).parent / href.split("#")[0].split("?")[0]
                assert target.resolve().exists(), f"{doc}: link {href} leads nowhere"
    chapters_with_code = [d for d in toc_docnames()
                          if "```{code-cell}" in (ROOT / f"{d}.md").read_text(encoding="utf-8")]
    assert binder_seen >= len(chapters_with_code)
    for name in ("requirements.txt", "postBuild", "runtime.txt"):
        assert f"binder/{name}" in tracked or (ROOT / "binder" / name).exists()


# --- 7. executed downloads ------------------------------------------------------------------

def downloads(html: Path) -> dict[str, Path]:
    found = {}
    for doc in toc_docnames():
        for href in page_links(html, doc):
            if href.endswith(".ipynb"):
                found[doc] = ((html / doc).parent / href).resolve()
    return found


def sanitized(outputs) -> list:
    """Outputs as a reader sees them: types and data, with memory addresses masked."""
    out = []
    for o in outputs:
        item = {"type": o["output_type"], "name": o.get("name")}
        data = o.get("data", {"text": o.get("text", "")})
        item["data"] = {k: re.sub(r"0x[0-9a-fA-F]+", "0xADDRESS",
                                  v if isinstance(v, str) else "".join(v)
                                  if isinstance(v, list) else json.dumps(v, sort_keys=True))
                        for k, v in data.items()}
        out.append(item)
    return out


def code_outputs(nb: dict) -> list:
    return [sanitized(c.get("outputs", [])) for c in nb["cells"] if c["cell_type"] == "code"]


def test_every_downloaded_notebook_has_the_outputs_of_the_page(built_html):
    found = downloads(built_html)
    notebooks = [d for d in toc_docnames()
                 if "```{code-cell}" in (ROOT / f"{d}.md").read_text(encoding="utf-8")]
    assert sorted(found) == sorted(notebooks), "a chapter with code offers no .ipynb"
    for doc, path in found.items():
        nb = json.loads(path.read_text(encoding="utf-8"))
        outs = code_outputs(nb)
        assert any(outs), f"{doc}: the downloaded notebook has no outputs"
        text = json.dumps(nb)
        if "ch.figure" in (ROOT / f"{doc}.md").read_text(encoding="utf-8"):
            assert "chart-svg" in text and "application/pdf" in text, \
                f"{doc}: the download has no figure"
        if "{glue:" in (ROOT / f"{doc}.md").read_text(encoding="utf-8"):
            assert "application/papermill.record" in text or '"scrapbook"' in text, \
                f"{doc}: the download has no glued values"
        # that a fresh execution gives the same outputs is nbval's part: `make test` gives
        # it these downloads and the Binder environment's kernel (tests/test_binder.py)


def test_a_downloaded_notebook_re_executes_to_the_same_outputs(built_html, tmp_path):
    """Run the download as a reader with the book's environment would: `jupyter execute`
    in an empty folder."""
    doc = "chapters/intro"  # the quickest chapter with figures and glued values
    src = downloads(built_html)[doc]
    nb_path = tmp_path / "p4.ipynb"
    shutil.copyfile(src, nb_path)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([tool("jupyter"), "execute", "--output", "p4-run", str(nb_path)],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    again = json.loads((tmp_path / "p4-run.ipynb").read_text(encoding="utf-8"))
    offered = json.loads(src.read_text(encoding="utf-8"))
    assert any(code_outputs(again)), "jupyter execute gave no outputs"
    assert code_outputs(again) == code_outputs(offered)


# --- 6. the data package on the site --------------------------------------------------------

@pytest.fixture(scope="module")
def local_site(built_html):
    with serve(built_html) as url:
        yield url + "/"


def test_site_serves_the_data_package(built_html):
    pkg = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    names = ["datapackage.json"] + [r["path"] for r in pkg["resources"]]
    served = built_html / "data"
    for name in names:
        assert (served / name).read_bytes() == (ROOT / "data" / name).read_bytes(), name
    with zipfile.ZipFile(served / "camp-ashraf-data.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"{pkg['name']}/{n}" for n in names)
        for n in names:
            assert zf.read(f"{pkg['name']}/{n}") == (ROOT / "data" / n).read_bytes()
    page = (built_html / "chapters" / "data.html").read_text(encoding="utf-8")
    assert f"<strong>{pkg['version']}</strong>" in page
    assert pkg["licenses"][0]["title"] in page


def code_blocks(page: str, lang: str) -> list[str]:
    text = (ROOT / "chapters" / page).read_text(encoding="utf-8")
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def test_data_page_python_code_runs_against_the_site(local_site, tmp_path):
    base = config()["html"]["baseurl"]
    blocks = code_blocks("data.md", "python")
    assert len(blocks) == 2 and code_blocks("data.md", "r")
    for i, code in enumerate(blocks):
        script = tmp_path / f"snippet{i}.py"
        script.write_text(code.replace(base, local_site), encoding="utf-8")
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, f"data.md snippet {i}:\n{proc.stderr[-2000:]}"
        assert proc.stdout.strip()
    shell = code_blocks("data.md", "sh")[0].replace("\\\n", " ").strip()
    shell = shell.replace(base, local_site)
    assert shell.startswith("frictionless validate ")
    proc = subprocess.run([tool("frictionless"), *shell.split()[1:]], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
