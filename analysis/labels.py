"""Words for the data's codes that both the chapters' tables (analysis.chapter) and the
register (analysis.register) print. It imports nothing of the package, so both modules sit
above it and neither imports the other's module for a label."""

TYPE_LABELS = {
    "founding": "founding", "air_raid": "air raid", "missile_attack": "missile attack",
    "bombing": "bombing", "raid": "raid", "rocket_attack": "rocket or mortar attack",
    "assault": "assault", "restriction": "restriction", "demonstration": "demonstration",
    "police_operation": "police operation", "control_change": "change of control",
    "deployment": "forces at the site",
    "relocation": "relocation", "legal": "legal", "diplomatic": "diplomatic", "report": "report",
    "military_operation": "military operation",
}


# How a control spell held the site (control_spells.control_kind) and how it began
# (began_how): the control charts' band labels and the overview's table of spells.
KIND_LABELS = {
    "host_granted_base": "MEK base granted by Iraq", "military_custody": "US custody",
    "formal_responsibility": "formal handover", "security_perimeter": "perimeter",
    "forces_inside": "forces inside", "empty_site": "empty site",
    "held_by_armed_group": "held by {controller}", "unattested": "unattested"}
BEGAN_LABELS = {"founding": "founded", "agreement": "agreement", "handover": "handover",
                "raid": "raid", "relocation": "emptied", "capture": "captured",
                "unknown": "unknown"}


def kind_label(kind: str, controller: str) -> str:
    """A spell's kind of control in words; an armed group's hold names the group."""
    return KIND_LABELS.get(kind, kind.replace("_", " ")).format(controller=controller)


# A change of control known from one witness only (control_spells.status 'single_source') is
# labelled as such wherever its label is printed: the charts do not state it flatly.
STATUS_QUALIFIERS = {"single_source": "one source"}


def began_label(began_how: str, status: str | None = None) -> str:
    """How a spell began, in words, qualified where only one source tells of it
    ("captured, one source")."""
    said = BEGAN_LABELS.get(began_how, began_how.replace("_", " "))
    qualifier = STATUS_QUALIFIERS.get(str(status))
    return f"{said}, {qualifier}" if qualifier else said

