"""What a clinician may pick from when editing a draft: the free slots near the one the agent proposed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tools import views
from tools.errors import FhirError
from tools.record import PatientRecord

WINDOW = timedelta(days=7)
"""Slots offered: this long either side of the drafted slot (never in the past)."""


def slot_choices(record: PatientRecord, resource: dict[str, Any], limit: int = 20) -> list[views.Slot]:
    """The drafted slot first, then free slots of the same clinician and specialty in its window."""
    slot_ref = str(((resource.get("slot") or [{}])[0]).get("reference") or "")
    if not slot_ref.startswith("Slot/"):
        return []
    try:
        drafted = record.slot(slot_ref.removeprefix("Slot/"))
    except FhirError:
        return []
    start = max(datetime.now(UTC), drafted.start - WINDOW)
    days = max(1, (drafted.start + WINDOW - start).days)
    nearby = record.free_slots(
        specialty=drafted.specialty, practitioner=drafted.practitioner, start=start, days=days, limit=limit
    )
    return [drafted, *(s for s in nearby if s.reference != drafted.reference)]
