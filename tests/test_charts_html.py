"""The charts of the built site in a real browser (Playwright driving Debian's Chromium, the
site served on localhost): chart text legible on a phone, marks that open the register,
tooltips, and the full-size view. Screenshots go to test-artifacts/charts/."""
from __future__ import annotations

import re

import pytest

from conftest import ARTIFACTS
# the browser and the served site, as tests/test_html.py sets them up (one per module)
from test_html import browser, site  # noqa: F401  (pytest fixtures)
from weight import site_pages  # tools/weight.py: every HTML page of the built site

PHONE = {"width": 390, "height": 844}
MIN_PX = 9.0
P5 = "chapters/p5-raid-and-liberty"

# the size every text of every chart is drawn at, in CSS pixels: its font size in the SVG's
# units times the scale from those units to the screen
TEXT_SIZES = """() => [...document.querySelectorAll('svg.chart-svg')]
  .filter(svg => svg.getClientRects().length)       // the layout shown at this width
  .map(svg => {
  const sizes = [...svg.querySelectorAll('text')]
    .filter(t => t.textContent.trim())
    .map(t => { const m = t.getScreenCTM();   // rotated text: the scale is the vector's length
      return {text: t.textContent.trim().slice(0, 30),
              px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)}; });
  return {label: (svg.getAttribute('aria-label') || '').slice(0, 40), sizes};
})"""


def test_chart_text_is_at_least_9px_on_a_phone(browser, site, built_html):
    """At 390 px wide, every text of every chart on every page is drawn at 9 px or more
    (the chart keeps a minimum width and its frame scrolls sideways). One tab, every page."""
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=1)
    tab = ctx.new_page()
    small, charts = [], 0
    for path in site_pages(built_html):
        name = path.relative_to(built_html).as_posix()
        if "chart-svg" not in path.read_text(encoding="utf-8"):
            continue
        tab.goto(f"{site}/{name}", wait_until="load")
        for chart in tab.evaluate(TEXT_SIZES):
            charts += 1
            assert chart["sizes"], f"{name}: a chart without text ({chart['label']})"
            small += [f"{name}: {s['text']!r} {s['px']:.1f} px ({chart['label']}…)"
                      for s in chart["sizes"] if s["px"] < MIN_PX - 0.05]
        # the page itself does not scroll sideways: only a chart's frame does
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
            f"{name} is wider than the phone"
    ctx.close()
    assert charts >= 20, f"only {charts} charts found"
    assert not small, "chart text under 9 px at 390 px wide:\n" + "\n".join(small[:20])


def test_the_measure_of_text_size_can_fail(browser):
    ctx = browser.new_context(viewport=PHONE)
    tab = ctx.new_page()
    tab.set_content('<svg class="chart-svg" viewBox="0 0 1000 100" style="width:100%">'
                    '<text x="0" y="50" style="font: 10px sans-serif">tiny</text></svg>')
    (chart,) = tab.evaluate(TEXT_SIZES)
    assert chart["sizes"][0]["px"] < MIN_PX
    ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_clicking_a_mark_of_the_casualty_chart_opens_its_register_entry(browser, site,
                                                                        viewport):
    ctx = browser.new_context(viewport=viewport)
    tab = ctx.new_page()
    tab.goto(f"{site}/{P5}.html", wait_until="load")
    fig = tab.locator("#fig-p5-casualties")
    mark = fig.locator('svg a[href$="#ev-2011-04-08-raid"]').first
    tip = mark.locator("title").text_content()
    for part in ("8 April 2011", "grade: confirmed", "killed (best estimate): 34"):
        assert part in tip, tip
    # a reader clicks the middle of the bar (a stroked line, which Playwright's own click
    # does not count as visible: its box has no height)
    mark.evaluate("a => a.scrollIntoView({block: 'center', inline: 'center'})")
    box = mark.evaluate("a => { const r = a.getBoundingClientRect();"
                        " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; }")
    tab.mouse.click(box["x"], box["y"])
    tab.wait_for_url(re.compile(r"register\.html#ev-2011-04-08-raid$"))
    entry = tab.locator("#ev-2011-04-08-raid")
    assert entry.count() == 1
    assert entry.evaluate("e => { const r = e.getBoundingClientRect();"
                          " return r.top >= -2 && r.top < window.innerHeight; }")
    ctx.close()


def test_every_attack_of_the_timeline_is_a_link_with_its_facts(browser, site):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    tab.goto(f"{site}/chapters/overview-control.html", wait_until="load")
    links = tab.evaluate("""() => [...document.querySelectorAll(
        '#fig-overview-control svg a')].map(a => ({href: a.getAttribute('href'),
        title: a.querySelector('title').textContent}))""")
    assert len(links) >= 10
    for link in links:
        assert re.fullmatch(r"register\.html#ev-[\w-]+", link["href"]), link
        assert re.search(r"\d{4}: .+; grade: .+; killed \(best estimate\): ", link["title"]), link
    reg = tab.request.get(f"{site}/chapters/register.html").text()
    anchors = set(re.findall(r'id="(ev-[^"]+)"', reg))
    missing = {link["href"].split("#")[1] for link in links} - anchors
    assert not missing, f"marks link to no entry of the register: {missing}"
    ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_a_chart_opens_full_size_and_closes(browser, site, viewport):
    ctx = browser.new_context(viewport=viewport)
    tab = ctx.new_page()
    tab.goto(f"{site}/{P5}.html", wait_until="load")
    chart = tab.locator("#chart-p5-control")
    before = chart.locator("svg >> visible=true").evaluate("s => s.getBoundingClientRect().width")
    chart.locator("a.chart-open").click()
    tab.wait_for_url(re.compile(r"#chart-p5-control$"))
    box = chart.evaluate("c => { const r = c.getBoundingClientRect();"
                         " return {pos: getComputedStyle(c).position, w: r.width, h: r.height}; }")
    after = chart.locator("svg >> visible=true").evaluate("s => s.getBoundingClientRect().width")
    assert box["pos"] == "fixed" and box["w"] >= viewport["width"] - 20, box
    assert after >= max(before * 1.3, 900), (before, after)
    (ARTIFACTS / "charts").mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "charts" / f"p5-full-{viewport['width']}.png"))
    close = chart.locator("a.chart-close")
    assert close.is_visible()
    close.click()
    tab.wait_for_url(re.compile(r"#chart-p5-control-box$"))
    assert chart.evaluate("c => getComputedStyle(c).position") != "fixed"
    ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_screenshots_of_front_page_and_p5(browser, site, viewport):
    """For a reader's eye: the front page and the 2011-12 chapter at phone and desktop
    widths (test-artifacts/charts/); the front chart's marks open the register too."""
    ctx = browser.new_context(viewport=viewport)
    tab = ctx.new_page()
    (ARTIFACTS / "charts").mkdir(parents=True, exist_ok=True)
    for doc in ("chapters/index", P5):
        tab.goto(f"{site}/{doc}.html", wait_until="load")
        tab.screenshot(path=str(ARTIFACTS / "charts" / f"{doc.split('/')[-1]}-"
                                f"{viewport['width']}.png"), full_page=True)
    tab.goto(f"{site}/chapters/index.html", wait_until="load")
    assert tab.locator(".front-chart svg a[href*='register.html#ev-']").count() >= 10
    # the timeline has a phone layout: shown at 390 px, the wide one above that
    shown = ".chart-narrow" if viewport["width"] < 500 else ".chart-wide"
    hidden = ".chart-wide" if viewport["width"] < 500 else ".chart-narrow"
    assert tab.locator(f".front-chart {shown} svg").is_visible()
    assert not tab.locator(f".front-chart {hidden} svg").is_visible()
    ctx.close()
