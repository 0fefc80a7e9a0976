"""The typed asks of one patient message (issue 12): what is asked, about whom, about which concept.

A message can hold several asks ("refill furosemide and also my insulin" is two); each must be answered,
drafted or escalated. The planner turns them into tool requests; nothing here reads the record.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from agent.language.models import Experiencer, Mention, Quantity
from tools.clock import TimeWindow

AskKind = Literal[
    "record_query",
    "action_request",
    "guidance_question",
    "symptom_report",
    "administrative",
    "other_person",
    "unclear",
]
"""What an ask wants: a fact from the record, something done, general guidance, ... or someone else's data."""

RequestKind = Literal["refill", "lab_order", "reading", "booking", "referral", "message", "other_action"]
"""For action requests: a prescription refill, a test order, a reading to record, a visit, a referral, a
note or change for the care team, or anything else the assistant cannot draft itself (a supplement, a
dose): that one reaches a clinician as the patient's words."""


class Ask(BaseModel):
    """One thing the message asks, with the concept it names and whose it is."""

    model_config = ConfigDict(frozen=True)

    kind: AskKind
    words: str
    """The patient's own words for this ask (the whole message when it has one ask)."""
    subject: Experiencer = Experiencer()
    concept: Mention | None = None
    """The lab, medication, demographic ... the ask is about, when one is named."""
    request: RequestKind | None = None
    quantity: Quantity | None = None
    """For a reading to record: the value the patient gave."""
    aggregate: str | None = None
    """For a lab or vital: what is asked of its series (an `aggregate` row id: previous, average, lowest,
    highest, trend); None for the latest result."""
    window: TimeWindow | None = None
    """The time window the message gives ("over the last week"), None when it gives none."""
    back: int = 1
    """For `previous`: how many results before the latest (a second "and the one before that?" is 2)."""
