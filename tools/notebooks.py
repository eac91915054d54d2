"""Prepare nbval's run of every chapter in the Binder environment, against the book's outputs.

    python tools/notebooks.py [OUT_DIR]     (default: _build/nbval)
    python tools/notebooks.py --env-only    (steps 1 and 2 only: `make setup-test` runs it)

1. The Binder environment: a fresh virtual environment (no system site packages) made from
   what repo2docker reads and nothing else: `binder/requirements.txt`, then `binder/postBuild`
   run in the repository's folder. It is kept in _build/binder-venv and made again whenever
   binder/, requirements.txt or pyproject.toml change (a hash of them is stored beside it).
   Making it takes pip's time (about a minute); the first time it fills _build/wheelhouse
   from the package index (or pip's cache), later ones install offline from there.
   The environment also has JupyterLab with jupyterlab-myst (binder/requirements.txt), in
   which tests/test_binder_lab.py opens a chapter.
2. A Jupyter kernel of that environment, `camp-ashraf-binder`, written to
   _build/binder-kernel (tests/conftest.py puts it on JUPYTER_PATH when nbval asks for it).
   Its kernels start as on Binder: the working directory is chapters/, and PYTHONPATH and
   CAMP_ASHRAF_DATA are removed, so that `analysis` and its data are found through the
   installed package alone.
3. OUT_DIR receives the executed notebooks the site offers for download (the book's own
   outputs, from `make book`). `make test` then runs nbval on them with
   `--nbval-kernel-name camp-ashraf-binder`: every chapter is executed once more, in the
   Binder environment, and each output is compared with the book's.
   (Until December 2026 this script executed every chapter itself and nbval re-executed
   them in .venv: each chapter ran three times per `make test`, now twice.)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
ENV_DIR = ROOT / "_build" / "binder-venv"
ENV_INPUTS = ("binder", "requirements.txt", "pyproject.toml")
ENV_RECIPE = b"compiled at install"  # how the environment is made: a change makes it again
KERNEL = "camp-ashraf-binder"  # the Binder environment's kernel, for nbval
KERNEL_DIR = ROOT / "_build" / "binder-kernel"  # a JUPYTER_PATH entry holding only that kernel
# How that kernel starts (python -c): in chapters/, without the variables a Binder session
# does not have; then ipykernel as usual. argv[1] is the chapters folder.
KERNEL_START = (
    "import os, sys\n"
    "os.chdir(sys.argv.pop(1))\n"
    "os.environ.pop('CAMP_ASHRAF_DATA', None)\n"
    "for p in os.environ.pop('PYTHONPATH', '').split(os.pathsep):\n"
    "    p and p in sys.path and sys.path.remove(p)\n"
    "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n")
# nbval's options in `make test` (the Makefile spells them out; tools/bench.py uses these)
NBVAL_ARGS = ("--nbval", "--nbval-kernel-name", KERNEL,
              "--nbval-sanitize-with", "tests/nbval-sanitize.cfg")
# What a chapter's kernel sees (tests/test_binder.py runs it the way the kernel starts)
PROBE = ("import sys, os, json, analysis\n"
         "print(json.dumps({'prefix': sys.prefix, 'cwd': os.getcwd(),"
         " 'analysis': analysis.__file__, 'data': str(analysis.data_dir())}))")


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def chapters() -> list[Path]:
    from build import notebook_pages

    return notebook_pages(ROOT)


def clean_env(venv: Path) -> dict:
    """The environment of a Binder session: the venv first on PATH, nothing pointing at the
    repository (PYTHONPATH) or at another copy of the data."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CAMP_ASHRAF_DATA", "VIRTUAL_ENV", "PYTHONHOME",
                        "JUPYTER_PATH", "PYTHONSTARTUP")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def binder_env(venv: Path = ENV_DIR, root: Path = ROOT) -> Path:
    """Make (or reuse, when its inputs are unchanged) the Binder environment; returns its
    python. Only binder/requirements.txt and binder/postBuild are used, as repo2docker does."""
    from bookext import files_hash

    digest = files_hash(root, ENV_INPUTS, seed=ENV_RECIPE)
    stamp = venv / "binder-inputs.sha256"
    python = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == digest and python.exists():
        say(f"Binder environment up to date: {venv.relative_to(root)}")
        return python
    t0 = time.monotonic()
    say(f"making the Binder environment from binder/ alone: {venv.relative_to(root)} "
        "(a minute or two; kept until binder/ or requirements.txt change)")
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    env = clean_env(venv)
    reqs = root / "binder" / "requirements.txt"
    pip_install(python, reqs, env, root)
    proc = subprocess.run(["bash", str(root / "binder" / "postBuild")], env=env, cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        raise SystemExit("making the Binder environment failed at: binder/postBuild")
    stamp.write_text(digest)
    say(f"Binder environment made in {time.monotonic() - t0:.0f} s")
    return python


def pip_install(python: Path, reqs: Path, env: dict, root: Path = ROOT) -> None:
    """pip install -r reqs, offline from the wheelhouse (_build/wheelhouse) when it holds
    every pinned package; else the wheelhouse is filled first (`pip wheel`: needs the package
    index, or pip's cache, once), so that the next environment installs without a network.
    Modules are compiled at install, as on Binder: with PYTHONDONTWRITEBYTECODE set (as on
    some machines, this one included) nothing compiled on import is kept, and each of the 19
    kernels then compiled pandas and matplotlib again, 9-10 s a chapter instead of 2-3."""
    wheelhouse = root / "_build" / "wheelhouse"
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
               "--no-index", "--find-links", str(wheelhouse), "-r", str(reqs)]
    if wheelhouse.is_dir() and subprocess.run(install, env=env, cwd=root,
                                               capture_output=True).returncode == 0:
        return
    say(f"filling {wheelhouse.relative_to(root)} with the pinned packages (once; needs the "
        "package index or pip's cache)")
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for step in ([str(python), "-m", "pip", "wheel", "-q", "--disable-pip-version-check",
                  "-w", str(wheelhouse), "-r", str(reqs)], install):
        proc = subprocess.run(step, env=env, cwd=root, capture_output=True, text=True)
        if proc.returncode != 0:  # the output only when it failed (pip is chatty)
            print(proc.stdout + proc.stderr, file=sys.stderr)
            raise SystemExit(f"making the Binder environment failed at: {' '.join(step)}")


def run_one(src: Path) -> tuple[str, float, str | None]:
    """Execute one chapter with the current environment's python3 kernel, in chapters/, and
    time it (tools/bench.py): its name, seconds, and the error's last line if it failed."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from build import kernel_options  # encrypted kernel sockets, as the build's kernels

    nb = jupytext.read(src)
    t0 = time.monotonic()
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(src.parent)}},
                            **kernel_options())
    try:
        client.execute()
    except CellExecutionError as err:
        return src.name, time.monotonic() - t0, str(err).strip().splitlines()[-1]
    return src.name, time.monotonic() - t0, None


def write_kernel(python: Path, kernel_dir: Path = KERNEL_DIR) -> Path:
    """The Binder environment's kernel spec (see KERNEL_START), in a folder of its own."""
    spec = kernel_dir / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    env = clean_env(python.parent.parent)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-c", KERNEL_START, str(ROOT / "chapters"),
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (Binder environment of camp-ashraf)",
        "language": "python",
        "env": {k: env[k] for k in ("PATH", "VIRTUAL_ENV", "PYTHONHASHSEED")},
    }, indent=1))
    return spec


def site_notebooks(html: Path = ROOT / "_build" / "html") -> dict[str, Path]:
    """The executed notebook the site offers for each chapter with code."""
    found = {}
    for md in chapters():
        nb = html / "_sources" / md.relative_to(ROOT).with_suffix(".ipynb")
        if not nb.exists():
            raise SystemExit(f"{nb.relative_to(ROOT)} is missing: the site offers no executed "
                             f"notebook for {md.relative_to(ROOT)}; run `make book` first")
        found[md.stem] = nb
    return found


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--env-only"]:   # `make setup-test`: the install step, before any build
        spec = write_kernel(binder_env())
        say(f"kernel {KERNEL} (the Binder environment, in chapters/): {spec.relative_to(ROOT)}")
        return 0
    out_dir = (Path(argv[0]) if argv else ROOT / "_build" / "nbval").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("*.ipynb"), out_dir / "binder-run.json"]:
        old.unlink(missing_ok=True)
    notebooks = site_notebooks()  # before the environment: a missing build fails at once
    python = binder_env()
    spec = write_kernel(python)
    say(f"kernel {KERNEL} (the Binder environment, in chapters/): {spec.relative_to(ROOT)}")
    for stem, nb in notebooks.items():
        shutil.copyfile(nb, out_dir / f"{stem}.ipynb")
    say(f"{len(notebooks)} executed notebooks of the site copied into {out_dir}: nbval "
        f"re-executes each with kernel {KERNEL} and compares every output with the book's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
