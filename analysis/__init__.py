"""Camp Ashraf, an executable history: the analysis package.

One concern per module:
- ``load``      read data/ with explicit types from datapackage.json; reject bad values
- ``validate``  frictionless plus the rules across fields and tables (``python -m analysis validate``)
- ``derive``    low / best / high from claims, totals, control at a date, claims by source type
- ``style``     the palette, fixed colours per controller, figure output settings
- ``plot``      the book's charts (each returns a matplotlib Figure)
- ``text``      escaping and formatting of data for MyST output (tables, notes)
- ``chapter``   what a chapter notebook calls: glue its numbers, draw its figures
- ``codebook``  the data codebook page, generated from datapackage.json

Chapters import this package; it never imports a notebook.
"""
from pathlib import Path
import os

ROOT = Path(__file__).resolve().parent.parent


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The data folder: an explicit path, else $CAMP_ASHRAF_DATA, else data/ beside this package.

    Found from the package's own location, so notebooks run from any working directory.
    """
    if path is not None:
        return Path(path)
    env = os.environ.get("CAMP_ASHRAF_DATA")
    return Path(env) if env else ROOT / "data"
