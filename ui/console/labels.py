"""How levels, kinds and statuses read on screen: plain words for tables, coloured badges elsewhere.

No emoji: the glyphs depend on the browser's fonts (a tofu box on a workstation without an emoji
font); Streamlit's markdown badges and cell colours do not.
"""

from __future__ import annotations

LEVEL_ORDER = {"emergent": 0, "urgent": 1, "routine": 2}
"""Queue order: most urgent first."""

LEVEL_COLOUR = {"emergent": "red", "urgent": "orange", "routine": "green"}

KIND_LABEL = {
    "action_approval": "Action to approve",
    "clinical_question": "Clinical question",
    "emergency": "Emergency",
    "low_confidence": "Low-confidence answer",
}

STATUS_COLOUR = {
    "pending": "blue",
    "notifying": "red",
    "notified": "orange",
    "acknowledged": "violet",
    "approved": "green",
    "rejected": "red",
    "answered": "green",
    "expired": "gray",
}


def level_text(level: str) -> str:
    """`EMERGENT`, `URGENT` or `routine`: the loud levels in capitals."""
    return level.upper() if level in ("emergent", "urgent") else level


def level_badge(level: str) -> str:
    """The level as a coloured markdown badge."""
    return f":{LEVEL_COLOUR.get(level, 'gray')}-badge[{level_text(level)}]"


def kind_label(kind: str) -> str:
    """The escalation kind in plain words."""
    return KIND_LABEL.get(kind, kind.replace("_", " ").capitalize())


def status_badge(status: str) -> str:
    """The status as a coloured markdown badge."""
    return f":{STATUS_COLOUR.get(status, 'gray')}-badge[{status}]"
