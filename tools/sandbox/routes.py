"""The FHIR REST interactions under `/fhir`: metadata, read, vread, search, create, update, bundles.

Handlers are sync functions (FastAPI runs them on its thread pool; the store serialises access).
Bodies are read by async dependencies that enforce the size limit and content type first.
No `from __future__ import annotations` here: FastAPI must resolve the body aliases, which are local
to `build_router` because the size limit is a parameter.
"""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from tools.sandbox.bodies import MAX_BODY_BYTES, form_body, form_pairs, json_body
from tools.sandbox.bundles import run_bundle
from tools.sandbox.capability import capability_statement
from tools.sandbox.interactions import check_id, plan_create, plan_update, resource_spec
from tools.sandbox.outcome import BadRequest, NotFound
from tools.sandbox.responses import FhirResponse, resource_response, search_bundle, write_entry
from tools.sandbox.search import parse_search
from tools.sandbox.store import FhirStore
from tools.sandbox.validation import parse_json_object, resource_type_of

MAX_VERSION_DIGITS = 18
"""Longer version ids cannot exist (SQLite integers are 64-bit); they are simply not found."""


def base_url(request: Request) -> str:
    """The FHIR base URL as the client addressed this server, e.g. `http://127.0.0.1:8090/fhir`."""
    return str(request.base_url).rstrip("/") + "/fhir"


def build_router(store: FhirStore, published: str, max_body_bytes: int = MAX_BODY_BYTES) -> APIRouter:
    """All routes, bound to one store."""
    router = APIRouter(prefix="/fhir", default_response_class=FhirResponse)
    JsonBody = Annotated[bytes, Depends(json_body(max_body_bytes))]  # noqa: N806 - a type alias
    FormBody = Annotated[bytes, Depends(form_body(max_body_bytes))]  # noqa: N806 - a type alias

    def search(request: Request, resource_type: str, pairs: Sequence[tuple[str, str]]) -> FhirResponse:
        query = parse_search(resource_spec(resource_type), pairs)
        page = store.search(query)
        return FhirResponse(search_bundle(base_url(request), query, pairs, page))

    @router.get("/metadata")
    def metadata(request: Request) -> FhirResponse:
        return FhirResponse(capability_statement(base_url(request), published))

    @router.post("")
    @router.post("/", include_in_schema=False)
    def bundle(request: Request, body: JsonBody) -> FhirResponse:
        resource = parse_json_object(body)
        if resource_type_of(resource) != "Bundle":
            raise BadRequest(
                f"POST to the base URL takes a transaction or batch Bundle, not a {resource['resourceType']}"
            )
        base = base_url(request)
        with_resources = "return=representation" in request.headers.get("prefer", "")
        return FhirResponse(
            run_bundle(store, resource, lambda result: write_entry(result, base, with_resources))
        )

    @router.post("/{resource_type}/_search")
    def search_post(resource_type: str, request: Request, body: FormBody) -> FhirResponse:
        return search(request, resource_type, [*request.query_params.multi_items(), *form_pairs(body)])

    @router.get("/{resource_type}")
    def search_get(resource_type: str, request: Request) -> FhirResponse:
        return search(request, resource_type, request.query_params.multi_items())

    @router.post("/{resource_type}")
    def create(resource_type: str, request: Request, body: JsonBody) -> FhirResponse:
        resource_spec(resource_type)
        op = plan_create(resource_type, parse_json_object(body), request.headers.get("if-none-exist"))
        result = store.write(op)
        return resource_response(result.stored, base_url(request), result.status, location=result.written)

    @router.get("/{resource_type}/{resource_id}")
    def read(resource_type: str, resource_id: str, request: Request) -> FhirResponse:
        resource_spec(resource_type)
        return resource_response(store.read(resource_type, check_id(resource_id)), base_url(request))

    @router.get("/{resource_type}/{resource_id}/_history/{version}")
    def vread(resource_type: str, resource_id: str, version: str, request: Request) -> FhirResponse:
        resource_spec(resource_type)
        if not (version.isascii() and version.isdigit()):
            raise BadRequest(f"'{version}' is not a version id of this server (they are 1, 2, ...)")
        if len(version) > MAX_VERSION_DIGITS:
            raise NotFound(f"{resource_type}/{resource_id} has no version {version}")
        return resource_response(
            store.vread(resource_type, check_id(resource_id), int(version)), base_url(request)
        )

    @router.put("/{resource_type}/{resource_id}")
    def update(resource_type: str, resource_id: str, request: Request, body: JsonBody) -> FhirResponse:
        resource_spec(resource_type)
        if_match = request.headers.get("if-match")
        result = store.write(plan_update(resource_type, resource_id, parse_json_object(body), if_match))
        return resource_response(result.stored, base_url(request), result.status, location=True)

    return router
