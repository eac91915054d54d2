"""Words for the data's codes that both the chapters' tables (analysis.chapter) and the
register (analysis.register) print. It imports nothing of the package, so both modules sit
above it and neither imports the other's module for a label."""

TYPE_LABELS = {
    "founding": "founding", "air_raid": "air raid", "missile_attack": "missile attack",
    "bombing": "bombing", "raid": "raid", "rocket_attack": "rocket attack",
    "assault": "assault", "restriction": "restriction", "demonstration": "demonstration",
    "police_operation": "police operation", "control_change": "change of control",
    "deployment": "forces at the site",
    "relocation": "relocation", "legal": "legal", "diplomatic": "diplomatic", "report": "report",
    "military_operation": "military operation",
}
