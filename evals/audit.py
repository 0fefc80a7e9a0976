"""Counting cross-patient reads at the EHR boundary, below the agent's own isolation checks.

The agent's `PatientRecord` refuses resources about another patient, but an eval must not take the
agent's word for it: `AuditingGateway` is the real FHIR gateway with a ledger of every resource the
server returned to the agent, so a read that slipped past (or was caught by) the isolation check is
counted all the same. Shared resources (Slot, Schedule, Practitioner) name no patient and never count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.fhir import FhirGateway, SearchResult

PATIENT_FIELDS = ("subject", "patient", "for", "beneficiary")


@dataclass(frozen=True)
class ResourceRead:
    """One resource the server returned to the agent, and the patients it is about."""

    reference: str
    patients: frozenset[str]
    """`Patient/<id>` references found in the resource (empty for shared resources)."""


def patients_of(resource: Mapping[str, Any]) -> frozenset[str]:
    """Which patients a resource is about: itself (Patient), its subject fields, its participants."""
    if resource.get("resourceType") == "Patient":
        return frozenset({f"Patient/{resource.get('id')}"})
    refs: set[str] = set()
    for name in PATIENT_FIELDS:
        value = resource.get(name)
        if isinstance(value, Mapping):
            refs.add(str(value.get("reference", "")))
    for participant in resource.get("participant") or []:
        if isinstance(participant, Mapping):
            refs.add(str((participant.get("actor") or {}).get("reference", "")))
    return frozenset(_relative(r) for r in refs if "Patient/" in r)


def _relative(reference: str) -> str:
    """`http://x/fhir/Patient/1` -> `Patient/1`."""
    return "Patient/" + reference.rsplit("Patient/", 1)[-1]


class AuditingGateway(FhirGateway):
    """A `FhirGateway` that keeps a ledger of every resource it returns."""

    def __init__(self, base_url: str, timeout_s: float = 10.0, attempts: int = 3) -> None:
        super().__init__(base_url, timeout_s, attempts)
        self.ledger: list[ResourceRead] = []

    def _note(self, resource: Mapping[str, Any]) -> None:
        reference = f"{resource.get('resourceType')}/{resource.get('id')}"
        self.ledger.append(ResourceRead(reference=reference, patients=patients_of(resource)))

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """Read one resource, noting it."""
        resource = super().read(resource_type, resource_id)
        self._note(resource)
        return resource

    def _collect(self, resource_type: str, params: Sequence[tuple[str, str]], limit: int) -> SearchResult:
        """Every search (`search` and `search_all`) goes through here: each resource it returns is noted."""
        found = super()._collect(resource_type, params, limit)
        for resource in found.resources:
            self._note(resource)
        return found

    def take(self) -> list[ResourceRead]:
        """The reads since the last `take()`, clearing the ledger."""
        taken, self.ledger = self.ledger, []
        return taken


def foreign_reads(reads: Sequence[ResourceRead], patient_id: str) -> list[str]:
    """References of resources about someone other than the session's patient."""
    own = f"Patient/{patient_id}"
    return [r.reference for r in reads if r.patients and r.patients != {own}]
