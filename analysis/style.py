"""One style for every figure of the book.

Palette: Okabe and Ito's colour-blind-safe set. Each controller of Camp Ashraf has one fixed
colour and one hatch pattern across the whole book, so charts stay readable in greyscale
print; each kind of source has a fixed marker shape.

Output: vector only. Figures are displayed as SVG (for HTML) and PDF (for LaTeX), with fixed
SVG ids and PDF dates so a re-run produces identical bytes (nbval compares them).
"""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # no GUI; the notebook's display formatter does the showing
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}

CONTROLLERS = {  # id -> (label, colour, hatch); the one place a controller's look is set
    "mek": ("MEK base granted by Iraq", OKABE_ITO["orange"], ""),
    "us_forces": ("US forces", OKABE_ITO["blue"], "//"),
    "iraqi_government": ("Iraqi government", OKABE_ITO["green"], ".."),
    "isis": ("ISIS", OKABE_ITO["black"], "xx"),
    "badr_pmf": ("Badr Organization / PMF", OKABE_ITO["purple"], "\\\\"),
    "unknown": ("Unknown", "#DDDDDD", "??"),
}

SOURCE_MARKERS = {  # source class -> (marker, colour)
    "UN": ("o", OKABE_ITO["blue"]),
    "NGOs": ("s", "#882255"),   # Tol's wine: no controller's colour
    "Academic and courts": ("*", OKABE_ITO["sky"]),
    "Press": ("^", OKABE_ITO["black"]),
    "Encyclopedia": ("P", OKABE_ITO["grey"]),
    "Governments": ("D", "#999933"),   # Tol's olive: no controller's colour
    # the casualty charts split the governments; "officials", as the Iraqi figures come from
    # ministers, police, a governor and anonymous security sources, not all from the government
    "Iraqi officials": ("D", "#999933"),
    "US government": ("p", "#661100"),   # Tol's dark brown
    "Other governments": ("h", "#44AA99"),   # Tol's teal
    "MEK / NCRI": ("v", OKABE_ITO["orange"]),
    "Iranian-state-aligned": ("X", "#332288"),   # Tol's indigo: not Badr's purple
    "Other": (".", OKABE_ITO["grey"]),
}

PLACES = {"ashraf": "Camp Ashraf", "liberty": "Camp Liberty", "ashraf3": "Ashraf 3 (Albania)",
          "elsewhere": "Elsewhere", "iraq": "Iraq"}
PLACE_MARKERS = {"ashraf": "o", "liberty": "s", "ashraf3": "^", "iraq": "D", "elsewhere": "D"}
# Places are told apart by their markers, in one dark grey: no hue of a controller's (the
# vermillion and sky blue used before read as the MEK's orange and the US forces' blue), so a
# chart of residents by place cannot be read as a chart of who held the camp. The camps'
# counts barely overlap in time (Ashraf to 2013, Liberty 2012-2016, Ashraf 3 from 2016).
PLACE_COLOURS = {"ashraf": "#5A5A5A", "liberty": "#5A5A5A", "ashraf3": "#5A5A5A",
                 "iraq": OKABE_ITO["grey"], "elsewhere": OKABE_ITO["grey"]}

WIDTH = 6.3  # inches: about the text width of the PDF, so figures print at their own size
RC = {
    "figure.figsize": (WIDTH, 3.2),
    "figure.dpi": 100,
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "hatch.linewidth": 0.6,
    "svg.fonttype": "none",     # text stays text in SVG: smaller, searchable, selectable
    "svg.hashsalt": "camp-ashraf",
    "pdf.fonttype": 3,          # Type 3 subsets: three times faster to write than TrueType
    "path.simplify": True,
}


def apply() -> None:
    """Set the book's matplotlib style and deterministic output: figures carry the data
    package's date, not the day they were drawn nor the build's release date, so that the
    book's build, Binder, a downloaded notebook and nbval all draw identical figures. (Only
    this kernel's SOURCE_DATE_EPOCH is set; the PDF's own date is the build's.)"""
    os.environ["SOURCE_DATE_EPOCH"] = _data_epoch()
    plt.rcParams.update(RC)


def _data_epoch() -> str:
    import datetime as dt
    import json

    from . import data_dir

    try:
        created = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))[
            "created"]
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except (OSError, KeyError, ValueError):
        return "0"
    return str(int(when.timestamp()))


def use_vector_output() -> None:
    """In a notebook: show figures as SVG (HTML) and PDF (LaTeX), nothing raster."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: nothing to configure
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg", "pdf")


def controller_label(cid: str) -> str:
    return CONTROLLERS.get(cid, (cid,))[0]


def controller_colour(cid: str) -> str:
    return CONTROLLERS.get(cid, ("", OKABE_ITO["grey"]))[1]


def controller_hatch(cid: str) -> str:
    return CONTROLLERS.get(cid, ("", "", ""))[2]
