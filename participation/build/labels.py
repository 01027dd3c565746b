"""Words shown for the codes of step 4 (lazy, so they follow the reader's language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "noise": _l("Noise"),
    "dust": _l("Dust"),
    "materials": _l("Stacked materials or waste"),
    "access": _l("Blocked way or entrance"),
    "utility": _l("Water or power cut"),
    "safety": _l("Safety hazard"),
    "quality": _l("Poor work (leak, cracks)"),
    "damage": _l("Damage to my home or things"),
    "schedule": _l("Working hours or delays"),
    "other": _l("Something else"),
}
URGENCY_LABELS = {
    "emergency": _l("Emergency: danger, flooding, no water or power"),
    "normal": _l("Normal"),
}
PARTY_LABELS = {
    "property": _l("Property company"),
    "contractor": _l("Contractor"),
    "committee": _l("Committee"),
}
STATUS_LABELS = {
    "submitted": _l("Waiting for an answer"),
    "acknowledged": _l("Seen"),
    "in_progress": _l("Being fixed"),
    "resolved": _l("Fixed, waiting for confirmation"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
    "rejected": _l("Not taken up"),
    "merged": _l("Merged"),
}
NOTICE_KIND_LABELS = {
    "water_cut": _l("Water cut"),
    "power_cut": _l("Power cut"),
    "night_work": _l("Night work"),
    "road_closure": _l("Road closed"),
    "other": _l("Other works"),
}
FILTER_LABELS = {
    "open": _l("Not finished yet"),
    "overdue": _l("Overdue"),
    "resolved": _l("Fixed, not confirmed"),
    "done": _l("Finished"),
    "all": _l("All"),
}
