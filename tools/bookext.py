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
4. No Thebe: its scripts are left out of the pages (see _drop_thebe).
5. A description and OpenGraph tags on every page.
6. Downloads on every chapter page: the executed notebook (.ipynb) and the whole-book PDF,
   in the theme's download menu, with the chapter source (.md); the theme's "print to PDF" item is dropped. The notebook offered
   holds the outputs the page shows: in cache mode myst-nb writes the notebook without them,
   so they are merged back from the execution cache (a notebook with code and no cached
   outputs fails the build).
7. The data package on the site: data/ is copied to _build/html/data/ with one zip of it
   (camp-ashraf-data.zip, fixed timestamps); `{datafile}` links a file there (relative in
   the HTML, the published address in the PDF); `{{ data_version }}` and
   `{{ data_licence }}` read datapackage.json. python/ on the site: the analysis wheel, with
   the data, and the pinned requirements of a downloaded notebook (tools/readerwheel.py);
   {datafile}`python/requirements.txt` and {datafile}`python/wheel` link them.
8. Pages every reader can use (axe-core and the Nu HTML Checker find nothing; see
   _accessible_body): bibliography entries are list items of their list, and the labels of
   code toggles are phrasing content, as <summary> requires.
9. Light pages (see _light_pages): the theme's 1.5 MB fontawesome.js (icons drawn as SVG by
   script) is left out; its icons come from the Font Awesome web fonts the theme's CSS already
   declares, cut down to the glyphs the site uses. Every page then needs a few hundred KB.
10. PDF page breaks, with one threshold, ROOM (a share of the text block): LATEX_PAGE_RULES
   in the LaTeX preamble; a heading or paragraph that opens a table asks for room for its
   first rows (the LaTeX macro BookRoomFor), and a short table that does not fit where it
   starts goes whole to the next page when no more than ROOM is free (BookRoomForAll);
   tests/test_pdf.py imports ROOM.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from docutils import nodes

from readerwheel import build_wheel, wheel_name, write_requirements

ROOT = Path(__file__).resolve().parent.parent
# What every notebook reads besides its own code: the data, the analysis package, and the
# citation metadata that each chapter's "How to cite" prints (version, date, site address)
HASHED = ("data", "analysis", "CITATION.cff", "_config.yml")
PDF_NAME = "camp-ashraf.pdf"
DATA_ZIP = "camp-ashraf-data.zip"
PYTHON_DIR = "python"   # the analysis wheel and the reader's requirements (readerwheel.py)
BIBLIOGRAPHY_PAGE = "chapters/bibliography"


def files_hash(root: Path, names, seed: bytes = b"") -> str:
    """sha256 of the named files and folders under root: each file's path and bytes, in
    sorted order (caches, compiled Python and installed npm packages left out; a missing name
    counts as empty)."""
    h = hashlib.sha256(seed)
    for name in names:
        top = root / name
        paths = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        for path in paths:
            if ("__pycache__" in path.parts or "node_modules" in path.parts
                    or path.suffix == ".pyc" or not path.is_file()):
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def inputs_hash(root: Path = ROOT) -> str:
    """Hash of the files every notebook reads (HASHED: names and bytes)."""
    return files_hash(root, HASHED)[:16]


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
        # one of each: the theme's "print to PDF" (".pdf") is no PDF of the book and goes;
        # the handler may meet a list it has already filled, so ours are put in afresh
        items = group["buttons"]
        items[:] = [b for b in items if b.get("label") not in
                    ("download-pdf-button", "download-notebook-button",
                     "download-book-pdf-button")]
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


def _drop_thebe(app, pagename, templatename, context, doctree):
    """The book does not use Thebe (live code in the page), but Jupyter Book always loads
    sphinx-thebe, whose inline configuration is emitted twice and raises a script error.
    Leave its files out of every page: nothing on a page refers to another host."""
    def keep(item) -> bool:
        name = str(getattr(item, "filename", item) or "")
        body = str(getattr(item, "attributes", {}).get("body", ""))
        return "thebe" not in name.lower() and "thebe" not in body.lower()

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [item for item in context[key] if keep(item)]


def _page_meta(app, pagename, templatename, context, doctree):
    """A description and OpenGraph tags for every page: its title and first paragraph."""
    if app.builder.format != "html" or doctree is None:
        return
    from html import escape, unescape

    first = next((p.astext() for p in doctree.findall(nodes.paragraph)
                  if len(p.astext()) > 60), "")
    desc = " ".join(first.split())
    if len(desc) > 200:
        desc = desc[:197].rsplit(" ", 1)[0] + "…"
    title = re.sub(r"<[^>]+>", "", context.get("title") or app.config.project)
    title = " ".join(unescape(title).split())
    base = (app.config.html_baseurl or "").rstrip("/")
    tags = [
        f'<meta name="description" content="{escape(desc)}" />',
        f'<meta property="og:title" content="{escape(title)}" />',
        f'<meta property="og:description" content="{escape(desc)}" />',
        '<meta property="og:type" content="article" />',
        f'<meta property="og:site_name" content="{escape(app.config.project)}" />',
    ]
    if base:
        tags.append(f'<meta property="og:url" content="{escape(base)}/{pagename}.html" />')
    context["metatags"] = context.get("metatags", "") + "\n".join(tags) + "\n"


NOTEBOOK_NOTE = """\
**Executed notebook of *{title}*.** It holds the outputs of the published book: {page}

To re-run it on your own machine (Python 3.11, 3.12 or 3.13; no clone needed), in the
folder that holds this file, make a virtual environment and install, with one pip command,
the pinned packages the site lists and the book's `analysis` package, which carries the data:

```sh
python3 -m venv camp-ashraf
camp-ashraf/bin/pip install -r {site}/python/requirements.txt {site}/python/{wheel}
camp-ashraf/bin/python -m analysis run {file}
```

The last line executes every cell and writes `{stem}-run.ipynb` with all outputs (or open
this notebook in Jupyter with that environment's kernel). Set `CAMP_ASHRAF_DATA` to a folder
to run it against another copy of the data. Or launch the chapter on Binder from its page.
"""


def executed_notebook(path: Path, cache_path: str | None):
    """The notebook myst-nb wrote for a page, with the outputs of its execution merged back
    from the jupyter-cache (myst-nb writes the unexecuted notebook in cache mode). None for
    a notebook with code that the cache does not hold."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    has_code = any(c.cell_type == "code" and c.source.strip() for c in nb.cells)
    if has_code and not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
        if not cache_path or not Path(cache_path).exists():
            return None
        from jupyter_cache import get_cache

        try:
            _, nb = get_cache(cache_path).merge_match_into_notebook(nb)
        except KeyError:
            return None
    return nb


def _copy_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import nbformat
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    src = _executed_notebooks(app)
    dest = Path(app.outdir) / "_sources"
    base = (app.config.html_baseurl or "").rstrip("/")
    for path in sorted(src.rglob("*.ipynb")):
        rel = path.relative_to(src)
        docname = rel.with_suffix("").as_posix()
        if docname not in app.env.all_docs:   # left by an earlier build of a renamed page
            path.unlink()
            continue
        nb = executed_notebook(path, app.config.nb_execution_cache_path)
        if nb is None:
            log.warning(f"{docname}: no executed outputs in the execution cache; the "
                        f"notebook offered for download would have none")
            continue
        title = app.env.titles[docname].astext() if docname in app.env.titles else docname
        page = f"{base}/{docname}.html" if base else f"{docname}.html"
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(NOTEBOOK_NOTE.format(
            title=title, page=page, site=base or ".", wheel=wheel_name(), file=rel.name,
            stem=rel.stem)))
        for i, cell in enumerate(nb.cells):  # jupytext draws random cell ids: fix them
            cell["id"] = f"cell-{i}"
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)


def _data_package(root: Path = ROOT) -> dict:
    import json

    return json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))


def data_files(root: Path = ROOT) -> list[Path]:
    """The files of the data package: datapackage.json and every resource it lists."""
    pkg = _data_package(root)
    return [root / "data" / "datapackage.json"] + [root / "data" / r["path"]
                                                  for r in pkg["resources"]]


def write_data_zip(target: Path, root: Path = ROOT) -> None:
    """One zip of the data package, in a folder named after it; the same bytes for the same
    files (fixed timestamps and order)."""
    import zipfile

    folder = _data_package(root)["name"]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in data_files(root):
            info = zipfile.ZipInfo(f"{folder}/{path.name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())


def _publish_data(app, exception):
    """The data package as files of the site: _build/html/data/ and one zip of it."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "data"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for path in data_files():
        shutil.copyfile(path, out / path.name)
    write_data_zip(out / DATA_ZIP)


def _publish_python(app, exception):
    """python/ on the site: the analysis wheel (with the data) and the pinned requirements a
    downloaded notebook needs (tools/readerwheel.py)."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / PYTHON_DIR
    shutil.rmtree(out, ignore_errors=True)
    build_wheel(out)
    write_requirements(out)


def _data_substitutions(app, config):
    pkg = _data_package()
    licence = pkg.get("licenses", [{}])[0]
    subs = dict(config.myst_substitutions or {})
    subs.update({"data_version": pkg.get("version", ""),
                 "data_licence": licence.get("title") or licence.get("name", ""),
                 "data_zip": DATA_ZIP})
    config.myst_substitutions = subs


def _unreleased_stamp(app, config):
    """A copy built from data no release has carried is not the release it was built after:
    its running header and title page say '1.1.0+dev' and 'unreleased' (the citations do the
    same, analysis/citation.py), so that nobody cites its figures as the release's."""
    from analysis.citation import build_version

    version, released = build_version(Path(app.srcdir))
    if released:
        return
    config.release = version
    elements = dict(config.latex_elements or {})
    title = elements.get("maketitle", "")
    stamp = re.search(r"Version [^\\]+? \\textperiodcentered\{\} ([^\\]+?)\\par", title)
    if stamp:
        elements["maketitle"] = title.replace(
            stamp.group(0), f"Version {version} \\textperiodcentered{{}} unreleased, built after "
                            f"the release of {stamp.group(1)}\\par")
        config.latex_elements = elements


def _datafile_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{datafile}`camp-ashraf-data.zip` or {datafile}`label <events.csv>`: a link to a file
    of the data package as the site serves it."""
    m = re.match(r"^(.*?)\s*<([^<>]+)>$", text)
    label, target = (m.group(1), m.group(2)) if m else (text, text)
    allowed = {p.name for p in data_files()} | {DATA_ZIP}
    python = {f"{PYTHON_DIR}/requirements.txt": "requirements.txt",
              f"{PYTHON_DIR}/wheel": wheel_name()}   # the wheel's name carries the version
    if target in python:
        if label == target:
            label = python[target]
        node = nodes.reference(rawtext, "", nodes.literal(label, label),
                               refuri=f"{PYTHON_DIR}/{python[target]}",
                               classes=["book-data-file"])
        return [node], []
    if target not in allowed:
        msg = inliner.reporter.error(
            f"{{datafile}} names {target!r}, which the site does not serve; use one of: "
            f"{', '.join(sorted(allowed))}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    node = nodes.reference(rawtext, "", nodes.literal(label, label), refuri=f"data/{target}",
                           classes=["book-data-file"])
    return [node], []


def _resolve_datafiles(app, doctree, docname):
    """HTML: a path relative to the page; PDF: the published site's address."""
    base = (app.config.html_baseurl or "").rstrip("/")
    depth = docname.count("/")
    for ref in doctree.findall(nodes.reference):
        if "book-data-file" in ref.get("classes", []) and ref["refuri"].startswith(
                ("data/", f"{PYTHON_DIR}/")):
            if app.builder.format == "html":
                ref["refuri"] = "../" * depth + ref["refuri"]
            else:
                ref["refuri"] = f"{base}/{ref['refuri']}"


def _bibliography_here_transform():
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class BibliographyHere(SphinxPostTransform):
        """In the PDF the bibliography is a numbered chapter at the place the site has it,
        so that the chapters after it (the register) have the same numbers in both. After
        Sphinx's BibliographyTransform (priority 750) has gathered the references at the
        end of the document, move them into that chapter (its heading and text stay; the
        list's own unnumbered heading is switched off in _config.yml's preamble)."""
        default_priority = 760
        formats = ("latex",)

        def run(self, **kwargs):
            from sphinx import addnodes
            from sphinx.builders.latex.nodes import thebibliography

            lists = [n for n in self.document.children if isinstance(n, thebibliography)]
            homes = [sec for start in self.document.findall(addnodes.start_of_file)
                     if start.get("docname") == BIBLIOGRAPHY_PAGE
                     for sec in start.children if isinstance(sec, nodes.section)]
            if lists and homes:
                for lst in lists:
                    self.document.remove(lst)
                    homes[0] += lst

    return BibliographyHere


# --- a PDF a press would accept (issue 20): nothing in the margins, no stray lines ---------
LONG_WORD = re.compile(r"\S{26,}")
BREAK_AFTER = re.compile(r"([/\-.?&=_%\]})|+*,])")
NO_BREAKS_IN = (nodes.title, nodes.caption, nodes.literal_block, nodes.raw, nodes.math,
                nodes.math_block, nodes.target)
NO_BOXES_IN = (nodes.literal_block, nodes.raw, nodes.math, nodes.math_block, nodes.target)
CITE_TITLE = "How to cite this chapter"
# the grades as tables print them (analysis.derive.GRADE_LABELS): never hyphenated in the PDF
GRADE_WORDS = {"confirmed", "corroborated", "single source", "no independent source", "contested"}


def _raw(latex: str) -> nodes.raw:
    return nodes.raw("", latex, format="latex")


def _inside(node, kinds) -> bool:
    while node is not None:
        if isinstance(node, kinds):
            return True
        node = node.parent
    return False


def _breakable_long_words(app, doctree, docname):
    """Addresses, identifiers and patterns longer than a column (a URL shown as text, an
    event id in the changelog, a codebook pattern) may break after / - . ? & = _ ] } ) | + *
    and commas: otherwise they run into the margin."""
    if app.builder.format != "latex":
        return
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        value = str(text)
        if parent is None or not LONG_WORD.search(value) or _inside(parent, NO_BREAKS_IN):
            continue
        parts, last = [], 0
        for word in LONG_WORD.finditer(value):
            for m in BREAK_AFTER.finditer(value, word.start(), word.end() - 1):
                if value[m.end()] in ".,;:!?)]}'’”":  # never a line that opens with ". "
                    continue
                parts.append(nodes.Text(value[last:m.end()]))
                parts.append(_raw("\\allowbreak{}"))
                last = m.end()
        parts.append(nodes.Text(value[last:]))
        index = parent.index(text)
        parent.remove(text)
        for offset, part in enumerate(parts):
            parent.insert(index + offset, part)


def _table_widths_in_latex(app, doctree, docname):
    """A table without :widths: gets LaTeX columns as wide as their text (at least the
    longest word), so that long cells wrap inside the text block instead of widening it."""
    if app.builder.format != "latex":
        return
    for table in doctree.findall(nodes.table):
        classes = table.get("classes", [])
        if "colwidths-given" in classes:
            continue
        for tgroup in table.findall(nodes.tgroup):
            specs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
            longest = [1] * len(specs)
            words = [1] * len(specs)
            for row in tgroup.findall(nodes.row):
                for i, entry in enumerate(e for e in row.children if isinstance(e, nodes.entry)):
                    if i < len(specs):
                        text = " ".join(entry.astext().split())
                        longest[i] = max(longest[i], len(text))
                        words[i] = max(words[i], *(len(w) for w in text.split() or [""]))
            for spec, full, word in zip(specs, longest, words):
                # a short cell ("52 (19–52)") stays on one line; 4 for the column's padding
                spec["colwidth"] = (full if full <= 16 else max(word, min(full, 40))) + 4
        table["classes"] = [c for c in classes if c != "colwidths-auto"] + ["colwidths-given"]


def _keep_together_in_latex(app, doctree, docname):
    """No page holds only the tail of a block: a chapter's "How to cite this chapter" box
    (heading, reference, BibTeX entry and the line after it) starts on a page with room for
    all of it, and a label ending in a colon ("Sources:", "BibTeX:") is never left at a page
    foot without what it introduces. BibTeX is set small enough for its longest line
    (analysis/citation.py's BIBTEX_WIDTH) to fit the text block unbroken, and in black
    (\\bookblackcode in _config.yml's preamble drops the highlighter's pale colours, and
    keeps its tokens, so that an entry copied out of the PDF keeps its spacing)."""
    if app.builder.format != "latex":
        return
    for section in list(doctree.findall(nodes.section)):
        title = section.next_node(nodes.title)
        if title is not None and title.astext().strip() == CITE_TITLE:
            section.parent.insert(section.parent.index(section),
                                  _raw("\\Needspace*{19\\baselineskip}"))
    for box in list(doctree.findall(nodes.Admonition)):
        # a box ("No chart of casualties", "Sources disagree") starts on a page with room for
        # all of it, up to a third of a page: no box split across pages for its last lines
        lines = min(3 + len(box.astext()) // 85, 16)
        # the block the box opens (a notebook's output holds it in containers): where that
        # block comes right under a section's heading, the heading goes to the next page with
        # the box (never left at a page foot alone)
        node = box
        while (node.parent is not None and node.parent.parent is not None
               and not isinstance(node.parent, nodes.section)
               and node.parent.index(node) == 0):
            node = node.parent
        at = node.parent
        if isinstance(at, nodes.section) and at.index(node) == 1:
            lines, node, at = lines + 3, at, at.parent
        at.insert(at.index(node), _raw(f"\\Needspace{{{lines}\\baselineskip}}"))
    for para in list(doctree.findall(nodes.paragraph)):
        nxt = para.next_node(descend=False, siblings=True)
        if para.astext().rstrip().endswith(":") and isinstance(
                nxt, (nodes.bullet_list, nodes.enumerated_list, nodes.literal_block,
                      nodes.block_quote, nodes.container, nodes.table)):
            para.parent.insert(para.parent.index(para), _raw("\\Needspace{6\\baselineskip}"))
    for block in list(doctree.findall(nodes.literal_block)):
        if block.get("language") == "bibtex":
            at = block.parent.index(block)
            block.parent.insert(at + 1, _raw("\\endgroup"))
            block.parent.insert(at, _raw("\\begingroup\\bookblackcode\\fvset{fontsize="
                                        "\\fontsize{7.4}{9}\\selectfont}"))


# The one threshold of the PDF's page breaks: the share of the text block that may be left
# empty at a page's foot. With more than this free where a table or what introduces it (a
# heading, a paragraph ending in ":") starts, the table's first rows fill the page, however
# few; with less, the table breaks only after five rows, and what introduces it goes to the
# next page with it when they do not fit. A section's float barrier lets a figure that does
# not fit go to the next page's top when more than this is free, rather than end the page.
# LATEX_PAGE_RULES (added to the preamble by _page_rules) and tests/test_pdf.py use it.
ROOM = 0.34


LATEX_PAGE_RULES = r"""
% --- page breaks: written by tools/bookext.py (ROOM, LATEX_PAGE_RULES) ---
\makeatletter
\def\bookroom{@ROOM@\textheight}
\newdimen\book@free
\newif\ifbook@fill
% the free space on the current page (on a page not yet begun: its room below top floats)
\def\book@getfree{\ifdim\pagegoal<\maxdimen \book@free=\pagegoal
  \advance\book@free-\pagetotal \else \book@free=\vsize \fi}
% \BookRoomFor{least}{five}, before a heading or a paragraph that opens a table: a page break
% unless the page has room for min(five, \bookroom) and at least `least` lines (five: what
% introduces the table, its caption, header and first five rows; least: the same with two
% rows); then, with more than \bookroom free, the table may break after any row
\newcommand\BookRoomFor[2]{\par\begingroup
  \dimen@=#2\baselineskip \ifdim\dimen@>\bookroom \dimen@=\bookroom \fi
  \dimen@ii=#1\baselineskip \ifdim\dimen@ii>\dimen@ \dimen@=\dimen@ii \fi
  \Needspace{\dimen@}\endgroup
  \book@getfree \ifdim\book@free>\bookroom \global\book@filltrue \else \global\book@fillfalse \fi}
% \BookRoomForAll{least}{five}{all}, before a table or what introduces it: a short table (all:
% what introduces it, caption, header and every row, within .8\textheight) that does not fit
% where it starts goes whole to the next page when no more than \bookroom is free there (the
% page is left less than a third empty; with more free, its rows fill the page as before);
% then \BookRoomFor{least}{five}
\newcommand\BookRoomForAll[3]{\par\book@getfree
  \dimen@=#3\baselineskip \dimen@ii=.8\textheight
  \ifdim\dimen@<\dimen@ii \ifdim\book@free<\dimen@ \ifdim\book@free>\bookroom \else
    \newpage \fi\fi\fi
  \BookRoomFor{#1}{#2}}
% no table breaks after fewer than five rows: no page break after body rows 1 to 4 (each body
% row but the last ends with \sphinxhline, empty in the booktabs style), unless the table, or
% the heading or paragraph that introduces it (\BookRoomFor), starts with more than \bookroom
% free: then its first rows fill that page, however few (five tall register rows can take more
% than half a page)
\newcount\bookrows
\g@addto@macro\sphinxatlongtablestart{\book@getfree \global\bookrows=0
  \ifbook@fill \global\bookrows=4 \fi \ifdim\book@free>\bookroom \global\bookrows=4 \fi
  \global\book@fillfalse}
\g@addto@macro\sphinxthistablewithbooktabsstyle{\def\sphinxhline{\noalign{\global\advance
  \bookrows 1 \ifnum\bookrows<5 \nobreak\fi}}}
% a section's float barrier (placeins, [section]) ends the page when a figure is still held,
% unless more than \bookroom is free: then the new section's text fills the page and the
% figure goes to the next page's top
\def\book@barrier{\par\book@getfree \ifdim\book@free>\bookroom \else \FloatBarrier \fi}
\AtBeginDocument{\@ifundefined{@fb@secFB}{}{\renewcommand\@fb@secFB{\book@barrier
  \gdef\@fb@afterHHook{\@fb@topbarrier \gdef\@fb@afterHHook{}}}}}
\makeatother
"""


def _page_rules(app, config):
    """The page-break rules (LATEX_PAGE_RULES, with ROOM) at the end of the LaTeX preamble."""
    elements = dict(config.latex_elements or {})
    elements["preamble"] = (elements.get("preamble", "") +
                            LATEX_PAGE_RULES.replace("@ROOM@", f"{ROOM:g}"))
    config.latex_elements = elements


def _estimated_lines(table: nodes.table, rows: int | None = 5) -> int:
    """About how many lines of text a table's caption, header, first ``rows`` body rows (None:
    all of them) and "continued" footer take in the PDF, from the length of each cell's text and the share of
    the line its column gets (a line holds about 90 characters of table text)."""
    tgroup = table.next_node(nodes.tgroup)
    if tgroup is None:
        return 0
    widths = [int(c.get("colwidth", 1)) for c in tgroup.children if isinstance(c, nodes.colspec)]
    total = sum(widths) or 1
    chars = [max(6, 90 * w / total - 3) for w in widths]

    def height(row) -> int:
        cells = [e for e in row.children if isinstance(e, nodes.entry)]
        return max([-(-len(" ".join(e.astext().split())) // int(c))
                    for e, c in zip(cells, chars)] or [1]) or 1

    head = [r for t in tgroup.findall(nodes.thead) for r in t.findall(nodes.row)]
    body = [r for t in tgroup.findall(nodes.tbody) for r in t.findall(nodes.row)]
    body = body if rows is None else body[:rows]
    caption = table.next_node(nodes.title)
    lines = 2 + (len(caption.astext()) // 90 if caption is not None else 0)
    lines += sum(height(r) for r in head) + sum(height(r) for r in body) + 2
    # a table line is taller than a line of text (cell padding, rules, the caption's skip)
    return -(-6 * lines // 5)


def _first_content(section: nodes.section):
    """The first table, paragraph, list or figure of a section after its title (in a code
    cell's output or not), or None."""
    kinds = (nodes.table, nodes.paragraph, nodes.bullet_list, nodes.enumerated_list,
             nodes.figure, nodes.image, nodes.literal_block, nodes.admonition)
    for node in section.findall(lambda n: isinstance(n, kinds)):
        if node is section or _inside(node.parent, (nodes.title,)):
            continue
        return node
    return None


def _headings_with_their_tables_in_latex(app, doctree, docname):
    """A section that opens with a table ("Events of the period") starts on a page with room
    for its heading, the table's caption and header and its first five rows (the preamble
    lets a table break only after five rows): its heading is never left alone at a page foot
    with the table on the next page (issue 18: p4, p6 and p7)."""
    if app.builder.format != "latex":
        return
    done = set()   # the tables whose room is asked for before a heading or a paragraph
    for section in list(doctree.findall(nodes.section)):
        first = _first_content(section)
        if isinstance(first, nodes.table):
            # room for the heading (three lines), the caption, header and first rows: five,
            # or as many as fill the page when more than ROOM of it is free (LATEX_PAGE_RULES);
            # a short table, all of it (BookRoomForAll)
            least, five = 3 + _estimated_lines(first, rows=2), 3 + _estimated_lines(first)
            whole = 3 + _estimated_lines(first, rows=None)
            # the floats still pending go out first (placeins would put them after the check,
            # at the section's own \FloatBarrier, and push the heading to the page foot)
            section.parent.insert(section.parent.index(section), _raw(
                f"\\FloatBarrier\\BookRoomForAll{{{least}}}{{{five}}}{{{whole}}}"))
            done.add(id(first))
    # the same for a paragraph that introduces a table ("... for a reason of its own:")
    for para in list(doctree.findall(nodes.paragraph)):
        nxt = para.next_node(descend=False, siblings=True)
        if not para.astext().rstrip().endswith(":") or nxt is None:
            continue
        table = nxt if isinstance(nxt, nodes.table) else (
            nxt.next_node(nodes.table) if isinstance(nxt, nodes.container) else None)
        if table is not None:
            # the paragraph, then the table's first rows as after a heading (above), but with
            # one row at least: the paragraph already keeps the caption from the page foot, and
            # two tall rows (the changelog's) left half a page empty
            own = 1 + -(-len(para.astext()) // 90)
            least, five = own + _estimated_lines(table, rows=1), own + _estimated_lines(table)
            whole = own + _estimated_lines(table, rows=None)
            para.parent.insert(para.parent.index(para),
                               _raw(f"\\BookRoomForAll{{{least}}}{{{five}}}{{{whole}}}"))
            done.add(id(table))
    # any other table: kept on one page when it is short (a claims table of a few rows had
    # one row carried over to the next page); it asks for no rows of its own (least = five =
    # 0), so a longer one breaks as before (a register table of tall rows fills the page)
    for table in list(doctree.findall(nodes.table)):
        if id(table) in done or table.parent is None:
            continue
        whole = _estimated_lines(table, rows=None)
        table.parent.insert(table.parent.index(table),
                            _raw(f"\\BookRoomForAll{{0}}{{0}}{{{whole}}}"))


# In a table cell, values that must never break inside: an ISO date (2012-03-01, not
# "2012-03-/01") and a month's name (September, not "Septem-ber"); a line may still break
# at the spaces between them
UNBROKEN_IN_CELLS = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b(?:January|February|March|April|June|July|August|September"
    r"|October|November|December)\b"
    # a range of figures or days ("(0–36)", "26–27"): never "(0–" at a line's end, "36)" below
    r"|\(?\b\d[\d,]*–\d[\d,]*\b\)?")


def _unbroken_grades_in_latex(app, doctree, docname):
    """A grade ("confirmed", "single source", ...) in a table cell is never hyphenated
    ("con-firmed"): each of its words is set in an unbreakable box. So is an ISO date, a
    month's name or a range of figures ("34 (0–36)" broken after "0–") in a table cell or a
    caption (UNBROKEN_IN_CELLS)."""
    if app.builder.format != "latex":
        return
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        value = str(text)
        if parent is None or _inside(parent, NO_BOXES_IN) or not (
                _inside(parent, (nodes.entry, nodes.caption))
                or (_inside(parent, (nodes.title,)) and _inside(parent, (nodes.table,)))):
            continue
        if value.strip() in GRADE_WORDS:
            words = value.strip().split()
            parent.replace(text, _raw(" ".join(f"\\mbox{{{w}}}" for w in words)))
            continue
        parts, last = [], 0
        for m in UNBROKEN_IN_CELLS.finditer(value):
            parts += [nodes.Text(value[last:m.start()]), _raw(f"\\mbox{{{m.group(0)}}}")]
            last = m.end()
        if not parts:
            continue
        parts.append(nodes.Text(value[last:]))
        index = parent.index(text)
        parent.remove(text)
        for offset, part in enumerate(p for p in parts if not isinstance(p, nodes.Text) or str(p)):
            parent.insert(index + offset, part)


def _uncaptioned_continuations_in_latex(app, doctree, docname):
    """A table without a caption has no number: where it breaks across pages, its
    continuation line reads "continued from previous page", not "Table 22.8 – continued
    ...", which named the last numbered table before it. (Sphinx's longtable template prints
    \\tablename\\ \\thetable{} \\textendash{} before the words: within the table, \\tablename
    swallows them.)"""
    if app.builder.format != "latex":
        return
    for table in list(doctree.findall(nodes.table)):
        if any(isinstance(c, nodes.title) for c in table.children) or table.parent is None:
            continue
        at = table.parent.index(table)
        table.parent.insert(at + 1, _raw("\\endgroup"))
        table.parent.insert(at, _raw("\\begingroup\\def\\tablename#1\\textendash#2{\\ignorespaces}"))


def _drop_code_in_latex(app, doctree, docname):
    if app.builder.format != "latex":
        return
    for node in list(doctree.findall(nodes.container)):
        if "cell_input" in node.get("classes", []):
            node.parent.remove(node)


ARABIC = "\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF"
# one right-to-left run from the first Arabic letter to the last, with the digits, spaces and
# punctuation between them (and its closing punctuation): split at a number, the runs would be
# set left to right and the sentence read in the wrong order (review of 50accb7, register #9)
RTL_INNER = "\\s\u200c\u201c\u201d\u2018\u2019\u2026\\d\u0660-\u0669\u06F0-\u06F9.,:;!?()\\[\\]/%«»\"'\\-\u2013\u2014"
ARABIC_RUN = re.compile(f"[{ARABIC}](?:[{ARABIC}{RTL_INNER}]*[{ARABIC}])?[.:;!?]?")
# in an RTL run, the marks set in the text font: the Arabic font has no glyph for them
LATIN_MARKS = re.compile("[\"'()\\[\\]/%«»\\-\u2013\u2014\u201c\u201d\u2018\u2019\u2026]+")
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
            run = m.group(0)
            if m.lastgroup == "arabic":
                # inside the run, punctuation and brackets the Arabic font lacks are set in the
                # text font (else they print as empty boxes); '%' is escaped
                run = re.sub(LATIN_MARKS, lambda p: "{\\rmfamily " + p.group(0).replace(
                    "%", "\\%") + "}", run)
            parts.append(nodes.raw("", WRAP[m.lastgroup].format(run), format="latex"))
            last = m.end()
        if last < len(value):
            parts.append(nodes.Text(value[last:]))
        index = parent.index(text)
        parent.remove(text)
        for offset, part in enumerate(parts):
            parent.insert(index + offset, part)


def _register_bibliography_style() -> None:
    """An author-year bibliography: each entry is labelled "Author Year", with a letter
    after the year where one author has several entries of a year ("AP 2011a"), sorted by
    author, year and title. Citations in the text show the same label, so each one leads to
    exactly one entry (pybtex's own styles number entries or use initials)."""
    from collections import Counter

    from pybtex.plugin import register_plugin
    from pybtex.richtext import Text
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle
    from pybtex.style.sorting import BaseSortingStyle

    def plain(latex: str) -> str:
        return " ".join(Text.from_latex(latex).render_as("text").split())

    def author(entry) -> str:
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        if not persons:
            for field in ("organization", "publisher", "journal", "title"):
                if entry.fields.get(field):
                    return plain(entry.fields[field]).split(":")[0][:40]
            return "Anonymous"
        names = [plain(" ".join(p.last_names) or " ".join(p.first_names)) for p in persons]
        if len(names) > 2:
            return f"{names[0]} et al."
        return " and ".join(names)

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = [f"{author(e)} {e.fields.get('year', 'n.d.')}" for e in sorted_entries]
            counts, seen = Counter(labels), Counter()
            for label in labels:
                if counts[label] == 1:
                    yield label
                    continue
                n = seen[label]
                seen[label] += 1
                suffix = "abcdefghijklmnopqrstuvwxyz"[n % 26] * (n // 26 + 1)
                yield f"{label}{'-' if label.endswith('.') else ''}{suffix}"

    class AuthorYearSorting(BaseSortingStyle):
        def sorting_key(self, entry):
            return (author(entry).lower().lstrip("'\"“"), entry.fields.get("year", ""),
                    plain(entry.fields.get("title", "")).lower())

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = AuthorYearLabels
        default_sorting_style = AuthorYearSorting

    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle, force=True)


def _remember_pybtex_plugins() -> None:
    """pybtex finds a plugin (the text backend, a style) by reading the entry points of every
    installed package, on every call: about 30 ms, and a build of the book makes a thousand
    such calls while it formats the bibliography (each label and sorting key renders text).
    That was 30 s of a 42 s HTML build of two chapters. The answer never changes during a
    build, so each lookup is made once; a plugin registered afterwards clears what was
    remembered."""
    import pybtex.plugin as plugins

    if getattr(plugins.find_plugin, "remembers", False):
        return
    find, register, found = plugins.find_plugin, plugins.register_plugin, {}

    def find_plugin(plugin_group, name=None, filename=None):
        if not all(isinstance(x, (str, type(None))) for x in (name, filename)):
            return find(plugin_group, name, filename)  # a class given: pybtex returns it
        key = (plugin_group, name, filename)
        if key not in found:
            found[key] = find(plugin_group, name, filename)
        return found[key]

    def register_plugin(*args, **kwargs):
        found.clear()
        return register(*args, **kwargs)

    find_plugin.remembers = True
    plugins.find_plugin, plugins.register_plugin = find_plugin, register_plugin


_remember_pybtex_plugins()
_register_bibliography_style()


# --- 7. pages every reader can use -----------------------------------------------------

_SUMMARY = re.compile(r"(<summary\b[^>]*>)(.*?)(</summary>)", re.S)


def _phrasing_summary(match: re.Match) -> str:
    inner = re.sub(r"<p\b", "<span", match.group(2))
    return match.group(1) + inner.replace("</p>", "</span>") + match.group(3)


def _accessible_body(app, pagename, templatename, context, doctree):
    """Fix two things the HTML writers get wrong, in the page body as it is written:
    - docutils marks each bibliography entry role="doc-biblioentry" (deprecated in WAI-ARIA
      1.3) inside a role="list" that then has no list items: each entry becomes a listitem;
    - myst-nb labels a hidden cell's toggle with <p> elements inside <summary>, which allows
      only phrasing content: they become <span> (chapters/_static/book.css keeps their look).
    """
    if app.builder.format != "html" or not context.get("body"):
        return
    body = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
    context["body"] = _SUMMARY.sub(_phrasing_summary, body)


# --- 8. light pages ---------------------------------------------------------------------

FA_SCRIPT = re.compile(r'[ \t]*<script\b[^>]*\bsrc="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*>'
                       r'\s*</script>[ \t]*\n?')
FA_FONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")
FA_FACE_SRC = re.compile(r'url\((?P<dir>[^)]*?)/(?P<name>fa-(?:solid-900|regular-400|brands-400))'
                         r'\.woff2\)\s*format\("woff2"\),\s*url\([^)]*?\.ttf\)\s*format\("truetype"\)')
FA_ICON_BLOCK = re.compile(r"\s*content:\s*\"\\([0-9a-fA-F]{4,5})\"\s*;?\s*")
ICON_SELECTOR = re.compile(r"\.(fa-[a-z0-9-]+)::?before")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _theme_fonts() -> Path:
    import pydata_sphinx_theme

    return (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" /
            "static" / "vendor" / "fontawesome" / "webfonts")


def css_rules(css: str) -> list[tuple[str, str]]:
    """(selectors, declarations) of each innermost rule of a stylesheet, in one pass (a
    regular expression such as `[^{}]+\\{` takes quadratic time on the long runs of the
    theme's minified CSS: seconds per build)."""
    rules, start, selectors = [], 0, None
    for brace in re.finditer(r"[{}]", css):
        if brace.group() == "{":
            selectors = css[start:brace.start()]
        elif selectors is not None:
            rules.append((selectors, css[start:brace.start()]))
            selectors = None
        start = brace.end()
    return rules


def icon_codepoints(site: Path) -> set[int]:
    """The Font Awesome glyphs the built site can show: the icon classes (fa-NAME) named in
    any page or script, and the glyphs the stylesheets draw themselves (theme variables such
    as --pst-icon-download, and content escapes outside the fa-NAME rules)."""
    static = site / "_static"
    by_class: dict[str, int] = {}
    own: set[int] = set()
    for css_file in static.rglob("*.css"):
        css = css_file.read_text(encoding="utf-8", errors="replace")
        own |= {ord(c) for c in PRIVATE_USE.findall(css)}
        for selectors, block in css_rules(css):
            rule = FA_ICON_BLOCK.fullmatch(block)
            names = [ICON_SELECTOR.fullmatch(s.strip()) for s in selectors.split(",")]
            if rule and all(names):
                for m in names:
                    by_class[m.group(1)] = int(rule.group(1), 16)
            elif rule:
                own.add(int(rule.group(1), 16))
            elif "content" in block:
                own |= {int(c, 16) for c in re.findall(r'"\\([0-9a-fA-F]{4,5})"', block)}
    used: set[str] = set()
    texts = [p for p in site.rglob("*.html") if "_sources" not in p.parts]
    texts += [p for p in static.rglob("*.js") if p.name != "fontawesome.js"]
    for path in texts:
        used |= set(re.findall(r"\bfa-[a-z0-9-]+", path.read_text(encoding="utf-8",
                                                                  errors="replace")))
    return own | {by_class[name] for name in used if name in by_class}


def _subset_font(src: Path, dest: Path, codepoints: set[int]) -> None:
    from fontTools import subset

    opts = subset.Options()
    opts.flavor = "woff"  # zlib-compressed; WOFF2 would need the brotli package
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    font = subset.load_font(str(src), opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(codepoints))
    sub.subset(font)
    subset.save_font(font, str(dest), opts)


def _light_pages(app, exception):
    """After an HTML build: no page loads fontawesome.js; the Font Awesome fonts are cut to
    the glyphs the site uses (WOFF, a few KB each) and the theme's stylesheet points to them;
    the full fonts and the script are removed from the site."""
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    for page in site.rglob("*.html"):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        html = page.read_text(encoding="utf-8")
        lighter = FA_SCRIPT.sub("", html)
        if lighter != html:
            page.write_text(lighter, encoding="utf-8")
    codepoints = icon_codepoints(site)
    webfonts = site / "_static" / "vendor" / "fontawesome" / "webfonts"
    webfonts.mkdir(parents=True, exist_ok=True)
    for name in FA_FONTS:
        _subset_font(_theme_fonts() / f"{name}.ttf", webfonts / f"{name}.subset.woff",
                     codepoints)
        for suffix in (".woff2", ".ttf"):
            (webfonts / f"{name}{suffix}").unlink(missing_ok=True)
    for css_file in (site / "_static").rglob("*.css"):
        css = css_file.read_text(encoding="utf-8", errors="replace")
        if "fa-solid-900" in css:
            css_file.write_text(FA_FACE_SRC.sub(
                lambda m: f'url({m["dir"]}/{m["name"]}.subset.woff) format("woff")', css),
                encoding="utf-8")
    for name in ("fontawesome.js", "fontawesome.js.map"):
        (site / "_static" / "scripts" / name).unlink(missing_ok=True)
    _complete_redirect(site, app.config.html_title or app.config.project)


def _complete_redirect(site: Path, title: str) -> None:
    """Jupyter Book's index.html (a redirect to the first page) lacks a doctype and a title;
    write it as a complete HTML document that redirects the same way."""
    index = site / "index.html"
    if not index.exists():
        return
    html = index.read_text(encoding="utf-8")
    target = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', html, re.I)
    if "<!DOCTYPE" in html.upper()[:50] or not target:
        return
    from html import escape

    url = escape(target.group(1))
    index.write_text(_redirect_page(
        escape(title), url, '<link rel="icon" href="_static/favicon.svg">',
        f'<a href="{url}">Go to the book</a>'), encoding="utf-8")


def _redirect_page(title: str, url: str, head: str, body: str) -> str:
    """A complete HTML document that sends the reader to ``url`` at once (title, url, head and
    body given as HTML: escaped by the caller)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n"
            f'<meta http-equiv="refresh" content="0; url={url}">\n'
            f"{head}\n</head>\n<body>\n<p>{body}</p>\n</body>\n</html>\n")


# Pages renamed since a release: old address -> new (without .html). Version 1.1.0 was
# cited at the old addresses, so each keeps a page that sends the reader on (review of
# c60c8b1, #16: "iranian-attacks" named a perpetrator in the book's own voice).
MOVED = {"chapters/p2-iranian-attacks": "chapters/p2-raids-and-missiles",
         # "US protection" took the MEK's side of a disputed status (the chapter says custody)
         "chapters/p3-us-protection": "chapters/p3-us-custody"}


def _moved_pages(app, exception):
    """After an HTML build: a complete page at each old address of MOVED that redirects to
    the new one (a refresh, a canonical link, and a plain link for a reader without either)."""
    if exception is not None or app.builder.format != "html":
        return
    from html import escape

    site = Path(app.outdir)
    for old, new in MOVED.items():
        target = site / f"{new}.html"
        if not target.exists():   # a book of some chapters only (the tests' small books)
            continue
        title = re.search(r"<title>(.*?)</title>", target.read_text(encoding="utf-8"), re.S)
        url = escape(Path(os.path.relpath(target, (site / old).parent)).as_posix())
        name = title.group(1).strip() if title else new
        (site / f"{old}.html").write_text(_redirect_page(
            f"Moved: {name}", url, f'<link rel="canonical" href="{url}">',
            f'This chapter has moved to <a href="{url}">{name}</a>.'), encoding="utf-8")


def _bookcitation_directive():
    """```{bookcitation} book``` (or data, or a chapter's docname): the citation made by
    analysis/citation.py from CITATION.cff, _config.yml and datapackage.json, as text and
    BibTeX, so that the cite and data pages print the same scheme as every chapter's box."""
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class BookCitation(SphinxDirective):
        required_arguments = 1
        intros = {"book": "Cite the book as:", "data": "Cite the data as:"}

        def run(self):
            from analysis.citation import citation_markdown

            what = self.arguments[0]
            for name in ("CITATION.cff", "_config.yml", "data/datapackage.json"):
                self.env.note_dependency(str(ROOT / name))
            try:
                md = citation_markdown(what, ROOT, self.intros.get(what, "Cite it as:"))
            except (OSError, ValueError) as err:
                raise self.error(f"bookcitation {what}: {err}") from None
            node = nodes.container(classes=["book-citation"])
            self.state.nested_parse(StringList(md.splitlines(), source="bookcitation"),
                                    self.content_offset, node)
            return node.children

    return BookCitation


def short_caption(text: str) -> str:
    """A figure's entry in the PDF's list of figures: its caption up to the dash that starts
    the explanation, or its first sentence."""
    text = re.sub(r" \([^()]*\)", "", " ".join(text.split()))  # asides in brackets
    short = re.split(r" — |; |(?<=[a-z0-9)])\. ", text, maxsplit=1)[0].rstrip(". ")
    return short


def _latex_translator():
    from sphinx.writers.latex import LaTeXTranslator

    class BookLaTeXTranslator(LaTeXTranslator):
        """Figures get a short caption for the list of figures (short_caption)."""

        def visit_caption(self, node):
            if (isinstance(node.parent, nodes.figure) and not self.in_minipage
                    and not self.table):
                short = short_caption(node.astext())
                if short != " ".join(node.astext().split()).rstrip(". "):
                    self.in_caption += 1
                    short = self.encode(short).replace("]", "{]}")
                    self.body.append(r"\caption[%s]{" % short)
                    return
            super().visit_caption(node)

    return BookLaTeXTranslator


def _latex_translator_for_latex_builds(app):
    """Registered only when the builder is LaTeX: pydata-sphinx-theme mixes its Bootstrap
    HTML translator into every registered translator, or into the HTML builder's default when
    none is registered; a LaTeX translator registered in an HTML build would take the theme's
    place (tables lose their scroll box, the sidebar's captions their aria-level)."""
    if app.builder.format == "latex":
        app.set_translator(app.builder.name, _latex_translator(), override=True)


def setup(app):
    app.connect("builder-inited", _latex_translator_for_latex_builds, priority=400)
    app.add_post_transform(_bibliography_here_transform())
    app.add_directive("bookcitation", _bookcitation_directive())
    app.connect("doctree-resolved", _arabic_in_latex)
    app.connect("doctree-resolved", _drop_code_in_latex)
    app.connect("doctree-resolved", _breakable_long_words)
    app.connect("doctree-resolved", _table_widths_in_latex)
    app.connect("doctree-resolved", _keep_together_in_latex)
    app.connect("doctree-resolved", _headings_with_their_tables_in_latex)
    app.connect("doctree-resolved", _unbroken_grades_in_latex)
    app.connect("doctree-resolved", _uncaptioned_continuations_in_latex)
    app.connect("build-finished", _moved_pages)
    app.connect("config-inited", _set_cache_path)
    app.connect("config-inited", _page_rules)
    app.connect("html-page-context", _add_downloads, priority=600)
    app.connect("html-page-context", _page_meta)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _copy_notebooks)
    app.connect("html-page-context", _accessible_body, priority=950)
    app.connect("build-finished", _light_pages)
    app.connect("build-finished", _publish_data)
    app.connect("build-finished", _publish_python)
    app.connect("config-inited", _data_substitutions)
    app.connect("config-inited", _unreleased_stamp)
    app.connect("doctree-resolved", _resolve_datafiles)
    app.add_role("datafile", _datafile_role)
    # a change to this file changes env_version, which makes Sphinx rebuild every page
    own = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8], 16)
    return {"version": "1.0", "env_version": own, "parallel_read_safe": True,
            "parallel_write_safe": True}
