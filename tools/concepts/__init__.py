"""Concept tables as data (labs and vitals, units, specialties) and resolution against a patient's record.

Public API:
    observation_table() -> ObservationTable       the lab/vital table; .get(id), .find(name), .by_loinc(code)
    resolve_codings(concept, codings) -> list      which of a record's codings denote the concept
    RecordCoding.from_codeable_concept(json)       a FHIR CodeableConcept as resolver input
    units(), unit_for(text)                        UCUM units and their spellings
    shown_unit(code)                               a record's unit as patients read it
    specialties()                                  specialties and the lay words for them
    vaccines()                                     vaccines, their CVX codes and lay words
    medication_classes()                           medicine groups patients name ("my blood thinner")
"""

from tools.concepts.medication_classes import MedicationClass, medication_classes
from tools.concepts.observations import (
    ObservationConcept,
    ObservationTable,
    ReferenceRange,
    UnknownConceptError,
    observation_table,
)
from tools.concepts.resolve import ConceptMatch, RecordCoding, concept_of, resolve_codings
from tools.concepts.specialties import Specialty, specialties
from tools.concepts.units import Unit, shown_unit, unit_for, units
from tools.concepts.vaccines import Vaccine, vaccines

__all__ = [
    "ConceptMatch",
    "MedicationClass",
    "ObservationConcept",
    "ObservationTable",
    "RecordCoding",
    "ReferenceRange",
    "Specialty",
    "Unit",
    "Vaccine",
    "UnknownConceptError",
    "concept_of",
    "medication_classes",
    "observation_table",
    "resolve_codings",
    "specialties",
    "shown_unit",
    "unit_for",
    "units",
    "vaccines",
]
