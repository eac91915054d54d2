"""What a page of the built site costs a reader: its HTML and every local file it makes the
browser fetch (stylesheets and what they import, scripts, preloads, images, icons, and the web
fonts the stylesheets declare), each counted once, gzip-compressed as a web server sends it.

    python tools/weight.py [_build/html]     (the heaviest pages first)

Used by `make bench` (tools/bench.py) and by tests/test_weight.py. Fonts: of an @font-face's
`src` list the browser fetches the first format it supports, so only the first URL counts.
Links to other pages (a, link rel=next/prev/index/search/canonical) are not fetched and do not
count; a download (PDF, notebook, CSV) is not part of the page either.
"""
from __future__ import annotations

import gzip
import re
import sys
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LIMIT = 500_000  # bytes, compressed: the most a page may need (issue 13)
FETCHED_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "apple-touch-icon"}


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and set((a.get("rel") or "").lower().split()) & FETCHED_RELS:
            self.refs.append(a.get("href") or "")
        elif tag in ("script", "img", "source", "iframe", "embed", "audio", "video") \
                and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "object" and a.get("data"):
            self.refs.append(a["data"])
        elif tag == "style":
            self._in_style = True
        if tag in ("img", "source") and a.get("srcset"):
            self.refs += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]
        if a.get("style"):
            self.inline_css.append(a["style"])

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


FONT_FACE = re.compile(r"@font-face\s*\{(.*?)\}", re.S | re.I)
URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.I)
IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?([^'")\s;]+)""", re.I)


def css_refs(css: str) -> list[str]:
    """The URLs a stylesheet makes the browser fetch: imports, images, and of each
    @font-face the first source (the browser stops at the first format it supports)."""
    refs = IMPORT.findall(css)
    for block in FONT_FACE.findall(css):
        src = re.search(r"(?<![-\w])src\s*:([^;}]*)", block)
        first = URL.search(src.group(1)) if src else None
        if first:
            refs.append(first.group(2))
    rest = FONT_FACE.sub("", IMPORT.sub("", css))
    refs += [m.group(2) for m in URL.finditer(rest)]
    return refs


def _local(base: Path, ref: str, site: Path) -> Path | None:
    """The file a reference points to inside the site, or None (other host, data URI)."""
    parts = urlsplit(ref.strip())
    if parts.scheme or parts.netloc or not parts.path or ref.startswith("#"):
        return None
    path = unquote(parts.path)
    target = (site / path.lstrip("/")) if path.startswith("/") else (base.parent / path)
    target = target.resolve()
    return target if target.is_file() and site.resolve() in target.parents else None


@lru_cache(maxsize=None)
def gz_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def page_files(page: Path, site: Path) -> list[Path]:
    """The page itself and every local file it makes the browser fetch, each once."""
    seen: dict[Path, None] = {page.resolve(): None}
    parser = _Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    todo = [(page, r) for r in parser.refs]
    todo += [(page, r) for css in parser.inline_css for r in css_refs(css)]
    while todo:
        base, ref = todo.pop()
        target = _local(base, ref, site)
        if target is None or target in seen:
            continue
        seen[target] = None
        if target.suffix == ".css":
            todo += [(target, r) for r in css_refs(target.read_text(encoding="utf-8",
                                                                    errors="replace"))]
    return list(seen)


def page_weight(page: Path, site: Path) -> tuple[int, dict[str, int]]:
    """Total compressed bytes of a page and the compressed size of each file it needs."""
    files = {f.relative_to(site.resolve()).as_posix(): gz_size(f)
             for f in page_files(page, site)}
    return sum(files.values()), files


def site_pages(site: Path) -> list[Path]:
    """Every HTML page of the built site (whatever pages the book has today)."""
    return sorted(p for p in site.rglob("*.html")
                  if not {"_static", "_sources", "_downloads", "_images"} & set(
                      p.relative_to(site).parts))


def weights(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): page_weight(p, site)[0] for p in site_pages(site)}


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    site = Path(args[0] if args else Path(__file__).resolve().parent.parent / "_build" / "html")
    rows = sorted(weights(site).items(), key=lambda kv: -kv[1])
    for name, size in rows:
        flag = "" if size <= LIMIT else f"   over {LIMIT // 1000} KB"
        print(f"{size / 1000:8.0f} KB  {name}{flag}")
    heaviest = rows[0][0] if rows else None
    if heaviest:
        _, files = page_weight(site / heaviest, site)
        print(f"\nthe heaviest page, {heaviest}, needs:")
        for name, size in sorted(files.items(), key=lambda kv: -kv[1])[:15]:
            print(f"{size / 1000:8.1f} KB  {name}")
    return 0 if all(size <= LIMIT for _, size in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
