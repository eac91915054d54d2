"""Sphinx extension for the book (loaded through `sphinx.local_extensions` in _config.yml).

1. Data-aware execution cache. myst-nb's jupyter-cache is keyed on a notebook's code cells
   only, so an edited CSV would be served with stale outputs. Here the cache folder is named
   after a hash of everything a notebook reads besides its own code: `data/` and the
   `analysis/` package. Any change there selects a fresh, empty cache; because the config
   value changes, Sphinx also re-reads every page, so every notebook executes again.
   Prose edits and code edits keep the hash: prose executes nothing, a code edit executes
   only its own notebook (jupyter-cache's own keying).
2. The PDF shows no code: in LaTeX every notebook cell's source is dropped (readers of the
   PDF get prose, figures and tables; the code is in the site's toggles and the notebooks).
3. Arabic script and emoji in the PDF: XeLaTeX's main font neither shapes Arabic nor writes
   it right to left, and has no emoji, so every run of Arabic-script text (prose, captions,
   data in tables) is set in Noto Naskh Arabic right to left, and every run of pictographs
   in Symbola (the fonts are declared in _config.yml).
4. Downloads on every chapter page: the executed notebook (.ipynb) and the whole-book PDF,
   in the theme's download menu (the theme's own "print to PDF" stays).
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from docutils import nodes

ROOT = Path(__file__).resolve().parent.parent
HASHED = ("data", "analysis")
PDF_NAME = "camp-ashraf.pdf"


def inputs_hash(root: Path = ROOT) -> str:
    """Hash of the files every notebook reads: data/ and analysis/*.py (names and bytes)."""
    h = hashlib.sha256()
    for top in HASHED:
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(path.relative_to(root).as_posix().encode() + b"\0")
                h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _set_cache_path(app, config):
    base = Path(app.outdir).parent / ".jupyter_cache"
    digest = inputs_hash()
    config.nb_execution_cache_path = str(base / f"inputs-{digest}")
    # keep one cache only: the one for the current inputs
    if base.is_dir():
        for old in base.glob("inputs-*"):
            if old.name != f"inputs-{digest}":
                shutil.rmtree(old, ignore_errors=True)


def _executed_notebooks(app):
    return Path(app.outdir).parent / "jupyter_execute"


def _add_downloads(app, pagename, templatename, context, doctree):
    if app.builder.format != "html":
        return
    pathto = context["pathto"]
    nb = _executed_notebooks(app) / f"{pagename}.ipynb"
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        items = group["buttons"]
        if nb.exists():
            items.insert(0, {
                "type": "link",
                "url": f"{pathto('_sources', 1)}/{pagename}.ipynb",
                "text": ".ipynb",
                "icon": "fas fa-code",
                "tooltip": "Download this chapter as an executed Jupyter notebook",
                "label": "download-notebook-button",
            })
        items.append({
            "type": "link",
            "url": pathto(PDF_NAME, 1),
            "text": "Book PDF",
            "icon": "fas fa-book",
            "tooltip": "Download the whole book as a PDF (the citable edition)",
            "label": "download-book-pdf-button",
        })


def _copy_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    src = _executed_notebooks(app)
    dest = Path(app.outdir) / "_sources"
    for nb in src.rglob("*.ipynb"):
        target = dest / nb.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nb, target)


def _drop_code_in_latex(app, doctree, docname):
    if app.builder.format != "latex":
        return
    for node in list(doctree.findall(nodes.container)):
        if "cell_input" in node.get("classes", []):
            node.parent.remove(node)


ARABIC = "\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF"
ARABIC_RUN = re.compile(f"[{ARABIC}]+(?:[\\s\u200c]+[{ARABIC}]+)*")
SYMBOLS = "\u2600-\u27BF\U0001F000-\U0001FAFF"
SPECIAL_RUN = re.compile(f"(?P<arabic>{ARABIC_RUN.pattern})|(?P<symbol>[{SYMBOLS}]+)")
WRAP = {"arabic": "{{\\arabicfont\\beginR {}\\endR}}", "symbol": "{{\\symbolfont {}}}"}


def _arabic_in_latex(app, doctree, docname):
    if app.builder.format != "latex":
        return
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or isinstance(parent, (nodes.literal_block, nodes.raw,
                                                 nodes.literal)):
            continue
        value = str(text)
        if not SPECIAL_RUN.search(value):
            continue
        parts, last = [], 0
        for m in SPECIAL_RUN.finditer(value):
            if m.start() > last:
                parts.append(nodes.Text(value[last:m.start()]))
            parts.append(nodes.raw("", WRAP[m.lastgroup].format(m.group(0)), format="latex"))
            last = m.end()
        if last < len(value):
            parts.append(nodes.Text(value[last:]))
        index = parent.index(text)
        parent.remove(text)
        for offset, part in enumerate(parts):
            parent.insert(index + offset, part)


def setup(app):
    app.connect("doctree-resolved", _arabic_in_latex)
    app.connect("doctree-resolved", _drop_code_in_latex)
    app.connect("config-inited", _set_cache_path)
    app.connect("html-page-context", _add_downloads, priority=600)
    app.connect("build-finished", _copy_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
