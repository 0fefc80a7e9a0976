"""Several writes as one: a FHIR `transaction` Bundle where the server has them, else one by one.

Every write is safe to repeat: a create is conditional (`ifNoneExist` on a stable identifier) and an
update may carry `ifMatch` (the version it was planned against), so a retry finds the first write
and a racing writer makes the whole transaction fail instead of being overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.errors import FhirError
from tools.fhir import FhirGateway


@dataclass(frozen=True)
class BundleWrite:
    """One write: a conditional create (no id) or an update of `Type/id` (optionally if unchanged)."""

    resource: Mapping[str, Any]
    """The FHIR JSON to store (at the EHR boundary)."""
    if_none_exist: str | None = None
    """For a create: the search that finds an earlier identical write, e.g. `identifier=sys|value`."""
    if_match: str | None = None
    """For an update: the `meta.versionId` the write was planned against."""

    @property
    def target(self) -> str:
        """`Type/id` for an update, `Type` for a create."""
        kind = str(self.resource["resourceType"])
        return f"{kind}/{self.resource['id']}" if self.is_update else kind

    @property
    def is_update(self) -> bool:
        """An update (PUT) rather than a create (POST)."""
        return bool(self.resource.get("id"))

    def entry(self) -> dict[str, Any]:
        """The transaction Bundle entry."""
        request: dict[str, Any] = {"method": "PUT" if self.is_update else "POST", "url": self.target}
        if self.if_none_exist and not self.is_update:
            request["ifNoneExist"] = self.if_none_exist
        if self.if_match and self.is_update:
            request["ifMatch"] = f'W/"{self.if_match}"'
        return {"resource": dict(self.resource), "request": request}


def write_all(gateway: FhirGateway, writes: Sequence[BundleWrite]) -> list[dict[str, Any]]:
    """Apply `writes` all or nothing (one transaction) where supported; the stored resources, in order."""
    if not writes:
        return []
    if gateway.supports("transaction"):
        return _transaction(gateway, writes)
    return [_one(gateway, write) for write in writes]


def _transaction(gateway: FhirGateway, writes: Sequence[BundleWrite]) -> list[dict[str, Any]]:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [w.entry() for w in writes]}
    entries = gateway.post_bundle(bundle).get("entry") or []
    if len(entries) != len(writes):
        raise FhirError(f"the transaction answered {len(entries)} entries for {len(writes)} writes")
    stored = []
    for entry in entries:
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            location = str((entry.get("response") or {}).get("location") or "")
            parts = location.split("/_history")[0].rstrip("/").split("/")
            if len(parts) < 2:
                raise FhirError(f"a transaction entry came back with neither resource nor location: {entry}")
            resource = gateway.read(parts[-2], parts[-1])
        stored.append(resource)
    return stored


def _one(gateway: FhirGateway, write: BundleWrite) -> dict[str, Any]:
    if write.is_update:
        return gateway.update(write.resource, if_match=write.if_match)
    if write.if_none_exist is None:
        raise FhirError(f"refusing an unconditional create of {write.target}: a retry would duplicate it")
    return gateway.create_if_none_exist(write.resource, write.if_none_exist).resource
