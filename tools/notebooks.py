"""Execute every chapter of the book as a Binder reader would, and keep the executed notebooks.

    python tools/notebooks.py [OUT_DIR]     (default: _build/nbval)

1. The Binder environment: a fresh virtual environment (no system site packages) made from
   what repo2docker reads and nothing else: `binder/requirements.txt`, then `binder/postBuild`
   run in the repository's folder. It is kept in _build/binder-venv and made again whenever
   binder/, requirements.txt or pyproject.toml change (a hash of them is stored beside it).
   Making it takes pip's time (about a minute); the first time it fills _build/wheelhouse
   from the package index (or pip's cache), later ones install offline from there.
   The environment also has JupyterLab with jupyterlab-myst (binder/requirements.txt), in
   which tests/test_binder_lab.py opens a chapter.
2. Every chapter (MyST Markdown, converted with jupytext) is executed with nbclient in that
   environment's own `python3` kernel, with the kernel's working directory in chapters/ as
   on Binder, and no PYTHONPATH or CAMP_ASHRAF_DATA: `analysis` and its data must be found
   through the installed package alone. A probe after the last cell checks where the kernel
   ran and which `analysis` it imported.
3. The executed notebooks are saved in OUT_DIR; nbval then re-executes them in the book's
   own environment and compares every output (`make test`), so the Binder environment must
   also reproduce the book's outputs exactly.
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


def run_one(args: tuple[Path, Path]) -> tuple[str, float, str | None, dict | None]:
    """Execute one chapter (inside the Binder environment), cwd chapters/."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from build import kernel_options  # encrypted kernel sockets, as the build's kernels

    src, out_dir = args
    nb = jupytext.read(src)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    t0 = time.monotonic()
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(src.parent)}},
                            **kernel_options())
    try:
        client.execute()
    except CellExecutionError as err:
        return src.name, time.monotonic() - t0, str(err).strip().splitlines()[-1], None
    probe = nb.cells.pop()
    where = json.loads("".join(o.get("text", "") for o in probe.outputs
                               if o.get("name") == "stdout"))
    nbformat.write(nb, out_dir / (src.stem + ".ipynb"))
    return src.name, time.monotonic() - t0, None, where


def execute_all(out_dir: Path) -> int:
    """Inside the Binder environment: execute every chapter, two at a time."""
    from concurrent.futures import ProcessPoolExecutor

    todo = chapters()
    say(f"executing {len(todo)} chapters in the Binder environment (cwd chapters/) "
        f"into {out_dir}")
    failed, report = [], {}
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for name, secs, err, where in pool.map(run_one, [(p, out_dir) for p in todo]):
            print(f"    {name}: {'FAILED: ' + err if err else 'ok'} ({secs:.1f} s)", flush=True)
            if err:
                failed.append(name)
            else:
                report[name] = where
    (out_dir / "binder-run.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    if failed:
        print(f"chapters that fail on Binder: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--inside":
        return execute_all(Path(argv[1]))
    out_dir = (Path(argv[0]) if argv else ROOT / "_build" / "nbval").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("*.ipynb"), out_dir / "binder-run.json"]:
        old.unlink(missing_ok=True)
    python = binder_env()
    env = clean_env(python.parent.parent)
    # the kernel is the environment's own python3 kernel (ipykernel's), not one installed
    # for the user elsewhere
    env["JUPYTER_PATH"] = str(python.parent.parent / "share" / "jupyter")
    subprocess.run([str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name",
                    "python3"], check=True, env=env, capture_output=True)
    return subprocess.run([str(python), str(Path(__file__).resolve()), "--inside",
                           str(out_dir)], env=env, cwd=ROOT / "chapters").returncode


if __name__ == "__main__":
    sys.exit(main())
