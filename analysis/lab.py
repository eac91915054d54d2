"""The chapters in JupyterLab, as Binder opens them: the prose shows the glued numbers and
readable citations, not raw roles.

jupyterlab-myst renders a chapter's MyST prose in JupyterLab but knows neither myst-nb's
{glue:text} roles nor the book's bibliography: it would show a glue key ("p4.events") and a
citation key. So the Jupyter server of the Binder environment (binder/postBuild configures
it) reads every chapter through ``ContentsManager`` below, which rewrites, in the prose only
and only on the way to the browser,

    {glue:text}`p4.events`   ->  {eval}`__import__('analysis.lab').lab.glued('p4.events')`
    {cite:p}`a,b`            ->  {eval}`__import__('analysis.lab').lab.cite('a,b')`

jupyterlab-myst evaluates {eval} expressions in the kernel when a Markdown cell runs, so
"Run All" fills the prose with the numbers the chapter's first cell glued (``glued``) and
citations as author and year from references.bib (``cite``). Saving rewrites them back: the
file on disk keeps the book's roles. tests/test_binder_lab.py opens a chapter so in Chromium.
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import ROOT

CALL = "__import__('analysis.lab').lab"
GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")
CITE_ROLE = re.compile(r"\{cite:([pt])\}`([^`]+)`")
GLUE_EVAL = re.compile(r"\{eval\}`" + re.escape(CALL) + r"\.glued\('([^'`]+)'\)`")
CITE_EVAL = re.compile(r"\{eval\}`" + re.escape(CALL) + r"\.cite\('([^'`]+)'(, 't')?\)`")
FENCE = re.compile(r"^(`{3,}|~{3,})")


class Text(str):
    """A str that shows without quotes where jupyterlab-myst prints an expression's value."""

    def __repr__(self) -> str:
        return str(self)


def glued(key: str) -> Text:
    """The value the chapter glued under key (in this kernel: run the first cell before)."""
    from .chapter import GLUED

    if key not in GLUED:
        return Text(f"[{key}: run the chapter's cells from the top]")
    return Text(GLUED[key])


@lru_cache(maxsize=1)
def _bibliography() -> dict:
    from pybtex.database import parse_file

    return parse_file(str(ROOT / "references.bib")).entries


def _author_year(key: str) -> tuple[str, str]:
    import re as _re

    entry = _bibliography().get(key)
    if entry is None:
        return key, ""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(p.last_names) or " ".join(p.first_names) for p in people]
    names = [_re.sub(r"[{}]", "", n) for n in names if n]
    if len(names) > 2:
        who = f"{names[0]} et al."
    elif names:
        who = " and ".join(names)
    else:
        f = entry.fields
        who = _re.sub(r"[{}]", "", f.get("organization") or f.get("publisher")
                      or f.get("journal") or f.get("title") or key)
    return who, str(entry.fields.get("year", ""))


def cite(keys: str, kind: str = "p") -> Text:
    """A citation as the reader sees it: (Author Year; ...) for {cite:p}, Author (Year)
    for {cite:t}."""
    parts = [_author_year(k.strip()) for k in keys.split(",") if k.strip()]
    if kind == "t":
        return Text("; ".join(f"{who} ({year})" if year else who for who, year in parts))
    return Text("(" + "; ".join(f"{who} {year}".strip() for who, year in parts) + ")")


def _prose_only(text: str, change) -> str:
    """Apply change to the lines outside fenced blocks (code cells, directives)."""
    out, fence = [], None
    for line in text.splitlines(keepends=True):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
            out.append(line)
            continue
        out.append(line if fence is not None else change(line))
    return "".join(out)


def to_lab(text: str) -> str:
    """The book's roles as {eval} expressions, in the prose of a chapter."""
    def change(line: str) -> str:
        line = GLUE_ROLE.sub(lambda m: f"{{eval}}`{CALL}.glued('{m.group(1)}')`", line)
        return CITE_ROLE.sub(lambda m: f"{{eval}}`{CALL}.cite('{m.group(2)}'"
                                       f"{', ' + repr(m.group(1)) if m.group(1) == 't' else ''})`",
                             line)
    return _prose_only(text, change)


def from_lab(text: str) -> str:
    """Back to the book's roles (what to_lab made, and only that)."""
    text = GLUE_EVAL.sub(lambda m: f"{{glue:text}}`{m.group(1)}`", text)
    return CITE_EVAL.sub(lambda m: f"{{cite:{'t' if m.group(2) else 'p'}}}`{m.group(1)}`", text)


def _is_chapter(path: str, model: dict) -> bool:
    return (path.endswith(".md") and model.get("type") == "file"
            and model.get("format") == "text" and isinstance(model.get("content"), str)
            and "jupytext:" in model["content"][:400])


try:
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
except ImportError:  # not in a Jupyter server's environment: only the kernel side is used
    AsyncLargeFileManager = None

if AsyncLargeFileManager is not None:
    class ContentsManager(AsyncLargeFileManager):
        """Files as they are, except a chapter's prose on its way to and from the browser
        (jupytext, which turns the text into a notebook, builds on this class)."""

        async def get(self, path, content=True, type=None, format=None, **kwargs):
            model = await super().get(path, content=content, type=type, format=format,
                                      **kwargs)
            if content and _is_chapter(path, model):
                model["content"] = to_lab(model["content"])
            return model

        async def save(self, model, path=""):
            if _is_chapter(path, model):
                model = {**model, "content": from_lab(model["content"])}
            return await super().save(model, path)
