"""Re-run one chapter: `python -m analysis run FILE [--output OUT]`.

FILE is a chapter as the repository stores it (MyST Markdown, chapters/*.md, read with
jupytext) or a notebook downloaded from the site (.ipynb). It is executed top to bottom in
the folder it lies in, with this environment's own Python kernel, and written with every
output to OUT (default: FILE's name with `-run.ipynb`, beside it). A cell that raises stops
the run with the chapter, the cell and the error, and exit status 1.

The kernel talks to this process over CurveZMQ-encrypted sockets (pyzmq ships libsodium), so
it prints no warning about unencrypted TCP, as `jupyter execute` would.
"""
from __future__ import annotations

import sys
from pathlib import Path

USAGE = "usage: python -m analysis run FILE.md|FILE.ipynb [--output OUT.ipynb]"


def kernel_options() -> dict:
    """nbclient options for an encrypted kernel connection, where pyzmq and jupyter_client
    support it (else none: the kernel then warns about plain TCP)."""
    import zmq
    from jupyter_client import KernelManager
    from traitlets.config import Config

    if not zmq.has("curve") or "transport_encryption" not in KernelManager.class_trait_names():
        return {}
    return {"config": Config({"KernelManager": {"transport_encryption": "auto"}})}


def read(path: Path):
    """The notebook of a chapter file: .ipynb as it is, anything else through jupytext."""
    import nbformat

    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    try:
        import jupytext
    except ImportError:
        raise SystemExit(f"{path}: reading a chapter's Markdown needs jupytext "
                         "(pip install jupytext), or run the chapter's .ipynb from the site")
    return jupytext.read(path)


def run(src: Path, out: Path | None = None, timeout: int = 600) -> Path:
    """Execute src (cwd: its folder) and write the executed notebook; returns its path."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    src = Path(src).resolve()
    out = Path(out) if out else src.with_name(src.stem + "-run.ipynb")
    if out.suffix != ".ipynb":
        out = out.with_name(out.name + ".ipynb")
    nb = read(src)
    # this environment's Python, whatever kernel the notebook names
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    # shutdown "immediate": once the last cell's outputs are in, the kernel is stopped
    # without its own clean-up, in which ipykernel at times logs a traceback from a socket
    # already closed ("Uncaught exception in ZMQStream callback"), seen under load
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(src.parent)}},
                            shutdown_kernel="immediate", **kernel_options())
    try:
        client.execute()
    except CellExecutionError as err:
        last = str(err).strip().splitlines()[-1]
        raise SystemExit(f"{src.name}: a cell failed: {last}")
    nbformat.write(nb, out)
    return out


def main(argv: list[str]) -> int:
    args = list(argv)
    out = None
    if "--output" in args:
        i = args.index("--output")
        if i + 1 >= len(args):
            print(USAGE, file=sys.stderr)
            return 2
        out = Path(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    src = Path(args[0])
    if not src.is_file():
        print(f"{src}: no such file ({USAGE})", file=sys.stderr)
        return 2
    written = run(src, out)
    print(f"executed {src} -> {written}")
    return 0
