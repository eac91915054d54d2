"""The data codebook, generated from data/datapackage.json so it can never drift from it:
every table with its description, download link, keys, and every field with its type,
constraints and description."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import data_dir
from .text import md_escape, md_escape_prose


def _constraints(field: dict) -> str:
    cons = field.get("constraints", {})
    parts = []
    if cons.get("required"):
        parts.append("required")
    if cons.get("unique"):
        parts.append("unique")
    if "enum" in cons:
        parts.append("one of: " + ", ".join(f"`{v}`" for v in cons["enum"]))
    for key, word in (("minimum", "≥"), ("maximum", "≤")):
        if key in cons:
            parts.append(f"{word} {cons[key]}")
    if "pattern" in cons:
        parts.append("pattern `" + cons["pattern"].replace("`", "'") + "`")
    if not cons.get("required"):
        parts.insert(0, "optional")
    if "maxLength" in cons:
        parts.append(f"at most {cons['maxLength']} characters")
    return "; ".join(parts) or "optional"


def page(folder: Path | str | None = None, link_prefix: str = "../data/") -> str:
    """MyST Markdown for the codebook body (tables of fields, one per resource)."""
    folder = data_dir(folder)
    pkg = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    seen: dict[str, tuple[str, str]] = {}
    out = [f"**{md_escape(pkg.get('title', pkg.get('name', '')))}**, version "
           f"{md_escape(pkg.get('version', ''))}. {md_escape_prose(pkg.get('description', ''))}", ""]
    lic = ", ".join(md_escape(x.get("title", x.get("name", ""))) for x in pkg.get("licenses", []))
    out += [f"Licence: {lic}. Download the whole package description: "
            f"{{download}}`datapackage.json <{link_prefix}datapackage.json>`.", ""]
    for res in pkg["resources"]:
        schema = res["schema"]
        name = res["name"]
        out += [f"({'codebook-' + name})=", f"## {md_escape(res.get('title', name))}", "",
                md_escape_prose(res.get("description", "")), "",
                f"File: {{download}}`{res['path']} <{link_prefix}{res['path']}>`. "
                f"Primary key: `{', '.join(_as_list(schema.get('primaryKey')))}`."]
        for fk in schema.get("foreignKeys", []):
            out.append(f" `{', '.join(_as_list(fk['fields']))}` refers to "
                       f"`{fk['reference'].get('resource') or name}."
                       f"{', '.join(_as_list(fk['reference']['fields']))}`.")
        out += ["", f"Fields of `{res['path']}`, in order:", ""]
        for field in schema["fields"]:
            desc = field.get("description", "")
            glossary = _CODES.search(desc)
            if glossary:  # a list of codes printed once, at its first field; later, a reference
                first = seen.setdefault(glossary.group(0), (res["path"], field["name"]))
                if first != (res["path"], field["name"]):
                    desc = (desc[:glossary.start()] + f"Codes: as for `{first[1]}` of "
                            f"`{first[0]}`, above.")
            out += [f"`{field['name']}`",
                    f": *{field.get('type', 'string')}*; {_constraints(field)}. "
                    f"{_prose(desc)}", ""]
    return "\n".join(out)


# a quoted pattern with two hyphens ('<event_id>--<source_key>'): set as code, or the PDF
# joins the hyphens into a dash (review of b007e09-b, #14)
_PATTERN = re.compile(r"'([^'\s]*--[^'\s]*)'")


def _prose(desc: str) -> str:
    parts, last = [], 0
    for m in _PATTERN.finditer(desc):
        parts += [md_escape_prose(desc[last:m.start()]), f"`{m.group(1)}`"]
        last = m.end()
    return "".join(parts + [md_escape_prose(desc[last:])])


# A field description's closing glossary of codes ("Codes: 'un' a UN body ...; ..."), which
# several fields share word for word (speaker_type, relays)
_CODES = re.compile(r"Codes: .*$", re.S)


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def main(argv=None) -> int:
    print(page())
    return 0


if __name__ == "__main__":
    sys.exit(main())
