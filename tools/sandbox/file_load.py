"""Bring your own patients: FHIR R4 JSON from files (a Bundle, a folder of resources, ndjson) into a server.

Every file is read and checked before anything is written, so a bad file loads nothing (and says which
file and line). Resources are then PUT under their own ids, people and places first, so references
resolve; a resource the server refuses is reported with the server's own message, and the rest still
load. Transaction bundles from generators such as Synthea reference each other by `urn:uuid:` full URLs;
those references are rewritten to `Type/id` before the write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import FhirError, FhirUnavailable
from tools.fhir import FhirGateway
from tools.sandbox.bundles import rewrite_references

SUFFIXES = (".json", ".ndjson")
FIRST = ("Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "Medication")
"""Written before the rest: the resources others refer to."""
ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")
MAX_ID_LENGTH = 64
WRITERS = 4


class UnreadableInput(ValueError):
    """A file that is not FHIR R4 JSON we can load: nothing was written."""


@dataclass(frozen=True)
class Rejection:
    """A resource the server refused, with what the server said."""

    reference: str
    message: str


@dataclass
class LoadReport:
    """What a load wrote and what the server refused."""

    loaded: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def read_resources(path: Path) -> list[dict[str, Any]]:
    """Every resource under `path`, checked (type, id); raises `UnreadableInput` naming the file and line."""
    if not path.exists():
        raise UnreadableInput(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES) if path.is_dir() else [path]
    if not files:
        raise UnreadableInput(f"{path}: no .json or .ndjson files in this folder")
    resources: list[dict[str, Any]] = []
    for file in files:
        resources.extend(_checked(where, item) for where, item in _documents(file))
    if not resources:
        raise UnreadableInput(f"{path}: no resources found")
    return resources


def file_count(path: Path) -> int:
    """How many files `read_resources` reads under `path`."""
    return sum(1 for p in path.rglob("*") if p.suffix in SUFFIXES) if path.is_dir() else 1


def load_resources(
    gateway: FhirGateway, resources: list[dict[str, Any]], on_written: Callable[[int], None] = lambda n: None
) -> LoadReport:
    """PUT every resource (people and places first); refusals are collected, an unreachable server raises."""
    report = LoadReport()
    first = [r for r in resources if r["resourceType"] in FIRST]
    rest = [r for r in resources if r["resourceType"] not in FIRST]
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="load") as pool:
        for batch in (first, rest):
            for refused in pool.map(lambda resource: _put(gateway, resource), batch):
                if refused is None:
                    report.loaded += 1
                else:
                    report.rejected.append(refused)
                on_written(1)
    return report


def _put(gateway: FhirGateway, resource: dict[str, Any]) -> Rejection | None:
    try:
        gateway.update(resource)
    except FhirUnavailable:
        raise
    except FhirError as refused:
        return Rejection(f"{resource['resourceType']}/{resource['id']}", str(refused))
    return None


def _documents(file: Path) -> Iterator[tuple[str, Any]]:
    """(where, JSON value) for each document of `file`: one per ndjson line, or the whole file."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"{file}: cannot be read as UTF-8 text ({exc})") from None
    if file.suffix == ".ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield f"{file}, line {number}", _parsed(line, f"{file}, line {number}")
        return
    document = _parsed(text, str(file))
    if isinstance(document, Mapping) and document.get("resourceType") == "Bundle":
        yield from (
            (f"{file}, entry {n}", item) for n, item in enumerate(_bundle_resources(document), start=1)
        )
    else:
        yield str(file), document


def _parsed(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            f"{where}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None


def _bundle_resources(bundle: Mapping[str, Any]) -> list[Any]:
    """The bundle's resources, `urn:uuid:` references rewritten to `Type/id`."""
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, Mapping) and "resource" in e]
    aliases = {
        str(e["fullUrl"]): f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}"
        for e in entries
        if isinstance(e["resource"], Mapping) and str(e.get("fullUrl", "")).startswith("urn:")
    }
    return [rewrite_references(e["resource"], aliases) for e in entries]


def _checked(where: str, resource: Any) -> dict[str, Any]:
    if not isinstance(resource, dict):
        raise UnreadableInput(
            f"{where}: expected a FHIR resource (a JSON object), found {type(resource).__name__}"
        )
    kind, resource_id = resource.get("resourceType"), resource.get("id")
    if not isinstance(kind, str) or not kind or not kind[0].isupper():
        raise UnreadableInput(f"{where}: no resourceType")
    if kind == "Bundle":
        raise UnreadableInput(f"{where}: a Bundle inside a Bundle or an ndjson line is not loaded; split it")
    if not isinstance(resource_id, str) or not resource_id:
        raise UnreadableInput(f"{where}: {kind} has no id (each resource is written under its own id)")
    if len(resource_id) > MAX_ID_LENGTH or not set(resource_id) <= ID_CHARACTERS:
        raise UnreadableInput(f"{where}: {kind} id {resource_id!r} is not a FHIR id (A-Z a-z 0-9 - ., ≤ 64)")
    return resource
