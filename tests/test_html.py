"""The built site in a real browser: Playwright driving Debian's Chromium, the site served on
localhost. A screenshot of every page is kept in test-artifacts/screenshots/."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from conftest import ARTIFACTS, ROOT, figure_cells, period_chapters, read_csv, serve, toc_docnames
from weight import site_pages  # tools/weight.py: every HTML page of the built site

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic"]


@pytest.fixture(scope="module")
def site(built_html):
    with serve(built_html) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.problems = []
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(f"console: {m.text}"))
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: pg.problems.append(f"failed: {r.url}"))
    pg.on("response", lambda r: r.status >= 400 and pg.problems.append(f"{r.status}: {r.url}"))
    pg.foreign = []
    pg.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", None)
          and r.url.split(":")[0] in ("http", "https") and pg.foreign.append(r.url))
    track_requests(pg)
    yield pg
    ctx.close()


def track_requests(pg) -> None:
    """Count the page's requests in flight and time the last one's start or end (visit)."""
    pg.inflight, pg.last_request = set(), time.monotonic()

    def started(r):
        pg.inflight.add(r)
        pg.last_request = time.monotonic()

    def ended(r):
        pg.inflight.discard(r)
        pg.last_request = time.monotonic()

    pg.on("request", started)
    pg.on("requestfinished", ended)
    pg.on("requestfailed", ended)


QUIET = 0.15  # seconds with no request in flight that make a loaded page settled


def visit(pg, url: str, timeout: float = 30.0) -> None:
    """Open url and wait until it has loaded and no request has been in flight for QUIET
    seconds: what Playwright's "networkidle" does with a fixed 500 ms, which cost half a
    second on every page although, once "load" fires, a page of this site asks for nothing
    more than its favicon (measured on every page). Any later request still counts: the
    page's failed-request and other-host listeners see it whenever it comes."""
    pg.goto(url, wait_until="load")
    end = time.monotonic() + timeout
    while pg.inflight or time.monotonic() - pg.last_request < QUIET:
        if time.monotonic() > end:
            raise AssertionError(f"{url}: requests still in flight after {timeout:.0f} s: "
                                 + ", ".join(sorted(r.url for r in pg.inflight))[:500])
        pg.wait_for_timeout(25)


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def axe():
    try:
        from axe_playwright_python.sync_playwright import Axe  # ships axe.min.js: offline
    except ImportError:
        pytest.fail("axe-playwright-python is missing: run `make setup-test` (it is pinned "
                    "in requirements.txt)")
    return Axe()


def axe_violations(axe, tab) -> list[str]:
    """axe-core (WCAG 2.0 and 2.1, levels A and AA) on the page open in tab."""
    out = []
    for v in axe.run(tab, options=AXE_OPTIONS).response["violations"]:
        where = [", ".join(map(str, n["target"])) for n in v["nodes"][:3]]
        out.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s)): {v['help']}; "
                   f"e.g. {where}")
    return out


def test_axe_catches_a_seeded_violation(axe, browser):
    """The accessibility check can fail: a page with an image without alt text and a list
    without items (as the bibliography had) is caught with the options the pages get."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    tab.set_content('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
                    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><div role="list">'
                    '<div role="doc-biblioentry">x</div></div></main></body></html>')
    seeded = {v["id"] for v in axe.run(tab, options=AXE_OPTIONS).response["violations"]}
    ctx.close()
    assert {"image-alt", "aria-required-children"} <= seeded, seeded


def test_visit_waits_for_a_request_made_after_load(page, tmp_path):
    """visit() settles only once a request a page makes after its load event has ended, so
    the page's listeners see it fail."""
    (tmp_path / "late.html").write_text(
        "<!doctype html><title>late</title><script>addEventListener('load', () => "
        "setTimeout(() => fetch('missing.json'), 100))</script>", encoding="utf-8")
    with serve(tmp_path) as url:
        visit(page, f"{url}/late.html")
        assert any("missing.json" in p for p in page.problems), page.problems


def figure_problems(page, doc) -> list[str]:
    """Every figure is its chart inline (vector SVG, so its marks can be links), named by an
    alt text made from the chart's data (analysis.figdata), under a numbered caption."""
    expected = figure_cells(doc)
    if not expected:
        return []
    svgs = page.locator("article figure .chart-wide svg.chart-svg")  # (and a phone layout)
    if svgs.count() != len(expected):
        return [f"{svgs.count()} figures shown, {len(expected)} made"]
    out = []
    for i in range(svgs.count()):
        svg = svgs.nth(i)
        if not svg.evaluate("s => s.getBoundingClientRect().width > 100 && "
                            "s.getBoundingClientRect().height > 30 && "
                            "s.querySelectorAll('text').length > 0"):
            out.append(f"figure {i + 1} not drawn")
        if len((svg.get_attribute("aria-label") or "").strip()) <= 40:
            out.append(f"figure {i + 1} without alt text")
        if svg.get_attribute("role") not in ("img", "group"):
            out.append(f"figure {i + 1} has no img or group role")
    captions = page.locator("article figure figcaption").all_inner_texts()
    out += [f"caption not numbered: {c[:60]!r}" for c in captions
            if not re.match(r"Fig\. \d+\.\d+", c.strip())]
    return out


@pytest.mark.parametrize("doc", toc_docnames())
def test_page_in_the_browser(page, site, axe, doc):
    """One visit per page of the book at 1280 px, every check of a page made on it: it opens
    with no console error, failed request or request to another host, and prints no
    traceback; its figures (figure_problems); its previous and next links follow the table
    of contents (neighbour_problems); axe-core finds no WCAG 2.1 AA violation. A screenshot
    of it is kept."""
    visit(page, f"{site}/{doc}.html")
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    # the whole page for the artifacts, but the register (tens of thousands of pixels tall
    # with its quotes) only as far as a reader first sees it: a full shot of it times out
    tall = page.evaluate("document.documentElement.scrollHeight") > 20000
    # (JPEG: a page's full length encodes in about half the time of a PNG)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{doc.replace('/', '__')}.jpg"),
                    full_page=not tall, type="jpeg", quality=70)
    body = page.inner_text("article")
    problems = list(page.problems)
    problems += [f"loads from another host: {u}" for u in page.foreign]
    problems += [f"prints {w!r}" for w in ("Traceback", "<Figure size") if w in body]
    problems += figure_problems(page, doc)
    problems += neighbour_problems(page, doc)
    problems += [f"axe-core: {v}" for v in axe_violations(axe, page)]
    assert problems == [], f"{doc}:\n  " + "\n  ".join(problems)


def page_path(url: str) -> str:
    return urlparse(url).path.lstrip("/").removesuffix(".html")


def neighbour_problems(page, doc) -> list[str]:
    """The page's "previous" and "next" links (as the browser resolved them) lead to the
    pages before and after it in the table of contents; the first page has no "previous",
    the last no "next"."""
    order = toc_docnames()
    i = order.index(doc)
    out = []
    for css, want in (("a.left-prev", order[i - 1] if i else None),
                      ("a.right-next", order[i + 1] if i + 1 < len(order) else None)):
        link = page.locator(css)
        got = page_path(link.first.evaluate("a => a.href")) if link.count() else None
        if got != want:
            out.append(f"{css} leads to {got}, not {want}")
    return out


def test_search_for_liberty_lists_the_liberty_chapters(page, site):
    visit(page, f"{site}/search.html?q=Liberty")
    page.wait_for_selector("#search-results li", timeout=15000)
    hrefs = page.locator("#search-results li a").evaluate_all("as => as.map(a => a.href)")
    found = {re.sub(r"\.html.*$", "", urlparse(h).path.lstrip("/")) for h in hrefs}
    for doc in ("chapters/p5-raid-and-liberty", "chapters/p7-liberty-to-albania"):
        assert doc in found, f"search for Liberty does not list {doc}: {sorted(found)}"


def test_next_link_is_followed_by_a_click(page, site):
    """Clicking "next" on the first page opens the second (every page's links are checked
    against the table of contents in test_page_in_the_browser)."""
    order = toc_docnames()
    page.goto(f"{site}/{order[0]}.html", wait_until="domcontentloaded")
    page.locator("a.right-next").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert page_path(page.url) == order[1]


def test_pdf_and_notebook_downloads(page, site):
    doc = period_chapters()[0]
    visit(page, f"{site}/{doc}.html")
    pdf = page.locator("a.btn[href$='camp-ashraf.pdf']").first.get_attribute("href")
    resp = page.request.get(f"{site}/{doc}.html".rsplit("/", 1)[0] + "/" + pdf)
    assert resp.status == 200 and resp.body()[:5] == b"%PDF-"
    nb = page.locator("a.btn[href$='.ipynb']").first.get_attribute("href")
    resp = page.request.get(f"{site}/{doc}.html".rsplit("/", 1)[0] + "/" + nb)
    assert resp.status == 200 and b'"cells"' in resp.body()


def test_code_is_hidden_behind_a_toggle(page, site):
    """Every figure's code on a period chapter with more than one figure sits behind a
    closed toggle (p1 has a single chart: it has no casualty figures to draw)."""
    doc = next(d for d in period_chapters() if len(figure_cells(d)) >= 2)
    visit(page, f"{site}/{doc}.html")
    toggles = page.locator("details.hide.above-input")
    assert toggles.count() >= len(figure_cells(doc)), f"{doc}: figure code is not behind a toggle"
    assert not any(toggles.nth(i).evaluate("d => d.open") for i in range(toggles.count())), \
        f"{doc}: a code toggle is open by default"


def test_page_has_description_and_opengraph(page, site):
    page.goto(f"{site}/{period_chapters()[0]}.html", wait_until="domcontentloaded")
    assert page.locator("meta[property='og:title']").count() == 1
    desc = page.locator("meta[name='description']")
    assert desc.count() == 1 and len(desc.get_attribute("content")) > 40


def all_pages(site_dir) -> list[str]:
    """Every HTML page of the built site, whatever pages the book has today."""
    pages = [p.relative_to(site_dir).as_posix() for p in site_pages(site_dir)]
    assert len(pages) >= len(toc_docnames()), f"only {len(pages)} pages built"
    return pages


def test_axe_finds_no_wcag_violation_on_the_other_pages(browser, site, built_html, axe):
    """axe-core on every page of the site that is not a page of the book (those are checked
    in test_page_in_the_browser): the index, search and redirect pages; a page that only
    redirects must lead to a page that opens."""
    book = {f"{d}.html" for d in toc_docnames()}
    others = [name for name in all_pages(built_html) if name not in book]
    assert others, "no page outside the book's table of contents: is the site complete?"
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    found = {}
    for name in others:
        html = (built_html / name).read_text(encoding="utf-8")
        redirect = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', html, re.I)
        if redirect:
            target = urljoin(f"{site}/{name}", redirect.group(1))
            with tab.expect_navigation(url=target):
                tab.goto(f"{site}/{name}", wait_until="commit")
            continue
        tab.goto(f"{site}/{name}", wait_until="load")
        violations = axe_violations(axe, tab)
        if violations:
            found[name] = violations
    ctx.close()
    assert not found, "axe-core violations:\n" + "\n".join(
        f"  {page}: {msg}" for page, msgs in found.items() for msg in msgs)


ICONS_JS = """async () => {
  await document.fonts.ready;
  const draw = (font, ch) => {
    const c = document.createElement('canvas'); c.width = c.height = 64;
    const x = c.getContext('2d'); x.font = font; x.fillText(ch, 8, 48);
    return c.toDataURL();
  };
  return [...document.querySelectorAll('.bd-header-article i[class*="fa-"]')]
    .filter(i => i.offsetParent !== null)
    .map(i => {
      const b = getComputedStyle(i, '::before');
      const ch = b.content.replace(/^"|"$/g, '');
      // a glyph the font lacks is drawn as the font's "missing" box, as is U+10FFFD
      const font = `${b.fontWeight} 40px ${b.fontFamily}`;
      const drawn = ch.length > 0 && draw(font, ch) !== draw(font, '\\u{10FFFD}');
      return {cls: i.className, width: i.getBoundingClientRect().width, drawn,
              family: b.fontFamily};
    });
}"""


def test_header_icons_render_from_the_icon_font(page, site):
    """The header's buttons (launch, repository, download, theme) show their Font Awesome
    icons, now drawn by the web font (fontawesome.js is no longer loaded)."""
    doc = period_chapters()[0]
    visit(page, f"{site}/{doc}.html")
    assert page.locator("script[src*='fontawesome.js']").count() == 0
    icons = page.evaluate(ICONS_JS)
    names = " ".join(i["cls"] for i in icons)
    for wanted in ("fa-download", "fa-github", "fa-rocket"):
        assert wanted in names, f"no visible {wanted} icon in the header: {names}"
    bad = [i for i in icons if not (i["width"] > 4 and i["drawn"]
                                    and "Font Awesome" in i["family"])]
    assert not bad, f"icons that do not render from the icon font: {bad}"
    loaded = page.evaluate("[...document.fonts].filter(f => f.status == 'loaded')"
                           ".map(f => f.family)")
    assert any("Font Awesome 6 Free" in f for f in loaded), loaded
    assert any("Font Awesome 6 Brands" in f for f in loaded), loaded


# --- search, menus, the register's filter, and every page at phone width ---------------------

@pytest.mark.parametrize("year, docs", [
    ("1986", ["chapters/p1-founding"]),
    ("2013", ["chapters/p5-raid-and-liberty", "chapters/p6-emptying-ashraf"]),
])
def test_search_for_a_year_lists_its_pages_with_the_year_in_a_snippet(page, site, year, docs):
    """Sphinx's searchtools.js drops all-digit query terms; chapters/_static/book.js puts them
    back, and takes each snippet from the article (not from the header's buttons)."""
    visit(page, f"{site}/search.html?q={year}")
    page.wait_for_selector("#search-results li", timeout=15000)
    page.wait_for_function("document.querySelectorAll('#search-results li p.context').length"
                           " > 0", timeout=15000)
    hrefs = page.locator("#search-results li a").evaluate_all("as => as.map(a => a.href)")
    found = {re.sub(r"\.html.*$", "", urlparse(h).path.lstrip("/")) for h in hrefs}
    for doc in docs:
        assert doc in found, f"search for {year} does not list {doc}: {sorted(found)}"
    snippets = page.locator("#search-results li p.context").all_inner_texts()
    assert any(year in s for s in snippets), f"no snippet holds {year}: {snippets[:3]}"
    assert page.problems == [], page.problems


def test_search_snippets_are_text_not_header_buttons(page, site):
    visit(page, f"{site}/search.html?q=Liberty")
    page.wait_for_function("document.querySelectorAll('#search-results li p.context').length"
                           " > 2", timeout=15000)
    snippets = page.locator("#search-results li p.context").all_inner_texts()
    bad = [s for s in snippets if re.search(r"Binder|Repository|Suggest edit", s)]
    assert not bad, f"snippets from the header buttons: {bad[:3]}"
    assert any("Liberty" in s for s in snippets), snippets[:3]


def test_one_search_box_and_its_icon_covers_no_text(page, site):
    visit(page, f"{site}/{period_chapters()[0]}.html")
    visible = page.locator("button.search-button__button").evaluate_all(
        "bs => bs.filter(b => b.offsetParent !== null && b.getBoundingClientRect().width > 0)"
        ".length")
    assert visible == 1, f"{visible} search boxes on a 1280 px page"
    page.locator("button.search-button__button:visible").first.click()
    field = page.locator("#pst-search-dialog input[type='search']").first
    field.wait_for(state="visible", timeout=5000)
    gap = field.evaluate("""f => {
      const icon = f.closest('form').querySelector('i.fa-magnifying-glass, svg');
      if (!icon) return 999;
      const pad = parseFloat(getComputedStyle(f).paddingLeft);
      return f.getBoundingClientRect().left + pad - icon.getBoundingClientRect().right;
    }""")
    assert gap >= 0, f"the magnifier covers {-gap:.0f} px of the text typed"


def test_download_menu_has_each_file_once_and_no_print_item(page, site):
    visit(page, f"{site}/{period_chapters()[0]}.html")
    texts = [t.strip() for t in page.locator(".dropdown-download-buttons a").all_inner_texts()]
    assert texts.count(".ipynb") == 1, texts
    assert "Book PDF" in texts and ".md" in texts, texts
    assert ".pdf" not in texts and page.locator(".download-pdf-button").count() == 0, texts


def test_register_filter_narrows_the_list(page, site):
    visit(page, f"{site}/chapters/register.html")
    shown = "document.querySelectorAll('div.reg-entry:not([hidden])').length"
    # the whole page first: one entry per event (a loaded machine once counted 126 entries,
    # then 138 shown, of a page still being parsed)
    events = len(read_csv(ROOT / "data" / "events.csv")[1])
    page.wait_for_function(f"document.querySelectorAll('div.reg-entry').length === {events}"
                           " && document.readyState === 'complete'", timeout=60_000)
    total = page.evaluate("document.querySelectorAll('div.reg-entry').length")
    assert total == events and page.evaluate(shown) == total
    form = page.locator("form.reg-filter")
    form.locator("select[name=rp]").select_option("p5")
    in_p5 = page.evaluate(shown)
    assert 0 < in_p5 < total
    assert page.evaluate("[...document.querySelectorAll('div.reg-entry:not([hidden])')]"
                         ".every(e => e.classList.contains('rp-p5'))")
    assert f"{in_p5} of {total}" in form.locator(".reg-count").inner_text()
    grade = form.locator("select[name=rg] option").nth(1).get_attribute("value")
    form.locator("select[name=rg]").select_option(grade)
    assert page.evaluate(shown) <= in_p5
    form.locator("select[name=rp]").select_option("")
    form.locator("select[name=rg]").select_option("")
    form.locator("input[name=text]").fill("Liberty")
    by_text = page.evaluate(shown)
    assert 0 < by_text < total
    assert page.evaluate("[...document.querySelectorAll('div.reg-entry:not([hidden])')]"
                         ".every(e => /liberty/i.test(e.textContent))")
    assert page.problems == [], page.problems


# Elements wider than the phone's viewport, outside any box that scrolls or clips them.
OVERFLOW_JS = """() => {
  const W = document.documentElement.clientWidth, out = [];
  const boxed = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) return true;
      if (s.position === 'fixed') return true;   // drawers and dialogs off-screen
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.position === 'fixed') continue;
    // a box too wide, or a narrow box whose text runs out of it (a long URL, a code word)
    const spills = s.overflowX === 'visible' && el.clientWidth > 0 &&
      el.scrollWidth > el.clientWidth + 1 && r.left + el.scrollWidth > W + 1;
    if ((r.right > W + 1 || r.left < -1 || spills) && !boxed(el)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
               `${el.className && el.className.baseVal === undefined ?
                  '.' + String(el.className).trim().split(/\\s+/).join('.') : ''}` +
               ` (${Math.round(r.left)}..${Math.round(r.right)} px)`);
    }
  }
  if (document.documentElement.scrollWidth > W + 1)
    out.unshift(`page scrolls sideways: ${document.documentElement.scrollWidth} px`);
  return out.slice(-5);   // the innermost come last
}"""


def overflow_at_390(tab, name) -> list[str]:
    return tab.evaluate(OVERFLOW_JS)


# A table of at most five columns (a claims table: figure, counts, given by, date, source;
# the counts column only where rows count different things) that is wider than its box at
# 390 px: its last column is off-screen until the reader scrolls it.
NARROW_TABLES_JS = """() => [...document.querySelectorAll('.bd-article table')].filter(t => {
  const row = t.querySelector('tr');
  return row && row.children.length <= 5 && t.scrollWidth > t.parentElement.clientWidth + 1;
}).map(t => `${t.caption ? t.caption.textContent.trim().slice(0, 60) : 'a table'}: ` +
        `${t.scrollWidth} px in ${t.parentElement.clientWidth} px`)"""


def narrow_table_scrolls(tab, name) -> list[str]:
    return tab.evaluate(NARROW_TABLES_JS)


# One visit per page at 390 px, every check run on it: add a check here (a function of the
# tab and the page's name returning its problems) rather than another loop over the pages.
NARROW_CHECKS = [overflow_at_390, narrow_table_scrolls]


def test_every_page_at_390_px(browser, site, built_html):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    tab = ctx.new_page()
    # the check can fail: a wide table and a long word outside a scroll box are caught,
    # the same table inside one is not
    wide = '<table><tr><td style="min-width:900px">x</td></tr></table><p style="width:300px">' \
        + "w" * 120 + "</p>"
    tab.set_content(f"<!DOCTYPE html><html><body>{wide}</body></html>")
    assert len(overflow_at_390(tab, "seeded")) >= 2, overflow_at_390(tab, "seeded")
    tab.set_content(f'<!DOCTYPE html><html><body><div style="overflow-x:auto">{wide}</div>'
                    "</body></html>")
    assert overflow_at_390(tab, "seeded") == []
    # a five-column table too wide for the phone is caught, a narrow one is not
    cells = "".join(f"<td>{w}</td>" for w in ("Commissioner", "International", "x" * 40, "y",
                                               "z"))
    tab.set_content(f"<!DOCTYPE html><html><body><article class=bd-article><div><table><tr>"
                    f"{cells}</tr></table></div><div><table><tr><td>1</td><td>2</td></tr>"
                    "</table></div></article></body></html>")
    assert len(narrow_table_scrolls(tab, "seeded")) == 1, narrow_table_scrolls(tab, "seeded")
    found = {}
    for name in all_pages(built_html):
        html = (built_html / name).read_text(encoding="utf-8")
        if re.search(r'http-equiv="refresh"', html, re.I):
            continue
        tab.goto(f"{site}/{name}", wait_until="load")
        for check in NARROW_CHECKS:
            problems = check(tab, name)
            if problems:
                found.setdefault(name, []).extend(f"{check.__name__}: {p}" for p in problems)
    ctx.close()
    assert not found, "at 390 px:\n" + "\n".join(
        f"  {page}: {msg}" for page, msgs in found.items() for msg in msgs)


def test_disputes_page_links_each_question_to_a_register_entry_that_opens(page, site):
    """A reader of the disputes page can follow each question's links into the register: every
    question (a section but the citation block) has one, and each link lands on an entry."""
    page.goto(f"{site}/chapters/disputes.html")
    sections = page.eval_on_selector_all(
        "main section section",
        "ss => ss.map(s => [s.querySelector('h2') ? s.querySelector('h2').innerText : '',"
        " [...s.querySelectorAll('a[href*=\"register.html#ev-\"]')].map(a => a.href)])")
    questions = [(t, links) for t, links in sections if t and "cite" not in t.lower()]
    assert len(questions) >= 7, f"only {len(questions)} questions on the disputes page"
    for title, links in questions:
        assert links, f"«{title}» links to no register entry"
    target = questions[1][1][0]
    page.goto(target)
    anchor = urlparse(target).fragment
    assert page.locator(f"[id='{anchor}']").count() == 1, f"no register entry #{anchor}"
    assert page.evaluate("window.scrollY") > 0, "the link did not jump to the entry"


def test_a_renamed_chapter_keeps_its_old_address(built_html):
    """Version 1.1.0 cited chapter 3 at chapters/p2-iranian-attacks.html and chapter 4 at
    p3-us-protection.html; the pages are now p2-raids-and-missiles and p3-us-custody (the old
    names spoke in one side's voice). The old addresses still open and send the reader on."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from bookext import MOVED

    for old, new in MOVED.items():
        page = (built_html / f"{old}.html").read_text(encoding="utf-8")
        target = Path(new).name + ".html"
        assert f'http-equiv="refresh" content="0; url={target}"' in page
        assert f'href="{target}"' in page and (built_html / f"{new}.html").exists()
        assert "<!DOCTYPE html>" in page and "<title>Moved: " in page
