"""Turn every chapter of the book into a Jupyter notebook and execute it standalone.

    python tools/notebooks.py [OUT_DIR]     (default: _build/nbval)

Each MyST Markdown chapter that has code cells is converted with jupytext, then executed
with nbclient from an empty temporary working directory (so it must find data/ on its own,
as a reader's copy would), and saved with its outputs. nbval then re-executes these files
and compares every output with the stored one (`make test`).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


def chapters() -> list[Path]:
    from build import notebook_pages

    return notebook_pages(ROOT)


def run_one(args: tuple[Path, Path]) -> tuple[str, float, str | None]:
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    src, out_dir = args
    nb = jupytext.read(src)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nb-cwd-") as cwd:
        client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": cwd}})
        try:
            client.execute()
        except CellExecutionError as err:
            return src.name, time.monotonic() - t0, str(err).splitlines()[-1]
    target = out_dir / (src.stem + ".ipynb")
    nbformat.write(nb, target)
    return src.name, time.monotonic() - t0, None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0]) if argv else ROOT / "_build" / "nbval"
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.ipynb"):
        old.unlink()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                             os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("PYTHONHASHSEED", "0")
    todo = chapters()
    print(f"==> executing {len(todo)} chapter notebooks standalone into {out_dir}", flush=True)
    failed = []
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for name, secs, err in pool.map(run_one, [(p, out_dir) for p in todo]):
            print(f"    {name}: {'FAILED: ' + err if err else 'ok'} ({secs:.1f} s)", flush=True)
            if err:
                failed.append(name)
    if failed:
        print(f"notebooks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
