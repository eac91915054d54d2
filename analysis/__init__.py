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

PACKAGE = Path(__file__).resolve().parent
# The wheel the site offers (tools/readerwheel.py) carries a copy of what the package reads besides
# its own code, in analysis/_book/: data/, CITATION.cff, _config.yml, references.bib and the
# chapters' sources (their titles and which chapter shows which period).
BUNDLED = PACKAGE / "_book"
ENV_VAR = "CAMP_ASHRAF_DATA"
WHEEL_HINT = ("install the analysis wheel the site offers, which carries the data (the Re-run "
              "page of the book gives the one pip command)")


def _book_root() -> Path:
    """The folder of the book: the clone this package sits in (an editable install, or the
    repository on sys.path), else the copy a wheel carries."""
    clone = PACKAGE.parent
    if (clone / "data" / "datapackage.json").is_file() or not BUNDLED.is_dir():
        return clone
    return BUNDLED


ROOT = _book_root()


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The data folder: an explicit path, else $CAMP_ASHRAF_DATA, else the book's data/ (the
    clone's, or the copy in the installed wheel).

    Found from the package's own location, so notebooks run from any working directory. A
    folder without datapackage.json raises FileNotFoundError naming CAMP_ASHRAF_DATA and the
    wheel.
    """
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    folder = Path(env) if env else ROOT / "data"
    if not (folder / "datapackage.json").is_file():
        where = (f"{ENV_VAR}={env} names a folder without datapackage.json" if env else
                 f"no data package at {folder} (datapackage.json is missing) and {ENV_VAR} "
                 f"is not set")
        raise FileNotFoundError(
            f"{where}: set {ENV_VAR} to a folder holding the book's data (data/ of a clone, "
            f"or the site's camp-ashraf-data.zip unpacked), or {WHEEL_HINT}")
    return folder
