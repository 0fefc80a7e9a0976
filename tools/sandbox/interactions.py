"""Turn a create or update request into a validated write, the same way for REST calls and bundle entries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from tools.sandbox.outcome import BadRequest, NotFound
from tools.sandbox.records import Create, Resource, Update, new_id
from tools.sandbox.registry import RESOURCES, ResourceSpec
from tools.sandbox.search import ID_PATTERN, SearchQuery, parse_search
from tools.sandbox.validation import resource_type_of, validate_resource

_LEADING_TYPE = re.compile(r"^[A-Za-z]+\?")


def resource_spec(type_name: str) -> ResourceSpec:
    """The spec of a supported type.

    Raises:
        NotFound: the server does not serve this type.
    """
    spec = RESOURCES.get(type_name)
    if spec is None:
        raise NotFound(f"Resource type '{type_name}' is not supported by this server; see /metadata")
    return spec


def check_id(resource_id: str) -> str:
    """A syntactically valid FHIR id.

    Raises:
        BadRequest: it is not one (1-64 of A-Z a-z 0-9 - .).
    """
    if not ID_PATTERN.match(resource_id):
        raise BadRequest(
            f"'{resource_id}' is not a valid FHIR id (1-64 characters of A-Z, a-z, 0-9, '-', '.')"
        )
    return resource_id


def _check_type(expected: str, resource: Mapping[str, Any]) -> None:
    actual = resource_type_of(resource)
    if actual != expected:
        raise BadRequest(f"The body is a {actual} but the request is for {expected}")


def parse_condition(spec: ResourceSpec, condition: str) -> SearchQuery:
    """The search an `If-None-Exist` header (or `Bundle.entry.request.ifNoneExist`) names.

    Raises:
        BadRequest: it is empty or uses a parameter the type does not support.
    """
    text = _LEADING_TYPE.sub("", condition.strip())
    pairs = parse_qsl(text, keep_blank_values=True)
    query = parse_search(spec, pairs)
    if not query.criteria:
        raise BadRequest(f"If-None-Exist '{condition}' has no search criteria")
    return query


def plan_create(type_name: str, resource: Mapping[str, Any], if_none_exist: str | None = None) -> Create:
    """A validated create with a fresh server id (any id in the body is ignored, as the spec says)."""
    spec = resource_spec(type_name)
    _check_type(type_name, resource)
    resource_id = new_id()
    body: Resource = {**resource, "id": resource_id}
    validate_resource(body)
    condition = parse_condition(spec, if_none_exist) if if_none_exist is not None else None
    return Create(resource=body, if_none_exist=condition, id=resource_id)


def parse_if_match(header: str | None) -> int | None:
    """The version an `If-Match` header (or `Bundle.entry.request.ifMatch`) names: `W/"3"` → 3.

    Raises:
        BadRequest: it names no version of this server (they are 1, 2, ...).
    """
    if header is None:
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise BadRequest(
            f'If-Match \'{header}\' names no version of this server (they are W/"1", W/"2", ...)'
        )
    return int(text)


def plan_update(
    type_name: str, resource_id: str, resource: Mapping[str, Any], if_match: str | None = None
) -> Update:
    """A validated update-or-create whose body id must equal the URL id (if `if_match`, of that version)."""
    resource_spec(type_name)
    check_id(resource_id)
    _check_type(type_name, resource)
    body_id = resource.get("id")
    if body_id != resource_id:
        shown = "no id" if body_id is None else f"id '{body_id}'"
        raise BadRequest(f"The body has {shown} but the URL names {type_name}/{resource_id}; they must match")
    validate_resource(resource)
    return Update(
        resource_type=type_name, id=resource_id, resource=dict(resource), if_match=parse_if_match(if_match)
    )
