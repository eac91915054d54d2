"""The charts themselves, without a build: labels that never overlap (measured by the
renderer), alt text made from the data each chart draws, the range of every chart against
its caption, links from the event marks to the register, and inline SVG that is
deterministic, self-contained and legible on a phone."""
from __future__ import annotations

import base64
import math
import re
from itertools import combinations

import pandas as pd
import pytest

from conftest import ROOT, figure_cells, period_chapters, toc_docnames

PERIODS = [f"p{i}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def book():
    from analysis.chapter import Overview

    return Overview(glue=False)


@pytest.fixture(scope="module")
def data(book):
    return book.data


def chapter(pid, data):
    from analysis.chapter import Chapter

    return Chapter(pid, data=data, glue=False)


_DRAWN: dict = {}


def drawn(pid, kind, data):
    """The chart `kind` (control, casualty, population) of period `pid`, drawn once per
    dataset for the whole file: no test changes a chart it is given, and a test that
    changes the data draws its own."""
    key = (pid, kind, id(data))
    if key not in _DRAWN:
        _DRAWN[key] = (data, getattr(chapter(pid, data), f"{kind}_figure")())
    return _DRAWN[key][1]


def drawn_overview(kind, book):
    """The whole book's chart `kind`, drawn once (as `drawn`)."""
    key = ("overview", kind, id(book))
    if key not in _DRAWN:
        _DRAWN[key] = (book, getattr(book, f"{kind}_figure")())
    return _DRAWN[key][1]


def overlaps(fig) -> list[tuple[str, str]]:
    """Pairs of texts of a figure whose drawn boxes intersect (tick labels, annotations,
    labels in the band, the legend's entries), as the renderer measures them."""
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    # the text's own box: an annotation's window extent would also hold its leader line
    boxes = [(t.get_text(), Text.get_window_extent(t, renderer)) for t in texts]
    return [(a, b) for (a, ba), (b, bb) in combinations(boxes, 2)
            if ba.width and bb.width and ba.overlaps(bb)]


def test_the_overlap_measure_can_fail():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.annotate("handover", (0.5, 0.5), rotation=90)
    ax.annotate("raid", (0.501, 0.5), rotation=90)
    assert ("handover", "raid") in overlaps(fig)


def test_whole_book_timeline_labels_never_overlap(book):
    chart = drawn_overview("control", book)
    for fig in (chart.fig, chart.narrow):   # the wide layout and the phone's
        assert overlaps(fig) == []
        labels = [t.get_text() for t in fig.axes[0].texts]
        # every change of control inside the window is labelled (2009 has three, 2013-15 three)
        starts = book.data.spells["start_date"]
        assert sum(re.split(r" \(|, ", lbl)[0] in ("handover", "raid", "emptied", "agreement",
                                                    "to ISIS", "to Badr/PMF")
                   for lbl in labels) == int(((starts > book.start) & (starts <= book.end)).sum())
        # a capture names who took the site (the band's colour may be too pale to tell)
        assert {"to ISIS, one source", "to Badr/PMF, one source"} <= set(labels), labels
        # a change of control known from one source only is labelled so, not stated flatly
        single = book.data.spells[book.data.spells["status"].astype("string") == "single_source"]
        assert sum(lbl.endswith(", one source") for lbl in labels) == len(single) > 0


def test_a_change_known_from_one_source_is_labelled_so():
    from analysis.labels import began_label
    assert began_label("capture", "single_source") == "captured, one source"
    assert began_label("capture", "attested") == "captured"
    assert began_label("relocation", "inferred") == "emptied"


@pytest.mark.parametrize("pid", PERIODS)
def test_chapter_timeline_labels_never_overlap(pid, data):
    chart = drawn(pid, "control", data)
    assert overlaps(chart.fig) == [] and overlaps(chart.narrow) == []


# --- alt text -----------------------------------------------------------------------------

def test_alt_text_names_every_attack_drawn_and_no_other_event(data):
    from analysis import derive

    attacks = set(derive.attacks(data.events)["event_id"])
    others = data.events[~data.events["event_id"].isin(attacks)]
    for pid in PERIODS:
        ch = chapter(pid, data)
        alt = ch.casualty_figure().alt
        for e in ch.events[ch.events["event_id"].isin(attacks)].itertuples():
            assert e.title in alt, f"{pid}: the casualty chart draws '{e.title}', its alt text omits it"
        for e in others[others["period_id"] == pid].itertuples():
            assert e.title not in alt, f"{pid}: alt text names '{e.title}', which is no attack"
    # the January 2011 rally at the gates is not an attack, in the chart or its alt text
    p5 = drawn("p5", "casualty", data).alt
    gate = data.events.set_index("event_id").loc["2011-01-07-gate-attack", "title"]
    assert gate not in p5 and "January 2011" not in p5


def test_alt_text_follows_the_data(data):
    """Change the data and the alt text changes with it: it is never typed."""
    import copy

    ch = chapter("p5", data)
    before = ch.casualty_figure().alt
    raid = data.events["event_id"] == "2011-04-08-raid"
    events = data.events.copy()
    events.loc[raid, "title"] = "A renamed raid"
    events.loc[raid, "killed_best"] = 99
    changed = copy.copy(data)
    changed.events = events  # Dataset's tables are cached properties: this one replaced
    after = chapter("p5", changed).casualty_figure().alt
    assert after != before and "A renamed raid" in after and "best estimate 99" in after
    for name in ("control", "casualty"):
        chart = getattr(chapter("p5", changed), f"{name}_figure")()
        assert 'aria-label="' in chart.html()


def test_every_figure_cell_takes_its_alt_text_from_the_data():
    for doc in toc_docnames():
        for f in figure_cells(doc):
            assert not f["alt"], f"{doc}: {f['name']} has a typed alt text"


# --- ranges against titles ----------------------------------------------------------------

def test_every_chart_of_control_spans_the_years_its_caption_says(book, data):
    """'from YYYY to YYYY' in a caption is the chart's first and last year; the book's span
    (the table of contents says 1986–YYYY) is the whole-book chart's."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    first, last = map(int, re.search(r"Across (\d{4})–(\d{4})", toc).groups())
    assert (book.start.year, book.end.year) == (first, last)
    xlim = [pd.Timestamp(x, unit="D")
            for x in drawn_overview("control", book).fig.axes[0].get_xlim()]
    assert xlim[0].year == first and xlim[1].year == last, xlim
    checked = 0
    for doc in toc_docnames():
        for f in figure_cells(doc):
            if not f["name"].endswith("-control"):
                continue
            owner = f["name"].split("-")[1]
            start, end = (book.start, book.end) if owner == "overview" else \
                chapter(owner, data).control_window()
            # either the chart's own years ("from 1985 to 1992") or the chapter's years and
            # the padding ("in 1986–1991, with a year either side")
            spans = re.search(r"from (\d{4}) to (\d{4})", f["caption"])
            period = re.search(r"in (\d{4})–(\d{4}), with a year either side", f["caption"])
            assert spans or period, f"{f['name']}: the caption gives no years: {f['caption'][:80]}"
            if spans:
                years = tuple(map(int, spans.groups()))
            else:
                own = chapter(owner, data)
                years = tuple(map(int, period.groups()))
                assert years == (own.start.year, own.end.year), \
                    f"{f['name']}: caption {years}, chapter {own.start.year}-{own.end.year}"
                years = (years[0] - 1, years[1] + 1)
            assert years == (start.year, end.year), f"{f['name']}: caption {years}, chart " \
                f"{start.year}-{end.year}"
            checked += 1
    assert checked == len(period_chapters()) + 1


def test_no_chart_runs_past_the_books_last_year(book, data):
    figs = [drawn_overview("control", book).fig, drawn_overview("cumulative", book).fig,
            drawn_overview("population", book).fig]
    for pid in PERIODS:
        figs += [drawn(pid, "control", data).fig,
                 drawn(pid, "population", data).fig]
    for pid, fig in enumerate(figs):
        for ax in fig.axes:
            if ax.get_xscale() == "linear" and ax.xaxis.get_major_formatter().__class__. \
                    __name__ == "DateFormatter":
                end = pd.Timestamp(ax.get_xlim()[1], unit="D")
                assert end <= book.end + pd.Timedelta(days=1), f"chart {pid} ends {end}"


# --- links, SVG, PDF ----------------------------------------------------------------------

def test_casualty_and_timeline_marks_link_to_the_register(data):
    from analysis import register

    ch = chapter("p5", data)
    for chart in (ch.casualty_figure(), ch.control_figure()):
        svg = chart.html()
        links = re.findall(r'<a href="register\.html#([^"]+)"[^>]*><title>([^<]+)</title>',
                           svg)
        assert links, f"{chart.name}: no mark links to the register"
        rows = ch.figure_rows("casualty" if "casualty" in chart.name else "control")
        ids = set(rows["event_id"]) - {""}
        assert {a for a, _ in links} == {register.anchor(i) for i in ids}
        raid = [t for a, t in links if a == "ev-2011-04-08-raid"][0]
        for part in ("8 April 2011", "raid", "grade: confirmed", "killed (best estimate): 34"):
            assert part in raid, raid
        assert 'target="_blank"' not in svg


def test_inline_svg_is_deterministic_self_contained_and_has_unique_ids(data):
    ch = chapter("p5", data)
    one, two = ch.casualty_figure().html(), ch.casualty_figure().html()
    assert one == two
    assert "<?xml" not in one and "<metadata" not in one and "DOCTYPE" not in one
    page = one + ch.control_figure().html()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "two elements of one page share an id"
    for ref in re.findall(r'url\(#([^)]+)\)|xlink:href="#([^"]+)"', page):
        assert (ref[0] or ref[1]) in ids, f"a reference to a missing id: {ref}"


def test_pdf_of_a_chart_has_no_links(data):
    chart = drawn("p5", "casualty", data)
    pdf = base64.b64decode(chart._repr_mimebundle_()["application/pdf"])
    assert pdf[:5] == b"%PDF-" and b"/URI" not in pdf and b"/Link" not in pdf
    assert "register.html" in chart.html()  # the links are still there for the site


def test_chart_text_stays_legible_at_its_minimum_width(data):
    from analysis import figdata

    for pid in PERIODS:
        for chart in (drawn(pid, "control", data), drawn(pid, "casualty", data)):
            svg = figdata.svg_text(chart.fig, chart.name)
            width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))
            smallest = min(float(s) for s in figdata._FONT.findall(svg))
            assert smallest * figdata.min_width_px(svg) / width >= figdata.MIN_TEXT_PX
            assert f"min-width:{figdata.min_width_px(svg)}px" in chart.html()


# --- labels of changes of control, uncertain dates, the chapter's own years ----------------

def change_labels(fig):
    """The labels of changes of control (annotations above the band) and their text boxes."""
    from matplotlib.text import Annotation, Text

    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    return [(t, Text.get_window_extent(t, renderer)) for t in fig.axes[0].texts
            if isinstance(t, Annotation) and t.get_visible()]


def all_control_charts(book, data):
    yield "overview", drawn_overview("control", book)
    for pid in PERIODS:
        yield pid, drawn(pid, "control", data)


def test_labels_of_changes_are_tied_to_their_lines_and_never_crowd(book, data):
    """Labels stacked in rows above one another with nothing to tie them to their lines
    (p8 before: 'captured' over 'captured', 2014-15, the upper one between two lines) cannot
    be read: each label is tied to its own dashed line by a leader line that starts on the
    change's date, two labels in one row share no horizontal stretch, and no leader line
    runs through another label."""
    import numpy as np
    from matplotlib.dates import date2num

    for name, chart in all_control_charts(book, data):
        for fig in (chart.fig, chart.narrow):
            labels = change_labels(fig)
            assert labels or name == "p1"
            ax = fig.axes[0]
            lines = [date2num(line.get_xdata()[0]) for line in ax.lines
                     if line.get_linestyle() == "--"]
            for (a, ba), (b, bb) in combinations(labels, 2):
                if abs(ba.y0 - bb.y0) < 1:   # one row
                    assert ba.x1 < bb.x0 or bb.x1 < ba.x0, (
                        f"{name}: '{a.get_text()}' and '{b.get_text()}' share a stretch")
            for t, box in labels:
                assert t.arrow_patch is not None, f"{name}: '{t.get_text()}' has no leader"
                assert t.xy[1] == pytest.approx(1.275)   # from the top of the band
                assert date2num(t.xy[0]) in [pytest.approx(x) for x in lines]
                start = ax.transData.transform((date2num(t.xy[0]), t.xy[1]))
                for k in np.linspace(0, 0.97, 60):
                    x, y = start + k * (np.array([box.x0, box.y0]) - start)
                    for other, ob in labels:
                        assert other is t or not (ob.x0 + 1 < x < ob.x1 - 1
                                                  and ob.y0 + 1 < y < ob.y1 - 1), (
                            f"{name}: the leader of '{t.get_text()}' runs through "
                            f"'{other.get_text()}'")


def test_a_change_dated_only_to_the_year_is_drawn_over_the_whole_year(data):
    """Fig. 7.1 and 9.1: ISIS (2014) and Badr/PMF (2015) are dated to the year only; the
    chart marks the whole year as uncertain (faded, hatched) and its legend says so."""
    from analysis import plot

    for pid, years in (("p6", [2014]), ("p8", [2014, 2015])):
        chart = chapter(pid, data)
        _, window_end = chart.control_window()
        for fig in (chart.control_figure().fig, chart.control_figure().narrow):
            ax = fig.axes[0]
            marked = [p for p in ax.patches if p.get_hatch() == plot.UNCERTAIN["hatch"]]
            spans = sorted((mdates_num2date(p.get_x()).date(),
                            mdates_num2date(p.get_x() + p.get_width()).date()) for p in marked)
            # the whole year (as far as the chart runs)
            assert spans == [(pd.Timestamp(f"{y}-01-01").date(),
                              min(pd.Timestamp(f"{y + 1}-01-01"), window_end).date())
                             for y in years]
            legend = [t.get_text() for t in fig.legends[0].get_texts()]
            assert any("dated only to year" in t for t in legend)
    # a chart with no such change has no such mark and no such legend entry
    fig = drawn("p4", "control", data).fig
    assert not [p for p in fig.axes[0].patches if p.get_hatch() == plot.UNCERTAIN["hatch"]]
    assert not any("dated only" in t.get_text() for t in fig.legends[0].get_texts())


def mdates_num2date(x):
    from matplotlib.dates import num2date

    return num2date(x).replace(tzinfo=None)


@pytest.mark.parametrize("pid", PERIODS)
def test_time_outside_the_chapters_years_is_greyed(pid, data):
    """Fig. 6.1: the chart runs a year either side of the chapter's period; the padding is
    shaded grey (attacks of other chapters drawn there are greyed) and the legend says so."""
    from analysis import plot

    ch = chapter(pid, data)
    start, end = ch.control_window()
    fig = ch.control_figure().fig
    ax = fig.axes[0]
    grey = sorted((mdates_num2date(p.get_x()), mdates_num2date(p.get_x() + p.get_width()))
                  for p in ax.patches if p.get_facecolor() == plot.OUTSIDE["facecolor"])
    expected = [(lo, hi) for lo, hi in ((start, ch.start), (ch.end, end)) if lo < hi]
    assert [(a.date(), b.date()) for a, b in grey] == [(a.date(), b.date()) for a, b in expected]
    assert all(p.get_zorder() > 3 for p in ax.patches
               if p.get_facecolor() == plot.OUTSIDE["facecolor"])   # over the attacks' marks
    assert any("outside this chapter" in t.get_text() for t in fig.legends[0].get_texts())


def test_the_whole_books_chart_greys_nothing(book):
    from analysis import plot

    fig = drawn_overview("control", book).fig
    assert not [p for p in fig.axes[0].patches
                if p.get_facecolor() == plot.OUTSIDE["facecolor"]]


def test_no_panel_where_no_attack_has_a_figure(data):
    """Fig. 7.2: no source counts the wounded of 2013: no panel of 'no figure given' rows;
    the alt text says why."""
    ch = chapter("p6", data)
    chart = ch.casualty_figure()
    assert [ax.get_xlabel().split()[0] for ax in chart.fig.axes] == ["killed"]
    assert not any(t.get_text() == "no figure given" for ax in chart.fig.axes
                   for t in ax.texts)
    assert chart.alt.startswith("One panel, killed,")
    assert "No panel of people wounded: no source gives a figure" in chart.alt
    # a period with figures of both: two panels
    both = [pid for pid in PERIODS if chapter(pid, data).has_casualty_figures()
            and chapter(pid, data).events["wounded_low"].notna().any()]
    assert both
    chart = chapter(both[0], data).casualty_figure()
    assert [ax.get_xlabel().split()[0] for ax in chart.fig.axes] == ["killed", "wounded"]
    assert chart.alt.startswith("Two panels, killed and wounded,")


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    xyz = [sum(m * c for m, c in zip(row, lin)) / w for row, w in zip(
        [(0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505)],
        (0.9505, 1.0, 1.089))]
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_places_are_not_drawn_in_a_colour_close_to_a_controllers():
    """A chart of residents by place must not read as a chart of who held the camp: each
    camp's colour is far (CIE76 distance of 35 or more) from every controller's, so that
    Ashraf is not drawn in a near-orange (the MEK's) nor Liberty in a near-blue (US forces')."""
    from analysis import style

    near = [(p, c, name, round(math.dist(_lab(c), _lab(colour))))
            for p, c in style.PLACE_COLOURS.items() if p in ("ashraf", "liberty", "ashraf3")
            for name, colour, _ in style.CONTROLLERS.values()
            if math.dist(_lab(c), _lab(colour)) < 35]
    assert not near, f"places drawn close to a controller's colour: {near}"
    # the colours used before are caught: vermillion by the MEK's orange, sky by US blue
    assert math.dist(_lab("#D55E00"), _lab("#E69F00")) < 35
    assert math.dist(_lab("#56B4E9"), _lab("#0072B2")) < 35


def test_an_attack_without_a_figure_is_not_drawn_as_a_small_count(data):
    """An attack no source counts the dead of is a grey diamond with its own legend entry, not
    a dot of the size of '0–1 killed'."""
    from analysis.plot import NO_FIGURE

    for pid in PERIODS:
        ch = chapter(pid, data)
        att = ch.events[ch.events["event_type"].isin(["air_raid", "missile_attack", "bombing",
                                                      "raid", "rocket_attack", "assault"])]
        if not (att["place"].astype(str).eq("ashraf") & att["killed_best"].isna()).any():
            continue
        fig = ch.control_figure().fig
        ax = fig.axes[0]
        diamonds = [l for l in ax.lines if l.get_marker() == NO_FIGURE["marker"]]
        assert diamonds, f"{pid}: no 'no figure' marker drawn"
        labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
        assert "attack, no figure given" in labels, labels
        return
    pytest.fail("no period has an attack on Ashraf without a figure: the test checks nothing")


def test_no_attack_marker_hides_another(data):
    """Attacks days apart (the rockets and mortars of late December 2011) are drawn so that
    each marker shows: no two markers' centres closer than half their sizes."""
    import matplotlib.dates
    import numpy as np

    for pid in PERIODS:
        fig = drawn(pid, "control", data).fig
        fig.canvas.draw()
        ax = fig.axes[0]
        marks = [l for l in ax.lines if len(l.get_xdata()) == 1 and l.get_marker() in ("o", "D")]
        pts = [(ax.transData.transform((matplotlib.dates.date2num(l.get_xdata()[0]),
                                        l.get_ydata()[0])), l.get_markersize() * fig.dpi / 72)
               for l in marks]
        for (a, ra), (b, rb) in combinations(pts, 2):
            dist = float(np.hypot(*(a - b)))
            assert dist >= (ra + rb) / 4, f"{pid}: two attack markers {dist:.1f} px apart"


def test_stack_rows_puts_touching_markers_in_rows():
    from analysis.plot import stack_rows

    d = pd.to_datetime(["1999-06-09", "1999-06-10", "1999-06-11", "2001-04-18"])
    rows = stack_rows(pd.Series(d), pd.Timestamp("1991-01-01"), pd.Timestamp("2003-12-31"))
    assert list(rows) == [0, 1, 2, 0]


def _attack_marks(fig):
    """The drawn marks of attacks on a control chart: (event id, centre in pixels, marker)."""
    fig.draw_without_rendering()
    ax = fig.axes[0]
    out = []
    for line in ax.lines:
        gid = line.get_gid() or ""
        if gid.startswith("ev-"):
            x, y = line.get_xydata()[0]
            out.append((gid, tuple(ax.transData.transform((x, y))), line.get_marker(),
                        line.get_markersize()))
    return out


def test_attacks_without_a_figure_are_not_drawn_as_zero_killed(data):
    """Each attack of 1991-2003 without a figure of people killed is the 'no figure' diamond,
    each with a figure a dot: mark by mark, not only that some diamond is drawn."""
    from analysis import plot

    ch = chapter("p2", data)
    fig = ch.control_figure().fig
    att = data.events.set_index("event_id")
    marks = _attack_marks(fig)
    none = [g for g, _, m, _ in marks if pd.isna(att.loc[g[3:], "killed_best"])]
    assert none, "p2 has attacks without a figure of people killed"
    for g, _, m, _ in marks:
        expected = plot.NO_FIGURE["marker"] if g in none else "o"
        assert m == expected, g
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "attack, no figure given" in legend


def test_band_names_the_armed_group_that_held_the_camp(data):
    from analysis import style
    from analysis.labels import kind_label

    texts = [t.get_text() for t in drawn("p8", "control", data).fig.axes[0].texts]
    assert not any("armed group" in t or "{" in t for t in texts), texts
    held = data.spells[data.spells["control_kind"].astype("string") == "held_by_armed_group"]
    assert {kind_label(str(s.control_kind), style.controller_label(str(s.controller)))
            for s in held.itertuples(index=False)} == {
        "held by ISIS", "held by Badr Organization / PMF"}


def test_source_colours_are_no_controllers_colour():
    """A kind of source is not drawn in the colour of a controller of the camp (NGOs were the
    Iraqi government's green, governments vermillion, Iranian-state-aligned Badr's purple).
    Left as they are: the UN (blue, as US forces), the MEK (its own orange) and the press
    (black, as ISIS), which keep their distinct marker shapes."""
    from analysis import style

    controllers = {c[1].upper() for c in style.CONTROLLERS.values()}
    for cls, (_, colour) in style.SOURCE_MARKERS.items():
        if cls not in ("UN", "MEK / NCRI", "Press"):
            assert colour.upper() not in controllers, cls


def test_residents_chart_draws_only_counts_of_the_camps_residents(data):
    """Arab News's 4,158 counts the MEK's refugees in all Albania, not Ashraf 3's residents:
    the residents' chart of 2019 leaves it out (the data's group says whom a count covers)."""
    import numpy as np

    fig = drawn("p8", "population", data).fig
    ys = [v for c in fig.axes[0].collections for v in np.asarray(c.get_offsets())[:, 1]]
    assert ys and 4158 not in ys and 3000 in ys


def test_residents_chart_marks_vague_dates_and_inferred_zeros(book):
    """Counts dated only to a year are drawn across the year (not on 1 January), the
    editors' inferred zero is drawn unlike a count, and no count is cut by the axes."""
    fig = drawn_overview("population", book).fig
    fig.draw_without_rendering()
    ax = fig.axes[0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    pop = book.data.population
    if (pop["date_precision"].astype("string") == "year").any():
        assert any(t.startswith("faded bar: dated only to the year or month") for t in legend)
    assert any("inference" in t for t in legend)
    assert ax.get_ylim()[0] < 0
    import numpy as np

    from matplotlib.collections import PathCollection

    lo, hi = ax.get_xlim()
    points = []
    for c in ax.collections:
        if not isinstance(c, PathCollection) or not len(c.get_offsets()):
            continue   # (an empty collection is a legend's entry)
        assert not c.get_clip_on(), "a mark on the window's edge would be cut in half"
        for x, y in np.asarray(c.get_offsets()):
            assert lo <= x <= hi, "a count outside the chart's years"
            points.append((round(float(x)), float(y)))
    # a count dated only to a year has no marker at mid-year (review: 3,400 'in 2012' drawn
    # at mid-2012 read as a count of that summer): its faded bar alone says when
    from matplotlib.dates import date2num
    year = pop[(pop["date_precision"].astype("string") == "year")
               & (pop["group"].astype("string") == "residents")]
    for r in year.itertuples(index=False):
        mid = date2num(r.date + (r.date + pd.DateOffset(years=1) - r.date) / 2)
        value = r.value_min if pd.notna(r.value_min) else r.value_max
        assert (round(mid), float(value)) not in points, (r.population_id, "marked mid-year")


def test_a_year_only_count_stops_at_a_count_dated_more_closely(data):
    """Fig. 6.3 (review of 6de8688-a, #7): the article's 3,400 'in 2012' was drawn as a bar
    over all of 2012, so the camp looked full all year while UNAMI and CNN counted about 1,200
    left in June. The bar now ends at the first count of the camp dated more closely in 2012."""
    from matplotlib.dates import num2date

    fig = drawn("p5", "population", data).fig
    bars = [c for c in fig.axes[0].collections if (c.get_gid() or "").startswith(
        "count-dated-to-year-or-month-2012-ashraf")]
    assert len(bars) == 1, [c.get_gid() for c in fig.axes[0].collections]
    (x0, _), (x1, _) = bars[0].get_segments()[0]
    pop = data.population
    closer = pop[(pop["place"].astype("string") == "ashraf")
                 & (pop["date"] > pd.Timestamp("2012-01-01"))
                 & (pop["date"] < pd.Timestamp("2013-01-01"))
                 & (pop["date_precision"].astype("string") != "year")]["date"].min()
    assert num2date(x0).date() == pd.Timestamp("2012-01-01").date()
    assert num2date(x1).date() == closer.date() < pd.Timestamp("2012-12-31").date()


@pytest.mark.parametrize("pid", ["p2", "p4", "p5"])
def test_control_legend_lists_a_range_bar_only_where_one_is_drawn(pid, data):
    from matplotlib.collections import LineCollection

    fig = drawn(pid, "control", data).fig
    ax = fig.axes[0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    bars = [c for c in ax.collections if isinstance(c, LineCollection)
            and c.get_linewidth()[0] == 2.2]
    assert ("bar: date known only within a range" in legend) == bool(bars), pid
    for c in bars:   # a bar listed in the legend is one a reader can see
        for seg in c.get_segments():
            (x0, _), (x1, _) = ax.transData.transform(seg)
            assert x1 - x0 >= 6, f"{pid}: a range bar {x1 - x0:.1f} px wide"


def test_chart_of_claims_by_source_draws_every_measure_of_its_table(book):
    """Fig. 13.1 and Table 13.1 agree: every measure the table counts (the sixth, 'died',
    was left out) is drawn, and each bar's total is the table's 'all'."""
    from analysis import derive, plot

    tab = derive.claims_by_source_class(book.data.claims, book.data.sources)
    ax = plot.claims_by_source(tab).axes[0]
    drawn = [c.get_label() for c in ax.containers]
    assert drawn == [m for m in tab.columns if m != "all"]
    totals = {}
    for c in ax.containers:
        for patch, name in zip(c.patches, tab.drop(columns="all").iloc[::-1].index):
            totals[name] = totals.get(name, 0) + patch.get_width()
    assert totals == {k: float(v) for k, v in tab["all"].items()}


def test_two_handovers_in_a_row_are_told_apart(data):
    labels = [t.get_text() for t in drawn("p4", "control", data).fig.axes[0].texts]
    changes = [t for t in labels if t.startswith("handover")]
    assert len(changes) == len(set(changes)) >= 2, changes


def test_the_emptied_camp_is_drawn_apart_from_forces_inside(data):
    """After the emptying of September 2013 the band is pale (and says so in the legend):
    the dots of 'forces inside' do not run on to the end of 2013."""
    fig = drawn("p6", "control", data).fig
    alphas = sorted({round(p.get_alpha() or 1.0, 2) for p in fig.axes[0].patches
                     if p.get_y() < 1.0 < p.get_y() + p.get_height()})
    assert len(alphas) >= 2, alphas
    assert "pale: no residents (the camp emptied)" in [
        t.get_text() for t in fig.legends[0].get_texts()]


def _claim_marks(fig):
    """Per panel of a chart of casualties, the drawn marks of sources' figures: (claim id,
    centre in pixels, diameter in pixels)."""
    fig.draw_without_rendering()
    out = []
    for ax in fig.axes:
        marks = []
        for line in ax.lines:
            gid = line.get_gid() or ""
            if gid.startswith("claim-"):
                centre = ax.transData.transform(line.get_xydata()[0])
                marks.append((gid, centre, line.get_markersize() * fig.dpi / 72))
        out.append(marks)
    return out


@pytest.mark.parametrize("pid", PERIODS)
def test_no_sources_mark_hides_another(pid, data):
    """Four sources give 11 killed in the raid of July 2009: the UN's mark (Fig. 5.2) was
    hidden under the others while the legend listed 'UN'. Every source's mark now shows:
    no two marks' centres closer than two thirds of the smaller one."""
    import numpy as np

    fig = drawn(pid, "casualty", data).fig
    for marks in _claim_marks(fig):
        for (a, pa, da), (b, pb, db) in combinations(marks, 2):
            dist = float(np.hypot(*(pa - pb)))
            assert dist >= 0.66 * min(da, db), f"{pid}: {a} hides {b} ({dist:.1f} px apart)"


def test_a_log_axis_has_no_zero_tick(data):
    """Fig. 5.2's wounded run from 10 to 1,000 on a log axis: its ticks are powers of ten,
    no '0' (a log axis has none)."""
    fig = drawn("p4", "casualty", data).fig
    fig.draw_without_rendering()
    logs = [ax for ax in fig.axes if ax.get_xscale() == "symlog"]
    assert logs, "p4's wounded are drawn on a log axis"
    for ax in logs:
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and "0" not in ticks, ticks
        assert all(float(t.replace(",", "")) >= 10 for t in ticks), ticks


@pytest.mark.parametrize("pid", PERIODS)
def test_casualty_chart_says_no_figure_exactly_where_the_data_has_none(pid, data):
    """The chart and Table of events agree attack by attack: 'no figure given' where the event
    has no low figure, a range where it has one, even a figure of none (the MEK's denial of
    casualties in November 1994 is 0 killed; no source gives its wounded)."""
    from analysis.derive import attacks

    ch = chapter(pid, data)
    fig = ch.casualty_figure().fig
    att = attacks(ch.events).set_index("event_id")
    for ax in fig.axes:
        if not ax.get_xlabel():
            continue   # a chapter with no figure to chart: a message, no panel
        measure = ax.get_xlabel().split()[0]
        said = {t.get_gid().split("-" + measure)[0][3:] for t in ax.texts
                if t.get_text() == "no figure given" and t.get_gid()}
        drawn = {line.get_gid().split("-" + measure)[0][3:] for line in ax.lines
                 if (line.get_gid() or "").endswith("-" + measure)}
        assert said.isdisjoint(drawn), (pid, measure, said & drawn)
        for eid in said | drawn:
            assert (eid in said) == pd.isna(att.loc[eid, f"{measure}_low"]), (pid, measure, eid)
        if pid == "p2":
            assert ("1994-11-01-scud-attack" in drawn) if measure == "killed" else (
                "1994-11-01-scud-attack" in said)


def test_cumulative_charts_strip_of_control_is_drawn_as_its_legend(book):
    """Fig. 11.2: the strip of who held the camp had solid colours while its legend showed
    each controller's hatch; each stretch now carries its hatch in white, as the legend."""
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    fig = drawn_overview("cumulative", book).fig
    ax = fig.axes[0]
    leg = fig.legends[0]
    legend = {t.get_text(): (to_hex(h.get_facecolor()), h.get_hatch() or "")
              for h, t in zip(leg.legend_handles, leg.get_texts()) if isinstance(h, Patch)}
    strip = {}
    for c in ax.collections:
        ys = [float(v[1]) for path in c.get_paths() for v in path.vertices]
        if ys and max(ys) < 0:   # below zero: the strip
            face = to_hex(c.get_facecolor()[0])
            strip[face] = (c.get_hatch() or "", to_hex(c.get_hatchcolor()[0]))
    assert strip, "no strip of control drawn"
    hatched = 0
    # drawn as in the control charts: pale once the camp is empty, a change known only to
    # its year faded over that year (overlays, not controllers: checked apart)
    assert "pale: no residents (the camp emptied)" in legend
    assert any((c.get_alpha() or 1.0) < 1.0 for c in ax.collections
               if max(float(v[1]) for p in c.get_paths() for v in p.vertices) < 0)
    assert "faded |||: change dated only to year/month" in legend
    for label, (face, hatch) in legend.items():
        if label in ("lowest to highest",) or label.startswith(("pale:", "faded |||:")):
            continue
        assert face in strip, label
        assert strip[face][0] == hatch, (label, strip[face][0], hatch)
        if hatch:
            hatched += 1
            assert strip[face][1] != face, f"{label}: hatch drawn in the fill's own colour"
    assert hatched >= 3


def test_a_count_from_a_flagged_source_is_ringed_in_the_population_chart(book):
    """celebcafe's count of Liberty (a source the research notes flag) is not drawn like the
    UN's: it carries a dashed ring, and the legend says what the ring means."""
    from analysis.chapter import flagged_sources

    pop = book.data.population
    flagged = flagged_sources(book.data.sources)
    assert pop["source_key"].astype(str).isin(flagged).any(), "no flagged count to test"
    fig = drawn_overview("population", book).fig
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "ringed: a source flagged as unreliable" in texts
    from matplotlib.collections import PathCollection
    rings = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)
             and len(c.get_sizes()) and c.get_sizes()[0] >= 100
             and (len(c.get_facecolor()) == 0 or c.get_facecolor()[0][3] == 0)]
    n_flagged = int(pop[pop["group"].astype(str) == "residents"]["source_key"].astype(str)
                    .isin(flagged).sum())
    assert len(rings) == n_flagged, (len(rings), n_flagged)


def test_the_casualty_charts_tell_the_iraqi_and_the_us_governments_apart(data):
    """The raid of July 2009 has figures from Iraqi officials and from the US State
    Department: the chart's legend names them as two kinds of source, not 'Governments'."""
    fig = drawn("p4", "casualty", data).fig
    texts = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"Iraqi officials", "US government"} <= texts, texts
    assert "Governments" not in texts


def test_the_best_estimate_tick_is_drawn_above_the_sources_marks(data):
    """Where a source's figure equals the best estimate (52 for September 2013), the tick
    is not hidden under the mark."""
    fig = drawn("p6", "casualty", data).fig
    ax = fig.axes[0]
    ticks = [ln for ln in ax.lines if ln.get_color() == "black" and len(ln.get_xdata()) == 2]
    marks = [ln for ln in ax.lines if ln.get_marker() not in ("None", None, "")]
    assert ticks and marks
    assert min(t.get_zorder() for t in ticks) > max(m.get_zorder() for m in marks)


@pytest.mark.parametrize("pid", ["p4", "p5", "p6", "p7"])
def test_attack_labels_are_wrapped_not_cut(pid, data):
    """Review of 6de8688-a, #26: row labels of the casualty charts were cut with an
    ellipsis ("force their way into the…"); each label now carries the whole title."""
    fig = drawn(pid, "casualty", data).fig
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels and not any("…" in t for t in labels), labels
    from analysis.plot import attacks

    titles = set(attacks(data.events)["title"])
    shown = {" ".join(t.split("\n")).split(": ", 1)[1].removesuffix(" [no independent source]")
             for t in labels}
    assert shown <= titles, shown - titles


def test_a_log_scale_leaves_room_right_of_the_highest_figure(data):
    """Fig. 5.2 (review of 6de8688-a, #26): the markers of July 2009's 500 wounded sat on the
    right frame of the log axis; the axis now runs to the next power of ten or twice the top."""
    fig = drawn("p4", "casualty", data).fig
    ax = fig.axes[-1]
    assert ax.get_xscale() == "symlog"
    top = max(float(x) for line in ax.get_lines() for x in line.get_xdata())
    assert ax.get_xlim()[1] >= 1.9 * top


def test_a_flagged_sources_figure_is_ringed_in_the_casualty_charts(data):
    """Review of b007e09-a, #10: Trend's flagged 10 killed and 'at least 100' wounded of
    9 February 2013 were drawn as ordinary press marks, setting the top of both ranges
    unmarked; the residents charts already ringed a flagged source's count."""
    from analysis.plot import FLAGGED_RING, attacks

    fig = drawn("p7", "casualty", data).fig
    rings = [line for ax in fig.axes for line in ax.get_lines() if line.get_label() == FLAGGED_RING]
    flagged = data.claims.merge(data.sources[["source_key", "flagged"]], on="source_key")
    ids = set(attacks(data.events)["event_id"]) & set(chapter("p7", data).events["event_id"])
    n = int(flagged[flagged["event_id"].isin(ids) & flagged["flagged"].astype(bool)
                    & (flagged["group"].astype("string") == "residents")
                    & flagged["measure"].isin(["killed", "wounded"])].shape[0])
    assert n >= 2 and len(rings) == n, (n, len(rings))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "ringed: a source flagged as unreliable" in legend
