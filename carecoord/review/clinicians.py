"""The approving clinician as a FHIR `Practitioner`: created on their first approval, found after."""

from __future__ import annotations

import threading

from carecoord.users import User
from tools.fhir import FhirGateway

CLINICIAN_SYSTEM = "urn:carecoord:user"
"""`Practitioner.identifier` system; the value is the CareCoord user name."""


class Clinicians:
    """`Practitioner/<id>` per user, made with a conditional create and remembered by this process."""

    def __init__(self, gateway: FhirGateway) -> None:
        self.gateway = gateway
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def reference(self, user: User) -> str:
        """The user's Practitioner reference, creating the Practitioner on first use."""
        with self._lock:
            known = self._known.get(user.name)
        if known:
            return known
        resource = {
            "resourceType": "Practitioner",
            "active": True,
            "identifier": [{"system": CLINICIAN_SYSTEM, "value": user.name}],
            "name": [{"text": user.shown_as}],
        }
        written = self.gateway.create_if_none_exist(resource, f"identifier={CLINICIAN_SYSTEM}|{user.name}")
        reference = f"Practitioner/{written.resource['id']}"
        with self._lock:
            self._known[user.name] = reference
        return reference
