"""The concept a record's Observation code denotes, however it is coded: the bridge for names in answers.

A potassium coded `K` (local code, text only) is the table's potassium; its friendly name is as much the
record's as the code, so answers may say "potassium" and the verifier finds that word in the resource.
"""

from __future__ import annotations

from collections.abc import Mapping

from tools import views
from tools.concepts.observations import ObservationConcept, observation_table
from tools.concepts.resolve import RecordCoding, concept_of


def concept_of_code(code: object) -> ObservationConcept | None:
    """The one concept an Observation's `code` (CodeableConcept JSON) denotes; None when none or a tie."""
    if not isinstance(code, Mapping):
        return None
    for coding in RecordCoding.from_codeable_concept(code):
        matches = {m.concept.id: m.concept for m in concept_of(coding)}
        if len(matches) == 1:
            return next(iter(matches.values()))
    return None


def observation_name(observation: views.Observation) -> str:
    """The test as patients say it: the concept table's friendly name, however the record codes it."""
    concept = observation_table().by_loinc(observation.loinc) if observation.loinc else None
    concept = concept or concept_of_code(observation.source.json_body.get("code"))
    return concept.friendly if concept is not None else observation.name
