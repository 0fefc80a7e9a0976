"""`POST [base]` with a transaction or batch Bundle of PUT/POST entries (how the cohort is seeded fast).

A transaction is all-or-nothing: every entry is validated before anything is written, all writes
share one SQLite transaction, and `urn:uuid:` references between entries are rewritten to the ids
the server assigns. A batch applies each entry on its own and reports each outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from tools.sandbox.interactions import plan_create, plan_update
from tools.sandbox.outcome import BadRequest, FhirHttpError, NotSupported, outcome_for
from tools.sandbox.records import Create, Resource, Update, WriteOp, WriteResult
from tools.sandbox.store import FhirStore

Renderer = Callable[[WriteResult], dict[str, Any]]


@dataclass(frozen=True)
class PlannedEntry:
    """A bundle entry turned into a validated write, remembering where it sat in the bundle."""

    index: int
    full_url: str | None
    op: WriteOp

    @property
    def target(self) -> str:
        """`Type/id` the entry writes (for a conditional create, until a match replaces it)."""
        body = self.op.resource
        return f"{body['resourceType']}/{self.op.id}"


def _plan(index: int, entry: Any) -> PlannedEntry:
    where = f"Bundle.entry[{index}]"
    try:
        if not isinstance(entry, Mapping):
            raise BadRequest("is not an object")
        request, resource = entry.get("request"), entry.get("resource")
        if not isinstance(request, Mapping) or not isinstance(request.get("url"), str):
            raise BadRequest("needs request.method and request.url")
        if not isinstance(resource, Mapping):
            raise BadRequest("needs a resource")
        method, url = str(request.get("method", "")).upper(), str(request["url"]).strip("/")
        condition = request.get("ifNoneExist")
        if method == "POST" and "/" not in url and "?" not in url:
            op: WriteOp = plan_create(url, resource, str(condition) if condition is not None else None)
        elif method == "PUT" and url.count("/") == 1 and "?" not in url:
            type_name, resource_id = url.split("/")
            if_match = request.get("ifMatch")
            op = plan_update(
                type_name, resource_id, resource, str(if_match) if if_match is not None else None
            )
        else:
            raise NotSupported(f"request '{method} {url}' is not supported; use 'POST Type' or 'PUT Type/id'")
    except FhirHttpError as error:
        raise error.prefixed(where) from None
    full_url = entry.get("fullUrl")
    return PlannedEntry(index, full_url if isinstance(full_url, str) else None, op)


def rewrite_references(node: Any, mapping: Mapping[str, str]) -> Any:
    """A copy of `node` with every `reference` that names a bundle `fullUrl` pointed at its new `Type/id`."""
    if isinstance(node, dict):
        return {
            key: mapping.get(value, value)
            if key == "reference" and isinstance(value, str)
            else rewrite_references(value, mapping)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [rewrite_references(item, mapping) for item in node]
    return node


def _with_resource(op: WriteOp, resource: Resource) -> WriteOp:
    if isinstance(op, Create):
        return Create(resource=resource, if_none_exist=op.if_none_exist, id=op.id)
    return Update(resource_type=op.resource_type, id=op.id, resource=resource, if_match=op.if_match)


def _entries(bundle: Mapping[str, Any]) -> list[Any]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise BadRequest("Bundle.entry must be an array")
    return entries


def _response(kind: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": f"{kind}-response"}
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle


def run_transaction(store: FhirStore, bundle: Mapping[str, Any], render: Renderer) -> dict[str, Any]:
    """Apply every entry or none; the first failure is raised, naming its entry.

    Raises:
        FhirHttpError: an entry is invalid or its write fails; nothing was written.
    """
    planned = [_plan(i, entry) for i, entry in enumerate(_entries(bundle))]
    targets = [p.target for p in planned if not isinstance(p.op, Create)]
    duplicates = sorted({t for t in targets if targets.count(t) > 1})
    if duplicates:
        raise BadRequest(f"The transaction writes {', '.join(duplicates)} more than once")
    mapping = {p.full_url: p.target for p in planned if p.full_url and not _is_conditional(p.op)}
    conditional_first = sorted(planned, key=lambda p: (not _is_conditional(p.op), p.index))
    results: dict[int, WriteResult] = {}
    with store.transaction() as writer:
        for entry in conditional_first:
            op = _with_resource(entry.op, rewrite_references(entry.op.resource, mapping))
            try:
                results[entry.index] = writer.write(op)
            except FhirHttpError as error:
                raise error.prefixed(f"Bundle.entry[{entry.index}]") from None
            if entry.full_url:
                stored = results[entry.index].stored
                mapping[entry.full_url] = f"{stored.resource_type}/{stored.id}"
    return _response("transaction", [render(results[i]) for i in range(len(planned))])


def _is_conditional(op: WriteOp) -> bool:
    return isinstance(op, Create) and op.if_none_exist is not None


def run_batch(store: FhirStore, bundle: Mapping[str, Any], render: Renderer) -> dict[str, Any]:
    """Apply each entry independently; a failed entry carries its status and OperationOutcome."""
    entries: list[dict[str, Any]] = []
    for index, entry in enumerate(_entries(bundle)):
        try:
            entries.append(render(store.write(_plan(index, entry).op)))
        except FhirHttpError as error:
            status = HTTPStatus(error.status_code)
            entries.append(
                {"response": {"status": f"{status.value} {status.phrase}", "outcome": outcome_for(error)}}
            )
    return _response("batch", entries)


def run_bundle(store: FhirStore, bundle: Mapping[str, Any], render: Renderer) -> dict[str, Any]:
    """Dispatch on `Bundle.type`.

    Raises:
        NotSupported: a Bundle type other than transaction or batch.
    """
    kind = bundle.get("type")
    if kind == "transaction":
        return run_transaction(store, bundle, render)
    if kind == "batch":
        return run_batch(store, bundle, render)
    raise NotSupported(f"Bundle.type '{kind}' cannot be posted to the base URL; use 'transaction' or 'batch'")
