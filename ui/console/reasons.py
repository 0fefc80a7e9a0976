"""Why an item is in the queue, in plain words ("Asked for a refill of metformin — last filled 2026-10-02").

The words come from `reasons.yaml` (screen flags, agent summaries) and from the drafted resource; the
agent's raw trace stays on the item page, in an expander.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from carecoord.review.views import DraftView
from tools.parse import concept_text

REASONS_PATH = Path(__file__).with_name("reasons.yaml")
SCREEN_PREFIXES = ("Emergency screen: ", "Urgent screen: ")
"""How the agent's escalate node summarises a red or urgent screen flag."""


class ReasonTable(BaseModel):
    """Screen flag ids and fixed summaries, each to a plain-language reason."""

    model_config = ConfigDict(frozen=True)

    version: int
    flags: dict[str, str]
    summaries: dict[str, str]


@lru_cache(maxsize=1)
def reason_table(path: Path = REASONS_PATH) -> ReasonTable:
    """The shipped table, read once."""
    return ReasonTable.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _medication(resource: dict[str, Any]) -> str:
    concept = resource.get("medicationCodeableConcept")
    reference = resource.get("medicationReference") or {}
    return concept_text(concept) or str(reference.get("display") or "a medication")


def plain_reason(
    summary: str,
    draft: DraftView | None = None,
    last_filled: date | None = None,
    table: ReasonTable | None = None,
) -> str:
    """The reason a clinician reads in the queue and at the top of the item."""
    table = table or reason_table()
    for prefix in SCREEN_PREFIXES:
        if summary.startswith(prefix):
            flag = summary.removeprefix(prefix).strip()
            return table.flags.get(flag, f"Mentioned {flag.replace('-', ' ')}")
    if draft is not None:
        return _drafted(draft, summary, last_filled)
    return table.summaries.get(summary, summary)


def _drafted(draft: DraftView, summary: str, last_filled: date | None) -> str:
    resource = draft.resource
    if draft.kind == "refill":
        filled = f" — last filled {last_filled:%Y-%m-%d}" if last_filled else ""
        return f"Asked for a refill of {_medication(resource)}{filled}"
    if draft.kind == "booking":
        return f"Asked to {summary[:1].lower()}{summary[1:]}" if summary.startswith("Book") else summary
    if draft.kind == "referral":
        return (
            f"Asked for a {summary[:1].lower()}{summary[1:]}" if summary.startswith("Referral") else summary
        )
    if draft.kind == "message":
        return "Sent a message for the care team"
    return summary


def prior_prescription(draft: DraftView | None) -> str | None:
    """The id of the prescription a refill draft renews (its `priorPrescription`), if any."""
    if draft is None or draft.kind != "refill":
        return None
    reference = str((draft.resource.get("priorPrescription") or {}).get("reference") or "")
    return reference.removeprefix("MedicationRequest/") or None
