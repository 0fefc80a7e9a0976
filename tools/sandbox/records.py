"""The values the store takes and returns: write operations, stored versions, search pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tools.sandbox.search import SearchQuery

Resource = dict[str, Any]
"""A FHIR resource as JSON: the payload itself, not a bag of internal values."""


def new_id() -> str:
    """A server-assigned logical id."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class StoredResource:
    """One version of a resource as stored (its body carries the same id and meta)."""

    resource_type: str
    id: str
    version: int
    last_updated: str
    body: Resource


@dataclass(frozen=True)
class WriteResult:
    """What a write did: `created` a new resource, updated one, or (`written=False`) found a match."""

    stored: StoredResource
    created: bool
    written: bool = True

    @property
    def status(self) -> int:
        """The HTTP status of the interaction: 201 for a new resource, else 200."""
        return 201 if self.created else 200


@dataclass(frozen=True)
class SearchPage:
    """One page of a search and the total number of matches."""

    total: int
    resources: list[StoredResource]


@dataclass(frozen=True)
class Create:
    """Create with a server-assigned id, unless `if_none_exist` already matches something."""

    resource: Resource
    if_none_exist: SearchQuery | None = None
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class Update:
    """Update-or-create with the client's id; with `if_match`, only if the stored version is that one."""

    resource_type: str
    id: str
    resource: Resource
    if_match: int | None = None


WriteOp = Create | Update
