"""Light pages (issue 13): no page of the built site needs more than 500 KB, gzip-compressed as
a web server sends it, counting its HTML and every local file it makes the browser fetch
(stylesheets and their fonts and images, scripts, images, icons), each once per page."""
from __future__ import annotations

from conftest import toc_docnames
from weight import LIMIT, page_files, page_weight, site_pages


def test_every_page_needs_at_most_500_kb_compressed(built_html):
    pages = site_pages(built_html)
    assert len(pages) >= len(toc_docnames()), f"only {len(pages)} pages built"
    heavy = {}
    for page in pages:
        total, files = page_weight(page, built_html)
        if total > LIMIT:
            top = sorted(files.items(), key=lambda kv: -kv[1])[:5]
            heavy[page.relative_to(built_html).as_posix()] = (total, top)
    assert not heavy, "pages over 500 KB compressed:\n" + "\n".join(
        f"  {name}: {total / 1000:.0f} KB; largest: " +
        ", ".join(f"{f} {s / 1000:.0f} KB" for f, s in top)
        for name, (total, top) in heavy.items())


def test_the_weight_counts_what_a_page_loads(built_html):
    """The measure sees the theme's stylesheet, the icon font it declares and the page's
    figures (inline SVG, so counted with the HTML), and no longer the 1.5 MB fontawesome.js."""
    page = built_html / "chapters" / "p4-iraqi-control.html"
    files = {f.relative_to(built_html.resolve()).as_posix() for f in page_files(page, built_html)}
    assert any(f.startswith("_static/styles/pydata-sphinx-theme") for f in files), files
    assert any("fontawesome/webfonts/fa-solid-900" in f for f in files), files
    assert 'class="chart-svg"' in page.read_text(encoding="utf-8"), "charts are not inline"
    assert not any(f.endswith("fontawesome.js") for f in files), files
    assert page_weight(page, built_html)[0] > 50_000
