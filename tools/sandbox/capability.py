"""The CapabilityStatement, generated from the registry so it lists exactly what the server does."""

from __future__ import annotations

from typing import Any

from tools.sandbox.registry import RESOURCES
from tools.sandbox.search import DEFAULT_COUNT, MAX_COUNT

FHIR_VERSION = "4.0.1"
SOFTWARE_NAME = "CareCoord FHIR sandbox"
SOFTWARE_VERSION = "0.1.0"
RESOURCE_INTERACTIONS = ("read", "vread", "create", "update", "search-type")
SYSTEM_INTERACTIONS = ("transaction", "batch")


def _resource(type_name: str) -> dict[str, Any]:
    spec = RESOURCES[type_name]
    return {
        "type": type_name,
        "interaction": [{"code": code} for code in RESOURCE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": False,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [
            {"name": p.name, "type": p.kind, "documentation": p.doc}
            for p in sorted(spec.params.values(), key=lambda p: p.name)
        ],
    }


def capability_statement(base_url: str, published: str) -> dict[str, Any]:
    """What this server supports, for `GET [base]/metadata`."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "CareCoord",
        "kind": "instance",
        "software": {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION},
        "implementation": {"description": "Local FHIR R4 sandbox with synthetic patients", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Search: every parameter listed is honoured and any other parameter, modifier or date prefix "
                    "(only eq, ne, gt, lt, ge, le) is refused with 400. Comma-separated values are ORed. Results: "
                    f"_count (default {DEFAULT_COUNT}, at most {MAX_COUNT}), _offset, _sort on date and "
                    "string parameters (prefix '-' for descending), _elements (top-level elements; the "
                    "resources come back tagged SUBSETTED) and _summary=count|false. Strings match case- and accent-insensitively "
                    "from the start (:exact, :contains). Resources are validated against the R4 models on write; "
                    "references are not checked for existence. Writes: conditional create (If-None-Exist, "
                    'Bundle.entry.request.ifNoneExist) and versioned update (If-Match: W/"<versionId>", '
                    "Bundle.entry.request.ifMatch; 412 when the stored version differs); transactions are "
                    "all or nothing."
                ),
                "resource": [_resource(name) for name in sorted(RESOURCES)],
                "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
            }
        ],
    }
