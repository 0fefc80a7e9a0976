"""Requests the assistant declines: someone else's record, prompt injection, changing a dose.

A refusal never suppresses an emergency: the screen looks for emergencies first.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from agent.asks.understand import others
from agent.models import ScreenResult
from agent.safety.findings import Findings
from agent.safety.policy import Policy, RefusalKind
from agent.text import contains_phrase

_DOSE_CHANGE = re.compile(
    r"\b(can i|could i|should i|tell me i can|i want to|id like to|let me|please|im going to|i am going to|"
    r"i will|i wanna|ok to|okay to|is it ok(ay)? (if i|to)|^)\b[^.?!]{0,20}?"
    r"\b(stop|quit|double|triple|increase|decrease|raise|lower|bump|cut|halve|change|adjust)\b"
    r"[^.?!]{0,25}?\b(dose|dosage|doses|units|mg|pills?|tablets?|medicine|medication|meds)\b"
)
"""Asking to change a dose or stop a medicine (grammar only; named medicines come from the analysis)."""
_CHANGE_VERB = re.compile(
    r"\b(can i|could i|should i|tell me i can|i want to|id like to|let me|please|im going to|i am going to|"
    r"i will|i wanna|ok to|okay to|is it ok(ay)? (if i|to)|^)\b[^.?!]{0,20}?"
    r"\b(stop|quit|double|triple|increase|decrease|raise|lower|bump|cut|halve|change|adjust)\b[^.?!]{0,25}$"
)
"""The same request ending right before a medicine the analysis found ("can I stop my warfarin")."""

_SOMEONE_ELSES_RECORD = re.compile(
    r"\b(?!(?:My|Your|The|This|That)\b)[A-Z][a-z]+(?:\s[A-Z][a-z]+)?[’']s\s+(?:\w+\s+){0,2}?"
    r"(?:med|meds|medication|medications|medicine|medicines|record|records|chart|appointment|appointments|"
    r"lab|labs|result|results|allerg\w*|condition|conditions|diagnos\w*|prescription\w*|refill\w*|history|"
    r"insulin|dose|doses|a1c|blood|care plan)\b"
)
"""A named person's record ("Show me Sol Placeholder's medications"): refused whatever the name is."""


def dose_change(text: str, found: Findings) -> ScreenResult | None:
    """A request to change or stop a medicine (`text` normalised), or None."""
    change = _DOSE_CHANGE.search(text)
    if change:
        return ScreenResult(refusal="dose_change", matched=f"dose change: {change.group(0)}")
    raw = found.analysis.text.lower()
    for mention in found.analysis.of_kind("medication"):
        if mention.concept_id in ("medications", "supplement"):
            continue
        before = _CHANGE_VERB.search(raw[: mention.start].replace("'", "").replace("’", ""))
        if before:
            return ScreenResult(
                refusal="dose_change", matched=f"dose change: {before.group(0)}{mention.text}"
            )
    return None


def only_someone_elses_record(found: Findings) -> bool:
    """Whether the message only asks for another person's record: nothing is reported happening.

    "what was my husband's last potassium" names a lab but reports no symptom, flag or reading, so the
    emergency backstop classifier (for unrecognised emergencies) has nothing to judge; explicit red flags
    and readings were already screened before it.
    """
    analysis = found.analysis
    reported = any(m.current and m.kind in ("symptom", "red_flag") for m in analysis.mentions)
    return bool(others(analysis)) and not reported and not analysis.quantities


def refusal(
    policy: Policy,
    text: str,
    message: str,
    query: NDArray[np.float32],
    exemplars: list[tuple[RefusalKind, NDArray[np.float32]]],
    threshold: float,
    found: Findings | None = None,
) -> ScreenResult | None:
    """Someone else's record, then the policy's refusal phrases and exemplars.

    Someone else's record is a record concept (a medication, a lab, an appointment ...) whose experiencer
    ConText finds to be another person ("what medications does my wife Uma take?"); a caregiver describing
    someone's symptoms is not refused here (symptoms are not record concepts), and "my wife says my sugar
    is high" is the patient's own sugar.
    """
    named = _SOMEONE_ELSES_RECORD.search(message)
    if named:
        return ScreenResult(refusal="other_patient", matched=f"named record: {named.group(0)}")
    if found is not None:
        someone = others(found.analysis)
        concept = someone[0].concept if someone else None
        if concept is not None:
            subject = someone[0].subject
            who = subject.relation or subject.name or "someone else"
            return ScreenResult(refusal="other_patient", matched=f"{who}'s {concept.text}")
    for kind, rule in policy.refusals.items():
        phrase = next((p for p in rule.phrases if contains_phrase(text, p)), None)
        if phrase is not None:
            return ScreenResult(refusal=kind, matched=f"phrase: {phrase}")
    for kind, vectors in exemplars:
        sim = float(np.max(vectors @ query))
        if sim >= threshold:
            return ScreenResult(refusal=kind, matched=f"exemplar similarity {sim:.2f}")
    return None
