"""Shape what the server sends: resource responses with their headers, search and bundle entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import JSONResponse

from tools.sandbox.outcome import FHIR_JSON
from tools.sandbox.records import SearchPage, StoredResource, WriteResult
from tools.sandbox.search import SearchQuery

PAGING_PARAMS = ("_count", "_offset")
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
"""The tag FHIR asks a server to put on a resource it returns only in part (`_elements`)."""


class FhirResponse(JSONResponse):
    """JSON with the FHIR media type."""

    media_type = FHIR_JSON


def _http_date(instant: str) -> str:
    return format_datetime(datetime.fromisoformat(instant.replace("Z", "+00:00")), usegmt=True)


def version_path(stored: StoredResource) -> str:
    """`Type/id/_history/v`, the version-specific address of what was stored."""
    return f"{stored.resource_type}/{stored.id}/_history/{stored.version}"


def resource_response(
    stored: StoredResource, base_url: str, status: int = 200, location: bool = False
) -> FhirResponse:
    """A resource with its ETag and Last-Modified (and Location, after a write)."""
    headers = {"ETag": f'W/"{stored.version}"', "Last-Modified": _http_date(stored.last_updated)}
    if location:
        headers["Location"] = f"{base_url}/{version_path(stored)}"
    return FhirResponse(stored.body, status_code=status, headers=headers)


def write_entry(result: WriteResult, base_url: str, with_resource: bool) -> dict[str, Any]:
    """A transaction/batch response entry for one write."""
    stored = result.stored
    status = HTTPStatus(result.status)
    entry: dict[str, Any] = {
        "fullUrl": f"{base_url}/{stored.resource_type}/{stored.id}",
        "response": {
            "status": f"{status.value} {status.phrase}",
            "location": version_path(stored),
            "etag": f'W/"{stored.version}"',
            "lastModified": stored.last_updated,
        },
    }
    if with_resource:
        entry["resource"] = stored.body
    return entry


def _link(base_url: str, resource_type: str, pairs: Sequence[tuple[str, str]]) -> str:
    query = urlencode(list(pairs))
    return f"{base_url}/{resource_type}" + (f"?{query}" if query else "")


def search_bundle(
    base_url: str, query: SearchQuery, pairs: Sequence[tuple[str, str]], page: SearchPage
) -> dict[str, Any]:
    """A searchset Bundle with the total, self/next/previous links and `match` entries."""
    criteria = [(k, v) for k, v in pairs if k not in PAGING_PARAMS]

    def page_link(offset: int) -> str:
        return _link(
            base_url, query.resource_type, [*criteria, ("_count", str(query.count)), ("_offset", str(offset))]
        )

    links = [{"relation": "self", "url": page_link(query.offset)}]
    if query.count > 0 and query.offset + query.count < page.total:
        links.append({"relation": "next", "url": page_link(query.offset + query.count)})
    if query.count > 0 and query.offset > 0:
        links.append({"relation": "previous", "url": page_link(max(0, query.offset - query.count))})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
    }
    entries = [
        {
            "fullUrl": f"{base_url}/{stored.resource_type}/{stored.id}",
            "resource": subset(stored.body, query.elements),
            "search": {"mode": "match"},
        }
        for stored in page.resources
    ]
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle


def subset(body: dict[str, Any], elements: Sequence[str]) -> dict[str, Any]:
    """`body` with only `elements` (and resourceType, id, meta), tagged SUBSETTED; all of it if none named."""
    if not elements:
        return body
    kept = {key: value for key, value in body.items() if key in elements}
    meta = dict(body.get("meta") or {})
    meta["tag"] = [*(meta.get("tag") or []), SUBSETTED]
    return {"resourceType": body["resourceType"], "id": body["id"], "meta": meta, **kept}
