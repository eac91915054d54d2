"""Where it happened: the locator map of Camp Ashraf, Camp Liberty and Ashraf 3.

Boundaries: Natural Earth's Admin 0 countries at 1:50m (public domain), as redistributed in
TopoJSON by the npm package ``world-atlas`` 2.0.2 (countries-50m.json, Natural Earth 4.1.0).
``extract`` cuts the countries of the map's window out of that file into
``data/naturalearth-boundaries.csv`` (coordinates to 0.01°), so the book ships only what it
draws and needs no download at run time:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m analysis.geo extract package/countries-50m.json data/naturalearth-boundaries.csv

Places: ``data/places.csv`` (place, name, lat, lon, source, precision), each with its source in
references.bib. The map is drawn with matplotlib alone (no cartopy), in an equirectangular
projection whose aspect is corrected for the latitude, as a vector figure.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, Polygon, Rectangle

from . import data_dir, style

# The map's window (lon_min, lat_min, lon_max, lat_max): Albania to eastern Iran.
WINDOW = (16.0, 24.0, 64.0, 45.5)
# The region around the camp: Baghdad, Baquba, al-Khalis and the Iranian border.
REGION = (43.7, 32.9, 45.9, 34.5)
HIGHLIGHT = {"368": "Iraq", "364": "Iran", "008": "Albania"}
CONTEXT_STEP = 0.08  # degrees: the detail kept for the other countries
BOUNDARIES = "naturalearth-boundaries.csv"
PLACES = "places.csv"
PRECISION = ("exact", "site", "town", "approximate")
APPROX_KM = 30  # radius of the circle drawn around an approximate place


# --- extracting the boundaries from world-atlas ------------------------------------------

def _decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def _ring(arcs, indexes) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i in indexes:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(pts if not out else pts[1:])
    return out


def clip_ring(ring, box) -> list[tuple[float, float]]:
    """A polygon ring clipped to a rectangle (Sutherland–Hodgman)."""
    x0, y0, x1, y1 = box
    edges = [(lambda p: p[0] >= x0, lambda a, b: _cross_x(a, b, x0)),
             (lambda p: p[0] <= x1, lambda a, b: _cross_x(a, b, x1)),
             (lambda p: p[1] >= y0, lambda a, b: _cross_y(a, b, y0)),
             (lambda p: p[1] <= y1, lambda a, b: _cross_y(a, b, y1))]
    pts = list(ring)
    for inside, cross in edges:
        if not pts:
            break
        out = []
        prev = pts[-1]
        for cur in pts:
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
            prev = cur
        pts = out
    return pts


def _cross_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def _thin(ring, step: float):
    """Drop the vertices closer than ``step`` degrees to the last one kept (the countries
    around the three that matter are context and need less detail)."""
    if step <= 0:
        return ring
    out = [ring[0]]
    for p in ring[1:-1]:
        if abs(p[0] - out[-1][0]) + abs(p[1] - out[-1][1]) >= step:
            out.append(p)
    return out + [ring[-1]]


def extract(topojson: Path, out: Path, box=WINDOW, digits: int = 2) -> int:
    """Write the countries of ``box`` (clipped to it) from a world-atlas TopoJSON file as a
    CSV of polygon vertices (country, iso_n3, part, vertex, lon, lat); returns the number of
    countries written."""
    topo = json.loads(Path(topojson).read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = ([g["arcs"]] if g["type"] == "Polygon" else
                 g["arcs"] if g["type"] == "MultiPolygon" else [])
        rings_out = []
        for poly in polys:
            outer = clip_ring(_ring(arcs, poly[0]), box)
            if len(outer) < 3:
                continue
            step = 0.0 if (g.get("id") or "") in HIGHLIGHT else CONTEXT_STEP
            rounded = [[round(x, digits), round(y, digits)] for x, y in _thin(outer, step)]
            dedup = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
            if len(dedup) >= 3:
                rings_out.append([dedup + [dedup[0]]])
        if rings_out:
            features.append({"type": "Feature",
                             "properties": {"name": g["properties"]["name"],
                                            "iso_n3": g.get("id") or ""},
                             "geometry": {"type": "MultiPolygon", "coordinates": rings_out}})
    features.sort(key=lambda f: f["properties"]["name"])
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["country", "iso_n3", "part", "vertex", "lon", "lat"])
        for f in features:
            for part, poly in enumerate(f["geometry"]["coordinates"], start=1):
                for vertex, (lon, lat) in enumerate(poly[0], start=1):
                    w.writerow([f["properties"]["name"], f["properties"]["iso_n3"], part,
                                vertex, f"{lon:.{digits}f}", f"{lat:.{digits}f}"])
    return len(features)


# --- reading ------------------------------------------------------------------------------

def countries(folder: Path | None = None) -> list[dict]:
    """The countries of data/naturalearth-boundaries.csv as GeoJSON-like features (one
    polygon per part, each a closed ring of (lon, lat))."""
    path = data_dir(folder) / BOUNDARIES
    feats: dict[tuple[str, str], dict[int, list]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for n, r in enumerate(csv.DictReader(fh), start=2):
            try:
                pt = (float(r["lon"]), float(r["lat"]))
                part = int(r["part"])
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError(f"{path.name}, row {n}: {err}; expected country, iso_n3, "
                                 "part (integer), lon and lat (decimal degrees)") from err
            feats.setdefault((r["country"], r["iso_n3"]), {}).setdefault(part, []).append(pt)
    return [{"type": "Feature", "properties": {"name": name, "iso_n3": iso},
             "geometry": {"type": "MultiPolygon",
                          "coordinates": [[ring] for _, ring in sorted(parts.items())]}}
            for (name, iso), parts in feats.items()]


def places(folder: Path | None = None) -> pd.DataFrame:
    """data/places.csv, checked: every row has a name, a latitude and longitude in range, a
    source and a known precision."""
    path = data_dir(folder) / PLACES
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    problems = []
    for n, r in enumerate(rows, start=2):
        for col in ("place", "name", "lat", "lon", "source", "precision"):
            if not (r.get(col) or "").strip():
                problems.append(f"{path.name}, row {n}, field '{col}': empty; expected a value")
        try:
            lat, lon = float(r["lat"]), float(r["lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{path.name}, row {n}: lat/lon '{r.get('lat')}', '{r.get('lon')}' "
                            "are not decimal degrees (lat −90 to 90, lon −180 to 180)")
        if r.get("precision") and r["precision"] not in PRECISION:
            problems.append(f"{path.name}, row {n}, field 'precision': '{r['precision']}'; "
                            f"expected one of {', '.join(PRECISION)}")
    if problems:
        raise ValueError("\n".join(problems))
    df = pd.DataFrame(rows)
    return df.astype({"lat": float, "lon": float})


# --- drawing ------------------------------------------------------------------------------

MARKERS = {"ashraf": ("o", style.OKABE_ITO["vermillion"]),
           "liberty": ("s", style.OKABE_ITO["blue"]),
           "ashraf3": ("^", style.OKABE_ITO["blue"]),
           "baghdad": ("*", "black"), "baquba": (".", "black"), "al-khalis": (".", "black")}
LABEL_OFFSETS = {  # points, per panel: keeps labels off each other
    "overview": {"ashraf": (6, 4), "baghdad": (6, -8), "ashraf3": (6, -3)},
    "region": {"ashraf": (7, 3), "liberty": (-7, -9), "baghdad": (7, 3), "baquba": (7, -4),
               "al-khalis": (-6, 3)},
}


def _draw_countries(ax, feats, box, lw) -> None:
    for f in feats:
        hl = f["properties"]["iso_n3"] in HIGHLIGHT
        for poly in f["geometry"]["coordinates"]:
            ax.add_patch(Polygon(poly[0], closed=True, lw=lw, zorder=1 if not hl else 2,
                                 facecolor="#EFE8D8" if hl else "#F4F4F4",
                                 edgecolor="#555555" if hl else "#BBBBBB"))
    x0, y0, x1, y1 = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    ax.set_facecolor("#DCEBF5")   # sea and lakes; land is drawn over it
    ax.tick_params(labelsize=7, length=2)
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_color("#777777")


def _label_countries(ax, feats, box) -> None:
    where = {"Iraq": (42.6, 30.9), "Iran": (56.0, 31.0)}
    for name, (x, y) in where.items():
        if box[0] < x < box[2] and box[1] < y < box[3]:
            ax.text(x, y, name.upper(), fontsize=7.5, color="#555555", ha="center",
                    va="center", style="italic", zorder=3)


def _draw_places(ax, pl: pd.DataFrame, which: list[str], panel: str) -> None:
    for r in pl[pl["place"].isin(which)].itertuples(index=False):
        if r.precision == "approximate" and panel == "region":
            # the uncertainty of a point placed from a description: a circle of about 30 km
            ax.add_patch(Ellipse((r.lon, r.lat), 2 * APPROX_KM / (111.32 * math.cos(
                math.radians(r.lat))), 2 * APPROX_KM / 110.57, fill=False, ls="--", lw=0.8,
                ec=MARKERS.get(r.place, ("o", "black"))[1], zorder=4))
        marker, colour = MARKERS.get(r.place, ("o", "black"))
        ax.scatter([r.lon], [r.lat], marker=marker, s=34 if marker != "." else 30,
                   color=colour, edgecolor="white" if marker != "." else colour, lw=0.6,
                   zorder=5)
        dx, dy = LABEL_OFFSETS[panel].get(r.place, (5, 2))
        ax.annotate(r.name, (r.lon, r.lat), xytext=(dx, dy), textcoords="offset points",
                    fontsize=7.5, ha="left" if dx >= 0 else "right", va="center", zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.8})


def locator_map(feats: list[dict] | None = None, pl: pd.DataFrame | None = None) -> Figure:
    """Two panels: Albania to Iran with the camps and Baghdad (the region around the camp
    framed), and that region with Camp Ashraf, Camp Liberty, Baghdad, Baquba and al-Khalis."""
    style.apply()
    feats = countries() if feats is None else feats
    pl = places() if pl is None else pl
    fig = Figure(figsize=(style.WIDTH, 2.75), layout="constrained")
    big, small = fig.subplots(1, 2, width_ratios=[1.75, 1])
    _draw_countries(big, feats, WINDOW, 0.5)
    _label_countries(big, feats, WINDOW)
    _draw_places(big, pl, ["ashraf", "baghdad", "ashraf3"], "overview")
    x0, y0, x1, y1 = REGION
    big.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=0.9, ec="black",
                            zorder=4))
    big.set_title("Albania, Iraq and Iran", fontsize=8.5)
    region = [f for f in feats if f["properties"]["iso_n3"] in ("368", "364")]
    _draw_countries(small, region, REGION, 0.8)
    small.text(45.62, 33.75, "IRAN", fontsize=7.5, color="#555555", style="italic",
               ha="center", zorder=3)
    small.text(44.05, 34.3, "IRAQ", fontsize=7.5, color="#555555", style="italic",
               ha="center", zorder=3)
    _draw_places(small, pl, ["ashraf", "liberty", "baghdad", "baquba"], "region")
    small.set_title("The region around the camp", fontsize=8.5)
    for ax in (big, small):
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}°E")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}°N")
    small.xaxis.set_major_locator(_Step(1.0))
    small.yaxis.set_major_locator(_Step(0.5))
    return fig


def locator_chart():
    """The map as the introduction shows it (see ``figdata.Chart``), its alt text made from
    the places it draws."""
    from .figdata import Chart

    pl = places()
    names = dict(zip(pl["place"], pl["name"]))
    approx = [n for p, n in names.items() if p in ("ashraf",)]
    alt = ("Two maps. The left one spans from Albania to eastern Iran and marks "
           + ", ".join(names[p] for p in ("ashraf", "baghdad", "ashraf3") if p in names)
           + ", with a frame around the region of the camp; the right map shows that region: "
           + ", ".join(names[p] for p in ("ashraf", "liberty", "baghdad", "baquba")
                       if p in names) + "."
           + (f" The position of {approx[0]} is approximate (a dashed circle)." if approx else ""))
    return Chart(locator_map(None, pl), "intro-map", alt)


def _Step(step: float):
    from matplotlib.ticker import MultipleLocator

    return MultipleLocator(step)


def map_data(pl: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows the map draws: every place with its coordinates and source."""
    pl = places() if pl is None else pl
    return pl[["place", "name", "lat", "lon", "precision", "source"]].reset_index(drop=True)


def figure_data() -> None:
    """Under the map: the places it draws as a CSV download and a collapsed table."""
    from .figdata import Block

    Block(map_data(), "intro-map", "the places and the sources of their coordinates").show()


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "extract":
        n = extract(Path(argv[1]), Path(argv[2]))
        print(f"wrote {n} countries to {argv[2]}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
